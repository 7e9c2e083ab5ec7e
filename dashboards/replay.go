package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// heatmapReplaySpeed plays the heatmap back at 300 event-time seconds per second, one frame
// per event-time minute: six hours in 72 seconds.
const heatmapReplaySpeed = 300

// replay looks back at an episode (SPEC §9.5, journey 3): the pressure of every city minute by
// minute, as it was and played back, one city's pressure and breaches, and the operator
// actions as annotations and as a list.
func replay() *dashboard.DashboardBuilder {
	episode := ft(query.Model{QueryType: query.Replay, City: city})

	return newDashboard("ft-replay", "Replay",
		"City pressure over time, one city's pressure and breaches, and the operator actions taken.").
		Time("now-6h", "now").
		WithVariable(cityVariable(false)).
		Annotation(operatorActions()).
		WithPanel(heatmapPanel("City pressure, minute by minute",
			ft(query.Model{QueryType: query.Heatmap}))).
		WithPanel(heatmapPanel("City pressure, played back (×300)",
			ft(query.Model{QueryType: query.HeatmapReplay, Speed: heatmapReplaySpeed, Step: "1m"})).
			Description("The time range replayed minute by minute at 300× event time. Refresh the panel to start again.")).
		WithPanel(pressurePanel("Pressure — $city", episode)).
		WithPanel(breachesPanel("Breaches — $city", episode)).
		WithPanel(tablePanel("Operator actions — $city",
			ft(query.Model{QueryType: query.OperatorActions, City: city, Limit: 500})).
			Span(24))
}

// pressurePanel plots a city's pressure from a replay or pressure_series answer, with the
// warning and critical levels drawn as lines.
func pressurePanel(title string, q ftQuery) *timeseries.PanelBuilder {
	return seriesPanel(title, unitPressure, q).
		WithTransformation(keepFields("^(minute|pressure)$")).
		Min(0).Max(100).
		Thresholds(levels(75, 85)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine))
}

// breachesPanel plots a replay's static SLA breaches and at-risk orders per minute as stacked
// bars (their sum is the answer's violations, left out).
func breachesPanel(title string, q ftQuery) *timeseries.PanelBuilder {
	return seriesPanel(title, unitCount, q).
		WithTransformation(keepFields("^(minute|breaches|at_risk)$")).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(60).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
}
