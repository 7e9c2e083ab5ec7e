package delivered

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flavortrend/flavortrend/internal/testenv"
)

var h10 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// version is one row of the orders mirror.
type version struct {
	id       int64
	city     int32
	rest     int32
	courier  int32 // 0: none
	status   string
	at       time.Time // delivered_at (placed_at is an hour before)
	total    string
	v        uint64
	deleted  uint8
	ingested time.Duration // before now
}

func insert(t *testing.T, conn driver.Conn, db string, rows ...version) {
	t.Helper()
	for _, r := range rows {
		delivered := "NULL"
		if r.status == "delivered" {
			delivered = fmt.Sprintf("toDateTime('%s', 'UTC')", r.at.Format("2006-01-02 15:04:05"))
		}
		courier := "NULL"
		if r.courier != 0 {
			courier = fmt.Sprint(r.courier)
		}
		q := fmt.Sprintf(`INSERT INTO %s.orders (id, city_id, restaurant_id, courier_id, status, placed_at, delivered_at, total,
				_version, _is_deleted, _ingested_at)
			SELECT %d, %d, %d, %s, '%s', toDateTime('%s', 'UTC'), %s, toDecimal32('%s', 3), %d, %d, now() - %d`,
			db, r.id, r.city, r.rest, courier, r.status, r.at.Add(-time.Hour).Format("2006-01-02 15:04:05"), delivered, r.total, r.v, r.deleted,
			int(r.ingested/time.Second))
		if err := conn.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// read is the city sums as "hour ci<city> <orders> <millimes> <delivery minutes>; …".
func read(t *testing.T, s Store, from, to time.Time, city int32) string {
	t.Helper()
	return readDim(t, s, City, from, to, city)
}

func readDim(t *testing.T, s Store, dim Dim, from, to time.Time, city int32) string {
	t.Helper()
	rows, err := s.Sums(context.Background(), dim, from, to, city, Hour)
	if err != nil {
		t.Fatal(err)
	}
	var b []string
	for _, r := range rows {
		b = append(b, fmt.Sprintf("%s %s%d %d %d %d", r.Period.Format("15:04"), dim[:2], r.Key, r.DeliveredOrders, r.Millimes,
			r.DeliverySeconds/60))
	}
	return strings.Join(b, "; ")
}

// sums is Sums over the whole window as "<dim><key> <orders> <millimes> <delivery minutes> ci<city>; …".
func sums(t *testing.T, s Store, dim Dim, from, to time.Time, city int32, per Per) string {
	t.Helper()
	rows, err := s.Sums(context.Background(), dim, from, to, city, per)
	if err != nil {
		t.Fatal(err)
	}
	var b []string
	for _, r := range rows {
		at := ""
		if !r.Period.IsZero() {
			at = r.Period.Format("01-02 15:04 ")
		}
		b = append(b, fmt.Sprintf("%s%s%d %d %d %d ci%d", at, dim[:2], r.Key, r.DeliveredOrders, r.Millimes, r.DeliverySeconds/60, r.CityID))
	}
	return strings.Join(b, "; ")
}

func TestReadAndSeal(t *testing.T) {
	conn, ch := testenv.ClickHouse(t)
	s := Store{Conn: conn, Database: ch.Database}
	ctx := context.Background()
	old := 10 * time.Minute
	insert(t, conn, ch.Database,
		version{1, 1, 10, 7, "placed", h10.Add(15 * time.Minute), "20", 1, 0, old},
		version{1, 1, 10, 7, "delivered", h10.Add(15 * time.Minute), "20", 5, 0, old},
		version{1, 1, 10, 7, "delivered", h10.Add(15 * time.Minute), "20", 5, 0, old}, // a replay
		version{2, 2, 20, 8, "delivered", h10.Add(40 * time.Minute), "15.5", 6, 0, old},
		version{1027, 1, 30, 7, "delivered", h10.Add(65 * time.Minute), "30.25", 7, 0, old},
		version{1028, 1, 11, 0, "cancelled", h10.Add(70 * time.Minute), "99", 8, 0, old},
		version{1029, 2, 21, 8, "delivered", h10.Add(110 * time.Minute), "40", 9, 0, old},
		version{1029, 2, 21, 8, "", h10.Add(110 * time.Minute), "0", 10, 1, old},       // deleted
		version{1, 1, 10, 7, "delivered", h10.Add(15 * time.Minute), "21", 11, 0, old}, // a correction
	)
	want := "10:00 ci1 1 21000 60; 10:00 ci2 1 15500 60; 11:00 ci1 1 30250 60"
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("live read:\n got %s\nwant %s", got, want)
	}

	n, err := s.Family().Seal(ctx)
	if err != nil || n != 2 {
		t.Fatalf("seal: %d hours, %v; want 2", n, err)
	}
	if n, err := s.Family().Seal(ctx); err != nil || n != 0 {
		t.Fatalf("second seal: %d hours, %v; want 0 (nothing changed)", n, err)
	}
	sealed := testenv.Strings(t, conn, `SELECT concat(toString(hour), ' ', dim, ' ', toString(key), ' ', toString(city_id), ' ',
		toString(delivered_orders), ' ', toString(revenue_millimes), ' ', toString(delivery_seconds))
		FROM `+ch.Database+`.delivered_city_hour_sealed FINAL ORDER BY hour, dim, key`)
	if got, want := strings.Join(sealed, "; "), "2026-11-20 10:00:00 city 1 1 1 21000 3600; 2026-11-20 10:00:00 city 2 2 1 15500 3600; "+
		"2026-11-20 10:00:00 courier 7 1 1 21000 3600; 2026-11-20 10:00:00 courier 8 2 1 15500 3600; "+
		"2026-11-20 10:00:00 restaurant 10 1 1 21000 3600; 2026-11-20 10:00:00 restaurant 20 2 1 15500 3600; "+
		"2026-11-20 11:00:00 city 1 1 1 30250 3600; 2026-11-20 11:00:00 courier 7 1 1 30250 3600; "+
		"2026-11-20 11:00:00 restaurant 30 1 1 30250 3600"; got != want {
		t.Fatalf("sealed rows:\n got %s\nwant %s", got, want)
	}
	if got := readDim(t, s, Restaurant, h10, h10.Add(2*time.Hour), 0); got != "10:00 re10 1 21000 60; 10:00 re20 1 15500 60; 11:00 re30 1 30250 60" {
		t.Fatalf("sealed restaurants: %s", got)
	}
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("sealed read:\n got %s\nwant %s", got, want)
	}
	if got := read(t, s, h10, h10.Add(2*time.Hour), 2); got != "10:00 ci2 1 15500 60" {
		t.Fatalf("sealed read of city 2: %s", got)
	}
	// Partial hours are summed live.
	if got := read(t, s, h10.Add(30*time.Minute), h10.Add(70*time.Minute), 0); got != "10:00 ci2 1 15500 60; 11:00 ci1 1 30250 60" {
		t.Fatalf("partial hours: %s", got)
	}

	// A delete, ingested now, carries no hour, but order 1027's block of ids is 11:00's: the
	// hour's seal is no longer valid, and the hour is summed live without it until it is sealed
	// again more than Margin after the change (sql/clickhouse/0010). 10:00's orders are in
	// another block: its seal is still read.
	insert(t, conn, ch.Database, version{1027, 1, 30, 7, "", h10.Add(65 * time.Minute), "0", 12, 1, 0})
	want = "10:00 ci1 1 21000 60; 10:00 ci2 1 15500 60"
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("read after a delete:\n got %s\nwant %s", got, want)
	}
	// A new delivered version of 11:00, ingested now, changes the hour too.
	insert(t, conn, ch.Database, version{1030, 3, 31, 0, "delivered", h10.Add(90 * time.Minute), "12.125", 13, 0, 0})
	want = "10:00 ci1 1 21000 60; 10:00 ci2 1 15500 60; 11:00 ci3 1 12125 60"
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("read after a change:\n got %s\nwant %s", got, want)
	}
	if n, err := s.Family().Seal(ctx); err != nil || n != 1 {
		t.Fatalf("seal after a change: %d hours, %v; want 1", n, err)
	}
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("read after resealing:\n got %s\nwant %s", got, want)
	}
	// Order 1030 had no courier: key 0.
	if got := readDim(t, s, Courier, h10, h10.Add(2*time.Hour), 0); got != "10:00 co7 1 21000 60; 10:00 co8 1 15500 60; 11:00 co0 1 12125 60" {
		t.Fatalf("couriers after resealing: %s", got)
	}

	// A seal that wrote its rows but not yet its marker is not read.
	if err := conn.Exec(ctx, `INSERT INTO `+ch.Database+`.delivered_city_hour_sealed
		SELECT hour, 'city', 1, 1, sealed_at + 10, 999, 999999, 0 FROM `+ch.Database+`.delivered_city_sealed_hours FINAL WHERE hour = ?`, h10); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("read during a seal:\n got %s\nwant %s", got, want)
	}

	// Over the whole window, per week and per key: the same sums, added up in ClickHouse (the
	// rows of the seal being written are in the city dimension only).
	if got := sums(t, s, City, h10, h10.Add(2*time.Hour), 0, Window); got != "ci1 1 21000 60 ci1; ci2 1 15500 60 ci2; ci3 1 12125 60 ci3" {
		t.Fatalf("city sums: %s", got)
	}
	if got := sums(t, s, City, h10, h10.Add(2*time.Hour), 0, Week); got != "11-16 00:00 ci1 1 21000 60 ci1; 11-16 00:00 ci2 1 15500 60 ci2; "+
		"11-16 00:00 ci3 1 12125 60 ci3" {
		t.Fatalf("city sums per week: %s", got)
	}
	// A sealed hour and a partial one, summed live.
	if got := sums(t, s, Restaurant, h10, h10.Add(105*time.Minute), 0, Window); got != "re10 1 21000 60 ci1; re20 1 15500 60 ci2; re31 1 12125 60 ci3" {
		t.Fatalf("restaurant sums: %s", got)
	}

	// Two sealers that took the same T wrote 10:00 twice: the copies count once.
	if err := conn.Exec(ctx, `INSERT INTO `+ch.Database+`.delivered_city_hour_sealed
		SELECT * FROM `+ch.Database+`.delivered_city_hour_sealed
		WHERE hour = ? AND sealed_at = (SELECT max(sealed_at) FROM `+ch.Database+`.delivered_city_sealed_hours WHERE hour = ?)`, h10, h10); err != nil {
		t.Fatal(err)
	}
	if got := readDim(t, s, Restaurant, h10, h10.Add(time.Hour), 0); got != "10:00 re10 1 21000 60; 10:00 re20 1 15500 60" {
		t.Fatalf("restaurants of an hour sealed twice at the same T: %s", got)
	}

	// A courier of two cities is in the city of its earliest hour: courier 8 delivered order 2
	// in city 2 at 10:40 (sealed) and now order 1031 in city 4 at 11:20 (live).
	insert(t, conn, ch.Database, version{1031, 4, 40, 8, "delivered", h10.Add(80 * time.Minute), "10", 14, 0, 0})
	if got := sums(t, s, Courier, h10, h10.Add(2*time.Hour), 0, Window); got != "co0 1 12125 60 ci3; co7 1 21000 60 ci1; co8 2 25500 120 ci2" {
		t.Fatalf("courier sums: %s", got)
	}
	if got := sums(t, s, Courier, h10, h10.Add(2*time.Hour), 4, Window); got != "co8 1 10000 60 ci4" {
		t.Fatalf("courier sums in city 4: %s", got)
	}
}

// An order that leaves a sealed hour changes the hour it leaves, though its new version names
// another hour or none: a delete, delivered_at moved to another hour, a status leaving
// delivered. Each is seen at once (the hour is summed live) and by the next seal.
func TestOrdersLeavingASealedHour(t *testing.T) {
	conn, ch := testenv.ClickHouse(t)
	s := Store{Conn: conn, Database: ch.Database}
	ctx := context.Background()
	old := 10 * time.Minute
	insert(t, conn, ch.Database,
		version{1, 1, 10, 7, "delivered", h10.Add(15 * time.Minute), "10", 1, 0, old},
		version{2, 1, 10, 7, "delivered", h10.Add(30 * time.Minute), "20", 2, 0, old},
		version{3, 2, 20, 8, "delivered", h10.Add(45 * time.Minute), "30", 3, 0, old},
		version{1025, 1, 10, 7, "delivered", h10.Add(75 * time.Minute), "40", 4, 0, old},
	)
	if n, err := s.Family().Seal(ctx); err != nil || n != 2 {
		t.Fatalf("seal: %d hours, %v; want 2", n, err)
	}
	want := "10:00 ci1 2 30000 120; 10:00 ci2 1 30000 60; 11:00 ci1 1 40000 60"
	if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
		t.Fatalf("sealed read:\n got %s\nwant %s", got, want)
	}

	// Ingested now: 1 deleted, 2 delivered at 11:30 instead of 10:30, 3 cancelled after delivery.
	insert(t, conn, ch.Database,
		version{1, 0, 0, 0, "", h10, "0", 5, 1, 0},
		version{2, 1, 10, 7, "delivered", h10.Add(90 * time.Minute), "20", 6, 0, 0},
		version{3, 2, 20, 8, "cancelled", h10.Add(45 * time.Minute), "30", 7, 0, 0},
	)
	want = "11:00 ci1 2 60000 120"
	check := func(when string) {
		t.Helper()
		if got := read(t, s, h10, h10.Add(2*time.Hour), 0); got != want {
			t.Fatalf("read %s:\n got %s\nwant %s", when, got, want)
		}
		// The hour left empty, read alone (wholly inside the window, so from its seal if valid).
		if got := sums(t, s, City, h10, h10.Add(time.Hour), 0, Window); got != "" {
			t.Fatalf("10:00 %s: %s, want none", when, got)
		}
		if got := sums(t, s, Courier, h10, h10.Add(2*time.Hour), 0, Window); got != "co7 2 60000 120 ci1" {
			t.Fatalf("couriers %s: %s", when, got)
		}
	}
	check("after the changes")
	// Both hours changed (10:00 through its blocks, 11:00 through 2's new delivered version),
	// but their seals stay invalid until sealed more than Margin after the changes.
	if n, err := s.Family().Seal(ctx); err != nil || n != 2 {
		t.Fatalf("seal after the changes: %d hours, %v; want 2", n, err)
	}
	check("after resealing")
}

// A courier that delivered in two cities in one hour, and the orders without a courier (key 0)
// of two cities: a sealed read of one city counts that city's orders only, as the live sum.
func TestKeysOfTwoCitiesInOneHour(t *testing.T) {
	conn, ch := testenv.ClickHouse(t)
	s := Store{Conn: conn, Database: ch.Database}
	old := 10 * time.Minute
	insert(t, conn, ch.Database,
		version{1, 1, 10, 7, "delivered", h10.Add(10 * time.Minute), "10", 1, 0, old},
		version{2, 2, 20, 7, "delivered", h10.Add(20 * time.Minute), "20", 2, 0, old},
		version{3, 1, 10, 0, "delivered", h10.Add(30 * time.Minute), "30", 3, 0, old},
		version{4, 2, 20, 0, "delivered", h10.Add(40 * time.Minute), "40", 4, 0, old},
	)
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			city int32
			want string
		}{
			{0, "co0 2 70000 120 ci1; co7 2 30000 120 ci1"},
			{1, "co0 1 30000 60 ci1; co7 1 10000 60 ci1"},
			{2, "co0 1 40000 60 ci2; co7 1 20000 60 ci2"},
		} {
			if got := sums(t, s, Courier, h10, h10.Add(time.Hour), c.city, Window); got != c.want {
				t.Fatalf("couriers of city %d %s:\n got %s\nwant %s", c.city, when, got, c.want)
			}
		}
	}
	check("live")
	if n, err := s.Family().Seal(context.Background()); err != nil || n != 1 {
		t.Fatalf("seal: %d hours, %v; want 1", n, err)
	}
	check("sealed")
}
