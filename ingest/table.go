package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.opentelemetry.io/otel/metric"

	"github.com/flavortrend/flavortrend/ingest/columns"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// Columns every CDC mirror carries besides the source table's own (sql/clickhouse/0001).
const (
	colVersion  = "_version"
	colDeleted  = "_is_deleted"
	colSourceTs = "_source_ts_ms"
)

// colTraceParent is the column of a row's own trace context (orders), linked from the span
// of its batch like the record's traceparent header.
const colTraceParent = "trace_parent"

type columnKind int

const (
	kindData columnKind = iota
	kindVersion
	kindDeleted
	kindSourceTs
)

type column struct {
	name  string
	typ   string
	kind  columnKind
	key   bool // part of the primary key
	trace bool // the row's own trace context (colTraceParent)
	b     columns.Builder
	seen  uint64 // table.serial of the last row that had a value for it
}

// table accumulates the pending rows of one mirror table, column by column, and writes them
// as one columnar batch.
type table struct {
	db, name string
	cols     []column
	keys     []string // primary key columns, in order
	insert   string
	rows     int

	byName map[string]int // column index by name
	slots  []int          // column index of each position of the last record's image
	serial uint64         // rows seen by add, to mark the columns a row has values for
	// The CDC columns of the pending rows.
	versions []uint64
	deleted  []uint8
	sourceTs []int64

	// Telemetry: the trace contexts of the pending rows, and the table's measurements.
	trace         batchTrace
	traceRaw      json.RawMessage          // the trace_parent value of the row add appended last
	attrs         metric.MeasurementOption // the table attribute of its measurements
	freshness     metric.Float64Histogram
	freshnessOpts []metric.RecordOption // attrs, for one measurement per row without an allocation
}

// loadTables reads the mirror tables of db from system.columns: every table that has the
// three CDC columns. Columns with a default (such as _ingested_at) are left to ClickHouse.
func loadTables(ctx context.Context, conn driver.Conn, db string, opts columns.Options) (map[string]*table, error) {
	rows, err := conn.Query(ctx, `SELECT table, name, type, default_kind, is_in_primary_key
		FROM system.columns WHERE database = ?`, db)
	if err != nil {
		return nil, fmt.Errorf("read schema of %s: %w", db, err)
	}
	defer rows.Close()
	tables := map[string]*table{}
	for rows.Next() {
		var tname, name, typ, defaultKind string
		var pk uint8
		if err := rows.Scan(&tname, &name, &typ, &defaultKind, &pk); err != nil {
			return nil, fmt.Errorf("read schema of %s: %w", db, err)
		}
		t := tables[tname]
		if t == nil {
			t = &table{db: db, name: tname}
			tables[tname] = t
		}
		if pk == 1 {
			t.keys = append(t.keys, name)
		}
		if defaultKind != "" {
			continue
		}
		c := column{name: name, typ: typ, key: pk == 1, trace: name == colTraceParent}
		switch name {
		case colVersion:
			c.kind = kindVersion
		case colDeleted:
			c.kind = kindDeleted
		case colSourceTs:
			c.kind = kindSourceTs
		}
		t.cols = append(t.cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema of %s: %w", db, err)
	}
	for name, t := range tables {
		kinds := map[columnKind]bool{}
		for _, c := range t.cols {
			kinds[c.kind] = true
		}
		if !kinds[kindVersion] || !kinds[kindDeleted] || !kinds[kindSourceTs] || len(t.keys) == 0 {
			delete(tables, name) // not a CDC mirror
			continue
		}
		if err := t.init(opts); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

// init makes the builders of the data columns and the insert statement.
func (t *table) init(opts columns.Options) error {
	names := make([]string, len(t.cols))
	t.byName = make(map[string]int, len(t.cols))
	for i := range t.cols {
		t.byName[t.cols[i].name] = i
		if t.cols[i].kind == kindData {
			b, err := columns.NewWithOptions(t.cols[i].typ, opts)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.name, t.cols[i].name, err)
			}
			t.cols[i].b = b
		}
		names[i] = t.cols[i].name
	}
	t.insert = fmt.Sprintf("INSERT INTO %s.%s (%s)", t.db, t.name, strings.Join(names, ", "))
	return nil
}

// errUnchanged is returned by add when a value is Debezium's unavailable-value placeholder:
// the caller must look the current value up (see resolveUnchanged) and add the row again.
var errUnchanged = errors.New("unchanged value")

// add appends one change as a row, or nothing: a failing column leaves every column as it was.
// The row's trace_parent value, if any, is left in t.traceRaw.
func (t *table) add(ev *debezium.Event) error {
	return t.addKeeping(ev, nil)
}

// addKeeping is add, with the values of kept in a delete's row instead of the defaults: a
// primary-key update's tombstone keeps the old row's text (resolveUnchanged).
func (t *table) addKeeping(ev *debezium.Event, kept debezium.Image) error {
	t.traceRaw = nil
	if ev.Op == debezium.OpDelete {
		return t.addDelete(ev, kept)
	}
	// Mark each column as its value arrives; the rest get their default. Debezium writes a
	// table's columns in the same order in every record, so t.slots, the column of each
	// position in the last record, nearly always finds a name's column at once.
	t.serial++
	row := ev.Row()
	if len(t.slots) < len(row) {
		t.slots = append(t.slots, make([]int, len(row)-len(t.slots))...)
	}
	for i, f := range row {
		ci := t.slots[i]
		if t.cols[ci].name != f.Name {
			var ok bool
			if ci, ok = t.byName[f.Name]; !ok {
				continue // a source column the mirror does not have
			}
			t.slots[i] = ci
		}
		c := &t.cols[ci]
		if c.seen == t.serial {
			t.truncate(t.rows)
			return fmt.Errorf("%s: column %s twice in one record", t.name, c.name)
		}
		c.seen = t.serial
		if err := t.append(c, f.Value); err != nil {
			return err
		}
	}
	for i := range t.cols {
		c := &t.cols[i]
		if c.kind != kindData || c.seen == t.serial {
			continue
		}
		if c.key {
			t.truncate(t.rows)
			return fmt.Errorf("%s: no value for key column %s", t.name, c.name)
		}
		c.b.AppendDefault()
	}
	t.addCDC(ev, 0)
	return nil
}

// addDelete appends a delete: the key columns from the before image, or from the record key
// when the image lacks them, and defaults elsewhere.
func (t *table) addDelete(ev *debezium.Event, kept debezium.Image) error {
	for i := range t.cols {
		c := &t.cols[i]
		if c.kind != kindData {
			continue
		}
		if !c.key {
			if raw := kept.Get(c.name); raw != nil {
				if err := t.append(c, raw); err != nil {
					return err
				}
				continue
			}
			c.b.AppendDefault()
			continue
		}
		raw := ev.Before.Get(c.name)
		if raw == nil {
			raw = ev.Key.Get(c.name)
		}
		if raw == nil {
			t.truncate(t.rows)
			return fmt.Errorf("%s: no value for key column %s", t.name, c.name)
		}
		if err := t.append(c, raw); err != nil {
			return err
		}
	}
	t.addCDC(ev, 1)
	return nil
}

// append appends one value to column c; on error it truncates every column to the pending
// rows and names the column.
func (t *table) append(c *column, raw json.RawMessage) error {
	if c.kind != kindData {
		return nil // a source column named like a CDC column: the CDC value wins
	}
	if err := c.b.Append(raw); err != nil {
		t.truncate(t.rows)
		if errors.Is(err, columns.ErrUnavailable) {
			return fmt.Errorf("%s.%s: %w", t.name, c.name, errUnchanged)
		}
		return fmt.Errorf("%s.%s: %w", t.name, c.name, err)
	}
	if c.trace {
		t.traceRaw = raw
	}
	return nil
}

// addCDC completes a row with its CDC columns.
func (t *table) addCDC(ev *debezium.Event, deleted uint8) {
	t.versions = append(t.versions, ev.LSN)
	t.deleted = append(t.deleted, deleted)
	t.sourceTs = append(t.sourceTs, ev.CommitMs)
	t.rows++
}

// drop forgets the pending rows.
func (t *table) drop() {
	t.truncate(0)
	t.versions, t.deleted, t.sourceTs = t.versions[:0], t.deleted[:0], t.sourceTs[:0]
	t.rows = 0
	t.trace.reset()
}

// truncate drops the partly appended row past n from every data column.
func (t *table) truncate(n int) {
	for i := range t.cols {
		if t.cols[i].kind == kindData {
			t.cols[i].b.Truncate(n)
		}
	}
}

// flush writes the pending rows as one batch; on error the rows stay pending for a retry.
func (t *table) flush(ctx context.Context, conn driver.Conn) error {
	if t.rows == 0 {
		return nil
	}
	batch, err := conn.PrepareBatch(ctx, t.insert)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", t.name, err)
	}
	defer batch.Abort() //nolint:errcheck // no-op after Send
	for i := range t.cols {
		var values any
		switch t.cols[i].kind {
		case kindVersion:
			values = t.versions
		case kindDeleted:
			values = t.deleted
		case kindSourceTs:
			values = t.sourceTs
		default:
			values = t.cols[i].b.Values()
		}
		if err := batch.Column(i).Append(values); err != nil {
			return fmt.Errorf("insert into %s.%s: %w", t.name, t.cols[i].name, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", t.name, err)
	}
	// Per row, without the batch span in the context: an exemplar offer per row would cost
	// more than the measurement (the batch-level metrics carry the span).
	now := time.Now()
	for _, ms := range t.sourceTs {
		t.freshness.Record(context.Background(), now.Sub(time.UnixMilli(ms)).Seconds(), t.freshnessOpts...)
	}
	for i := range t.cols {
		if t.cols[i].b != nil {
			t.cols[i].b.Reset()
		}
	}
	t.versions, t.deleted, t.sourceTs = t.versions[:0], t.deleted[:0], t.sourceTs[:0]
	t.rows = 0
	t.trace.reset()
	return nil
}
