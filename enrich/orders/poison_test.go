package orders_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestNonFiniteNumbersDeadLettered: drop_lat and drop_lon are unconstrained double
// precision columns, which hold NaN and ±Infinity, and the connector writes those as
// strings. Such a row goes to the dead-letter topic with the column named; the orders
// around it are enriched (before, the NaN reached json.Marshal, and the stage panicked —
// at every restart again, on the same record).
func TestNonFiniteNumbersDeadLettered(t *testing.T) {
	f := newFixture(t)
	f.produce(t, f.dims[0], change("restaurants", "r", 1, map[string]any{"id": 7, "city_id": 1, "name": "R", "cuisine": "x",
		"lat": 36.80, "lon": 10.18, "rating": "4.50", "avg_prep_minutes": "12.50", "paused_until": nil}))
	nan, inf := orderRow(2, 0, "placed", 0), orderRow(3, 0, "placed", 0)
	nan["drop_lat"], inf["drop_lon"] = "NaN", "-Infinity"
	f.produce(t, f.in, change("orders", "c", 110, orderRow(1, 0, "placed", 0)), change("orders", "c", 120, nan),
		change("orders", "c", 130, inf), change("orders", "c", 140, orderRow(4, time.Minute, "placed", 0)))
	stop := f.run(t)
	enriched := f.read(t, f.topics.Enriched, 2)
	dead := readDead(t, f, 2)
	stop()

	var ids []float64
	for _, e := range enriched {
		id, _ := e["order_id"].(float64)
		ids = append(ids, id)
	}
	if !slices.Equal(ids, []float64{1, 4}) {
		t.Errorf("enriched orders %v, want 1 and 4", enriched)
	}
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want the two orders with NaN and -Infinity", len(dead))
	}
	for i, want := range []string{"drop_lat: not a finite number: NaN", "drop_lon: not a finite number: -Infinity"} {
		if reason := deadReason(dead[i]); !strings.Contains(reason, want) {
			t.Errorf("dead letter %d: reason %q, want %q", i, reason, want)
		}
		if !strings.Contains(string(dead[i].Key), []string{`"id":2`, `"id":3`}[i]) {
			t.Errorf("dead letter %d: key %s", i, dead[i].Key)
		}
	}
}

// readDead reads the dead-letter topic (read_committed) once it has want records, or after
// 30 s, and 2 s more for any beyond.
func readDead(t *testing.T, f *fixture, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.brok...), kgo.ConsumeTopics(f.prefix+"dead"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	more, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	cl.PollFetches(more).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	return out
}

func deadReason(r *kgo.Record) string {
	for _, h := range r.Headers {
		if h.Key == "ft-error" {
			return string(h.Value)
		}
	}
	return ""
}
