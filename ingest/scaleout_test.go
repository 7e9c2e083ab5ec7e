package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestInstancesSplitPartitions: two ingesters in one group share the partitions while a load
// runs; one leaves mid-run and the other takes its partitions over. Both wrote rows, and the
// mirrors end equal to PostgreSQL: the rebalances lost nothing and duplicated nothing visible.
func TestInstancesSplitPartitions(t *testing.T) {
	ctx := context.Background()
	p := newPipeline(t)
	if err := generate.Seed(ctx, p.pg, 1); err != nil {
		t.Fatal(err)
	}
	cfg := p.config(testenv.Name("scale"))
	a := start(t, cfg)
	waitEqual(t, p, 90*time.Second) // the first instance holds every partition of every topic
	loaded := make(chan error, 1)
	go func() {
		_, err := generate.Load(ctx, p.pg, generate.LoadConfig{Seed: 5, Workers: 2, Orders: 20000, BatchSize: 1000}, nil)
		loaded <- err
	}()
	time.Sleep(time.Second)
	b := start(t, cfg)
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	sa := a.Stop() // leaves the group: b gets every partition
	waitEqual(t, p, 3*time.Minute)
	sb := b.Stop()
	if sa.Rows == 0 || sb.Rows == 0 {
		t.Fatalf("rows written: first instance %d, second %d; want both > 0", sa.Rows, sb.Rows)
	}
	if sa.DeadLetters+sb.DeadLetters != 0 {
		t.Fatalf("dead letters: %d + %d", sa.DeadLetters, sb.DeadLetters)
	}
	t.Logf("rows written: %d + %d", sa.Rows, sb.Rows)
}
