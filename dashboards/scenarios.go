package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// scenarios starts and cancels what-if scenarios and shows their evidence (SPEC §9.6, journey
// 3): the flags in force with their time left, the model's estimate of each scenario for the
// chosen city, and the city's pressure, demand and breaches with the operator actions as
// annotations. A scenario targets one city, so the city variable has no All.
func scenarios() *dashboard.DashboardBuilder {
	estimate := func(kind string) ftQuery {
		return ft(query.Model{QueryType: query.ScenarioEstimate, City: city, ScenarioKind: kind})
	}
	pressure := ft(query.Model{QueryType: query.PressureSeries, City: city})

	return newDashboard("ft-scenarios", "Scenarios",
		"Start and cancel rain, promo and courier-outage scenarios; their estimated and observed impact.").
		Time("now-3h", "now").
		Refresh("10s").
		WithVariable(cityVariable(false)).
		WithVariable(customVariable("minutes", "Scenario minutes", "30", "15", "30", "60", "120")).
		Annotation(operatorActions()).
		WithPanel(tablePanel("Scenario flags in force",
			ft(query.Model{QueryType: query.Scenarios, Limit: 100})).
			Span(24).Height(7).
			Description("Flags of every city still in force (seconds_left > 0). Click a row to cancel it.").
			WithTransformation(inForce()).
			OverrideByName("seconds_left", unitOf(unitSeconds)).
			Actions([]cog.Builder[dashboard.Action]{
				post("Cancel", "Cancel the ${__data.fields.kind} flag ${__data.fields.id}?",
					"/scenarios/${__data.fields.id}/cancel", ""),
			})).
		WithPanel(tablePanel("Impact estimate and controls — $city",
			estimate("rain"), estimate("promo"), estimate("courier_outage")).
			Span(24).Height(7).
			Description("What the ETA model and the pressure formula expect of each scenario from the current baseline (SPEC §4.11). Click a row to start a scenario in $city for $minutes minutes.").
			WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
			WithTransformation(keepFields(
				"^(scenario_.*|(baseline|predicted|delta)_(pressure|demand_per_courier|avg_delivery_minutes|breaches_per_minute|typical_eta_minutes))$")).
			Actions([]cog.Builder[dashboard.Action]{
				post("Start rain", "Make it rain in ${city} for ${minutes} minutes?",
					"/scenarios", `{"kind":"rain","city":"${city}","minutes":${minutes}}`),
				post("Start promo ×1.5", "Start a ×1.5 promo in ${city} for ${minutes} minutes?",
					"/scenarios", `{"kind":"promo","city":"${city}","minutes":${minutes},"factor":1.5}`),
				post("Start courier outage (50 %)", "Take half of the couriers of ${city} offline for ${minutes} minutes?",
					"/scenarios", `{"kind":"courier_outage","city":"${city}","minutes":${minutes},"share":0.5}`),
			})).
		WithPanel(pressurePanel("Pressure — $city", pressure).Span(8)).
		WithPanel(seriesPanel("Demand — $city", unitCount, pressure).
			Span(8).
			Description("Open orders and available couriers; demand per courier on the right axis.").
			WithTransformation(keepFields("^(minute|open_orders|available_couriers|demand_per_courier)$")).
			OverrideByName("demand_per_courier", []dashboard.DynamicConfigValue{{Id: "custom.axisPlacement", Value: "right"}})).
		WithPanel(breachesPanel("Breaches — $city", ft(query.Model{QueryType: query.Replay, City: city})).Span(8))
}

// inForce keeps the flags with time left: the scenarios query lists ended ones too.
func inForce() dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{
		Id: "filterByValue",
		Options: map[string]any{
			"type":  "include",
			"match": "any",
			"filters": []map[string]any{{
				"fieldName": "seconds_left",
				"config":    map[string]any{"id": "greater", "options": map[string]any{"value": 0}},
			}},
		},
	}
}
