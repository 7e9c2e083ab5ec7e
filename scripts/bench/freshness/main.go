// Command freshness measures, for make bench, how long a change takes from its commit in
// PostgreSQL to being queryable in ClickHouse through the whole pipeline (Debezium, Kafka,
// flavortrend ingest). It writes a steady stream of changes to orders — every tick a
// transaction inserting new orders and accepting the orders placed a second earlier — and
// polls the ClickHouse mirror for new row versions; a version's freshness is the time it
// was first seen minus its source commit time (_source_ts_ms, stamped by PostgreSQL).
//
// The database must be migrated and seeded, with the connector and the ingester running.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
)

func main() {
	pgURL := flag.String("pg-url", "", "PostgreSQL URL of the captured database")
	chAddr := flag.String("ch-addr", "127.0.0.1:19000", "ClickHouse native address")
	chDB := flag.String("ch-database", "", "ClickHouse database of the mirrors")
	rate := flag.Float64("rate", 5000, "changes per second (with -predictions: orders per second)")
	duration := flag.Duration("duration", 60*time.Second, "how long to measure, after the warm-up")
	warmup := flag.Duration("warmup", 20*time.Second, "changes committed before this are not measured: the ingester finds a new topic within 10 s, then catches up")
	prefix := flag.String("topic-prefix", "", "CDC topic prefix: also measure commit → Kafka on <prefix>.public.orders")
	predictions := flag.Bool("predictions", false, "measure commit → the order's row in eta_predictions (through flavortrend enrich) instead of the orders mirror; the load then only places orders")
	deletePrefix := flag.String("delete-topics", "", "instead of measuring, delete the topics of this CDC topic prefix")
	brokers := flag.String("kafka-brokers", "127.0.0.1:19092", "Kafka brokers")
	flag.Parse()
	var err error
	if *deletePrefix != "" {
		err = deleteTopics(strings.Split(*brokers, ","), *deletePrefix)
	} else {
		err = run(*pgURL, *chAddr, *chDB, *rate, *duration, *warmup, strings.Split(*brokers, ","), *prefix, *predictions)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "freshness:", err)
		os.Exit(1)
	}
}

// deleteTopics deletes the CDC topics of a connector: <prefix>.* and its heartbeat topic.
func deleteTopics(brokers []string, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return err
	}
	var mine []string
	for _, name := range topics.Names() {
		if strings.HasPrefix(name, prefix+".") || name == "__debezium-heartbeat."+prefix {
			mine = append(mine, name)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	_, err = adm.DeleteTopics(ctx, mine...)
	return err
}

// tick is the period of the load's transactions; each holds rate/100 changes.
const tick = 10 * time.Millisecond

// pollEvery is the period of the ClickHouse polls: the resolution of the measurement.
const pollEvery = 25 * time.Millisecond

// visibleWithin bounds the wait, after the load has ended, for ClickHouse to hold what
// PostgreSQL has; past it the measurement fails rather than report a result.
const visibleWithin = 60 * time.Second

func run(pgURL, chAddr, chDB string, rate float64, duration, warmup time.Duration, brokers []string, prefix string, predictions bool) error {
	ctx := context.Background()
	pg, err := store.Postgres(ctx, pgURL)
	if err != nil {
		return err
	}
	defer pg.Close()
	ch, err := store.ClickHouse(ctx, config.ClickHouse{Addr: chAddr, Database: chDB, User: "default"})
	if err != nil {
		return err
	}
	defer ch.Close()
	var first int64
	if err := pg.QueryRow(ctx, "SELECT coalesce(max(id), 0) + 1 FROM orders").Scan(&first); err != nil {
		return err
	}
	measureFrom := time.Now().Add(warmup)
	end := measureFrom.Add(duration)
	lctx, stop := context.WithDeadline(ctx, end)
	defer stop()
	var kafkaLat []time.Duration
	kafkaDone := make(chan error, 1)
	if prefix != "" {
		go func() { kafkaDone <- watchKafka(lctx, brokers, prefix+".public.orders", measureFrom, &kafkaLat) }()
	} else {
		kafkaDone <- nil
	}
	loadErr := make(chan error, 1)
	written := make(chan int64, 1)
	var commits commitLog
	go func() {
		var n int64
		var err error
		if predictions {
			n, err = place(lctx, pg, first, rate, &commits)
		} else {
			n, err = load(lctx, pg, first, rate)
		}
		written <- n
		loadErr <- err
	}()
	if predictions {
		return measurePredictions(ctx, ch, chDB, first, measureFrom, end, &commits, written, loadErr, duration+warmup)
	}

	// Poll: new (id, version) pairs since the lowest id that may still change.
	seen := map[[2]int64]bool{}
	var lat []time.Duration
	lo := first
	n := int64(-1) // the changes written, once the load has ended
	for {
		now := time.Now()
		rows, err := ch.Query(ctx, "SELECT id, _version, _source_ts_ms FROM "+chDB+".orders WHERE id >= ?", lo)
		if err != nil {
			return err
		}
		maxID := lo
		for rows.Next() {
			var id int64
			var version uint64
			var ts int64
			if err := rows.Scan(&id, &version, &ts); err != nil {
				return err
			}
			maxID = max(maxID, id)
			k := [2]int64{id, int64(version)}
			if seen[k] {
				continue
			}
			seen[k] = true
			commit := time.UnixMilli(ts)
			if commit.After(measureFrom) && commit.Before(end) {
				lat = append(lat, now.Sub(commit))
			}
		}
		rows.Close()
		// Orders are accepted about a second after they are placed: keep 3 s of ids in view.
		lo = max(lo, maxID-int64(rate)*3/2)
		if time.Now().After(end) && n < 0 {
			if err := <-loadErr; err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			n = <-written
		}
		// Done when ClickHouse holds what PostgreSQL has: every order written, at its last
		// version. Not when every (id, version) was seen: a merge may replace a version before
		// a poll sees it, and a change whose id has left the window is not polled for.
		if n >= 0 {
			same, have, want, err := mirrored(ctx, pg, ch, chDB, first)
			if err != nil {
				return err
			}
			if same {
				break
			}
			if time.Now().After(end.Add(visibleWithin)) {
				return fmt.Errorf("%s.orders holds %s of the orders written, PostgreSQL %s (orders, accepted), %s after the end", chDB, have, want, visibleWithin)
			}
		}
		time.Sleep(pollEvery)
	}
	if err := <-kafkaDone; err != nil {
		return err
	}
	if len(lat) == 0 {
		return fmt.Errorf("no change became visible in %s.orders", chDB)
	}
	fmt.Printf("%.0f changes/s; commit → queryable in ClickHouse (%d of the %d changes seen by a poll): %s",
		float64(n)/(duration+warmup).Seconds(), len(seen), n, quantiles(lat))
	if prefix != "" {
		fmt.Printf("; of which commit → Kafka (Debezium): %s", quantiles(kafkaLat))
	}
	fmt.Println()
	return nil
}

// quantiles renders p50, p99 and max of d (sorted in place).
func quantiles(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	slices.Sort(d)
	q := func(p float64) int64 { return d[min(len(d)-1, int(p*float64(len(d))))].Milliseconds() }
	return fmt.Sprintf("p50 %d ms, p99 %d ms, max %d ms (n=%d)", q(0.5), q(0.99), d[len(d)-1].Milliseconds(), len(d))
}

// watchKafka reads topic from its end until ctx ends and notes, for each change committed
// after from, the time from its commit to its record's append to the topic (the broker's
// timestamp when the topic logs append time, else the producer's: Connect's, at send).
func watchKafka(ctx context.Context, brokers []string, topic string, from time.Time, lat *[]time.Duration) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		return err
	}
	defer cl.Close()
	var dec debezium.Decoder
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			ev, err := dec.Decode(r.Key, r.Value)
			if err != nil || ev.Tombstone {
				return
			}
			if commit := time.UnixMilli(ev.CommitMs); commit.After(from) {
				*lat = append(*lat, r.Timestamp.Sub(commit))
			}
		})
	}
	return nil
}

// commitLog records when each block of order ids was committed.
type commitLog struct {
	mu     sync.Mutex
	blocks []commitBlock
}

type commitBlock struct {
	first, next int64 // ids [first, next)
	at          time.Time
}

func (c *commitLog) add(first, next int64, at time.Time) {
	c.mu.Lock()
	c.blocks = append(c.blocks, commitBlock{first, next, at})
	c.mu.Unlock()
}

// at is when id was committed.
func (c *commitLog) at(id int64) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.blocks), func(i int) bool { return c.blocks[i].next > id })
	if i == len(c.blocks) || id < c.blocks[i].first {
		return time.Time{}, false
	}
	return c.blocks[i].at, true
}

// place inserts rate orders a second until ctx ends, one transaction per tick, and logs
// when each was committed.
func place(ctx context.Context, pg *pgxpool.Pool, first int64, rate float64, commits *commitLog) (int64, error) {
	start := time.Now()
	next := first
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return next - first, nil
		case now := <-t.C:
			n := int64(now.Sub(start).Seconds()*rate) - (next - first)
			if n <= 0 {
				continue
			}
			if _, err := pg.Exec(ctx, insertOrders, next, n); err != nil {
				return next - first, err
			}
			commits.add(next, next+n, time.Now())
			next += n
		}
	}
}

// insertOrders places $2 orders with ids from $1.
const insertOrders = `INSERT INTO orders (id, customer_id, restaurant_id, city_id, status, placed_at, items_count, subtotal,
		delivery_fee, total, distance_km, promised_minutes, drop_lat, drop_lon)
	SELECT g, r.id % 100 + 1, r.id, r.city_id, 'placed', now(), 2, 24.500, 3.000, 27.500, 3.200, 35, c.lat, c.lon
	FROM generate_series($1::bigint, $1::bigint + $2 - 1) g
	JOIN restaurants r ON r.id = g % 50 + 1 JOIN cities c ON c.id = r.city_id`

// measurePredictions polls eta_predictions for the orders placed by place and prints the
// distribution of commit → prediction row.
func measurePredictions(ctx context.Context, ch driver.Conn, db string, first int64, from, end time.Time, commits *commitLog,
	written chan int64, loadErr chan error, total time.Duration) error {
	seen := map[int64]bool{}
	var lat []time.Duration
	lo := first
	n := int64(-1) // the orders placed, once the load has ended
	for {
		if time.Now().After(end) && n < 0 {
			if err := <-loadErr; err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			n = <-written
		}
		// Done when every order placed has its prediction: stopping earlier would leave the
		// slowest out of the distribution.
		if n >= 0 && int64(len(seen)) >= n {
			break
		}
		if time.Now().After(end.Add(visibleWithin)) {
			return fmt.Errorf("only %d of the %d orders placed got a prediction in %s.eta_predictions within %s of the end", len(seen), n, db, visibleWithin)
		}
		now := time.Now()
		rows, err := ch.Query(ctx, "SELECT order_id FROM "+db+".eta_predictions WHERE order_id >= ?", lo)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			if at, ok := commits.at(id); ok && at.After(from) && at.Before(end) {
				lat = append(lat, now.Sub(at))
			}
		}
		rows.Close()
		for seen[lo] {
			lo++
		}
		time.Sleep(pollEvery)
	}
	if len(lat) == 0 {
		return fmt.Errorf("no prediction became visible in %s.eta_predictions", db)
	}
	fmt.Printf("%.2f orders/s; commit → prediction queryable in ClickHouse: %s\n", float64(n)/total.Seconds(), quantiles(lat))
	return nil
}

// load writes rate changes a second until ctx ends, in one transaction per tick: half of
// them insert new orders, half accept the orders placed a second earlier. It keeps to the
// rate over the whole run, whatever a late tick missed. It returns the changes written.
func load(ctx context.Context, pg *pgxpool.Pool, first int64, rate float64) (int64, error) {
	type mark struct {
		at   time.Time
		next int64 // the first id not yet placed at that time
	}
	start := time.Now()
	next, accepted := first, first
	var marks []mark
	var written int64
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return written, nil
		case now := <-t.C:
			place := int64(now.Sub(start).Seconds()*rate/2) - (next - first)
			marks = append(marks, mark{now, next})
			acceptTo := accepted
			for len(marks) > 0 && now.Sub(marks[0].at) >= time.Second {
				acceptTo = marks[0].next
				marks = marks[1:]
			}
			tag, err := pg.Exec(ctx, "WITH placed AS ("+insertOrders+" RETURNING 1) "+
				"UPDATE orders SET status = 'accepted', accepted_at = now() WHERE id >= $3 AND id < $4",
				next, max(place, 0), accepted, acceptTo)
			if err != nil {
				return written, err
			}
			next += max(place, 0)
			accepted = acceptTo
			written += max(place, 0) + tag.RowsAffected()
		}
	}
}

// mirrored compares the orders from first on in ClickHouse (FINAL) with PostgreSQL: how
// many, and how many accepted.
func mirrored(ctx context.Context, pg *pgxpool.Pool, ch driver.Conn, db string, first int64) (same bool, have, want string, err error) {
	var n, accepted uint64
	if err := ch.QueryRow(ctx, "SELECT count(), countIf(status = 'accepted') FROM "+db+".orders FINAL WHERE id >= ? AND _is_deleted = 0",
		first).Scan(&n, &accepted); err != nil {
		return false, "", "", err
	}
	var pn, pa int64
	if err := pg.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE status = 'accepted') FROM orders WHERE id >= $1", first).Scan(&pn, &pa); err != nil {
		return false, "", "", err
	}
	have, want = fmt.Sprintf("%d, %d", n, accepted), fmt.Sprintf("%d, %d", pn, pa)
	return have == want, have, want, nil
}
