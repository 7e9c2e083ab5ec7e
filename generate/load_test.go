package generate

import (
	"context"
	"io"
	"testing"
	"time"
)

// TestLoad writes a few thousand orders in load mode and checks they land whole: every
// order finished its lifecycle, with exact totals, on top of orders already present.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	pool := seeded(t)
	if _, err := Run(ctx, pool, Config{Seed: 1, Start: simStart, Duration: 5 * time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	existing := queryInt(t, pool, `SELECT count(*) FROM orders`)
	maxID := queryInt(t, pool, `SELECT max(id) FROM orders`)

	st, err := Load(ctx, pool, LoadConfig{Seed: 3, Workers: 3, Orders: 7000, BatchSize: 1000}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %d orders, %d lines, %.0f orders/s", st.Orders, st.Items, st.OrdersPerSecond())
	if st.Orders != 7000 {
		t.Fatalf("Load wrote %d orders, want 7000", st.Orders)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM orders WHERE id > $1`, maxID); n != 7000 {
		t.Fatalf("%d new orders in the table, want 7000 (existing %d)", n, existing)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.id > $1`, maxID); n != st.Items {
		t.Fatalf("%d new lines, Load reports %d", n, st.Items)
	}
	zero := []struct{ name, sql string }{
		{"not finished", `SELECT count(*) FROM orders WHERE id > $1 AND status NOT IN ('delivered', 'cancelled')`},
		{"delivered without its steps", `SELECT count(*) FROM orders WHERE id > $1 AND status = 'delivered'
			AND (courier_id IS NULL OR NOT (placed_at <= accepted_at AND accepted_at <= picked_up_at AND picked_up_at <= delivered_at))`},
		{"cancelled inconsistent", `SELECT count(*) FROM orders WHERE id > $1 AND status = 'cancelled'
			AND (cancelled_at IS NULL OR cancelled_at < placed_at OR cancel_reason IS NULL OR delivered_at IS NOT NULL)`},
		{"subtotal is not Σ qty × unit_price", `SELECT count(*) FROM orders o WHERE o.id > $1 AND o.subtotal <>
			(SELECT sum(i.qty * i.unit_price) FROM order_items i WHERE i.order_id = o.id)`},
		{"total is not subtotal + fee", `SELECT count(*) FROM orders WHERE id > $1 AND total <> subtotal + delivery_fee`},
		{"items_count is not Σ qty", `SELECT count(*) FROM orders o WHERE o.id > $1 AND o.items_count <>
			(SELECT sum(i.qty) FROM order_items i WHERE i.order_id = o.id)`},
		{"courier of another city", `SELECT count(*) FROM orders o JOIN couriers k ON k.id = o.courier_id WHERE o.id > $1 AND k.city_id <> o.city_id`},
		{"delivered in the future", `SELECT count(*) FROM orders WHERE id > $1 AND delivered_at > now() + interval '1 minute'`},
	}
	for _, c := range zero {
		if n := queryInt(t, pool, c.sql, maxID); n != 0 {
			t.Errorf("%s: %d orders", c.name, n)
		}
	}
	cancelled := queryFloat(t, pool, `SELECT avg((status = 'cancelled')::int)::float8 FROM orders WHERE id > $1`, maxID)
	if cancelled < 0.02 || cancelled > 0.09 {
		t.Errorf("cancelled share %.3f, want ~5 %%", cancelled)
	}
	if n := queryInt(t, pool, `SELECT count(DISTINCT city_id) FROM orders WHERE id > $1`, maxID); n != 24 {
		t.Errorf("load orders in %d cities, want 24", n)
	}
}

func TestLoadRejectsInvalidConfig(t *testing.T) {
	pool := seeded(t)
	for _, cfg := range []LoadConfig{{Workers: -1}, {Orders: -5}, {Duration: -time.Second}, {BatchSize: -1}, {Workers: 25}} {
		if _, err := Load(context.Background(), pool, cfg, nil); err == nil {
			t.Errorf("Load(%+v) accepted", cfg)
		}
	}
}
