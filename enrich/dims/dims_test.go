package dims_test

import (
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/enrich/dims"
	"github.com/flavortrend/flavortrend/enrich/weather"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

func decode(t *testing.T, key, value string) debezium.Event {
	t.Helper()
	ev, err := debezium.Decode([]byte(key), []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

const source = `"source":{"table":"t","lsn":1,"ts_ms":1}`

func TestRestaurants(t *testing.T) {
	r := dims.NewRestaurants()
	if err := r.Apply(ptr(decode(t, `{"id":7}`, `{"op":"r",`+source+`,"after":{"id":7,"city_id":3,"name":"R","lat":36.8,"lon":10.18,"avg_prep_minutes":"12.50"}}`))); err != nil {
		t.Fatal(err)
	}
	got, ok := r.Get(7)
	if want := (dims.Restaurant{ID: 7, CityID: 3, Lat: 36.8, Lon: 10.18, AvgPrepMinutes: 12.5}); !ok || got != want {
		t.Errorf("restaurant 7 = %+v %v, want %+v", got, ok, want)
	}
	if err := r.Apply(ptr(decode(t, `{"id":7}`, `{"op":"u",`+source+`,"after":{"id":7,"city_id":3,"lat":36.8,"lon":10.18,"avg_prep_minutes":"bad"}}`))); err == nil {
		t.Error("a bad avg_prep_minutes was accepted")
	}
	if err := r.Apply(ptr(decode(t, `{"id":7}`, `{"op":"d",`+source+`,"before":{"id":7}}`))); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get(7); ok {
		t.Error("restaurant 7 still there after its delete")
	}
}

func TestWeather(t *testing.T) {
	var s weather.Store
	apply := dims.Weather(&s)
	if err := apply(ptr(decode(t, `{"id":1}`, `{"op":"c",`+source+`,"after":{"id":1,"city_id":2,"observed_at":"2026-11-20T10:55:00.000000Z",
		"condition":"rainy","temperature_c":"18.5","precipitation_mm":"2.0","wind_kmh":"10.0"}}`))); err != nil {
		t.Fatal(err)
	}
	o, ok := s.At(2, time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC))
	if !ok || o.ID != 1 || o.Condition != "rainy" || o.TemperatureC != 18.5 || o.PrecipitationMm != 2 || o.WindKmh != 10 {
		t.Errorf("weather at 11:00 = %+v %v", o, ok)
	}
	if err := apply(ptr(decode(t, `{"id":2}`, `{"op":"c",`+source+`,"after":{"id":2,"city_id":2,"observed_at":"yesterday",
		"condition":"rainy","temperature_c":"18.5","precipitation_mm":"2.0","wind_kmh":"10.0"}}`))); err == nil {
		t.Error("a bad observed_at was accepted")
	}
}

func ptr(ev debezium.Event) *debezium.Event { return &ev }
