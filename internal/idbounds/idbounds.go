// Package idbounds narrows a read of a CDC mirror to the ids of a window.
//
// The mirrors are ordered by their PostgreSQL primary key (a DELETE carries nothing else, see
// sql/clickhouse/0001), so a condition on a time scans every row. Ids come from sequences,
// hence rows of a few minutes have a narrow id range: id_bounds_state (0007) keeps the
// smallest and largest id per minute of a time, or per block of order ids, and a read adds
// `id BETWEEN lo AND hi` to its exact condition so that the primary key prunes the rest.
package idbounds

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Source is what a bucket of id_bounds_state is of.
type Source string

// The sources id_bounds_state keeps (one materialized view each).
const (
	OrdersPlaced      Source = "orders.placed_at"              // orders by the minute of placed_at
	OrdersDelivered   Source = "orders.delivered_at"           // delivered orders by the minute of delivered_at
	OrderItemsByOrder Source = "order_items.order_id"          // order lines by block of order ids
	PositionsByTime   Source = "courier_positions.recorded_at" // GPS fixes by the minute of recorded_at
	PositionsByOrder  Source = "courier_positions.order_id"    // GPS fixes by block of order ids
)

// orderBlock is the number of order ids per bucket of the order-id sources.
const orderBlock = 1024

// Range is an inclusive id range; Empty when the buckets hold no row.
type Range struct {
	Lo, Hi int64
	Empty  bool
}

// Table reads id_bounds_state of one database.
type Table struct {
	Conn driver.Conn
	Name string // qualified name of id_bounds_state, e.g. flavortrend.id_bounds_state
}

// Times is the id range of a time source's rows with the time in [from, to).
func (t Table) Times(ctx context.Context, src Source, from, to time.Time) (Range, error) {
	lo := from.UTC().Truncate(time.Minute).Unix()
	return t.buckets(ctx, src, lo, to.UTC().Unix()-1) // the minute holding to−1 s is the last
}

// Hours is, per hour, the id range [lo, hi] of a time source's rows with the time in
// [from, to): the buckets Times would read, grouped by hour. Hours without a row are absent.
func (t Table) Hours(ctx context.Context, src Source, from, to time.Time) (map[time.Time][2]int64, error) {
	rows, err := t.Conn.Query(ctx, `SELECT toDateTime(intDiv(bucket, 3600) * 3600, 'UTC') AS hour, minMerge(min_id), maxMerge(max_id)
		FROM `+t.Name+`
		WHERE source = ? AND bucket >= ? AND bucket <= ?
		GROUP BY hour`, string(src), from.UTC().Truncate(time.Minute).Unix(), to.UTC().Unix()-1)
	if err != nil {
		return nil, fmt.Errorf("id bounds of %s: %w", src, err)
	}
	defer rows.Close()
	out := map[time.Time][2]int64{}
	for rows.Next() {
		var hour time.Time
		var r [2]int64
		if err := rows.Scan(&hour, &r[0], &r[1]); err != nil {
			return nil, fmt.Errorf("id bounds of %s: %w", src, err)
		}
		out[hour.UTC()] = r
	}
	return out, rows.Err()
}

// Orders is the id range of an order-id source's rows with an order id in [lo, hi].
func (t Table) Orders(ctx context.Context, src Source, lo, hi int64) (Range, error) {
	return t.buckets(ctx, src, lo/orderBlock, hi/orderBlock)
}

// buckets merges the bounds of the buckets in [lo, hi] (hi as a time is rounded down to its
// minute by the comparison: a minute bucket is the epoch second of its start).
func (t Table) buckets(ctx context.Context, src Source, lo, hi int64) (Range, error) {
	var r Range
	var n uint64
	err := t.Conn.QueryRow(ctx, `SELECT minMerge(min_id), maxMerge(max_id), count() FROM `+t.Name+
		` WHERE source = ? AND bucket >= ? AND bucket <= ?`, string(src), lo, hi).Scan(&r.Lo, &r.Hi, &n)
	if err != nil {
		return r, fmt.Errorf("id bounds of %s: %w", src, err)
	}
	r.Empty = n == 0
	return r, nil
}
