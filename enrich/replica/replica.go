// Package replica keeps small dimensions — weather, restaurants, couriers, and the city
// stage's live restaurant features and pressure — in every enricher instance: it reads their
// topics whole, every partition from the start, outside any consumer group, and hands each
// record to an apply function (Debezium adapts one that takes change events). The
// enrichers wait until a replica has caught up with the topics' ends at start, so that an
// order is never enriched against a dimension that is still loading.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	caught chan struct{} // closed once every topic was read to the end it had at start
	ends   map[string]map[int32]int64
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
	return &Replica{cl: cl, log: log, apply: apply, caught: make(chan struct{})}, nil
}

// Run reads until ctx ends. A record that does not decode or apply is logged and skipped:
// the ingester sends the same record to the dead-letter topic.
func (r *Replica) Run(ctx context.Context) error {
	defer r.cl.Close()
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

// WaitCaughtUp returns once every topic was read up to the end it had when Run started.
func (r *Replica) WaitCaughtUp(ctx context.Context) error {
	select {
	case <-r.caught:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("replica: not caught up: %w", ctx.Err())
	}
}

// loadEnds notes the end offsets at start (the last stable offsets: what read_committed reaches).
func (r *Replica) loadEnds(ctx context.Context) error {
	topics := make([]string, 0, len(r.apply))
	for t := range r.apply {
		topics = append(topics, t)
	}
	ends, err := kadm.NewClient(r.cl).ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("replica: end offsets: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ends = map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
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
