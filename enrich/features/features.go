// Package features computes an order's features at placement (SPEC §4.2), the values the
// order enricher attaches to orders.enriched and the ETA model (package eta) predicts
// from. Compute is pure: the live values (restaurant prep, courier, city pressure, the
// weather of the as-of join) are looked up by the caller and passed in, and time is the
// order's placed_at, never the clock.
//
// SPEC §4.2: "distance_km (haversine restaurant → drop-off), hour of day and day of week
// in local time, is_weekend, is_rush_hour (12:00–14:00 and 19:00–21:00 local), is_holiday,
// items_count, restaurant avg prep (live feature), courier vehicle/speed factor/active
// deliveries (live feature), weather condition, temperature, precipitation, city pressure
// at placement."
package features

import (
	"slices"
	"time"

	"github.com/flavortrend/flavortrend/enrich/weather"
	"github.com/flavortrend/flavortrend/generate/geo"
	"github.com/flavortrend/flavortrend/internal/calendar"
)

// Vehicles returns the courier vehicles in the order of the couriers.vehicle CHECK
// constraint: bicycle, scooter, motorcycle, car. The order is part of the feature
// vector: do not reorder.
func Vehicles() []string { return slices.Clone(vehicles[:]) }

var vehicles = [...]string{"bicycle", "scooter", "motorcycle", "car"}

// conditions is weather.Conditions(), read once for the vector's one-hot encoding.
var conditions = weather.Conditions()

// Input is what the enricher knows about an order when it is placed.
type Input struct {
	PlacedAt                     time.Time // orders.placed_at
	RestaurantLat, RestaurantLon float64   // restaurants.lat, lon
	DropLat, DropLon             float64   // orders.drop_lat, drop_lon
	ItemsCount                   int       // orders.items_count

	// Weather is the as-of observation of the order's city at placed_at (package weather);
	// HasWeather is false when the city had none yet, and Weather is then ignored.
	Weather    weather.Observation
	HasWeather bool

	// RestaurantAvgPrepMinutes is the restaurant's live avg_prep_minutes_last_hour
	// (SPEC §4.6), or its profile's avg_prep_minutes when it has no recent pickup.
	RestaurantAvgPrepMinutes float64

	// The assigned courier's live features (SPEC §4.5). At placement no courier is
	// assigned yet in general: HasCourier is then false and the courier fields are
	// ignored.
	HasCourier              bool
	CourierVehicle          string  // couriers.vehicle, one of Vehicles()
	CourierSpeedFactor      float64 // couriers.speed_factor
	CourierActiveDeliveries int     // active_deliveries, SPEC §4.5

	// CityPressure is the city's latest pressure (SPEC §4.7, 0–100) at placed_at.
	CityPressure float64
}

// Features are the SPEC §4.2 features of one order, as carried in orders.enriched.
// Unknown parts are zero values: the courier fields when HasCourier is false; the weather
// fields (WeatherCondition "", IsRain false, zeros) when no observation was found.
type Features struct {
	// DistanceKm = haversine(restaurant, drop-off), great-circle km (geo.HaversineKm).
	DistanceKm float64 `json:"distance_km"`
	// HourOfDay is placed_at's hour in local time (Africa/Tunis, UTC+1), 0–23.
	HourOfDay int `json:"hour_of_day"`
	// DayOfWeek is placed_at's local day of week, ISO numbering: 1 = Monday … 7 = Sunday
	// (as ClickHouse's toDayOfWeek and PostgreSQL's isodow).
	DayOfWeek  int  `json:"day_of_week"`
	IsWeekend  bool `json:"is_weekend"`   // Saturday or Sunday, local
	IsRushHour bool `json:"is_rush_hour"` // 12:00–14:00 or 19:00–21:00 local, end excluded
	IsHoliday  bool `json:"is_holiday"`   // a fixed-date public holiday, local date
	ItemsCount int  `json:"items_count"`

	RestaurantAvgPrepMinutes float64 `json:"restaurant_avg_prep_minutes"`

	HasCourier              bool    `json:"has_courier"`
	CourierVehicle          string  `json:"courier_vehicle"`
	CourierSpeedFactor      float64 `json:"courier_speed_factor"`
	CourierActiveDeliveries int     `json:"courier_active_deliveries"`

	WeatherCondition string  `json:"weather_condition"`
	TemperatureC     float64 `json:"temperature_c"`
	PrecipitationMm  float64 `json:"precipitation_mm"`
	IsRain           bool    `json:"is_rain"` // SPEC §4.1: condition ∈ {rainy, stormy}

	CityPressure float64 `json:"city_pressure"`
}

// Compute derives the features of an order from what is known at its placement. The
// calendar features use placed_at in local time (package calendar), so an order placed
// at 11:30 UTC is in the 12:00 local lunch rush.
func Compute(in Input) Features {
	local := in.PlacedAt.In(calendar.Tunis)
	f := Features{
		DistanceKm:               geo.HaversineKm(in.RestaurantLat, in.RestaurantLon, in.DropLat, in.DropLon),
		HourOfDay:                local.Hour(),
		DayOfWeek:                isoWeekday(local.Weekday()),
		IsWeekend:                calendar.IsWeekend(in.PlacedAt),
		IsRushHour:               calendar.IsRushHour(in.PlacedAt),
		IsHoliday:                calendar.IsHoliday(in.PlacedAt),
		ItemsCount:               in.ItemsCount,
		RestaurantAvgPrepMinutes: in.RestaurantAvgPrepMinutes,
		CityPressure:             in.CityPressure,
	}
	if in.HasCourier {
		f.HasCourier = true
		f.CourierVehicle = in.CourierVehicle
		f.CourierSpeedFactor = in.CourierSpeedFactor
		f.CourierActiveDeliveries = in.CourierActiveDeliveries
	}
	if in.HasWeather {
		f.WeatherCondition = in.Weather.Condition
		f.TemperatureC = in.Weather.TemperatureC
		f.PrecipitationMm = in.Weather.PrecipitationMm
		f.IsRain = weather.IsRain(in.Weather.Condition)
	}
	return f
}

// isoWeekday maps Go's Sunday = 0 … Saturday = 6 to ISO Monday = 1 … Sunday = 7.
func isoWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// names is the feature vector's layout; Vector fills it in the same order.
var names = func() []string {
	n := []string{
		"distance_km",
		"hour_of_day",
		"day_of_week",
		"is_weekend",
		"is_rush_hour",
		"is_holiday",
		"items_count",
		"restaurant_avg_prep_minutes",
		"has_courier",
		"courier_speed_factor",
		"courier_active_deliveries",
	}
	for _, v := range vehicles {
		n = append(n, "courier_vehicle_"+v)
	}
	n = append(n, "temperature_c", "precipitation_mm", "is_rain")
	for _, c := range conditions {
		n = append(n, "weather_condition_"+c)
	}
	return append(n, "city_pressure")
}()

// Names returns the names of the feature vector's components, in Vector's order. The
// layout is a contract with the ETA model, which records the names it was trained on:
// change it only by appending, and retrain. The 27 components:
//
//	 0 distance_km                  km, haversine restaurant → drop-off
//	 1 hour_of_day                  0–23, local
//	 2 day_of_week                  1 = Monday … 7 = Sunday, local
//	 3 is_weekend                   0 or 1
//	 4 is_rush_hour                 0 or 1
//	 5 is_holiday                   0 or 1
//	 6 items_count                  items in the order
//	 7 restaurant_avg_prep_minutes  minutes
//	 8 has_courier                  1 when a courier was known at placement
//	 9 courier_speed_factor         0 without a courier
//	10 courier_active_deliveries    0 without a courier
//	11 courier_vehicle_bicycle      one-hot of the vehicle (all 0 without a
//	12 courier_vehicle_scooter        courier or for an unknown vehicle)
//	13 courier_vehicle_motorcycle
//	14 courier_vehicle_car
//	15 temperature_c                °C, 0 without weather
//	16 precipitation_mm             mm over the last hour, 0 without weather
//	17 is_rain                      0 or 1
//	18 weather_condition_sunny      one-hot of the condition (all 0 without an
//	19 weather_condition_cloudy       observation or for an unknown condition)
//	20 weather_condition_rainy
//	21 weather_condition_stormy
//	22 weather_condition_windy
//	23 weather_condition_fog
//	24 weather_condition_hot
//	25 weather_condition_sandstorm
//	26 city_pressure                0–100
func Names() []string { return slices.Clone(names) }

// Vector is f as numbers, in the order of Names: booleans are 0 or 1, the vehicle and
// the weather condition are one-hot encoded.
func (f Features) Vector() []float64 {
	v := make([]float64, 0, len(names))
	v = append(v,
		f.DistanceKm,
		float64(f.HourOfDay),
		float64(f.DayOfWeek),
		bit(f.IsWeekend),
		bit(f.IsRushHour),
		bit(f.IsHoliday),
		float64(f.ItemsCount),
		f.RestaurantAvgPrepMinutes,
		bit(f.HasCourier),
		f.CourierSpeedFactor,
		float64(f.CourierActiveDeliveries),
	)
	for _, x := range vehicles {
		v = append(v, bit(f.CourierVehicle == x))
	}
	v = append(v, f.TemperatureC, f.PrecipitationMm, bit(f.IsRain))
	for _, c := range conditions {
		v = append(v, bit(f.WeatherCondition == c))
	}
	return append(v, f.CityPressure)
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
