package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// sla shows the static SLA violations (breach, at risk), the dynamic ones (actual against the
// ETA model's prediction, SPEC §4.4) and the model's health (SPEC §9.2, journey 4).
func sla() *dashboard.DashboardBuilder {
	summary := ft(query.Model{QueryType: query.SLADynamicSummary, City: city})
	health := ft(query.Model{QueryType: query.ModelHealth, City: city})

	return newDashboard("ft-sla", "SLA",
		"Static and dynamic SLA violations and the health of the ETA model.").
		Time("now-6h", "now").
		Refresh("30s").
		WithVariable(cityVariable(true)).
		WithPanel(statPanel("Delivered", "delivered", unitCount, summary)).
		WithPanel(statPanel("Dynamic violations", "violations", unitCount, summary)).
		WithPanel(statPanel("Violation share", "violation_share", unitPercent, summary).
			Decimals(1).Thresholds(levels(0.1, 0.2))).
		WithPanel(statPanel("Mean overrun", "mean_overrun_minutes", unitMinutes, summary).Decimals(1)).
		WithPanel(statPanel("Mean overrun ratio", "mean_overrun_ratio", unitRatio, summary).Decimals(2)).
		WithPanel(statPanel("Latest ETA MAE", "latest_mae_minutes", unitMinutes, health).
			Decimals(1).Thresholds(levels(5, 10))).
		WithPanel(tablePanel("Static SLA violations",
			ft(query.Model{QueryType: query.SLAViolations, City: city, Limit: 500, Live: true})).
			Height(10).
			Description("Orders past their deadline (breach) or open past it (at risk).").
			OverrideByName("threshold_minutes", unitOf(unitMinutes)).
			OverrideByName("actual_minutes", unitOf(unitMinutes)).
			OverrideByName("delay_minutes", unitOf(unitMinutes))).
		WithPanel(tablePanel("Dynamic SLA violations",
			ft(query.Model{QueryType: query.SLADynamicViolations, City: city, Limit: 500})).
			Height(10).
			Description("Delivered orders that took longer than the ETA model predicted: actual, predicted, overrun. Filter order_id to answer \"why was this order late?\".").
			OverrideByName("actual_minutes", unitOf(unitMinutes)).
			OverrideByName("predicted_minutes", unitOf(unitMinutes)).
			OverrideByName("overrun_minutes", unitOf(unitMinutes)).
			OverrideByName("overrun_ratio", unitOf(unitRatio))).
		WithPanel(seriesPanel("ETA model health per 15 min", unitMinutes, health).
			Span(24).
			Description("MAE (minutes, left axis) and MAPE (ratio, right axis) of the delivered orders of each 15-minute bucket.").
			WithTransformation(keepFields("^(start|mae_minutes|mape)$")).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(60).
			OverrideByName("mape", []dashboard.DynamicConfigValue{
				{Id: "unit", Value: unitPercent},
				{Id: "custom.axisPlacement", Value: "right"},
				{Id: "custom.drawStyle", Value: "line"},
			}))
}
