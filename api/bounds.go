package api

import (
	"context"
	"time"

	"github.com/flavortrend/flavortrend/internal/delivered"
	"github.com/flavortrend/flavortrend/internal/idbounds"
	"github.com/flavortrend/flavortrend/internal/placed"
)

// Reads of the CDC mirrors by a time window first narrow them to the window's id range
// (internal/idbounds), which the mirrors' primary key prunes; the exact condition stays in
// the query.

// ids is the id range [lo, hi] of src's rows with the time in [from, to); (1, 0), which no id
// is in, when there are none.
func (d *Deps) ids(ctx context.Context, src idbounds.Source, from, to time.Time) (lo, hi int64, err error) {
	r, err := d.bounds().Times(ctx, src, from, to)
	return rangeArgs(r, err)
}

// idsOfOrders is the id range [lo, hi] of src's rows of the orders with an id in [first, last].
func (d *Deps) idsOfOrders(ctx context.Context, src idbounds.Source, first, last int64) (lo, hi int64, err error) {
	r, err := d.bounds().Orders(ctx, src, first, last)
	return rangeArgs(r, err)
}

func (d *Deps) bounds() idbounds.Table {
	return idbounds.Table{Conn: d.CH, Name: d.table("id_bounds_state")}
}

func rangeArgs(r idbounds.Range, err error) (lo, hi int64, _ error) {
	if err != nil || r.Empty {
		return 1, 0, err
	}
	return r.Lo, r.Hi, nil
}

// delivered reads the sums of the delivered orders per hour, sealed and live
// (internal/delivered).
func (d *Deps) delivered() delivered.Store {
	return delivered.Store{Conn: d.CH, Database: d.CHDatabase}
}

// placed reads the sums of the orders per hour of placed_at, sealed and live
// (internal/placed).
func (d *Deps) placed() placed.Store {
	return placed.Store{Conn: d.CH, Database: d.CHDatabase}
}

// farFuture ends a window open towards the future.
var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
