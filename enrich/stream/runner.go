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
// leaving read_committed consumers blocked until the transaction times out.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
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

// Config configures a Runner.
type Config struct {
	Brokers    []string
	Group      string
	Instance   string   // stable name of this instance, unique in the group
	Topics     []string // input topics; several must have the same partition count (co-partitioned)
	DeadLetter string   // topic for poison records
	MaxPoll    int      // records per transaction at most
}

// Runner runs a Processor over its input topics.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	proc   Processor
	tables []Store
	sess   *kgo.GroupTransactSession

	mu    sync.Mutex // the loop and the assignment callbacks take turns on the tables
	ready map[int32]bool
}

// Tx is the transaction of one poll as a processor sees it.
type Tx struct {
	r       *Runner
	ctx     context.Context
	prodErr error
	errMu   sync.Mutex
	out     int
}

// Emit produces a record in the transaction. Headers are copied from the input when the
// processor passes them on (trace context).
func (tx *Tx) Emit(r *kgo.Record) {
	tx.out++
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
		cfg.MaxPoll = 10000
	}
	rn := &Runner{cfg: cfg, log: log, proc: proc, tables: tables, ready: map[int32]bool{}}
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.TransactionalID(cfg.Group+"-"+cfg.Instance),
		kgo.TransactionTimeout(30*time.Second),
		kgo.ConsumerGroup(cfg.Group),
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
		kgo.RecordPartitioner(partitioner(tables)),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	rn.sess = sess
	return rn, nil
}

// partitioner writes changelog records to the partition they name and hashes the key of
// every other record, as Kafka's default partitioner does.
func partitioner(tables []Store) kgo.Partitioner {
	changelog := map[string]bool{}
	for _, t := range tables {
		changelog[t.Topic()] = true
	}
	return kgo.BasicConsistentPartitioner(func(topic string) func(*kgo.Record, int) int {
		if changelog[topic] {
			return func(r *kgo.Record, _ int) int { return int(r.Partition) }
		}
		keyed := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
		return keyed.Partition
	})
}

// Close leaves the group and closes the client.
func (rn *Runner) Close() { rn.sess.Close() }

// Run processes until ctx ends; it returns an error only when the transactional producer is
// in a state it cannot leave.
func (rn *Runner) Run(ctx context.Context) error {
	for {
		fetches := rn.sess.PollRecords(ctx, rn.cfg.MaxPoll)
		if ctx.Err() != nil {
			rn.sess.AllowRebalance()
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			rn.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
		})
		if fetches.NumRecords() == 0 {
			rn.sess.AllowRebalance()
			continue
		}
		if err := rn.transact(ctx, fetches); err != nil {
			rn.sess.AllowRebalance()
			return err
		}
		rn.sess.AllowRebalance()
	}
}

// transact processes one poll in one transaction.
func (rn *Runner) transact(ctx context.Context, fetches kgo.Fetches) error {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if err := rn.sess.Begin(); err != nil {
		return fmt.Errorf("stream: begin: %w", err)
	}
	tx := &Tx{r: rn, ctx: ctx}
	parts := map[int32]bool{}
	fetches.EachRecord(func(r *kgo.Record) {
		parts[r.Partition] = true
		if err := rn.proc.Process(tx, r); err != nil {
			rn.deadLetter(tx, r, err)
		}
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
	if endErr != nil {
		return fmt.Errorf("stream: end transaction: %w", endErr)
	}
	return nil
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
}

// onRevoked drops the state of partitions that moved away.
func (rn *Runner) onRevoked(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
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
}

// restore reads changelog partitions from the start to their last stable offset.
func (rn *Runner) restore(ctx context.Context, t Store, parts map[int32]bool) error {
	// Control records (transaction markers) come back too: they hold offsets, and the last
	// offset before the end is usually a commit marker, not a state record.
	cl, err := kgo.NewClient(kgo.SeedBrokers(rn.cfg.Brokers...), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords())
	if err != nil {
		return err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, t.Topic())
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
