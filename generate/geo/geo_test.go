package geo

import (
	"math"
	"testing"
)

func TestHaversineKm(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64
	}{
		{"same point", 36.8, 10.18, 36.8, 10.18, 0, 1e-9},
		{"one degree of latitude", 36, 10, 37, 10, 111.195, 0.01},
		{"Tunis to Sfax", 36.8008, 10.18, 34.7406, 10.7603, 234.5, 2},
		{"Tunis to Sousse", 36.8008, 10.18, 35.8256, 10.6084, 115.5, 2},
		{"symmetric quarter meridian", 0, 0, 90, 0, math.Pi / 2 * EarthRadiusKm, 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HaversineKm(tt.lat1, tt.lon1, tt.lat2, tt.lon2)
			if math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("HaversineKm = %.4f, want %.4f ± %g", got, tt.want, tt.tol)
			}
			if back := HaversineKm(tt.lat2, tt.lon2, tt.lat1, tt.lon1); math.Abs(back-got) > 1e-9 {
				t.Fatalf("not symmetric: %v vs %v", got, back)
			}
		})
	}
}

func TestOffsetKm(t *testing.T) {
	tests := []struct{ east, north float64 }{{1, 0}, {0, 1}, {-3, 4}, {5, -2}}
	for _, tt := range tests {
		lat, lon := OffsetKm(35.8, 10.6, tt.east, tt.north)
		got := HaversineKm(35.8, 10.6, lat, lon)
		want := math.Hypot(tt.east, tt.north)
		if math.Abs(got-want) > 0.005 {
			t.Errorf("offset (%v,%v): distance %.4f km, want %.4f", tt.east, tt.north, got, want)
		}
	}
}

func TestLerp(t *testing.T) {
	lat, lon := Lerp(36, 10, 37, 11, 0.25)
	if lat != 36.25 || lon != 10.25 {
		t.Fatalf("Lerp = %v,%v", lat, lon)
	}
	lat, lon = Lerp(36, 10, 37, 11, 1)
	if lat != 37 || lon != 11 {
		t.Fatalf("Lerp end = %v,%v", lat, lon)
	}
}
