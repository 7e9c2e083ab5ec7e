// Package replica keeps small dimensions — weather, restaurants, couriers, and the city
// stage's live restaurant features and pressure — in every enricher instance: it reads their
// topics whole, every partition from the start, outside any consumer group, and hands each
// record to an apply function (Debezium adapts one that takes change events). The
// enrichers wait until a replica has caught up with the topics' ends at start, so that an
// order is never enriched against a dimension that is still loading.
//
// Caught up means: every partition read up to the last stable offset it had when Run
// started. A partition whose log start offset has reached that end holds nothing to read —
// its records were deleted by retention, or it never had any — and counts as read at once:
// waiting for a record there would wait for ever. The topics it reads are compacted
// (package topics), so that what they held is still there after any downtime.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// Apply takes one record of a dimension topic. It runs on the replica's goroutine; what it
// updates must be safe to read from other goroutines.
type Apply func(r *kgo.Record) error

// Debezium adapts a function of change events to an Apply for a Debezium topic: tombstones
// and heartbeats are skipped.
func Debezium(apply func(ev *debezium.Event) error) Apply {
	var dec debezium.Decoder
	return func(r *kgo.Record) error {
		ev, err := dec.DecodeRecord(r)
		if err != nil || ev.Tombstone || ev.IsHeartbeat() {
			return err
		}
		return apply(&ev)
	}
}

// Replica reads dimension topics into apply functions.
type Replica struct {
	cl    *kgo.Client
	log   *slog.Logger
	apply map[string]Apply // by topic

	mu     sync.Mutex
	caught chan struct{}              // closed once every topic was read to the end it had at start
	ends   map[string]map[int32]int64 // partitions still to read: their end offset at start
	read   map[string]map[int32]int64 // offset of the last record read, per partition
	exited chan struct{}              // closed when Run returns
	err    error                      // what Run returned
}

// New starts nothing yet: Run reads, WaitCaughtUp waits. apply maps each topic to read to its
// function; a topic that does not exist yet (no row captured so far) is read once it appears.
func New(brokers []string, log *slog.Logger, apply map[string]Apply) (*Replica, error) {
	topics := make([]string, 0, len(apply))
	for t := range apply {
		topics = append(topics, t)
	}
	// Control records (the transaction markers of the enrichers' topics) come back too:
	// a transactional topic's last offset is usually a marker, which the catch-up waits for.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords())
	if err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	return &Replica{cl: cl, log: log, apply: apply, caught: make(chan struct{}), exited: make(chan struct{}),
		read: map[string]map[int32]int64{}}, nil
}

// Run reads until ctx ends. A record that does not decode or apply is logged and skipped:
// the ingester sends the same record to the dead-letter topic.
func (r *Replica) Run(ctx context.Context) (err error) {
	defer func() {
		r.cl.Close()
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
		close(r.exited)
	}()
	if err := r.loadEnds(ctx); err != nil {
		return err
	}
	for {
		fs := r.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, kerr.UnknownTopicOrPartition) {
				r.log.Warn("replica fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) {
			var err error
			if !rec.Attrs.IsControl() {
				err = r.apply[rec.Topic](rec)
			}
			if err != nil {
				r.log.Warn("replica skips a record", "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "err", err)
			}
			r.done(rec.Topic, rec.Partition, rec.Offset)
		})
	}
}

// WaitCaughtUp returns once every topic was read up to the end it had when Run started. It
// returns an error when Run ended first, or when ctx ends first: then it names the
// partitions not read to their ends, and how far each was read.
func (r *Replica) WaitCaughtUp(ctx context.Context) error {
	select {
	case <-r.caught:
		return nil
	case <-r.exited:
		select {
		case <-r.caught:
			return nil
		default:
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.err != nil {
			return fmt.Errorf("replica: %w", r.err)
		}
		return errors.New("replica: stopped before it caught up")
	case <-ctx.Done():
		return fmt.Errorf("replica: not caught up (%s): %w", r.behind(), ctx.Err())
	}
}

// behind describes the partitions not yet read to their ends.
func (r *Replica) behind() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ends == nil {
		return "end offsets not listed yet"
	}
	var parts []string
	for _, topic := range slices.Sorted(maps.Keys(r.ends)) {
		for _, p := range slices.Sorted(maps.Keys(r.ends[topic])) {
			at := "nothing read"
			if o, ok := r.read[topic][p]; ok {
				at = fmt.Sprintf("read to offset %d", o)
			}
			parts = append(parts, fmt.Sprintf("%s[%d] %s of end %d", topic, p, at, r.ends[topic][p]))
		}
	}
	return strings.Join(parts, "; ")
}

// loadEnds notes what there is to read at start: per partition, from its log start offset to
// its last stable offset (what read_committed reaches). Partitions where the two are equal
// are empty.
func (r *Replica) loadEnds(ctx context.Context) error {
	topics := make([]string, 0, len(r.apply))
	for t := range r.apply {
		topics = append(topics, t)
	}
	adm := kadm.NewClient(r.cl)
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("replica: end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("replica: start offsets: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ends = map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		start, ok := starts.Lookup(o.Topic, o.Partition)
		if ok && start.Err == nil && start.Offset >= o.Offset {
			return // nothing left in the log: deleted by retention, or never written
		}
		if o.Offset > 0 {
			if r.ends[o.Topic] == nil {
				r.ends[o.Topic] = map[int32]int64{}
			}
			r.ends[o.Topic][o.Partition] = o.Offset
		}
	})
	r.check()
	return nil
}

// done notes that offset of a partition was read.
func (r *Replica) done(topic string, p int32, offset int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.read[topic] == nil {
		r.read[topic] = map[int32]int64{}
	}
	r.read[topic][p] = offset
	if end, ok := r.ends[topic][p]; ok && offset+1 >= end {
		delete(r.ends[topic], p)
		if len(r.ends[topic]) == 0 {
			delete(r.ends, topic)
		}
		r.check()
	}
}

// check closes caught when nothing is left to read. Called with mu held.
func (r *Replica) check() {
	if r.ends != nil && len(r.ends) == 0 {
		select {
		case <-r.caught:
		default:
			close(r.caught)
		}
	}
}
