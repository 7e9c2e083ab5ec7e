// Package ingest takes the Debezium topics into ClickHouse: a franz-go consumer group reads
// <prefix>.public.<table>, decodes each record once (package debezium), appends it as a row to
// the table's columnar batch (package columns) and writes the batches to the CDC mirrors.
//
// Effectively once: offsets are committed only after ClickHouse has accepted every row up to
// them, and a row's _version is its source LSN, so a replay after a crash or a rebalance
// writes rows ClickHouse already has, with the same version, which the documented read
// patterns (docs/clickhouse.md) never show twice. Order is kept per partition, and the key
// decides the partition, so the changes of a row arrive in commit order.
//
// A record that cannot be ingested goes to the dead-letter topic with the reason and its
// source topic/partition/offset in headers; the records around it still land. While
// ClickHouse refuses a batch the ingester stops fetching and retries with backoff, so memory
// stays bounded by one batch.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/store"
)

// Ingester is one instance of the ingester; several with one group split the partitions.
type Ingester struct {
	cfg    Config
	log    *slog.Logger
	ch     driver.Conn
	kafka  *kgo.Client
	tables map[string]*table

	mu      sync.Mutex                // guards the pending state below against rebalance callbacks
	pending int                       // rows waiting in table batches
	since   time.Time                 // when the oldest pending row arrived
	dead    []*kgo.Record             // dead letters waiting to be produced with the next flush
	last    map[partition]*kgo.Record // newest handled record per partition, not yet committed

	stats Stats
}

type partition struct {
	topic string
	part  int32
}

// Stats counts what an ingester has done.
type Stats struct {
	Records     int64 // records handled (rows, skipped, dead letters)
	Rows        int64 // rows written to ClickHouse
	DeadLetters int64
	Flushes     int64
	Retries     int64
}

// New connects to ClickHouse and Kafka. cfg must have passed Validate.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Ingester, error) {
	ch, err := store.ClickHouse(ctx, cfg.ClickHouse)
	if err != nil {
		return nil, err
	}
	tables, err := loadTables(ctx, ch, cfg.ClickHouse.Database, cfg.columns)
	if err != nil {
		ch.Close()
		return nil, err
	}
	if len(tables) == 0 {
		ch.Close()
		return nil, fmt.Errorf("clickhouse database %s has no CDC mirror tables (run flavortrend migrate)", cfg.ClickHouse.Database)
	}
	in := &Ingester{cfg: cfg, log: log, ch: ch, tables: tables, last: map[partition]*kgo.Record{}}
	pattern := "^" + regexp.QuoteMeta(cfg.TopicPrefix) + `\.public\.[A-Za-z0-9_]+$`
	in.kafka, err = kgo.NewClient(
		kgo.SeedBrokers(cfg.Kafka.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics(pattern),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(in.onRevoked),
		kgo.OnPartitionsLost(in.onLost),
		kgo.MetadataMinAge(time.Second),
		kgo.MetadataMaxAge(10*time.Second),
		kgo.FetchMaxBytes(32<<20),
		kgo.ProducerLinger(0),
	)
	if err != nil {
		ch.Close()
		return nil, fmt.Errorf("kafka: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := in.kafka.Ping(pctx); err != nil {
		in.Close()
		return nil, fmt.Errorf("kafka %s unreachable (is it started? scripts/services.sh start kafka): %w", strings.Join(cfg.Kafka.Brokers, ","), err)
	}
	if err := createDeadLetterTopic(pctx, in.kafka, cfg.DeadLetter); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// deadLetterRetention keeps dead letters 30 days (SPEC §3).
const deadLetterRetention = 30 * 24 * time.Hour

// createDeadLetterTopic creates the dead-letter topic unless it exists.
func createDeadLetterTopic(ctx context.Context, cl *kgo.Client, topic string) error {
	retention := strconv.FormatInt(deadLetterRetention.Milliseconds(), 10)
	res, err := kadm.NewClient(cl).CreateTopic(ctx, 3, -1, map[string]*string{"retention.ms": &retention}, topic)
	if err == nil {
		err = res.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create dead-letter topic %s: %w", topic, err)
	}
	return nil
}

// Close leaves the group and closes the connections (Run has flushed and committed).
func (in *Ingester) Close() {
	in.kafka.Close()
	in.ch.Close()
}

// Stats returns the counters so far.
func (in *Ingester) Stats() Stats {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stats
}

// Run consumes until ctx ends, then handles what the last poll returned, flushes, commits
// and returns nil; it returns an error only for a failure it cannot retry.
func (in *Ingester) Run(ctx context.Context) error {
	for {
		pollCtx, cancel := context.WithTimeout(ctx, in.cfg.FlushInterval)
		fetches := in.kafka.PollRecords(pollCtx, in.cfg.BatchRows)
		cancel()
		stopping := ctx.Err() != nil
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				in.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		in.mu.Lock()
		fetches.EachRecord(func(r *kgo.Record) { in.handle(ctx, r) })
		var err error
		switch {
		case stopping:
			// Shut down: finish the batch, commit, leave (DESIGN §3.5) — bounded, so an
			// unreachable ClickHouse cannot hold the process; what is not committed is re-read.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			err = in.flushAndCommit(sctx)
			cancel()
		case in.pending >= in.cfg.BatchRows || len(in.dead) > 0 ||
			(len(in.last) > 0 && time.Since(in.since) >= in.cfg.FlushInterval):
			err = in.flushAndCommit(ctx)
		}
		in.mu.Unlock()
		// Rebalances wait while polled records are being handled (BlockRebalanceOnPoll).
		in.kafka.AllowRebalance()
		if stopping || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// shutdownGrace bounds the last flush and commit when Run stops.
const shutdownGrace = 30 * time.Second

// handle turns one record into a pending row, a dead letter or nothing. Called with mu held.
func (in *Ingester) handle(ctx context.Context, r *kgo.Record) {
	in.stats.Records++
	if len(in.last) == 0 && in.pending == 0 {
		in.since = time.Now()
	}
	in.last[partition{r.Topic, r.Partition}] = r
	if len(r.Value) > in.cfg.MaxRecord {
		in.deadLetter(r, fmt.Sprintf("oversized record: %d bytes, limit %d", len(r.Value), in.cfg.MaxRecord))
		return
	}
	ev, err := debezium.DecodeRecord(r)
	if err != nil {
		in.deadLetter(r, err.Error())
		return
	}
	if ev.Tombstone || ev.IsHeartbeat() {
		return // a tombstone follows the delete event that already wrote the row's tombstone
	}
	name := ev.Table
	t := in.tables[name]
	if t == nil {
		in.deadLetter(r, "unknown table "+name)
		return
	}
	err = t.add(&ev)
	if errors.Is(err, errUnchanged) {
		// The newest version must be in ClickHouse to read the unchanged value from it. Not
		// cut short by shutdown, but bounded: past it the record goes to the dead letters.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		if err = in.flushTables(uctx); err == nil {
			if err = resolveUnchanged(uctx, in.ch, t, &ev); err == nil {
				err = t.add(&ev)
			}
		}
		cancel()
	}
	if err != nil {
		in.deadLetter(r, err.Error())
		return
	}
	in.pending++
}

// Dead-letter headers.
const (
	HeaderError     = "ft-error"
	HeaderTopic     = "ft-source-topic"
	HeaderPartition = "ft-source-partition"
	HeaderOffset    = "ft-source-offset"
)

func (in *Ingester) deadLetter(r *kgo.Record, reason string) {
	in.stats.DeadLetters++
	in.log.Warn("dead letter", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "reason", reason)
	headers := append([]kgo.RecordHeader(nil), r.Headers...)
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(reason)},
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: []byte(fmt.Sprint(r.Partition))},
		kgo.RecordHeader{Key: HeaderOffset, Value: []byte(fmt.Sprint(r.Offset))},
	)
	in.dead = append(in.dead, &kgo.Record{Topic: in.cfg.DeadLetter, Key: r.Key, Value: r.Value, Headers: headers})
}

// flushTables writes every pending batch, retrying with backoff until ClickHouse accepts
// it or ctx ends. No fetching happens meanwhile, so memory stays bounded. Called with mu held.
func (in *Ingester) flushTables(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for _, t := range in.tables {
		for t.rows > 0 {
			n := t.rows
			err := t.flush(ctx, in.ch)
			if err == nil {
				in.stats.Rows += int64(n)
				in.stats.Flushes++
				break
			}
			in.stats.Retries++
			in.log.Warn("clickhouse insert failed, retrying", "table", t.name, "rows", n, "in", backoff, "err", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, in.cfg.RetryMax)
		}
	}
	in.pending = 0
	return nil
}

// flushAndCommit writes the batches and the dead letters, then commits the offsets of every
// handled record. Called with mu held.
func (in *Ingester) flushAndCommit(ctx context.Context) error {
	if err := in.flushTables(ctx); err != nil {
		return err
	}
	if len(in.dead) > 0 {
		if err := in.kafka.ProduceSync(ctx, in.dead...).FirstErr(); err != nil {
			return fmt.Errorf("dead-letter topic %s: %w", in.cfg.DeadLetter, err)
		}
		in.dead = in.dead[:0]
	}
	if len(in.last) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, 0, len(in.last))
	for _, r := range in.last {
		recs = append(recs, r)
	}
	if err := in.kafka.CommitRecords(ctx, recs...); err != nil {
		// Not fatal: the rows are in ClickHouse; a replay rewrites them with the same version.
		in.log.Warn("commit offsets", "err", err)
		return nil
	}
	clear(in.last)
	return nil
}

// onRevoked flushes and commits before partitions move to another instance.
func (in *Ingester) onRevoked(ctx context.Context, _ *kgo.Client, _ map[string][]int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.flushAndCommit(ctx); err != nil {
		in.log.Warn("flush on revoke", "err", err)
	}
}

// onLost drops what was pending for partitions already given away: their new owner
// re-reads those records, and rewriting them is harmless.
func (in *Ingester) onLost(_ context.Context, _ *kgo.Client, _ map[string][]int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, t := range in.tables {
		t.truncate(0)
		t.versions, t.deleted, t.sourceTs = t.versions[:0], t.deleted[:0], t.sourceTs[:0]
		t.rows = 0
	}
	in.pending = 0
	in.dead = in.dead[:0]
	clear(in.last)
}
