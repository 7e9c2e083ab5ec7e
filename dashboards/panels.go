package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/geomap"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Panel helpers: each returns a builder with the look shared by the dashboards (size, legend,
// tooltip, colours), to which a dashboard adds what is particular to the panel. Sizes are in
// grid units (24 across); the dashboard builder lays panels out left to right.

// statPanel shows one field of the answer (typically a one-row frame such as kpis) as a big
// number. Its colour is neutral unless the caller sets thresholds (levels).
func statPanel(title, field, unit string, q ftQuery) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Datasource(flavortrendDS).
		Targets(withRefIDs([]ftQuery{q})).
		Height(4).Span(4).
		Unit(unit).
		Thresholds(neutral()).
		ReduceOptions(common.NewReduceDataOptionsBuilder().
			Calcs([]string{"lastNotNull"}).
			Fields("/^" + field + "$/")).
		GraphMode(common.BigValueGraphModeNone).
		ColorMode(common.BigValueColorModeValue).
		TextMode(common.BigValueTextModeValue).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto)
}

// tablePanel lists the rows of its queries, filterable by column.
func tablePanel(title string, queries ...ftQuery) *table.PanelBuilder {
	return newTable(title).Datasource(flavortrendDS).Targets(withRefIDs(queries))
}

// newTable is a table panel without data source and queries.
func newTable(title string) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(title).
		Height(9).Span(12).
		Thresholds(neutral()).
		CellHeight(common.TableCellHeightSm).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{})).
		Filterable(true)
}

// seriesPanel plots the time series of its queries.
func seriesPanel(title, unit string, queries ...ftQuery) *timeseries.PanelBuilder {
	return newSeries(title, unit).Datasource(flavortrendDS).Targets(withRefIDs(queries))
}

// newSeries is a time series panel without data source and queries.
func newSeries(title, unit string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Height(8).Span(12).
		Unit(unit).
		Thresholds(neutral()).
		LineWidth(1).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

// mapPanel is a geomap with the given data layers over the default basemap. The basemap and
// the tooltip are set explicitly: left unset, the SDK writes them with an empty type/mode,
// which Grafana does not read as its defaults.
func mapPanel(title string, view cog.Builder[geomap.MapViewConfig], layers []cog.Builder[common.MapLayerOptions], queries ...ftQuery) *geomap.PanelBuilder {
	return geomap.NewPanelBuilder().
		Title(title).
		Datasource(flavortrendDS).
		Targets(withRefIDs(queries)).
		Height(10).Span(12).
		View(view).
		Controls(geomap.NewControlsOptionsBuilder().ShowZoom(true).MouseWheelZoom(true).ShowScale(true)).
		Basemap(common.NewMapLayerOptionsBuilder().Type("default").Name("Basemap")).
		Layers(layers).
		Tooltip(geomap.NewTooltipOptionsBuilder().Mode(geomap.TooltipModeDetails))
}

// tunisia is a map view of the whole country, for maps whose data moves all the time (live
// positions), where fitting the view to the data would make it jump.
func tunisia() *geomap.MapViewConfigBuilder {
	return geomap.NewMapViewConfigBuilder().Id("coords").Lat(34).Lon(9).Zoom(6)
}

// fitData is a map view fitted to the data of every layer: a route, a chosen city.
func fitData() *geomap.MapViewConfigBuilder {
	return geomap.NewMapViewConfigBuilder().Id("fit").AllLayers(true).Padding(10).MaxZoom(16)
}

// style says how a map layer draws its rows: colour from a numeric field through the panel's
// colour scheme (fixed green when empty), size from a numeric field (fixed when empty), a label
// from a field (none when empty).
type style struct {
	color, size, text string
}

func (s style) config() map[string]any {
	color := map[string]any{"fixed": "dark-green"}
	if s.color != "" {
		color["field"] = s.color
	}
	size := map[string]any{"fixed": 6, "min": 4, "max": 14}
	if s.size != "" {
		size["field"] = s.size
	}
	c := map[string]any{
		"color":   color,
		"size":    size,
		"opacity": 0.8,
		"symbol":  map[string]any{"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
	}
	if s.text != "" {
		c["text"] = map[string]any{"mode": "field", "field": s.text}
		c["textConfig"] = map[string]any{"fontSize": 11, "offsetY": -12, "textAlign": "center", "textBaseline": "middle"}
	}
	return c
}

// location places the rows of a layer by their latitude and longitude fields.
func location(lat, lon string) *common.FrameGeometrySourceBuilder {
	return common.NewFrameGeometrySourceBuilder().
		Mode(common.FrameGeometrySourceModeCoords).
		Latitude(lat).
		Longitude(lon)
}

// markers is a layer with one point per row.
func markers(name, lat, lon string, s style) cog.Builder[common.MapLayerOptions] {
	return common.NewMapLayerOptionsBuilder().
		Type("markers").
		Name(name).
		Location(location(lat, lon)).
		Tooltip(true).
		Config(map[string]any{"showLegend": true, "style": s.config()})
}

// route is a layer that draws the rows of the first frame as one line in row order (the
// plugin sorts fixes by time), with an arrow in the direction of travel.
func route(name, lat, lon string, s style) cog.Builder[common.MapLayerOptions] {
	lineStyle := s.config()
	lineStyle["lineWidth"] = 4
	return common.NewMapLayerOptionsBuilder().
		Type("route").
		Name(name).
		Location(location(lat, lon)).
		Tooltip(true).
		Config(map[string]any{"arrow": 1, "style": lineStyle})
}

// heatmapPanel shows a frame of type heatmap-rows (time, then one numeric field per city) as
// it is: calculate=false, each field one row of cells. The rows are categories, not numeric
// bucket bounds, hence the unknown layout. The tooltip is set explicitly (see mapPanel).
func heatmapPanel(title string, q ftQuery) *heatmap.PanelBuilder {
	return heatmap.NewPanelBuilder().
		Title(title).
		Datasource(flavortrendDS).
		Targets(withRefIDs([]ftQuery{q})).
		Height(10).Span(24).
		Calculate(false).
		RowsFrame(heatmap.NewRowsHeatmapOptionsBuilder().
			Layout(common.HeatmapCellLayoutUnknown).
			Value("pressure")).
		Color(heatmap.NewHeatmapColorOptionsBuilder().
			Mode(heatmap.HeatmapColorModeScheme).
			Scheme("YlOrRd").
			Fill("dark-orange"). // used by the opacity mode only; set so it is not written empty
			Scale(heatmap.HeatmapColorScaleLinear).
			Min(0).Max(100).
			Steps(64)).
		CellGap(1).
		ShowLegend().
		Tooltip(heatmap.NewHeatmapTooltipBuilder().
			Mode(common.TooltipDisplayModeSingle).
			YHistogram(false).
			ShowColorScale(true))
}

// neutral colours values in the text colour: without thresholds Grafana would apply its
// defaults (red from 80), which mean nothing here.
func neutral() *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().
		Mode(dashboard.ThresholdsModeAbsolute).
		Steps([]dashboard.Threshold{{Color: "text"}})
}

// levels colours values green below warn, orange from warn and red from crit (for pressure:
// 75 and 85, SPEC §4.7).
func levels(warn, crit float64) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().
		Mode(dashboard.ThresholdsModeAbsolute).
		Steps([]dashboard.Threshold{{Color: "green"}, {Value: ptr(warn), Color: "orange"}, {Value: ptr(crit), Color: "red"}})
}

func ptr[T any](v T) *T { return &v }

// byThresholds colours by the panel's thresholds.
func byThresholds() *dashboard.FieldColorBuilder {
	return dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)
}

// continuous colours by a gradient from the field's minimum to its maximum (green low, red
// high).
func continuous() *dashboard.FieldColorBuilder {
	return dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdContinuousGrYlRd)
}

// unitOf sets the unit of one column of a table or one series.
func unitOf(unit string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "unit", Value: unit}}
}

// Units used across the dashboards (Grafana unit ids).
const (
	unitTND       = "suffix: TND"
	unitMinutes   = "m"
	unitSeconds   = "s"
	unitPercent   = "percentunit" // a ratio shown as a percent
	unitRatio     = "suffix:×"
	unitCount     = "short"
	unitPerMin    = "suffix: /min"
	unitPerSecond = "cps" // counts per second
	unitKmh       = "velocitykmh"
	unitPressure  = "none"
	unitBytes     = "bytes" // IEC: KiB, MiB, GiB
)

// keepFields keeps the fields whose names match the regular expression, in every frame: for
// answers with more columns than a panel shows, e.g. replay's pressure and breaches.
func keepFields(pattern string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{
		Id:      "filterFieldsByName",
		Options: map[string]any{"include": map[string]any{"pattern": pattern}},
	}
}
