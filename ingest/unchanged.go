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
// with the values ClickHouse holds for that key. PostgreSQL leaves an unchanged TOASTed
// value out of an update under REPLICA IDENTITY DEFAULT (docs/cdc.md); only long values
// are TOASTed, so only text columns can carry the placeholder. The table's pending rows
// must have been flushed first, so that the newest version is in ClickHouse.
func resolveUnchanged(ctx context.Context, conn driver.Conn, t *table, ev *debezium.Event) error {
	row := ev.Row()
	var cols []string
	for _, c := range t.cols {
		if raw, ok := row[c.name]; ok && debezium.Unavailable(raw) {
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
	args := make([]any, len(t.keys))
	for i, k := range t.keys {
		where[i] = k + " = ?"
		var v any
		if err := json.Unmarshal(row[k], &v); err != nil {
			return fmt.Errorf("%s.%s: key value: %w", t.name, k, err)
		}
		args[i] = v
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "ifNull(toString(" + c + "), '')"
	}
	q := fmt.Sprintf("SELECT %s FROM %s.%s FINAL WHERE %s AND _is_deleted = 0 LIMIT 1",
		strings.Join(sel, ", "), t.db, t.name, strings.Join(where, " AND "))
	values := make([]string, len(cols))
	dest := make([]any, len(cols))
	for i := range values {
		dest[i] = &values[i]
	}
	if err := conn.QueryRow(ctx, q, args...).Scan(dest...); err != nil {
		return fmt.Errorf("%s: current value of unchanged %s: %w", t.name, strings.Join(cols, ", "), err)
	}
	for i, c := range cols {
		b, err := json.Marshal(values[i])
		if err != nil {
			return err
		}
		row[c] = b
	}
	return nil
}
