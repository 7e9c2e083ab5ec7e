package main_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestQueryMetrics: the query latency histogram, as Grafana collects it from the plugin
// (CollectMetrics), counts each query by type and outcome.
func TestQueryMetrics(t *testing.T) {
	f := newFixture(t)
	c := startPlugin(t)
	for range 3 {
		f.query(t, c, map[string]any{"queryType": "kpis", "window": "1h"})
	}
	if _, msg := f.tryQuery(t, c, map[string]any{"queryType": "kpis", "window": "40d"}); msg == "" {
		t.Fatal("a 40-day window was answered")
	}
	f.query(t, c, map[string]any{"queryType": "cities"})

	res, err := c.health.CollectMetrics(context.Background(), &pluginv2.CollectMetricsRequest{PluginContext: f.pc})
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(res.GetMetrics().GetPrometheus()))
	if err != nil {
		t.Fatal(err)
	}
	fam, ok := families["flavortrend_plugin_query_duration_seconds"]
	if !ok {
		t.Fatalf("no flavortrend_plugin_query_duration_seconds among %d families", len(families))
	}
	got := map[string]uint64{}
	for _, m := range fam.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		got[strings.Join(labels, ",")] = m.GetHistogram().GetSampleCount()
		if m.GetHistogram().GetSampleSum() <= 0 {
			t.Errorf("%v: sum of durations %v", labels, m.GetHistogram().GetSampleSum())
		}
	}
	want := map[string]uint64{"outcome=ok,query_type=kpis": 3, "outcome=error,query_type=kpis": 1, "outcome=ok,query_type=cities": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("queries %s = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
}
