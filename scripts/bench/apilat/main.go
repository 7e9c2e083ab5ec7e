// Command apilat measures, for make bench, the REST API's read latency: it sends each read
// endpoint the same request -requests times, one at a time after two warm-ups, and prints
// p50 and p95 (or the error of an endpoint that failed, then goes on; it exits 1 at the end).
// An answer counts only when it is a 200 holding data. Beside four of them it times the same
// answer computed the way the original
// did, with SQL over the operational PostgreSQL tables, and prints the ratio of the p50s.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// endpoints are the reads timed, with typical parameters; peer is the original's SQL for the
// same answer, when it had one.
var endpoints = []struct {
	path string
	peer string
}{
	{"/v1/kpis?window=1h", `SELECT count(*) FROM orders WHERE placed_at >= now() - interval '1 hour' AND placed_at < now()`},
	{"/v1/orders/live?limit=100", ""},
	{"/v1/sla/violations?window=24h&limit=100", `SELECT id, city_id, placed_at, delivered_at FROM orders
		WHERE delivered_at >= now() - interval '24 hours' AND delivered_at - placed_at > interval '45 minutes'
		ORDER BY delivered_at DESC LIMIT 100`},
	{"/v1/sla/dynamic-summary?window=24h", ""},
	{"/v1/models/health?window=24h", ""},
	{"/v1/pressure/top?window=1h", ""},
	{"/v1/pressure/series?city=Sfax&window=6h", ""},
	{"/v1/heatmap?window=1h", ""},
	{"/v1/replay?city=Sfax&window=6h", ""},
	{"/v1/restaurants/live?limit=100", ""},
	{"/v1/couriers/live?limit=100", ""},
	{"/v1/revenue?window=24h", ""},
	{"/v1/revenue/by-city?window=7d", `SELECT city_id, sum(total), count(*) FROM orders
		WHERE status = 'delivered' AND delivered_at >= now() - interval '7 days' GROUP BY city_id`},
	{"/v1/revenue/weekly?weeks=4", ""},
	{"/v1/revenue/month-to-date?target=1000000", ""},
	{"/v1/top/restaurants?window=7d&limit=10", `SELECT restaurant_id, count(*), sum(total) FROM orders
		WHERE status = 'delivered' AND delivered_at >= now() - interval '7 days' GROUP BY restaurant_id ORDER BY 2 DESC LIMIT 10`},
	{"/v1/top/couriers?window=7d&limit=10", ""},
	{"/v1/weather/impact?window=7d", ""},
	{"/v1/top/dishes?window=24h&limit=10", ""},
	{"/v1/weather/orders?window=24h", ""},
	{"/v1/weather/city-heat", ""},
	{"/v1/sla/dynamic-violations?window=1h&limit=100", ""},
	{"/v1/sentiment?window=24h", ""},
	{"/v1/restaurants/load-map", ""},
	{"/v1/routes/active", ""},
	{"/v1/routes/recent?limit=20", ""},
	{"/v1/routes/orders/{order}", ""},
	{"/v1/routes/couriers/1?window=6h", ""},
	{"/v1/alerts/active", ""},
	{"/v1/recommendations?window=24h", ""},
	{"/v1/models", ""},
}

func main() {
	base := flag.String("api", "http://127.0.0.1:8080", "the API's base URL")
	pgURL := flag.String("pg-url", "", "the operational PostgreSQL database, for the original's queries")
	n := flag.Int("requests", 100, "timed requests per endpoint")
	order := flag.String("order", "1", "the order whose route /v1/routes/orders/{order} reads")
	flag.Parse()
	ctx := context.Background()
	pg, err := pgxpool.New(ctx, *pgURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apilat:", err)
		os.Exit(1)
	}
	defer pg.Close()
	fmt.Printf("%-45s %9s %9s   %s\n", "endpoint", "p50 ms", "p95 ms", "original (SQL over PostgreSQL): p50, p95, ratio of p50s")
	failed := false
	for _, e := range endpoints {
		path := strings.ReplaceAll(e.path, "{order}", *order)
		api, err := timeIt(*n, func() error { return get(*base + path) })
		if err != nil {
			fmt.Printf("%-45s failed: %v\n", path, err)
			failed = true
			continue
		}
		line := fmt.Sprintf("%-45s %9.1f %9.1f", path, ms(api, 50), ms(api, 95))
		if e.peer != "" {
			peer, err := timeIt(max(*n/10, 5), func() error {
				rows, err := pg.Query(ctx, e.peer)
				if err != nil {
					return err
				}
				rows.Close()
				return rows.Err()
			})
			if err != nil {
				fmt.Fprintf(os.Stderr, "apilat: original for %s: %v\n", e.path, err)
				os.Exit(1)
			}
			line += fmt.Sprintf("   %9.1f %9.1f   %.1f×", ms(peer, 50), ms(peer, 95), ms(peer, 50)/ms(api, 50))
		}
		fmt.Println(line)
	}
	if failed {
		os.Exit(1)
	}
}

// get reads an answer whole and refuses anything but a 200 with data in it: a quick answer
// without rows (a window past the data, a missing table read as empty) is not a latency.
func get(url string) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%d %s", res.StatusCode, body)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	if !hasData(v) {
		return fmt.Errorf("empty answer: %.200s", body)
	}
	return nil
}

// hasData reports whether a JSON value holds a non-empty list or a number other than zero.
func hasData(v any) bool {
	switch v := v.(type) {
	case []any:
		return len(v) > 0
	case map[string]any:
		for _, m := range v {
			if hasData(m) {
				return true
			}
		}
	case float64:
		return v != 0
	}
	return false
}

// timeIt runs f twice untimed, then n times, and returns the durations sorted.
func timeIt(n int, f func() error) ([]time.Duration, error) {
	var d []time.Duration
	for i := range n + 2 {
		start := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		if i >= 2 {
			d = append(d, time.Since(start))
		}
	}
	slices.Sort(d)
	return d, nil
}

// ms is the p-th percentile of sorted durations, in milliseconds.
func ms(d []time.Duration, p int) float64 {
	i := min(len(d)-1, (len(d)*p+99)/100-1)
	return float64(d[max(i, 0)].Microseconds()) / 1000
}
