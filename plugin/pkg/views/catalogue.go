package views

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/plugin/pkg/frames"
	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// catalogue is every query type read through the API (docs/grafana.md).
var catalogue = map[query.Type]view{
	query.KPIs:                 {path: "/v1/kpis", params: window | city, frames: one[api.KPIsOutput]},
	query.PipelineFreshness:    {path: "/v1/kpis", params: city, frames: freshness},
	query.LiveOrders:           {path: "/v1/orders/live", params: city | limit | maxAge, frames: list[api.LiveOrder]("orders")},
	query.SLAViolations:        {path: "/v1/sla/violations", params: window | city | limit | kind, frames: list[api.SLAViolation]("violations")},
	query.SLADynamicViolations: {path: "/v1/sla/dynamic-violations", params: window | city | limit, frames: list[api.DynamicViolation]("violations")},
	query.SLADynamicSummary:    {path: "/v1/sla/dynamic-summary", params: window | city, frames: one[api.DynamicSummaryOutput]},
	query.ModelHealth: {path: "/v1/models/health", params: window | city,
		frames: listAndSummary[api.ModelHealthBucket, api.ModelHealthOutput]("buckets")},
	query.PressureTop:     {path: "/v1/pressure/top", params: window | limit, frames: list[api.CityPressureRank]("cities")},
	query.PressureSeries:  {path: "/v1/pressure/series", params: window | needCity, frames: list[api.PressurePoint]("points")},
	query.Heatmap:         {path: "/v1/heatmap", params: window | bucket, frames: heatmapRows},
	query.HeatmapReplay:   {path: "/v1/heatmap", params: window | bucket, frames: heatmapRows},
	query.Replay:          {path: "/v1/replay", params: window | needCity, frames: replay},
	query.OperatorActions: {path: "/v1/actions", params: window | city | limit, frames: list[api.OperatorAction]("actions")},
	query.AlertsActive:    {path: "/v1/alerts/active", params: city, frames: array[api.ActiveAlert]},
	query.Recommendations: {path: "/v1/recommendations", params: window | city | status | limit, frames: array[api.Recommendation]},
	query.Scenarios:       {path: "/v1/scenarios", params: status | limit, frames: array[api.Flag]},
	query.ScenarioEstimate: {method: http.MethodPost, path: "/v1/scenarios/estimate", params: needCity,
		frames: one[api.EstimateOutput]},
	query.RestaurantsLive:    {path: "/v1/restaurants/live", params: city | limit, frames: list[api.LiveRestaurant]("restaurants")},
	query.RestaurantTrend:    {path: "/v1/restaurants/{id}/trend", params: window, frames: list[api.RestaurantTrendPoint]("points")},
	query.RestaurantLoadMap:  {path: "/v1/restaurants/load-map", params: city, frames: list[api.LoadMapPoint]("restaurants")},
	query.CouriersLive:       {path: "/v1/couriers/live", params: city | limit, frames: list[api.LiveCourier]("couriers")},
	query.Sentiment:          {path: "/v1/sentiment", params: window | city | kind | limit, frames: list[api.EntitySentiment]("entities")},
	query.Revenue:            {path: "/v1/revenue", params: window | city, frames: one[api.RevenueOutput]},
	query.RevenueByCity:      {path: "/v1/revenue/by-city", params: window, frames: list[api.CityRevenue]("cities")},
	query.RevenueWeekly:      {path: "/v1/revenue/weekly", params: weeks | city, frames: list[api.WeekRevenue]("weeks")},
	query.RevenueMonthToDate: {path: "/v1/revenue/month-to-date", params: city | target, frames: one[api.MonthToDateOutput]},
	query.TopRestaurants:     {path: "/v1/top/restaurants", params: window | city | limit, frames: list[api.TopRestaurant]("restaurants")},
	query.TopCouriers:        {path: "/v1/top/couriers", params: window | city | limit, frames: list[api.TopCourier]("couriers")},
	query.TopDishes:          {path: "/v1/top/dishes", params: window | city | limit, frames: list[api.TopDish]("dishes")},
	query.WeatherOrders:      {path: "/v1/weather/orders", params: window | city, frames: list[api.ConditionOrders]("conditions")},
	query.WeatherImpact: {path: "/v1/weather/impact", params: window | city,
		frames: listAndSummary[api.ImpactCell, api.WeatherImpactOutput]("cells")},
	query.WeatherCityHeat: {path: "/v1/weather/city-heat", frames: list[api.CityWeather]("cities")},
	query.RouteOrder:      {path: "/v1/routes/orders/{id}", frames: list[api.RouteFix]("fixes")},
	query.RouteReplay:     {path: "/v1/routes/orders/{id}", frames: list[api.RouteFix]("fixes")},
	query.RouteCourier:    {path: "/v1/routes/couriers/{id}", params: window | limit, frames: list[api.RouteFix]("fixes")},
	query.RoutesActive:    {path: "/v1/routes/active", params: city | limit | maxAge, frames: list[api.ActiveRoute]("orders")},
	query.RoutesRecent:    {path: "/v1/routes/recent", params: city | limit, frames: list[api.RecentRoute]("orders")},
	query.Models:          {path: "/v1/models", params: limit, frames: list[api.RegisteredModel]("models")},
}

// list is a frame of the answer's member key, a list of T, named after the query type.
func list[T any](key string) func(query.Type, []byte) (data.Frames, error) {
	return func(t query.Type, body []byte) (data.Frames, error) {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(body, &members); err != nil {
			return nil, err
		}
		var items []T
		if raw, ok := members[key]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
		f, err := frames.FromSlice(string(t), items)
		return data.Frames{f}, err
	}
}

// array is a frame of an answer that is a list of T.
func array[T any](t query.Type, body []byte) (data.Frames, error) {
	var items []T
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, err
	}
	f, err := frames.FromSlice(string(t), items)
	return data.Frames{f}, err
}

// one is a one-row frame of an answer, the Body of the API's output type O.
func one[O any](t query.Type, body []byte) (data.Frames, error) {
	b, err := decodeBody[O](body)
	if err != nil {
		return nil, err
	}
	f, err := frames.Scalars(string(t), b)
	return data.Frames{f}, err
}

// listAndSummary is list's frame, then a one-row frame "<type>_summary" of the answer's other
// members (e.g. the latest MAE beside the buckets).
func listAndSummary[T, O any](key string) func(query.Type, []byte) (data.Frames, error) {
	return func(t query.Type, body []byte) (data.Frames, error) {
		fs, err := list[T](key)(t, body)
		if err != nil {
			return nil, err
		}
		b, err := decodeBody[O](body)
		if err != nil {
			return nil, err
		}
		f, err := frames.Scalars(string(t)+"_summary", b)
		return append(fs, f), err
	}
}

// decodeBody decodes an answer into the Body field of the API output type O.
func decodeBody[O any](body []byte) (any, error) {
	bt, ok := reflect.TypeFor[O]().FieldByName("Body")
	if !ok {
		return nil, fmt.Errorf("%s has no Body", reflect.TypeFor[O]())
	}
	p := reflect.New(bt.Type)
	if err := json.Unmarshal(body, p.Interface()); err != nil {
		return nil, err
	}
	return p.Elem().Interface(), nil
}

// freshness is one point of pipeline freshness: now, and the seconds since the newest
// source commit in the orders mirror.
func freshness(t query.Type, body []byte) (data.Frames, error) {
	var k api.KPIs
	if err := json.Unmarshal(body, &k); err != nil {
		return nil, err
	}
	f := data.NewFrame(string(t),
		data.NewField("time", nil, []time.Time{k.AsOf}),
		data.NewField("freshness_seconds", nil, []*float64{k.Freshness.Seconds}),
		data.NewField("newest_source_commit", nil, []*time.Time{k.Freshness.NewestSourceCommit}))
	return data.Frames{f}, nil
}

// heatmapRows is the cities × buckets pressure grid as Grafana's heatmap-rows frame: a time
// field (the buckets' starts, with the bucket width as its interval), then one pressure
// field per city, named after it.
func heatmapRows(t query.Type, body []byte) (data.Frames, error) {
	var h api.Heatmap
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, err
	}
	return data.Frames{HeatmapFrame(string(t), h)}, nil
}

// HeatmapFrame builds the heatmap-rows frame of h (also each step of the heatmap replay).
func HeatmapFrame(name string, h api.Heatmap) *data.Frame {
	times := data.NewField("time", nil, h.Minutes)
	if width, err := api.ParseSpan(h.Bucket); err == nil {
		// Grafana's heatmap takes a column's width from its time field's interval.
		times.Config = &data.FieldConfig{Interval: float64(width.Milliseconds())}
	}
	f := data.NewFrame(name, times)
	for _, c := range h.Cities {
		label := c.CityName
		if label == "" {
			label = fmt.Sprintf("city %d", c.CityID)
		}
		f.Fields = append(f.Fields, data.NewField(label, data.Labels{"city_id": fmt.Sprint(c.CityID)}, c.Pressure))
	}
	f.Meta = &data.FrameMeta{Type: data.FrameType("heatmap-rows"), TypeVersion: data.FrameTypeVersion{0, 1}}
	return f
}

// replay is a city's story: its pressure per minute, its SLA breaches per minute and the
// operator actions about it (for annotations).
func replay(t query.Type, body []byte) (data.Frames, error) {
	var rp api.Replay
	if err := json.Unmarshal(body, &rp); err != nil {
		return nil, err
	}
	var out data.Frames
	for _, part := range []struct {
		name string
		rows any
	}{{"pressure", rp.Pressure}, {"breaches", rp.Breaches}, {"actions", rp.Actions}} {
		f, err := frames.FromSlice(strings.Join([]string{string(t), part.name}, "_"), part.rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
