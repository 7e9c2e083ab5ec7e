package dims_test

import (
	"strings"
	"testing"

	"github.com/flavortrend/flavortrend/enrich/dims"
	"github.com/flavortrend/flavortrend/enrich/weather"
)

// TestNonFiniteNumbersRefused: a NaN or ±Infinity in a numeric column (the connector
// writes them as strings) is refused with the column named, and the restaurant keeps its
// last good row; a weather observation with one is refused too.
func TestNonFiniteNumbersRefused(t *testing.T) {
	r := dims.NewRestaurants()
	good := `{"op":"r",` + source + `,"after":{"id":7,"city_id":3,"lat":36.8,"lon":10.18,"avg_prep_minutes":"12.50"}}`
	if err := r.Apply(ptr(decode(t, `{"id":7}`, good))); err != nil {
		t.Fatal(err)
	}
	for col, row := range map[string]string{
		"lat":              `"lat":"NaN","lon":10.18,"avg_prep_minutes":"12.50"`,
		"lon":              `"lat":36.8,"lon":"-Infinity","avg_prep_minutes":"12.50"`,
		"avg_prep_minutes": `"lat":36.8,"lon":10.18,"avg_prep_minutes":"Infinity"`,
	} {
		err := r.Apply(ptr(decode(t, `{"id":7}`, `{"op":"u",`+source+`,"after":{"id":7,"city_id":3,`+row+`}}`)))
		if err == nil || !strings.Contains(err.Error(), col+": not a finite number") {
			t.Errorf("%s: error %v, want it refused as not finite", col, err)
		}
	}
	if got, _ := r.Get(7); got.Lat != 36.8 || got.Lon != 10.18 || got.AvgPrepMinutes != 12.5 {
		t.Errorf("restaurant 7 = %+v, want its last good row", got)
	}

	var s weather.Store
	obs := `{"op":"c",` + source + `,"after":{"id":1,"city_id":3,"observed_at":"2026-11-20T11:00:00.000000Z",` +
		`"condition":"rainy","temperature_c":"NaN","precipitation_mm":"2.0","wind_kmh":"10.0"}}`
	if err := dims.Weather(&s)(ptr(decode(t, `{"id":1}`, obs))); err == nil || !strings.Contains(err.Error(), "temperature_c: not a finite number") {
		t.Errorf("weather with a NaN temperature: error %v, want it refused", err)
	}
}
