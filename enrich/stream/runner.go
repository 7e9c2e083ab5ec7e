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
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// Processor handles the records of one poll inside a transaction.
type Processor interface {
	// Process handles one record. An error marks the record as poison: it goes to the
	// dead-letter topic with the error and the processing goes on; Process returns it
	// before it changes state or emits (after that, Tx.Poison). A panic is recovered and
	// handled as Tx.Poison.
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
	// poison holds the input records an aborted transaction blamed (a processor panicked
	// or poisoned them, the broker refused their output for good), with the reason: the
	// replay sends them to the dead-letter topic instead of processing them.
	poison map[recordID]error
	fatal  error // a restore that failed for good, which Run returns
	// retries counts the transactions aborted in a row for a transient cause (a produce
	// or a timer failed), for the backoff before the next one.
	retries int
	// isolate makes the next transaction flush every record on its own: the broker
	// refused a batch of records of several input records, and only one of them may be
	// to blame.
	isolate bool
}

// MaxBatchBytes is the producer's limit on a record batch (kgo.ProducerBatchMaxBytes): the
// broker's default message.max.bytes, 1 MiB plus 12 bytes, which the topics the enrichers
// write keep.
const MaxBatchBytes = 1048588

// MaxRecordBytes is the largest record — key, value, header keys and values — the runner
// produces: the batch limit less room for the framing of the batch (61 bytes) and of the
// record (a few bytes of lengths per field). Every record is checked against it before it
// is produced, so that none fails in the producer for its size: an output over it goes to
// the dead-letter topic instead, and a state change over it is not applied (Table).
const MaxRecordBytes = MaxBatchBytes - 1024

// Dead-letter headers the runner adds besides the ingester's (ft-error, ft-source-*).
const (
	// HeaderOutputTopic names the topic of an output sent to the dead-letter topic
	// instead, because it was over MaxRecordBytes.
	HeaderOutputTopic = "ft-output-topic"
	// HeaderTruncated is the length of the value of a dead letter whose value was cut to
	// fit in MaxRecordBytes, before the cut.
	HeaderTruncated = "ft-truncated"
)

// recordID names an input record.
type recordID struct {
	topic     string
	partition int32
	offset    int64
}

func idOf(r *kgo.Record) recordID { return recordID{r.Topic, r.Partition, r.Offset} }

// Tx is the transaction of one poll as a processor sees it.
type Tx struct {
	r        *Runner
	ctx      context.Context
	inFlight sync.WaitGroup // records produced whose promise has not run yet
	errMu    sync.Mutex
	failed   *produceFailure // the first record the producer failed
	// refused are the records the broker refused for what they are (refused), by the
	// input record each came from (nil: a timer's output or a dead letter, which no input
	// record can be blamed for).
	refused  map[*kgo.Record]*produceFailure
	isolate  bool        // flush each record on its own, and produce nothing after one failed
	poisoned *poisoned   // the record the transaction is rolled back for
	span     trace.Span  // the transaction's
	cur      *recordSpan // the record being processed; nil in Advance
	counts   txCounts
}

// produceFailure is a record the producer failed, with the input record whose processing
// produced it (nil: a timer's).
type produceFailure struct {
	topic  string
	source *kgo.Record
	err    error
}

// poisoned is an input record a processor could not handle once it had begun to.
type poisoned struct {
	rec *kgo.Record
	err error
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
// produced the record. A record over MaxRecordBytes is not produced: a copy goes to the
// dead-letter topic instead, its value cut to fit, with the reason and the input record
// it came from, and the processing goes on.
func (tx *Tx) Emit(r *kgo.Record) {
	var src *kgo.Record
	if tx.cur != nil {
		src = tx.cur.r
	}
	tx.produce(r, src)
}

// Poison tells the runner that the processor cannot handle the record being processed
// after it began to change state or emit — an output that does not encode, say. The
// transaction is rolled back and replayed with the record sent to the dead-letter topic
// with err, so that nothing the processor did with it remains. The processor may return
// at once. In Advance, where no record is being processed, Poison sends a dead letter
// with err alone and the processing goes on.
func (tx *Tx) Poison(err error) {
	if tx.cur == nil {
		tx.r.log.Error("dead letter: timer output", "err", err)
		tx.send(&kgo.Record{Topic: tx.r.cfg.DeadLetter, Headers: []kgo.RecordHeader{{Key: "ft-error", Value: []byte(err.Error())}}}, nil)
		return
	}
	if tx.poisoned == nil {
		tx.poisoned = &poisoned{rec: tx.cur.r, err: err}
	}
}

// produce stamps r, checks its size and produces it; src is the input record it came from.
func (tx *Tx) produce(r, src *kgo.Record) {
	tx.r.tel.stamp(tx.cur, r)
	if n := recordBytes(r); n > MaxRecordBytes && r.Topic != tx.r.cfg.DeadLetter {
		reason := fmt.Errorf("stream: record for %s of %d bytes is over the record limit of %d bytes", r.Topic, n, MaxRecordBytes)
		tx.r.log.Warn("dead letter: output too large", "topic", r.Topic, "bytes", n)
		r = tx.r.letter(r, src, reason, kgo.RecordHeader{Key: HeaderOutputTopic, Value: []byte(r.Topic)})
	}
	tx.send(r, src)
}

// send produces r in the transaction and remembers the records that fail.
func (tx *Tx) send(r, src *kgo.Record) {
	if tx.isolate && tx.failure() != nil {
		return // the transaction aborts, and the record to blame is known
	}
	tx.counts.emitted[r.Topic]++
	tx.inFlight.Add(1)
	tx.r.sess.Produce(tx.ctx, r, func(_ *kgo.Record, err error) {
		defer tx.inFlight.Done()
		if err == nil {
			return
		}
		f := &produceFailure{topic: r.Topic, source: src, err: err}
		if r.Topic == tx.r.cfg.DeadLetter {
			f.source = nil
		}
		tx.errMu.Lock()
		defer tx.errMu.Unlock()
		if tx.failed == nil {
			tx.failed = f
		}
		if refused(err) && tx.refused[f.source] == nil {
			tx.refused[f.source] = f
		}
	})
	if tx.isolate {
		// The transaction is replayed to find the one record to blame: wait for each.
		if err := tx.r.sess.Client().Flush(tx.ctx); err == nil {
			tx.inFlight.Wait()
		}
	}
}

// failure is the first record the producer failed, if any yet.
func (tx *Tx) failure() *produceFailure {
	tx.errMu.Lock()
	defer tx.errMu.Unlock()
	return tx.failed
}

// recordBytes is the size of r as the producer counts it against its limits.
func recordBytes(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
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
	rn := &Runner{cfg: cfg, log: log, proc: proc, tables: tables, ready: map[int32]bool{}, poison: map[recordID]error{}, tel: tel}
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
		kgo.ProducerBatchMaxBytes(MaxBatchBytes),
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
// in a state it cannot leave, when a partition's state cannot be restored, or when the
// broker refuses a record that no input record can be blamed for (see blame).
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
		if err := rn.failure(); err != nil {
			rn.sess.AllowRebalance()
			return err
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
		rn.backoff(ctx)
	}
}

// failure is the error of a restore that failed for good, if any.
func (rn *Runner) failure() error {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.fatal
}

// backoff waits after transactions aborted for a transient cause — 100 ms, doubling up to
// 10 s while they keep failing — so that an outage is retried, not spun on.
func (rn *Runner) backoff(ctx context.Context) {
	if rn.retries == 0 {
		return
	}
	t := time.NewTimer(min(100*time.Millisecond<<min(rn.retries-1, 7), 10*time.Second))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
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
	if rn.fatal != nil {
		return rn.fatal // a partition of this poll has no state
	}
	start := time.Now()
	if err := rn.sess.Begin(); err != nil {
		return fmt.Errorf("stream: begin: %w", err)
	}
	tx := &Tx{r: rn, ctx: ctx, counts: txCounts{emitted: map[string]int64{}}, refused: map[*kgo.Record]*produceFailure{}, isolate: rn.isolate}
	_, tx.span = rn.tel.tracer.Start(ctx, spanTransaction, trace.WithTimestamp(start), trace.WithAttributes(rn.tel.stage))
	defer tx.span.End()
	parts := map[int32]bool{}
	var blamed []recordID // poison records dead-lettered in this transaction
	inTimeOrder(fetches, func(r *kgo.Record) {
		if tx.poisoned != nil || tx.isolate && tx.failure() != nil {
			return // the transaction is rolled back: the rest of the poll waits for the replay
		}
		parts[r.Partition] = true
		tx.cur = &recordSpan{r: r, start: time.Now()}
		rn.tel.startRecord(tx.cur, traceParent(r), tx.span.SpanContext())
		err, poison := rn.poison[idOf(r)]
		if poison {
			blamed = append(blamed, idOf(r))
		} else {
			err = rn.process(tx, r)
		}
		switch {
		case tx.poisoned != nil:
			err = tx.poisoned.err
		case err != nil:
			rn.deadLetter(tx, r, err)
			tx.counts.dead++
		default:
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
	rejected := false // a state change that could not be written was dropped
	for _, t := range rn.tables {
		if err != nil || tx.poisoned != nil {
			break
		}
		for _, c := range t.changelog() {
			switch {
			case c.err == nil:
				tx.produce(c.rec, c.source)
			case c.source != nil:
				rejected = true
				rn.log.Warn("dead letter: state change dropped", "topic", c.source.Topic, "partition", c.source.Partition,
					"offset", c.source.Offset, "err", c.err)
				tx.send(rn.letter(c.source, c.source, c.err), c.source)
			default: // changed by timers only: the state record itself is the evidence
				rejected = true
				rn.log.Warn("dead letter: state change dropped", "err", c.err)
				tx.send(rn.letter(c.rec, nil, c.err, kgo.RecordHeader{Key: HeaderOutputTopic, Value: []byte(c.rec.Topic)}), nil)
			}
		}
	}
	if err == nil && tx.poisoned == nil {
		// End commits whatever became of the records produced: wait for every one of them
		// (Flush, then the promises of records failed before they were buffered), and abort
		// when one failed.
		if err = rn.sess.Client().Flush(ctx); err != nil {
			err = fmt.Errorf("stream: flush: %w", err)
		} else {
			tx.inFlight.Wait()
		}
	}
	try := kgo.TryCommit
	switch {
	case err != nil:
		rn.log.Error("transaction aborted", "err", err)
		try = kgo.TryAbort
	case tx.poisoned != nil:
		rn.log.Warn("transaction rolled back to dead-letter a record", "topic", tx.poisoned.rec.Topic,
			"partition", tx.poisoned.rec.Partition, "offset", tx.poisoned.rec.Offset, "err", tx.poisoned.err)
		try = kgo.TryAbort
	case tx.failure() != nil:
		rn.log.Warn("transaction aborted: produce failed", "topic", tx.failure().topic, "err", tx.failure().err)
		try = kgo.TryAbort
	}
	committed, endErr := rn.sess.End(ctx, try)
	for _, t := range rn.tables {
		if committed {
			t.commit()
		} else {
			t.abort()
		}
	}
	if !committed || rejected {
		rn.reset()
	}
	if committed {
		rn.retries, rn.isolate = 0, false
		for _, id := range blamed {
			delete(rn.poison, id)
		}
	} else if berr := rn.blame(tx, try == kgo.TryAbort); berr != nil {
		return berr
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

// process has the processor handle r. A panic, or a committed value Edit could not copy,
// poisons r (Tx.Poison) instead of stopping the process: a restart would meet the record
// again.
func (rn *Runner) process(tx *Tx, r *kgo.Record) error {
	for _, t := range rn.tables {
		t.setSource(r)
	}
	defer func() {
		if v := recover(); v != nil {
			rn.log.Error("processor panicked", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			tx.Poison(fmt.Errorf("stream: processing panicked: %v", v))
		}
		for _, t := range rn.tables {
			if err := t.editErr(); err != nil {
				tx.Poison(err)
			}
			t.setSource(nil)
		}
	}()
	return rn.proc.Process(tx, r)
}

// blame decides what the replay of an aborted transaction does. The record a processor
// poisoned, or whose output the broker refused for good, goes to the dead-letter topic
// then; after any other failure (abort true) the replay waits for a backoff, because a
// transient outage is no reason to dead-letter.
//
// The broker refuses a batch as a whole: when the refused records came from several
// input records, the replay flushes record by record (isolate) to find the one to blame.
// An output refused for good that no input record can be blamed for (a timer's, a dead
// letter) would be refused at every replay: that stops the runner with the error.
func (rn *Runner) blame(tx *Tx, abort bool) error {
	tx.errMu.Lock()
	defer tx.errMu.Unlock()
	switch {
	case tx.poisoned != nil:
		rn.poison[idOf(tx.poisoned.rec)] = tx.poisoned.err
		rn.isolate = false
	case len(tx.refused) > 1 && !tx.isolate:
		rn.log.Warn("replaying the transaction record by record to find the record refused")
		rn.isolate = true
	case len(tx.refused) == 1:
		var f *produceFailure
		for _, only := range tx.refused {
			f = only
		}
		if f.source == nil {
			return fmt.Errorf("stream: a record for %s was refused: %w", f.topic, f.err)
		}
		rn.poison[idOf(f.source)] = fmt.Errorf("stream: output for %s refused: %w", f.topic, f.err)
		rn.isolate = false
	case abort:
		rn.retries++
	}
	return nil
}

// refused reports whether the broker refused a record for what it is, so that writing it
// again would fail again.
func refused(err error) bool {
	for _, e := range []error{kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord, kerr.CorruptMessage, kerr.InvalidTimestamp} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// deadLetter sends a record the processor refused to the dead-letter topic, in the
// transaction, with the reason and its source in headers (the ingester's header names).
func (rn *Runner) deadLetter(tx *Tx, r *kgo.Record, err error) {
	rn.log.Warn("dead letter", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
	tx.produce(rn.letter(r, r, err), r)
}

// letter is the dead letter of r: its key, value and headers, plus the reason and the
// source of the input record src (when there is one) in the ingester's header names, and
// extra. A value that does not fit in MaxRecordBytes is cut (HeaderTruncated has its full
// length); when the key and headers alone do not fit, only the runner's headers stay.
func (rn *Runner) letter(r, src *kgo.Record, reason error, extra ...kgo.RecordHeader) *kgo.Record {
	headers := append([]kgo.RecordHeader(nil), r.Headers...)
	headers = append(headers, kgo.RecordHeader{Key: "ft-error", Value: []byte(reason.Error())})
	if src != nil {
		headers = append(headers,
			kgo.RecordHeader{Key: "ft-source-topic", Value: []byte(src.Topic)},
			kgo.RecordHeader{Key: "ft-source-partition", Value: []byte(fmt.Sprint(src.Partition))},
			kgo.RecordHeader{Key: "ft-source-offset", Value: []byte(fmt.Sprint(src.Offset))},
		)
	}
	out := &kgo.Record{Topic: rn.cfg.DeadLetter, Key: r.Key, Value: r.Value, Headers: append(headers, extra...)}
	if n := recordBytes(out); n > MaxRecordBytes {
		cut := kgo.RecordHeader{Key: HeaderTruncated, Value: []byte(strconv.Itoa(len(r.Value)))}
		out.Headers = append(out.Headers, cut)
		if room := MaxRecordBytes - (n - len(out.Value)) - len(cut.Key) - len(cut.Value); room >= 0 {
			out.Value = out.Value[:room]
		} else {
			out.Key, out.Value, out.Headers = nil, nil, out.Headers[len(r.Headers):]
		}
	}
	return out
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
		if err := rn.restoreRetrying(ctx, t, parts); err != nil {
			if ctx.Err() == nil { // not the client closing
				// Without its state a partition would be processed wrong: Run stops.
				rn.log.Error("restore state", "topic", t.Topic(), "err", err)
				rn.fatal = fmt.Errorf("stream: restore state of %s: %w", t.Topic(), err)
			}
			return
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

// restoreAttempts bounds the tries of a restore: a failure is retried after 1 s, then 2, 4
// and 8 s, half a minute in all, before the runner gives up.
const restoreAttempts = 5

// restoreRetrying restores, retrying a failure (a broker unreachable or restarting) with a
// backoff. A retry reads the changelog from the start again, which ends in the same state.
func (rn *Runner) restoreRetrying(ctx context.Context, t Store, parts map[int32]bool) error {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := rn.restore(ctx, t, parts)
		if err == nil || ctx.Err() != nil || attempt == restoreAttempts {
			return err
		}
		rn.log.Warn("restore state: retrying", "topic", t.Topic(), "attempt", attempt, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
		wait *= 2
	}
}

// restore reads changelog partitions, committed records only, from the start to their high
// watermarks. A record that does not decode is skipped with a warning, its key left
// absent (Table.restore): one bad record must not keep the partition from running.
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
	n, skipped := 0, 0
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return fmt.Errorf("read %s: %w", t.Topic(), err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok {
				return
			}
			if !r.Attrs.IsControl() {
				if err := t.restore(r.Partition, r); err != nil {
					skipped++
					rn.log.Warn("restore state: record skipped", "err", err)
				} else {
					n++
				}
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	rn.log.Info("state restored", "topic", t.Topic(), "partitions", len(parts), "records", n, "skipped", skipped)
	return nil
}
