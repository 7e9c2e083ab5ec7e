// Package delivered sums the delivered orders per hour of delivered_at — count, revenue and
// delivery time — by city, restaurant and courier, exactly and fast over long windows.
//
// The orders mirror holds every version of every order, so an exact sum reads it with FINAL:
// fine for an hour (within its id bounds), seconds for a month. Sum states in a rollup would
// be fast but count a row the ingester wrote twice after a crash. So finished hours are sealed
// instead: Seal computes each hour that changed since its last seal exactly from the mirror and
// stores the sums stamped with the server's time T (delivered_per_hour_sealed and its marker in
// delivered_sealed_hours, sql/clickhouse/0007). A seal stays valid while no delivered version
// of the hour was ingested after T − Margin; Read takes the valid sealed hours and sums the
// others live, so its answer never depends on whether or when the sealer ran.
package delivered

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flavortrend/flavortrend/internal/idbounds"
)

// Margin is how long before a seal's T a change must have been ingested for the seal to cover
// it: an insert that started before T may become visible after the seal's read began.
const Margin = 120 * time.Second

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

// Row is the delivered orders of one key of a dimension in one hour.
type Row struct {
	Hour            time.Time
	Key             int64 // the city, restaurant or courier id
	CityID          int32 // the city of the orders (of any of them, for a restaurant or courier)
	DeliveredOrders int64
	Millimes        int64 // Σ total, in millimes (1/1000 TND)
	DeliverySeconds int64 // Σ delivered_at − placed_at
}

// Store reads and seals the sums of one ClickHouse database.
type Store struct {
	Conn     driver.Conn
	Database string
}

func (s Store) table(name string) string { return s.Database + "." + name }

// Read is the sums per hour and key of dim of the orders delivered in [from, to) in one city
// (0: all), by hour then key.
func (s Store) Read(ctx context.Context, dim Dim, from, to time.Time, city int32) ([]Row, error) {
	from, to = from.UTC(), to.UTC()
	if !to.After(from) {
		return nil, nil
	}
	// Each hour of the window with a delivery: valid sealed rows for the hours wholly inside
	// the window, a live sum for the rest.
	hours, err := s.hourStates(ctx, from.Truncate(time.Hour), to)
	if err != nil {
		return nil, err
	}
	sealed := map[time.Time]time.Time{} // hour → sealed_at of its valid seal
	var live []time.Time
	for _, h := range hours {
		if h.valid && !h.hour.Before(from) && !h.hour.Add(time.Hour).After(to) {
			sealed[h.hour] = h.sealedAt
		} else {
			live = append(live, h.hour)
		}
	}
	var out []Row
	if len(sealed) > 0 {
		rows, stale, err := s.sealedRows(ctx, dim, sealed, city)
		if err != nil {
			return nil, err
		}
		out, live = rows, append(live, stale...)
	}
	for _, span := range spans(live, from, to) {
		rows, err := s.live(ctx, []Dim{dim}, span[0], span[1], city)
		if err != nil {
			return nil, err
		}
		out = append(out, rows[dim]...)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Hour.Equal(out[j].Hour) {
			return out[i].Hour.Before(out[j].Hour)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// hourState is an hour with a delivered version and whether its seal is valid.
type hourState struct {
	hour, sealedAt time.Time
	valid          bool
}

// hourStates are the hours in [from, to) with a delivered version, oldest first.
func (s Store) hourStates(ctx context.Context, from, to time.Time) ([]hourState, error) {
	rows, err := s.Conn.Query(ctx, `SELECT hour, sealed_at, sealed_at > changed + ? AS valid
		FROM (
			SELECT hour, maxMerge(changed) AS changed FROM `+s.table("delivered_changes_state")+`
			WHERE hour >= ? AND hour < ? GROUP BY hour
		) AS changes ANY LEFT JOIN (
			SELECT hour, max(sealed_at) AS sealed_at FROM `+s.table("delivered_sealed_hours")+`
			WHERE hour >= ? AND hour < ? GROUP BY hour
		) AS seals USING hour
		ORDER BY hour
		SETTINGS enable_optimize_predicate_expression = 1`, int64(Margin/time.Second), from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("delivered hours: %w", err)
	}
	defer rows.Close()
	var out []hourState
	for rows.Next() {
		var h hourState
		var valid uint8
		if err := rows.Scan(&h.hour, &h.sealedAt, &valid); err != nil {
			return nil, fmt.Errorf("delivered hours: %w", err)
		}
		h.hour, h.valid = h.hour.UTC(), valid == 1
		out = append(out, h)
	}
	return out, rows.Err()
}

// sealedRows are the dim rows of the hours' seals; stale are the hours whose rows are not
// those of their marker (a seal that wrote its rows but not yet its marker, or the reverse).
func (s Store) sealedRows(ctx context.Context, dim Dim, hours map[time.Time]time.Time, city int32) (out []Row, stale []time.Time, err error) {
	first, last := time.Time{}, time.Time{}
	for h := range hours {
		if first.IsZero() || h.Before(first) {
			first = h
		}
		if h.After(last) {
			last = h
		}
	}
	rows, err := s.Conn.Query(ctx, `SELECT hour, key, city_id, sealed_at, delivered_orders, revenue_millimes, delivery_seconds
		FROM `+s.table("delivered_per_hour_sealed")+` FINAL
		WHERE hour >= ? AND hour <= ? AND dim = ? AND (? = 0 OR city_id = ?)`, first, last, string(dim), city, city)
	if err != nil {
		return nil, nil, fmt.Errorf("sealed sums: %w", err)
	}
	defer rows.Close()
	bad := map[time.Time]bool{}
	for rows.Next() {
		var r Row
		var at time.Time
		var n uint64
		if err := rows.Scan(&r.Hour, &r.Key, &r.CityID, &at, &n, &r.Millimes, &r.DeliverySeconds); err != nil {
			return nil, nil, fmt.Errorf("sealed sums: %w", err)
		}
		r.Hour, r.DeliveredOrders = r.Hour.UTC(), int64(n)
		want, ok := hours[r.Hour]
		if !ok {
			continue // an hour read live
		}
		if !at.Equal(want) {
			// A newer seal's row than the marker: its marker is not written yet. (An older
			// row is a city the newer seal no longer has; it is simply left out.)
			if at.After(want) {
				bad[r.Hour] = true
			}
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sealed sums: %w", err)
	}
	if len(bad) == 0 {
		return out, nil, nil
	}
	kept := out[:0]
	for _, r := range out {
		if !bad[r.Hour] {
			kept = append(kept, r)
		}
	}
	for h := range bad {
		stale = append(stale, h)
	}
	return kept, stale, nil
}

// spans turns hours into the shortest list of [from, to) ranges covering them, clipped to the
// window.
func spans(hours []time.Time, from, to time.Time) [][2]time.Time {
	sort.Slice(hours, func(i, j int) bool { return hours[i].Before(hours[j]) })
	var out [][2]time.Time
	for _, h := range hours {
		a, b := h, h.Add(time.Hour)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if n := len(out); n > 0 && !out[n-1][1].Before(a) {
			out[n-1][1] = b
			continue
		}
		out = append(out, [2]time.Time{a, b})
	}
	return out
}

// live sums the dims per hour of the orders delivered in [from, to) from the orders mirror
// (FINAL, not deleted, within the window's id bounds), in one pass.
func (s Store) live(ctx context.Context, want []Dim, from, to time.Time, city int32) (map[Dim][]Row, error) {
	ids, err := idbounds.Table{Conn: s.Conn, Name: s.table("id_bounds_state")}.Times(ctx, idbounds.OrdersDelivered, from, to)
	if err != nil || ids.Empty {
		return nil, err
	}
	names := make([]string, len(want))
	for i, d := range want {
		names[i] = string(d)
	}
	rows, err := s.Conn.Query(ctx, `SELECT hour, d.1 AS dim, d.2 AS key, any(city) AS city_id, count(), sum(millimes), sum(seconds)
		FROM (
			SELECT toStartOfHour(assumeNotNull(delivered_at)) AS hour, city_id AS city, restaurant_id, ifNull(courier_id, 0) AS courier,
				toInt64(round(toFloat64(total) * 1000)) AS millimes, toInt64(assumeNotNull(delivered_at)) - toInt64(placed_at) AS seconds
			FROM `+s.table("orders")+` FINAL
			WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND status = 'delivered'
				AND delivered_at >= ? AND delivered_at < ? AND (? = 0 OR city_id = ?)
		) AS delivered
		ARRAY JOIN [('city', toInt64(city)), ('restaurant', toInt64(restaurant_id)), ('courier', toInt64(courier))] AS d
		WHERE has(?, d.1)
		GROUP BY hour, dim, key`, ids.Lo, ids.Hi, from.UTC(), to.UTC(), city, city, names)
	if err != nil {
		return nil, fmt.Errorf("live sums: %w", err)
	}
	defer rows.Close()
	out := map[Dim][]Row{}
	for rows.Next() {
		var r Row
		var dim string
		var n uint64
		if err := rows.Scan(&r.Hour, &dim, &r.Key, &r.CityID, &n, &r.Millimes, &r.DeliverySeconds); err != nil {
			return nil, fmt.Errorf("live sums: %w", err)
		}
		r.Hour, r.DeliveredOrders = r.Hour.UTC(), int64(n)
		out[Dim(dim)] = append(out[Dim(dim)], r)
	}
	return out, rows.Err()
}

// maxSealSpan is the longest run of hours one sealing query computes.
const maxSealSpan = 24 * time.Hour

// Seal seals every finished hour whose seal is missing or no longer valid, and returns how
// many it sealed.
func (s Store) Seal(ctx context.Context) (int, error) {
	var t time.Time
	if err := s.Conn.QueryRow(ctx, `SELECT now()`).Scan(&t); err != nil {
		return 0, fmt.Errorf("seal: server time: %w", err)
	}
	hours, err := s.hourStates(ctx, time.Unix(0, 0).UTC(), t.UTC().Truncate(time.Hour))
	if err != nil {
		return 0, err
	}
	var dirty []time.Time
	for _, h := range hours {
		if !h.valid {
			dirty = append(dirty, h.hour)
		}
	}
	for _, span := range spans(dirty, time.Unix(0, 0).UTC(), t.UTC().Truncate(time.Hour)) {
		for a := span[0]; a.Before(span[1]); a = a.Add(maxSealSpan) {
			b := a.Add(maxSealSpan)
			if b.After(span[1]) {
				b = span[1]
			}
			if err := s.sealSpan(ctx, a, b, t); err != nil {
				return 0, err
			}
		}
	}
	return len(dirty), nil
}

// sealSpan computes the hours in [from, to) and writes their rows, then their markers, at t.
func (s Store) sealSpan(ctx context.Context, from, to, t time.Time) error {
	sums, err := s.live(ctx, dims, from, to, 0)
	if err != nil {
		return err
	}
	batch, err := s.Conn.PrepareBatch(ctx, `INSERT INTO `+s.table("delivered_per_hour_sealed")+
		` (hour, dim, key, city_id, sealed_at, delivered_orders, revenue_millimes, delivery_seconds)`)
	if err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	for dim, rows := range sums {
		for _, r := range rows {
			if err := batch.Append(r.Hour, string(dim), r.Key, r.CityID, t, uint64(r.DeliveredOrders), r.Millimes, r.DeliverySeconds); err != nil {
				return fmt.Errorf("seal: %w", err)
			}
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("seal %s: %w", from.Format(time.RFC3339), err)
	}
	markers, err := s.Conn.PrepareBatch(ctx, `INSERT INTO `+s.table("delivered_sealed_hours")+` (hour, sealed_at)`)
	if err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		if err := markers.Append(h, t); err != nil {
			return fmt.Errorf("seal: %w", err)
		}
	}
	if err := markers.Send(); err != nil {
		return fmt.Errorf("seal markers %s: %w", from.Format(time.RFC3339), err)
	}
	return nil
}

// Run seals every interval until ctx ends; a failed pass is logged and retried at the next.
func (s Store) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		start := time.Now()
		if n, err := s.Seal(ctx); err != nil && ctx.Err() == nil {
			log.Warn("seal of the delivered sums failed", "err", err)
		} else if n > 0 {
			log.Info("delivered sums sealed", "hours", n, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
