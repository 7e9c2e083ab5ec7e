package health

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/store"
)

// Collector asks every source of the pipeline for its state. Its clients connect on first
// use and reconnect after a source comes back, so one Collector serves a long watch.
type Collector struct {
	cfg     Config
	connect *connect.Client
	pg      *pgxpool.Pool
	kafka   *kgo.Client
	adm     *kadm.Client
	ch      driver.Conn
}

// New returns a collector for cfg; it opens no connection yet.
func New(cfg Config) (*Collector, error) {
	if cfg.Timeout <= 0 {
		return nil, errors.New("health: timeout must be positive")
	}
	pgCfg, err := pgxpool.ParseConfig(cfg.PostgresURL)
	if err != nil {
		return nil, fmt.Errorf("health: postgres url: %w", err)
	}
	pgCfg.ConnConfig.ConnectTimeout = cfg.Timeout
	pgCfg.MaxConns = 2
	c := &Collector{cfg: cfg, connect: connect.NewClient(cfg.ConnectURL)}
	if c.pg, err = pgxpool.NewWithConfig(context.Background(), pgCfg); err != nil {
		return nil, fmt.Errorf("health: postgres: %w", err)
	}
	if c.kafka, err = kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...)); err != nil {
		c.pg.Close()
		return nil, fmt.Errorf("health: kafka: %w", err)
	}
	c.adm = kadm.NewClient(c.kafka)
	opts := store.ClickHouseOptions(cfg.ClickHouse)
	opts.DialTimeout, opts.ReadTimeout = cfg.Timeout, cfg.Timeout
	opts.MaxOpenConns = 2
	if c.ch, err = clickhouse.Open(opts); err != nil {
		c.kafka.Close()
		c.pg.Close()
		return nil, fmt.Errorf("health: clickhouse %s: %w", cfg.ClickHouse.Addr, err)
	}
	return c, nil
}

// Close closes the clients.
func (c *Collector) Close() {
	c.ch.Close() //nolint:errcheck // closing idle connections; nothing to report
	c.kafka.Close()
	c.pg.Close()
}

// Collect asks the sources concurrently, each under the configured timeout, and returns
// what they said; it never fails as a whole.
func (c *Collector) Collect(ctx context.Context) Report {
	r := Report{At: c.cfg.now().UTC()}
	sources := []func(context.Context){
		func(ctx context.Context) { r.Connector = c.connector(ctx) },
		func(ctx context.Context) { r.Postgres = c.slots(ctx) },
		func(ctx context.Context) { r.Kafka = c.kafkaReport(ctx, r.At) },
		func(ctx context.Context) { r.Freshness = c.freshness(ctx, r.At) },
		func(ctx context.Context) { r.Models = c.models(ctx, r.At) },
	}
	var wg sync.WaitGroup
	for _, source := range sources {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
			defer cancel()
			source(sctx)
		})
	}
	wg.Wait()
	return r
}

// errText is an error on one line, for a report.
func errText(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
