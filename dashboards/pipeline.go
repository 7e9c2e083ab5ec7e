package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/nodegraph"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/tempo"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// Levels shared with the alert rules of provisioning/alerting/flavortrend.yaml and the
// thresholds of flavortrend status (cmd/flavortrend/status.go): a panel draws the level at
// which its alert fires, and the tests check that the two agree.
const (
	mib = 1 << 20
	gib = 1 << 30

	freshnessWarn, freshnessCrit = 30, 120           // seconds, as the live freshness panel
	groupLagWarn, groupLagCrit   = 50_000, 500_000   // records behind, a group's partitions summed
	slotLagWarn, slotLagCrit     = 64 * mib, 1 * gib // WAL not confirmed by the connector
	retainedWarn, retainedCrit   = 1 * gib, 3 * gib  // WAL kept for the slot; PostgreSQL invalidates it at 4 GB
	maeWarn, maeCrit             = 600, 1200         // seconds of mean absolute ETA error
)

// Topic selectors, whatever the prefixes: CDC topics are <prefix>.public.<table>, the
// dead-letter topics <prefix>.dead-letter (ingest) and <derived-prefix>enrich.dead-letter.
const (
	cdcTopics        = `topic=~".+[.]public[.].+"`
	deadLetterTopics = `topic=~".+dead-letter"`
)

// pipelineHealth is the on-call engineer's view (SPEC §9.9, journey 6): at a glance whether
// CDC runs, the consumer groups have members and dead letters appear; then freshness (live from
// the flavortrend data source, per table from Prometheus), throughput per stage, consumer lag,
// the replication slot, errors and dead letters, latencies and the model's error from
// Prometheus, and traces from Tempo (uids prometheus and tempo, provisioned by
// provisioning/datasources/observability.yaml). The PromQL uses the metric names of
// docs/telemetry.md and of the status monitor (flavortrend status -serve).
func pipelineHealth() *dashboard.DashboardBuilder {
	return newDashboard("ft-pipeline", "Pipeline health",
		"Freshness, throughput, consumer lag, replication slot, errors, dead letters and traces of the pipeline.").
		Time("now-1h", "now").
		Refresh("30s").
		WithRow(dashboard.NewRowBuilder("At a glance (Prometheus)")).
		WithPanel(promStat("CDC connector", unitCount,
			promQuery("min(flavortrend_cdc_connector_up)", "")).
			Mappings(upDown()).
			Description("Whether the Debezium connector and all its tasks run in Kafka Connect.")).
		WithPanel(promStat("Groups without members", unitCount,
			promQuery("count(max by (group) (flavortrend_consumer_members) < 1) or vector(0)", "")).
			Thresholds(steps("green", 1, "red")).
			Description("Consumer groups of the pipeline with no member: a stage that is not running.")).
		WithPanel(promStat("Consumer lag", unitCount,
			promQuery("sum(flavortrend_consumer_lag)", "")).
			Thresholds(levels(groupLagWarn, groupLagCrit)).
			Description("Records behind, every group's partitions summed.")).
		WithPanel(promStat("Slot lag", unitBytes,
			promQuery("max(flavortrend_cdc_slot_lag_bytes)", "")).
			Thresholds(levels(slotLagWarn, slotLagCrit)).
			Description("WAL written since the position the connector confirmed.")).
		WithPanel(promStat("WAL retained", unitBytes,
			promQuery("max(flavortrend_cdc_wal_retained_bytes)", "")).
			Thresholds(levels(retainedWarn, retainedCrit)).
			Description("WAL PostgreSQL keeps for the replication slot; at 4 GB it invalidates the slot.")).
		WithPanel(promStat("Dead letters (1 h)", unitCount,
			promQuery("sum(increase(flavortrend_kafka_topic_records{"+deadLetterTopics+"}[1h]))", "")).
			Decimals(0).
			Thresholds(steps("green", 1, "red")).
			Description("Records written to the dead-letter topics in the last hour.")).
		WithRow(dashboard.NewRowBuilder("Freshness: source commit → queryable")).
		WithPanel(seriesPanel("Freshness", unitSeconds,
			ft(query.Model{QueryType: query.PipelineFreshness, Live: true})).
			Span(16).
			Description("Seconds from a row's commit in PostgreSQL to its being queryable in ClickHouse.").
			Thresholds(levels(freshnessWarn, freshnessCrit)).
			ThresholdsStyle(dashed())).
		WithPanel(statPanel("Freshness now", "freshness_seconds", unitSeconds,
			ft(query.Model{QueryType: query.KPIs})).
			Height(8).Thresholds(levels(freshnessWarn, freshnessCrit))).
		WithPanel(statPanel("Newest source commit", "freshness_newest_source_commit", "dateTimeFromNow",
			ft(query.Model{QueryType: query.KPIs})).
			Height(8)).
		WithPanel(promPanel("Freshness per table", unitSeconds,
			promQuery("max by (table) (flavortrend_table_freshness_seconds)", "{{table}}")).
			Description("Time since the newest source commit written to each CDC mirror. Tables that change " +
				"only now and then (reference data) are old by nature; the alert judges the tables whose CDC topic moved.").
			ScaleDistribution(common.NewScaleDistributionConfigBuilder().Type(common.ScaleDistributionLog).Log(10)).
			Thresholds(levels(freshnessWarn, freshnessCrit)).
			ThresholdsStyle(dashed())).
		WithPanel(promPanel("Ingest: freshness p95 per table", unitSeconds,
			promQuery("histogram_quantile(0.95, sum by (le, table) (rate(flavortrend_ingest_freshness_seconds_bucket[$__rate_interval])))", "{{table}}"))).
		WithRow(dashboard.NewRowBuilder("Throughput per stage (Prometheus)")).
		WithPanel(promPanel("Generate: orders / s per city", unitPerSecond,
			promQuery("sum by (city) (rate(flavortrend_generate_orders_total[$__rate_interval]))", "{{city}}")).
			Span(8)).
		WithPanel(promPanel("Generate: events / s by kind", unitPerSecond,
			promQuery("sum by (kind) (rate(flavortrend_generate_events_total[$__rate_interval]))", "{{kind}}")).
			Span(8)).
		WithPanel(promPanel("CDC: change records / s per topic", unitPerSecond,
			promQuery("sum by (topic) (rate(flavortrend_kafka_topic_records{"+cdcTopics+"}[$__rate_interval]))", "{{topic}}")).
			Span(8).
			Description("Records Debezium writes to each CDC topic (end offsets, from the status monitor).")).
		WithPanel(promPanel("Ingest: records consumed / s", unitPerSecond,
			promQuery("sum by (table, outcome) (rate(flavortrend_ingest_records_total[$__rate_interval]))", "{{table}} {{outcome}}")).
			Span(8)).
		WithPanel(promPanel("Ingest: rows written / s", unitPerSecond,
			promQuery("sum by (table) (rate(flavortrend_ingest_rows_total[$__rate_interval]))", "{{table}}")).
			Span(8)).
		WithPanel(promPanel("Enrich: records / s per stage", unitPerSecond,
			promQuery("sum by (stage, outcome) (rate(flavortrend_enrich_records_total[$__rate_interval]))", "{{stage}} {{outcome}}")).
			Span(8)).
		WithPanel(promPanel("Enrich: records emitted / s per topic", unitPerSecond,
			promQuery("sum by (topic) (rate(flavortrend_enrich_emitted_total[$__rate_interval]))", "{{topic}}"))).
		WithPanel(promPanel("API: requests / s", "reqps",
			promQuery("sum by (http_route) (rate(http_server_request_duration_seconds_count[$__rate_interval]))", "{{http_route}}"))).
		WithRow(dashboard.NewRowBuilder("Consumer lag (Prometheus)")).
		WithPanel(promPanel("Consumer lag per group (records behind)", unitCount,
			promQuery("sum by (group) (flavortrend_consumer_lag)", "{{group}}")).
			Description("End offset minus the group's committed offset, the group's partitions summed.").
			Thresholds(levels(groupLagWarn, groupLagCrit)).
			ThresholdsStyle(dashed())).
		WithPanel(promPanel("Consumer group members", unitCount,
			promQuery("max by (group) (flavortrend_consumer_members)", "{{group}}")).
			Description("A group without members is a stage that is not running: its lag grows.").
			Min(0).
			Thresholds(steps("red", 1, "green")).
			ThresholdsStyle(dashed())).
		WithPanel(promPanel("Ingest: consumer lag per topic", unitCount,
			promQuery("sum by (topic) (flavortrend_ingest_consumer_lag)", "{{topic}}")).
			Description("As the ingesters see it at their last fetch.")).
		WithPanel(promPanel("Enrich: consumer lag per stage", unitCount,
			promQuery("sum by (stage) (flavortrend_enrich_consumer_lag)", "{{stage}}")).
			Description("As the enrichers see it at their last fetch.")).
		WithRow(dashboard.NewRowBuilder("Replication slot and connector (Prometheus)")).
		WithPanel(promPanel("CDC connector up, slot active", unitCount,
			promQuery("min by (connector) (flavortrend_cdc_connector_up)", "connector {{connector}}"),
			promQuery("min by (slot) (flavortrend_cdc_slot_active)", "slot {{slot}} active")).
			Span(8).
			Min(0).Max(1).
			Mappings(upDown())).
		WithPanel(promPanel("Replication slot lag", unitBytes,
			promQuery("max by (slot) (flavortrend_cdc_slot_lag_bytes)", "{{slot}}")).
			Span(8).
			Description("pg_current_wal_lsn() − confirmed_flush_lsn: changes the connector has not confirmed.").
			Thresholds(levels(slotLagWarn, slotLagCrit)).
			ThresholdsStyle(dashed())).
		WithPanel(promPanel("WAL retained by the slot", unitBytes,
			promQuery("max by (slot) (flavortrend_cdc_wal_retained_bytes)", "{{slot}}")).
			Span(8).
			Description("pg_current_wal_lsn() − restart_lsn. PostgreSQL invalidates the slot past max_slot_wal_keep_size (4 GB): CDC must snapshot again.").
			Thresholds(levels(retainedWarn, retainedCrit)).
			ThresholdsStyle(dashed())).
		WithRow(dashboard.NewRowBuilder("Errors and dead letters (Prometheus)")).
		WithPanel(promPanel("Dead-letter topics: records / s", unitPerSecond,
			promQuery("sum by (topic) (rate(flavortrend_kafka_topic_records{"+deadLetterTopics+"}[$__rate_interval]))", "{{topic}}")).
			Span(8)).
		WithPanel(promPanel("Ingest: dead letters / s", unitPerSecond,
			promQuery("sum by (table, reason) (rate(flavortrend_ingest_dead_letters_total[$__rate_interval]))", "{{table}} {{reason}}")).
			Span(8)).
		WithPanel(promPanel("Enrich: dead letters / s", unitPerSecond,
			promQuery("sum by (stage) (rate(flavortrend_enrich_dead_letters_total[$__rate_interval]))", "{{stage}}")).
			Span(8)).
		WithPanel(promPanel("Enrich: aborted transactions / s", unitPerSecond,
			promQuery(`sum by (stage) (rate(flavortrend_enrich_transactions_total{outcome="abort"}[$__rate_interval]))`, "{{stage}}")).
			Span(8).
			Description("Aborted transactions are replayed from the last commit: a few after a rebalance are normal.")).
		WithPanel(promPanel("Ingest: insert retries / s", unitPerSecond,
			promQuery("sum by (table) (rate(flavortrend_ingest_retries_total[$__rate_interval]))", "{{table}}")).
			Span(8)).
		WithPanel(promPanel("Ingest: failed inserts / s", unitPerSecond,
			promQuery(`sum by (table) (rate(flavortrend_ingest_insert_duration_seconds_count{outcome="error"}[$__rate_interval]))`, "{{table}}")).
			Span(8)).
		WithRow(dashboard.NewRowBuilder("Latency and model error (Prometheus)")).
		WithPanel(promPanel("API: p95 latency per route", unitSeconds,
			promQuery("histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket[$__rate_interval])))", "{{http_route}}"))).
		WithPanel(promPanel("Plugin: p95 query time per type", unitSeconds,
			promQuery("histogram_quantile(0.95, sum by (le, query_type) (rate(flavortrend_plugin_query_duration_seconds_bucket[$__rate_interval])))", "{{query_type}}")).
			Description("Grafana's queries to the flavortrend data source, by query type.")).
		WithPanel(promPanel("Enrich: p95 transaction time per stage", unitSeconds,
			promQuery("histogram_quantile(0.95, sum by (le, stage) (rate(flavortrend_enrich_transaction_duration_seconds_bucket[$__rate_interval])))", "{{stage}}"))).
		WithPanel(promPanel("ETA model: mean absolute error", unitSeconds,
			promQuery("max by (model) (flavortrend_model_mae_seconds)", "{{model}}")).
			Description("Over the deliveries of the last hour, per model version.").
			Thresholds(levels(maeWarn, maeCrit)).
			ThresholdsStyle(dashed())).
		WithRow(dashboard.NewRowBuilder("Traces (Tempo)")).
		WithPanel(serviceMap("Service map")).
		WithPanel(tracesPanel("Order journeys: simulator → enricher",
			`{ resource.service.name = "flavortrend-generate" } && { resource.service.name = "flavortrend-enrich" }`).
			Description("Traces with spans of both the simulator and the enricher: an order placed (generate.order), " +
				"its change captured (cdc.change) and enriched (enrich.process). The ingester's batches link to them.")).
		WithPanel(tracesPanel("Traces with errors",
			`{ resource.service.name =~ "flavortrend-.+" && status = error }`)).
		WithPanel(tracesPanel("Slowest ingest flushes",
			`{ resource.service.name = "flavortrend-ingest" && name = "ingest.flush" && duration > 1s }`)).
		WithPanel(tracesPanel("Slow enrich transactions",
			`{ resource.service.name = "flavortrend-enrich" && name = "enrich.transaction" && duration > 1s }`)).
		WithPanel(tracesPanel("Slow API requests",
			`{ resource.service.name = "flavortrend-api" && kind = server && duration > 500ms }`)).
		// By span name: the plugin SDK names the service after the plugin id unless the plugin
		// sets service.name (flavortrend-plugin) itself.
		WithPanel(tracesPanel("Slow plugin queries",
			`{ name = "plugin.query" && duration > 1s }`))
}

// promQuery is a PromQL range query on the prometheus data source; the panel names it.
func promQuery(expr, legend string) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().
		Datasource(prometheusDS).
		Expr(expr).
		Range()
	if legend != "" {
		q.LegendFormat(legend)
	}
	return q
}

// promPanel plots PromQL queries, named A, B, … in order.
func promPanel(title, unit string, queries ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := newSeries(title, unit).Datasource(prometheusDS)
	for i, q := range queries {
		p.WithTarget(q.RefId(string(rune('A' + i))))
	}
	return p
}

// promStat shows the last value of one PromQL query as a big number over its sparkline.
func promStat(title, unit string, q *prometheus.DataqueryBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Datasource(prometheusDS).
		WithTarget(q.RefId("A")).
		Height(4).Span(4).
		Unit(unit).
		Thresholds(neutral()).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeValue).
		TextMode(common.BigValueTextModeValue).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto)
}

// steps colours values below at in the colour below, and from at on in the colour from.
func steps(below string, at float64, from string) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().
		Mode(dashboard.ThresholdsModeAbsolute).
		Steps([]dashboard.Threshold{{Color: below}, {Value: ptr(at), Color: from}})
}

// dashed draws a panel's thresholds as dashed lines: where its alert fires.
func dashed() cog.Builder[common.GraphThresholdsStyleConfig] {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)
}

// upDown shows the 1/0 of an up or active gauge as a green up and a red down.
func upDown() []dashboard.ValueMapping {
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: ptr("down"), Color: ptr("red"), Index: ptr(int32(0))},
			"1": {Text: ptr("up"), Color: ptr("green"), Index: ptr(int32(1))},
		},
	}}}
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

// serviceMap draws the services and the calls between them, with their rates and latencies,
// from the service graph Tempo's metrics generator writes to Prometheus.
func serviceMap(title string) *nodegraph.PanelBuilder {
	return nodegraph.NewPanelBuilder().
		Title(title).
		Datasource(tempoDS).
		WithTarget(tempo.NewDataqueryBuilder().
			Datasource(tempoDS).
			RefId("A").
			QueryType("serviceMap")).
		Height(10).Span(24)
}
