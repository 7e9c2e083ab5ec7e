package health

import "time"

// Report is what one pass over the sources found. A source that failed has its Error set
// and nothing else; the other sources are still reported.
type Report struct {
	At        time.Time       `json:"at"`
	Connector ConnectorReport `json:"connector"`
	Postgres  PostgresReport  `json:"postgres"`
	Kafka     KafkaReport     `json:"kafka"`
	Freshness FreshnessReport `json:"freshness"`
	Models    ModelReport     `json:"models"`
}

// ConnectorReport is the Debezium connector's state in Kafka Connect.
type ConnectorReport struct {
	Error      string       `json:"error,omitempty"` // Connect could not be asked
	Name       string       `json:"name"`
	Registered bool         `json:"registered"`
	State      string       `json:"state,omitempty"` // RUNNING, PAUSED, FAILED, UNASSIGNED, RESTARTING
	Tasks      []TaskReport `json:"tasks,omitempty"`
	Failure    string       `json:"failure,omitempty"` // first line of the first failure's trace
}

// TaskReport is the state of one task of the connector.
type TaskReport struct {
	State  string `json:"state"`
	Worker string `json:"worker"`
}

// Up reports whether the connector and every one of its tasks run.
func (c ConnectorReport) Up() bool {
	if c.Error != "" || c.State != "RUNNING" || len(c.Tasks) == 0 {
		return false
	}
	for _, t := range c.Tasks {
		if t.State != "RUNNING" {
			return false
		}
	}
	return true
}

// PostgresReport holds the replication slots, in the order of Config.Slots.
type PostgresReport struct {
	Error string `json:"error,omitempty"`
	Slots []Slot `json:"slots,omitempty"`
}

// Slot is one replication slot. The byte counts are WAL positions subtracted with
// pg_wal_lsn_diff from pg_current_wal_lsn().
type Slot struct {
	Name   string `json:"name"`
	Found  bool   `json:"found"`
	Active bool   `json:"active"`
	// LagBytes is the WAL written since the position the consumer confirmed
	// (confirmed_flush_lsn): the changes not yet acknowledged.
	LagBytes int64 `json:"lag_bytes"`
	// RetainedBytes is the WAL the server keeps for the slot (since restart_lsn).
	RetainedBytes int64 `json:"retained_bytes"`
}

// KafkaReport holds the consumer groups, in the order of Config.Groups, and the topics of
// the pipeline that exist, by kind and name.
type KafkaReport struct {
	Error  string  `json:"error,omitempty"`
	Groups []Group `json:"groups,omitempty"`
	Topics []Topic `json:"topics,omitempty"`
	// DeadLetterWindowSeconds is the window of the dead-letter topics' Recent counts.
	DeadLetterWindowSeconds int64 `json:"dead_letter_window_seconds"`
}

// Group is one consumer group with its lag: per partition it consumes or committed to, the
// partition's end offset minus the group's committed offset (the whole partition when
// nothing is committed yet).
type Group struct {
	Name       string         `json:"name"`
	Error      string         `json:"error,omitempty"` // the group could not be described or its offsets fetched
	State      string         `json:"state,omitempty"` // Stable, Empty (no member), Dead (unknown), PreparingRebalance, …
	Members    int            `json:"members"`
	Lag        int64          `json:"lag"` // Σ of the partitions' lag
	Partitions []PartitionLag `json:"partitions,omitempty"`
}

// PartitionLag is a group's lag on one partition.
type PartitionLag struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	End       int64  `json:"end"`       // end offset (high watermark)
	Committed int64  `json:"committed"` // committed offset, -1 when none
	Lag       int64  `json:"lag"`
}

// Topic kinds.
const (
	KindCDC        = "cdc"
	KindDerived    = "derived"
	KindDeadLetter = "dead-letter"
)

// Topic is one topic of the pipeline and the records written to it.
type Topic struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Missing is set for a dead-letter topic that does not exist (yet): the stage that
	// creates it has not run.
	Missing bool `json:"missing,omitempty"`
	// Records is the sum of its partitions' end offsets: every record ever written
	// (transaction markers included), whatever retention removed since.
	Records int64 `json:"records"`
	// Recent counts, for a dead-letter topic, the records written in the last
	// DeadLetterWindowSeconds (by record timestamp).
	Recent int64 `json:"recent,omitempty"`
}

// FreshnessReport holds the freshness of the CDC mirrors, in the order of Config.Mirrors.
type FreshnessReport struct {
	Error  string      `json:"error,omitempty"`
	Tables []Freshness `json:"tables,omitempty"`
}

// Freshness is how old the newest change in a mirror is: the report's time minus the newest
// commit time at the source (_source_ts_ms) written to it, from table_freshness_state.
// Newest and Seconds are nil for a mirror with no row yet.
type Freshness struct {
	Table   string     `json:"table"`
	Newest  *time.Time `json:"newest"`
	Seconds *float64   `json:"seconds"`
}

// ModelReport holds the ETA models' mean absolute error over the deliveries of the last
// WindowSeconds (from eta_outcomes), one entry per model version.
type ModelReport struct {
	Error         string  `json:"error,omitempty"`
	WindowSeconds int64   `json:"window_seconds"`
	Models        []Model `json:"models,omitempty"`
}

// Model is the error of one model version.
type Model struct {
	Version    string  `json:"version"`
	Deliveries uint64  `json:"deliveries"`
	MAESeconds float64 `json:"mae_seconds"`
}
