package stream_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// counter counts the records of each key in a Table and emits "key=count" for each; a
// record whose value is "poison" is refused, and failNext aborts the next transaction once.
type counter struct {
	counts   *stream.Table[int]
	out      string
	failNext bool
}

func (c *counter) Process(tx *stream.Tx, r *kgo.Record) error {
	if string(r.Value) == "poison" {
		return errors.New("poison value")
	}
	n, _ := c.counts.Get(r.Partition, string(r.Key))
	n++
	c.counts.Put(r.Partition, string(r.Key), n)
	tx.Emit(&kgo.Record{Topic: c.out, Key: r.Key, Value: []byte(fmt.Sprintf("%s=%d", r.Key, n))})
	return nil
}

func (c *counter) Advance(*stream.Tx, int32) error {
	if c.failNext {
		c.failNext = false
		return errors.New("injected failure")
	}
	return nil
}

type topics struct{ in, out, state, dead string }

func setup(t *testing.T, cl *kgo.Client) topics {
	t.Helper()
	name := testenv.Name("ft_stream")
	tp := topics{in: name + ".in", out: name + ".out", state: name + ".state", dead: name + ".dead"}
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	compact := "compact"
	for _, topic := range []string{tp.in, tp.out, tp.state, tp.dead} {
		var cfg map[string]*string
		if topic == tp.state {
			cfg = map[string]*string{"cleanup.policy": &compact}
		}
		if _, err := adm.CreateTopic(ctx, 3, 1, cfg, topic); err != nil {
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

func produce(t *testing.T, cl *kgo.Client, topic string, keys, each int, value string) {
	t.Helper()
	var recs []*kgo.Record
	for i := 0; i < each; i++ {
		for k := 0; k < keys; k++ {
			recs = append(recs, &kgo.Record{Topic: topic, Key: []byte("k" + strconv.Itoa(k)), Value: []byte(value)})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads a topic with read_committed until it has want records or 30 s pass.
func readAll(t *testing.T, brokers []string, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	// Anything beyond want would be a duplicate: give it a moment to show up.
	short, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	cl.PollFetches(short).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	return out
}

func run(t *testing.T, cfg stream.Config, proc *counter) (stop func()) {
	t.Helper()
	return runProcessor(t, cfg, proc, proc.counts)
}

// runProcessor runs proc over its tables; stop waits for Run to end and checks it ended
// without an error.
func runProcessor(t *testing.T, cfg stream.Config, proc stream.Processor, tables ...stream.Store) (stop func()) {
	t.Helper()
	rn, err := stream.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), proc, tables...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rn.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		rn.Close()
	}
}

// TestRunnerExactlyOnce: counts continue across a restart from the changelog, an aborted
// transaction leaves no output and no state behind, and a poison record goes to the
// dead-letter topic while its neighbours are counted.
func TestRunnerExactlyOnce(t *testing.T) {
	_, _, kafka, _ := testenv.Settings()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close) // after setup's cleanup
	tp := setup(t, cl)
	cfg := stream.Config{Brokers: kafka.Brokers, Group: testenv.Name("g"), Instance: "a", Topics: []string{tp.in}, DeadLetter: tp.dead}

	produce(t, cl, tp.in, 10, 3, "x")
	first := &counter{counts: stream.NewTable[int](tp.state), out: tp.out, failNext: true}
	stop := run(t, cfg, first)
	got := readAll(t, kafka.Brokers, tp.out, 30)
	stop()
	if len(got) != 30 {
		t.Fatalf("first run: %d outputs, want 30 (the aborted transaction must leave none)", len(got))
	}

	// A new process, as after a crash: state comes back from the changelog.
	produce(t, cl, tp.in, 10, 2, "x")
	produce(t, cl, tp.in, 1, 1, "poison")
	second := &counter{counts: stream.NewTable[int](tp.state), out: tp.out}
	stop = run(t, cfg, second)
	got = readAll(t, kafka.Brokers, tp.out, 50)
	stop()
	if len(got) != 50 {
		t.Fatalf("after restart: %d outputs, want 50", len(got))
	}
	last := map[string]string{}
	for _, r := range got {
		last[string(r.Key)] = string(r.Value)
	}
	for k := 0; k < 10; k++ {
		key := "k" + strconv.Itoa(k)
		if want := key + "=5"; last[key] != want {
			t.Errorf("%s: last output %q, want %q", key, last[key], want)
		}
	}
	dead := readAll(t, kafka.Brokers, tp.dead, 1)
	if len(dead) != 1 || string(dead[0].Value) != "poison" {
		t.Fatalf("dead letters: %d", len(dead))
	}
	var reason string
	for _, h := range dead[0].Headers {
		if h.Key == "ft-error" {
			reason = string(h.Value)
		}
	}
	if !strings.Contains(reason, "poison value") {
		t.Errorf("dead letter reason %q", reason)
	}
}
