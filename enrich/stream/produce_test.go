package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// padded counts the records of each key and emits "key=count"; a record whose value is a
// number n pads its output with n bytes of noise, a value "grow:n" adds n bytes to the key's text
// state, and a value "panic" panics after changing the state and emitting.
type padded struct {
	counts *stream.Table[int]
	text   *stream.Table[string]
	out    string
}

func (c *padded) tables() []stream.Store { return []stream.Store{c.counts, c.text} }

func (c *padded) Process(tx *stream.Tx, r *kgo.Record) error {
	key, v := string(r.Key), string(r.Value)
	n, _ := c.counts.Get(r.Partition, key)
	n++
	c.counts.Put(r.Partition, key, n)
	out := fmt.Sprintf("%s=%d", key, n)
	if size, err := strconv.Atoi(v); err == nil {
		out += noise(size)
	}
	if grow, ok := strings.CutPrefix(v, "grow:"); ok {
		size, _ := strconv.Atoi(grow)
		text, _ := c.text.Get(r.Partition, key)
		c.text.Put(r.Partition, key, text+strings.Repeat("g", size))
	}
	if text, ok := c.text.Get(r.Partition, key); ok {
		out += fmt.Sprintf(" text=%d", len(text))
	}
	tx.Emit(&kgo.Record{Topic: c.out, Key: r.Key, Value: []byte(out)})
	if v == "panic" {
		panic("cannot handle " + key)
	}
	return nil
}

func (c *padded) Advance(*stream.Tx, int32) error { return nil }

// noise is n letters that do not compress, so that the size the broker checks (of the
// compressed batch) is the record's.
func noise(n int) string {
	rnd := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('!' + rnd.IntN(90))
	}
	return string(b)
}

// newTopics creates the four topics of a test, the output topic with outCfg.
func newTopics(t *testing.T, cl *kgo.Client, outCfg map[string]*string) topics {
	t.Helper()
	name := testenv.Name("ft_stream")
	tp := topics{in: name + ".in", out: name + ".out", state: name + ".state", dead: name + ".dead"}
	adm := kadm.NewClient(cl)
	compact := "compact"
	for topic, cfg := range map[string]map[string]*string{
		tp.in: nil, tp.out: outCfg, tp.state: {"cleanup.policy": &compact}, tp.dead: nil,
	} {
		if _, err := adm.CreateTopic(context.Background(), 3, 1, cfg, topic); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := adm.DeleteTopics(context.Background(), tp.in, tp.out, tp.state, tp.dead); err != nil {
			t.Errorf("delete topics: %v", err)
		}
	})
	return tp
}

func client(t *testing.T) (*kgo.Client, []string) {
	t.Helper()
	_, _, kafka, _ := testenv.Settings()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close) // after the topics' cleanup
	return cl, kafka.Brokers
}

// start runs a runner of a fresh padded processor over tp; stop waits for Run to end and
// checks it ended without an error.
func start(t *testing.T, brokers []string, group string, tp topics) (stop func()) {
	t.Helper()
	proc := &padded{counts: stream.NewTable[int](tp.state), text: stream.NewTable[string](tp.state + ".text"), out: tp.out}
	cfg := stream.Config{Brokers: brokers, Group: group, Instance: "a", Topics: []string{tp.in}, DeadLetter: tp.dead}
	return runProcessor(t, cfg, proc, proc.tables()...)
}

// textTopic creates the changelog of padded's text table.
func textTopic(t *testing.T, cl *kgo.Client, tp topics) {
	t.Helper()
	compact := "compact"
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(context.Background(), 3, 1, map[string]*string{"cleanup.policy": &compact}, tp.state+".text"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := adm.DeleteTopics(context.Background(), tp.state+".text"); err != nil {
			t.Errorf("delete topics: %v", err)
		}
	})
}

// byKey is the values of records per key, in offset order.
func byKey(recs []*kgo.Record) map[string][]string {
	m := map[string][]string{}
	for _, r := range recs {
		m[string(r.Key)] = append(m[string(r.Key)], string(r.Value))
	}
	return m
}

// checkConsumed checks that the group committed the end offset of every input partition.
func checkConsumed(t *testing.T, cl *kgo.Client, group, topic string) {
	t.Helper()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := adm.FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, o.Partition)
		if !ok && o.Offset == 0 {
			return // an empty partition: nothing to commit
		}
		if !ok || c.At != o.Offset {
			t.Errorf("group %s, %s/%d: committed %+v, want the end offset %d", group, topic, o.Partition, c, o.Offset)
		}
	})
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TestProduceRefusedAbortsTransaction: an output the broker refuses (the output topic
// takes records up to 2,000 bytes) fails inside a transaction of 31 records. The
// transaction aborts — its outputs, offsets and state alike — and its replay sends the
// record whose output was refused to the dead-letter topic with the broker's reason. The
// outputs, the committed offsets and the state restored by a second process then equal
// those of an uninterrupted run over the same input without that record.
func TestProduceRefusedAbortsTransaction(t *testing.T) {
	cl, brokers := client(t)
	limit := "2000"
	faulty, ref := newTopics(t, cl, map[string]*string{"max.message.bytes": &limit}), newTopics(t, cl, nil)
	textTopic(t, cl, faulty)
	textTopic(t, cl, ref)
	faultyGroup, refGroup := testenv.Name("g"), testenv.Name("g")

	// The first poll holds 10 keys × 3 records and, among them, one whose output is 5,000
	// bytes; the reference gets the same records without it.
	first := func(topic string, withBig bool) {
		produce(t, cl, topic, 10, 1, "x")
		if withBig {
			produce(t, cl, topic, 1, 1, "5000")
		}
		produce(t, cl, topic, 10, 2, "x")
	}
	first(faulty.in, true)
	first(ref.in, false)

	stop := start(t, brokers, faultyGroup, faulty)
	got := readAll(t, brokers, faulty.out, 30)
	if len(got) != 30 {
		stop()
		t.Fatalf("first poll: %d outputs, want 30 (each once)", len(got))
	}
	// The same process goes on from the state of the replayed transaction.
	produce(t, cl, faulty.in, 10, 1, "x")
	if got = readAll(t, brokers, faulty.out, 40); len(got) != 40 {
		stop()
		t.Fatalf("second poll: %d outputs, want 40", len(got))
	}
	stop()
	// A second process restores the state from the changelog.
	produce(t, cl, faulty.in, 10, 1, "x")
	stop = start(t, brokers, faultyGroup, faulty)
	got = readAll(t, brokers, faulty.out, 50)
	stop()

	produce(t, cl, ref.in, 10, 2, "x")
	stop = start(t, brokers, refGroup, ref)
	want := readAll(t, brokers, ref.out, 50)
	stop()

	if len(got) != 50 || len(want) != 50 {
		t.Fatalf("%d outputs, reference %d; want 50 each", len(got), len(want))
	}
	g, w := byKey(got), byKey(want)
	for k := range 10 {
		key := "k" + strconv.Itoa(k)
		if !slices.Equal(g[key], w[key]) {
			t.Errorf("%s: outputs %q, uninterrupted run %q", key, g[key], w[key])
		}
		if wantLast := key + "=5"; len(w[key]) != 5 || w[key][4] != wantLast {
			t.Errorf("%s: reference outputs %q, want 5 ending with %s", key, w[key], wantLast)
		}
	}
	checkConsumed(t, cl, faultyGroup, faulty.in)
	checkConsumed(t, cl, refGroup, ref.in)

	dead := readAll(t, brokers, faulty.dead, 1)
	if len(dead) != 1 || string(dead[0].Value) != "5000" || string(dead[0].Key) != "k0" {
		t.Fatalf("dead letters %v, want the one record whose output was refused", byKey(dead))
	}
	if reason := header(dead[0], "ft-error"); !strings.Contains(reason, "refused") || !strings.Contains(reason, "MESSAGE_TOO_LARGE") {
		t.Errorf("dead letter reason %q, want the broker's refusal", reason)
	}
	if header(dead[0], "ft-source-topic") != faulty.in || header(dead[0], "ft-source-offset") == "" {
		t.Errorf("dead letter headers %v, want its source", dead[0].Headers)
	}
}

// TestOversizedOutputAndState: an output over the record limit goes to the dead-letter
// topic, its value cut to fit, with the reason, and the stage goes on; a state change
// over the limit is not applied — the key keeps its state, as the next process restores
// it — and the input record that made it goes to the dead-letter topic with the reason.
// A record whose processing panics after it changed state and emitted is rolled back
// and dead-lettered, its neighbours processed.
func TestOversizedOutputAndState(t *testing.T) {
	cl, brokers := client(t)
	tp := newTopics(t, cl, nil)
	textTopic(t, cl, tp)
	group := testenv.Name("g")

	huge := stream.MaxRecordBytes + 1000
	stop := start(t, brokers, group, tp)
	// Each record in a transaction of its own: it is produced once the one before is done.
	var got, dead []*kgo.Record
	for i, step := range []struct {
		value     string
		out, dead int // records in the topics once it is done
	}{
		{"x", 1, 0},                // k0=1
		{strconv.Itoa(huge), 1, 1}, // k0=2, its output too large
		{"grow:600000", 2, 1},      // k0=3 text=600000
		{"grow:600000", 3, 2},      // k0=4, the text state too large: not applied
		{"panic", 3, 3},            // rolled back
		{"x", 4, 3},                // k0=5 text=600000
	} {
		produce(t, cl, tp.in, 1, 1, step.value)
		if got = readAll(t, brokers, tp.out, step.out); len(got) != step.out {
			stop()
			t.Fatalf("after record %d (%.12s): %d outputs, want %d", i, step.value, len(got), step.out)
		}
		if dead = readAll(t, brokers, tp.dead, step.dead); len(dead) != step.dead {
			stop()
			t.Fatalf("after record %d (%.12s): %d dead letters, want %d", i, step.value, len(dead), step.dead)
		}
	}
	stop()
	produce(t, cl, tp.in, 1, 1, "x")
	stop = start(t, brokers, group, tp)
	got = readAll(t, brokers, tp.out, 5)
	stop()

	// The output of the record whose state change was dropped stands; the state is the
	// one from before it, in the same process and in the next.
	want := []string{"k0=1", "k0=3 text=600000", "k0=4 text=1200000", "k0=5 text=600000", "k0=6 text=600000"}
	if g := byKey(got)["k0"]; !slices.Equal(g, want) {
		t.Fatalf("outputs %q, want %q", g, want)
	}
	out := dead[0]
	if v := string(out.Value); !strings.HasPrefix(v, "k0=2"+noise(3)) || len(v)+len(out.Key) > stream.MaxRecordBytes {
		t.Errorf("oversized output's dead letter: %d bytes starting %.10q, want it cut to fit", len(v), v)
	}
	if header(out, stream.HeaderOutputTopic) != tp.out || header(out, stream.HeaderTruncated) != strconv.Itoa(len("k0=2")+huge) ||
		!strings.Contains(header(out, "ft-error"), "over the record limit") || header(out, "ft-source-offset") != "1" {
		t.Errorf("oversized output's dead letter headers %v", out.Headers)
	}
	state := dead[1]
	if string(state.Value) != "grow:600000" || header(state, "ft-source-offset") != "3" ||
		!strings.Contains(header(state, "ft-error"), "keeps its state") {
		t.Errorf("oversized state's dead letter: %q %v, want the input record at offset 3", state.Value, state.Headers)
	}
	if p := dead[2]; string(p.Value) != "panic" || !strings.Contains(header(p, "ft-error"), "panicked: cannot handle k0") {
		t.Errorf("panic's dead letter: %q %v", p.Value, p.Headers)
	}
	checkConsumed(t, cl, group, tp.in)
}

// TestRestoreSkipsUndecodableState: a changelog record that does not decode leaves its
// key without state, with a warning; the other keys are restored and the partition runs
// (before, the runner panicked in the assignment callback, and again at every restart).
func TestRestoreSkipsUndecodableState(t *testing.T) {
	cl, brokers := client(t)
	tp := newTopics(t, cl, nil)
	textTopic(t, cl, tp)
	group := testenv.Name("g")

	produce(t, cl, tp.in, 3, 2, "x")
	stop := start(t, brokers, group, tp)
	readAll(t, brokers, tp.out, 6)
	stop()

	// Garbage for k0 in every changelog partition, whichever holds it.
	var bad []*kgo.Record
	for p := range int32(3) {
		bad = append(bad, &kgo.Record{Topic: tp.state, Partition: p, Key: []byte("k0"), Value: []byte("{not json")})
	}
	pcl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer pcl.Close()
	if err := pcl.ProduceSync(context.Background(), bad...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	produce(t, cl, tp.in, 3, 1, "x")
	stop = start(t, brokers, group, tp)
	got := byKey(readAll(t, brokers, tp.out, 9))
	stop()
	for key, want := range map[string]string{"k0": "k0=1", "k1": "k1=3", "k2": "k2=3"} {
		if v := got[key]; len(v) != 3 || v[2] != want {
			t.Errorf("%s: outputs %q, want the third %q", key, v, want)
		}
	}
}
