package generate

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/generate/geo"
	"github.com/flavortrend/flavortrend/generate/refdata"
	"github.com/flavortrend/flavortrend/internal/calendar"
)

// LoadConfig drives the bulk load generator (Load).
type LoadConfig struct {
	Seed      int64
	Workers   int           // parallel writers, each with its own cities and id blocks; 0 means 2
	Orders    int64         // stop after this many orders in total; 0 for no limit
	Duration  time.Duration // stop after this much wall time; 0 for no limit
	BatchSize int           // orders per transaction; 0 means 5,000
}

// LoadStats is what a load run achieved.
type LoadStats struct {
	Orders, Items int64
	Elapsed       time.Duration
}

// OrdersPerSecond is the achieved write rate.
func (s LoadStats) OrdersPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Orders) / s.Elapsed.Seconds()
}

// Load writes orders as fast as PostgreSQL takes them (SPEC §6: ≥ 10,000 orders/s across
// workers), for load tests of the pipeline. Each worker runs a pipeline of transactions:
// transaction k COPYs batch k of new orders (status placed) with their lines and moves
// batch k−1 to accepted, batch k−2 to picked_up and batch k−3 to delivered with set-based
// UPDATE … FROM unnest, so every order still goes through its lifecycle as UPDATEs of its
// row. 5 % of the orders are cancelled by the customer instead of being accepted.
//
// The timings follow the simulator's formulas (without weather, queues or flags) and are
// anchored so that an order is delivered about when its delivered UPDATE is written: its
// placed_at lies in the past by its whole delivery time. Ids come in blocks of BatchSize:
// batch k of worker w of n takes the block k·n + w after max(id), so workers never
// collide and each fills B-tree pages of its own; line ids are derived from order ids.
// Transactions use synchronous_commit = off: a crash may lose the last moments of load,
// which a load test does not mind. Load stops at the order or time limit or when ctx is
// cancelled, after draining its pipeline.
func Load(ctx context.Context, pool *pgxpool.Pool, cfg LoadConfig, progress io.Writer) (LoadStats, error) {
	switch {
	case cfg.Workers < 0:
		return LoadStats{}, fmt.Errorf("load: workers %d: must not be negative", cfg.Workers)
	case cfg.Orders < 0:
		return LoadStats{}, fmt.Errorf("load: orders %d: must not be negative", cfg.Orders)
	case cfg.Duration < 0:
		return LoadStats{}, fmt.Errorf("load: duration %v: must not be negative", cfg.Duration)
	case cfg.BatchSize < 0:
		return LoadStats{}, fmt.Errorf("load: batch %d: must not be negative", cfg.BatchSize)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 5000
	}
	w, err := loadWorld(ctx, pool)
	if err != nil {
		return LoadStats{}, fmt.Errorf("load: %w", err)
	}
	var orderBase, itemBase int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM orders),
		(SELECT coalesce(max(id), 0) FROM order_items)`).Scan(&orderBase, &itemBase); err != nil {
		return LoadStats{}, fmt.Errorf("load: read max ids: %w", err)
	}
	if cfg.Workers > len(w.cities) {
		return LoadStats{}, fmt.Errorf("load: workers %d: at most one per city (%d)", cfg.Workers, len(w.cities))
	}
	parts := partitionCities(w.cities, cfg.Workers)

	runCtx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var orders, items atomic.Int64
	start := time.Now()
	done := make(chan struct{})
	go reportLoad(progress, start, &orders, done)

	var wg sync.WaitGroup
	errs := make([]error, cfg.Workers)
	for k := range cfg.Workers {
		quota := int64(-1)
		if cfg.Orders > 0 {
			quota = cfg.Orders / int64(cfg.Workers)
			if int64(k) < cfg.Orders%int64(cfg.Workers) {
				quota++
			}
		}
		lw := &loadWorker{
			pool: pool, picker: newLoadPicker(parts[k]), index: k, workers: cfg.Workers, quota: quota, batch: cfg.BatchSize,
			orderBase: orderBase, itemBase: itemBase, orders: &orders, items: &items,
			rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x10ad0000+uint64(k))),
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = lw.run(runCtx, ctx)
		}()
	}
	wg.Wait()
	close(done)
	st := LoadStats{Orders: orders.Load(), Items: items.Load(), Elapsed: time.Since(start)}
	if progress != nil {
		fmt.Fprintf(progress, "load: %d orders (%d lines) in %s: %.0f orders/s\n",
			st.Orders, st.Items, st.Elapsed.Round(time.Millisecond), st.OrdersPerSecond())
	}
	for _, err := range errs {
		if err != nil {
			return st, fmt.Errorf("load: %w", err)
		}
	}
	return st, ctx.Err()
}

func reportLoad(w io.Writer, start time.Time, orders *atomic.Int64, done <-chan struct{}) {
	if w == nil {
		return
	}
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			n := orders.Load()
			fmt.Fprintf(w, "load: %d orders, %.0f orders/s\n", n, float64(n)/time.Since(start).Seconds())
		}
	}
}

// partitionCities splits the cities among n workers, balancing their population shares
// (largest first, each to the worker with the smallest total so far). Each worker then
// writes only orders of its own cities, so no two workers take FOREIGN KEY share locks on
// the same city, restaurant, customer, courier or dish rows: such shared row locks become
// multixacts in PostgreSQL and would make the workers contend.
func partitionCities(cities []*city, n int) [][]*city {
	sorted := append([]*city(nil), cities...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].share > sorted[j].share })
	parts := make([][]*city, n)
	sums := make([]float64, n)
	for _, c := range sorted {
		k := 0
		for i := range sums {
			if sums[i] < sums[k] {
				k = i
			}
		}
		parts[k] = append(parts[k], c)
		sums[k] += c.share
	}
	for _, p := range parts {
		sort.Slice(p, func(i, j int) bool { return p[i].id < p[j].id })
	}
	return parts
}

// loadPicker draws cities by population, restaurants by rating² and dishes, from
// precomputed cumulative weights (Load ignores restaurant pauses and flags).
type loadPicker struct {
	cities   []*city
	cityCum  []float64
	restCum  map[*city][]float64
	dishes   map[*restaurant][]menuItem
	couriers map[*city][]*courier
}

func newLoadPicker(cities []*city) *loadPicker {
	p := &loadPicker{restCum: map[*city][]float64{}, dishes: map[*restaurant][]menuItem{}, couriers: map[*city][]*courier{}}
	var sum float64
	for _, c := range cities {
		if len(c.restaurants) == 0 || len(c.couriers) == 0 {
			continue
		}
		sum += c.share
		p.cities = append(p.cities, c)
		p.cityCum = append(p.cityCum, sum)
		var rs float64
		for _, r := range c.restaurants {
			rs += r.rating * r.rating
			p.restCum[c] = append(p.restCum[c], rs)
			for _, m := range r.menu {
				p.dishes[r] = append(p.dishes[r], m...)
			}
		}
		p.couriers[c] = c.couriers
	}
	return p
}

func drawCum(rng *rand.Rand, cum []float64) int {
	x := rng.Float64() * cum[len(cum)-1]
	return min(sort.SearchFloat64s(cum, x), len(cum)-1)
}

// loadOrder is one order of the load generator with its lifecycle precomputed.
type loadOrder struct {
	id                                       int64
	courierID                                int32
	accepted, pickedUp, delivered, cancelled time.Time
}

type loadWorker struct {
	pool                *pgxpool.Pool
	picker              *loadPicker
	rng                 *rand.Rand
	index, workers      int
	quota               int64 // orders left to write; negative for no limit
	batch               int
	batches             int64 // batches made by this worker so far
	orderBase, itemBase int64
	orders, items       *atomic.Int64
}

// run writes batches until runCtx ends or the quota is used, then drains the pipeline
// (using ctx, so a time limit still lets the last orders finish).
func (lw *loadWorker) run(runCtx, ctx context.Context) error {
	var pipe [3][]loadOrder // batches k−1, k−2, k−3
	for {
		var fresh []loadOrder
		var orderRows, itemRows [][]any
		if runCtx.Err() == nil && lw.quota != 0 {
			n := lw.batch
			if lw.quota > 0 {
				n = int(min(int64(n), lw.quota))
			}
			fresh, orderRows, itemRows = lw.make(n, time.Now())
		}
		if len(fresh) == 0 && len(pipe[0])+len(pipe[1])+len(pipe[2]) == 0 {
			return nil
		}
		if err := lw.write(ctx, orderRows, itemRows, pipe); err != nil {
			return fmt.Errorf("worker %d: %w", lw.index, err)
		}
		lw.orders.Add(int64(len(fresh)))
		lw.items.Add(int64(len(itemRows)))
		if lw.quota > 0 {
			lw.quota -= int64(len(fresh))
		}
		pipe = [3][]loadOrder{fresh, pipe[0], pipe[1]}
	}
}

// write commits one transaction of the pipeline (on any connection of the pool, so more
// workers than connections only queue).
func (lw *loadWorker) write(ctx context.Context, orderRows, itemRows [][]any, pipe [3][]loadOrder) error {
	tx, err := lw.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return err
	}
	if err := copyAll(ctx, tx, []copySpec{{"orders", orderColumns, orderRows}, {"order_items", itemColumns, itemRows}}); err != nil {
		return err
	}
	// The three batches hold distinct orders: one UPDATE moves them all a step on.
	var states []orderState
	for step, b := range pipe {
		for _, o := range b {
			st := orderState{id: o.id, courierID: o.courierID, acceptedAt: o.accepted}
			switch {
			case !o.cancelled.IsZero():
				if step > 0 {
					continue // cancelled at the first step, nothing more
				}
				st = orderState{id: o.id, status: statusCancelled, cancelledAt: o.cancelled, cancelReason: "customer"}
			case step == 0:
				st.status = statusAccepted
			case step == 1:
				st.status, st.pickedUpAt = statusPickedUp, o.pickedUp
			default:
				st.status, st.pickedUpAt, st.deliveredAt = statusDelivered, o.pickedUp, o.delivered
			}
			states = append(states, st)
		}
	}
	if err := updateOrders(ctx, tx, states); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// loadCancelShare of load orders are cancelled by the customer before acceptance.
const loadCancelShare = 0.05

// make builds n orders delivered around now.
func (lw *loadWorker) make(n int, now time.Time) ([]loadOrder, [][]any, [][]any) {
	rng, p := lw.rng, lw.picker
	orders := make([]loadOrder, 0, n)
	orderRows := make([][]any, 0, n)
	itemRows := make([][]any, 0, 3*n)
	block := lw.orderBase + (lw.batches*int64(lw.workers)+int64(lw.index))*int64(lw.batch)
	lw.batches++
	for i := range n {
		id := block + int64(i) + 1
		c := p.cities[drawCum(rng, p.cityCum)]
		r := c.restaurants[drawCum(rng, p.restCum[c])]
		cu := c.customers[rng.IntN(len(c.customers))]
		k := p.couriers[c][rng.IntN(len(p.couriers[c]))]
		dishes := p.dishes[r]
		distance := math.Round(geo.HaversineKm(r.lat, r.lon, cu.lat, cu.lon)*1000) / 1000

		lines := 1 + refdata.Weighted(rng, lineWeights)
		var subtotal Millimes
		units := 0
		first := rng.IntN(len(dishes))
		for l := range min(lines, len(dishes)) {
			m := dishes[(first+l*7)%len(dishes)] // distinct dishes: a stride through the menu
			if l > 0 && m.id == dishes[first].id {
				break
			}
			qty := 1 + refdata.Weighted(rng, qtyWeights)
			subtotal += Millimes(qty) * m.price
			units += qty
			itemID := lw.itemBase + (id-lw.orderBase-1)*4 + int64(l) + 1
			itemRows = append(itemRows, []any{itemID, id, int32(m.id), int32(qty), m.price})
		}
		fee := DeliveryFee(distance, false)

		accept := AcceptDelay(rng)
		prep := minutes(PrepMinutes(rng, r.avgPrep, lines, calendar.IsRushHour(now), 0))
		travel := minutes(TravelMinutes(rng, distance, k.ride, Sunny, now, 0, 0))
		placed := now.Add(-(accept + prep + travel))
		o := loadOrder{id: id, courierID: int32(k.id), accepted: placed.Add(accept),
			pickedUp: placed.Add(accept + prep), delivered: now}
		if rng.Float64() < loadCancelShare {
			o = loadOrder{id: id, cancelled: placed.Add(accept / 2)}
		}
		orders = append(orders, o)
		orderRows = append(orderRows, []any{
			id, int32(cu.id), int32(r.id), nil, int32(c.id), statusPlaced,
			placed, nil, nil, nil, nil, nil,
			int32(units), subtotal, fee, subtotal + fee, distance,
			int32(PromisedMinutes(r.avgPrep, distance, calendar.IsRushHour(placed))), false,
			cu.lat, cu.lon, TraceParent(rng),
		})
	}
	return orders, orderRows, itemRows
}
