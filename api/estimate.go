package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/flavortrend/flavortrend/enrich/eta"
	"github.com/flavortrend/flavortrend/enrich/features"
	"github.com/flavortrend/flavortrend/enrich/registry"
	"github.com/flavortrend/flavortrend/enrich/scenario"
	"github.com/flavortrend/flavortrend/enrich/weather"
)

// The windows of the estimate's baseline, both ending at the end of the city's latest
// pressure minute: the rates of the last 15 minutes (the window of the pressure's average
// delivery minutes), and the typical order of the last hour.
const (
	estimateRateWindow    = 15 * time.Minute
	estimateTypicalWindow = time.Hour
)

// EstimateInput asks for the impact of a what-if scenario.
type EstimateInput struct {
	Body struct {
		City        string  `json:"city" minLength:"1" maxLength:"64" doc:"The city, by id or name."`
		PromoFactor float64 `json:"promo_factor,omitempty" default:"1" minimum:"1" maximum:"5" doc:"Demand multiplier of a promo, as the promo flag applies it; 1 is no promo."`
		OutageShare float64 `json:"outage_share,omitempty" default:"0" minimum:"0" maximum:"1" doc:"Share of the city's available couriers taken offline; 0 is no outage."`
		Rain        bool    `json:"rain,omitempty" doc:"Rain in the city: the typical order is predicted in rainy weather. false keeps the current weather (a scenario does not stop rain that is falling)."`
	}
}

// EstimateScenario is the scenario estimated, defaults applied.
type EstimateScenario struct {
	PromoFactor float64 `json:"promo_factor" doc:"Demand multiplier, 1–5."`
	OutageShare float64 `json:"outage_share" doc:"Share of the available couriers taken offline, 0–1."`
	Rain        bool    `json:"rain" doc:"Whether the typical order is predicted in rainy weather."`
}

// EstimateObserved are the counts the baseline is computed from.
type EstimateObserved struct {
	OrdersLast15m     int `json:"orders_last_15m" doc:"Orders of the city placed in the 15 minutes before as_of (orders_enriched)."`
	BreachesLast15m   int `json:"breaches_last_15m" doc:"Static SLA violations of the city (at risk or delivered late, sla_violations) observed in the 15 minutes before as_of."`
	DeliveriesLast15m int `json:"deliveries_last_15m" doc:"Orders delivered in the 15 minutes before as_of (city_pressure.deliveries_last_15m); with none, avg_delivery_minutes is the model's typical ETA and pressure has no delay term (SPEC §4.7)."`
}

// EstimateTypical is the typical order of the city that the ETA model is asked about.
type EstimateTypical struct {
	Orders           int     `json:"orders" doc:"Orders of the city placed in the hour before as_of: the medians are theirs (of an even count, the upper of the two middle values)."`
	DistanceKm       float64 `json:"distance_km" doc:"Median distance_km of those orders."`
	ItemsCount       int     `json:"items_count" doc:"Median items_count of those orders."`
	PrepMinutes      float64 `json:"prep_minutes" doc:"Median restaurant_avg_prep_minutes of those orders."`
	HourOfDay        int     `json:"hour_of_day" doc:"Local hour (Africa/Tunis) of the latest pressure minute, as the order features count it (SPEC §4.2); day_of_week, weekend, rush hour and holiday likewise."`
	DayOfWeek        int     `json:"day_of_week" doc:"ISO day of week, 1 = Monday … 7 = Sunday, local."`
	IsWeekend        bool    `json:"is_weekend"`
	IsRushHour       bool    `json:"is_rush_hour"`
	IsHoliday        bool    `json:"is_holiday"`
	WeatherCondition string  `json:"weather_condition" doc:"Weather of the newest of those orders; empty when its city had no observation. A rain scenario predicts with rainy instead, the temperature and precipitation as observed."`
	TemperatureC     float64 `json:"temperature_c"`
	PrecipitationMm  float64 `json:"precipitation_mm"`
	IsRain           bool    `json:"is_rain" doc:"The condition is rainy or stormy (SPEC §4.1)."`
}

// EstimateMetrics describe the city under one scenario: counts are expected values and
// may be fractional; only the pressure is rounded (to 0.1).
type EstimateMetrics struct {
	OpenOrders         float64 `json:"open_orders" doc:"Placed, accepted and picked-up orders. Baseline: city_pressure.open_orders. Predicted: × promo_factor × k, where k = predicted typical_eta_minutes / baseline typical_eta_minutes (Little's law)."`
	AvailableCouriers  float64 `json:"available_couriers" doc:"Couriers not offline with fewer than 3 active deliveries. Baseline: city_pressure.available_couriers. Predicted: × (1 − outage_share)."`
	OrdersPerMinute    float64 `json:"orders_per_minute" doc:"Baseline: orders_last_15m / 15. Predicted: × promo_factor."`
	Pressure           float64 `json:"pressure" doc:"SPEC §4.7 of open_orders, available_couriers and avg_delivery_minutes, 0–100. Predicted: the fixed point where the model's ETA at this pressure gives back this pressure."`
	DemandPerCourier   float64 `json:"demand_per_courier" doc:"open_orders / max(available_couriers, 0.5)."`
	AvgDeliveryMinutes float64 `json:"avg_delivery_minutes" doc:"Baseline: city_pressure.avg_delivery_minutes_15m (the model's typical ETA without deliveries). Predicted: × k."`
	BreachesPerMinute  float64 `json:"breaches_per_minute" doc:"Baseline: breaches_last_15m / 15. Predicted: × promo_factor × q^(1/k − 1), q = breaches / orders per minute (at most 1): delivery times keep their shape and scale by k."`
	TypicalETAMinutes  float64 `json:"typical_eta_minutes" doc:"The promoted model's delivery minutes for the typical order at this pressure (in rain under a rain scenario)."`
}

// Estimate is the impact of a scenario on a city (SPEC §4.11).
type Estimate struct {
	CityID       int32            `json:"city_id"`
	AsOf         time.Time        `json:"as_of" doc:"End of the city's latest city_pressure minute: the baseline is the city then, and the 15-minute and 1-hour windows end here."`
	ModelVersion string           `json:"model_version" doc:"The promoted ETA model that predicted the typical order."`
	Scenario     EstimateScenario `json:"scenario"`
	Observed     EstimateObserved `json:"observed"`
	TypicalOrder EstimateTypical  `json:"typical_order"`
	Baseline     EstimateMetrics  `json:"baseline" doc:"The city at as_of."`
	Predicted    EstimateMetrics  `json:"predicted" doc:"The city as it would settle with the scenario in force."`
	Delta        EstimateMetrics  `json:"delta" doc:"predicted − baseline, field by field (pressure to 0.1). An identity scenario (promo 1, outage 0, no rain) gives zeros."`
}

// EstimateOutput is the estimate.
type EstimateOutput struct {
	Body Estimate
}

func (r registrar) estimate() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "estimate-scenario", Method: http.MethodPost, Path: "/v1/scenarios/estimate",
		Summary: "Estimate a scenario's impact", Tags: []string{"Scenarios"}, Errors: []int{http.StatusConflict},
		Description: "What-if of SPEC §4.11, changing nothing (no token needed): the city's pressure, demand per courier, " +
			"average delivery minutes, breaches per minute and a typical order's ETA, now and with a promo, a courier outage " +
			"and/or rain, by the SPEC §4.7 pressure formula and the promoted ETA model (enrich/scenario states the " +
			"assumptions). The baseline is the city's latest city_pressure minute, with its orders and static SLA " +
			"violations of the 15 minutes before its end, and the typical order of its orders of the hour before " +
			"(median distance, items and preparation minutes; the newest one's weather; the minute's calendar; no courier " +
			"assigned yet, so that waiting for one goes through the pressure). 409 when no ETA model is promoted or the " +
			"promoted one does not fit the features, or the city has no pressure minute or no order in that hour: " +
			"there is then nothing to estimate from, and retrying will not help until that changes."}),
		func(ctx context.Context, in *EstimateInput) (*EstimateOutput, error) {
			b := in.Body
			city, err := r.d.cityID(ctx, b.City)
			if err != nil {
				return nil, asBody(err)
			}
			model, version, err := r.promotedModel(ctx)
			if err != nil {
				return nil, err
			}
			out := &EstimateOutput{}
			e := &out.Body
			e.CityID, e.ModelVersion = city, version
			e.Scenario = EstimateScenario{PromoFactor: b.PromoFactor, OutageShare: b.OutageShare, Rain: b.Rain}
			base, typical, err := r.estimateBaseline(ctx, city, e)
			if err != nil {
				return nil, err
			}
			impact, err := scenario.Estimate(base, scenario.Scenario{PromoFactor: b.PromoFactor, OutageShare: b.OutageShare, Rain: b.Rain},
				typicalOrder{model: model, f: typical})
			if err != nil {
				return nil, fmt.Errorf("estimate city %d: %w", city, err)
			}
			e.Baseline, e.Predicted, e.Delta = EstimateMetrics(impact.Baseline), EstimateMetrics(impact.Predicted), EstimateMetrics(impact.Delta)
			return out, nil
		})
}

// promotedModel loads the promoted ETA model, as the enricher does (watchModels).
func (r registrar) promotedModel(ctx context.Context) (*eta.Model, string, error) {
	version, artefact, err := registry.New(r.d.CH, r.d.CHDatabase).Current(ctx)
	switch {
	case errors.Is(err, registry.ErrNone):
		return nil, "", huma.Error409Conflict("no ETA model is promoted yet: train one (flavortrend train) " +
			"or promote a registered version (POST /v1/models/{version}/promote)")
	case err != nil:
		return nil, "", fmt.Errorf("estimate: %w", err)
	}
	m, err := eta.Load(artefact, features.Names())
	if err != nil {
		return nil, "", huma.Error409Conflict(fmt.Sprintf("the promoted ETA model %s does not fit this build's order features (%v): promote one that does", version, err))
	}
	return m, version, nil
}

// estimateBaseline reads the city's baseline from ClickHouse and fills the estimate's
// as_of, observed counts and typical order; it returns the baseline and the typical
// order's features (its city pressure is set by the predictor).
func (r registrar) estimateBaseline(ctx context.Context, city int32, e *Estimate) (scenario.Baseline, features.Features, error) {
	var b scenario.Baseline
	var (
		minute             time.Time
		open, avail, deliv int32
		avg                float64
	)
	rows, err := r.d.CH.Query(ctx, `SELECT minute, open_orders, available_couriers, avg_delivery_minutes_15m, deliveries_last_15m
		FROM `+r.d.table("city_pressure")+` FINAL WHERE city_id = ? AND _is_deleted = 0 ORDER BY minute DESC LIMIT 1`, city)
	if err != nil {
		return b, features.Features{}, fmt.Errorf("estimate: city pressure: %w", err)
	}
	found := rows.Next()
	if found {
		err = rows.Scan(&minute, &open, &avail, &avg, &deliv)
	}
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	switch {
	case err != nil:
		return b, features.Features{}, fmt.Errorf("estimate: city pressure: %w", err)
	case !found:
		return b, features.Features{}, huma.Error409Conflict(fmt.Sprintf("no city pressure has been published for city %d: the estimate starts from its latest minute", city))
	}
	end := minute.UTC().Add(time.Minute)
	e.AsOf = end

	var (
		orders15, orders uint64
		distance, prep   float64
		items            int64
	)
	if err := r.d.CH.QueryRow(ctx, `SELECT countIf(placed_at >= ?), count(), quantileExact(0.5)(distance_km),
			quantileExact(0.5)(items_count), quantileExact(0.5)(restaurant_avg_prep_minutes)
		FROM `+r.d.table("orders_enriched")+` FINAL
		WHERE city_id = ? AND _is_deleted = 0 AND placed_at >= ? AND placed_at < ?`,
		end.Add(-estimateRateWindow), city, end.Add(-estimateTypicalWindow), end).Scan(&orders15, &orders, &distance, &items, &prep); err != nil {
		return b, features.Features{}, fmt.Errorf("estimate: orders: %w", err)
	}
	if orders == 0 {
		return b, features.Features{}, huma.Error409Conflict(fmt.Sprintf("city %d placed no order in the hour before %s: there is no typical order to predict",
			city, end.Format(time.RFC3339)))
	}
	var w weather.Observation
	if err := r.d.CH.QueryRow(ctx, `SELECT weather_condition, temperature_c, precipitation_mm
		FROM `+r.d.table("orders_enriched")+` FINAL
		WHERE city_id = ? AND _is_deleted = 0 AND placed_at >= ? AND placed_at < ?
		ORDER BY placed_at DESC, order_id DESC LIMIT 1`,
		city, end.Add(-estimateTypicalWindow), end).Scan(&w.Condition, &w.TemperatureC, &w.PrecipitationMm); err != nil {
		return b, features.Features{}, fmt.Errorf("estimate: weather: %w", err)
	}
	var breaches uint64
	if err := r.d.CH.QueryRow(ctx, `SELECT count() FROM `+r.d.table("sla_violations")+` FINAL
		WHERE city_id = ? AND _is_deleted = 0 AND observed_at >= ? AND observed_at < ?`,
		city, end.Add(-estimateRateWindow), end).Scan(&breaches); err != nil {
		return b, features.Features{}, fmt.Errorf("estimate: breaches: %w", err)
	}

	// The typical order is placed in the latest minute: features.Compute gives it the
	// enricher's calendar and weather features; its distance is the median's.
	f := features.Compute(features.Input{PlacedAt: minute, ItemsCount: int(items), RestaurantAvgPrepMinutes: prep,
		Weather: w, HasWeather: w.Condition != ""})
	f.DistanceKm = distance

	rate := estimateRateWindow.Minutes()
	b = scenario.Baseline{
		OpenOrders: int(open), AvailableCouriers: int(avail), OrdersPerMinute: float64(orders15) / rate,
		AvgDeliveryMinutes: avg, HaveDeliveries: deliv > 0, BreachesPerMinute: float64(breaches) / rate,
		Typical: scenario.Typical{DistanceKm: f.DistanceKm, PrepMinutes: f.RestaurantAvgPrepMinutes, Rain: f.IsRain, RushHour: f.IsRushHour},
	}
	e.Observed = EstimateObserved{OrdersLast15m: int(orders15), BreachesLast15m: int(breaches), DeliveriesLast15m: int(deliv)}
	e.TypicalOrder = EstimateTypical{Orders: int(orders), DistanceKm: f.DistanceKm, ItemsCount: f.ItemsCount, PrepMinutes: f.RestaurantAvgPrepMinutes,
		HourOfDay: f.HourOfDay, DayOfWeek: f.DayOfWeek, IsWeekend: f.IsWeekend, IsRushHour: f.IsRushHour, IsHoliday: f.IsHoliday,
		WeatherCondition: f.WeatherCondition, TemperatureC: f.TemperatureC, PrecipitationMm: f.PrecipitationMm, IsRain: f.IsRain}
	return b, f, nil
}

// typicalOrder adapts the promoted ETA model to scenario.Predictor: the typical order's
// features with what the scenario varies filled in — distance, preparation, rush hour and
// city pressure, and rainy weather when the scenario brings rain to a dry city (the
// observed temperature and precipitation are kept: the estimate invents no amount).
type typicalOrder struct {
	model *eta.Model
	f     features.Features
}

// PredictMinutes is the model's delivery minutes for the typical order o.
func (t typicalOrder) PredictMinutes(o scenario.Order) float64 {
	f := t.f
	f.DistanceKm, f.RestaurantAvgPrepMinutes, f.IsRushHour, f.CityPressure = o.DistanceKm, o.PrepMinutes, o.RushHour, o.Pressure
	if o.Rain && !f.IsRain {
		f.WeatherCondition, f.IsRain = weather.Rainy, true
	}
	return t.model.Predict(f.Vector())
}
