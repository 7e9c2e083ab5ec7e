package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// routeReplaySpeed plays a delivery back at 30 event-time seconds per second: a 40-minute
// ride in 80 seconds.
const routeReplaySpeed = 30

// routes maps the route of a chosen order ($order), replays it fix by fix, and shows the
// deliveries on their way and the recent ones to choose from (SPEC §9.4, journey 4).
func routes() *dashboard.DashboardBuilder {
	return newDashboard("ft-routes", "Routes",
		"The route of an order, its replay, deliveries on their way and recent deliveries.").
		Time("now-6h", "now").
		Refresh("30s").
		WithVariable(cityVariable(true)).
		WithVariable(orderVariable()).
		WithPanel(mapPanel("Route of order $order", fitData(),
			[]cog.Builder[common.MapLayerOptions]{route("Route", "lat", "lon", style{color: "speed_kmh"})},
			ft(query.Model{QueryType: query.RouteOrder, EntityID: "$order"})).
			Height(12).
			Description("GPS fixes of the order's courier in time order, coloured by speed (red slow, green fast).").
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdContinuousRdYlGr)).
			OverrideByName("speed_kmh", unitOf(unitKmh)).
			OverrideByName("minutes_late", unitOf(unitMinutes))).
		WithPanel(mapPanel("Replay of order $order", fitData(),
			[]cog.Builder[common.MapLayerOptions]{route("Replay", "lat", "lon", style{color: "minutes_late"})},
			ft(query.Model{QueryType: query.RouteReplay, EntityID: "$order", Speed: routeReplaySpeed})).
			Height(12).
			Description("The same route growing fix by fix at ×30, coloured by minutes late (green on time, red late). Refresh the panel to start again.").
			ColorScheme(continuous()).
			OverrideByName("speed_kmh", unitOf(unitKmh)).
			OverrideByName("minutes_late", unitOf(unitMinutes))).
		WithPanel(mapPanel("Deliveries on their way", tunisia(),
			[]cog.Builder[common.MapLayerOptions]{
				markers("Couriers", "last_fix_lat", "last_fix_lon", style{color: "minutes_late"}),
			},
			ft(query.Model{QueryType: query.RoutesActive, City: city, Limit: 1000})).
			Height(12).
			Description("Last fix of each order on its way, coloured by minutes late (orange from 1, red from 10).").
			ColorScheme(byThresholds()).
			Thresholds(levels(1, 10))).
		WithPanel(tablePanel("Recent deliveries",
			ft(query.Model{QueryType: query.RoutesRecent, City: city, Limit: 100})).
			Height(12).
			Description("Click an order to show its route.").
			OverrideByName("delivery_minutes", unitOf(unitMinutes)).
			OverrideByName("direct_km", unitOf("lengthkm")).
			OverrideByName("path_km", unitOf("lengthkm")).
			OverrideByName("order_id", []dashboard.DynamicConfigValue{{Id: "links", Value: []map[string]any{{
				"title": "Show the route of order ${__value.raw}",
				"url":   "/d/ft-routes/routes?${__url_time_range}&${city:queryparam}&var-order=${__value.raw}",
			}}}}))
}
