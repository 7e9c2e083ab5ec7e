package idbounds_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/internal/idbounds"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// The bounds come from the materialized views of 0007 as rows are inserted into the mirrors,
// replays and later versions included.
func TestBounds(t *testing.T) {
	conn, ch := testenv.ClickHouse(t)
	ctx := context.Background()
	at := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, "2026-11-20 "+s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	insert := func(table, cols string, rows ...[]any) {
		t.Helper()
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+ch.Database+"."+table+" ("+cols+")")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := batch.Append(r...); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatal(err)
		}
	}
	const orderCols = "id, status, placed_at, delivered_at, _version, _is_deleted"
	var never *time.Time
	delivered := at("12:30:20")
	// Orders 10-13 placed 12:00:10, 12:00:50, 12:01:30, 12:03:00; 11 delivered 12:30:20 (and
	// written twice, as a replay does), 13 deleted.
	insert("orders", orderCols,
		[]any{int64(10), "placed", at("12:00:10"), never, uint64(1), uint8(0)},
		[]any{int64(11), "placed", at("12:00:50"), never, uint64(2), uint8(0)},
		[]any{int64(12), "placed", at("12:01:30"), never, uint64(3), uint8(0)},
		[]any{int64(13), "placed", at("12:03:00"), never, uint64(4), uint8(0)})
	for range 2 {
		insert("orders", orderCols,
			[]any{int64(11), "delivered", at("12:00:50"), &delivered, uint64(5), uint8(0)},
			[]any{int64(13), "", time.Unix(0, 0), never, uint64(6), uint8(1)})
	}
	// Lines 100-102 of orders 10, 11 and 2000 (another block of 1024 order ids).
	insert("order_items", "id, order_id, _version",
		[]any{int64(100), int64(10), uint64(1)}, []any{int64(101), int64(11), uint64(1)}, []any{int64(102), int64(2000), uint64(1)})

	b := idbounds.Table{Conn: conn, Name: ch.Database + ".id_bounds_state"}
	for _, tc := range []struct {
		name     string
		src      idbounds.Source
		from, to string
		want     idbounds.Range
	}{
		{"whole minutes", idbounds.OrdersPlaced, "12:00:00", "12:02:00", idbounds.Range{Lo: 10, Hi: 12}},
		// A window inside a minute takes the whole minute: a superset, narrowed by the query.
		{"part of a minute", idbounds.OrdersPlaced, "12:00:30", "12:00:40", idbounds.Range{Lo: 10, Hi: 11}},
		// to is exclusive: the minute starting at to is not in.
		{"exclusive end", idbounds.OrdersPlaced, "12:01:00", "12:03:00", idbounds.Range{Lo: 12, Hi: 12}},
		{"to the end", idbounds.OrdersPlaced, "12:01:00", "23:00:00", idbounds.Range{Lo: 12, Hi: 13}},
		{"delivered", idbounds.OrdersDelivered, "12:30:00", "12:31:00", idbounds.Range{Lo: 11, Hi: 11}},
		{"none", idbounds.OrdersDelivered, "12:00:00", "12:30:00", idbounds.Range{Lo: 0, Hi: 0, Empty: true}},
	} {
		got, err := b.Times(ctx, tc.src, at(tc.from), at(tc.to))
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if got, err := b.Orders(ctx, idbounds.OrderItemsByOrder, 10, 11); err != nil || got != (idbounds.Range{Lo: 100, Hi: 101}) {
		t.Errorf("lines of orders 10-11: %+v, %v; want 100-101", got, err)
	}
	if got, err := b.Orders(ctx, idbounds.OrderItemsByOrder, 10, 2000); err != nil || got != (idbounds.Range{Lo: 100, Hi: 102}) {
		t.Errorf("lines of orders 10-2000: %+v, %v; want 100-102", got, err)
	}
	if got, err := b.Orders(ctx, idbounds.OrderItemsByOrder, 5000, 6000); err != nil || !got.Empty {
		t.Errorf("lines of orders 5000-6000: %+v, %v; want none", got, err)
	}
	// Per hour: 12:00 holds orders 10-13; 11:00 and 13:00 none, so they are absent.
	hours, err := b.Hours(ctx, idbounds.OrdersPlaced, at("11:00:00"), at("14:00:00"))
	if want := map[time.Time][2]int64{at("12:00:00"): {10, 13}}; err != nil || !maps.Equal(hours, want) {
		t.Errorf("hours of the placed orders: %v, %v; want %v", hours, err, want)
	}
	if hours, err := b.Hours(ctx, idbounds.OrdersPlaced, at("12:01:00"), at("12:02:00")); err != nil || hours[at("12:00:00")] != [2]int64{12, 12} {
		t.Errorf("hours of 12:01-12:02: %v, %v; want 12:00 → 12-12", hours, err)
	}
}
