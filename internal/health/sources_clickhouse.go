package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// chErr wraps a ClickHouse error of what, pointing at the migrations when a table is missing.
func chErr(what string, err error) string {
	const unknownTable = 60
	if exc, ok := errors.AsType[*clickhouse.Exception](err); ok && exc.Code == unknownTable {
		what += " (are the migrations applied? flavortrend migrate)"
	}
	return errText(fmt.Errorf("%s: %w", what, err))
}

// freshnessSQL reads the newest source commit per mirror from the aggregate states the
// table_freshness_*_mv views keep (sql/clickhouse/0007, 0008): no mirror is scanned.
const freshnessSQL = "SELECT `table`, maxMerge(newest) FROM table_freshness_state GROUP BY `table`"

// freshness reports, per configured mirror, now minus its newest _source_ts_ms.
func (c *Collector) freshness(ctx context.Context, now time.Time) FreshnessReport {
	rows, err := c.ch.Query(ctx, freshnessSQL)
	if err != nil {
		return FreshnessReport{Error: chErr("clickhouse freshness", err)}
	}
	defer rows.Close()
	newest := map[string]int64{}
	for rows.Next() {
		var table string
		var ms int64
		if err := rows.Scan(&table, &ms); err != nil {
			return FreshnessReport{Error: chErr("clickhouse freshness", err)}
		}
		newest[table] = ms
	}
	if err := rows.Err(); err != nil {
		return FreshnessReport{Error: chErr("clickhouse freshness", err)}
	}
	var r FreshnessReport
	for _, table := range c.cfg.Mirrors {
		f := Freshness{Table: table}
		if ms := newest[table]; ms > 0 { // 0: the mirror has no row (the state of an empty backfill)
			at := time.UnixMilli(ms).UTC()
			secs := float64(now.Sub(at).Milliseconds()) / 1000
			f.Newest, f.Seconds = &at, &secs
		}
		r.Tables = append(r.Tables, f)
	}
	return r
}

// modelsSQL is the mean absolute error per model version of the deliveries of a window;
// FINAL keeps one row per order under replays, and delivered_at leads the sort key.
const modelsSQL = `SELECT model_version, count(), avg(abs_error_minutes) * 60 FROM eta_outcomes FINAL
WHERE delivered_at >= ? AND delivered_at < ?
GROUP BY model_version ORDER BY model_version`

// models reads the ETA models' error over the last MAEWindow from eta_outcomes.
func (c *Collector) models(ctx context.Context, now time.Time) ModelReport {
	r := ModelReport{WindowSeconds: int64(c.cfg.MAEWindow / time.Second)}
	rows, err := c.ch.Query(ctx, modelsSQL, now.Add(-c.cfg.MAEWindow), now)
	if err != nil {
		r.Error = chErr("clickhouse model error", err)
		return r
	}
	defer rows.Close()
	for rows.Next() {
		var m Model
		if err := rows.Scan(&m.Version, &m.Deliveries, &m.MAESeconds); err != nil {
			return ModelReport{WindowSeconds: r.WindowSeconds, Error: chErr("clickhouse model error", err)}
		}
		r.Models = append(r.Models, m)
	}
	if err := rows.Err(); err != nil {
		return ModelReport{WindowSeconds: r.WindowSeconds, Error: chErr("clickhouse model error", err)}
	}
	return r
}
