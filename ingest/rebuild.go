package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
)

// rebuildReference reads the CDC topics of the reference tables (connect.Reference) into
// their mirrors, from the log start up to the group's committed offsets, when a mirror is
// empty — a fresh or reset ClickHouse under a group whose offsets are long past those
// records — or when -rebuild-reference asks for it. A partition the group has not committed
// in needs nothing: the group reads it from the start. It runs before the ingester joins its
// group, outside it: the rows carry their source LSN as version, so the group's reading of
// later records is unaffected. The topics are compacted (package topics): they hold the
// latest version of every row however old. Called before Run's loop, with mu held.
func (in *Ingester) rebuildReference(ctx context.Context) error {
	w := in.workers[0]
	var read []string
	for _, table := range connect.Reference {
		if w.tables[table] == nil {
			continue
		}
		if !in.cfg.RebuildReference {
			var n uint64
			if err := in.ch.QueryRow(ctx, "SELECT count() FROM "+in.cfg.ClickHouse.Database+"."+table).Scan(&n); err != nil {
				// Not now: the group's own reading meets ClickHouse's refusals and retries them.
				in.log.Warn("rebuild reference mirrors: count rows", "table", table, "err", err)
				continue
			}
			if n > 0 {
				continue
			}
		}
		read = append(read, in.cfg.TopicPrefix+".public."+table)
	}
	if len(read) == 0 {
		return nil
	}
	// Not kgo.ConsumeTopics with the group's offsets: this reads the same partitions from
	// their start, outside the group, to where the group will go on.
	cl, err := kgo.NewClient(kgo.SeedBrokers(in.cfg.Kafka.Brokers...), kgo.ConsumeTopics(read...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return fmt.Errorf("rebuild reference mirrors: %w", err)
	}
	defer cl.Close()
	// Offsets are the group's to commit, from its own reading, whatever happens here.
	defer clear(w.last)
	want, err := toRead(ctx, kadm.NewClient(cl), in.cfg.Group, read)
	if err != nil {
		return fmt.Errorf("rebuild reference mirrors: %w", err)
	}
	records, quiet := 0, 0
	for len(want) > 0 && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, rebuildPoll)
		fs := cl.PollFetches(pctx)
		cancel()
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				in.log.Warn("rebuild reference mirrors: fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		if fs.NumRecords() == 0 {
			// The last offset of a compacted log is never cleaned, so the end always comes;
			// this only bounds the wait should it not (what is missing then arrives through
			// the group, from its committed offsets on).
			if quiet++; quiet == rebuildQuietPolls {
				in.log.Warn("rebuild reference mirrors: stopped before the end", "partitions", want)
				break
			}
			continue
		}
		quiet = 0
		fs.EachRecord(func(r *kgo.Record) {
			p := partition{r.Topic, r.Partition}
			end, ok := want[p]
			if !ok {
				return
			}
			records++
			w.handle(ctx, r, true)
			if r.Offset+1 >= end {
				delete(want, p)
			}
		})
	}
	if err := in.flushTables(ctx); err != nil {
		return fmt.Errorf("rebuild reference mirrors: %w", err)
	}
	if len(w.dead) > 0 {
		if err := in.produceDeadLetters(ctx, w); err != nil {
			return fmt.Errorf("rebuild reference mirrors: %w", err)
		}
	}
	in.log.Info("reference mirrors rebuilt", "topics", read, "records", records)
	return ctx.Err()
}

// How long the rebuild waits for records: rebuildQuietPolls polls of rebuildPoll in a row
// that return nothing end it.
const (
	rebuildPoll       = 2 * time.Second
	rebuildQuietPolls = 5
)

// toRead lists the partitions of topics that hold records before the group's committed
// offsets, with those offsets (at most the last stable offsets).
func toRead(ctx context.Context, adm *kadm.Client, group string, topics []string) (map[partition]int64, error) {
	listed, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	topics = slices.DeleteFunc(slices.Clone(topics), func(t string) bool {
		d, ok := listed[t]
		return !ok || d.Err != nil // not created yet: no row captured so far
	})
	if len(topics) == 0 {
		return nil, nil
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topics...)
	if err != nil {
		return nil, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("start offsets: %w", err)
	}
	want := map[partition]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		start, ok1 := starts.Lookup(o.Topic, o.Partition)
		c, ok2 := committed.Lookup(o.Topic, o.Partition)
		if o.Err != nil || !ok1 || start.Err != nil || !ok2 || c.Err != nil || c.At < 0 {
			return
		}
		if upTo := min(c.At, o.Offset); start.Offset < upTo {
			want[partition{o.Topic, o.Partition}] = upTo
		}
	})
	return want, nil
}
