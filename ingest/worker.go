package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// worker decodes records into batches of its own. The workers of an ingester take
// contiguous shares of each poll's records in parallel, so decoding, the heaviest part of
// ingesting, uses every core; their batches are written and the offsets committed together.
//
// A partition's records may land in two workers' batches. That is safe: a row's _version
// decides which version the read patterns show, not the order of the inserts. The one
// place where order matters, reading the current value of an unchanged column, stops the
// workers and goes on one record at a time (Ingester.handleAll).
type worker struct {
	in      *Ingester
	dec     debezium.Decoder
	tables  map[string]*table
	pending int                       // rows waiting in the table batches
	dead    []deadLetter              // dead letters waiting to be produced with the next flush
	last    map[partition]*kgo.Record // newest handled record per partition, not yet committed
	counts  outcomeCounts             // records since the last metrics report
	stats   Stats

	deadTrace batchTrace // trace contexts of the pending dead letters
}

func newWorker(in *Ingester, tables map[string]*table) *worker {
	return &worker{in: in, tables: tables, last: map[partition]*kgo.Record{}, counts: outcomeCounts{}}
}

// handleAll hands the records of one poll to the workers in contiguous shares, in parallel.
// A worker stops at a record that needs current values read from ClickHouse; then every
// record from the first stop on is handled one at a time, in order, each lookup after a
// flush, so it reads the newest version written before it.
//
// A lookup that cannot finish (the ingester stops, or the old key of a primary-key update
// is not ingested yet) leaves its record unhandled: the rest of its partition is skipped
// and the partition is held (Ingester.hold), so no offset past the record is committed.
func (in *Ingester) handleAll(ctx context.Context, recs []*kgo.Record) {
	shares := split(recs, len(in.workers))
	rest := make([][]*kgo.Record, len(shares))
	var wg sync.WaitGroup
	for i, share := range shares {
		wg.Go(func() { rest[i] = in.workers[i].handleShare(ctx, share) })
	}
	wg.Wait()
	var held map[partition]*kgo.Record
	for i := range rest {
		w := in.workers[i]
		for _, r := range rest[i] {
			p := partition{r.Topic, r.Partition}
			if held[p] != nil {
				continue
			}
			if !w.handle(ctx, r, true) {
				if held == nil {
					held = map[partition]*kgo.Record{}
				}
				held[p] = r
			}
		}
	}
	if held != nil {
		in.hold(held)
	}
}

// hold makes the first unhandled record of each partition in held the next to commit and
// to fetch: the offsets to commit end just before it, and fetching goes back to it. Rows
// of the partition handled after it in this poll are written again when it comes back,
// with the same versions. Called with mu held, before the poll's rebalance is allowed.
func (in *Ingester) hold(held map[partition]*kgo.Record) {
	in.count(func(st *Stats) { st.Held += int64(len(held)) })
	rewind := map[string]map[int32]kgo.EpochOffset{}
	for p, r := range held {
		for _, w := range in.workers {
			delete(w.last, p)
		}
		if r.Offset > 0 {
			// Every record of the partition before r is handled: commit up to r.
			in.workers[0].last[p] = &kgo.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset - 1, LeaderEpoch: r.LeaderEpoch}
		}
		if rewind[p.topic] == nil {
			rewind[p.topic] = map[int32]kgo.EpochOffset{}
		}
		rewind[p.topic][p.part] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset}
	}
	in.kafka.SetOffsets(rewind)
}

// minShare is the fewest records worth a goroutine of their own.
const minShare = 512

// split cuts recs into at most n contiguous shares of nearly equal size.
func split(recs []*kgo.Record, n int) [][]*kgo.Record {
	n = max(1, min(n, len(recs)/minShare))
	shares := make([][]*kgo.Record, n)
	for i := range shares {
		shares[i] = recs[len(recs)*i/n : len(recs)*(i+1)/n]
	}
	return shares
}

// handleShare handles recs until one needs a lookup, and returns the records from that one on.
func (w *worker) handleShare(ctx context.Context, recs []*kgo.Record) []*kgo.Record {
	for i, r := range recs {
		if !w.handle(ctx, r, false) {
			return recs[i:]
		}
	}
	return nil
}

// handle turns one record into a pending row, a dead letter or nothing, and returns true;
// false leaves the record unhandled. A row with an unchanged column needs the current value
// from ClickHouse: with lookup false handle leaves the record alone; with lookup true it
// flushes every pending batch (the caller has stopped the other workers) and reads the
// value, retrying while ClickHouse fails, and leaves the record alone only when ctx ends
// or the old key of a primary-key update has not been ingested yet.
func (w *worker) handle(ctx context.Context, r *kgo.Record, lookup bool) bool {
	in := w.in
	if len(r.Value) > in.cfg.MaxRecord {
		w.deadLetter(ctx, r, reasonOversized, fmt.Sprintf("oversized record: %d bytes, limit %d", len(r.Value), in.cfg.MaxRecord))
		return true
	}
	ev, err := w.decode(r)
	if err != nil {
		w.deadLetter(ctx, r, reasonDecode, err.Error())
		return true
	}
	if ev.Tombstone || ev.IsHeartbeat() {
		w.handled(r, outcomeSkipped)
		return true // a tombstone follows the delete event that already wrote the row's tombstone
	}
	t := w.tables[ev.Table]
	if t == nil {
		w.deadLetter(ctx, r, reasonUnknownTable, "unknown table "+ev.Table)
		return true
	}
	class := reasonValue
	var kept debezium.Image
	if ev.Op == debezium.OpDelete && hasHeader(r, headerNewKey) && len(t.textCols()) > 0 {
		// A primary-key update's delete: its tombstone keeps the old row's text.
		if !lookup {
			return false
		}
		err = in.lookup(ctx, t, func(ctx context.Context) (err error) {
			kept, err = keptText(ctx, in.ch, t, &ev)
			return err
		})
		if err != nil {
			if !errors.Is(err, errPermanent) {
				return false // ctx ended: the record is read again after the restart
			}
			class = reasonUnchanged
		}
	}
	if err == nil {
		err = t.addKeeping(&ev, kept)
	}
	if errors.Is(err, errUnchanged) {
		if !lookup {
			return false
		}
		err = in.lookup(ctx, t, func(ctx context.Context) error {
			old, err := headerKey(r, HeaderOldKey)
			if err != nil {
				return permanent(err)
			}
			return resolveUnchanged(ctx, in.ch, t, &ev, old)
		})
		switch {
		case err == nil:
			err = t.add(&ev)
		case errors.Is(err, errPermanent):
			class = reasonUnchanged
		case errors.Is(err, errOldKeyPending):
			// Give the old key's partition time to be fetched before the record comes back.
			select {
			case <-ctx.Done():
			case <-time.After(in.cfg.FlushInterval):
			}
			return false
		default: // ctx ended: the record is read again after the restart
			return false
		}
	}
	if err != nil {
		w.deadLetter(ctx, r, class, err.Error())
		return true
	}
	w.pending++
	w.handled(r, outcomeRow)
	t.trace.from(r.Topic, r.Partition)
	t.trace.link(ev.TraceParent)
	if t.traceRaw != nil {
		t.trace.linkJSON(t.traceRaw)
	}
	return true
}

// hasHeader reports whether r has a header named key.
func hasHeader(r *kgo.Record, key string) bool {
	for _, h := range r.Headers {
		if h.Key == key {
			return true
		}
	}
	return false
}

// decode decodes a Debezium record, or a derived topic's record as an insert of its fact
// table, versioned by its offset.
func (w *worker) decode(r *kgo.Record) (debezium.Event, error) {
	table, ok := w.in.derived[r.Topic]
	if !ok {
		return w.dec.DecodeRecord(r)
	}
	if len(r.Value) == 0 {
		return debezium.Event{Tombstone: true}, nil
	}
	im, err := w.dec.DecodeObject(r.Value)
	if err != nil {
		return debezium.Event{}, err
	}
	ev := debezium.Event{Table: table, Op: debezium.OpCreate, After: im, LSN: uint64(r.Offset), CommitMs: r.Timestamp.UnixMilli()}
	for _, h := range r.Headers {
		if h.Key == debezium.TraceParentHeader {
			ev.TraceParent = string(h.Value)
		}
	}
	return ev, nil
}

// handled counts a record with its outcome and makes its offset the next to commit.
func (w *worker) handled(r *kgo.Record, outcome string) {
	w.stats.Records++
	w.counts.add(w.in.tableOf(r.Topic), outcome)
	p := partition{r.Topic, r.Partition}
	if have := w.last[p]; have == nil || have.Offset < r.Offset {
		w.last[p] = r
	}
}

// Dead-letter headers.
const (
	HeaderError     = "ft-error"
	HeaderTopic     = "ft-source-topic"
	HeaderPartition = "ft-source-partition"
	HeaderOffset    = "ft-source-offset"
)

// deadLetter queues r for the dead-letter topic; class is the reason's class for the metrics.
func (w *worker) deadLetter(ctx context.Context, r *kgo.Record, class, reason string) {
	w.handled(r, outcomeDeadLetter)
	w.stats.DeadLetters++
	w.in.met.deadLetters.Add(ctx, 1, metric.WithAttributes(attribute.String("table", w.in.tableOf(r.Topic)), attribute.String("reason", class)))
	w.deadTrace.from(r.Topic, r.Partition)
	w.deadTrace.linkHeader(r)
	headers := append([]kgo.RecordHeader(nil), r.Headers...)
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(reason)},
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: []byte(fmt.Sprint(r.Partition))},
		kgo.RecordHeader{Key: HeaderOffset, Value: []byte(fmt.Sprint(r.Offset))},
	)
	w.dead = append(w.dead, deadLetter{
		rec:    &kgo.Record{Topic: w.in.cfg.DeadLetter, Key: r.Key, Value: r.Value, Headers: headers},
		src:    r,
		reason: reason,
	})
}

// drop forgets everything pending: the batches, the dead letters and the offsets.
func (w *worker) drop() {
	for _, t := range w.tables {
		t.drop()
	}
	w.pending = 0
	w.dead = w.dead[:0]
	w.deadTrace.reset()
	clear(w.last)
}
