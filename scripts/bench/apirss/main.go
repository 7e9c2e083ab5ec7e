// Command apirss measures, for make bench, the REST API's peak memory under the widest reads:
// -clients concurrent clients each ask -rounds times for the heatmap, a city's replay, the
// recommendations and the operator actions from -days days ago to now (from alone, the form
// that used to escape the 31-day cap), and the API's peak resident set (VmHWM of
// /proc/<pid>/status) is printed with the largest answer of each read.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	api := flag.String("api", "http://127.0.0.1:18089", "the API's base URL")
	pid := flag.Int("pid", 0, "the API's process id (its /proc/<pid>/status is read)")
	clients := flag.Int("clients", 20, "concurrent clients")
	rounds := flag.Int("rounds", 3, "requests per client and read")
	days := flag.Int("days", 31, "the window: from this many days ago, without to")
	flag.Parse()
	if err := run(context.Background(), *api, *pid, *clients, *rounds, *days); err != nil {
		fmt.Fprintln(os.Stderr, "apirss:", err)
		os.Exit(1)
	}
}

// result is what one read answered over all its requests.
type result struct {
	largest int64
	codes   map[int]int
}

func run(ctx context.Context, api string, pid, clients, rounds, days int) error {
	if pid <= 0 {
		return fmt.Errorf("-pid: the API's process id is needed")
	}
	before, err := memory(pid)
	if err != nil {
		return err
	}
	from := url.QueryEscape(time.Now().UTC().Add(-time.Duration(days) * 24 * time.Hour).Add(time.Minute).Format(time.RFC3339))
	reads := []string{
		"/v1/heatmap?from=" + from,
		"/v1/replay?city=Sfax&from=" + from,
		"/v1/recommendations?limit=1000&from=" + from,
		"/v1/actions?limit=1000&from=" + from,
	}
	results := make([]result, len(reads))
	for i := range results {
		results[i].codes = map[int]int{}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute}
	start := time.Now()
	var firstErr error
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for k := range reads {
					i := (k + c + r) % len(reads) // the clients ask for different reads at once
					code, n, err := get(ctx, client, api+reads[i])
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", reads[i], err)
					}
					results[i].codes[code]++
					results[i].largest = max(results[i].largest, n)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	after, err := memory(pid)
	if err != nil {
		return err
	}
	fmt.Printf("%d clients × %d rounds of 4 reads from %d days ago, in %.1f s\n", clients, rounds, days, time.Since(start).Seconds())
	for i, r := range reads {
		fmt.Printf("  %-58s statuses %v, largest answer %.1f MB\n", r[:strings.Index(r, "from=")+5]+"…", results[i].codes,
			float64(results[i].largest)/1e6)
	}
	fmt.Printf("API peak RSS (VmHWM): %.0f MB (%.0f MB before the run; RSS now %.0f MB)\n",
		float64(after["VmHWM"])/1024, float64(before["VmHWM"])/1024, float64(after["VmRSS"])/1024)
	return nil
}

// get reads one answer and returns its status and size.
func get(ctx context.Context, client *http.Client, u string) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	return res.StatusCode, n, err
}

// memory reads the kB figures of /proc/<pid>/status (VmHWM, VmRSS).
func memory(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("api process: %w", err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if ok && (name == "VmHWM" || name == "VmRSS") {
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				out[name] = kb
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("api process: %w", err)
	}
	if out["VmHWM"] == 0 {
		return nil, fmt.Errorf("api process %d: no VmHWM in its status", pid)
	}
	return out, nil
}
