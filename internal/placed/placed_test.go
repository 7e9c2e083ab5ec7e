package placed

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flavortrend/flavortrend/internal/testenv"
)

var h10 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// at is 2026-11-20 hh:mm UTC as ClickHouse SQL.
func at(hhmm string) string { return fmt.Sprintf("toDateTime('2026-11-20 %s:00', 'UTC')", hhmm) }

// exec runs INSERT … SELECT statements; ago is how long before now the rows were ingested.
func exec(t *testing.T, conn driver.Conn, ago time.Duration, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if err := conn.Exec(context.Background(), strings.ReplaceAll(q, "$ingested", fmt.Sprintf("now() - %d", int(ago/time.Second)))); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// order is a version of the orders mirror: delivered is "" or its time, deleted a tombstone.
func order(db string, id, city int, status, placed, delivered string, version int, deleted bool) string {
	d, del := "NULL", 0
	if delivered != "" {
		d = at(delivered)
	}
	if deleted {
		del, placed = 1, "00:00"
	}
	return fmt.Sprintf(`INSERT INTO %s.orders (id, city_id, restaurant_id, status, placed_at, delivered_at, total, _version, _is_deleted, _ingested_at)
		SELECT %d, %d, 1, '%s', %s, %s, toDecimal32('10', 3), %d, %d, $ingested`, db, id, city, status, at(placed), d, version, del)
}

func line(db string, id, order, dish, qty int, price string) string {
	return lineVersion(db, id, order, dish, qty, price, 1)
}

// lineVersion is a version of an order line; lineDeleted its tombstone, which carries only its id.
func lineVersion(db string, id, order, dish, qty int, price string, version int) string {
	return fmt.Sprintf(`INSERT INTO %s.order_items (id, order_id, menu_item_id, qty, unit_price, _version, _ingested_at)
		SELECT %d, %d, %d, %d, toDecimal32('%s', 3), %d, $ingested`, db, id, order, dish, qty, price, version)
}

func lineDeleted(db string, id, version int) string {
	return fmt.Sprintf(`INSERT INTO %s.order_items (id, _version, _is_deleted, _ingested_at) SELECT %d, %d, 1, $ingested`, db, id, version)
}

func enriched(db string, id, city int, placed, condition string, rain, rush int) string {
	return fmt.Sprintf(`INSERT INTO %s.orders_enriched (order_id, city_id, placed_at, weather_condition, is_rain, is_rush_hour, _version, _ingested_at)
		SELECT %d, %d, %s, '%s', %d, %d, %d, $ingested`, db, id, city, at(placed), condition, rain, rush, id)
}

// dishes is Dishes as "<dish> <units> <orders> <millimes>; …".
func dishes(t *testing.T, s Store, from, to time.Time, city int32) string {
	t.Helper()
	rows, err := s.Dishes(context.Background(), from, to, city)
	if err != nil {
		t.Fatal(err)
	}
	var b []string
	for _, d := range rows {
		b = append(b, fmt.Sprintf("%d %d %d %d", d.MenuItemID, d.Units, d.Orders, d.Millimes))
	}
	return strings.Join(b, "; ")
}

// weather is Weather as "<condition> dry|rain rush|non <orders> <delivered> <delivery minutes>; …".
func weather(t *testing.T, s Store, from, to time.Time, city int32) string {
	t.Helper()
	rows, err := s.Weather(context.Background(), from, to, city)
	if err != nil {
		t.Fatal(err)
	}
	var b []string
	for _, w := range rows {
		rain, rush := "dry", "non"
		if w.Rain {
			rain = "rain"
		}
		if w.Rush {
			rush = "rush"
		}
		b = append(b, fmt.Sprintf("%q %s %s %d %d %d", w.Condition, rain, rush, w.Orders, w.Delivered, w.Seconds/60))
	}
	return strings.Join(b, "; ")
}

// The orders of three hours (times 2026-11-20 UTC; minutes = delivered − placed), each hour's
// order ids, and its lines' ids, in their own block of 1024:
//
//	order city status     placed delivered lines (dish × qty at price)        weather at placement
//	1     1    delivered  10:05  10:45 (40) 501 × 2 at 12, 502 × 1 at 3.5      rainy (rain), not rush
//	2     1    delivered  10:20  10:55 (35) 501 × 1 at 12                      sunny, not rush
//	3     2    cancelled  10:30  -          502 × 4 at 3.5                     rainy (rain), not rush
//	2049  2    picked_up  11:10  -          601 × 3 at 15                      none yet, rush
//	2050  1    delivered  11:40  12:10 (30) 501 × 1 at 12.5                    sunny, rush
//	3073  1    delivered  12:15  12:50 (35) 601 × 1 at 15                      sunny, rush
//
// Order 1 also has an older version (placed) and a replayed copy; line 21 and enriched order 2
// are replayed too.
func TestSealAndRead(t *testing.T) {
	conn, ch := testenv.ClickHouse(t)
	s := Store{Conn: conn, Database: ch.Database}
	ctx := context.Background()
	db := ch.Database
	old := 10 * time.Minute
	exec(t, conn, old,
		order(db, 1, 1, "placed", "10:05", "", 1, false),
		order(db, 1, 1, "delivered", "10:05", "10:45", 2, false),
		order(db, 1, 1, "delivered", "10:05", "10:45", 2, false),
		order(db, 2, 1, "delivered", "10:20", "10:55", 3, false),
		order(db, 3, 2, "cancelled", "10:30", "", 4, false),
		order(db, 2049, 2, "picked_up", "11:10", "", 5, false),
		order(db, 2050, 1, "delivered", "11:40", "12:10", 6, false),
		order(db, 3073, 1, "delivered", "12:15", "12:50", 7, false),
		line(db, 11, 1, 501, 2, "12"), line(db, 12, 1, 502, 1, "3.5"), line(db, 21, 2, 501, 1, "12"), line(db, 21, 2, 501, 1, "12"),
		line(db, 31, 3, 502, 4, "3.5"), line(db, 1041, 2049, 601, 3, "15"), line(db, 1051, 2050, 501, 1, "12.5"),
		line(db, 2061, 3073, 601, 1, "15"),
		enriched(db, 1, 1, "10:05", "rainy", 1, 0), enriched(db, 2, 1, "10:20", "sunny", 0, 0), enriched(db, 2, 1, "10:20", "sunny", 0, 0),
		enriched(db, 3, 2, "10:30", "rainy", 1, 0), enriched(db, 2049, 2, "11:10", "", 0, 1),
		enriched(db, 2050, 1, "11:40", "sunny", 0, 1), enriched(db, 3073, 1, "12:15", "sunny", 0, 1),
	)
	from, to := h10, h10.Add(3*time.Hour)

	// Dishes of the orders not cancelled: 501 in orders 1, 2 and 2050 (2 + 1 + 1 units; 24 + 12
	// + 12.5 TND), 502 in order 1 (not 3, cancelled), 601 in orders 2049 and 3073.
	wantDishes := "501 4 3 48500; 502 1 1 3500; 601 4 2 60000"
	// Weather: rainy 1 and 3, of which 1 delivered (40 min); sunny not rush 2 (35); sunny rush
	// 2050 (30) and 3073 (35); none yet 2049, not delivered.
	wantWeather := `"" dry rush 1 0 0; "rainy" rain non 2 1 40; "sunny" dry non 1 1 35; "sunny" dry rush 2 2 65`
	check := func(when string) {
		t.Helper()
		if got := dishes(t, s, from, to, 0); got != wantDishes {
			t.Fatalf("dishes %s:\n got %s\nwant %s", when, got, wantDishes)
		}
		if got := weather(t, s, from, to, 0); got != wantWeather {
			t.Fatalf("weather %s:\n got %s\nwant %s", when, got, wantWeather)
		}
	}
	check("live")

	n, err := s.Family().Seal(ctx)
	if err != nil || n != 3 {
		t.Fatalf("seal: %d hours, %v; want 3", n, err)
	}
	if n, err := s.Family().Seal(ctx); err != nil || n != 0 {
		t.Fatalf("second seal: %d hours, %v; want 0 (nothing changed)", n, err)
	}
	// Per city, and of all cities under city 0.
	sealed := testenv.Strings(t, conn, `SELECT concat('c', toString(city_id), ' ', formatDateTime(hour, '%H:%M'), ' ', toString(menu_item_id),
		' ', toString(units), ' ', toString(orders), ' ', toString(sales_millimes))
		FROM `+db+`.placed_dishes_sealed FINAL ORDER BY city_id, hour, menu_item_id`)
	if got, want := strings.Join(sealed, "; "), "c0 10:00 501 3 2 36000; c0 10:00 502 1 1 3500; c0 11:00 501 1 1 12500; "+
		"c0 11:00 601 3 1 45000; c0 12:00 601 1 1 15000; c1 10:00 501 3 2 36000; c1 10:00 502 1 1 3500; c1 11:00 501 1 1 12500; "+
		"c1 12:00 601 1 1 15000; c2 11:00 601 3 1 45000"; got != want {
		t.Fatalf("sealed dishes:\n got %s\nwant %s", got, want)
	}
	sealed = testenv.Strings(t, conn, `SELECT concat(formatDateTime(hour, '%H:%M'), ' c', toString(city_id), ' ', weather_condition, ' ',
		toString(is_rain), toString(is_rush_hour), ' ', toString(placed_orders), ' ', toString(delivered_orders), ' ', toString(delivery_seconds))
		FROM `+db+`.placed_weather_sealed FINAL ORDER BY hour, city_id, weather_condition`)
	if got, want := strings.Join(sealed, "; "), "10:00 c1 rainy 10 1 1 2400; 10:00 c1 sunny 00 1 1 2100; 10:00 c2 rainy 10 1 0 0; "+
		"11:00 c1 sunny 01 1 1 1800; 11:00 c2  01 1 0 0; 12:00 c1 sunny 01 1 1 2100"; got != want {
		t.Fatalf("sealed weather:\n got %s\nwant %s", got, want)
	}
	check("sealed")
	// One city; partial hours, summed live: [10:15, 11:30) has orders 2, 3 and 2049.
	if got := dishes(t, s, from, to, 2); got != "601 3 1 45000" {
		t.Fatalf("dishes of city 2: %s", got)
	}
	if got := weather(t, s, from, to, 1); got != `"rainy" rain non 1 1 40; "sunny" dry non 1 1 35; "sunny" dry rush 2 2 65` {
		t.Fatalf("weather of city 1: %s", got)
	}
	if got := dishes(t, s, h10.Add(15*time.Minute), h10.Add(90*time.Minute), 0); got != "501 1 1 12000; 601 3 1 45000" {
		t.Fatalf("dishes of partial hours: %s", got)
	}
	if got := weather(t, s, h10.Add(15*time.Minute), h10.Add(90*time.Minute), 0); got != `"" dry rush 1 0 0; "rainy" rain non 1 0 0; "sunny" dry non 1 1 35` {
		t.Fatalf("weather of partial hours: %s", got)
	}

	// A line of order 2049 ingested late: the lines carry no placed_at, but their block of
	// order ids is 11:00's, whose seal no longer counts (10:00 and 12:00 keep theirs).
	exec(t, conn, 0, line(db, 1042, 2049, 502, 2, "3.5"))
	wantDishes = "501 4 3 48500; 502 3 2 10500; 601 4 2 60000"
	check("after a late line")
	if n, err := s.Family().Seal(ctx); err != nil || n != 1 {
		t.Fatalf("seal after a late line: %d hours, %v; want 1", n, err)
	}
	// 2049 delivered at 11:50 (40 minutes): a new version of an order placed at 11:00.
	exec(t, conn, 0, order(db, 2049, 2, "delivered", "11:10", "11:50", 8, false))
	wantWeather = `"" dry rush 1 1 40; "rainy" rain non 2 1 40; "sunny" dry non 1 1 35; "sunny" dry rush 2 2 65`
	check("after a delivery")
	// 3073 deleted: a tombstone carries only the id, whose block is 12:00's. Its enriched row
	// stays (placed), not delivered any more.
	exec(t, conn, 0, order(db, 3073, 0, "", "", "", 9, true))
	wantDishes = "501 4 3 48500; 502 3 2 10500; 601 3 1 45000"
	wantWeather = `"" dry rush 1 1 40; "rainy" rain non 2 1 40; "sunny" dry non 1 1 35; "sunny" dry rush 2 1 30`
	check("after a delete")
	if n, err := s.Family().Seal(ctx); err != nil || n != 2 {
		t.Fatalf("seal after a delete: %d hours, %v; want 2 (11:00 and 12:00)", n, err)
	}
	check("after resealing")

	// 10:00 is still sealed. Two sealers that took the same T wrote it twice: the copies count
	// once.
	for _, table := range []string{"placed_dishes_sealed", "placed_weather_sealed"} {
		exec(t, conn, 0, `INSERT INTO `+db+`.`+table+` SELECT * FROM `+db+`.`+table+`
			WHERE hour = `+at("10:00")+` AND sealed_at = (SELECT max(sealed_at) FROM `+db+`.placed_sealed_hours WHERE hour = `+at("10:00")+`)`)
	}
	check("with an hour sealed twice at the same T")
	// A seal that wrote its rows but not yet its marker is not read.
	exec(t, conn, 0, `INSERT INTO `+db+`.placed_dishes_sealed (hour, city_id, menu_item_id, sealed_at, units, orders, sales_millimes)
		SELECT hour, 0, 501, sealed_at + 10, 999, 999, 999 FROM `+db+`.placed_sealed_hours FINAL WHERE hour = `+at("10:00"),
		`INSERT INTO `+db+`.placed_weather_sealed (hour, city_id, weather_condition, is_rain, is_rush_hour, sealed_at, placed_orders)
		SELECT hour, 1, 'rainy', 1, 0, sealed_at + 10, 999 FROM `+db+`.placed_sealed_hours FINAL WHERE hour = `+at("10:00"))
	check("during a seal")
}

// Rows that leave a sealed hour change the hour they leave, though their new versions name
// another hour or none: a deleted line (its tombstone carries only its id), a line moved to an
// order of another hour, an order whose placed_at moved to another hour. Each is seen at once
// and by the next seal, and the hours read one by one add up to the window read at once. The
// seals take an injected T, ten minutes apart, so that each stage's changes come after the
// last seal and before the next.
func TestRowsLeavingASealedHour(t *testing.T) {
	conn, ch := testenv.ClickHouse(t)
	s := Store{Conn: conn, Database: ch.Database}
	ctx := context.Background()
	db := ch.Database
	var base time.Time
	if err := conn.QueryRow(ctx, `SELECT now()`).Scan(&base); err != nil {
		t.Fatal(err)
	}
	seal := func(stage, want int) {
		t.Helper()
		f := s.Family()
		f.Clock = func(context.Context) (time.Time, error) {
			return base.Add(time.Duration(stage) * 10 * time.Minute), nil
		}
		if n, err := f.Seal(ctx); err != nil || n != want {
			t.Fatalf("seal %d: %d hours, %v; want %d", stage, n, err, want)
		}
	}
	exec(t, conn, 10*time.Minute,
		order(db, 1, 1, "delivered", "10:05", "10:45", 1, false),
		order(db, 2, 1, "delivered", "10:20", "10:55", 2, false),
		order(db, 1025, 1, "delivered", "11:10", "11:40", 3, false),
		line(db, 11, 1, 501, 2, "12"), line(db, 12, 1, 502, 1, "3.5"), line(db, 21, 2, 501, 1, "12"), line(db, 1031, 1025, 601, 1, "15"),
		enriched(db, 1, 1, "10:05", "rainy", 1, 0), enriched(db, 2, 1, "10:20", "sunny", 0, 0), enriched(db, 1025, 1, "11:10", "sunny", 0, 1),
	)
	seal(0, 2)
	h11, h12 := h10.Add(time.Hour), h10.Add(2*time.Hour)
	var want10, want11, weather10 string
	weather11 := `"sunny" dry rush 1 1 30`
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			what      string
			got, want string
		}{
			{"dishes 10:00", dishes(t, s, h10, h11, 0), want10},
			{"dishes 11:00", dishes(t, s, h11, h12, 0), want11},
			{"dishes 10:00 of city 1", dishes(t, s, h10, h11, 1), want10},
			{"weather 10:00", weather(t, s, h10, h11, 0), weather10},
			{"weather 11:00", weather(t, s, h11, h12, 0), weather11},
		} {
			if c.got != c.want {
				t.Fatalf("%s %s:\n got %s\nwant %s", c.what, when, c.got, c.want)
			}
		}
		// The window read at once, partly live, is the hours added up.
		var all []*Dish
		sum := map[int32]*Dish{}
		for _, hour := range []time.Time{h10, h11} {
			rows, err := s.Dishes(ctx, hour, hour.Add(time.Hour), 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range rows {
				if x := sum[d.MenuItemID]; x != nil {
					x.Units, x.Orders, x.Millimes = x.Units+d.Units, x.Orders+d.Orders, x.Millimes+d.Millimes
				} else {
					d := d
					sum[d.MenuItemID] = &d
					all = append(all, &d)
				}
			}
		}
		var b []string
		for _, d := range all {
			b = append(b, fmt.Sprintf("%d %d %d %d", d.MenuItemID, d.Units, d.Orders, d.Millimes))
		}
		sort.Strings(b)
		if got, want := dishes(t, s, h10.Add(time.Minute), h12, 0), strings.Join(b, "; "); got != want {
			t.Fatalf("dishes of the window %s:\n got %s\nwant %s", when, got, want)
		}
		if got, want := weather(t, s, h10, h12, 0), weather10+"; "+weather11; got != want {
			t.Fatalf("weather of the window %s:\n got %s\nwant %s", when, got, want)
		}
	}
	want10, want11 = "501 3 2 36000; 502 1 1 3500", "601 1 1 15000"
	weather10 = `"rainy" rain non 1 1 40; "sunny" dry non 1 1 35`
	check("sealed")

	// Line 21 of order 2 deleted.
	exec(t, conn, 0, lineDeleted(db, 21, 2))
	want10 = "501 2 1 24000; 502 1 1 3500"
	check("after a deleted line")
	seal(1, 1)
	check("after a deleted line, resealed")

	// Line 12 moved from order 1 (10:00) to order 1025 (11:00).
	exec(t, conn, -10*time.Minute, lineVersion(db, 12, 1025, 502, 1, "3.5", 2))
	want10, want11 = "501 2 1 24000", "502 1 1 3500; 601 1 1 15000"
	check("after a moved line")
	seal(2, 2)
	check("after a moved line, resealed")

	// Order 1 placed at 11:05, delivered at 11:50: its lines go with it; its enriched row keeps
	// the weather of its placement at 10:05, now delivered in 45 minutes.
	exec(t, conn, -20*time.Minute, order(db, 1, 1, "delivered", "11:05", "11:50", 4, false))
	want10, want11 = "", "501 2 1 24000; 502 1 1 3500; 601 1 1 15000"
	weather10 = `"rainy" rain non 1 1 45; "sunny" dry non 1 1 35`
	check("after a moved placed_at")
	seal(3, 2)
	check("after a moved placed_at, resealed")
}
