// Package query is the flavortrend data source's query model: the JSON a panel sends (Model)
// and the query types it may ask for (docs/grafana.md). The dashboards and the front end use
// the same names.
package query

// Type names a view of SPEC §8/§9.
type Type string

// The query types; docs/grafana.md says what each returns.
const (
	Cities               Type = "cities"
	KPIs                 Type = "kpis"
	LiveOrders           Type = "live_orders"
	SLAViolations        Type = "sla_violations"
	SLADynamicViolations Type = "sla_dynamic_violations"
	SLADynamicSummary    Type = "sla_dynamic_summary"
	ModelHealth          Type = "model_health"
	PressureTop          Type = "pressure_top"
	PressureSeries       Type = "pressure_series"
	Heatmap              Type = "heatmap"
	HeatmapReplay        Type = "heatmap_replay"
	Replay               Type = "replay"
	OperatorActions      Type = "operator_actions"
	AlertsActive         Type = "alerts_active"
	Recommendations      Type = "recommendations"
	Scenarios            Type = "scenarios"
	ScenarioEstimate     Type = "scenario_estimate"
	RestaurantsLive      Type = "restaurants_live"
	RestaurantTrend      Type = "restaurant_trend"
	RestaurantLoadMap    Type = "restaurant_load_map"
	CouriersLive         Type = "couriers_live"
	Sentiment            Type = "sentiment"
	Revenue              Type = "revenue"
	RevenueByCity        Type = "revenue_by_city"
	RevenueWeekly        Type = "revenue_weekly"
	RevenueMonthToDate   Type = "revenue_month_to_date"
	TopRestaurants       Type = "top_restaurants"
	TopCouriers          Type = "top_couriers"
	TopDishes            Type = "top_dishes"
	WeatherOrders        Type = "weather_orders"
	WeatherImpact        Type = "weather_impact"
	WeatherCityHeat      Type = "weather_city_heat"
	RouteOrder           Type = "route_order"
	RouteReplay          Type = "route_replay"
	RouteCourier         Type = "route_courier"
	RoutesActive         Type = "routes_active"
	RoutesRecent         Type = "routes_recent"
	Models               Type = "models"
	PipelineFreshness    Type = "pipeline_freshness"
)

// Types are every query type, in the order of docs/grafana.md.
var Types = []Type{Cities, KPIs, LiveOrders, SLAViolations, SLADynamicViolations, SLADynamicSummary, ModelHealth,
	PressureTop, PressureSeries, Heatmap, HeatmapReplay, Replay, OperatorActions, AlertsActive, Recommendations, Scenarios,
	ScenarioEstimate, RestaurantsLive, RestaurantTrend, RestaurantLoadMap, CouriersLive, Sentiment, Revenue, RevenueByCity,
	RevenueWeekly, RevenueMonthToDate, TopRestaurants, TopCouriers, TopDishes, WeatherOrders, WeatherImpact, WeatherCityHeat,
	RouteOrder, RouteReplay, RouteCourier, RoutesActive, RoutesRecent, Models, PipelineFreshness}

// Streamable are the types a panel can keep updated through Grafana Live (live: true), and
// the replays, which are streams by nature.
var Streamable = map[Type]bool{LiveOrders: true, SLAViolations: true, AlertsActive: true, RestaurantsLive: true,
	CouriersLive: true, PipelineFreshness: true, HeatmapReplay: true, RouteReplay: true}

// Model is one query of a panel.
type Model struct {
	RefID        string  `json:"refId"`
	QueryType    Type    `json:"queryType"`
	City         string  `json:"city,omitempty"`
	Window       string  `json:"window,omitempty"`
	Limit        int     `json:"limit,omitempty"`
	Kind         string  `json:"kind,omitempty"`
	Status       string  `json:"status,omitempty"`
	EntityID     string  `json:"entityId,omitempty"`
	Weeks        int     `json:"weeks,omitempty"`
	Target       float64 `json:"target,omitempty"`
	MaxAge       string  `json:"maxAge,omitempty"`
	ScenarioKind string  `json:"scenarioKind,omitempty"`
	Speed        float64 `json:"speed,omitempty"`
	Step         string  `json:"step,omitempty"`   // heatmap_replay: event time per frame
	Bucket       string  `json:"bucket,omitempty"` // heatmap, heatmap_replay: width of a column (the API's bucket)
	Live         bool    `json:"live,omitempty"`
}
