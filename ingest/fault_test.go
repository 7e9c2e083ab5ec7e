package ingest_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// buildCLI compiles the flavortrend binary for tests that kill it.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flavortrend")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/flavortrend").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKilledIngesterLosesNothing: during a load of about 200k changes the ingester process
// is killed with SIGKILL ten times at random moments and restarted; once it has caught up,
// every mirror equals PostgreSQL — nothing lost, nothing visible twice.
func TestKilledIngesterLosesNothing(t *testing.T) {
	ctx := context.Background()
	bin := buildCLI(t)
	p := newPipeline(t)
	if err := generate.Seed(ctx, p.pg, 1); err != nil {
		t.Fatal(err)
	}
	loaded := make(chan error, 1)
	go func() {
		// ~28k orders × (insert, ~2 lines, 3 updates, courier updates) ≈ 200k changes.
		_, err := generate.Load(ctx, p.pg, generate.LoadConfig{Seed: 3, Workers: 2, Orders: 28000, BatchSize: 2000}, nil)
		loaded <- err
	}()

	cfg := p.config(testenv.Name("crash"))
	args := []string{"ingest", "-kafka-brokers", cfg.Kafka.Brokers[0], "-ch-addr", cfg.ClickHouse.Addr,
		"-ch-database", cfg.ClickHouse.Database, "-topic-prefix", cfg.TopicPrefix, "-group", cfg.Group,
		"-batch-rows", "5000", "-flush-interval", "200ms"}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "ingest.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10; i++ {
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(500+rng.IntN(2500)) * time.Millisecond)
		if err := cmd.Process.Signal(os.Kill); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	final := exec.Command(bin, args...)
	final.Stdout, final.Stderr = logFile, logFile
	if err := final.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = final.Process.Signal(os.Interrupt)
		_ = final.Wait()
	}()
	waitEqual(t, p, 5*time.Minute)

	var changes uint64
	if err := p.ch.QueryRow(ctx, "SELECT count() FROM "+p.chCfg.Database+".orders").Scan(&changes); err != nil {
		t.Fatal(err)
	}
	t.Logf("orders versions written (with replays): %d", changes)
}

// TestClickHouseOutage: ClickHouse stops for 30 s in the middle of a run. The ingester stops
// fetching, retries, and resumes without loss or duplicates, with its heap bounded.
func TestClickHouseOutage(t *testing.T) {
	ctx := context.Background()
	p := newPipeline(t)
	if err := generate.Seed(ctx, p.pg, 1); err != nil {
		t.Fatal(err)
	}
	run := start(t, p.config(testenv.Name("outage")))
	waitEqual(t, p, 90*time.Second)

	services := func(action string) {
		t.Helper()
		out, err := exec.Command("bash", "../scripts/services.sh", action, "clickhouse").CombinedOutput()
		if err != nil {
			t.Fatalf("services.sh %s clickhouse: %v\n%s", action, err, out)
		}
	}
	services("stop")
	stopped := true
	defer func() {
		if stopped {
			services("start")
		}
	}()
	loaded := make(chan error, 1)
	go func() {
		_, err := generate.Load(ctx, p.pg, generate.LoadConfig{Seed: 4, Workers: 2, Orders: 20000, BatchSize: 2000}, nil)
		loaded <- err
	}()
	var peak uint64
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	services("start")
	stopped = false
	waitEqual(t, p, 3*time.Minute)
	st := run.Stop()
	if st.Retries == 0 {
		t.Errorf("no insert was retried during the outage: %+v", st)
	}
	if st.DeadLetters != 0 {
		t.Errorf("%d dead letters", st.DeadLetters)
	}
	// One batch (≤ 20k rows) plus the client's fetch buffers; far below the ~150k changes of the load.
	if peak > 512<<20 {
		t.Errorf("heap in use peaked at %d MiB during the outage", peak>>20)
	}
}
