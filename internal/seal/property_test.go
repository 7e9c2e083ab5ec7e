package seal_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/flavortrend/flavortrend/internal/delivered"
	"github.com/flavortrend/flavortrend/internal/placed"
	"github.com/flavortrend/flavortrend/internal/seal"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

var propertySeed = flag.Int64("seal.seed", 0, "run TestSealedEqualsFinal with this seed only")

// TestSealedEqualsFinal writes random histories of versioned mirror rows — orders created,
// delivered, cancelled after delivery, with delivered_at, placed_at and totals corrected,
// deleted, deleted and created again under a new id (a primary-key update); order lines added,
// changed, moved to another order and deleted; enriched orders; replays of old rows — ingested
// at the times of a simulated clock, with seals (sometimes two at once) and merges at random
// moments. At checkpoints, for random windows (whole hours and not), the delivered sums by
// city, restaurant and courier and the placed sums (dishes, weather), per city and of all,
// equal the same sums computed with FINAL over the mirror, while a seal may be running.
func TestSealedEqualsFinal(t *testing.T) {
	random := rand.New(rand.NewSource(time.Now().UnixNano()))
	seeds := []int64{1, 1 + random.Int63n(1e9), 1 + random.Int63n(1e9)}
	if *propertySeed != 0 {
		seeds = []int64{*propertySeed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (go test -run 'TestSealedEqualsFinal' -seal.seed=%d ./internal/seal/)", seed, seed)
			conn, ch := testenv.ClickHouse(t)
			s := &history{t: t, rng: rand.New(rand.NewSource(seed)), conn: conn, db: ch.Database,
				clock: day.Add(8 * time.Hour), orders: map[int64]*order{}, lines: map[int64]*line{}, nextOrder: 1, nextLine: 1}
			s.delivered = delivered.Store{Conn: conn, Database: ch.Database}
			s.placed = placed.Store{Conn: conn, Database: ch.Database}
			s.run(200, 50)
			if s.sealedReads == 0 || s.seals == 0 {
				t.Fatalf("%d seals, %d reads of sealed hours: the history tested nothing sealed", s.seals, s.sealedReads)
			}
			t.Logf("%d changes, %d seals, %d reads checked, %d of them reading sealed hours", s.changes, s.seals, s.reads, s.sealedReads)
		})
	}
}

// day is the first hour of placed_at; orders are placed in its first six hours and delivered
// before hour 7, and the clock starts at hour 8, so every hour with an order is finished.
var day = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

const (
	placedHours = 6
	lastHour    = 7
)

type order struct {
	id                    int64
	city, rest, courier   int32 // courier 0: none
	status                string
	placedAt, deliveredAt time.Time // deliveredAt zero: NULL
	millimes              int64
}

type line struct {
	id, order     int64
	dish, qty     int32
	priceMillimes int64
	version       uint64
	deleted       bool
}

// history is the simulated source and its mirror: the orders and lines not deleted, and every
// row written (for replays).
type history struct {
	t         *testing.T
	rng       *rand.Rand
	conn      driver.Conn
	db        string
	delivered delivered.Store
	placed    placed.Store

	clock               time.Time     // the simulated now: every row is ingested at it, seals take it
	placing             time.Duration // placed_at of the last order created, after day
	version             uint64
	nextOrder, nextLine int64
	orders              map[int64]*order
	lines               map[int64]*line
	written             []func()           // re-inserts a row written before, with its version, ingested now
	pending             map[string][][]any // rows buffered, by insert
	inserts             []string           // the inserts of pending, in the order first buffered
	oldest              time.Time          // when the oldest buffered row was ingested
	changes, seals      int
	reads, sealedReads  int
}

func (h *history) run(steps, every int) {
	for i := 1; i <= steps; i++ {
		// At most 30 s per step, and rows buffered at most 110 s before they are written: a
		// change is visible within Margin of its ingestion, though maybe not to a seal that
		// took its T after the change's _ingested_at.
		h.clock = h.clock.Add(time.Duration(1+h.rng.Intn(30)) * time.Second)
		if len(h.pending) > 0 && h.clock.Sub(h.oldest) >= 80*time.Second {
			h.flush()
		}
		h.step()
		if i%every == 0 || i == steps {
			h.check(i)
		}
	}
}

func (h *history) step() {
	switch n := h.rng.Intn(100); {
	case n < 22 || len(h.orders) < 5:
		h.create()
	case n < 52:
		h.update()
	case n < 57:
		h.deleteOrder()
	case n < 61:
		h.rekey()
	case n < 75:
		h.lineChange()
	case n < 83:
		if len(h.written) > 0 {
			h.written[h.rng.Intn(len(h.written))]()
			h.changes++
		}
	case n < 92:
		h.seal()
	default:
		h.merge()
	}
}

func (h *history) randomOrder() *order {
	ids := make([]int64, 0, len(h.orders))
	for id := range h.orders {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	// Map order is random; pick by sorted position for reproducibility.
	slices.Sort(ids)
	return h.orders[ids[h.rng.Intn(len(ids))]]
}

// nextID is the next id of a sequence, after a gap: the histories span several blocks of 1024.
func (h *history) nextID(seq *int64) int64 {
	id := *seq
	*seq += 1 + int64(h.rng.Intn(120))
	return id
}

func (h *history) create() {
	rest := int32(10 + h.rng.Intn(6))
	// Placed in the order of the ids, give or take, as a sequence gives them.
	h.placing = min(h.placing+time.Duration(h.rng.Intn(600))*time.Second, placedHours*time.Hour-time.Minute)
	o := &order{id: h.nextID(&h.nextOrder), rest: rest, city: rest%3 + 1, status: "placed",
		placedAt: day.Add(h.placing + time.Duration(h.rng.Intn(60))*time.Second), millimes: int64(5000 + h.rng.Intn(90000))}
	if h.rng.Intn(2) == 0 {
		h.deliver(o)
	} else if h.rng.Intn(3) == 0 {
		o.status = "cancelled"
	}
	h.writeOrder(o)
	for n := 1 + h.rng.Intn(3); n > 0; n-- {
		h.writeLine(&line{id: h.nextID(&h.nextLine), order: o.id, dish: int32(500 + h.rng.Intn(6)), qty: int32(1 + h.rng.Intn(3)),
			priceMillimes: int64(500 + h.rng.Intn(20000))})
	}
	h.writeEnriched(o)
}

// deliver delivers o 10 to 80 minutes after its placement (before lastHour), by a courier of
// its city or none.
func (h *history) deliver(o *order) {
	o.status = "delivered"
	o.deliveredAt = clampDelivered(o.placedAt.Add(time.Duration(600+h.rng.Intn(4200))*time.Second), o.placedAt)
	if h.rng.Intn(5) > 0 {
		o.courier = 20 + o.city*3 + int32(h.rng.Intn(3))
	} else {
		o.courier = 0
	}
}

func clampDelivered(at, placedAt time.Time) time.Time {
	if end := day.Add(lastHour*time.Hour - time.Second); at.After(end) {
		at = end
	}
	if at.Before(placedAt) {
		at = placedAt
	}
	return at
}

func (h *history) update() {
	o := h.randomOrder()
	if o == nil {
		return
	}
	minutes := func(n int) time.Duration { return time.Duration(h.rng.Intn(2*n+1)-n) * time.Minute }
	switch h.rng.Intn(7) {
	case 0, 1: // delivered, or delivered again
		h.deliver(o)
	case 2: // leaves delivered: cancelled (refunded) or back on its way
		if h.rng.Intn(2) == 0 {
			o.status = "cancelled"
		} else {
			o.status, o.deliveredAt = "picked_up", time.Time{}
		}
	case 3: // delivered_at corrected, often into another hour
		if o.status == "delivered" {
			o.deliveredAt = clampDelivered(o.deliveredAt.Add(minutes(120)), o.placedAt)
		}
	case 4: // placed_at corrected
		o.placedAt = o.placedAt.Add(minutes(120))
		if o.placedAt.Before(day) {
			o.placedAt = day
		}
		if end := day.Add(placedHours*time.Hour - time.Second); o.placedAt.After(end) {
			o.placedAt = end
		}
		if !o.deliveredAt.IsZero() {
			o.deliveredAt = clampDelivered(o.deliveredAt, o.placedAt)
		}
	case 5: // total corrected
		o.millimes = int64(5000 + h.rng.Intn(90000))
	case 6: // courier reassigned
		o.courier = 20 + o.city*3 + int32(h.rng.Intn(3))
	}
	h.writeOrder(o)
}

func (h *history) deleteOrder() {
	o := h.randomOrder()
	if o == nil {
		return
	}
	h.tombstone(o.id)
	if h.rng.Intn(2) == 0 { // the lines go with it (ON DELETE CASCADE), or stay orphaned
		for _, l := range h.linesOf(o.id) {
			h.deleteLine(l)
		}
	}
}

// rekey is a primary-key update: a delete of the old id and a create of the new one, whose
// lines follow it; the enricher sees a new order.
func (h *history) rekey() {
	o := h.randomOrder()
	if o == nil {
		return
	}
	h.tombstone(o.id)
	n := *o
	n.id = h.nextID(&h.nextOrder)
	h.writeOrder(&n)
	for _, l := range h.linesOf(o.id) {
		l.order = n.id
		h.writeLine(l)
	}
	h.writeEnriched(&n)
}

func (h *history) linesOf(id int64) []*line {
	var ids []int64
	for lid, l := range h.lines {
		if l.order == id {
			ids = append(ids, lid)
		}
	}
	slices.Sort(ids)
	out := make([]*line, len(ids))
	for i, lid := range ids {
		out[i] = h.lines[lid]
	}
	return out
}

func (h *history) lineChange() {
	var ids []int64
	for id := range h.lines {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return
	}
	l := h.lines[ids[h.rng.Intn(len(ids))]]
	switch h.rng.Intn(4) {
	case 0:
		h.deleteLine(l)
	case 1: // moved to another order, often of another hour
		if o := h.randomOrder(); o != nil {
			l.order = o.id
			h.writeLine(l)
		}
	case 2:
		l.qty, l.priceMillimes = int32(1+h.rng.Intn(4)), int64(500+h.rng.Intn(20000))
		h.writeLine(l)
	case 3: // a line added to an order
		if o := h.randomOrder(); o != nil {
			h.writeLine(&line{id: h.nextID(&h.nextLine), order: o.id, dish: int32(500 + h.rng.Intn(6)), qty: 1, priceMillimes: 2500})
		}
	}
}

func (h *history) deleteLine(l *line) {
	delete(h.lines, l.id)
	h.version++
	h.insertLine(line{id: l.id, version: h.version, deleted: true})
}

func (h *history) tombstone(id int64) {
	delete(h.orders, id)
	h.version++
	h.insertOrder(order{id: id}, h.version, true)
}

func (h *history) writeOrder(o *order) {
	h.orders[o.id] = o
	h.version++
	h.insertOrder(*o, h.version, false)
}

func (h *history) writeLine(l *line) {
	h.lines[l.id] = l
	h.version++
	row := *l
	row.version = h.version
	h.insertLine(row)
}

var conditions = []string{"", "sunny", "cloudy", "rainy", "stormy"}

// writeEnriched writes the enriched order of o as the enricher does, once at its placement.
func (h *history) writeEnriched(o *order) {
	cond := conditions[h.rng.Intn(len(conditions))]
	rain := uint8(0)
	if cond == "rainy" || cond == "stormy" {
		rain = 1
	}
	rush := uint8(h.rng.Intn(2))
	h.version++
	v, id, city, at := h.version, o.id, o.city, o.placedAt
	insert := func() {
		h.exec(`INSERT INTO `+h.db+`.orders_enriched (order_id, city_id, placed_at, weather_condition, is_rain, is_rush_hour, _version, _ingested_at)`,
			id, int64(city), at, cond, rain, rush, v, h.clock)
	}
	insert()
	h.written = append(h.written, insert)
}

func (h *history) insertOrder(o order, v uint64, deleted bool) {
	var courier *int32
	if o.courier != 0 {
		c := o.courier
		courier = &c
	}
	var deliveredAt *time.Time
	if !o.deliveredAt.IsZero() {
		d := o.deliveredAt
		deliveredAt = &d
	}
	placedAt := o.placedAt
	if deleted {
		placedAt = time.Unix(0, 0).UTC() // a tombstone has defaults but the key
	}
	del := uint8(0)
	if deleted {
		del = 1
	}
	insert := func() {
		h.exec(`INSERT INTO `+h.db+`.orders (id, restaurant_id, courier_id, city_id, status, placed_at, delivered_at, total, _version, _is_deleted, _ingested_at)`,
			o.id, o.rest, courier, o.city, o.status, placedAt, deliveredAt, decimal.New(o.millimes, -3), v, del, h.clock)
	}
	insert()
	h.written = append(h.written, insert)
	h.changes++
}

func (h *history) insertLine(l line) {
	del := uint8(0)
	if l.deleted {
		del = 1
	}
	insert := func() {
		h.exec(`INSERT INTO `+h.db+`.order_items (id, order_id, menu_item_id, qty, unit_price, _version, _is_deleted, _ingested_at)`,
			l.id, l.order, l.dish, l.qty, decimal.New(l.priceMillimes, -3), l.version, del, h.clock)
	}
	insert()
	h.written = append(h.written, insert)
	h.changes++
}

// exec buffers one row of insert, as the ingester does: flush writes the buffered rows of
// each table in one insert.
func (h *history) exec(insert string, values ...any) {
	if h.pending == nil {
		h.pending = map[string][][]any{}
	}
	if len(h.pending) == 0 {
		h.oldest = h.clock
	}
	if _, ok := h.pending[insert]; !ok {
		h.inserts = append(h.inserts, insert)
	}
	h.pending[insert] = append(h.pending[insert], values)
}

// flush writes the buffered rows, a table at a time in the order first written.
func (h *history) flush() {
	h.t.Helper()
	ctx := context.Background()
	for _, insert := range h.inserts {
		batch, err := h.conn.PrepareBatch(ctx, insert)
		if err != nil {
			h.t.Fatalf("%s: %v", insert, err)
		}
		for _, values := range h.pending[insert] {
			if err := batch.Append(values...); err != nil {
				h.t.Fatalf("%s: %v", insert, err)
			}
		}
		if err := batch.Send(); err != nil {
			h.t.Fatalf("%s: %v", insert, err)
		}
	}
	h.pending, h.inserts = nil, nil
}

// families are both families with the simulated clock.
func (h *history) families() []seal.Family {
	now := h.clock
	clock := func(context.Context) (time.Time, error) { return now, nil }
	d, p := h.delivered.Family(), h.placed.Family()
	d.Clock, p.Clock = clock, clock
	return []seal.Family{d, p}
}

// seal seals both families, sometimes twice at once (two ingesters with the same T).
func (h *history) seal() {
	if h.rng.Intn(2) == 0 {
		h.flush() // else the rows buffered, ingested before T, come after the seal's read
	}
	times := 1 + h.rng.Intn(2)
	var g errgroup.Group
	for i := 0; i < times; i++ {
		for _, f := range h.families() {
			g.Go(func() error {
				_, err := f.Seal(context.Background())
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		h.t.Fatal(err)
	}
	h.seals++
}

// merge merges the parts of a mirror or of a state, as ClickHouse does in the background.
func (h *history) merge() {
	tables := []string{"orders", "order_items", "orders_enriched", "block_changes_state", "id_bounds_state", "delivered_changes_state",
		"placed_changes_state", "delivered_city_hour_sealed", "delivered_city_sealed_hours"}
	table := tables[h.rng.Intn(len(tables))]
	h.flush()
	if err := h.conn.Exec(context.Background(), `OPTIMIZE TABLE `+h.db+`.`+table+` FINAL`); err != nil {
		h.t.Fatalf("optimize %s: %v", table, err)
	}
}

// window is a random window over the hours of the history and around them: whole hours, or
// not.
func (h *history) window() (time.Time, time.Time) {
	a := h.rng.Intn(lastHour + 2)
	b := a + 1 + h.rng.Intn(lastHour+2-a)
	from, to := day.Add(time.Duration(a-1)*time.Hour), day.Add(time.Duration(b-1)*time.Hour)
	if h.rng.Intn(2) == 0 {
		from = from.Add(time.Duration(h.rng.Intn(3600)) * time.Second)
	}
	if h.rng.Intn(2) == 0 {
		to = to.Add(time.Duration(h.rng.Intn(3600)) * time.Second)
	}
	return from, to
}

// check compares the sums with FINAL over the mirror over random windows and the whole day,
// with a seal running at the same time half the time: first as the history left the seals
// (some hours changed since theirs), then after a quiet while and a seal.
func (h *history) check(step int) {
	h.t.Helper()
	ctx := context.Background()
	h.flush()
	var sealing errgroup.Group
	if h.rng.Intn(2) == 0 {
		for _, f := range h.families() {
			sealing.Go(func() error {
				_, err := f.Seal(ctx)
				return err
			})
		}
	}
	for w := 0; w < 6; w++ {
		if w == 3 { // quiet for a while, then sealed: most hours are read from their seals
			h.clock = h.clock.Add(seal.Margin + 30*time.Second)
			h.seal()
		}
		from, to := h.window()
		if w%3 == 0 {
			from, to = day.Add(-time.Hour), day.Add((lastHour+1)*time.Hour)
		}
		for _, f := range h.families() {
			p, err := f.Plan(ctx, from, to)
			if err != nil {
				h.t.Fatal(err)
			}
			if p.Sealed() {
				h.sealedReads++
			}
		}
		for _, dim := range []delivered.Dim{delivered.City, delivered.Restaurant, delivered.Courier} {
			city, per := int32(h.rng.Intn(4)), []delivered.Per{delivered.Window, delivered.Hour}[h.rng.Intn(2)]
			rows, err := h.delivered.Sums(ctx, dim, from, to, city, per)
			if err != nil {
				h.t.Fatal(err)
			}
			got := make([]string, len(rows))
			for i, r := range rows {
				var period int64
				if !r.Period.IsZero() {
					period = r.Period.Unix()
				}
				got[i] = fmt.Sprintf("%d %d ci%d %d %d %d", period, r.Key, r.CityID, r.DeliveredOrders, r.Millimes, r.DeliverySeconds)
			}
			h.compare(step, fmt.Sprintf("delivered %s of city %d per %d", dim, city, per), from, to, got, h.finalDelivered(dim, from, to, city, per))
		}
		city := int32(h.rng.Intn(4))
		dishes, err := h.placed.Dishes(ctx, from, to, city)
		if err != nil {
			h.t.Fatal(err)
		}
		got := make([]string, len(dishes))
		for i, d := range dishes {
			got[i] = fmt.Sprintf("%d %d %d %d", d.MenuItemID, d.Units, d.Orders, d.Millimes)
		}
		h.compare(step, fmt.Sprintf("dishes of city %d", city), from, to, got, testenv.Strings(h.t, h.conn, `
			SELECT concat(toString(menu_item_id), ' ', toString(toInt64(sum(qty))), ' ', toString(uniqExact(order_id)), ' ',
				toString(sum(toInt64(qty) * toInt64(round(toFloat64(unit_price) * 1000)))))
			FROM `+h.db+`.order_items FINAL
			WHERE _is_deleted = 0 AND order_id IN (
				SELECT id FROM `+h.db+`.orders FINAL
				WHERE _is_deleted = 0 AND status != 'cancelled' AND (? = 0 OR city_id = ?) AND placed_at >= ? AND placed_at < ?)
			GROUP BY menu_item_id ORDER BY menu_item_id`, city, city, from, to))
		city = int32(h.rng.Intn(4))
		weather, err := h.placed.Weather(ctx, from, to, city)
		if err != nil {
			h.t.Fatal(err)
		}
		got = make([]string, len(weather))
		for i, w := range weather {
			got[i] = fmt.Sprintf("%s %t %t %d %d %d", w.Condition, w.Rain, w.Rush, w.Orders, w.Delivered, w.Seconds)
		}
		h.compare(step, fmt.Sprintf("weather of city %d", city), from, to, got, testenv.Strings(h.t, h.conn, `
			SELECT concat(cond, ' ', if(rain = 1, 'true', 'false'), ' ', if(rush = 1, 'true', 'false'), ' ', toString(n), ' ',
				toString(done), ' ', toString(sec))
			FROM (
				SELECT weather_condition AS cond, is_rain AS rain, is_rush_hour AS rush, count() AS n, sum(delivered) AS done,
					sum(seconds) AS sec
				FROM (
					SELECT order_id AS oid, weather_condition, is_rain, is_rush_hour FROM `+h.db+`.orders_enriched FINAL
					WHERE (? = 0 OR city_id = ?) AND placed_at >= ? AND placed_at < ?
				) AS placed
				ANY LEFT JOIN (
					SELECT id AS oid, toUInt8(1) AS delivered, toInt64(assumeNotNull(delivered_at)) - toInt64(placed_at) AS seconds
					FROM `+h.db+`.orders FINAL WHERE _is_deleted = 0 AND status = 'delivered'
				) AS mirror USING oid
				GROUP BY cond, rain, rush
			) ORDER BY cond, rain, rush`, city, city, from, to))
	}
	if err := sealing.Wait(); err != nil {
		h.t.Fatal(err)
	}
}

// finalDelivered is the delivered sums computed with FINAL over the orders mirror, formatted as
// check formats Sums.
func (h *history) finalDelivered(dim delivered.Dim, from, to time.Time, city int32, per delivered.Per) []string {
	period := `toInt64(0)`
	if per == delivered.Hour {
		period = `toInt64(toUInt32(toStartOfHour(assumeNotNull(delivered_at))))`
	}
	key := map[delivered.Dim]string{delivered.City: `toInt64(city_id)`, delivered.Restaurant: `toInt64(restaurant_id)`,
		delivered.Courier: `toInt64(ifNull(courier_id, 0))`}[dim]
	// The first city of the key's earliest hour (couriers 0, without one, are of every city).
	keyCity := `argMin(city_id, toInt64(toUInt32(toStartOfHour(assumeNotNull(delivered_at)))) * 1000000 + city_id)`
	return testenv.Strings(h.t, h.conn, `
		SELECT concat(toString(period), ' ', toString(key), ' ci', toString(kc), ' ', toString(n), ' ', toString(m), ' ', toString(sec))
		FROM (
			SELECT `+period+` AS period, `+key+` AS key, `+keyCity+` AS kc, count() AS n,
				sum(toInt64(round(toFloat64(total) * 1000))) AS m, sum(toInt64(assumeNotNull(delivered_at)) - toInt64(placed_at)) AS sec
			FROM `+h.db+`.orders FINAL
			WHERE _is_deleted = 0 AND status = 'delivered' AND delivered_at >= ? AND delivered_at < ? AND (? = 0 OR city_id = ?)
			GROUP BY period, key
		) ORDER BY period, key`, from, to, city, city)
}

func (h *history) compare(step int, what string, from, to time.Time, got, want []string) {
	h.t.Helper()
	h.reads++
	if g, w := strings.Join(got, "; "), strings.Join(want, "; "); g != w {
		h.t.Fatalf("step %d, %s over [%s, %s):\n got %s\nwant %s (FINAL over the mirror)", step, what,
			from.Format("15:04:05"), to.Format("15:04:05"), g, w)
	}
}
