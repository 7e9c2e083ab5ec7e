// Package delivered sums the delivered orders per hour of delivered_at — count, revenue and
// delivery time — by city, restaurant and courier, exactly and fast over long windows.
//
// Finished hours are sealed (internal/seal) into delivered_city_hour_sealed, by key and city,
// their markers into delivered_city_sealed_hours (sql/clickhouse/0010). An hour changes when a
// delivered version of it is ingested (delivered_changes_state, 0007), or any version or
// tombstone of an order within its id bounds (block_changes_state, 0010), so that a delete, a
// status leaving delivered or a delivered_at moved to another hour also changes the hour the
// order leaves. Sums takes the valid seals of the hours wholly inside the window and sums the
// rest live from the orders mirror (FINAL, within the window's id bounds), so its answer never
// depends on whether or when the sealer ran.
package delivered

import (
	"context"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"

	"github.com/flavortrend/flavortrend/internal/idbounds"
	"github.com/flavortrend/flavortrend/internal/seal"
)

// Dim is what the sums are by.
type Dim string

// The dimensions of the sums.
const (
	City       Dim = "city"
	Restaurant Dim = "restaurant"
	Courier    Dim = "courier" // key 0: delivered without a courier
)

// dims are every dimension, sealed together.
var dims = []Dim{City, Restaurant, Courier}

// Row is the delivered orders of one key of a dimension in one period of a window.
type Row struct {
	Period          time.Time // the start of the period (Per), UTC; zero for the whole window
	Key             int64     // the city, restaurant or courier id
	CityID          int32     // the city of the orders (for a restaurant or courier, the first of its earliest hour)
	DeliveredOrders int64
	Millimes        int64 // Σ total, in millimes (1/1000 TND)
	DeliverySeconds int64 // Σ delivered_at − placed_at
}

// Per is what Sums adds the hours up to.
type Per int

// The periods of Sums.
const (
	Window Per = iota // the whole window
	Hour              // each hour
	Week              // each ISO week, from Monday 00:00 UTC
)

// periods are the SQL of each period's start, epoch seconds, from the column hour.
var periods = map[Per]string{
	Window: `toInt64(0)`,
	Hour:   `toInt64(toUInt32(hour))`,
	// Days since the epoch, back to their Monday (1970-01-01 was a Thursday).
	Week: `(intDiv(toInt64(toUInt32(hour)), 86400) - (intDiv(toInt64(toUInt32(hour)), 86400) + 3) % 7) * 86400`,
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
		Name:    "delivered sums",
		Markers: s.table("delivered_city_sealed_hours"),
		Changes: s.changes,
		Compute: s.compute,
	}
}

// changes are the hours of delivered_at that overlap [from, to) with a delivered version, each
// with the id range of the delivered orders within the window and its last change: when a
// delivered version of the hour, or any version of an order in that id range, was last
// ingested. The hours and their ids are read at the same time, then the changes of the blocks
// of those ids (block_changes_state, sql/clickhouse/0010).
func (s Store) changes(ctx context.Context, from, to time.Time) ([]seal.Change, error) {
	var changed map[time.Time]time.Time
	var ids map[time.Time][2]int64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		changed, err = seal.HourTimes(gctx, s.Conn, s.table("delivered_changes_state"), "maxMerge(changed)", from, to)
		return err
	})
	g.Go(func() error {
		var err error
		ids, err = idbounds.Table{Conn: s.Conn, Name: s.table("id_bounds_state")}.Hours(gctx, idbounds.OrdersDelivered, from, to)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	all := make([][2]int64, 0, len(ids))
	for _, r := range ids {
		all = append(all, r)
	}
	bounds := seal.Bounds(all...)
	blocks, err := seal.ReadBlocks(ctx, s.Conn, s.table("block_changes_state"), "orders", bounds[0], bounds[1])
	if err != nil {
		return nil, err
	}
	out := make([]seal.Change, 0, len(changed))
	for hour, at := range changed {
		r, ok := ids[hour]
		if !ok {
			r = [2]int64{1, 0}
		}
		// Every order ever delivered in the hour is within its ids: a change of one of them
		// (a delete, a status leaving delivered, delivered_at moved away) is one of their blocks'.
		if b := blocks.Last(r); b.After(at) {
			at = b
		}
		out = append(out, seal.Change{Hour: hour, At: at, IDs: [][2]int64{r}})
	}
	return out, nil
}

// Sums is the sums per period and key of dim of the orders delivered in [from, to) in one city
// (0: all), by period then key: the valid sealed hours and a live sum of the rest, added up
// in ClickHouse.
func (s Store) Sums(ctx context.Context, dim Dim, from, to time.Time, city int32, per Per) ([]Row, error) {
	var out []Row
	err := s.Family().Read(ctx, from, to, seal.Query{
		Columns: `hour, key, city, n, m, sec`,
		Table:   s.table("delivered_city_hour_sealed"),
		Sealed:  `hour, key, city_id AS city, delivered_orders AS n, revenue_millimes AS m, delivery_seconds AS sec`,
		Where:   `dim = ? AND (? = 0 OR city_id = ?)`,
		Args:    []any{string(dim), city, city},
		Live: func(spans []seal.Span) (string, []any) {
			return s.live([]Dim{dim}, spans, city)
		},
		Outer: `SELECT ` + periods[per] + ` AS period, key, argMin(city, toInt64(toUInt32(hour)) * 1000000 + city) AS key_city,
				sum(n), sum(m), sum(sec), max(newer)
			FROM (%s) AS hours
			GROUP BY period, key
			ORDER BY period, key`,
		Scan: func(rows driver.Rows) (bool, error) {
			var r Row
			var period int64
			var n uint64
			var newer uint8
			if err := rows.Scan(&period, &r.Key, &r.CityID, &n, &r.Millimes, &r.DeliverySeconds, &newer); err != nil {
				return false, err
			}
			if per != Window {
				r.Period = time.Unix(period, 0).UTC()
			}
			r.DeliveredOrders = int64(n)
			out = append(out, r)
			return newer == 1, nil
		},
		Reset: func() { out = nil },
	})
	return out, err
}

// live is the query of the sums per hour of the dims of the orders delivered in the spans in
// one city (0: all), from the orders mirror (FINAL, not deleted, within each span's ids) in
// one pass: columns hour, dim, key, city, n (orders), m (millimes) and sec (delivery seconds),
// per city of the orders, so that a read of one city takes its own rows of a courier (or of
// the orders without one) that delivered in several.
func (s Store) live(want []Dim, spans []seal.Span, city int32) (string, []any) {
	within := make([]string, len(spans))
	args := []any{city, city}
	for i, span := range spans {
		within[i] = "(id >= ? AND id <= ? AND delivered_at >= ? AND delivered_at < ?)"
		args = append(args, span.IDs[0][0], span.IDs[0][1], span.From.UTC(), span.To.UTC())
	}
	names := make([]string, len(want))
	for i, d := range want {
		names[i] = string(d)
	}
	return `SELECT hour, d.1 AS dim, d.2 AS key, order_city AS city, count() AS n, sum(millimes) AS m, sum(seconds) AS sec
		FROM (
			SELECT toStartOfHour(assumeNotNull(delivered_at)) AS hour, city_id AS order_city, restaurant_id,
				ifNull(courier_id, 0) AS courier, toInt64(round(toFloat64(total) * 1000)) AS millimes,
				toInt64(assumeNotNull(delivered_at)) - toInt64(placed_at) AS seconds
			FROM ` + s.table("orders") + ` FINAL
			WHERE _is_deleted = 0 AND status = 'delivered' AND (? = 0 OR city_id = ?) AND (` + strings.Join(within, " OR ") + `)
		) AS delivered
		ARRAY JOIN [('city', toInt64(order_city)), ('restaurant', toInt64(restaurant_id)), ('courier', toInt64(courier))] AS d
		WHERE has(?, d.1)
		GROUP BY hour, dim, key, city`, append(args, names)
}

// compute writes the rows of the span's hours, every dimension, stamped t.
func (s Store) compute(ctx context.Context, span seal.Span, t time.Time) error {
	q, args := s.live(dims, []seal.Span{span}, 0)
	type row struct {
		hour time.Time
		dim  string
		Row
	}
	var sums []row
	rows, err := s.Conn.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		var n uint64
		if err := rows.Scan(&r.hour, &r.dim, &r.Key, &r.CityID, &n, &r.Millimes, &r.DeliverySeconds); err != nil {
			return err
		}
		r.DeliveredOrders = int64(n)
		sums = append(sums, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	batch, err := s.Conn.PrepareBatch(ctx, `INSERT INTO `+s.table("delivered_city_hour_sealed")+
		` (hour, dim, key, city_id, sealed_at, delivered_orders, revenue_millimes, delivery_seconds)`)
	if err != nil {
		return err
	}
	for _, r := range sums {
		if err := batch.Append(r.hour, r.dim, r.Key, r.CityID, t, uint64(r.DeliveredOrders), r.Millimes, r.DeliverySeconds); err != nil {
			return err
		}
	}
	return batch.Send()
}
