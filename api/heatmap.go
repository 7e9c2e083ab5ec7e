package api

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// MaxHeatmapColumns bounds the heatmap's buckets, so that an answer holds at most about
// 10,000 cells (24 cities × 400 = 9,600) whatever the window.
const MaxHeatmapColumns = 400

// heatmapDefaults are the bucket widths the heatmap chooses from when none is asked for,
// narrowest first; 2h covers 31 days in 373 columns.
var heatmapDefaults = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour}

// heatmapColumns is how many buckets of width, aligned on the epoch, [from, to) touches.
func heatmapColumns(from, to time.Time, width time.Duration) int64 {
	w := int64(width / time.Second)
	first := from.Unix() / w
	last := (to.Add(-time.Nanosecond).Unix()) / w
	return last - first + 1
}

// heatmapBucket is the bucket width for [from, to): the asked one when it gives at most
// MaxHeatmapColumns, else a 422 naming bucket; by default the narrowest of heatmapDefaults
// that does.
func heatmapBucket(asked string, from, to time.Time) (time.Duration, error) {
	if asked != "" {
		width, err := ParseSpan(asked)
		if err != nil || width > MaxSpan {
			return 0, invalid("query.bucket", "at most 31 days: minutes (m), hours (h) or days (d), e.g. 1m, 15m, 2h", asked)
		}
		if n := heatmapColumns(from, to, width); n > MaxHeatmapColumns {
			return 0, invalid("query.bucket", fmt.Sprintf("the window spans %d buckets of %s, at most %d: choose a wider bucket or a shorter window",
				n, asked, MaxHeatmapColumns), asked)
		}
		return width, nil
	}
	for _, width := range heatmapDefaults {
		if heatmapColumns(from, to, width) <= MaxHeatmapColumns {
			return width, nil
		}
	}
	return heatmapDefaults[len(heatmapDefaults)-1], nil // unreachable within MaxSpan
}

// formatSpan writes a width as the parameters do: 90m, 2h, 1d.
func formatSpan(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	default:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
}

// opsHeatmap is the grid of [from, to) in buckets of width, aggregated in ClickHouse (mean
// pressure, orders placed summed), so that the answer, not the window, bounds what is read
// into memory.
func (r registrar) opsHeatmap(ctx context.Context, from, to time.Time, width time.Duration) (Heatmap, error) {
	h := Heatmap{From: from, To: to, Bucket: formatSpan(width), Minutes: []time.Time{}, Cities: []HeatmapRow{}}
	type cell struct {
		city     int32
		name     string
		bucket   time.Time
		pressure float64
		placed   int32
	}
	// toStartOfInterval and WITH FILL are not in ClickHouse 18.16: buckets are computed on the
	// epoch seconds.
	q := `SELECT city_id, city_name, bucket, pressure, orders_placed
		FROM (SELECT city_id, toDateTime(intDiv(toUInt32(minute), ?) * ?, 'UTC') AS bucket,
				avg(pressure) AS pressure, toInt32(sum(orders_placed)) AS orders_placed
			FROM (SELECT city_id, minute, pressure, orders_placed FROM ` + r.d.table("city_pressure") + ` FINAL WHERE minute >= ? AND minute < ?)
			GROUP BY city_id, bucket)
		ANY LEFT JOIN (SELECT id AS city_id, name AS city_name FROM ` + r.d.table("cities") + ` FINAL WHERE _is_deleted = 0) USING city_id
		ORDER BY city_id, bucket`
	w := uint32(width / time.Second)
	cells, err := opsCollect(ctx, r.d.CH, q, []any{w, w, from, to}, func(rows driver.Rows) (cell, error) {
		var c cell
		err := rows.Scan(&c.city, &c.name, &c.bucket, &c.pressure, &c.placed)
		c.bucket = c.bucket.UTC()
		return c, err
	})
	if err != nil {
		return h, fmt.Errorf("heatmap: %w", err)
	}
	for _, c := range cells {
		h.Minutes = append(h.Minutes, c.bucket)
	}
	slices.SortFunc(h.Minutes, time.Time.Compare)
	h.Minutes = slices.CompactFunc(h.Minutes, time.Time.Equal)
	column := make(map[time.Time]int, len(h.Minutes))
	for i, m := range h.Minutes {
		column[m] = i
	}
	// Each row's values live in one array per city, which its pointers (null: no row) share.
	var pressure []float64
	var placed []int32
	for _, c := range cells {
		if n := len(h.Cities); n == 0 || h.Cities[n-1].CityID != c.city {
			h.Cities = append(h.Cities, HeatmapRow{CityID: c.city, CityName: c.name,
				Pressure: make([]*float64, len(h.Minutes)), OrdersPlaced: make([]*int32, len(h.Minutes))})
			pressure, placed = make([]float64, len(h.Minutes)), make([]int32, len(h.Minutes))
		}
		row := &h.Cities[len(h.Cities)-1]
		i := column[c.bucket]
		pressure[i], placed[i] = c.pressure, c.placed
		row.Pressure[i], row.OrdersPlaced[i] = &pressure[i], &placed[i]
	}
	return h, nil
}
