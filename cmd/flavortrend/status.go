package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/health"
)

func statusCommand() command {
	return command{
		name: "status",
		summary: "one screen of the pipeline's health: connector, slot, consumer lag, mirror freshness, dead letters, " +
			"model error (-watch redraws, -json, -serve exports gauges); exits non-zero when a stage is down",
		run: runStatus,
	}
}

type statusConfig struct {
	pg               config.Postgres
	ch               config.ClickHouse
	kafka            config.Kafka
	connectURL       string
	connector        string
	slots            []string
	groups           []string
	topicPrefix      string
	derivedPrefix    string
	deadLetter       string
	deadLetterWindow time.Duration
	maeWindow        time.Duration
	timeout          time.Duration
	watch            time.Duration
	interval         time.Duration
	serve, json      bool
	th               health.Thresholds
	slotLagMiB       [2]int64 // warn, down
	retainedMiB      [2]int64 // warn, down
	telemetry        telemetryFlags
}

func (c *statusConfig) bind(fs *config.Flags) {
	c.pg.Bind(fs)
	c.ch.Bind(fs)
	c.kafka.Bind(fs)
	fs.String(&c.connectURL, "connect-url", "FT_CONNECT_URL", config.DefaultConnectURL, "Kafka Connect REST API")
	fs.String(&c.connector, "connector", "FT_CDC_CONNECTOR", "flavortrend-postgres", "Debezium connector name in Kafka Connect")
	fs.List(&c.slots, "slot", "FT_CDC_SLOT", "flavortrend", "replication slots to report, comma-separated")
	fs.List(&c.groups, "groups", "FT_STATUS_GROUPS", "flavortrend-ingest,flavortrend-enrich,flavortrend-enrich-city",
		"consumer groups of the pipeline, comma-separated: the ingesters', the enrichers' order stage and city stage")
	fs.String(&c.topicPrefix, "topic-prefix", "FT_TOPIC_PREFIX", config.DefaultTopicPrefix, "CDC topic prefix: topics <prefix>.public.<table>")
	fs.String(&c.derivedPrefix, "derived-prefix", "FT_DERIVED_PREFIX", "", "prefix of the derived topics, as given to flavortrend enrich and ingest")
	fs.String(&c.deadLetter, "dead-letter-topic", "FT_DEAD_LETTER_TOPIC", "", "the ingesters' dead-letter topic (default <prefix>.dead-letter); the enrichers' is <derived-prefix>enrich.dead-letter")
	fs.Duration(&c.deadLetterWindow, "dead-letter-window", "FT_STATUS_DEAD_LETTER_WINDOW", time.Hour, "dead letters written in this last window make their stage warn")
	fs.Duration(&c.maeWindow, "mae-window", "FT_STATUS_MAE_WINDOW", time.Hour, "the model error covers the deliveries of this last window")
	fs.Duration(&c.timeout, "timeout", "FT_STATUS_TIMEOUT", 5*time.Second, "how long each source (Connect, PostgreSQL, Kafka, ClickHouse) may take to answer; past it the source is down")
	fs.Duration(&c.watch, "watch", "FT_STATUS_WATCH", 0, "redraw the screen at this interval until interrupted, e.g. 5s (default: once)")
	fs.Bool(&c.serve, "serve", "FT_STATUS_SERVE", false, "keep running without a screen, exporting the gauges (-metrics-addr or OTLP) every -interval")
	fs.Duration(&c.interval, "interval", "FT_STATUS_INTERVAL", 15*time.Second, "how often -serve collects (with -watch: the watch interval)")
	fs.Bool(&c.json, "json", "FT_STATUS_JSON", false, "print the report as JSON (with -watch: one line per interval)")
	fs.List(&c.th.FreshnessTables, "freshness-tables", "FT_STATUS_FRESHNESS_TABLES", "orders,order_items,courier_positions",
		"mirrors whose freshness is judged against the thresholds (the others change only now and then, and are shown as ok)")
	fs.Duration(&c.th.FreshnessWarn, "freshness-warn", "FT_STATUS_FRESHNESS_WARN", 30*time.Second, "a judged mirror whose newest change is this old warns")
	fs.Duration(&c.th.FreshnessDown, "freshness-down", "FT_STATUS_FRESHNESS_DOWN", 120*time.Second, "a judged mirror whose newest change is this old is down")
	fs.Int64(&c.th.LagWarn, "lag-warn", "FT_STATUS_LAG_WARN", 50000, "a consumer group this many records behind (all partitions) warns")
	fs.Int64(&c.th.LagDown, "lag-down", "FT_STATUS_LAG_DOWN", 500000, "a consumer group this many records behind is down")
	fs.Int64(&c.slotLagMiB[0], "slot-lag-warn-mib", "FT_STATUS_SLOT_LAG_WARN_MIB", 64, "a slot whose consumer has not confirmed this many MiB of WAL warns")
	fs.Int64(&c.slotLagMiB[1], "slot-lag-down-mib", "FT_STATUS_SLOT_LAG_DOWN_MIB", 1024, "a slot whose consumer has not confirmed this many MiB of WAL is down")
	fs.Int64(&c.retainedMiB[0], "wal-retained-warn-mib", "FT_STATUS_WAL_RETAINED_WARN_MIB", 1024, "a slot keeping this many MiB of WAL warns")
	fs.Int64(&c.retainedMiB[1], "wal-retained-down-mib", "FT_STATUS_WAL_RETAINED_DOWN_MIB", 3072, "a slot keeping this many MiB of WAL is down (the local cluster caps it at 4 GiB, max_slot_wal_keep_size)")
	fs.Duration(&c.th.MAEWarn, "mae-warn", "FT_STATUS_MAE_WARN", 10*time.Minute, "a model whose mean absolute ETA error is this large warns")
	fs.Duration(&c.th.MAEDown, "mae-down", "FT_STATUS_MAE_DOWN", 20*time.Minute, "a model whose mean absolute ETA error is this large is down")
	c.telemetry.bind(fs)
}

// validate checks the settings and fills the derived ones.
func (c *statusConfig) validate(env config.Env) error {
	switch {
	case c.timeout <= 0:
		return fmt.Errorf("-timeout %s: must be positive", c.timeout)
	case c.watch != 0 && c.watch < 100*time.Millisecond:
		return fmt.Errorf("-watch %s: want at least 100ms", c.watch)
	case c.interval < 100*time.Millisecond:
		return fmt.Errorf("-interval %s: want at least 100ms", c.interval)
	case c.deadLetterWindow <= 0 || c.maeWindow <= 0:
		return errors.New("-dead-letter-window and -mae-window: must be positive")
	case c.telemetry.metricsAddr != "" && c.watch == 0 && !c.serve:
		return errors.New("-metrics-addr: needs -watch or -serve to keep running")
	case c.serve && c.telemetry.metricsAddr == "" && !otlpMetrics(env):
		return errors.New("-serve: exports nothing without -metrics-addr or OTEL_EXPORTER_OTLP_ENDPOINT")
	case c.th.FreshnessWarn > c.th.FreshnessDown || c.th.LagWarn > c.th.LagDown || c.th.MAEWarn > c.th.MAEDown ||
		c.slotLagMiB[0] > c.slotLagMiB[1] || c.retainedMiB[0] > c.retainedMiB[1]:
		return errors.New("thresholds: each -…-warn must not exceed its -…-down")
	}
	if c.deadLetter == "" {
		c.deadLetter = c.topicPrefix + ".dead-letter" // as ingest.Config.Validate
	}
	if c.watch > 0 {
		c.interval = c.watch
	}
	c.th.SlotLagWarn, c.th.SlotLagDown = c.slotLagMiB[0]<<20, c.slotLagMiB[1]<<20
	c.th.RetainedWarn, c.th.RetainedDown = c.retainedMiB[0]<<20, c.retainedMiB[1]<<20
	return nil
}

// otlpMetrics reports whether the OTEL_* variables send metrics somewhere (docs/telemetry.md).
func otlpMetrics(env config.Env) bool {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		if v, ok := env(name); ok && v != "" {
			return true
		}
	}
	return false
}

// collectorConfig returns the collector's configuration: the derived topics are those the ingester
// reads (ingest.DerivedTopics), the dead letters the ingesters' and the enrichers' (named
// as enrich.Run names it), the mirrors one per captured table.
func (c *statusConfig) collectorConfig() health.Config {
	derived := make([]string, 0, len(ingest.DerivedTopics))
	for topic := range ingest.DerivedTopics {
		derived = append(derived, c.derivedPrefix+topic)
	}
	sort.Strings(derived)
	return health.Config{
		ConnectURL: c.connectURL, Connector: c.connector, PostgresURL: c.pg.URL, Slots: c.slots,
		Brokers: c.kafka.Brokers, Groups: c.groups, CDCPrefix: c.topicPrefix, Derived: derived,
		DeadLetters:      []string{c.deadLetter, c.derivedPrefix + "enrich.dead-letter"},
		DeadLetterWindow: c.deadLetterWindow,
		ClickHouse:       c.ch, Mirrors: connect.Tables, MAEWindow: c.maeWindow,
		Timeout: c.timeout,
	}
}

func runStatus(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
	var c statusConfig
	fs := config.NewFlags("status", env)
	c.bind(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := c.validate(env); err != nil {
		return err
	}
	col, err := health.New(c.collectorConfig())
	if err != nil {
		return err
	}
	defer col.Close()
	if c.watch == 0 && !c.serve {
		r := col.Collect(ctx)
		stages := health.Judge(r, c.th)
		if err := c.print(stdout, r, stages, nil); err != nil {
			return err
		}
		return downError(stages)
	}
	return c.keepRunning(ctx, env, col, stdout)
}

// keepRunning collects every interval until ctx ends, exporting each report as gauges and,
// with -watch, printing it.
func (c *statusConfig) keepRunning(ctx context.Context, env config.Env, col *health.Collector, stdout io.Writer) error {
	tel, _, err := c.telemetry.start(ctx, env, "flavortrend-status")
	if err != nil {
		return err
	}
	defer stopTelemetry(tel)
	gauges, err := health.NewGauges(tel.Meter(health.Scope))
	if err != nil {
		return err
	}
	defer gauges.Close() //nolint:errcheck // only fails for a foreign meter provider
	export := "none"
	if addr := tel.MetricsAddr(); addr != "" {
		export = "http://" + addr + "/metrics"
	} else if otlpMetrics(env) {
		export = "OTLP"
	}
	if c.watch == 0 {
		fmt.Fprintf(stdout, "flavortrend status: exporting the pipeline's health to %s every %s\n", export, c.interval)
	}
	redraw := c.watch > 0 && !c.json && isTerminal(stdout)
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	var prev *health.Report
	for {
		r := col.Collect(ctx)
		if ctx.Err() != nil {
			return nil
		}
		gauges.Set(r)
		if c.watch > 0 {
			if redraw {
				io.WriteString(stdout, "\x1b[H\x1b[2J") //nolint:errcheck // the print below reports a broken stdout
			}
			if err := c.print(stdout, r, health.Judge(r, c.th), prev); err != nil {
				return err
			}
			if !c.json {
				fmt.Fprintf(stdout, "\nevery %s (metrics: %s); Ctrl-C stops\n", c.interval, export)
			}
		}
		prev = &r
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// print writes one report: the screen, or JSON (indented once, one line per report with -watch).
func (c *statusConfig) print(w io.Writer, r health.Report, stages []health.Stage, prev *health.Report) error {
	if c.json {
		return health.WriteJSON(w, r, stages, c.watch == 0)
	}
	return health.Render(w, r, stages, prev)
}

// downError names the stages that are down, nil when none is.
func downError(stages []health.Stage) error {
	var down []string
	for _, s := range stages {
		if s.Health == health.Down {
			down = append(down, s.Stage+" "+s.Name)
		}
	}
	if len(down) == 0 {
		return nil
	}
	return fmt.Errorf("status: %d stage(s) down: %s", len(down), strings.Join(down, ", "))
}

// isTerminal reports whether w is a terminal, where the screen is cleared between redraws.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
