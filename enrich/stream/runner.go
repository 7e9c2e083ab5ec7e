// Package stream is the enrichers' runtime: consume, process and produce in Kafka
// transactions, with keyed state per input partition kept in compacted changelog topics, the
// way Kafka Streams does it, on franz-go's GroupTransactSession.
//
// Each poll is one transaction: the processor's output records, the changelog records of
// every state change, the dead letters and the consumed offsets commit together or not at
// all. A crash at any point therefore replays from the last committed transaction with the
// state that transaction left, and emits each output exactly once to read_committed
// consumers. When a partition is assigned, its state is read back from the changelog before
// any of its records is processed; when it is revoked, its state is dropped.
//
// The instance's transactional id is <group>-<instance>: stable across restarts, so a new
// process fences its killed predecessor and aborts its open transaction at once instead of
// leaving read_committed consumers blocked until the transaction times out. Run does that
// before anything else. The instance is also a static member of the group (its
// group.instance.id is <instance>): a process restarted after a crash takes its
// predecessor's place and partitions at once, where a new member would wait for the dead
// one's session to expire (45 s) with the whole group stopped. Close leaves the group
// explicitly, so that a stopped instance's partitions move to the others at once.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// Processor handles the records of one poll inside a transaction.
type Processor interface {
	// Process handles one record. An error marks the record as poison: it goes to the
	// dead-letter topic with the error and the processing goes on.
	Process(tx *Tx, r *kgo.Record) error
	// Advance is called after the records of a poll for each partition they came from, for
	// timers: the processor fires what its partition's event time has passed.
	Advance(tx *Tx, partition int32) error
}

// Resetter is implemented by a processor that caches what it derives from its tables: Reset
// is called whenever the tables went back to their committed state (an aborted transaction)
// or gained or lost partitions.
type Resetter interface {
	Reset()
}

// Config configures a Runner.
type Config struct {
	Brokers    []string
	Group      string
	Instance   string   // stable name of this instance, unique in the group
	Topics     []string // input topics; several must have the same partition count (co-partitioned)
	DeadLetter string   // topic for poison records
	MaxPoll    int      // records per transaction at most
	// Partitioned are output topics whose records name their partition (Record.Partition),
	// like the changelogs; the records of every other topic go by the hash of their key.
	Partitioned []string
	// Name is the stage's name in spans and metrics (attribute stage), e.g. "orders".
	Name string
	// Telemetry gets the spans and metrics of docs/telemetry.md; zero records nothing.
	Telemetry telemetry.Providers
}

// Runner runs a Processor over its input topics.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	proc   Processor
	tables []Store
	sess   *kgo.GroupTransactSession
	tel    *instruments

	mu    sync.Mutex // the loop and the assignment callbacks take turns on the tables
	ready map[int32]bool
}

// Tx is the transaction of one poll as a processor sees it.
type Tx struct {
	r       *Runner
	ctx     context.Context
	prodErr error
	errMu   sync.Mutex
	span    trace.Span  // the transaction's
	cur     *recordSpan // the record being processed; nil in Advance
	counts  txCounts
}

// TraceChange names the trace context of the change being processed, a CDC record whose
// row carries it (the trace_parent column) rather than a traceparent header, and when the
// change was committed at the source. The record's span joins that trace under a span of
// the change's trip through CDC: from its commit to the record's Kafka timestamp. Records
// emitted afterwards that carry the same trace get the record span's context.
func (tx *Tx) TraceChange(traceParent string, committed time.Time) {
	if tx.cur == nil || tx.cur.span != nil {
		return
	}
	tx.r.tel.startRecord(tx.cur, tx.r.tel.change(tx.cur.r, traceParent, committed), tx.span.SpanContext())
}

// Emit produces a record in the transaction. A processor passes the trace context on in a
// traceparent header (the order's); Emit replaces it with the context of the span that
// produced the record.
func (tx *Tx) Emit(r *kgo.Record) {
	tx.r.tel.stamp(tx.cur, r)
	tx.counts.emitted[r.Topic]++
	tx.r.sess.Produce(tx.ctx, r, func(_ *kgo.Record, err error) {
		if err != nil {
			tx.errMu.Lock()
			if tx.prodErr == nil {
				tx.prodErr = err
			}
			tx.errMu.Unlock()
		}
	})
}

// New creates a runner; tables are the processor's state. The runner owns the client.
func New(cfg Config, log *slog.Logger, proc Processor, tables ...Store) (*Runner, error) {
	if cfg.Instance == "" || cfg.Group == "" || len(cfg.Topics) == 0 {
		return nil, errors.New("stream: group, instance and topics are required")
	}
	if cfg.MaxPoll <= 0 {
		cfg.MaxPoll = 50000
	}
	tel, err := newInstruments(cfg.Telemetry, cfg.Name)
	if err != nil {
		return nil, err
	}
	rn := &Runner{cfg: cfg, log: log, proc: proc, tables: tables, ready: map[int32]bool{}, tel: tel}
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.TransactionalID(cfg.Group+"-"+cfg.Instance),
		kgo.TransactionTimeout(30*time.Second),
		kgo.ConsumerGroup(cfg.Group),
		kgo.InstanceID(cfg.Instance),
		kgo.ConsumeTopics(cfg.Topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		// Range assignment gives partition i of every input topic to the same member, which
		// owns changelog partition i.
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(rn.onAssigned),
		kgo.OnPartitionsRevoked(rn.onRevoked),
		kgo.OnPartitionsLost(rn.onRevoked),
		kgo.RecordPartitioner(partitioner(tables, cfg.Partitioned)),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	rn.sess = sess
	return rn, nil
}

// partitioner writes the records of changelogs and of the partitioned topics to the
// partition they name and hashes the key of every other record, as Kafka's default
// partitioner does.
func partitioner(tables []Store, partitioned []string) kgo.Partitioner {
	manual := map[string]bool{}
	for _, t := range tables {
		manual[t.Topic()] = true
	}
	for _, t := range partitioned {
		manual[t] = true
	}
	return kgo.BasicConsistentPartitioner(func(topic string) func(*kgo.Record, int) int {
		if manual[topic] {
			return func(r *kgo.Record, _ int) int { return int(r.Partition) }
		}
		keyed := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
		return keyed.Partition
	})
}

// Close closes the client and leaves the group. A static member's client does not leave
// when it closes (a restart would take its place); Close removes it by its instance id so
// that its partitions are reassigned now rather than when its session expires.
func (rn *Runner) Close() {
	rn.sess.Close()
	rn.tel.lagReg.Unregister() //nolint:errcheck // only fails for a foreign meter provider
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(rn.cfg.Brokers...))
	if err != nil {
		rn.log.Warn("leave group", "group", rn.cfg.Group, "instance", rn.cfg.Instance, "err", err)
		return
	}
	defer cl.Close()
	res, err := kadm.NewClient(cl).LeaveGroup(ctx, kadm.LeaveGroup(rn.cfg.Group).InstanceIDs(rn.cfg.Instance).Reason("instance stopped"))
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		rn.log.Warn("leave group", "group", rn.cfg.Group, "instance", rn.cfg.Instance, "err", err)
	}
}

// Run processes until ctx ends; it returns an error only when the transactional producer is
// in a state it cannot leave.
func (rn *Runner) Run(ctx context.Context) error {
	// Fence a predecessor with the same transactional id and abort its open transaction
	// now: the producer id is otherwise initialised at the first produce, after the
	// partitions are assigned and their committed offsets read, and those offsets stay
	// unstable while the dead process's transaction is open — until it times out.
	if _, _, err := rn.sess.Client().ProducerID(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("stream: init producer id: %w", err)
	}
	for {
		fetches := rn.fill(ctx, rn.sess.PollRecords(ctx, rn.cfg.MaxPoll))
		if ctx.Err() != nil {
			rn.sess.AllowRebalance()
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				rn.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		if fetches.NumRecords() == 0 {
			rn.sess.AllowRebalance()
			continue
		}
		rn.tel.lag.Fetched(fetches)
		if err := rn.transact(ctx, fetches); err != nil {
			rn.sess.AllowRebalance()
			return err
		}
		rn.sess.AllowRebalance()
	}
}

// fillFor is how long a transaction waits for more records once it has some: a transaction
// costs a few round trips to the broker whatever its size, so small ones cap the throughput.
const fillFor = 50 * time.Millisecond

// fill polls again, for at most fillFor, until the transaction has MaxPoll records.
func (rn *Runner) fill(ctx context.Context, fetches kgo.Fetches) kgo.Fetches {
	n := fetches.NumRecords()
	if n == 0 {
		return fetches
	}
	deadline := time.Now().Add(fillFor)
	for n < rn.cfg.MaxPoll && ctx.Err() == nil {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		pctx, cancel := context.WithTimeout(ctx, left)
		more := rn.sess.PollRecords(pctx, rn.cfg.MaxPoll-n)
		cancel()
		if more.NumRecords() == 0 {
			break
		}
		n += more.NumRecords()
		fetches = append(fetches, more...)
	}
	return fetches
}

// finishGrace bounds a transaction that has begun: it is finished and committed even when
// Run's context ends meanwhile (DESIGN §3.5: stop fetching, finish the batch, commit).
const finishGrace = 30 * time.Second

// transact processes one poll in one transaction.
func (rn *Runner) transact(ctx context.Context, fetches kgo.Fetches) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishGrace)
	defer cancel()
	rn.mu.Lock()
	defer rn.mu.Unlock()
	start := time.Now()
	if err := rn.sess.Begin(); err != nil {
		return fmt.Errorf("stream: begin: %w", err)
	}
	tx := &Tx{r: rn, ctx: ctx, counts: txCounts{emitted: map[string]int64{}}}
	_, tx.span = rn.tel.tracer.Start(ctx, spanTransaction, trace.WithTimestamp(start), trace.WithAttributes(rn.tel.stage))
	defer tx.span.End()
	parts := map[int32]bool{}
	inTimeOrder(fetches, func(r *kgo.Record) {
		parts[r.Partition] = true
		tx.cur = &recordSpan{r: r, start: time.Now()}
		rn.tel.startRecord(tx.cur, traceParent(r), tx.span.SpanContext())
		err := rn.proc.Process(tx, r)
		if err != nil {
			rn.deadLetter(tx, r, err)
			tx.counts.dead++
		} else {
			tx.counts.ok++
		}
		endRecord(tx.cur, err)
		tx.cur = nil
	})
	var err error
	for p := range parts {
		if err = rn.proc.Advance(tx, p); err != nil {
			break
		}
	}
	for _, t := range rn.tables {
		if err != nil {
			break
		}
		var recs []*kgo.Record
		if recs, err = t.changelog(); err == nil {
			for _, r := range recs {
				tx.Emit(r)
			}
		}
	}
	try := kgo.TryCommit
	if err != nil {
		rn.log.Error("transaction aborted", "err", err)
		try = kgo.TryAbort
	}
	committed, endErr := rn.sess.End(ctx, try)
	if tx.prodErr != nil {
		committed = false
		rn.log.Warn("transaction aborted: produce failed", "err", tx.prodErr)
	}
	for _, t := range rn.tables {
		if committed {
			t.commit()
		} else {
			t.abort()
		}
	}
	if !committed {
		rn.reset()
	}
	rn.tel.ended(ctx, start, committed, tx.counts)
	tx.span.SetAttributes(attribute.Int64("records", tx.counts.ok+tx.counts.dead), attribute.Int64("dead_letters", tx.counts.dead),
		attribute.Bool("committed", committed))
	if !committed {
		tx.span.SetStatus(codes.Error, "transaction aborted")
	}
	if endErr != nil {
		return fmt.Errorf("stream: end transaction: %w", endErr)
	}
	return nil
}

// inTimeOrder calls fn for every record of fetches, each partition's in offset order, the
// partitions merged by record timestamp: the next record is always the earliest among the
// partitions' next ones, as Kafka Streams picks them within a task. When a poll holds much
// of several topics — a backlog after downtime — a change is then processed after the
// changes committed before it in the source, whatever topic or partition they are in: an
// order's delivery before its review, the orders of one partition not half an hour ahead of
// another's in the city events.
func inTimeOrder(fetches kgo.Fetches, fn func(*kgo.Record)) {
	var heads [][]*kgo.Record
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) > 0 {
			heads = append(heads, p.Records)
		}
	})
	for len(heads) > 0 {
		next := 0
		for i := 1; i < len(heads); i++ {
			if heads[i][0].Timestamp.Before(heads[next][0].Timestamp) {
				next = i
			}
		}
		fn(heads[next][0])
		if heads[next] = heads[next][1:]; len(heads[next]) == 0 {
			heads = slices.Delete(heads, next, next+1)
		}
	}
}

// reset tells the processor its tables changed under it.
func (rn *Runner) reset() {
	if r, ok := rn.proc.(Resetter); ok {
		r.Reset()
	}
}

// deadLetter sends a record the processor refused to the dead-letter topic, in the
// transaction, with the reason and its source in headers (the ingester's header names).
func (rn *Runner) deadLetter(tx *Tx, r *kgo.Record, err error) {
	rn.log.Warn("dead letter", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
	headers := append([]kgo.RecordHeader(nil), r.Headers...)
	headers = append(headers,
		kgo.RecordHeader{Key: "ft-error", Value: []byte(err.Error())},
		kgo.RecordHeader{Key: "ft-source-topic", Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: "ft-source-partition", Value: []byte(fmt.Sprint(r.Partition))},
		kgo.RecordHeader{Key: "ft-source-offset", Value: []byte(fmt.Sprint(r.Offset))},
	)
	tx.Emit(&kgo.Record{Topic: rn.cfg.DeadLetter, Key: r.Key, Value: r.Value, Headers: headers})
}

// onAssigned restores the state of the newly assigned partitions from the changelogs.
func (rn *Runner) onAssigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	parts := map[int32]bool{}
	for _, ps := range assigned {
		for _, p := range ps {
			if !rn.ready[p] {
				parts[p] = true
			}
		}
	}
	if len(parts) == 0 {
		return
	}
	for _, t := range rn.tables {
		if err := rn.restore(ctx, t, parts); err != nil {
			// Without its state a partition would be processed wrong: better to stop.
			rn.log.Error("restore state", "topic", t.Topic(), "err", err)
			panic(err)
		}
	}
	for p := range parts {
		rn.ready[p] = true
	}
	rn.reset()
}

// onRevoked drops the state of partitions that moved away.
func (rn *Runner) onRevoked(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
	rn.tel.lag.Forget(revoked)
	rn.mu.Lock()
	defer rn.mu.Unlock()
	for _, ps := range revoked {
		for _, p := range ps {
			for _, t := range rn.tables {
				t.forget(p)
			}
			delete(rn.ready, p)
		}
	}
	rn.reset()
}

// restore reads changelog partitions, committed records only, from the start to their high
// watermarks.
//
// Not to their last stable offsets: the previous owner of a partition ends its last
// transaction before it lets the partition go, but the commit markers reach the changelog a
// little later, and until then the last stable offset is before that transaction — whose
// consumed offsets the group already has. Read to there, the state would miss the
// transaction's changes while the input resumes after it: orders it placed would be placed
// again, orders it closed would stay open. Reading with read_committed to the high
// watermark waits for the markers; a transaction still open, of a killed process, is
// aborted when Run fences it (the same instance restarted) or when it times out, before a
// dead member's partitions move (the transaction timeout is shorter than the session's).
func (rn *Runner) restore(ctx context.Context, t Store, parts map[int32]bool) error {
	// Control records (transaction markers) come back too: they hold offsets, and the last
	// offset before the end is usually a commit marker, not a state record.
	cl, err := kgo.NewClient(kgo.SeedBrokers(rn.cfg.Brokers...), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords())
	if err != nil {
		return err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, t.Topic())
	if err != nil {
		return fmt.Errorf("end offsets of %s: %w", t.Topic(), err)
	}
	want := map[int32]int64{}
	offsets := map[string]map[int32]kgo.Offset{t.Topic(): {}}
	for p := range parts {
		o, ok := ends.Lookup(t.Topic(), p)
		if !ok || o.Err != nil || o.Offset <= 0 {
			continue // empty or missing: nothing to restore
		}
		want[p] = o.Offset
		offsets[t.Topic()][p] = kgo.NewOffset().AtStart()
	}
	if len(want) == 0 {
		return nil
	}
	cl.AddConsumePartitions(offsets)
	n := 0
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return fmt.Errorf("read %s: %w", t.Topic(), err)
		}
		var rerr error
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || rerr != nil {
				return
			}
			if !r.Attrs.IsControl() {
				if rerr = t.restore(r.Partition, r); rerr == nil {
					n++
				}
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
		if rerr != nil {
			return rerr
		}
	}
	rn.log.Info("state restored", "topic", t.Topic(), "partitions", len(parts), "records", n)
	return nil
}
