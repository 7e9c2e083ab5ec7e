package connect_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

var updateTestdata = flag.Bool("update-testdata", false, "rewrite testdata/debezium from the captured envelopes")

const envelopeDir = "../../testdata/debezium"

// envelope is a Debezium change event as the JSON converter writes it without schemas.
type envelope struct {
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	Source struct {
		Connector string `json:"connector"`
		DB        string `json:"db"`
		Schema    string `json:"schema"`
		Table     string `json:"table"`
		Snapshot  string `json:"snapshot"`
		LSN       int64  `json:"lsn"`
		TxID      int64  `json:"txId"`
		TsMs      int64  `json:"ts_ms"`
	} `json:"source"`
	Op   string `json:"op"`
	TsMs int64  `json:"ts_ms"`
}

type captured struct {
	topic string
	key   []byte
	value []byte // nil for a tombstone
	env   envelope
}

// TestDebeziumEnvelopes registers a connector on a fresh database, makes every kind of
// change on every CDC table, and checks what arrives in Kafka: op, before/after images,
// source LSN and timestamps, decimals as strings, TOAST handling and tombstones. With
// -update-testdata it also stores one real envelope per table and op for the ingester's
// decoding tests; without it, the stored envelopes must still match the live format.
func TestDebeziumEnvelopes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, _, kafka, connectURL := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	pool, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Rows that exist before the connector starts arrive as snapshot reads (op r).
	longComment := randomText(t, 9000) // incompressible: stored out of line (TOAST)
	mustExec(t, pool, `
		INSERT INTO cities VALUES (1, 'Tunis', 'Tunis', 36.8065, 10.1815, 638845);
		INSERT INTO restaurants VALUES (1, 1, 'Dar El Jeld', 'tunisian', 36.80, 10.17, 4.60, 18.50, NULL);
		INSERT INTO menu_items VALUES (1, 1, 'Couscous au poisson', 'main', 24.500), (2, 1, 'Citronnade', 'drink', 3.200);
		INSERT INTO couriers VALUES (1, 1, 'Sami', 'scooter', 4, 1.05, 4.80, 'idle');
		INSERT INTO customers VALUES (1, 1, 36.81, 10.18, '2026-01-02 03:04:05+00');
		INSERT INTO orders (id, customer_id, restaurant_id, city_id, status, placed_at, items_count, subtotal,
			delivery_fee, total, distance_km, promised_minutes, is_promo, drop_lat, drop_lon, trace_parent)
		VALUES (1, 1, 1, 1, 'placed', '2026-11-25 12:00:00.123456+00', 3, 52.200, 3.500, 55.700, 2.345, 35, false,
			36.81, 10.18, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
		INSERT INTO order_items VALUES (1, 1, 1, 2, 24.500), (2, 1, 2, 1, 3.200);`)
	mustExec(t, pool, `INSERT INTO order_reviews VALUES (1, 1, 4, 'positive', $1, '2026-11-25 13:00:00+00')`, longComment)

	name := testenv.Name("ft_cdc")
	conn := connect.Connector{
		Name: name, TopicPrefix: name, DatabaseURL: dbURL, Slot: name, Publication: name,
		Heartbeat: time.Second, Partitions: 1,
	}
	client := connect.NewClient(connectURL)
	cfg, err := conn.Config()
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Put(ctx, name, cfg); err != nil {
		t.Fatalf("register connector (needs Kafka Connect: bash scripts/services.sh start): %v", err)
	}
	t.Cleanup(func() { testenv.RemoveConnector(t, conn, connectURL, kafka.Brokers, dbURL) })
	if _, err := client.WaitRunning(ctx, name); err != nil {
		t.Fatal(err)
	}
	stored, err := client.Config(ctx, name)
	if err != nil || stored["decimal.handling.mode"] != "string" || stored["slot.name"] != name {
		t.Fatalf("stored config = %v, %v", stored, err)
	}

	// Wait for the snapshot to finish (the review is its last table), then stream changes.
	consume(ctx, t, kafka.Brokers, name, func(rs []captured) bool {
		return count(rs, name+".public.order_reviews", "r") == 1 && count(rs, name+".public.orders", "r") == 1
	})
	mustExec(t, pool, `
		UPDATE orders SET status = 'accepted', accepted_at = '2026-11-25 12:02:00+00' WHERE id = 1;
		UPDATE orders SET status = 'picked_up', picked_up_at = '2026-11-25 12:20:00+00', courier_id = 1 WHERE id = 1;
		UPDATE couriers SET status = 'busy' WHERE id = 1;
		INSERT INTO weather_observations VALUES (1, 1, '2026-11-25 12:00:00+00', 'rainy', 14.5, 3.2, 22.0);
		INSERT INTO courier_positions VALUES (1, 1, 1, '2026-11-25 12:21:00+00', 36.8012, 10.1755, 27.5);
		INSERT INTO simulation_flags (kind, city_id, params, starts_at, ends_at, created_by)
			VALUES ('rain', 1, '{"intensity": "heavy"}', '2026-11-25 12:00:00+00', '2026-11-25 12:30:00+00', 'analyst');
		INSERT INTO operator_actions (actor, action, target, params, result)
			VALUES ('analyst', 'scenario.start', 'city:1', '{"kind": "rain"}', 'ok');
		UPDATE order_reviews SET rating = 5 WHERE id = 1;
		UPDATE restaurants SET paused_until = '2026-11-25 14:00:00+00' WHERE id = 1;
		UPDATE menu_items SET price = 25.000 WHERE id = 1;
		UPDATE cities SET population = 640000 WHERE id = 1;
		DELETE FROM order_items WHERE id = 2;
		UPDATE simulation_flags SET cancelled_at = '2026-11-25 12:10:00+00';
		UPDATE operator_actions SET result = 'error: test';
		INSERT INTO alert_acks VALUES ('driver_shortage-1-20261125T120000.000000Z', 'dispatcher', '2026-11-25 12:06:00+00', 'calling couriers in');
		INSERT INTO city_mutes (city_id, until, actor, created_at) VALUES (1, '2026-11-25 13:00:00+00', 'dispatcher', '2026-11-25 12:06:00+00');`)
	// A long, incompressible cancel_reason is stored out of line; the next update leaves it alone.
	mustExec(t, pool, `
		INSERT INTO orders (id, customer_id, restaurant_id, city_id, status, placed_at, cancelled_at, cancel_reason,
			items_count, subtotal, delivery_fee, total, distance_km, promised_minutes, drop_lat, drop_lon)
		VALUES (3, 1, 1, 1, 'cancelled', '2026-11-25 12:00:00+00', '2026-11-25 12:05:00+00', $1, 1, 3.200, 3.500,
			6.700, 2.345, 35, 36.81, 10.18)`, randomText(t, 9000))
	mustExec(t, pool, `UPDATE orders SET promised_minutes = 40 WHERE id = 3`)
	records := consume(ctx, t, kafka.Brokers, name, func(rs []captured) bool {
		for _, w := range []struct {
			table, op string
			n         int
		}{
			{"orders", "u", 3}, {"orders", "c", 1}, {"couriers", "u", 1}, {"weather_observations", "c", 1},
			{"courier_positions", "c", 1}, {"simulation_flags", "c", 1}, {"simulation_flags", "u", 1},
			{"operator_actions", "c", 1}, {"operator_actions", "u", 1}, {"order_reviews", "u", 1},
			{"restaurants", "u", 1}, {"menu_items", "u", 1}, {"cities", "u", 1}, {"order_items", "d", 1},
			{"order_items", "", 1}, // the tombstone
			{"alert_acks", "c", 1}, {"city_mutes", "c", 1},
		} {
			if count(rs, name+".public."+w.table, w.op) < w.n {
				return false
			}
		}
		return true
	})

	topic := func(table string) string { return name + ".public." + table }
	byOp := func(table, op string) []captured {
		var out []captured
		for _, r := range records {
			if r.topic == topic(table) && r.value != nil && r.env.Op == op {
				out = append(out, r)
			}
		}
		return out
	}
	one := func(table, op string) envelope {
		t.Helper()
		rs := byOp(table, op)
		if len(rs) == 0 {
			t.Fatalf("no %s record with op %s", table, op)
		}
		return rs[len(rs)-1].env
	}

	// Snapshot reads: op r, no before, snapshot flagged, decimals as strings, TIMESTAMPTZ as
	// ISO-8601 UTC with microseconds.
	snap := one("orders", "r")
	if snap.Before != nil || snap.After["status"] != "placed" || snap.After["total"] != "55.700" ||
		snap.After["placed_at"] != "2026-11-25T12:00:00.123456Z" || snap.After["courier_id"] != nil ||
		snap.After["trace_parent"] != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Errorf("orders snapshot after = %v", snap.After)
	}
	if snap.Source.Snapshot == "false" || snap.Source.Snapshot == "" || snap.Source.LSN == 0 || snap.Source.Table != "orders" {
		t.Errorf("orders snapshot source = %+v", snap.Source)
	}
	if got := len(byOp("menu_items", "r")); got != 2 {
		t.Errorf("menu_items snapshot records = %d, want 2", got)
	}

	// Streamed updates: no before image (REPLICA IDENTITY DEFAULT, key unchanged), the whole
	// row after; LSNs grow; the source commit time is set.
	var ups []captured
	for _, r := range byOp("orders", "u") {
		if r.env.After["id"] == float64(1) {
			ups = append(ups, r)
		}
	}
	if len(ups) != 2 {
		t.Fatalf("orders updates = %d, want 2", len(ups))
	}
	if ups[0].env.After["status"] != "accepted" || ups[1].env.After["status"] != "picked_up" ||
		ups[1].env.After["courier_id"] != float64(1) || ups[1].env.After["picked_up_at"] != "2026-11-25T12:20:00.000000Z" {
		t.Errorf("orders updates after = %v / %v", ups[0].env.After, ups[1].env.After)
	}
	if ups[0].env.Before != nil {
		t.Errorf("orders update before = %v, want none", ups[0].env.Before)
	}
	if !(snap.Source.LSN < ups[0].env.Source.LSN && ups[0].env.Source.LSN < ups[1].env.Source.LSN) {
		t.Errorf("LSNs not increasing: %d, %d, %d", snap.Source.LSN, ups[0].env.Source.LSN, ups[1].env.Source.LSN)
	}
	if ups[0].env.Source.TsMs == 0 || ups[0].env.Source.Snapshot != "false" || ups[0].env.Source.TxID == 0 {
		t.Errorf("orders update source = %+v", ups[0].env.Source)
	}
	if key := string(ups[0].key); key != `{"id":1}` {
		t.Errorf("orders key = %s, want {\"id\":1}", key)
	}

	// Inserts of every remaining table, with typed values.
	w := one("weather_observations", "c")
	if w.After["condition"] != "rainy" || w.After["temperature_c"] != "14.5" || w.After["observed_at"] != "2026-11-25T12:00:00.000000Z" {
		t.Errorf("weather insert after = %v", w.After)
	}
	p := one("courier_positions", "c")
	if p.After["lat"] != 36.8012 || p.After["speed_kmh"] != "27.5" || p.After["order_id"] != float64(1) {
		t.Errorf("courier position after = %v", p.After)
	}
	f := one("simulation_flags", "c")
	if f.After["kind"] != "rain" || f.After["params"] != `{"intensity": "heavy"}` || f.After["cancelled_at"] != nil {
		t.Errorf("flag insert after = %v", f.After)
	}
	// REPLICA IDENTITY FULL tables carry the whole old row.
	fu := one("simulation_flags", "u")
	if fu.Before == nil || fu.Before["kind"] != "rain" || fu.Before["cancelled_at"] != nil || fu.After["cancelled_at"] != "2026-11-25T12:10:00.000000Z" {
		t.Errorf("flag update before/after = %v / %v", fu.Before, fu.After)
	}
	a := one("operator_actions", "u")
	if a.Before["result"] != "ok" || a.After["result"] != "error: test" || a.After["actor"] != "analyst" {
		t.Errorf("operator action update = %v / %v", a.Before, a.After)
	}
	// The operator tables of sql/postgres/0002: a text primary key, and an identity one.
	ack := byOp("alert_acks", "c")
	if len(ack) != 1 || string(ack[0].key) != `{"alert_id":"driver_shortage-1-20261125T120000.000000Z"}` ||
		ack[0].env.After["acked_at"] != "2026-11-25T12:06:00.000000Z" || ack[0].env.After["note"] != "calling couriers in" {
		t.Errorf("alert ack insert = %v", ack)
	}
	mute := one("city_mutes", "c")
	if mute.After["city_id"] != float64(1) || mute.After["until"] != "2026-11-25T13:00:00.000000Z" || mute.After["actor"] != "dispatcher" {
		t.Errorf("city mute insert after = %v", mute.After)
	}

	// TOAST: the review's long comment is unchanged by the rating update. Pin what Debezium
	// sends for it so the ingester's "unchanged" handling is tested against the real thing.
	rv := one("order_reviews", "u")
	if rv.After["rating"] != float64(5) || rv.Before["rating"] != float64(4) {
		t.Errorf("review update rating = %v → %v", rv.Before["rating"], rv.After["rating"])
	}
	if rv.After["comment"] != longComment || rv.Before["comment"] != longComment {
		t.Errorf("REPLICA IDENTITY FULL: unchanged TOAST comment = %.40v… → %.40v…, want the full text in both", rv.Before["comment"], rv.After["comment"])
	}
	// Under REPLICA IDENTITY DEFAULT an unchanged TOASTed column arrives as the placeholder,
	// which the ingester must read as "unchanged".
	var toasted envelope
	for _, r := range byOp("orders", "u") {
		if r.env.After["id"] == float64(3) {
			toasted = r.env
		}
	}
	if toasted.After["cancel_reason"] != "__debezium_unavailable_value" || toasted.After["promised_minutes"] != float64(40) {
		t.Errorf("TOAST-unchanged update after = %.300v", toasted.After)
	}

	// Delete: op d with the key in before, then a tombstone (null value) with the same key.
	d := one("order_items", "d")
	if d.After != nil || d.Before["id"] != float64(2) {
		t.Errorf("order_items delete = before %v after %v", d.Before, d.After)
	}
	var tombstone bool
	for _, r := range records {
		if r.topic == topic("order_items") && r.value == nil && string(r.key) == `{"id":2}` {
			tombstone = true
		}
	}
	if !tombstone {
		t.Error("no tombstone after the order_items delete")
	}
	for _, table := range []string{"restaurants", "menu_items", "cities", "couriers"} {
		if len(byOp(table, "u")) != 1 {
			t.Errorf("%s updates = %d, want 1", table, len(byOp(table, "u")))
		}
	}
	if r := one("restaurants", "u"); r.After["paused_until"] != "2026-11-25T14:00:00.000000Z" || r.After["rating"] != "4.60" {
		t.Errorf("restaurant update after = %v", r.After)
	}

	checkStoredEnvelopes(t, records, name)
}

// checkStoredEnvelopes writes (with -update-testdata) or compares the envelopes kept in
// testdata/debezium: one file per table and op, the prefix replaced by "flavortrend". The
// comparison is on shape: the same keys with the same JSON types, so a change in the wire
// format fails here before it reaches the ingester.
func checkStoredEnvelopes(t *testing.T, records []captured, prefix string) {
	t.Helper()
	latest := map[string]captured{}
	for _, r := range records {
		table := strings.TrimPrefix(r.topic, prefix+".public.")
		op := r.env.Op
		switch {
		case r.value == nil:
			op = "tombstone"
		case strings.Contains(string(r.value), "__debezium_unavailable_value"):
			op += "_toast_unchanged"
		}
		latest[table+"."+op] = r
	}
	if *updateTestdata {
		if err := os.MkdirAll(envelopeDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(latest))
	for n := range latest {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := latest[n]
		file := filepath.Join(envelopeDir, n+".json")
		var value any
		if r.value != nil {
			if err := json.Unmarshal(r.value, &value); err != nil {
				t.Fatal(err)
			}
			scrub(value, prefix)
		}
		var key any
		if err := json.Unmarshal(r.key, &key); err != nil {
			t.Fatal(err)
		}
		doc := map[string]any{"topic": "flavortrend.public." + strings.SplitN(n, ".", 2)[0], "key": key, "value": value}
		if *updateTestdata {
			b, _ := json.MarshalIndent(doc, "", "  ")
			if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("stored envelope %s missing (go test ./internal/connect -run Envelopes -update-testdata): %v", file, err)
			continue
		}
		var stored map[string]any
		if err := json.Unmarshal(b, &stored); err != nil {
			t.Fatal(err)
		}
		if got, want := shape(doc), shape(stored); got != want {
			t.Errorf("%s: live envelope shape differs from the stored one:\n live   %s\n stored %s", n, got, want)
		}
	}
}

// scrub replaces the per-test names in source with the production ones.
func scrub(v any, prefix string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if src, ok := m["source"].(map[string]any); ok {
		src["name"] = "flavortrend"
		src["db"] = "flavortrend"
	}
	if c, ok := m["after"].(map[string]any); ok {
		for k, x := range c {
			if s, ok := x.(string); ok && len(s) > 200 {
				c[k] = s[:200] + "…"
			}
		}
	}
	if c, ok := m["before"].(map[string]any); ok {
		for k, x := range c {
			if s, ok := x.(string); ok && len(s) > 200 {
				c[k] = s[:200] + "…"
			}
		}
	}
}

// shape renders a JSON value as its keys and types, sorted: values do not matter.
func shape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + shape(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		return "[]"
	case string:
		return "s"
	case float64:
		return "n"
	case bool:
		return "b"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// consume reads every topic of the prefix from the start until done says enough.
func consume(ctx context.Context, t *testing.T, brokers []string, prefix string, done func([]captured) bool) []captured {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumeRegex(), kgo.ConsumeTopics("^"+prefix+`\.public\.`),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(250*time.Millisecond), kgo.MetadataMaxAge(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []captured
	deadline, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for !done(out) {
		fetches := cl.PollFetches(deadline)
		if deadline.Err() != nil {
			t.Fatalf("timed out waiting for CDC records; have %d: %s", len(out), summary(out))
		}
		fetches.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		fetches.EachRecord(func(r *kgo.Record) {
			c := captured{topic: r.Topic, key: r.Key, value: r.Value}
			if r.Value != nil {
				if err := json.Unmarshal(r.Value, &c.env); err != nil {
					t.Fatalf("record on %s is not a Debezium JSON envelope: %v: %s", r.Topic, err, r.Value)
				}
			}
			out = append(out, c)
		})
	}
	return out
}

// count counts the records of a topic with an op; op "" counts tombstones.
func count(rs []captured, topic, op string) int {
	n := 0
	for _, r := range rs {
		if r.topic == topic && (r.value != nil) == (op != "") && r.env.Op == op {
			n++
		}
	}
	return n
}

func summary(rs []captured) string {
	m := map[string]int{}
	for _, r := range rs {
		m[strings.SplitN(r.topic, ".public.", 2)[1]+"/"+r.env.Op]++
	}
	return fmt.Sprint(m)
}

func mustExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("exec: %v\n%s", err, sql)
	}
}

func randomText(t *testing.T, n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestHeartbeatAdvancesIdleSlot: while the captured database is idle and other databases
// write WAL, the heartbeat keeps confirming positions, so the slot does not pin that WAL.
func TestHeartbeatAdvancesIdleSlot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, _, kafka, connectURL := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	busy, err := store.Postgres(ctx, testenv.PostgresURL(t)) // another database of the cluster
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	pool, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	name := testenv.Name("ft_hb")
	conn := connect.Connector{Name: name, TopicPrefix: name, DatabaseURL: dbURL, Slot: name, Publication: name,
		Heartbeat: time.Second, Partitions: 1}
	cfg, err := conn.Config()
	if err != nil {
		t.Fatal(err)
	}
	client := connect.NewClient(connectURL)
	if err := client.Put(ctx, name, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testenv.RemoveConnector(t, conn, connectURL, kafka.Brokers, dbURL) })
	if _, err := client.WaitRunning(ctx, name); err != nil {
		t.Fatal(err)
	}

	// Write WAL elsewhere, then wait for the idle database's slot to confirm past it.
	if _, err := busy.Exec(ctx, `INSERT INTO cities SELECT g, 'c' || g, 'g', 0, 0, 1 FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	var target string
	if err := busy.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&target); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var passed bool
		var confirmed string
		err := pool.QueryRow(ctx, `SELECT coalesce(confirmed_flush_lsn >= $2::pg_lsn, false), coalesce(confirmed_flush_lsn::text, '')
			FROM pg_replication_slots WHERE slot_name = $1`, name, target).Scan(&passed, &confirmed)
		if err != nil {
			t.Fatal(err)
		}
		if passed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot %s confirmed %s, still behind %s after 60 s of heartbeats", name, confirmed, target)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var beats int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM cdc_heartbeat WHERE id = 1").Scan(&beats); err != nil || beats != 1 {
		t.Fatalf("cdc_heartbeat rows = %d (%v), want the one heartbeat row", beats, err)
	}
}
