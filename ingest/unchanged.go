package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// Headers Debezium puts on the two records of a primary-key update, each a key as a JSON
// object: the create of the new key names the old key, the delete of the old key the new
// one. Both records have the update's source LSN.
const (
	HeaderOldKey = "__debezium.oldkey"
	headerNewKey = "__debezium.newkey"
)

// errPermanent marks a lookup failure no retry can cure: the change goes to the dead letters.
var errPermanent = errors.New("permanent")

// errOldKeyPending: the row of a primary-key update had its earlier versions under the old
// key, whose records (another partition) are not all in ClickHouse yet.
var errOldKeyPending = errors.New("the old key's changes are not in ClickHouse yet")

// permanent wraps err as a cause no retry can cure.
func permanent(err error) error { return fmt.Errorf("%w: %w", errPermanent, err) }

// lookup writes every pending batch, then runs read (resolveUnchanged, keptText). While
// ClickHouse fails — down or slow is no reason to give a change up — it retries with
// backoff, as an insert does. It returns nil, an error wrapping errPermanent for a definite
// cause, errOldKeyPending, or ctx's error when ctx ends. Called with mu held.
func (in *Ingester) lookup(ctx context.Context, t *table, read func(context.Context) error) error {
	backoff := 100 * time.Millisecond
	for {
		if err := in.flushTables(ctx); err != nil {
			return err // only when ctx ends: flushTables retries until then
		}
		err := read(ctx)
		if err == nil || errors.Is(err, errPermanent) || errors.Is(err, errOldKeyPending) {
			return err
		}
		in.count(func(st *Stats) { st.Retries++ })
		in.met.retries.Add(ctx, 1, t.attrs)
		in.log.WarnContext(ctx, "clickhouse lookup of unchanged values failed, retrying", "table", t.name, "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, in.cfg.RetryMax)
	}
}

// headerKey returns the JSON object in header name of r (HeaderOldKey, headerNewKey), or nil.
func headerKey(r *kgo.Record, name string) (debezium.Image, error) {
	for _, h := range r.Headers {
		if h.Key == name {
			var d debezium.Decoder // not the worker's: its buffer holds the event's images
			im, err := d.DecodeObject(h.Value)
			if err != nil {
				return nil, fmt.Errorf("%s header: %w", name, err)
			}
			return im, nil
		}
	}
	return nil, nil
}

// isText reports whether a column of ClickHouse type typ can carry the placeholder: only
// long values are TOASTed, so only text columns.
func isText(typ string) bool { return typ == "String" || typ == "Nullable(String)" }

// textCols names the table's non-key text columns.
func (t *table) textCols() []string {
	var cols []string
	for _, c := range t.cols {
		if c.kind == kindData && !c.key && isText(c.typ) {
			cols = append(cols, c.name)
		}
	}
	return cols
}

// keptText returns the text columns of the row a primary-key update deletes, ev, as they
// were just before it, for its tombstone to keep: the create under the new key may carry
// the placeholder for them, and once the tombstone is written a merge may drop the older
// versions it would otherwise read them from. Nil when ClickHouse has no earlier version.
func keptText(ctx context.Context, conn driver.Conn, t *table, ev *debezium.Event) (debezium.Image, error) {
	cols := t.textCols()
	if len(cols) == 0 {
		return nil, nil
	}
	n, err := newest(ctx, conn, t, cols, ev.Row(), "_version < ?", ev.LSN)
	if err != nil || n.versions == 0 || n.deleted == 1 {
		return nil, err
	}
	kept := make(debezium.Image, 0, len(cols))
	for i, c := range cols {
		if n.null[i] == 1 {
			continue // the default, NULL
		}
		b, err := json.Marshal(n.values[i])
		if err != nil {
			return nil, permanent(err)
		}
		kept = append(kept, debezium.Field{Name: c, Value: b})
	}
	return kept, nil
}

// newestVersion is what newest read of a row's newest version.
type newestVersion struct {
	versions uint64 // versions read
	deleted  uint8  // of the newest
	version  uint64 // the newest's _version
	values   []string
	null     []uint8
}

// newest reads the given text columns of the newest version of the row with the key of
// image key among its versions matching cond (a condition on _version with one parameter).
func newest(ctx context.Context, conn driver.Conn, t *table, cols []string, key debezium.Image, cond string, lsn uint64) (newestVersion, error) {
	where := make([]string, len(t.keys))
	args := make([]any, len(t.keys), len(t.keys)+1)
	for i, k := range t.keys {
		where[i] = k + " = ?"
		v, err := keyValue(t.cols[t.byName[k]].typ, key.Get(k))
		if err != nil {
			return newestVersion{}, permanent(fmt.Errorf("%s.%s: key value: %w", t.name, k, err))
		}
		args[i] = v
	}
	args = append(args, lsn)
	// argMax of a non-Nullable expression: aggregates skip NULL arguments.
	sel := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		sel = append(sel, "argMax(ifNull(toString("+c+"), ''), _version)", "argMax(isNull("+c+"), _version)")
	}
	q := fmt.Sprintf("SELECT count(), argMax(_is_deleted, _version), max(_version), %s FROM %s.%s WHERE %s AND %s",
		strings.Join(sel, ", "), t.db, t.name, strings.Join(where, " AND "), cond)
	n := newestVersion{values: make([]string, len(cols)), null: make([]uint8, len(cols))}
	dest := []any{&n.versions, &n.deleted, &n.version}
	for i := range cols {
		dest = append(dest, &n.values[i], &n.null[i])
	}
	if err := conn.QueryRow(ctx, q, args...).Scan(dest...); err != nil {
		return newestVersion{}, fmt.Errorf("%s: current value of %s: %w", t.name, strings.Join(cols, ", "), err)
	}
	return n, nil
}

// resolveUnchanged replaces Debezium's unavailable-value placeholders in the event's row
// with the values the row had just before this change: those of its newest version in
// ClickHouse older than the event. PostgreSQL leaves an unchanged TOASTed value out of an
// update under REPLICA IDENTITY DEFAULT (docs/cdc.md). The earlier changes of the row must
// have been flushed first; later ones, written by another worker or before a replay, are
// ignored.
//
// oldKey is the HeaderOldKey of a primary-key update's create, else nil: the values are
// then the old key's, read from the tombstone of the same update (keptText) or, while it is
// not written, from the old key's newest version. A failure wrapping errPermanent is
// definite (the record itself, or ClickHouse has no earlier version); errOldKeyPending
// asks to come back once the old key's partition has been read further; any other error
// is ClickHouse failing and worth a retry.
func resolveUnchanged(ctx context.Context, conn driver.Conn, t *table, ev *debezium.Event, oldKey debezium.Image) error {
	row := ev.Row()
	var cols []string
	for _, c := range t.cols {
		if raw := row.Get(c.name); raw != nil && debezium.Unavailable(raw) {
			if !isText(c.typ) {
				return permanent(fmt.Errorf("%s.%s: unavailable value in a %s column", t.name, c.name, c.typ))
			}
			cols = append(cols, c.name)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	var n newestVersion
	var err error
	if oldKey == nil {
		n, err = newest(ctx, conn, t, cols, row, "_version < ?", ev.LSN)
	} else {
		n, err = newest(ctx, conn, t, cols, oldKey, "_version <= ?", ev.LSN)
	}
	if err != nil {
		return err
	}
	found := n.versions > 0 && n.deleted == 0
	if oldKey != nil && n.versions > 0 && n.version == ev.LSN {
		found = n.deleted == 1 // the update's own tombstone, holding the old text
	}
	if !found {
		if oldKey != nil && (n.versions == 0 || n.version < ev.LSN) {
			// The old key's delete from this same UPDATE follows its earlier versions in
			// their partition: until it is in ClickHouse, they may still be on their way.
			return errOldKeyPending
		}
		return permanent(fmt.Errorf("%s: unchanged %s, but no earlier version of the row in ClickHouse", t.name, strings.Join(cols, ", ")))
	}
	for i, c := range cols {
		b := []byte("null")
		if n.null[i] == 0 {
			if b, err = json.Marshal(n.values[i]); err != nil {
				return permanent(err)
			}
		}
		for j := range row {
			if row[j].Name == c {
				row[j].Value = b
			}
		}
	}
	return nil
}

// keyValue converts a key column's JSON value for a query parameter of ClickHouse type typ:
// integers exactly (a float64 would round ids above 2^53), anything else as a string.
func keyValue(typ string, raw json.RawMessage) (any, error) {
	if raw == nil {
		return nil, errors.New("missing")
	}
	switch {
	case strings.HasPrefix(typ, "UInt"):
		return strconv.ParseUint(string(raw), 10, 64)
	case strings.HasPrefix(typ, "Int"):
		return strconv.ParseInt(string(raw), 10, 64)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return s, nil
}
