package refdata

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/flavortrend/flavortrend/generate/geo"
)

func TestBuildDeterministic(t *testing.T) {
	a, b := Build(42), Build(42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two builds with seed 42 differ")
	}
	if c := Build(43); reflect.DeepEqual(a.Restaurants, c.Restaurants) {
		t.Fatal("seeds 42 and 43 give the same restaurants")
	}
}

func TestBuildShape(t *testing.T) {
	d := Build(1)
	if len(d.Cities) != 24 {
		t.Fatalf("%d cities, want 24", len(d.Cities))
	}
	if len(d.Restaurants) != RestaurantCount || len(d.Couriers) != CourierCount || len(d.Customers) != CustomerCount {
		t.Fatalf("counts: %d restaurants, %d couriers, %d customers", len(d.Restaurants), len(d.Couriers), len(d.Customers))
	}
	if n := len(d.MenuItems); n < 1800 || n > 2400 {
		t.Fatalf("%d menu items, want ~2,000", n)
	}
	restaurants := map[int]int{}
	couriers := map[int]int{}
	for _, r := range d.Restaurants {
		restaurants[r.CityID]++
		if r.Rating < 1 || r.Rating > 5 || r.AvgPrepMinutes <= 0 {
			t.Errorf("restaurant %d: rating %v prep %v", r.ID, r.Rating, r.AvgPrepMinutes)
		}
	}
	for _, c := range d.Couriers {
		couriers[c.CityID]++
		if c.VehicleCondition < 1 || c.VehicleCondition > 5 || c.SpeedFactor <= 0 {
			t.Errorf("courier %d: condition %d speed %v", c.ID, c.VehicleCondition, c.SpeedFactor)
		}
	}
	for _, c := range d.Cities {
		if restaurants[c.ID] < 1 {
			t.Errorf("%s has no restaurant", c.Name)
		}
		if couriers[c.ID] < 2 {
			t.Errorf("%s has %d couriers", c.Name, couriers[c.ID])
		}
	}
	if restaurants[1] <= restaurants[24] {
		t.Errorf("Tunis has %d restaurants, Kebili %d: not weighted by population", restaurants[1], restaurants[24])
	}
	cats := map[Category]int{}
	menus := map[int]int{}
	for _, m := range d.MenuItems {
		cats[m.Category]++
		menus[m.RestaurantID]++
		if m.Price <= 0 {
			t.Errorf("menu item %d has price %d", m.ID, m.Price)
		}
	}
	if len(cats) != 4 {
		t.Errorf("categories %v, want 4", cats)
	}
	for _, r := range d.Restaurants {
		if menus[r.ID] < 9 {
			t.Errorf("restaurant %d has %d dishes", r.ID, menus[r.ID])
		}
	}
}

func TestCustomersNearCentreAndLandward(t *testing.T) {
	d := Build(7)
	byID := map[int]City{}
	for _, c := range d.Cities {
		byID[c.ID] = c
	}
	for _, cu := range d.Customers {
		c := byID[cu.CityID]
		dist := geo.HaversineKm(c.Lat, c.Lon, cu.Lat, cu.Lon)
		if dist > 2.5*SpreadKm(c.Population)+0.01 {
			t.Fatalf("customer %d is %.1f km from %s", cu.ID, dist, c.Name)
		}
		if !c.Coastal() {
			continue
		}
		// Component towards the sea must not be positive.
		b := c.SeaBearing * math.Pi / 180
		east := (cu.Lon - c.Lon) * math.Cos(c.Lat*math.Pi/180)
		north := cu.Lat - c.Lat
		if east*math.Sin(b)+north*math.Cos(b) > 1e-9 {
			t.Fatalf("customer %d of %s is seaward of the centre", cu.ID, c.Name)
		}
	}
}

func TestLandward(t *testing.T) {
	tests := []struct {
		name                 string
		bearing, east, north float64
		wantE, wantN         float64
	}{
		{"inland unchanged", 90, -1, 2, -1, 2},
		{"east mirrored for sea to the east", 90, 1.5, 2, -1.5, 2},
		{"north mirrored for sea to the north", 0, 0.5, 1, 0.5, -1},
		{"on the shoreline unchanged", 90, 0, 3, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, n := Landward(tt.bearing, tt.east, tt.north)
			if math.Abs(e-tt.wantE) > 1e-9 || math.Abs(n-tt.wantN) > 1e-9 {
				t.Fatalf("Landward = (%v, %v), want (%v, %v)", e, n, tt.wantE, tt.wantN)
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		total, min int
		weights    []float64
		want       []int
	}{
		{10, 1, []float64{1, 1}, []int{5, 5}},
		{12, 2, []float64{3, 1}, []int{9, 3}},
		{10, 2, []float64{100, 1, 1}, []int{6, 2, 2}},
		{7, 0, []float64{1, 1, 1}, []int{3, 2, 2}},
		{6, 2, []float64{100, 1, 1}, []int{2, 2, 2}},
	}
	for _, tt := range tests {
		got := Allocate(tt.total, tt.min, tt.weights)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Allocate(%d, %d, %v) = %v, want %v", tt.total, tt.min, tt.weights, got, tt.want)
		}
	}
}

func TestWeighted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 3)
	for range 30000 {
		counts[Weighted(rng, []float64{1, 0, 2})]++
	}
	if counts[1] != 0 || counts[0] < 9000 || counts[0] > 11000 {
		t.Fatalf("counts %v, want ~[10000 0 20000]", counts)
	}
}
