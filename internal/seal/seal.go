// Package seal keeps exact sums of finished hours, so that a read over a long window adds up
// a few stored rows per hour instead of every source row, with the same answer.
//
// The sources are CDC mirrors and facts that hold every version of a row, so an exact sum
// reads them with FINAL: fine for an hour, seconds for a week. Sum states in a rollup would
// be fast but count a row the ingester wrote twice after a crash. So finished hours are
// sealed instead: Seal takes the server's time T, computes each hour that changed since its
// last seal exactly from the sources, writes its rows stamped T, then the hour's marker
// (hour, T). A seal stays valid while no input of its hour was ingested after T − Margin. A
// reader plans its window (Plan): the hours wholly inside it with a valid seal are read from
// the rows of that seal, the rest is computed live from the sources, so an answer never
// depends on whether or when the sealer ran.
//
// A Family is one set of sums sealed together (internal/delivered: by delivered_at;
// internal/placed: by placed_at); it says how its hours change and how they are computed.
package seal

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"
)

// Margin is how long before a seal's T a change must have been ingested for the seal to cover
// it: an insert that started before T may become visible after the seal's read began.
const Margin = 120 * time.Second

// Change is an hour with an input, when an input of the hour was last ingested, and the ids
// of its rows.
type Change struct {
	Hour, At time.Time
	// IDs are, per source of the family's live part, the id range [lo, hi] of the hour's rows
	// within the window (from id_bounds_state: the live part reads a mirror within it, which
	// its primary key prunes); lo > hi when the hour has none.
	IDs [][2]int64
}

// Span is a part of a window computed from the sources: [From, To) and, per source, the id
// range of its rows (those of its hours merged; lo > hi when none).
type Span struct {
	From, To time.Time
	IDs      [][2]int64
}

// Family is a set of sums sealed together per hour.
type Family struct {
	Conn driver.Conn
	// Name names the sums in errors and logs, e.g. "delivered sums".
	Name string
	// Markers is the qualified name of the family's seals: hour DateTime('UTC'), sealed_at
	// DateTime; an hour's sealed rows are those stamped with its newest sealed_at.
	Markers string
	// Changes are the hours that overlap [from, to) with an input, each with its last change
	// and its ids.
	Changes func(ctx context.Context, from, to time.Time) ([]Change, error)
	// Compute computes the hours of span (whole hours) from the sources and writes their rows
	// stamped t; Seal writes their markers after it.
	Compute func(ctx context.Context, span Span, t time.Time) error
	// Clock is the time T a seal takes; nil: the server's now(), the clock of _ingested_at.
	// Tests inject one to replay changes ingested at chosen times.
	Clock func(ctx context.Context) (time.Time, error)
}

// hourState is an hour with an input, when it last changed and its ids, and its newest seal.
type hourState struct {
	Change
	sealedAt time.Time
}

// HourTimes is agg, a time aggregate, per hour of table (a column hour) for the hours that
// overlap [from, to): the hours' last changes or their newest seals.
func HourTimes(ctx context.Context, conn driver.Conn, table, agg string, from, to time.Time) (map[time.Time]time.Time, error) {
	rows, err := conn.Query(ctx, `SELECT hour, `+agg+` FROM `+table+`
		WHERE hour >= ? AND hour < ? GROUP BY hour`, from.Truncate(time.Hour), to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[time.Time]time.Time{}
	for rows.Next() {
		var hour, at time.Time
		if err := rows.Scan(&hour, &at); err != nil {
			return nil, err
		}
		out[hour.UTC()] = at
	}
	return out, rows.Err()
}

// valid is whether the hour's seal covers every change of the hour.
func (h hourState) valid() bool { return h.sealedAt.After(h.At.Add(Margin)) }

// hourStates are the hours that overlap [from, to) with an input, oldest first: their changes
// and their markers, read at the same time.
func (f Family) hourStates(ctx context.Context, from, to time.Time) ([]hourState, error) {
	var changes []Change
	var seals map[time.Time]time.Time
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		changes, err = f.Changes(gctx, from, to)
		return err
	})
	g.Go(func() error {
		var err error
		seals, err = HourTimes(gctx, f.Conn, f.Markers, "max(sealed_at)", from, to)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("%s: hours: %w", f.Name, err)
	}
	out := make([]hourState, len(changes))
	for i, c := range changes {
		c.Hour = c.Hour.UTC()
		out[i] = hourState{Change: c, sealedAt: seals[c.Hour]}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hour.Before(out[j].Hour) })
	return out, nil
}

// Plan is how a read covers its window [from, to): the hours read from their seals, and the
// spans computed live from the sources.
type Plan struct {
	from, to time.Time
	sealed   map[time.Time]time.Time // hour → sealed_at of its valid seal
	excluded map[time.Time]bool      // hours computed live whatever their seal (being written)
	// Live are the parts of the window to compute from the sources, oldest first: the partial
	// hours at its ends and the hours without a valid seal.
	Live []Span
}

// Plan plans a read of [from, to).
func (f Family) Plan(ctx context.Context, from, to time.Time) (Plan, error) {
	return f.plan(ctx, from.UTC(), to.UTC(), nil)
}

// plan plans a read of [from, to) with the excluded hours computed live.
func (f Family) plan(ctx context.Context, from, to time.Time, excluded map[time.Time]bool) (Plan, error) {
	p := Plan{from: from, to: to, sealed: map[time.Time]time.Time{}, excluded: excluded}
	if !to.After(from) {
		return p, nil
	}
	hours, err := f.hourStates(ctx, from, to)
	if err != nil {
		return p, err
	}
	var live []Change
	for _, h := range hours {
		if h.valid() && !excluded[h.Hour] && !h.Hour.Before(from) && !h.Hour.Add(time.Hour).After(to) {
			p.sealed[h.Hour] = h.sealedAt
		} else {
			live = append(live, h.Change)
		}
	}
	p.Live = spans(live, from, to)
	return p, nil
}

// Sealed reports whether the plan reads any hour from its seal.
func (p Plan) Sealed() bool { return len(p.sealed) > 0 }

// stamps are the sealed hours and their seals' sealed_at, epoch seconds, and the first and
// last hour.
func (p Plan) stamps() (hours, stamps []uint32, first, last time.Time) {
	for h, at := range p.sealed {
		hours, stamps = append(hours, uint32(h.Unix())), append(stamps, uint32(at.Unix()))
		if first.IsZero() || h.Before(first) {
			first = h
		}
		if h.After(last) {
			last = h
		}
	}
	return hours, stamps, first, last
}

// Rows is the query, only when Sealed, of the read's rows (where, with its binds) of the plan's
// seals in table, a table of the family's sealed rows (hour, sealed_at, a ReplacingMergeTree
// by sealed_at): the columns cols, and newer. FINAL collapses the copies that two sealers
// write when they take the same T. But a seal being written (its rows, not yet its marker)
// then hides the marker's rows: such rows are kept with newer = 1, and a read that gets one
// must not use its sums (Read plans it again). The read's condition is a PREWHERE, which
// 18.16 and current releases apply before FINAL merges, so that the merge sees only the read's
// rows: among them it keeps the same row per key as among all (a newer row that the condition
// leaves out hides nothing). The stamps stay a WHERE: 18.16 loses the version column when a
// PREWHERE reads it.
func (p Plan) Rows(table, cols, where string, args []any) (string, []any) {
	hours, stamps, first, last := p.stamps()
	const stamp = `transform(toUInt32(hour), ?, ?, toUInt32(4294967295))`
	return `SELECT ` + cols + `, toUInt8(toUInt32(sealed_at) > ` + stamp + `) AS newer
			FROM ` + table + ` FINAL
			PREWHERE hour >= ? AND hour <= ? AND (` + where + `)
			WHERE toUInt32(sealed_at) >= ` + stamp,
		append(append([]any{hours, stamps, first, last}, args...), hours, stamps)
}

// Query is a read of a family's sums over a window: the rows of its sealed hours and of its
// live parts, added up by Outer.
type Query struct {
	// Columns are the columns of the rows that Outer adds up, e.g. "hour, key, n": those of the
	// sealed hours and those of the live part, per hour or coarser as the answer needs.
	Columns string
	// Table is the table of the family's sealed rows read, Sealed the Columns from its columns
	// (e.g. "hour, key, delivered_orders AS n"), and Where (with Args) the condition that
	// selects the read's rows.
	Table, Sealed, Where string
	Args                 []any
	// Live is the query of the live part's rows (at least Columns) computed from the sources
	// over the spans, with its binds.
	Live func(spans []Span) (string, []any)
	// Outer is the answer's query, of the rows as a subquery in place of its %s: Columns and
	// newer (see Plan.Rows), which the answer must keep as max(newer) or newer.
	Outer string
	// Scan reads a row of the answer and its newer; Reset forgets the rows scanned before the
	// read is planned again.
	Scan  func(driver.Rows) (newer bool, err error)
	Reset func()
}

// Read reads q over [from, to): the valid sealed hours from their rows, the rest live, in one
// query. When a row of the answer comes from a seal being written (newer), it plans again with
// the hours of such rows computed live, and reads again.
func (f Family) Read(ctx context.Context, from, to time.Time, q Query) error {
	p, err := f.Plan(ctx, from, to)
	if err != nil {
		return err
	}
	for {
		newer, err := f.read(ctx, p, q)
		if err != nil || !newer {
			return err
		}
		if p, err = p.without(ctx, f, q.Table, q.Where, q.Args); err != nil {
			return err
		}
	}
}

// read reads q with the plan p and reports whether a row came from a seal being written.
func (f Family) read(ctx context.Context, p Plan, q Query) (bool, error) {
	q.Reset()
	var parts []string
	var args []any
	if p.Sealed() {
		sql, sargs := p.Rows(q.Table, q.Sealed, q.Where, q.Args)
		parts, args = append(parts, sql), append(args, sargs...)
	}
	if len(p.Live) > 0 {
		sql, largs := q.Live(p.Live)
		parts = append(parts, `SELECT `+q.Columns+`, toUInt8(0) AS newer FROM (`+sql+`) AS live`)
		args = append(args, largs...)
	}
	if len(parts) == 0 {
		return false, nil
	}
	rows, err := f.Conn.Query(ctx, strings.Replace(q.Outer, "%s", strings.Join(parts, " UNION ALL "), 1), args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rows.Close()
	newer := false
	for rows.Next() {
		n, err := q.Scan(rows)
		if err != nil {
			return false, fmt.Errorf("%s: %w", f.Name, err)
		}
		newer = newer || n
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("%s: %w", f.Name, err)
	}
	return newer, nil
}

// without is the plan again, with the sealed hours whose rows (where) in table include a newer
// seal's computed live.
func (p Plan) without(ctx context.Context, f Family, table, where string, args []any) (Plan, error) {
	q, qargs := p.Rows(table, "hour", where, args)
	rows, err := f.Conn.Query(ctx, `SELECT DISTINCT hour FROM (`+q+`) AS sealed WHERE newer = 1`, qargs...)
	if err != nil {
		return p, fmt.Errorf("%s: seals being written: %w", f.Name, err)
	}
	defer rows.Close()
	excluded := map[time.Time]bool{}
	for h := range p.excluded {
		excluded[h] = true
	}
	for rows.Next() {
		var h time.Time
		if err := rows.Scan(&h); err != nil {
			return p, fmt.Errorf("%s: seals being written: %w", f.Name, err)
		}
		excluded[h.UTC()] = true
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("%s: seals being written: %w", f.Name, err)
	}
	// None: the seal's marker came meanwhile, and the new plan reads the new seal.
	return f.plan(ctx, p.from, p.to, excluded)
}

// spans turns hours into the shortest list of spans covering them, clipped to [from, to), each
// with the ids of its hours merged.
func spans(hours []Change, from, to time.Time) []Span {
	hours = append([]Change(nil), hours...)
	sort.Slice(hours, func(i, j int) bool { return hours[i].Hour.Before(hours[j].Hour) })
	var out []Span
	for _, h := range hours {
		a, b := h.Hour, h.Hour.Add(time.Hour)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if n := len(out); n > 0 && !out[n-1].To.Before(a) {
			out[n-1].To, out[n-1].IDs = b, merge(out[n-1].IDs, h.IDs)
			continue
		}
		out = append(out, Span{From: a, To: b, IDs: merge(nil, h.IDs)})
	}
	return out
}

// merge is the id ranges covering both a and b, source by source; an empty range (lo > hi)
// adds nothing.
func merge(a, b [][2]int64) [][2]int64 {
	out := make([][2]int64, max(len(a), len(b)))
	for i := range out {
		out[i] = [2]int64{1, 0}
		for _, r := range [][][2]int64{a, b} {
			if i >= len(r) || r[i][0] > r[i][1] {
				continue
			}
			if out[i][0] > out[i][1] {
				out[i] = r[i]
				continue
			}
			out[i] = [2]int64{min(out[i][0], r[i][0]), max(out[i][1], r[i][1])}
		}
	}
	return out
}

// maxSealSpan is the longest run of hours one Compute call gets.
const maxSealSpan = 24 * time.Hour

// Seal seals every finished hour whose seal is missing or no longer valid, and returns how
// many it sealed.
func (f Family) Seal(ctx context.Context) (int, error) {
	t, err := f.now(ctx)
	if err != nil {
		return 0, fmt.Errorf("seal %s: server time: %w", f.Name, err)
	}
	epoch, done := time.Unix(0, 0).UTC(), t.UTC().Truncate(time.Hour)
	hours, err := f.hourStates(ctx, epoch, done)
	if err != nil {
		return 0, err
	}
	var dirty []Change
	for _, h := range hours {
		if !h.valid() {
			dirty = append(dirty, h.Change)
		}
	}
	// Runs of at most maxSealSpan hours, each computed in one pass.
	var run []Change
	for i, h := range dirty {
		run = append(run, h)
		if i+1 < len(dirty) && !dirty[i+1].Hour.After(run[0].Hour.Add(maxSealSpan-time.Hour)) {
			continue
		}
		for _, span := range spans(run, epoch, done) {
			if err := f.sealSpan(ctx, span, t); err != nil {
				return 0, err
			}
		}
		run = run[:0]
	}
	return len(dirty), nil
}

// now is the seal's T: Clock's, else the server's.
func (f Family) now(ctx context.Context) (time.Time, error) {
	if f.Clock != nil {
		return f.Clock(ctx)
	}
	var t time.Time
	err := f.Conn.QueryRow(ctx, `SELECT now()`).Scan(&t)
	return t, err
}

// sealSpan computes the hours of span and writes their rows, then their markers, at t.
func (f Family) sealSpan(ctx context.Context, span Span, t time.Time) error {
	from, to := span.From, span.To
	if err := f.Compute(ctx, span, t); err != nil {
		return fmt.Errorf("seal %s %s: %w", f.Name, from.Format(time.RFC3339), err)
	}
	markers, err := f.Conn.PrepareBatch(ctx, `INSERT INTO `+f.Markers+` (hour, sealed_at)`)
	if err != nil {
		return fmt.Errorf("seal %s: %w", f.Name, err)
	}
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		if err := markers.Append(h, t); err != nil {
			return fmt.Errorf("seal %s: %w", f.Name, err)
		}
	}
	if err := markers.Send(); err != nil {
		return fmt.Errorf("seal %s markers %s: %w", f.Name, from.Format(time.RFC3339), err)
	}
	return nil
}

// Run seals each family every interval until ctx ends; a failed pass is logged and retried at
// the next.
func Run(ctx context.Context, interval time.Duration, log *slog.Logger, families ...Family) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for _, f := range families {
			start := time.Now()
			if n, err := f.Seal(ctx); err != nil && ctx.Err() == nil {
				log.Warn("seal failed", "sums", f.Name, "err", err)
			} else if n > 0 {
				log.Info("sums sealed", "sums", f.Name, "hours", n, "took", time.Since(start).Round(time.Millisecond))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
