package ingest

import (
	"fmt"
	"runtime"
	"time"

	"github.com/flavortrend/flavortrend/ingest/columns"
	"github.com/flavortrend/flavortrend/internal/config"
)

// Config is everything the ingester needs; Bind documents each setting.
type Config struct {
	Kafka         config.Kafka
	ClickHouse    config.ClickHouse
	TopicPrefix   string        // CDC topics are <prefix>.public.<table>
	DerivedPrefix string        // prefix of the enrichers' derived topics (DerivedTopics)
	Group         string        // consumer group: instances with the same group split the partitions
	DeadLetter    string        // dead-letter topic; default <prefix>.dead-letter
	BatchRows     int           // flush when this many rows are pending across tables
	Workers       int           // goroutines decoding records in parallel
	FlushInterval time.Duration // flush at least this often while rows are pending
	MaxRecord     int           // records with a larger value go to the dead-letter topic
	RetryMax      time.Duration // longest pause between retries of a failed insert
	DecimalMode   string        // the connector's decimal.handling.mode: string, precise or double
	TimeUnit      string        // unit of epoch-integer timestamps: micros, millis, nanos or seconds
	SealInterval  time.Duration // how often to seal the sums of finished hours (internal/delivered, internal/placed); 0: never
	// RebuildReference re-reads the reference tables' topics whole into their mirrors at
	// start, as is done anyway for a mirror that is empty (rebuild.go).
	RebuildReference bool

	columns columns.Options
}

// Bind registers the ingester's flags.
func (c *Config) Bind(f *config.Flags) {
	c.Kafka.Bind(f)
	c.ClickHouse.Bind(f)
	f.String(&c.TopicPrefix, "topic-prefix", "FT_TOPIC_PREFIX", config.DefaultTopicPrefix, "CDC topic prefix: reads <prefix>.public.<table>")
	f.String(&c.DerivedPrefix, "derived-prefix", "FT_DERIVED_PREFIX", "", "prefix of the enrichers' derived topics (orders.enriched, eta.predictions, …), as given to flavortrend enrich")
	f.String(&c.Group, "group", "FT_INGEST_GROUP", "flavortrend-ingest", "Kafka consumer group; run several instances with one group to split the partitions")
	f.String(&c.DeadLetter, "dead-letter-topic", "FT_DEAD_LETTER_TOPIC", "", "topic for records that cannot be ingested (default <prefix>.dead-letter)")
	f.Int(&c.BatchRows, "batch-rows", "FT_INGEST_BATCH_ROWS", 50000, "flush to ClickHouse when this many rows are pending")
	f.Int(&c.Workers, "workers", "FT_INGEST_WORKERS", runtime.NumCPU(), "goroutines decoding records and writing batches in parallel (default: the number of CPUs)")
	f.Duration(&c.FlushInterval, "flush-interval", "FT_INGEST_FLUSH_INTERVAL", 500*time.Millisecond, "flush at least this often while rows are pending: the longest a change waits in the ingester (freshness p99 under 1 s at 500ms, docs/benchmarks.md)")
	f.Int(&c.MaxRecord, "max-record-bytes", "FT_INGEST_MAX_RECORD_BYTES", 1<<20, "records larger than this go to the dead-letter topic")
	f.Duration(&c.RetryMax, "retry-max", "FT_INGEST_RETRY_MAX", 30*time.Second, "longest pause between retries while ClickHouse refuses a batch")
	f.String(&c.DecimalMode, "decimal-mode", "FT_INGEST_DECIMAL_MODE", "string", "the connector's decimal.handling.mode: string (as flavortrend cdc registers it), precise or double")
	f.Duration(&c.SealInterval, "seal-interval", "FT_SEAL_INTERVAL", time.Minute, "how often to seal the sums of the finished hours that changed — delivered orders (revenue, restaurant and courier rankings) and placed orders (dishes, weather) — so that long windows read sums instead of orders (0: never; flavortrend seal does it once)")
	f.Bool(&c.RebuildReference, "rebuild-reference", "FT_INGEST_REBUILD_REFERENCE", false, "at start, re-read the compacted topics of the reference tables (cities, restaurants, menu_items, couriers) up to the group's offsets into their mirrors; done anyway for a mirror that is empty (a fresh or reset ClickHouse)")
	f.String(&c.TimeUnit, "time-unit", "FT_INGEST_TIME_UNIT", "micros", "unit of timestamps sent as epoch integers (time.precision.mode): micros, millis (connect), nanos or seconds")
}

// Validate checks the settings and fills the derived defaults.
func (c *Config) Validate() error {
	switch {
	case len(c.Kafka.Brokers) == 0:
		return fmt.Errorf("-kafka-brokers: at least one broker")
	case c.TopicPrefix == "":
		return fmt.Errorf("-topic-prefix: must not be empty")
	case c.Group == "":
		return fmt.Errorf("-group: must not be empty")
	case c.BatchRows < 1:
		return fmt.Errorf("-batch-rows %d: must be at least 1", c.BatchRows)
	case c.Workers < 0 || c.Workers > 256:
		return fmt.Errorf("-workers %d: must be from 1 to 256", c.Workers)
	case c.FlushInterval < 10*time.Millisecond:
		return fmt.Errorf("-flush-interval %s: must be at least 10ms", c.FlushInterval)
	case c.MaxRecord < 1024:
		return fmt.Errorf("-max-record-bytes %d: must be at least 1024", c.MaxRecord)
	case c.SealInterval < 0:
		return fmt.Errorf("-seal-interval %s: must not be negative", c.SealInterval)
	case c.RetryMax < 100*time.Millisecond:
		return fmt.Errorf("-retry-max %s: must be at least 100ms", c.RetryMax)
	}
	switch c.DecimalMode {
	case "string", "":
		c.columns.Decimal = columns.DecimalString
	case "precise":
		c.columns.Decimal = columns.DecimalPrecise
	case "double":
		c.columns.Decimal = columns.DecimalAuto
	default:
		return fmt.Errorf("-decimal-mode %q: want string, precise or double", c.DecimalMode)
	}
	switch c.TimeUnit {
	case "micros", "":
		c.columns.TimeUnit = columns.Micros
	case "millis":
		c.columns.TimeUnit = columns.Millis
	case "nanos":
		c.columns.TimeUnit = columns.Nanos
	case "seconds":
		c.columns.TimeUnit = columns.Seconds
	default:
		return fmt.Errorf("-time-unit %q: want micros, millis, nanos or seconds", c.TimeUnit)
	}
	if c.DeadLetter == "" {
		c.DeadLetter = c.TopicPrefix + ".dead-letter"
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	return nil
}
