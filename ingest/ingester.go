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
//
// Telemetry (docs/telemetry.md): a span per table batch linked to the trace contexts its
// records carry, counters and histograms of records, rows, inserts, dead letters and
// freshness, and the consumer lag per partition.
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
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// Ingester is one instance of the ingester; several with one group split the partitions.
type Ingester struct {
	cfg     Config
	log     *slog.Logger
	ch      driver.Conn
	kafka   *kgo.Client
	workers []*worker         // decode in parallel, each with its own batches
	derived map[string]string // fact table of each derived topic

	mu    sync.Mutex // guards the workers' pending state and since against rebalance callbacks
	since time.Time  // when the oldest pending record arrived
	stats Stats      // flush counters (Rows, Flushes, Retries); the workers count the records

	statsMu sync.Mutex // guards stats between parallel inserts

	tracer trace.Tracer
	met    *instruments
	lag    telemetry.Lag
	lagReg metric.Registration
}

// deadLetter is a record on its way to the dead-letter topic.
type deadLetter struct {
	rec    *kgo.Record // what is produced: the source record with the reason headers
	src    *kgo.Record
	reason string
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
	Retries     int64 // failed inserts and unchanged-value lookups, each retried
	Held        int64 // records left unhandled by a lookup, to be read again (worker.handle)
}

// New connects to ClickHouse and Kafka. cfg must have passed Validate. The ingester's spans
// and metrics go to tel's providers; log gets the context of the batch span, so a handler
// like telemetry.LogHandler adds its trace id to the lines about a batch.
func New(ctx context.Context, cfg Config, log *slog.Logger, tel telemetry.Providers) (*Ingester, error) {
	met, err := newInstruments(tel.Meter(scope))
	if err != nil {
		return nil, err
	}
	ch, err := store.ClickHouse(ctx, cfg.ClickHouse)
	if err != nil {
		return nil, err
	}
	in := &Ingester{cfg: cfg, log: log, ch: ch, tracer: tel.Tracer(scope), met: met}
	for range cfg.Workers {
		tables, err := loadTables(ctx, ch, cfg.ClickHouse.Database, cfg.columns)
		if err != nil {
			ch.Close()
			return nil, err
		}
		if len(tables) == 0 {
			ch.Close()
			return nil, fmt.Errorf("clickhouse database %s has no CDC mirror tables (run flavortrend migrate)", cfg.ClickHouse.Database)
		}
		for name, t := range tables {
			t.attrs = tableAttrs(name)
			t.freshness, t.freshnessOpts = met.freshness, []metric.RecordOption{t.attrs}
		}
		in.workers = append(in.workers, newWorker(in, tables))
	}
	if in.lagReg, err = in.lag.Register(tel.Meter(scope), "flavortrend.ingest.consumer.lag",
		"Records in a partition past the ingester's position (high watermark minus the next offset to handle), by topic and partition."); err != nil {
		ch.Close()
		return nil, err
	}
	in.derived = map[string]string{}
	derived := make([]string, 0, len(DerivedTopics))
	for topic, table := range DerivedTopics {
		in.derived[cfg.DerivedPrefix+topic] = table
		derived = append(derived, regexp.QuoteMeta(cfg.DerivedPrefix+topic))
	}
	pattern := "^" + regexp.QuoteMeta(cfg.TopicPrefix) + `\.public\.[A-Za-z0-9_]+$|^(` + strings.Join(derived, "|") + `)$`
	in.kafka, err = kgo.NewClient(
		kgo.SeedBrokers(cfg.Kafka.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics(pattern),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), // the derived topics are written in transactions
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
		in.lagReg.Unregister() //nolint:errcheck // only fails for a foreign meter provider
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

// tableOf names the table a topic's records go to, for the metrics: the fact table of a
// derived topic, the table of a CDC topic.
func (in *Ingester) tableOf(topic string) string {
	if t, ok := in.derived[topic]; ok {
		return t
	}
	return debezium.TopicTable(topic)
}

// DerivedTopics are the enrichers' topics (SPEC §3) and the fact tables they land in
// (sql/clickhouse/0002_facts.sql and 0005_city_facts.sql). Their values are flat JSON
// objects, one column per member; a row's _version is the record's offset.
var DerivedTopics = map[string]string{
	"orders.enriched":        "orders_enriched",
	"eta.predictions":        "eta_predictions",
	"eta.outcomes":           "eta_outcomes",
	"sla.violations":         "sla_violations",
	"sla.dynamic_violations": "sla_dynamic_violations",
	"city.pressure":          "city_pressure",
	"alerts":                 "alerts",
	"recommendations":        "recommendations",
	"sentiment.windows":      "sentiment_windows",
	"features.couriers":      "features_couriers",
	"features.restaurants":   "features_restaurants",
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
	in.lagReg.Unregister() //nolint:errcheck // only fails for a foreign meter provider
}

// Stats returns the counters so far.
func (in *Ingester) Stats() Stats {
	in.mu.Lock()
	defer in.mu.Unlock()
	st := in.stats
	for _, w := range in.workers {
		st.Records += w.stats.Records
		st.DeadLetters += w.stats.DeadLetters
	}
	return st
}

// Run consumes until ctx ends, then handles what the last poll returned, flushes, commits
// and returns nil; it returns an error only for a failure it cannot retry.
func (in *Ingester) Run(ctx context.Context) error {
	in.mu.Lock()
	err := in.rebuildReference(ctx)
	in.mu.Unlock()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		// The rest of the ingester does not depend on it: go on, and say how to try again.
		in.log.Error("reference mirrors not rebuilt; restart with -rebuild-reference to try again", "err", err)
	}
	for {
		pollCtx, cancel := context.WithTimeout(ctx, in.cfg.FlushInterval)
		fetches := in.kafka.PollRecords(pollCtx, in.cfg.BatchRows)
		cancel()
		in.lag.Fetched(fetches)
		stopping := ctx.Err() != nil
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				in.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		in.mu.Lock()
		if recs := fetches.Records(); len(recs) > 0 {
			if in.idle() {
				in.since = time.Now()
			}
			in.handleAll(ctx, recs)
		}
		for _, w := range in.workers {
			in.met.report(ctx, w.counts)
		}
		var err error
		switch {
		case stopping:
			// Shut down: finish the batch, commit, leave (DESIGN §3.5) — bounded, so an
			// unreachable ClickHouse cannot hold the process; what is not committed is re-read.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			err = in.flushAndCommit(sctx)
			cancel()
		case in.pending() >= in.cfg.BatchRows || in.deadLetters() > 0 ||
			(!in.idle() && time.Since(in.since) >= in.cfg.FlushInterval):
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

// pending is the number of rows waiting in the workers' batches. Called with mu held.
func (in *Ingester) pending() int {
	n := 0
	for _, w := range in.workers {
		n += w.pending
	}
	return n
}

// deadLetters is the number of dead letters waiting to be produced. Called with mu held.
func (in *Ingester) deadLetters() int {
	n := 0
	for _, w := range in.workers {
		n += len(w.dead)
	}
	return n
}

// idle reports that no handled record waits for its offset to be committed. Called with mu held.
func (in *Ingester) idle() bool {
	for _, w := range in.workers {
		if len(w.last) > 0 {
			return false
		}
	}
	return true
}

// shutdownGrace bounds the last flush and commit when Run stops.
const shutdownGrace = 30 * time.Second

// flushTables writes every pending batch, up to maxInserts at a time, each retrying with
// backoff until ClickHouse accepts it or ctx ends. No fetching happens meanwhile, so memory
// stays bounded. Called with mu held.
//
// In parallel because an insert's latency is mostly ClickHouse writing a part, a file or two
// per column: about 0.1 s for a wide table however few its rows, which would add up table
// after table.
func (in *Ingester) flushTables(ctx context.Context) error {
	var errs []error
	var errMu sync.Mutex
	slots := make(chan struct{}, maxInserts)
	var wg sync.WaitGroup
	for _, w := range in.workers {
		for _, t := range w.tables {
			if t.rows == 0 {
				continue
			}
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				backoff := 100 * time.Millisecond
				if err := in.flushTable(ctx, t, &backoff); err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for _, w := range in.workers {
		w.pending = 0
		for _, t := range w.tables {
			w.pending += t.rows
		}
	}
	return errors.Join(errs...)
}

// maxInserts bounds the inserts in flight, within the connection pool's limit.
const maxInserts = 4

// flushTable writes the pending batch of t, if any, in an ingest.batch span linked to the
// trace contexts of its records. Called with mu held, in parallel for different tables.
func (in *Ingester) flushTable(ctx context.Context, t *table, backoff *time.Duration) error {
	if t.rows == 0 {
		return nil
	}
	n := t.rows
	ctx, span := in.tracer.Start(ctx, spanBatch, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(t.trace.links...),
		trace.WithAttributes(append(t.trace.attrs(), attribute.String("table", t.name), attribute.Int("rows", n))...))
	defer span.End()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := t.flush(ctx, in.ch)
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		in.met.insert.Record(ctx, time.Since(start).Seconds(), t.attrs, metric.WithAttributes(attribute.String("outcome", outcome)))
		if err == nil {
			in.count(func(st *Stats) { st.Rows += int64(n); st.Flushes++ })
			in.met.rows.Add(ctx, int64(n), t.attrs)
			in.met.batchSize.Record(ctx, int64(n), t.attrs)
			span.SetAttributes(attribute.Int("attempts", attempt))
			return nil
		}
		in.count(func(st *Stats) { st.Retries++ })
		in.met.retries.Add(ctx, 1, t.attrs)
		span.RecordError(err)
		in.log.WarnContext(ctx, "clickhouse insert failed, retrying", "table", t.name, "rows", n, "in", *backoff, "err", err)
		select {
		case <-ctx.Done():
			span.SetAttributes(attribute.Int("attempts", attempt))
			span.SetStatus(codes.Error, ctx.Err().Error())
			return ctx.Err()
		case <-time.After(*backoff):
		}
		*backoff = min(*backoff*2, in.cfg.RetryMax)
	}
}

// count updates the flush counters from one of the parallel inserts.
func (in *Ingester) count(f func(*Stats)) {
	in.statsMu.Lock()
	defer in.statsMu.Unlock()
	f(&in.stats)
}

// flushAndCommit writes the batches and the dead letters, then commits the offsets of every
// handled record. Called with mu held.
func (in *Ingester) flushAndCommit(ctx context.Context) (err error) {
	ctx, span := in.tracer.Start(ctx, spanFlush, trace.WithAttributes(attribute.Int("rows", in.pending()),
		attribute.Int("dead_letters", in.deadLetters())))
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	if err := in.flushTables(ctx); err != nil {
		return err
	}
	for _, w := range in.workers {
		if len(w.dead) > 0 {
			if err := in.produceDeadLetters(ctx, w); err != nil {
				return err
			}
		}
	}
	last := map[partition]*kgo.Record{}
	for _, w := range in.workers {
		for p, r := range w.last {
			if have := last[p]; have == nil || have.Offset < r.Offset {
				last[p] = r
			}
		}
	}
	span.SetAttributes(attribute.Int("offsets", len(last)))
	if len(last) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, 0, len(last))
	for _, r := range last {
		recs = append(recs, r)
	}
	if err := in.kafka.CommitRecords(ctx, recs...); err != nil {
		// Not fatal: the rows are in ClickHouse; a replay rewrites them with the same version.
		span.RecordError(err)
		in.log.WarnContext(ctx, "commit offsets", "err", err)
		return nil
	}
	for _, w := range in.workers {
		clear(w.last)
	}
	return nil
}

// produceDeadLetters writes the pending dead letters of w in an ingest.dead_letters span
// linked to the trace contexts of their records, and logs each. Called with mu held.
func (in *Ingester) produceDeadLetters(ctx context.Context, w *worker) error {
	ctx, span := in.tracer.Start(ctx, spanDeadLetters, trace.WithSpanKind(trace.SpanKindProducer), trace.WithLinks(w.deadTrace.links...),
		trace.WithAttributes(append(w.deadTrace.attrs(), attribute.Int("dead_letters", len(w.dead)))...))
	defer span.End()
	recs := make([]*kgo.Record, len(w.dead))
	for i, d := range w.dead {
		recs[i] = d.rec
		in.log.WarnContext(ctx, "dead letter", "topic", d.src.Topic, "partition", d.src.Partition, "offset", d.src.Offset, "reason", d.reason)
	}
	if err := in.kafka.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		span.SetStatus(codes.Error, err.Error())
		return fmt.Errorf("dead-letter topic %s: %w", in.cfg.DeadLetter, err)
	}
	w.dead = w.dead[:0]
	w.deadTrace.reset()
	return nil
}

// onRevoked flushes and commits before partitions move to another instance.
func (in *Ingester) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	in.lag.Forget(revoked)
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.flushAndCommit(ctx); err != nil {
		in.log.Warn("flush on revoke", "err", err)
	}
}

// onLost drops what was pending for partitions already given away: their new owner
// re-reads those records, and rewriting them is harmless.
func (in *Ingester) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	in.lag.Forget(lost)
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, w := range in.workers {
		w.drop()
	}
}
