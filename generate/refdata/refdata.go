// Package refdata builds Flavor Trend's reference data (SPEC §1) deterministically from a
// seed: the 24 governorate capitals, restaurants, menus, couriers and customers. It is
// pure (no I/O); generate.Seed writes its result to PostgreSQL.
package refdata

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/flavortrend/flavortrend/generate/geo"
)

// Sizes of the generated reference data (SPEC §1).
const (
	RestaurantCount = 200
	CourierCount    = 150
	CustomerCount   = 5000

	minRestaurantsPerCity = 1
	minCouriersPerCity    = 2
	minCustomersPerCity   = 20
)

// Vehicles a courier can ride.
var Vehicles = []string{"bicycle", "scooter", "motorcycle", "car"}

// Restaurant is one kitchen taking orders.
type Restaurant struct {
	ID, CityID     int
	Name, Cuisine  string
	Lat, Lon       float64
	Rating         float64 // 1..5, two decimals
	AvgPrepMinutes float64 // two decimals
}

// MenuItem is one dish; Price is in millimes (1 TND = 1000 millimes).
type MenuItem struct {
	ID, RestaurantID int
	Name             string
	Category         Category
	Price            int64
}

// Courier is one delivery rider. Status is "offline" in generated data: the simulator
// brings its shift online when it starts.
type Courier struct {
	ID, CityID       int
	Name, Vehicle    string
	VehicleCondition int     // 1 (poor) .. 5 (new)
	SpeedFactor      float64 // personal multiplier of the vehicle's base speed, two decimals
	Rating           float64 // 1..5, two decimals
	Status           string
}

// Customer is an anonymous customer living near a city centre.
type Customer struct {
	ID, CityID int
	Lat, Lon   float64
	CreatedAt  time.Time
}

// Data is the whole reference data set.
type Data struct {
	Cities      []City
	Restaurants []Restaurant
	MenuItems   []MenuItem
	Couriers    []Courier
	Customers   []Customer
}

// seedStream distinguishes the reference-data random stream from the simulator's
// streams built from the same seed.
const seedStream = 0x5eed_da7a

// customerEpoch starts the window in which customers signed up: [2023-01-01, +730 days).
// It is fixed so that a seed yields the same data whenever it is run.
var customerEpoch = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

// Build generates the reference data for a seed. The same seed always gives the same
// data, byte for byte.
func Build(seed int64) Data {
	rng := rand.New(rand.NewPCG(uint64(seed), seedStream))
	d := Data{Cities: Cities}
	pops := make([]float64, len(Cities))
	for i, c := range Cities {
		pops[i] = float64(c.Population)
	}

	// Restaurants, weighted by population with at least one per city.
	restaurantsPer := Allocate(RestaurantCount, minRestaurantsPerCity, pops)
	cuisineWeights := make([]float64, len(cuisines))
	for i, c := range cuisines {
		cuisineWeights[i] = c.weight
	}
	for ci, city := range Cities {
		for range restaurantsPer[ci] {
			cu := cuisines[Weighted(rng, cuisineWeights)]
			lat, lon := Place(rng, city, 0.6*SpreadKm(city.Population))
			r := Restaurant{
				ID:      len(d.Restaurants) + 1,
				CityID:  city.ID,
				Name:    restaurantName(rng, cu.name),
				Cuisine: cu.name,
				Lat:     lat,
				Lon:     lon,
				// Rating: 3.0 + 2 × mean of two uniforms (triangular on [3, 5], mode 4).
				Rating: round2(3 + (rng.Float64() + rng.Float64())),
				// Each kitchen is 0.8–1.25 × its cuisine's typical preparation time.
				AvgPrepMinutes: round2(cu.prepMinutes * (0.8 + 0.45*rng.Float64())),
			}
			d.Restaurants = append(d.Restaurants, r)
			d.MenuItems = appendMenu(rng, d.MenuItems, r, cu)
		}
	}

	// Couriers, weighted by population with at least two per city.
	couriersPer := Allocate(CourierCount, minCouriersPerCity, pops)
	vehicleWeights := []float64{0.15, 0.40, 0.30, 0.15}         // bicycle, scooter, motorcycle, car
	conditionWeights := []float64{0.05, 0.15, 0.35, 0.30, 0.15} // condition 1..5
	for ci, city := range Cities {
		for range couriersPer[ci] {
			d.Couriers = append(d.Couriers, Courier{
				ID:               len(d.Couriers) + 1,
				CityID:           city.ID,
				Name:             personName(rng),
				Vehicle:          Vehicles[Weighted(rng, vehicleWeights)],
				VehicleCondition: 1 + Weighted(rng, conditionWeights),
				// Speed factor ~ N(1, 0.12) clamped to [0.7, 1.3]: riders differ by ±12 %.
				SpeedFactor: round2(clamp(1+0.12*rng.NormFloat64(), 0.7, 1.3)),
				// Rating ~ N(4.4, 0.35) clamped to [1, 5].
				Rating: round2(clamp(4.4+0.35*rng.NormFloat64(), 1, 5)),
				Status: "offline",
			})
		}
	}

	// Customers, proportional to population, at least 20 per city.
	customersPer := Allocate(CustomerCount, minCustomersPerCity, pops)
	for ci, city := range Cities {
		for range customersPer[ci] {
			lat, lon := Place(rng, city, SpreadKm(city.Population))
			signup := time.Duration(rng.Int64N(int64(730 * 24 * time.Hour / time.Second)))
			d.Customers = append(d.Customers, Customer{
				ID:        len(d.Customers) + 1,
				CityID:    city.ID,
				Lat:       lat,
				Lon:       lon,
				CreatedAt: customerEpoch.Add(signup * time.Second),
			})
		}
	}
	return d
}

// appendMenu adds a restaurant's menu: 2 starters, 4–6 mains, 1–2 desserts and 2 drinks
// (9–12 dishes, ~10.5 on average, so ~2,100 for 200 restaurants), distinct names.
func appendMenu(rng *rand.Rand, items []MenuItem, r Restaurant, cu cuisine) []MenuItem {
	counts := map[Category]int{Starter: 2, Main: 4 + rng.IntN(3), Dessert: 1 + rng.IntN(2), Drink: 2}
	// The restaurant's own price level, U(0.85, 1.2), on top of the cuisine's.
	level := cu.priceLevel * (0.85 + 0.35*rng.Float64())
	for _, cat := range Categories {
		names := cu.dishNames(cat)
		perm := rng.Perm(len(names))
		n := min(counts[cat], len(names))
		for _, k := range perm[:n] {
			price := basePrice[cat] * level * (0.75 + 0.6*rng.Float64())
			items = append(items, MenuItem{
				ID:           len(items) + 1,
				RestaurantID: r.ID,
				Name:         names[k],
				Category:     cat,
				// Rounded to 100 millimes, never below 500 millimes.
				Price: max(500, int64(math.Round(price/100))*100),
			})
		}
	}
	return items
}

// SpreadKm is the standard deviation, in km, of customers around a city centre:
// 1 + 0.8 · log10(population / 20,000), clamped to [1, 3] — about 1 km for the small
// capitals and 2.2 km for Tunis, so bigger cities sprawl further.
func SpreadKm(population int) float64 {
	return clamp(1+0.8*math.Log10(float64(population)/20000), 1, 3)
}

// Place draws a point near the city centre: east and north offsets ~ N(0, σ) km, each
// redrawn until the point lies within 2.5σ of the centre.
//
// Land rule for coastal capitals: the shoreline is taken as a straight line through the
// centre, perpendicular to City.SeaBearing. When the offset points seaward (positive
// component along the sea direction) that component is mirrored, so every point lies on
// the landward half-plane. The centres listed in Cities are on land (for the Mahdia
// peninsula the town centre west of the cape), so points stay on land out to the spread.
func Place(rng *rand.Rand, c City, sigmaKm float64) (lat, lon float64) {
	var east, north float64
	for {
		east, north = sigmaKm*rng.NormFloat64(), sigmaKm*rng.NormFloat64()
		if math.Hypot(east, north) <= 2.5*sigmaKm {
			break
		}
	}
	if c.Coastal() {
		east, north = Landward(c.SeaBearing, east, north)
	}
	return geo.OffsetKm(c.Lat, c.Lon, east, north)
}

// Landward mirrors an offset (east, north km) across the shoreline through the origin
// when it points towards the sea at bearing seaBearing degrees: with s the unit vector
// towards the sea and d = v·s > 0, v' = v − 2d·s. Offsets already inland are unchanged.
func Landward(seaBearing, east, north float64) (float64, float64) {
	b := seaBearing * math.Pi / 180
	sx, sy := math.Sin(b), math.Cos(b) // bearing 0 = north (0,1), 90 = east (1,0)
	d := east*sx + north*sy
	if d <= 0 {
		return east, north
	}
	return east - 2*d*sx, north - 2*d*sy
}

// Allocate splits total among cities in proportion to weights, each getting at least
// minEach: cities whose proportional share is below minEach get minEach, the others share
// the rest in proportion to their weights (repeated until no share falls below the
// minimum), and the fractions are settled by the largest-remainder method. The result is
// deterministic and sums to total whenever total ≥ minEach × len(weights).
func Allocate(total, minEach int, weights []float64) []int {
	out := make([]int, len(weights))
	atMin := make([]bool, len(weights))
	for {
		rest, sum := total, 0.0
		for i, w := range weights {
			if atMin[i] {
				rest -= minEach
			} else {
				sum += w
			}
		}
		changed := false
		for i, w := range weights {
			if !atMin[i] && (sum <= 0 || float64(rest)*w/sum < float64(minEach)) {
				atMin[i], changed = true, true
			}
		}
		if changed {
			continue
		}
		rems := make([]float64, len(weights))
		given := 0
		for i, w := range weights {
			if atMin[i] {
				out[i], rems[i] = minEach, -1
				continue
			}
			share := float64(rest) * w / sum
			out[i] = int(share)
			given += out[i]
			rems[i] = share - math.Floor(share)
		}
		for ; given < rest; given++ {
			best := 0
			for i := range rems {
				if rems[i] > rems[best] {
					best = i
				}
			}
			out[best]++
			rems[best] = -1
		}
		return out
	}
}

// Weighted draws an index with probability proportional to weights[i].
func Weighted(rng *rand.Rand, weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	x := rng.Float64() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
