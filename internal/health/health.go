// Package health checks the whole pipeline in one pass: the Debezium connector and its tasks
// (Kafka Connect), the replication slots (PostgreSQL), the consumer groups' lag and the
// topics' record counts (Kafka), the freshness of every CDC mirror and the ETA models' error
// (ClickHouse). Collector gathers a Report, each source under its own timeout, a failing
// source reported with its error beside the others; Judge turns it into stages with a health
// word, Render prints them for operators, and Gauges exports the report as OpenTelemetry
// gauges. docs/status.md describes what each value means.
package health

import (
	"time"

	"github.com/flavortrend/flavortrend/internal/config"
)

// Scope names the meter of the gauges.
const Scope = "github.com/flavortrend/flavortrend/health"

// Config says what to check and where.
type Config struct {
	ConnectURL  string   // Kafka Connect REST API, http://host:port
	Connector   string   // the Debezium connector's name in Kafka Connect
	PostgresURL string   // the operational database (pg_replication_slots is cluster-wide)
	Slots       []string // replication slots to report

	Brokers     []string // Kafka bootstrap brokers
	Groups      []string // consumer groups of the pipeline
	CDCPrefix   string   // CDC topics are <CDCPrefix>.public.<table>
	Derived     []string // derived topics, by full name; missing ones are left out
	DeadLetters []string // dead-letter topics, by full name
	// DeadLetterWindow is how far back the recent dead letters are counted.
	DeadLetterWindow time.Duration

	ClickHouse config.ClickHouse
	Mirrors    []string      // CDC mirror tables whose freshness is reported
	MAEWindow  time.Duration // the model error covers the deliveries of this last window

	Timeout time.Duration    // how long each source may take
	Now     func() time.Time // the clock; nil is time.Now
}

func (c Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
