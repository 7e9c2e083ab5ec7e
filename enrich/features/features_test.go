package features

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/enrich/weather"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCalendarFeatures(t *testing.T) {
	tests := []struct {
		name                   string
		placed                 string // UTC; local time is UTC+1
		hour, dow              int
		rush, weekend, holiday bool
	}{
		// Friday 14 March 2025.
		{"11:59 local", "2025-03-14T10:59:00Z", 11, 5, false, false, false},
		{"12:00 local", "2025-03-14T11:00:00Z", 12, 5, true, false, false},
		{"13:59 local", "2025-03-14T12:59:00Z", 13, 5, true, false, false},
		{"14:00 local", "2025-03-14T13:00:00Z", 14, 5, false, false, false},
		{"18:59 local", "2025-03-14T17:59:00Z", 18, 5, false, false, false},
		{"19:00 local", "2025-03-14T18:00:00Z", 19, 5, true, false, false},
		{"20:59 local", "2025-03-14T19:59:00Z", 20, 5, true, false, false},
		{"21:00 local", "2025-03-14T20:00:00Z", 21, 5, false, false, false},
		{"Saturday 00:30 local, Friday in UTC", "2025-03-14T23:30:00Z", 0, 6, false, true, false},
		{"Sunday lunch", "2025-03-16T11:15:00Z", 12, 7, true, true, false},
		{"Monday", "2025-03-17T08:00:00Z", 9, 1, false, false, false},
		{"Independence Day, a Thursday", "2025-03-20T18:30:00Z", 19, 4, true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Compute(Input{PlacedAt: utc(tt.placed)})
			if f.HourOfDay != tt.hour || f.DayOfWeek != tt.dow {
				t.Errorf("hour %d day %d, want %d %d", f.HourOfDay, f.DayOfWeek, tt.hour, tt.dow)
			}
			if f.IsRushHour != tt.rush || f.IsWeekend != tt.weekend || f.IsHoliday != tt.holiday {
				t.Errorf("rush %v weekend %v holiday %v, want %v %v %v",
					f.IsRushHour, f.IsWeekend, f.IsHoliday, tt.rush, tt.weekend, tt.holiday)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64
	}{
		// One degree of a great circle is 2πR/360 = π · 6371.0088 / 180 = 111.1951 km.
		{"one degree along a meridian", 36, 10, 37, 10, 111.1951, 0.001},
		{"one degree along the equator", 0, 10, 0, 11, 111.1951, 0.001},
		{"same point", 36.8, 10.18, 36.8, 10.18, 0, 0},
		// Tunis (36.8008, 10.18) to Sousse (35.8256, 10.6084): Δφ = 0.9752°, Δλ = 0.4284°,
		// a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) = 8.1496e-5, d = 2R asin √a = 115.03 km.
		{"Tunis to Sousse", 36.8008, 10.18, 35.8256, 10.6084, 115.03, 0.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Compute(Input{RestaurantLat: tt.lat1, RestaurantLon: tt.lon1, DropLat: tt.lat2, DropLon: tt.lon2})
			if math.Abs(f.DistanceKm-tt.want) > tt.tol {
				t.Errorf("distance %.4f km, want %.4f ± %v", f.DistanceKm, tt.want, tt.tol)
			}
		})
	}
}

// order is an order placed on Saturday 13 August 2022 (Women's Day) at 12:30 local,
// 2 km north of its restaurant, with a courier and rain.
var order = Input{
	PlacedAt:      utc("2022-08-13T11:30:00Z"),
	RestaurantLat: 36.8, RestaurantLon: 10.18,
	DropLat: 36.8 + 2/111.1951, DropLon: 10.18,
	ItemsCount: 3,
	Weather: weather.Observation{ID: 9, CityID: 1, ObservedAt: utc("2022-08-13T11:25:00Z"),
		Condition: "stormy", TemperatureC: 24.5, PrecipitationMm: 7.5, WindKmh: 60},
	HasWeather:               true,
	RestaurantAvgPrepMinutes: 14.5,
	HasCourier:               true,
	CourierVehicle:           "motorcycle",
	CourierSpeedFactor:       1.1,
	CourierActiveDeliveries:  2,
	CityPressure:             62.3,
}

func TestComputeAndVector(t *testing.T) {
	f := Compute(order)
	want := Features{
		DistanceKm: 2, HourOfDay: 12, DayOfWeek: 6, IsWeekend: true, IsRushHour: true, IsHoliday: true,
		ItemsCount: 3, RestaurantAvgPrepMinutes: 14.5,
		HasCourier: true, CourierVehicle: "motorcycle", CourierSpeedFactor: 1.1, CourierActiveDeliveries: 2,
		WeatherCondition: "stormy", TemperatureC: 24.5, PrecipitationMm: 7.5, IsRain: true,
		CityPressure: 62.3,
	}
	if math.Abs(f.DistanceKm-2) > 1e-6 {
		t.Errorf("distance %v, want 2", f.DistanceKm)
	}
	f.DistanceKm = 2
	if f != want {
		t.Errorf("Compute =\n%+v\nwant\n%+v", f, want)
	}
	got := f.Vector()
	wantVec := []float64{
		2, 12, 6, 1, 1, 1, 3, 14.5, // distance … prep
		1, 1.1, 2, // has_courier, speed factor, active deliveries
		0, 0, 1, 0, // bicycle, scooter, motorcycle, car
		24.5, 7.5, 1, // temperature, precipitation, is_rain
		0, 0, 0, 1, 0, 0, 0, 0, // sunny, cloudy, rainy, stormy, windy, fog, hot, sandstorm
		62.3,
	}
	if !slices.Equal(got, wantVec) {
		t.Errorf("Vector =\n%v\nwant\n%v", got, wantVec)
	}
}

func TestOneHot(t *testing.T) {
	names := Names()
	index := func(name string) int {
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("no component %q", name)
		}
		return i
	}
	sum := func(v []float64, prefix string) (s float64) {
		for i, n := range names {
			if len(n) > len(prefix) && n[:len(prefix)] == prefix {
				s += v[i]
			}
		}
		return s
	}
	for _, vehicle := range Vehicles() {
		in := order
		in.CourierVehicle = vehicle
		v := Compute(in).Vector()
		if v[index("courier_vehicle_"+vehicle)] != 1 || sum(v, "courier_vehicle_") != 1 {
			t.Errorf("%s: vehicle one-hot is not exactly its own component", vehicle)
		}
	}
	for _, c := range weather.Conditions() {
		in := order
		in.Weather.Condition = c
		v := Compute(in).Vector()
		if v[index("weather_condition_"+c)] != 1 || sum(v, "weather_condition_") != 1 {
			t.Errorf("%s: condition one-hot is not exactly its own component", c)
		}
		if want := bit(c == "rainy" || c == "stormy"); v[index("is_rain")] != want {
			t.Errorf("%s: is_rain %v", c, v[index("is_rain")])
		}
	}
	// Unknown values and missing courier or weather: all zero.
	for _, in := range []Input{
		func() Input { in := order; in.CourierVehicle = "truck"; in.Weather.Condition = "snow"; return in }(),
		func() Input { in := order; in.HasCourier = false; in.HasWeather = false; return in }(),
	} {
		v := Compute(in).Vector()
		if sum(v, "courier_vehicle_") != 0 || sum(v, "weather_condition_") != 0 {
			t.Errorf("one-hot of %q / %q is not all zero", in.CourierVehicle, in.Weather.Condition)
		}
	}
}

func TestUnknownCourierAndWeather(t *testing.T) {
	in := order
	in.HasCourier = false
	in.HasWeather = false
	f := Compute(in)
	if f.HasCourier || f.CourierVehicle != "" || f.CourierSpeedFactor != 0 || f.CourierActiveDeliveries != 0 {
		t.Errorf("courier fields set without a courier: %+v", f)
	}
	if f.WeatherCondition != "" || f.TemperatureC != 0 || f.PrecipitationMm != 0 || f.IsRain {
		t.Errorf("weather fields set without weather: %+v", f)
	}
	v := f.Vector()
	if v[slices.Index(Names(), "has_courier")] != 0 {
		t.Error("has_courier is not 0")
	}
}

func TestNames(t *testing.T) {
	names := Names()
	if len(names) != 27 || len(Compute(order).Vector()) != len(names) {
		t.Fatalf("%d names, %d components, want 27", len(names), len(Compute(order).Vector()))
	}
	// Spot-check the documented positions.
	for i, n := range map[int]string{0: "distance_km", 8: "has_courier", 11: "courier_vehicle_bicycle",
		14: "courier_vehicle_car", 17: "is_rain", 18: "weather_condition_sunny",
		25: "weather_condition_sandstorm", 26: "city_pressure"} {
		if names[i] != n {
			t.Errorf("component %d is %q, want %q", i, names[i], n)
		}
	}
	names[0] = "changed"
	if Names()[0] != "distance_km" {
		t.Error("Names returns the package's own slice")
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(Compute(Input{PlacedAt: utc("2025-03-14T08:00:00Z")}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"distance_km":0,"hour_of_day":9,"day_of_week":5,"is_weekend":false,"is_rush_hour":false,` +
		`"is_holiday":false,"items_count":0,"restaurant_avg_prep_minutes":0,"has_courier":false,` +
		`"courier_vehicle":"","courier_speed_factor":0,"courier_active_deliveries":0,` +
		`"weather_condition":"","temperature_c":0,"precipitation_mm":0,"is_rain":false,"city_pressure":0}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}
