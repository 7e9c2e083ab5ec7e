package ingest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// chProxy forwards TCP connections to ClickHouse until it is cut: an outage seen by one
// ingester only, while the shared server keeps serving everyone else.
type chProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	down    bool
	refused int // connections refused while cut
	conns   map[net.Conn]bool
}

func newCHProxy(t *testing.T, target string) *chProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &chProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *chProxy) addr() string { return p.ln.Addr().String() }

func (p *chProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.refused++
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[s] = true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close(); c.Close() }()
	_, _ = io.Copy(c, s)
	s.Close()
	c.Close()
}

// cut closes every forwarded connection and refuses new ones until restore.
func (p *chProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// refusals is the number of connections refused while cut.
func (p *chProxy) refusals() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

func (p *chProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func longText(t *testing.T) string {
	b := make([]byte, 4500)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b) // 9000 incompressible characters: stored out of line (TOAST)
}

// TestUnchangedValuesThroughOutage: through real CDC, updates that leave a TOASTed
// cancel_reason unchanged — and a primary-key change of such a row, and an update of it
// under its new key — flow while ClickHouse is unreachable for the ingester. The ingester
// retries the lookups; once ClickHouse is back, every mirror equals PostgreSQL (the long
// column included) and the dead-letter topic is empty.
func TestUnchangedValuesThroughOutage(t *testing.T) {
	ctx := context.Background()
	p := newPipeline(t)
	mustExec(t, p.pg, `
		INSERT INTO cities VALUES (1, 'Tunis', 'Tunis', 36.8065, 10.1815, 638845);
		INSERT INTO restaurants VALUES (1, 1, 'Dar El Jeld', 'tunisian', 36.80, 10.17, 4.60, 18.50, NULL);
		INSERT INTO customers VALUES (1, 1, 36.81, 10.18, '2026-01-02 03:04:05+00');`)
	const orders = 12
	long := map[int]string{}
	for id := 1; id <= orders; id++ {
		long[id] = longText(t)
		if _, err := p.pg.Exec(ctx, `INSERT INTO orders (id, customer_id, restaurant_id, city_id, status, placed_at,
			cancelled_at, cancel_reason, items_count, subtotal, delivery_fee, total, distance_km, promised_minutes, is_promo,
			drop_lat, drop_lon) VALUES ($1, 1, 1, 1, 'cancelled', '2026-11-25 12:00:00+00', '2026-11-25 12:05:00+00', $2,
			1, 3.2, 3.5, 6.7, 2.345, 35, false, 36.81, 10.18)`, id, long[id]); err != nil {
			t.Fatal(err)
		}
	}
	proxy := newCHProxy(t, p.chCfg.Addr)
	cfg := p.config(testenv.Name("unch_outage"))
	cfg.ClickHouse.Addr = proxy.addr()
	run := start(t, cfg)
	waitEqual(t, p, 90*time.Second)

	proxy.cut()
	// Every update leaves cancel_reason alone: Debezium sends the placeholder for it.
	mustExec(t, p.pg, `UPDATE orders SET promised_minutes = promised_minutes + 1`)
	mustExec(t, p.pg, `UPDATE orders SET id = id + 1000000 WHERE id IN (1, 2)`)
	mustExec(t, p.pg, `UPDATE orders SET promised_minutes = 50 WHERE id = 1000001`)
	mustExec(t, p.pg, `UPDATE orders SET status = 'delivered', delivered_at = '2026-11-25 12:30:00+00' WHERE id IN (3, 4)`)
	// The outage lasts until the ingester has been refused many times (its backoff grows to
	// cfg.RetryMax), long past the 30 s after which a lookup used to give up. (Stats waits
	// for the ingester's lock, which a retrying ingester holds.)
	deadline := time.Now().Add(2 * time.Minute)
	for proxy.refusals() < 45 {
		if time.Now().After(deadline) {
			t.Fatalf("the ingester tried ClickHouse only %d times during the outage", proxy.refusals())
		}
		time.Sleep(200 * time.Millisecond)
	}
	proxy.restore()
	waitEqual(t, p, 2*time.Minute)
	st := run.Stop()
	if st.DeadLetters != 0 {
		t.Errorf("%d dead letters", st.DeadLetters)
	}
	// The rows moved to new keys kept their long values.
	got := chRows(t, p.ch, `SELECT toString(id), cancel_reason, toString(promised_minutes) FROM `+p.chCfg.Database+
		`.orders FINAL WHERE _is_deleted = 0 AND id IN (1000001, 1000002) ORDER BY id`)
	want := [][]string{{"1000001", long[1], "50"}, {"1000002", long[2], "36"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows under their new keys differ (ids, %d-character reasons, promised minutes): %.80v", len(long[1]), got)
	}
	deadLettersEmpty(t, cfg)
}

// deadLettersEmpty fails the test when the ingester's dead-letter topic holds a record (the
// pipeline's cleanup removes the topic with the connector's).
func deadLettersEmpty(t *testing.T, cfg ingest.Config) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), cfg.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset != 0 {
			t.Errorf("dead-letter topic %s partition %d: end offset %d (%v), want empty", o.Topic, o.Partition, o.Offset, o.Err)
		}
	})
}

// TestUnchangedPKChangeBeforeOldKey: the create of a primary-key update (the wire shape
// Debezium writes: op c under the new key, the old key in the __debezium.oldkey header,
// the unchanged TOASTed column as the placeholder) is fetched before the old key's
// records, which live in another partition. The ingester holds the create until the old
// key's delete is in ClickHouse, then writes it with the old row's value: no dead letter.
func TestUnchangedPKChangeBeforeOldKey(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	ch, chCfg := testenv.ClickHouse(t)
	prefix := testenv.Name("ft_pk")
	topic := prefix + ".public.orders"
	fixture := fixtureValue(t, "orders")
	long := longText(t)
	change := func(part int32, id int, op string, lsn int, reason any, headers ...kgo.RecordHeader) *kgo.Record {
		v := deepCopy(t, fixture)
		v["op"] = op
		src := v["source"].(map[string]any)
		src["lsn"], src["snapshot"], src["txId"] = lsn, "false", lsn/100
		after := v["after"].(map[string]any)
		after["id"], after["cancel_reason"] = id, reason
		if op == "d" {
			v["before"], v["after"] = map[string]any{"id": id}, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return &kgo.Record{Topic: topic, Partition: part, Key: []byte(fmt.Sprintf(`{"id":%d}`, id)), Value: b, Headers: headers}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	t.Cleanup(func() { deleteTopics(t, cl, topic, prefix+".dead-letter") })
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 2, -1, nil, topic); err != nil {
		t.Fatal(err)
	}
	// Partition 1 first: another order, then the create of order 3 moved to id 1000003.
	if err := cl.ProduceSync(ctx,
		change(1, 50, "c", 1000, "fine"),
		change(1, 1000003, "c", 2000, debezium.Placeholder,
			kgo.RecordHeader{Key: ingest.HeaderOldKey, Value: []byte(`{"id":3}`)}),
	).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: prefix, DerivedPrefix: prefix + ".", Group: testenv.Name("g"),
		BatchRows: 1000, FlushInterval: 100 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: time.Second, Workers: 2}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	run := start(t, cfg)
	deadline := time.Now().Add(60 * time.Second)
	for run.in.Stats().Held == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the create under the new key was not held back: %+v", run.in.Stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Now the old key's history in partition 0: its insert with the long value, then the
	// delete of the same UPDATE (same LSN, the new key in __debezium.newkey) and its tombstone.
	tombstone := &kgo.Record{Topic: topic, Partition: 0, Key: []byte(`{"id":3}`)}
	if err := cl.ProduceSync(ctx,
		change(0, 3, "c", 1500, long),
		change(0, 3, "d", 2000, nil, kgo.RecordHeader{Key: "__debezium.newkey", Value: []byte(`{"id":1000003}`)}),
		tombstone,
	).FirstErr(); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"3", "1"}, {"50", "0"}, {"1000003", "0"}}
	var got [][]string
	for deadline = time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got = chRows(t, ch, `SELECT toString(id), toString(_is_deleted) FROM `+chCfg.Database+`.orders FINAL ORDER BY id`)
		if fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
			break
		}
	}
	st := run.Stop()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("orders (id, deleted) = %v, want %v; stats %+v", got, want, st)
	}
	if st.DeadLetters != 0 {
		t.Errorf("%d dead letters", st.DeadLetters)
	}
	reason := chRows(t, ch, `SELECT cancel_reason FROM `+chCfg.Database+`.orders FINAL WHERE id = 1000003`)
	if len(reason) != 1 || reason[0][0] != long {
		t.Errorf("order 1000003 cancel_reason = %.40v…, want the old key's %d-character value", reason, len(long))
	}
}
