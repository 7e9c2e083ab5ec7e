package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// weather compares delivery times in dry and rainy weather, rush hours or not, counts orders
// by weather condition and maps the weather of every city (SPEC §9.3).
func weather() *dashboard.DashboardBuilder {
	impact := ft(query.Model{QueryType: query.WeatherImpact, City: city})

	return newDashboard("ft-weather", "Weather",
		"Delivery minutes in dry and rainy weather, orders by condition, the weather of every city.").
		Time("now-24h", "now").
		Refresh("1m").
		WithVariable(cityVariable(true)).
		WithPanel(statPanel("Rain delay", "rain_delay_minutes", unitMinutes, impact).
			Height(8).Decimals(1).
			Description("Mean delivery minutes in rain minus in dry weather, all hours.")).
		WithPanel(impactChart(impact)).
		WithPanel(tablePanel("Orders by weather condition",
			ft(query.Model{QueryType: query.WeatherOrders, City: city})).
			Height(8).Span(10).
			OverrideByName("avg_delivery_minutes", unitOf(unitMinutes))).
		WithPanel(mapPanel("City weather", tunisia(),
			[]cog.Builder[common.MapLayerOptions]{
				markers("Cities", "lat", "lon", style{color: "temperature_c", size: "precipitation_mm", text: "condition"}),
			},
			ft(query.Model{QueryType: query.WeatherCityHeat})).
			Span(24).Height(14).
			Description("Latest observation per city: colour = temperature, size = precipitation, label = condition.").
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdContinuousBlYlRd)).
			OverrideByName("temperature_c", unitOf("celsius")))
}

// impactChart draws the mean delivery minutes per period (rush, non-rush, all), a bar for dry
// and one for rain: the weather_impact cells (weather, period, minutes) pivoted to one row per
// period and one column per weather.
func impactChart(impact ftQuery) *barchart.PanelBuilder {
	return barchart.NewPanelBuilder().
		Title("Delivery minutes: dry vs rain").
		Datasource(flavortrendDS).
		Targets(withRefIDs([]ftQuery{impact})).
		Height(8).Span(10).
		Unit(unitMinutes).
		Thresholds(neutral()).
		WithTransformation(dashboard.DataTransformerConfig{
			Id: "groupingToMatrix",
			Options: map[string]any{
				"rowField": "period", "columnField": "weather", "valueField": "avg_delivery_minutes",
			},
		}).
		Orientation(common.VizOrientationAuto).
		ShowValue(common.VisibilityModeAuto).
		Stacking(common.StackingModeNone).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone))
}
