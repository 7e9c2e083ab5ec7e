package enrich_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich"
	"github.com/flavortrend/flavortrend/enrich/orders"
	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestKillNineNoDuplicates: a three-hour simulated service with many late deliveries goes
// through PostgreSQL and Debezium; the compiled enricher works through it and is killed with
// SIGKILL inside its transactions, at random, and restarted with the same -instance each
// time. Read with read_committed, the derived topics hold every output exactly once: one
// enriched row and one prediction per order, one static violation per order delivered after
// 45 minutes (at most one per order, none for an order delivered in time), one outcome per
// delivered order and the dynamic violations exactly where the rule says.
func TestKillNineNoDuplicates(t *testing.T) {
	ctx := context.Background()
	bin := buildCLI(t)
	c := newCDC(t, "ft_kill")
	_, chCfg := testenv.ClickHouse(t) // an empty model registry: predictions are the promised minutes
	if err := generate.Seed(ctx, c.pg, 1); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	st, err := generate.Run(ctx, c.pg, generate.Config{Seed: 7, Rate: 25, Speed: 0, Start: from, Duration: 3 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	input := c.waitCaughtUp(t)
	total := sum(input)
	t.Logf("simulated: %d placed, %d delivered, %d cancelled, %d open; %d changes in the orders topic %v",
		st.Placed, st.Delivered, st.Cancelled, st.Open, total, input)

	derived := c.name + "."
	group := c.name + "-enrich"
	topics := orders.NewTopics(derived)
	outputs := []string{topics.Enriched, topics.Predictions, topics.Violations, topics.DynamicViolations, topics.Outcomes,
		topics.State, topics.Clock}
	args := []string{"enrich", "-kafka-brokers", strings.Join(c.kafka.Brokers, ","), "-ch-addr", chCfg.Addr,
		"-ch-database", chCfg.Database, "-topic-prefix", c.name, "-derived-prefix", derived, "-group", group, "-instance", "a"}
	logPath := filepath.Join(t.TempDir(), "enrich.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("enricher log (end):\n%s", b[max(0, len(b)-8000):])
		}
	}()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // when the test stops half-way
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		return cmd
	}

	// Each run is killed inside a transaction that has produced records — its first one, or
	// the one after it has committed one — a random moment after that transaction is seen
	// open. A run may commit only when the two runs before it did not (a transaction takes
	// up to half of the input), so the input lasts five kills or more; a run that finds
	// nothing left to do is killed idle. The first run always has work in its first
	// transaction: at least one kill leaves outputs produced but not committed.
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const kills = 7
	var inTx, killed int
	for i, since := 0, 0; i < kills; i++ {
		base := sum(c.committed(t, group))
		if base == total {
			break
		}
		commits := 0 // transactions it may commit before it is killed
		if since++; since > 2 && rng.IntN(2) == 0 {
			commits, since = 1, 0
		}
		pause := time.Duration(rng.IntN(40)) * time.Millisecond
		began := time.Now()
		atStart := c.endOffsets(t, outputs...)
		cmd := start()
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			n := sum(c.committed(t, group))
			if n == total {
				break
			}
			if (commits == 0 || n > base) && openOwn(atStart, c.stableOffsets(t, outputs...), c.endOffsets(t, outputs...)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: %d of %d input records committed after 90 s", i+1, n, total)
			}
		}
		time.Sleep(pause)
		if err := cmd.Process.Signal(os.Kill); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		killed++
		at := c.committed(t, group)
		open := sumAll(c.endOffsets(t, outputs...)) - sumAll(c.stableOffsets(t, outputs...)) // records of the transaction it left open
		if sum(at) < total && open > 0 {
			inTx++
		}
		t.Logf("kill %d after %s (%d commit first, then %s): input committed %d/%d %v, %d records in the open transaction",
			i+1, time.Since(began).Round(time.Millisecond), commits, pause, sum(at), total, at, open)
	}
	began := time.Now()
	final := start()
	defer func() {
		_ = final.Process.Signal(os.Interrupt)
		_ = final.Wait()
	}()
	c.waitProcessed(t, group, input, 2*time.Minute)
	t.Logf("the last run caught up in %s", time.Since(began).Round(time.Millisecond))

	truth := c.truth(t)
	got := readTopics(t, c.kafka.Brokers, true, topics.Enriched, topics.Predictions, topics.Violations, topics.DynamicViolations, topics.Outcomes)
	all := readTopics(t, c.kafka.Brokers, false, topics.Enriched)
	aborted := len(all[topics.Enriched]) - len(got[topics.Enriched]) // visible without read_committed only
	count := func(topic string) map[int64]int {
		n := map[int64]int{}
		for _, r := range got[topic] {
			id, err := strconv.ParseInt(string(r.Key), 10, 64)
			if err != nil {
				t.Fatalf("%s: key %q", topic, r.Key)
			}
			if _, ok := truth[id]; !ok {
				t.Errorf("%s: order %d is not in PostgreSQL", topic, id)
			}
			n[id]++
		}
		return n
	}
	enriched, predicted := count(topics.Enriched), count(topics.Predictions)
	violations, outcomes, dynamic := count(topics.Violations), count(topics.Outcomes), count(topics.DynamicViolations)
	late, dyn, delivered := 0, 0, 0
	for id, o := range truth {
		if enriched[id] != 1 || predicted[id] != 1 {
			t.Errorf("order %d: %d enriched rows, %d predictions; want 1 and 1", id, enriched[id], predicted[id])
		}
		wantViolations, wantOutcomes, wantDynamic := []int{0, 1}, 0, 0
		if o.minutes != nil {
			delivered++
			wantOutcomes, wantViolations = 1, []int{0}
			if *o.minutes > 45 {
				late++
				wantViolations = []int{1}
			}
			if *o.minutes > o.promised*1.25 && *o.minutes-o.promised >= 5 {
				dyn++
				wantDynamic = 1
			}
		}
		if !slices.Contains(wantViolations, violations[id]) {
			t.Errorf("order %d (%s, %s): %d static violations, want %v", id, o.status, o.took(), violations[id], wantViolations)
		}
		if outcomes[id] != wantOutcomes {
			t.Errorf("order %d (%s, %s): %d outcomes, want %d", id, o.status, o.took(), outcomes[id], wantOutcomes)
		}
		if dynamic[id] != wantDynamic {
			t.Errorf("order %d (%s, %s against %.0f promised): %d dynamic violations, want %d", id, o.status, o.took(), o.promised, dynamic[id], wantDynamic)
		}
	}
	for _, r := range got[topics.Predictions] {
		var p orders.Prediction
		if err := json.Unmarshal(r.Value, &p); err != nil {
			t.Fatal(err)
		}
		if o := truth[p.OrderID]; p.ModelVersion != orders.PromisedVersion || p.PredictedMinutes != o.promised {
			t.Errorf("order %d: predicted %v min by %q, want its promised %v by %q", p.OrderID, p.PredictedMinutes, p.ModelVersion, o.promised, orders.PromisedVersion)
		}
	}
	for _, r := range got[topics.DynamicViolations] {
		var v struct {
			OrderID int64  `json:"order_id"`
			Model   string `json:"model_version"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		if v.Model != orders.PromisedVersion {
			t.Errorf("order %d: dynamic violation by model %q, want %q", v.OrderID, v.Model, orders.PromisedVersion)
		}
	}
	t.Logf("%d orders, %d delivered, %d late, %d dynamic violations; %d kills, %d inside a transaction before the end; %d enriched rows aborted",
		len(truth), delivered, late, dyn, killed, inTx, aborted)
	if late == 0 || dyn == 0 {
		t.Errorf("no late delivery (%d) or no dynamic violation (%d): the test checks nothing", late, dyn)
	}
	if inTx == 0 || aborted == 0 {
		t.Errorf("%d of %d kills left a transaction open before the end of the input, %d enriched rows were aborted: the test checks nothing", inTx, killed, aborted)
	}
}

// TestTwoInstancesSameAsOne: one input — a two-hour simulated service, then the deliveries
// and cancellations of the orders it left open — gives the same outputs whether one
// enricher instance processes it or two instances of one group, one of which stops after
// the service, so that its partitions move to the other, which restores their state (the
// open orders and their timers, the event clock) from the changelogs and processes the
// rest. Each derived topic holds the same multiset of values per order id either way.
func TestTwoInstancesSameAsOne(t *testing.T) {
	ctx := context.Background()
	c := newCDC(t, "ft_two")
	_, chCfg := testenv.ClickHouse(t) // an empty model registry: predictions are the promised minutes
	if err := generate.Seed(ctx, c.pg, 1); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	st, err := generate.Run(ctx, c.pg, generate.Config{Seed: 11, Rate: 25, Speed: 0, Start: from, Duration: 2 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	service := c.waitCaughtUp(t)
	t.Logf("simulated: %d placed, %d delivered, %d cancelled, %d open; orders topic %v", st.Placed, st.Delivered, st.Cancelled, st.Open, service)

	// (b) Two instances x and y work through the service; then y stops.
	two, twoGroup := orders.NewTopics(c.name+".two."), c.name+"-two"
	x := startEnrich(t, c, chCfg, c.name+".two.", twoGroup, "x")
	y := startEnrich(t, c, chCfg, c.name+".two.", twoGroup, "y")
	c.waitProcessed(t, twoGroup, service, time.Minute)
	owned := c.waitMembers(t, twoGroup, "x", "y")
	moved := owned["y"]
	// y's open orders as its changelog has them: those PostgreSQL has open, of its partitions.
	open := openOrders(t, c.kafka.Brokers, two.State, moved)
	want, before := map[string]bool{}, c.truth(t)
	for id, p := range c.partitions(t) {
		if o := before[id]; o.status != "delivered" && o.status != "cancelled" && slices.Contains(moved, p) {
			want[strconv.FormatInt(id, 10)] = true
		}
	}
	for _, id := range union(setMap(open), setMap(want)) {
		if open[id] != want[id] {
			t.Errorf("changelog of partitions %v: order %s open %v, want %v", moved, id, open[id], want[id])
		}
	}
	if err := y.stop(); err != nil {
		t.Errorf("instance y: %v", err)
	}
	if got := c.waitMembers(t, twoGroup, "x")["x"]; len(got) != len(service) {
		t.Fatalf("x owns partitions %v after y stopped, want all %d", got, len(service))
	}
	t.Logf("y stopped owning partitions %v with %d open orders; x owns them all", moved, len(open))

	// The rest of the input: in the half hour after the service, in event-time order, every
	// order it left open is delivered, some late, or cancelled.
	end := from.Add(2 * time.Hour).Format(time.RFC3339)
	if _, err := c.pg.Exec(ctx, `DO $$
		DECLARE r record;
		BEGIN
			FOR r IN SELECT id, '`+end+`'::timestamptz + (id % 60) * interval '30 seconds' AS at FROM orders
				WHERE status IN ('placed', 'accepted', 'picked_up') ORDER BY at, id
			LOOP
				IF r.id % 5 = 0 THEN
					UPDATE orders SET status = 'cancelled', cancel_reason = 'customer', cancelled_at = r.at WHERE id = r.id;
				ELSE
					UPDATE orders SET status = 'delivered', accepted_at = coalesce(accepted_at, placed_at),
						picked_up_at = coalesce(picked_up_at, greatest(accepted_at, placed_at, r.at - interval '5 minutes')),
						delivered_at = r.at
					WHERE id = r.id;
				END IF;
			END LOOP;
		END $$`); err != nil {
		t.Fatal(err)
	}
	input := c.waitCaughtUp(t)
	c.waitProcessed(t, twoGroup, input, time.Minute)
	if err := x.stop(); err != nil {
		t.Errorf("instance x: %v", err)
	}

	// (a) One instance, from the start.
	one, oneGroup := orders.NewTopics(c.name+".one."), c.name+"-one"
	solo := startEnrich(t, c, chCfg, c.name+".one.", oneGroup, "solo")
	c.waitProcessed(t, oneGroup, input, time.Minute)
	if err := solo.stop(); err != nil {
		t.Errorf("instance solo: %v", err)
	}

	truth := c.truth(t)
	delivered := 0
	for _, o := range truth {
		if o.minutes != nil {
			delivered++
		}
	}
	pairs := [][2]string{{one.Enriched, two.Enriched}, {one.Predictions, two.Predictions}, {one.Violations, two.Violations},
		{one.DynamicViolations, two.DynamicViolations}, {one.Outcomes, two.Outcomes},
		{c.name + ".one.enrich.dead-letter", c.name + ".two.enrich.dead-letter"}}
	var names []string
	for _, p := range pairs {
		names = append(names, p[0], p[1])
	}
	got := readTopics(t, c.kafka.Brokers, true, names...)
	for _, p := range pairs {
		a, b := values(t, got[p[0]]), values(t, got[p[1]])
		diff := 0
		for _, id := range union(a, b) {
			if !slices.Equal(a[id], b[id]) {
				if diff++; diff <= 5 {
					t.Errorf("%s, order %s:\n one instance: %s\ntwo instances: %s", strings.TrimPrefix(p[0], c.name+".one."), id, a[id], b[id])
				}
			}
		}
		if diff > 0 {
			t.Errorf("%s: %d orders differ (%d and %d records)", strings.TrimPrefix(p[0], c.name+".one."), diff, len(got[p[0]]), len(got[p[1]]))
		}
	}
	// The comparison means something: the single instance's outputs are complete, and
	// orders left open in y's partitions were finished after the move with their state.
	if n := len(got[one.Enriched]); n != len(truth) {
		t.Errorf("one instance: %d enriched rows, want one per order: %d", n, len(truth))
	}
	if n := len(got[one.Outcomes]); n != delivered {
		t.Errorf("one instance: %d outcomes, want one per delivered order: %d", n, delivered)
	}
	for _, r := range got[one.Enriched] {
		var e orders.Enriched
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if e.CityPressure < 0 || e.CityPressure > 100 || e.RestaurantAvgPrepMinutes <= 0 {
			t.Errorf("order %d: city pressure %v, prep %v: want 0–100 and a positive prep", e.OrderID, e.CityPressure, e.RestaurantAvgPrepMinutes)
		}
	}
	finished := 0
	for _, r := range got[two.Outcomes] {
		if open[string(r.Key)] {
			finished++
		}
	}
	t.Logf("%d orders, %d delivered; %d outcomes after the move of orders open in y's partitions; %d static and %d dynamic violations",
		len(truth), delivered, finished, len(got[one.Violations]), len(got[one.DynamicViolations]))
	if len(moved) == 0 || len(open) == 0 || finished == 0 {
		t.Errorf("y owned partitions %v with %d open orders, and %d outcomes came of them after the move: want some of each", moved, len(open), finished)
	}
}

// TestRestoreWaitsForPendingTransaction is the regression test of a bug the test above
// found: a partition's state was restored only to the changelog's last stable offset. A
// transaction of the partition's previous owner that has ended but whose commit markers
// have not reached the changelog yet stands before that offset, while the group already has
// its consumed offsets: the new owner resumed after the transaction with the state from
// before it. Here another producer's transaction on the changelog is still open when the
// runner takes the partition, and commits only then: the restored state must have it.
func TestRestoreWaitsForPendingTransaction(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	name := testenv.Name("ft_restore")
	in, state, group := name+".in", name+".state", name+"-g"
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	t.Cleanup(func() {
		deleteDerived(t, kafka.Brokers, name+".")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.DeleteGroups(ctx, group); err != nil {
			t.Errorf("delete group %s: %v", group, err)
		}
	})
	for _, topic := range []string{in, state, name + ".dead-letter"} {
		if _, err := adm.CreateTopic(ctx, 1, -1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}

	previous, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...), kgo.TransactionalID(name+"-previous"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer previous.Close()
	if err := previous.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := previous.ProduceSync(ctx, &kgo.Record{Topic: state, Partition: 0, Key: []byte("k"), Value: []byte(`"v"`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	table := stream.NewTable[string](state)
	seen := make(chan string, 1)
	proc := probe(func(*stream.Tx, *kgo.Record) error {
		v, ok := table.Get(0, "k")
		seen <- fmt.Sprintf("%q %v", v, ok)
		return nil
	})
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rn, err := stream.New(stream.Config{Brokers: kafka.Brokers, Group: group, Instance: "a", Topics: []string{in},
		DeadLetter: name + ".dead-letter"}, log, proc, table)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rn.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		rn.Close()
	}()
	// Once the group is stable the runner has the partition and restores it; only then
	// does the other transaction commit.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		gs, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if g := gs[group]; g.State == "Stable" && len(g.Members) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s not stable after a minute", group)
		}
	}
	if err := previous.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: in, Key: []byte("k"), Value: []byte("{}")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-seen:
		if want := `"v" true`; got != want {
			t.Errorf("state of k when the first record is processed: %s, want %s", got, want)
		}
	case <-time.After(time.Minute):
		t.Fatal("no record processed in a minute")
	}
	// Stop once the record's transaction has committed.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if o, ok := offs.Lookup(in, 0); ok && o.At == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the record's transaction has not committed in a minute")
		}
	}
}

// probe is a stream.Processor that calls itself for each record and has no timers.
type probe func(tx *stream.Tx, r *kgo.Record) error

func (p probe) Process(tx *stream.Tx, r *kgo.Record) error { return p(tx, r) }
func (p probe) Advance(*stream.Tx, int32) error            { return nil }

// enricher is an enrich.Run in the test's process.
type enricher struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

func startEnrich(t *testing.T, c *cdc, ch config.ClickHouse, derived, group, instance string) *enricher {
	t.Helper()
	cfg := enrich.Config{Kafka: c.kafka, ClickHouse: ch, TopicPrefix: c.name, DerivedPrefix: derived, Group: group,
		Instance: instance, Lateness: 2 * time.Minute, SLA: 45 * time.Minute, Partitions: 3,
		// These tests compare runs over one recorded history: the pauses between its phases
		// are the test's, not quiet moments of a source, and no heartbeat may move a clock.
		IdleAfter: 24 * time.Hour}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("instance", instance)
	ctx, cancel := context.WithCancel(context.Background())
	e := &enricher{cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- enrich.Run(ctx, cfg, log) }()
	t.Cleanup(func() { _ = e.stop() })
	return e
}

// stop stops the instance and returns what Run returned.
func (e *enricher) stop() error {
	e.once.Do(func() {
		e.cancel()
		e.err = <-e.done
	})
	return e.err
}

// values are the values of records by key, each decoded and encoded again with sorted
// members, sorted.
// values are the records' values by key, with the live features left out: an order's
// city_pressure and restaurant_avg_prep_minutes are the city stage's latest published
// values when the order is placed (a join against a replicated table, docs/enrich.md), so
// they depend on how far the replica had read, which differs between runs.
func values(t *testing.T, recs []*kgo.Record) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	for _, r := range recs {
		var v any
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%s/%d@%d: %v", r.Topic, r.Partition, r.Offset, err)
		}
		if obj, ok := v.(map[string]any); ok {
			delete(obj, "city_pressure")
			delete(obj, "restaurant_avg_prep_minutes")
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		m[string(r.Key)] = append(m[string(r.Key)], string(b))
	}
	for _, vs := range m {
		slices.Sort(vs)
	}
	return m
}

func setMap(m map[string]bool) map[string][]string {
	out := map[string][]string{}
	for k := range m {
		out[k] = nil
	}
	return out
}

func union(a, b map[string][]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// openOrders are the orders the order stage's changelog holds open in partitions, read
// with read_committed: a value without delivered_at (a delivered order stays two hours, for
// its review).
func openOrders(t *testing.T, brokers []string, topic string, partitions []int32) map[string]bool {
	t.Helper()
	open := map[string]bool{}
	for _, r := range readTopics(t, brokers, true, topic)[topic] {
		if !slices.Contains(partitions, r.Partition) {
			continue
		}
		var st struct {
			DeliveredAt string `json:"delivered_at"`
		}
		if r.Value != nil {
			if err := json.Unmarshal(r.Value, &st); err != nil {
				t.Fatalf("%s: %v", r.Value, err)
			}
		}
		if r.Value == nil || st.DeliveredAt != "" {
			delete(open, string(r.Key))
		} else {
			open[string(r.Key)] = true
		}
	}
	return open
}

// buildCLI compiles the flavortrend binary for tests that run and kill it.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flavortrend")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/flavortrend").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cdc is a test's own PostgreSQL database streamed by its own Debezium connector.
type cdc struct {
	name       string // connector, slot, publication and CDC topic prefix
	connectURL string
	kafka      config.Kafka
	pg         *pgxpool.Pool
	adm        *kadm.Client
	orders     string // the orders CDC topic
}

// newCDC creates the database and the connector. When the test ends it removes the
// connector, its slot, every topic whose name starts with "<name>." (the CDC topics, and
// the derived topics of the tests, whose prefixes start so too) and every consumer group
// whose name starts with "<name>-".
func newCDC(t *testing.T, prefix string) *cdc {
	t.Helper()
	ctx := context.Background()
	_, _, kafka, connectURL := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	pg, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	// Offsets are listed every few milliseconds while the enricher creates its topics: the
	// metadata must not say for seconds that a topic it has created is missing.
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...), kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	name := testenv.Name(prefix)
	c := &cdc{name: name, connectURL: connectURL, kafka: kafka, pg: pg, adm: kadm.NewClient(cl), orders: name + ".public.orders"}
	testenv.Capture(t, dbURL, name)
	t.Cleanup(func() {
		deleteDerived(t, kafka.Brokers, name+".")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		groups, err := c.adm.ListGroups(ctx)
		if err != nil {
			t.Errorf("list groups: %v", err)
			return
		}
		var mine []string
		for _, g := range groups.Groups() {
			if strings.HasPrefix(g, name+"-") {
				mine = append(mine, g)
			}
		}
		if len(mine) > 0 {
			if _, err := c.adm.DeleteGroups(ctx, mine...); err != nil {
				t.Errorf("delete groups %v: %v", mine, err)
			}
		}
	})
	return c
}

// waitCaughtUp waits until Kafka has every change PostgreSQL committed so far, and returns
// the end offsets of the orders topic. A record of the connector in Kafka proves nothing
// about the records of other partitions sent before it, nor does the replication slot's
// confirmed LSN (Debezium confirms the last record acknowledged, in whatever order they
// were); but Connect commits a source offset only once its record and every record before
// it are written. Once the committed offset's LSN passes the end of the WAL as it was here,
// everything before is in Kafka. (The connector's heartbeat writes a change every 2 s, so
// the offset moves on.)
func (c *cdc) waitCaughtUp(t *testing.T) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var lsn int64
	if err := c.pg.QueryRow(ctx, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint").Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	var last error
	for {
		at, err := c.committedLSN(ctx)
		if err == nil && at >= lsn {
			return c.endOffsets(t, c.orders)[c.orders]
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Connect has not committed LSN %d in 2 minutes (last: %d, %v)", lsn, at, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// committedLSN is the LSN of the connector's committed source offset (KIP-875's REST
// endpoint); 0 before the first commit.
func (c *cdc) committedLSN(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.connectURL+"/connectors/"+c.name+"/offsets", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("GET offsets: %s: %s", resp.Status, b)
	}
	var body struct {
		Offsets []struct {
			Offset struct {
				LSN int64 `json:"lsn"`
			} `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	var lsn int64
	for _, o := range body.Offsets {
		lsn = max(lsn, o.Offset.LSN)
	}
	return lsn, nil
}

// endOffsets are the high watermarks of topics' partitions, aborted records included.
func (c *cdc) endOffsets(t *testing.T, topics ...string) map[string]map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := c.adm.ListEndOffsets(ctx, topics...)
	return offsetMap(t, l, err)
}

// stableOffsets are the last stable offsets of topics' partitions: the first offset of the
// transaction still open, if any, else the high watermark.
func (c *cdc) stableOffsets(t *testing.T, topics ...string) map[string]map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := c.adm.ListCommittedOffsets(ctx, topics...)
	return offsetMap(t, l, err)
}

// offsetMap leaves out topics that do not exist yet.
func offsetMap(t *testing.T, l kadm.ListedOffsets, err error) map[string]map[int32]int64 {
	t.Helper()
	if err == nil {
		err = l.Error()
	}
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatal(err)
	}
	m := map[string]map[int32]int64{}
	l.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			if m[o.Topic] == nil {
				m[o.Topic] = map[int32]int64{}
			}
			m[o.Topic][o.Partition] = o.Offset
		}
	})
	return m
}

// openOwn tells whether a transaction begun after the ends atStart is open with records in
// it, and a transaction left open before is over: every partition's last stable offset is
// at least its end at start, and some partition ends past it.
func openOwn(atStart, stable, end map[string]map[int32]int64) bool {
	open := false
	for topic, ps := range end {
		for p, e := range ps {
			if stable[topic][p] < atStart[topic][p] {
				return false
			}
			open = open || e > stable[topic][p]
		}
	}
	return open
}

// committed is the group's committed offsets of the orders topic, per partition.
func (c *cdc) committed(t *testing.T, group string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := c.adm.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		t.Fatal(err)
	}
	m := map[int32]int64{}
	for p, o := range r[c.orders] {
		if o.Err == nil && o.At >= 0 {
			m[p] = o.At
		}
	}
	return m
}

// waitProcessed waits until group has committed the offsets want of the orders topic.
func (c *cdc) waitProcessed(t *testing.T, group string, want map[int32]int64, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		got := c.committed(t, group)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s committed %v of the orders topic after %s, want %v", group, got, timeout, want)
		}
	}
}

// waitMembers waits until group is stable with exactly the static members instances, each
// owning partitions of the orders topic, and returns them by instance.
func (c *cdc) waitMembers(t *testing.T, group string, instances ...string) map[string][]int32 {
	t.Helper()
	var last string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		gs, err := c.adm.DescribeGroups(ctx, group)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		g := gs[group]
		owned := map[string][]int32{}
		for _, m := range g.Members {
			if a, ok := m.Assigned.AsConsumer(); ok && m.InstanceID != nil {
				for _, tp := range a.Topics {
					if tp.Topic == c.orders {
						owned[*m.InstanceID] = append(owned[*m.InstanceID], tp.Partitions...)
					}
				}
			}
		}
		ok := g.State == "Stable" && len(g.Members) == len(instances)
		for _, in := range instances {
			ok = ok && len(owned[in]) > 0
			slices.Sort(owned[in])
		}
		if ok {
			return owned
		}
		last = fmt.Sprintf("%s, %d members, %v", g.State, len(g.Members), owned)
		if time.Now().After(deadline) {
			t.Fatalf("group %s: %s after a minute, want members %v each owning partitions", group, last, instances)
		}
	}
}

func sum(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func sumAll(m map[string]map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += sum(v)
	}
	return n
}

// partitions are the orders topic's partitions by order id.
func (c *cdc) partitions(t *testing.T) map[int64]int32 {
	t.Helper()
	m := map[int64]int32{}
	for _, r := range readTopics(t, c.kafka.Brokers, false, c.orders)[c.orders] {
		ev, err := debezium.DecodeRecord(r)
		if err != nil {
			t.Fatalf("%s/%d@%d: %v", r.Topic, r.Partition, r.Offset, err)
		}
		id, err := strconv.ParseInt(string(ev.Key.Get("id")), 10, 64)
		if err != nil {
			t.Fatalf("%s/%d@%d: key %s", r.Topic, r.Partition, r.Offset, r.Key)
		}
		m[id] = r.Partition
	}
	return m
}

// pgOrder is PostgreSQL's truth about an order.
type pgOrder struct {
	status   string
	minutes  *float64 // placed to delivered; nil unless delivered
	promised float64
}

func (o pgOrder) took() string {
	if o.minutes == nil {
		return "not delivered"
	}
	return fmt.Sprintf("delivered after %.2f min", *o.minutes)
}

func (c *cdc) truth(t *testing.T) map[int64]pgOrder {
	t.Helper()
	rows, err := c.pg.Query(context.Background(),
		`SELECT id, status, extract(epoch FROM delivered_at - placed_at) / 60, promised_minutes FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int64]pgOrder{}
	for rows.Next() {
		var id int64
		var o pgOrder
		if err := rows.Scan(&id, &o.status, &o.minutes, &o.promised); err != nil {
			t.Fatal(err)
		}
		m[id] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// readTopics reads topics from the start to their ends — with read_committed to their last
// stable offsets, else to their high watermarks — leaving out control records.
func readTopics(t *testing.T, brokers []string, committed bool, topics ...string) map[string][]*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	iso := kgo.ReadUncommitted()
	if committed {
		iso = kgo.ReadCommitted()
	}
	// Control records are kept to see the ends: the last offset is often a commit marker.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.FetchIsolationLevel(iso), kgo.KeepControlRecords())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var ends kadm.ListedOffsets
	if committed {
		ends, err = adm.ListCommittedOffsets(ctx, topics...)
	} else {
		ends, err = adm.ListEndOffsets(ctx, topics...)
	}
	if err == nil {
		err = ends.Error()
	}
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatal(err)
	}
	want := map[string]map[int32]int64{}
	from := map[string]map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			if want[o.Topic] == nil {
				want[o.Topic], from[o.Topic] = map[int32]int64{}, map[int32]kgo.Offset{}
			}
			want[o.Topic][o.Partition] = o.Offset
			from[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	got := map[string][]*kgo.Record{}
	cl.AddConsumePartitions(from)
	for left := len(want); left > 0; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("read %v: %v", topics, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Topic][r.Partition]
			if !ok {
				return
			}
			if !r.Attrs.IsControl() {
				got[r.Topic] = append(got[r.Topic], r)
			}
			if r.Offset+1 >= end {
				delete(want[r.Topic], r.Partition)
				if len(want[r.Topic]) == 0 {
					delete(want, r.Topic)
				}
				left = len(want)
			}
		})
	}
	return got
}
