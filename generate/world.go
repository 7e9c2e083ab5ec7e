package generate

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/generate/refdata"
)

// world is the simulator's in-memory copy of the reference data and of the live state
// of cities, restaurants and couriers.
type world struct {
	cities      []*city // in id order
	byID        map[int]*city
	courierByID map[int]*courier
}

type city struct {
	id         int
	name       string
	lat, lon   float64
	population int
	region     refdata.Region
	share      float64 // population / Σ population: the city's share of demand

	restaurants []*restaurant
	couriers    []*courier // in id order
	customers   []customer

	weather Condition

	// Scenario flags in force (flags.go).
	rain        bool
	promo       float64 // demand factor of an active promo, 0 when none
	outageShare float64 // share of couriers taken offline, 0 when none
	surge       float64 // supply factor of an active surge, 0 when none
	outOrder    []*courier
	nudged      map[int]bool // ids of the city's couriers named by active nudge flags

	waiting []*order // accepted orders waiting for a courier, oldest first
	open    int      // orders placed and not yet delivered or cancelled
}

type restaurant struct {
	id        int
	city      *city
	lat, lon  float64
	rating    float64
	avgPrep   float64
	menu      [4][]menuItem // by refdata.Categories index
	paused    bool          // paused_until is in the future (operator pause)
	preparing int           // accepted orders not yet ready
}

type menuItem struct {
	id    int
	price Millimes
}

type customer struct {
	id       int
	lat, lon float64
}

type courier struct {
	id       int
	city     *city
	ride     Ride
	lat, lon float64 // last known position
	active   []*order
	reserve  bool   // off shift in the shift plan; online only during a surge
	surged   bool   // reserve courier brought online by a surge flag
	out      bool   // taken offline by a courier_outage flag
	nudged   bool   // called online by a nudge flag, whatever the shift says
	status   string // status last written to couriers.status
}

// online reports whether the courier is working (takes new orders).
func (c *courier) online() bool { return c.nudged || ((!c.reserve || c.surged) && !c.out) }

// loadWorld reads the reference data written by Seed.
func loadWorld(ctx context.Context, pool *pgxpool.Pool) (*world, error) {
	w := &world{byID: map[int]*city{}, courierByID: map[int]*courier{}}
	regions := map[string]refdata.Region{}
	for _, c := range refdata.Cities {
		regions[c.Name] = c.Region
	}
	var total float64
	if err := each(ctx, pool, `SELECT id, name, lat, lon, population FROM cities ORDER BY id`, func(r pgx.Rows) error {
		c := &city{}
		if err := r.Scan(&c.id, &c.name, &c.lat, &c.lon, &c.population); err != nil {
			return err
		}
		reg, ok := regions[c.name]
		if !ok { // a city unknown to refdata: climate region by latitude
			switch {
			case c.lat > 35.9:
				reg = refdata.North
			case c.lat > 34.5:
				reg = refdata.Centre
			default:
				reg = refdata.South
			}
		}
		c.region = reg
		total += float64(c.population)
		w.cities = append(w.cities, c)
		w.byID[c.id] = c
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load cities: %w", err)
	}
	if len(w.cities) == 0 {
		return nil, fmt.Errorf("load cities: no reference data (run flavortrend seed first)")
	}
	for _, c := range w.cities {
		c.share = float64(c.population) / total
	}

	rests := map[int]*restaurant{}
	if err := each(ctx, pool, `SELECT id, city_id, lat, lon, rating::float8, avg_prep_minutes::float8,
			coalesce(paused_until > now(), false) FROM restaurants ORDER BY id`, func(r pgx.Rows) error {
		x := &restaurant{}
		var cityID int
		if err := r.Scan(&x.id, &cityID, &x.lat, &x.lon, &x.rating, &x.avgPrep, &x.paused); err != nil {
			return err
		}
		x.city = w.byID[cityID]
		x.city.restaurants = append(x.city.restaurants, x)
		rests[x.id] = x
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load restaurants: %w", err)
	}

	catIndex := map[string]int{}
	for i, c := range refdata.Categories {
		catIndex[string(c)] = i
	}
	if err := each(ctx, pool, `SELECT id, restaurant_id, category, (price * 1000)::bigint FROM menu_items ORDER BY id`, func(r pgx.Rows) error {
		var id, restID int
		var cat string
		var price int64
		if err := r.Scan(&id, &restID, &cat, &price); err != nil {
			return err
		}
		x := rests[restID]
		x.menu[catIndex[cat]] = append(x.menu[catIndex[cat]], menuItem{id: id, price: Millimes(price)})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load menu items: %w", err)
	}

	if err := each(ctx, pool, `SELECT id, city_id, vehicle, vehicle_condition, speed_factor::float8, status
			FROM couriers ORDER BY id`, func(r pgx.Rows) error {
		x := &courier{}
		var cityID int
		var cond int16
		if err := r.Scan(&x.id, &cityID, &x.ride.Vehicle, &cond, &x.ride.SpeedFactor, &x.status); err != nil {
			return err
		}
		x.ride.Condition = int(cond)
		x.city = w.byID[cityID]
		x.city.couriers = append(x.city.couriers, x)
		w.courierByID[x.id] = x
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load couriers: %w", err)
	}

	if err := each(ctx, pool, `SELECT id, city_id, lat, lon FROM customers ORDER BY id`, func(r pgx.Rows) error {
		var x customer
		var cityID int
		if err := r.Scan(&x.id, &cityID, &x.lat, &x.lon); err != nil {
			return err
		}
		c := w.byID[cityID]
		c.customers = append(c.customers, x)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load customers: %w", err)
	}

	for _, c := range w.cities {
		if len(c.customers) == 0 {
			return nil, fmt.Errorf("load customers: city %s has none", c.name)
		}
		// A restaurant with an empty category can still sell the others, but a
		// restaurant needs at least one dish to take orders.
		kept := c.restaurants[:0]
		for _, r := range c.restaurants {
			if len(r.menu[0])+len(r.menu[1])+len(r.menu[2])+len(r.menu[3]) > 0 {
				kept = append(kept, r)
			}
		}
		c.restaurants = kept
		sort.Slice(c.couriers, func(i, j int) bool { return c.couriers[i].id < c.couriers[j].id })
	}
	return w, nil
}

// each runs a query and calls fn for every row.
func each(ctx context.Context, pool *pgxpool.Pool, sql string, fn func(pgx.Rows) error) error {
	rows, err := pool.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
