package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// resolveUnchanged replaces Debezium's unavailable-value placeholders in the event's row
// with the values the row had just before this change: those of its newest version in
// ClickHouse older than the event. PostgreSQL leaves an unchanged TOASTed value out of an
// update under REPLICA IDENTITY DEFAULT (docs/cdc.md); only long values are TOASTed, so
// only text columns can carry the placeholder. The earlier changes of the row must have
// been flushed first; later ones, written by another worker or before a replay, are ignored.
func resolveUnchanged(ctx context.Context, conn driver.Conn, t *table, ev *debezium.Event) error {
	row := ev.Row()
	var cols []string
	for _, c := range t.cols {
		if raw := row.Get(c.name); raw != nil && debezium.Unavailable(raw) {
			if c.typ != "String" && c.typ != "Nullable(String)" {
				return fmt.Errorf("%s.%s: unavailable value in a %s column", t.name, c.name, c.typ)
			}
			cols = append(cols, c.name)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	where := make([]string, len(t.keys))
	args := make([]any, len(t.keys), len(t.keys)+1)
	for i, k := range t.keys {
		where[i] = k + " = ?"
		var v any
		if err := json.Unmarshal(row.Get(k), &v); err != nil {
			return fmt.Errorf("%s.%s: key value: %w", t.name, k, err)
		}
		args[i] = v
	}
	args = append(args, ev.LSN)
	// argMax of a non-Nullable expression: aggregates skip NULL arguments.
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "argMax(ifNull(toString(" + c + "), ''), _version)"
	}
	q := fmt.Sprintf("SELECT count(), argMax(_is_deleted, _version), %s FROM %s.%s WHERE %s AND _version < ?",
		strings.Join(sel, ", "), t.db, t.name, strings.Join(where, " AND "))
	var versions uint64
	var deleted uint8
	values := make([]string, len(cols))
	dest := []any{&versions, &deleted}
	for i := range values {
		dest = append(dest, &values[i])
	}
	if err := conn.QueryRow(ctx, q, args...).Scan(dest...); err != nil {
		return fmt.Errorf("%s: current value of unchanged %s: %w", t.name, strings.Join(cols, ", "), err)
	}
	if versions == 0 || deleted == 1 {
		return fmt.Errorf("%s: unchanged %s, but no earlier version of the row in ClickHouse", t.name, strings.Join(cols, ", "))
	}
	for i, c := range cols {
		b, err := json.Marshal(values[i])
		if err != nil {
			return err
		}
		for j := range row {
			if row[j].Name == c {
				row[j].Value = b
			}
		}
	}
	return nil
}
