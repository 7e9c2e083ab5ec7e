package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// opsOverview is the dispatcher's screen (SPEC §9.1, journeys 1 and 2): KPIs, live orders and
// alerts, surge recommendations to approve, city pressure, restaurants and couriers on the
// map, delivery heat by city, sentiment and revenue. Lists and maps of live types stream.
func opsOverview() *dashboard.DashboardBuilder {
	// KPIs: orders per minute over the last 15 minutes; the API fixes the other windows
	// (breaches since midnight, ETA MAE over the last hour).
	kpis := ft(query.Model{QueryType: query.KPIs, City: city, Window: "15m"})

	return newDashboard("ft-ops", "Ops overview",
		"Live operations: KPIs, open orders, alerts and recommendations, city pressure, restaurants and couriers.").
		Time("now-1h", "now").
		Refresh("10s").
		WithVariable(cityVariable(true)).
		WithRow(dashboard.NewRowBuilder("Now")).
		WithPanel(statPanel("Orders / min (15 min)", "orders_per_minute", unitPerMin, kpis)).
		WithPanel(statPanel("Orders placed (15 min)", "orders_placed", unitCount, kpis)).
		WithPanel(statPanel("SLA breaches today", "sla_today_breaches", unitCount, kpis)).
		WithPanel(statPanel("At risk today", "sla_today_at_risk", unitCount, kpis)).
		WithPanel(statPanel("ETA MAE (1 h)", "eta_last_hour_mae_minutes", unitMinutes, kpis).
			Decimals(1).Thresholds(levels(5, 10))).
		WithPanel(statPanel("Pipeline freshness", "freshness_seconds", unitSeconds, kpis).
			Thresholds(levels(30, 120))).
		WithRow(dashboard.NewRowBuilder("Orders and alerts")).
		WithPanel(tablePanel("Live orders",
			ft(query.Model{QueryType: query.LiveOrders, City: city, Limit: 200, Live: true})).
			Height(10).
			OverrideByName("total", unitOf(unitTND)).
			OverrideByName("age_minutes", unitOf(unitMinutes)).
			OverrideByName("predicted_minutes", unitOf(unitMinutes)).
			OverrideByName("distance_km", unitOf("lengthkm"))).
		WithPanel(tablePanel("Smart alerts",
			ft(query.Model{QueryType: query.AlertsActive, City: city, Live: true})).
			Height(10).
			Description("Driver shortage, SLA spike and peak start, raised once per episode. Click a row to acknowledge the alert or mute its city.").
			Actions([]cog.Builder[dashboard.Action]{
				post("Acknowledge", "Acknowledge alert ${__data.fields.id}?",
					"/alerts/${__data.fields.id}/ack", `{"note":"acknowledged in Grafana"}`),
				post("Mute city for 30 min", "Mute the alerts of city ${__data.fields.city_id} for 30 minutes?",
					"/cities/${__data.fields.city_id}/mute", `{"minutes":30}`),
			})).
		WithPanel(tablePanel("Surge recommendations",
			ft(query.Model{QueryType: query.Recommendations, City: city})).
			Height(8).
			Description("Surge recommendations of the time range (pressure ≥ 75) and their status. Click a pending one to approve it, which starts the surge the simulator obeys, or to dismiss it.").
			Actions([]cog.Builder[dashboard.Action]{
				post("Approve", "Approve surge ${__data.fields.id} (×${__data.fields.factor})?",
					"/recommendations/${__data.fields.id}/approve", ""),
				post("Dismiss", "Dismiss surge ${__data.fields.id}?",
					"/recommendations/${__data.fields.id}/dismiss", ""),
			})).
		WithPanel(tablePanel("Top city pressure",
			ft(query.Model{QueryType: query.PressureTop, Window: "15m", Limit: 10})).
			Height(8).
			Description("Cities by pressure now, with their peak over the last 15 minutes (≥ 75 warning, ≥ 85 critical).").
			Thresholds(levels(75, 85)).
			OverrideByName("pressure", colouredCell()).
			OverrideByName("peak_pressure", colouredCell())).
		WithRow(dashboard.NewRowBuilder("Map")).
		WithPanel(mapPanel("Restaurant load", fitData(),
			[]cog.Builder[common.MapLayerOptions]{
				markers("Restaurants", "lat", "lon", style{color: "load_score", size: "orders_last_15m"}),
			},
			ft(query.Model{QueryType: query.RestaurantLoadMap, City: city})).
			ColorScheme(continuous()).
			OverrideByName("load_score", []dashboard.DynamicConfigValue{{Id: "min", Value: 0}, {Id: "max", Value: 100}})).
		WithPanel(mapPanel("Courier activity", tunisia(),
			[]cog.Builder[common.MapLayerOptions]{
				markers("Couriers", "lat", "lon", style{color: "active_deliveries", text: "name"}),
			},
			ft(query.Model{QueryType: query.CouriersLive, City: city, Limit: 1000, Live: true})).
			Description("Last position of each courier, coloured by active deliveries (busy ≥ 3, overloaded ≥ 5).").
			ColorScheme(byThresholds()).
			Thresholds(levels(3, 5))).
		WithPanel(heatmapPanel("Delivery heat by city (pressure per minute)",
			ft(query.Model{QueryType: query.Heatmap}))).
		WithRow(dashboard.NewRowBuilder("Business")).
		WithPanel(statPanel("GMV", "gmv_tnd", unitTND, ft(query.Model{QueryType: query.Revenue, City: city})).Span(8)).
		WithPanel(statPanel("Average order value", "aov_tnd", unitTND, ft(query.Model{QueryType: query.Revenue, City: city})).
			Span(8).Decimals(2)).
		WithPanel(statPanel("Delivered orders", "delivered_orders", unitCount, ft(query.Model{QueryType: query.Revenue, City: city})).
			Span(8)).
		WithPanel(tablePanel("Restaurant sentiment",
			ft(query.Model{QueryType: query.Sentiment, City: city, Kind: "restaurant", Limit: 20})).
			Height(8)).
		WithPanel(tablePanel("Courier sentiment",
			ft(query.Model{QueryType: query.Sentiment, City: city, Kind: "courier", Limit: 20})).
			Height(8)).
		WithRow(dashboard.NewRowBuilder("Restaurants and couriers")).
		WithPanel(tablePanel("Restaurants live",
			ft(query.Model{QueryType: query.RestaurantsLive, City: city, Limit: 200, Live: true})).
			Description("Click a row to pause the restaurant for 30 minutes or resume it.").
			Thresholds(levels(75, 90)).
			OverrideByName("load_score", colouredCell()).
			Actions([]cog.Builder[dashboard.Action]{
				post("Pause 30 min", "Pause ${__data.fields.name} for 30 minutes?",
					"/restaurants/${__data.fields.restaurant_id}/pause", `{"minutes":30}`),
				post("Resume", "Resume ${__data.fields.name}?",
					"/restaurants/${__data.fields.restaurant_id}/resume", ""),
			})).
		WithPanel(tablePanel("Couriers live",
			ft(query.Model{QueryType: query.CouriersLive, City: city, Limit: 200, Live: true})).
			Description("Click a row to nudge the courier online for 30 minutes.").
			OverrideByName("avg_speed_kmh_today", unitOf(unitKmh)).
			OverrideByName("speed_kmh", unitOf(unitKmh)).
			Actions([]cog.Builder[dashboard.Action]{
				post("Nudge online 30 min", "Keep ${__data.fields.name} online for 30 minutes?",
					"/couriers/${__data.fields.courier_id}/nudge", `{"minutes":30}`),
			}))
}

// colouredCell colours a table column's text by the panel's thresholds.
func colouredCell() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}}}
}
