package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// monthlyTarget is the month's GMV target, TND, for the month-to-date panels. It is about a
// month of the simulator's base demand (15 orders/min, ~40 TND an order); change it here.
const monthlyTarget = 25_000_000

// revenue shows GMV, AOV and delivered orders of the time range, revenue per ISO week and per
// city, the month's progress against its target and the rankings (SPEC §9.8), all of it from
// delivered orders.
func revenue() *dashboard.DashboardBuilder {
	window := ft(query.Model{QueryType: query.Revenue, City: city})
	month := ft(query.Model{QueryType: query.RevenueMonthToDate, City: city, Target: monthlyTarget})

	return newDashboard("ft-revenue", "Revenue & rankings",
		"GMV, AOV, weekly revenue, the month against its target, top restaurants, dishes and couriers.").
		Time("now-7d", "now").
		Refresh("5m").
		WithVariable(cityVariable(true)).
		WithRow(dashboard.NewRowBuilder("Time range")).
		WithPanel(statPanel("GMV", "gmv_tnd", unitTND, window).Span(8)).
		WithPanel(statPanel("Average order value", "aov_tnd", unitTND, window).Span(8).Decimals(2)).
		WithPanel(statPanel("Delivered orders", "delivered_orders", unitCount, window).Span(8)).
		WithRow(dashboard.NewRowBuilder(fmt.Sprintf("Month to date (target %d TND)", monthlyTarget))).
		WithPanel(statPanel("GMV this month", "gmv_tnd", unitTND, month).Span(6)).
		WithPanel(statPanel("Progress", "progress_ratio", unitPercent, month).Span(6).Decimals(1)).
		WithPanel(statPanel("Projected at month end", "projected_ratio", unitPercent, month).
			Span(6).Decimals(1).
			Thresholds(dashboard.NewThresholdsConfigBuilder().
				Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{{Color: "red"}, {Value: ptr(0.9), Color: "orange"}, {Value: ptr(1.0), Color: "green"}}))).
		WithPanel(statPanel("Needed per remaining day", "remaining_per_day_tnd", unitTND, month).Span(6)).
		WithRow(dashboard.NewRowBuilder("Trends")).
		WithPanel(seriesPanel("GMV per ISO week", unitTND,
			ft(query.Model{QueryType: query.RevenueWeekly, City: city, Weeks: 12})).
			Description("The current week is in progress.").
			WithTransformation(keepFields("^(week_start|gmv_tnd)$")).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(60)).
		WithPanel(gmvByCity()).
		WithRow(dashboard.NewRowBuilder("Rankings")).
		WithPanel(tablePanel("Top restaurants",
			ft(query.Model{QueryType: query.TopRestaurants, City: city, Limit: 10})).
			Span(8).Height(10).
			OverrideByName("gmv_tnd", unitOf(unitTND))).
		WithPanel(tablePanel("Top dishes (units = Σ quantity)",
			ft(query.Model{QueryType: query.TopDishes, City: city, Limit: 10})).
			Span(8).Height(10).
			OverrideByName("sales_tnd", unitOf(unitTND))).
		WithPanel(tablePanel("Top couriers",
			ft(query.Model{QueryType: query.TopCouriers, City: city, Limit: 10})).
			Span(8).Height(10).
			OverrideByName("avg_delivery_minutes", unitOf(unitMinutes)))
}

// gmvByCity ranks the cities by GMV over the time range (every city: the view has no city
// filter).
func gmvByCity() *barchart.PanelBuilder {
	return barchart.NewPanelBuilder().
		Title("GMV by city").
		Datasource(flavortrendDS).
		Targets(withRefIDs([]ftQuery{ft(query.Model{QueryType: query.RevenueByCity})})).
		Height(8).Span(12).
		Unit(unitTND).
		Thresholds(neutral()).
		WithTransformation(keepFields("^(name|gmv_tnd)$")).
		WithTransformation(dashboard.DataTransformerConfig{
			Id:      "sortBy",
			Options: map[string]any{"sort": []map[string]any{{"field": "gmv_tnd", "desc": true}}},
		}).
		XField("name").
		Orientation(common.VizOrientationHorizontal).
		ShowValue(common.VisibilityModeAuto).
		Stacking(common.StackingModeNone).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeHidden).
			Placement(common.LegendPlacementBottom).
			ShowLegend(false)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone))
}
