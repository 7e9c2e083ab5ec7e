package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/tempo"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// pipelineHealth is the on-call engineer's view (SPEC §9.9, journey 6): freshness from the
// flavortrend data source, and throughput, lag, errors and traces from Prometheus and Tempo
// (uids prometheus and tempo, provisioned with the observability stack). The PromQL uses the
// metric names of docs/telemetry.md; today only the ingester and the API export metrics.
func pipelineHealth() *dashboard.DashboardBuilder {
	return newDashboard("ft-pipeline", "Pipeline health",
		"Freshness, throughput, consumer lag, errors, dead letters and traces of the pipeline.").
		Time("now-1h", "now").
		Refresh("30s").
		WithRow(dashboard.NewRowBuilder("Freshness: source commit → queryable")).
		WithPanel(seriesPanel("Freshness", unitSeconds,
			ft(query.Model{QueryType: query.PipelineFreshness, Live: true})).
			Span(16).
			Description("Seconds from a row's commit in PostgreSQL to its being queryable in ClickHouse.").
			Thresholds(levels(30, 120)).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))).
		WithPanel(statPanel("Freshness now", "freshness_seconds", unitSeconds,
			ft(query.Model{QueryType: query.KPIs})).
			Height(8).Thresholds(levels(30, 120))).
		WithPanel(statPanel("Newest source commit", "freshness_newest_source_commit", "dateTimeFromNow",
			ft(query.Model{QueryType: query.KPIs})).
			Height(8)).
		WithRow(dashboard.NewRowBuilder("Throughput per stage (Prometheus)")).
		WithPanel(promPanel("Ingest: records consumed / s", unitPerSecond,
			promQuery("sum by (table, outcome) (rate(flavortrend_ingest_records_total[$__rate_interval]))", "{{table}} {{outcome}}"))).
		WithPanel(promPanel("Ingest: rows written / s", unitPerSecond,
			promQuery("sum by (table) (rate(flavortrend_ingest_rows_total[$__rate_interval]))", "{{table}}"))).
		WithPanel(promPanel("API: requests / s", "reqps",
			promQuery("sum by (http_route) (rate(http_server_request_duration_seconds_count[$__rate_interval]))", "{{http_route}}"))).
		WithPanel(promPanel("API: p95 latency", unitSeconds,
			promQuery("histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket[$__rate_interval])))", "{{http_route}}"))).
		WithRow(dashboard.NewRowBuilder("Lag (Prometheus)")).
		WithPanel(promPanel("Ingest: consumer lag (records behind)", unitCount,
			promQuery("sum by (topic) (flavortrend_ingest_consumer_lag)", "{{topic}}"))).
		WithPanel(promPanel("Ingest: freshness p95 per table", unitSeconds,
			promQuery("histogram_quantile(0.95, sum by (le, table) (rate(flavortrend_ingest_freshness_seconds_bucket[$__rate_interval])))", "{{table}}"))).
		// Holds the replication slot lag once a stage exports it: docs/telemetry.md has no
		// metric for it yet.
		WithRow(dashboard.NewRowBuilder("Replication slot lag (no metric exported yet)")).
		WithRow(dashboard.NewRowBuilder("Errors and dead letters (Prometheus)")).
		WithPanel(promPanel("Ingest: dead letters / s", unitPerSecond,
			promQuery("sum by (table, reason) (rate(flavortrend_ingest_dead_letters_total[$__rate_interval]))", "{{table}} {{reason}}")).
			Span(8)).
		WithPanel(promPanel("Ingest: insert retries / s", unitPerSecond,
			promQuery("sum by (table) (rate(flavortrend_ingest_retries_total[$__rate_interval]))", "{{table}}")).
			Span(8)).
		WithPanel(promPanel("Ingest: failed inserts / s", unitPerSecond,
			promQuery(`sum by (table) (rate(flavortrend_ingest_insert_duration_seconds_count{outcome="error"}[$__rate_interval]))`, "{{table}}")).
			Span(8)).
		WithRow(dashboard.NewRowBuilder("Traces (Tempo)")).
		WithPanel(tracesPanel("Slowest ingest flushes",
			`{ resource.service.name = "flavortrend-ingest" && name = "ingest.flush" && duration > 1s }`)).
		WithPanel(tracesPanel("Slow API requests",
			`{ resource.service.name = "flavortrend-api" && kind = server && duration > 500ms }`))
}

// promQuery is a PromQL range query on the prometheus data source.
func promQuery(expr, legend string) cog.Builder[variants.Dataquery] {
	return prometheus.NewDataqueryBuilder().
		Datasource(prometheusDS).
		RefId("A").
		Expr(expr).
		LegendFormat(legend).
		Range()
}

// promPanel plots one PromQL query.
func promPanel(title, unit string, q cog.Builder[variants.Dataquery]) *timeseries.PanelBuilder {
	return newSeries(title, unit).Datasource(prometheusDS).WithTarget(q)
}

// tracesPanel lists the traces matching a TraceQL query on the tempo data source; a trace id
// opens the trace.
func tracesPanel(title, traceQL string) *table.PanelBuilder {
	return newTable(title).
		Datasource(tempoDS).
		WithTarget(tempo.NewDataqueryBuilder().
			Datasource(tempoDS).
			RefId("A").
			QueryType("traceql").
			Query(traceQL).
			Limit(20).
			TableType(tempo.SearchTableTypeTraces))
}
