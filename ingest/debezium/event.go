// Package debezium decodes the Kafka records of the Debezium PostgreSQL connector into typed
// change events, once per record: nothing else in the ingester parses the envelope.
//
// The wire format is the JSON converter's, pinned in docs/cdc.md: the value is the bare
// envelope {"before", "after", "source", "op", "ts_ms", "transaction"}, the key the primary
// key's columns. Records written with schemas ({"schema", "payload"}) are unwrapped, a
// null value is a tombstone, and the connector's heartbeat records decode too so the
// caller can skip them (Event.IsHeartbeat).
//
// Column values are left as raw JSON (json.RawMessage) for package columns to convert per
// ClickHouse type. They, and the column names, are views of the record's bytes, not copies:
// keep the record unchanged while the event is in use.
//
// A row image is an Image, its columns in record order, rather than a map: Debezium writes
// a table's columns in the same order in every record, which lets the ingester match them
// to its table's columns by position, and filling a slice costs far less than hashing 20-odd
// names into a map per record (docs/ingest.md, "Speed").
package debezium

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Op is the kind of change.
type Op byte

// Operations of the envelope's "op" field.
const (
	OpCreate Op = 'c' // INSERT
	OpRead   Op = 'r' // row read by the initial snapshot
	OpUpdate Op = 'u' // UPDATE
	OpDelete Op = 'd' // DELETE
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpRead:
		return "read"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case 0:
		return "none"
	}
	return "op(" + string(rune(o)) + ")"
}

// Heartbeats: the connector's own heartbeat topic __debezium-heartbeat.<prefix>, and the
// table it upserts every interval so the replication slot keeps moving (docs/cdc.md).
const (
	HeartbeatTopicTable = "__debezium-heartbeat" // Event.Table of a connector heartbeat record
	HeartbeatTable      = "cdc_heartbeat"
)

// Event is one change.
type Event struct {
	Table       string // source.table, e.g. "orders"; "" for a tombstone
	Op          Op     // 0 for a tombstone or a connector heartbeat
	Key         Image  // the record key's fields, e.g. {"id": 42}; nil when the key is null
	Before      Image  // nil when absent
	After       Image  // nil when absent (deletes)
	LSN         uint64 // source.lsn
	TxID        int64  // source.txId; 0 when null
	CommitMs    int64  // source.ts_ms (commit time at the source, epoch ms)
	Snapshot    bool   // source.snapshot is anything but "false"
	Tombstone   bool   // the record value was null: only Key is set
	Heartbeat   bool   // a record of the connector's heartbeat topic: only CommitMs (its ts_ms) and Table are set
	TraceParent string // the W3C traceparent record header (DecodeRecord), else ""
}

// Image is the members of a row image or key object in record order; not nil when the
// object was present, even if empty.
type Image []Field

// Field is one column of an Image.
type Field struct {
	Name  string
	Value json.RawMessage // one JSON value without surrounding white space
}

// Get returns the value of the named column, or nil when the image has none. Like
// encoding/json into a map, the last of duplicate names wins.
func (im Image) Get(name string) json.RawMessage {
	for i := len(im) - 1; i >= 0; i-- {
		if im[i].Name == name {
			return im[i].Value
		}
	}
	return nil
}

// Row returns the image to write: After for creates, reads and updates; for a delete,
// Before, or the key when the delete carries no before image. Nil for tombstones and
// heartbeats.
//
// Under the default replica identity a delete's Before has real values only in the key
// columns: Debezium fills the others with their type's zero ("0", "0.000", "").
func (e *Event) Row() Image {
	switch e.Op {
	case OpCreate, OpRead, OpUpdate:
		return e.After
	case OpDelete:
		if e.Before != nil {
			return e.Before
		}
		return e.Key
	}
	return nil
}

// IsHeartbeat reports whether the event is a heartbeat (the connector's heartbeat topic or
// the cdc_heartbeat table), which the ingester does not mirror.
func (e *Event) IsHeartbeat() bool {
	return e.Heartbeat || e.Table == HeartbeatTable
}

// DecodeError is a record that cannot be decoded: a poison record for the dead-letter topic.
type DecodeError struct {
	// Reason is short, fixed wording without record data, fit for a dead-letter header:
	// "truncated json", "invalid json", "not an object", "missing op", "unknown op x",
	// "no source", "missing source.lsn", "missing after", "key: truncated json", …
	Reason string
	// Offset is the byte offset in the value (or in the key, for "key: …" reasons) where
	// decoding stopped, or -1.
	Offset int
}

func (e *DecodeError) Error() string { return "debezium record: " + e.Reason }

// Placeholder is the value Debezium sends for an unchanged TOASTed column under the default
// replica identity (unavailable.value.placeholder): "keep the current value".
const Placeholder = "__debezium_unavailable_value"

// The placeholder as each column kind carries it: text; bytea (base64 of the placeholder
// bytes); text[] (one element); hstore (a map of it to itself); numeric arrays (one element
// per placeholder byte).
var placeholders = func() [][]byte {
	var ints strings.Builder
	ints.WriteByte('[')
	for i := 0; i < len(Placeholder); i++ {
		if i > 0 {
			ints.WriteByte(',')
		}
		ints.WriteString(strconv.Itoa(int(Placeholder[i])))
	}
	ints.WriteByte(']')
	return [][]byte{
		[]byte(`"` + Placeholder + `"`),
		[]byte(`"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="`),
		[]byte(`["` + Placeholder + `"]`),
		[]byte(`{"` + Placeholder + `":"` + Placeholder + `"}`),
		[]byte(ints.String()),
	}
}()

// Unavailable reports whether a raw value is Debezium's unavailable-value placeholder
// ("__debezium_unavailable_value", in any of its per-type forms).
func Unavailable(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) < len(placeholders[0]) {
		return false
	}
	switch raw[0] {
	case '"':
		return bytes.Equal(raw, placeholders[0]) || bytes.Equal(raw, placeholders[1])
	case '[':
		return bytes.Equal(raw, placeholders[2]) || bytes.Equal(raw, placeholders[4])
	case '{':
		return bytes.Equal(raw, placeholders[3])
	}
	return false
}

// TopicTable returns the table of a Debezium topic name <prefix>.<schema>.<table> (the
// last dot-separated part), e.g. for a tombstone, whose value does not name it;
// HeartbeatTopicTable for the connector's heartbeat topic.
func TopicTable(topic string) string {
	if strings.HasPrefix(topic, HeartbeatTopicTable+".") {
		return HeartbeatTopicTable
	}
	if i := strings.LastIndexByte(topic, '.'); i >= 0 {
		return topic[i+1:]
	}
	return topic
}
