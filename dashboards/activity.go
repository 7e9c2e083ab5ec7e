package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// activity is the operator action log (SPEC §9.7): every accepted write of the API, who did
// it, to what and with which result, and counts per operator and per action.
func activity() *dashboard.DashboardBuilder {
	actions := ft(query.Model{QueryType: query.OperatorActions, City: city, Limit: 1000})

	return newDashboard("ft-activity", "Activity",
		"The operator action log: scenarios, acknowledgements, approvals, pauses, nudges, promotions.").
		Time("now-24h", "now").
		Refresh("30s").
		WithVariable(cityVariable(true)).
		WithPanel(tablePanel("Operator actions", actions).Span(24).Height(14)).
		WithPanel(tablePanel("Actions per operator", actions).
			Height(8).
			WithTransformation(countBy("actor"))).
		WithPanel(tablePanel("Actions per kind", actions).
			Height(8).
			WithTransformation(countBy("action")))
}

// countBy groups the rows by a field and counts them (by their id).
func countBy(field string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{
		Id: "groupBy",
		Options: map[string]any{"fields": map[string]any{
			field: map[string]any{"operation": "groupby", "aggregations": []string{}},
			"id":  map[string]any{"operation": "aggregate", "aggregations": []string{"count"}},
		}},
	}
}
