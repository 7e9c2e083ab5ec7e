// Package placed sums the orders per hour of placed_at, exactly and fast over long windows:
// the dishes sold (units, orders, sales) for the top dishes, and the orders by the weather at
// placement (placed, delivered, Σ delivery seconds) for the weather reads.
//
// Finished hours are sealed (internal/seal) into placed_dishes_sealed and
// placed_weather_sealed, their markers into placed_sealed_hours (sql/clickhouse/0009). An hour
// changes when a version of one of its orders, an enriched order placed in it, a line of one
// of its orders or a delete of one of them is ingested; the lines and the deletes carry no
// placed_at, so their changes are kept per block of order ids and an hour takes those of the
// blocks of its order-id range. Every version of an order or of a line, tombstones included,
// is also kept by the block of its own id (block_changes_state, sql/clickhouse/0010), and an
// hour takes those of the blocks of its orders' and lines' id ranges: a placed_at moved to
// another hour, a line moved to another order or deleted, change the hour they leave. Dishes
// and Weather take the valid seals of the hours wholly inside the window and compute the rest
// live from the sources, as the reads did before the seals (FINAL within the window's id
// bounds), so their answer never depends on whether or when the sealer ran.
package placed

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"

	"github.com/flavortrend/flavortrend/internal/idbounds"
	"github.com/flavortrend/flavortrend/internal/seal"
)

// orderBlock is the number of order ids per block of placed_block_changes_state, as in
// id_bounds_state.
const orderBlock = 1024

// Dish is what one dish sold in a window, in the orders placed then and not cancelled.
type Dish struct {
	MenuItemID int32
	Units      int64 // Σ qty of its lines
	Orders     int64 // orders with the dish
	Millimes   int64 // Σ qty × unit_price, in millimes (1/1000 TND)
}

// Weather is the orders placed in a window under one weather.
type Weather struct {
	Condition string // in force at placement; empty when the city had no observation yet
	Rain      bool   // the condition is rainy or stormy
	Rush      bool   // placed in a rush hour, local time
	Orders    int64  // placed (orders_enriched)
	Delivered int64  // of them delivered by now (orders mirror)
	Seconds   int64  // Σ delivered_at − placed_at of the delivered ones
}

// Store reads and seals the sums of one ClickHouse database.
type Store struct {
	Conn     driver.Conn
	Database string
}

func (s Store) table(name string) string { return s.Database + "." + name }

// Family is the sums as a family of sealed hours: its Seal seals them, and seal.Run runs it.
func (s Store) Family() seal.Family {
	return seal.Family{
		Conn:    s.Conn,
		Name:    "placed sums",
		Markers: s.table("placed_sealed_hours"),
		Changes: s.changes,
		Compute: s.compute,
	}
}

// changes are the hours of placed_at that overlap [from, to) with an order or an enriched
// order, each with its last change, that of the order lines of its blocks of order ids and
// that of every version of its orders and of their lines (block_changes_state, 0010)
// included, and the id ranges of its orders and of their lines (IDs: orders, lines). The
// hours' changes and their order ids are read at the same time, then the changes and the line
// ids of the blocks of those ids, then the changes of the blocks of those line ids.
func (s Store) changes(ctx context.Context, from, to time.Time) ([]seal.Change, error) {
	var changed map[time.Time]time.Time
	var orders map[time.Time][2]int64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		changed, err = seal.HourTimes(gctx, s.Conn, s.table("placed_changes_state"), "maxMerge(changed)", from, to)
		return err
	})
	g.Go(func() error {
		var err error
		orders, err = idbounds.Table{Conn: s.Conn, Name: s.table("id_bounds_state")}.Hours(gctx, idbounds.OrdersPlaced, from, to)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	all := make([][2]int64, 0, len(orders))
	for _, r := range orders {
		first, last = min(first, r[0]/orderBlock), max(last, r[1]/orderBlock)
		all = append(all, r)
	}
	var blockChanged map[int64]time.Time
	var lineIDs map[int64][2]int64
	var orderBlocks seal.Blocks
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		blockChanged, lineIDs, err = s.blocks(gctx, first, last)
		return err
	})
	g.Go(func() error {
		bounds := seal.Bounds(all...)
		var err error
		orderBlocks, err = seal.ReadBlocks(gctx, s.Conn, s.table("block_changes_state"), "orders", bounds[0], bounds[1])
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var allLines [][2]int64
	for _, r := range lineIDs {
		allLines = append(allLines, r)
	}
	bounds := seal.Bounds(allLines...)
	lineBlocks, err := seal.ReadBlocks(ctx, s.Conn, s.table("block_changes_state"), "order_items", bounds[0], bounds[1])
	if err != nil {
		return nil, err
	}
	for hour := range orders {
		if _, ok := changed[hour]; !ok {
			changed[hour] = time.Time{}
		}
	}
	out := make([]seal.Change, 0, len(changed))
	for hour, at := range changed {
		ids, ok := orders[hour]
		if !ok {
			ids = [2]int64{1, 0}
		}
		lines := [2]int64{1, 0}
		for b := ids[0] / orderBlock; ok && b <= ids[1]/orderBlock; b++ {
			if c := blockChanged[b]; c.After(at) {
				at = c
			}
			if r, found := lineIDs[b]; found {
				if lines[0] > lines[1] {
					lines = r
				} else {
					lines = [2]int64{min(lines[0], r[0]), max(lines[1], r[1])}
				}
			}
		}
		// Every order ever placed in the hour is within its ids, and every line ever of one of
		// them within its lines: a change of one (placed_at moved away, a delete, a line moved
		// to another order or deleted) is one of their blocks'.
		for _, b := range []time.Time{orderBlocks.Last(ids), lineBlocks.Last(lines)} {
			if b.After(at) {
				at = b
			}
		}
		out = append(out, seal.Change{Hour: hour, At: at, IDs: [][2]int64{ids, lines}})
	}
	return out, nil
}

// blocks are, per block of order ids in [first, last], when a line of its orders or one of its
// orders' tombstones was last ingested, and the id range of its lines; read at the same time.
func (s Store) blocks(ctx context.Context, first, last int64) (changed map[int64]time.Time, lines map[int64][2]int64, err error) {
	changed, lines = map[int64]time.Time{}, map[int64][2]int64{}
	if first > last {
		return changed, lines, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return s.scan(gctx, `SELECT block, maxMerge(changed) FROM `+s.table("placed_block_changes_state")+`
			WHERE block >= ? AND block <= ? GROUP BY block`, []any{first, last}, func(rows driver.Rows) error {
			var block int64
			var at time.Time
			if err := rows.Scan(&block, &at); err != nil {
				return err
			}
			changed[block] = at
			return nil
		})
	})
	g.Go(func() error {
		return s.scan(gctx, `SELECT bucket, minMerge(min_id), maxMerge(max_id) FROM `+s.table("id_bounds_state")+`
			WHERE source = ? AND bucket >= ? AND bucket <= ? GROUP BY bucket`,
			[]any{string(idbounds.OrderItemsByOrder), first, last}, func(rows driver.Rows) error {
				var block int64
				var r [2]int64
				if err := rows.Scan(&block, &r[0], &r[1]); err != nil {
					return err
				}
				lines[block] = r
				return nil
			})
	})
	return changed, lines, g.Wait()
}

// Dishes is what each dish sold in the orders placed in [from, to) in one city (0: all), not
// cancelled, by menu item id.
func (s Store) Dishes(ctx context.Context, from, to time.Time, city int32) ([]Dish, error) {
	var out []Dish
	err := s.Family().Read(ctx, from, to, seal.Query{
		Columns: `dish, u, o, sales`,
		Table:   s.table("placed_dishes_sealed"),
		Sealed:  `menu_item_id AS dish, units AS u, orders AS o, sales_millimes AS sales`,
		Where:   `city_id = ?`, // 0: the rows of all cities
		Args:    []any{city},
		Live: func(spans []seal.Span) (string, []any) {
			return s.dishes(spans, city)
		},
		Outer: `SELECT dish, sum(u), sum(o), sum(sales), max(newer) FROM (%s) AS hours GROUP BY dish ORDER BY dish`,
		Scan: func(rows driver.Rows) (bool, error) {
			var d Dish
			var n uint64
			var newer uint8
			if err := rows.Scan(&d.MenuItemID, &d.Units, &n, &d.Millimes, &newer); err != nil {
				return false, err
			}
			d.Orders = int64(n)
			out = append(out, d)
			return newer == 1, nil
		},
		Reset: func() { out = nil },
	})
	return out, err
}

// Weather is the orders placed in [from, to) in one city (0: all) by the weather at placement,
// by condition, then dry before rain, then non-rush before rush.
func (s Store) Weather(ctx context.Context, from, to time.Time, city int32) ([]Weather, error) {
	var out []Weather
	err := s.Family().Read(ctx, from, to, seal.Query{
		Columns: `cond, rain, rush, n, done, sec`,
		Table:   s.table("placed_weather_sealed"),
		Sealed: `weather_condition AS cond, is_rain AS rain, is_rush_hour AS rush, placed_orders AS n,
			delivered_orders AS done, delivery_seconds AS sec`,
		Where: `(? = 0 OR city_id = ?)`,
		Args:  []any{city, city},
		Live: func(spans []seal.Span) (string, []any) {
			return s.weather(spans, city)
		},
		Outer: `SELECT cond, rain, rush, sum(n), sum(done), sum(sec), max(newer)
			FROM (%s) AS hours
			GROUP BY cond, rain, rush
			ORDER BY cond, rain, rush`,
		Scan: func(rows driver.Rows) (bool, error) {
			var w Weather
			var rain, rush, newer uint8
			var n, done uint64
			if err := rows.Scan(&w.Condition, &rain, &rush, &n, &done, &w.Seconds, &newer); err != nil {
				return false, err
			}
			w.Rain, w.Rush, w.Orders, w.Delivered = rain == 1, rush == 1, int64(n), int64(done)
			out = append(out, w)
			return newer == 1, nil
		},
		Reset: func() { out = nil },
	})
	return out, err
}

// dishes is the query of the dishes sold in the orders placed in the spans in one city (0:
// all), not cancelled: the lines (order_items FINAL, not deleted) of the orders (orders
// FINAL, not deleted), each within the spans' ids. Columns: dish, u (units), o (orders) and
// sales (millimes). A read needs no hour nor city: a semi-join, cheaper than dishesPerHour's
// join.
func (s Store) dishes(spans []seal.Span, city int32) (string, []any) {
	lines, lineArgs, orders, orderArgs := s.dishSpans(spans, city)
	return `SELECT menu_item_id AS dish, toInt64(sum(qty)) AS u, uniqExact(order_id) AS o,
			sum(toInt64(qty) * toInt64(round(toFloat64(unit_price) * 1000))) AS sales
		FROM ` + s.table("order_items") + ` FINAL
		WHERE _is_deleted = 0 AND (` + lines + `) AND order_id IN (
			SELECT id FROM ` + s.table("orders") + ` FINAL
			WHERE _is_deleted = 0 AND status != 'cancelled' AND (? = 0 OR city_id = ?) AND (` + orders + `)
		)
		GROUP BY dish`, append(lineArgs, orderArgs...)
}

// dishesPerHour is the query of dishes per hour and city of the orders placed in the spans, as
// the seal stores them. Columns: hour, city, dish, u, o and sales as in dishes.
func (s Store) dishesPerHour(spans []seal.Span) (string, []any) {
	lines, lineArgs, orders, orderArgs := s.dishSpans(spans, 0)
	return `SELECT hour, city, menu_item_id AS dish, toInt64(sum(qty)) AS u, uniqExact(order_id) AS o,
			sum(toInt64(qty) * millimes) AS sales
		FROM (
			SELECT order_id, menu_item_id, qty, toInt64(round(toFloat64(unit_price) * 1000)) AS millimes
			FROM ` + s.table("order_items") + ` FINAL
			WHERE _is_deleted = 0 AND (` + lines + `)
		) AS lines
		ANY INNER JOIN (
			SELECT id AS order_id, city_id AS city, toStartOfHour(placed_at) AS hour
			FROM ` + s.table("orders") + ` FINAL
			WHERE _is_deleted = 0 AND status != 'cancelled' AND (? = 0 OR city_id = ?) AND (` + orders + `)
		) AS placed USING order_id
		GROUP BY hour, city, dish`, append(lineArgs, orderArgs...)
}

// dishSpans are the conditions, with their binds, on the lines' ids and on the orders (city
// first) of the spans.
func (s Store) dishSpans(spans []seal.Span, city int32) (lines string, lineArgs []any, orders string, orderArgs []any) {
	lineIDs, orderIDs := make([]string, len(spans)), make([]string, len(spans))
	orderArgs = []any{city, city}
	for i, span := range spans {
		lineIDs[i] = "(id >= ? AND id <= ?)"
		orderIDs[i] = "(id >= ? AND id <= ? AND placed_at >= ? AND placed_at < ?)"
		lineArgs = append(lineArgs, span.IDs[1][0], span.IDs[1][1])
		orderArgs = append(orderArgs, span.IDs[0][0], span.IDs[0][1], span.From.UTC(), span.To.UTC())
	}
	return strings.Join(lineIDs, " OR "), lineArgs, strings.Join(orderIDs, " OR "), orderArgs
}

// weather is the query of the orders per hour, city and weather placed in the spans in one
// city (0: all): orders_enriched FINAL, each joined with its delivered version in the orders
// mirror (FINAL, not deleted, within the spans' order ids). Columns: hour, city, cond, rain,
// rush, n (placed), done (delivered) and sec (their delivery seconds). The join is by order id
// alone: an enriched order keeps the placed_at of its placement, while the mirror's may move
// later, and a condition on the mirror's would make the answer depend on how the window is
// cut into spans (each within its hours' ids, which hold every order ever placed in them).
func (s Store) weather(spans []seal.Span, city int32) (string, []any) {
	placed, delivered := make([]string, len(spans)), make([]string, len(spans))
	placedArgs := []any{city, city}
	var deliveredArgs []any
	for i, span := range spans {
		placed[i] = "(placed_at >= ? AND placed_at < ?)"
		delivered[i] = "(id >= ? AND id <= ?)"
		placedArgs = append(placedArgs, span.From.UTC(), span.To.UTC())
		deliveredArgs = append(deliveredArgs, span.IDs[0][0], span.IDs[0][1])
	}
	return `SELECT toStartOfHour(placed_at) AS hour, city_id AS city, weather_condition AS cond, is_rain AS rain,
			is_rush_hour AS rush, count() AS n, sum(delivered) AS done, sum(seconds) AS sec
		FROM (
			SELECT order_id AS oid, placed_at, city_id, weather_condition, is_rain, is_rush_hour
			FROM ` + s.table("orders_enriched") + ` FINAL
			WHERE (? = 0 OR city_id = ?) AND (` + strings.Join(placed, " OR ") + `)
		) AS placed
		ANY LEFT JOIN (
			SELECT id AS oid, toUInt8(1) AS delivered, toInt64(assumeNotNull(delivered_at)) - toInt64(placed_at) AS seconds
			FROM ` + s.table("orders") + ` FINAL
			WHERE _is_deleted = 0 AND status = 'delivered' AND (` + strings.Join(delivered, " OR ") + `)
		) AS mirror USING oid
		GROUP BY hour, city, cond, rain, rush`, append(placedArgs, deliveredArgs...)
}

// compute writes the rows of the span's hours to both tables, stamped t: the dishes per city
// and, under city 0, of all cities.
func (s Store) compute(ctx context.Context, span seal.Span, t time.Time) error {
	spans := []seal.Span{span}
	type dish struct {
		hour time.Time
		city int32
		Dish
	}
	var dishes []dish
	type key struct {
		hour int64
		dish int32
	}
	total := map[key]*dish{} // city 0
	q, args := s.dishesPerHour(spans)
	if err := s.scan(ctx, q, args, func(rows driver.Rows) error {
		var d dish
		var n uint64
		if err := rows.Scan(&d.hour, &d.city, &d.MenuItemID, &d.Units, &n, &d.Millimes); err != nil {
			return err
		}
		d.Orders = int64(n)
		dishes = append(dishes, d)
		// An order is in one city, so the orders of all cities add up.
		k := key{d.hour.Unix(), d.MenuItemID}
		if x := total[k]; x != nil {
			x.Units, x.Orders, x.Millimes = x.Units+d.Units, x.Orders+d.Orders, x.Millimes+d.Millimes
		} else {
			all := d
			all.city = 0
			total[k] = &all
		}
		return nil
	}); err != nil {
		return fmt.Errorf("dishes: %w", err)
	}
	for _, d := range total {
		dishes = append(dishes, *d)
	}
	batch, err := s.Conn.PrepareBatch(ctx, `INSERT INTO `+s.table("placed_dishes_sealed")+
		` (hour, city_id, menu_item_id, sealed_at, units, orders, sales_millimes)`)
	if err != nil {
		return err
	}
	for _, d := range dishes {
		if err := batch.Append(d.hour, d.city, d.MenuItemID, t, d.Units, uint64(d.Orders), d.Millimes); err != nil {
			return err
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("dishes: %w", err)
	}

	type weather struct {
		hour time.Time
		city int64
		Weather
	}
	var rows []weather
	q, args = s.weather(spans, 0)
	if err := s.scan(ctx, q, args, func(r driver.Rows) error {
		var w weather
		var rain, rush uint8
		var n, done uint64
		if err := r.Scan(&w.hour, &w.city, &w.Condition, &rain, &rush, &n, &done, &w.Seconds); err != nil {
			return err
		}
		w.Rain, w.Rush, w.Orders, w.Delivered = rain == 1, rush == 1, int64(n), int64(done)
		rows = append(rows, w)
		return nil
	}); err != nil {
		return fmt.Errorf("weather: %w", err)
	}
	batch, err = s.Conn.PrepareBatch(ctx, `INSERT INTO `+s.table("placed_weather_sealed")+
		` (hour, city_id, weather_condition, is_rain, is_rush_hour, sealed_at, placed_orders, delivered_orders, delivery_seconds)`)
	if err != nil {
		return err
	}
	for _, w := range rows {
		if err := batch.Append(w.hour, w.city, w.Condition, b2u(w.Rain), b2u(w.Rush), t, uint64(w.Orders), uint64(w.Delivered),
			w.Seconds); err != nil {
			return err
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("weather: %w", err)
	}
	return nil
}

// scan runs q and calls row for each row.
func (s Store) scan(ctx context.Context, q string, args []any, row func(driver.Rows) error) error {
	rows, err := s.Conn.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// b2u is a bool as ClickHouse's UInt8.
func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
