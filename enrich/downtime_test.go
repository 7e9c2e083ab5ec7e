package enrich_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestRestartAfterRetention: the stack runs, stops, and stays down past the retention of
// every topic with delete retention — modelled by deleting their records, as the broker's
// retention does (it moves each partition's log start offset to its end). The enricher and
// an ingester into an empty ClickHouse then start again under their old groups: the
// enricher loads its dimensions from the compacted topics instead of waiting for records
// that are gone, every order placed after the restart is enriched with its true distance
// and a preparation time, and the reference mirrors are rebuilt whole.
func TestRestartAfterRetention(t *testing.T) {
	ctx := context.Background()
	pg, first, chCfg, kafka, name := captured(t, "ft_down")
	if err := generate.Seed(ctx, pg, 1); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	if _, err := generate.Run(ctx, pg, generate.Config{Seed: 5, Rate: 20, Speed: 0, Start: from, Duration: 20 * time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	var before int64
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&before); err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, kafka, chCfg, name, telemetry.Providers{})
	waitCount(t, first, "SELECT count() FROM "+chCfg.Database+".orders_enriched FINAL", uint64(before))
	stop()

	adm := admin(t, kafka)
	expired := expireDeleteTopics(t, adm, name)
	for _, table := range []string{"cities", "restaurants", "menu_items", "couriers"} {
		topic := name + ".public." + table
		if expired[topic] {
			t.Errorf("%s has delete retention: its snapshot would be lost for good", topic)
		}
	}
	if !expired[name+".public.orders"] || !expired[name+".orders.enriched"] {
		t.Fatalf("the hot topics were not expired: %v", expired)
	}

	ch, fresh := testenv.ClickHouse(t)
	runPipeline(t, kafka, fresh, name, telemetry.Providers{})
	if _, err := generate.Run(ctx, pg, generate.Config{Seed: 6, Rate: 20, Speed: 0, Start: from.Add(2 * time.Hour), Duration: 20 * time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	var placedAfter int64
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&placedAfter); err != nil {
		t.Fatal(err)
	}
	placedAfter -= before
	if placedAfter < 50 {
		t.Fatalf("only %d orders after the restart", placedAfter)
	}
	waitCount(t, ch, "SELECT count() FROM "+fresh.Database+".orders_enriched FINAL", uint64(placedAfter))

	// Every order after the restart: its distance as the simulator computed it from the
	// restaurant's and the customer's coordinates, and a preparation time.
	want := map[int64]float64{}
	rows, err := pg.Query(ctx, "SELECT id, distance_km FROM orders ORDER BY id OFFSET $1", before)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var km float64
		if err := rows.Scan(&id, &km); err != nil {
			t.Fatal(err)
		}
		want[id] = km
	}
	rows.Close()
	got, err := ch.Query(ctx, "SELECT order_id, distance_km, restaurant_avg_prep_minutes FROM "+fresh.Database+".orders_enriched FINAL")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for got.Next() {
		var id int64
		var km, prep float64
		if err := got.Scan(&id, &km, &prep); err != nil {
			t.Fatal(err)
		}
		w, ok := want[id]
		if !ok {
			t.Errorf("order %d enriched in the fresh ClickHouse was placed before the restart", id)
			continue
		}
		n++
		if math.Abs(km-w) > 0.001 || prep <= 0 {
			t.Errorf("order %d: distance %.3f km, prep %.1f min; want %.3f km and a preparation time", id, km, prep, w)
		}
	}
	got.Close()
	if n != len(want) {
		t.Errorf("%d orders enriched after the restart, want %d", n, len(want))
	}

	// The reference mirrors of the fresh ClickHouse equal PostgreSQL.
	for table, cols := range map[string]string{
		"cities":      "id, name, lat, lon",
		"restaurants": "id, city_id, name, lat, lon, avg_prep_minutes",
		"menu_items":  "id, restaurant_id, name, price",
		"couriers":    "id, city_id, name, vehicle, speed_factor",
	} {
		var pgSum string
		if err := pg.QueryRow(ctx, "SELECT count(*) || ' ' || sum(id) FROM "+table).Scan(&pgSum); err != nil {
			t.Fatal(err)
		}
		q := "SELECT concat(toString(count()), ' ', toString(sum(id))) FROM " + fresh.Database + "." + table + " FINAL WHERE _is_deleted = 0"
		deadline := time.Now().Add(time.Minute)
		for {
			var chSum string
			if err := ch.QueryRow(ctx, q).Scan(&chSum); err != nil {
				t.Fatal(err)
			}
			if chSum == pgSum {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("mirror %s (%s): %s rows and Σ id, PostgreSQL %s", table, cols, chSum, pgSum)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// expireDeleteTopics deletes every record of the topics named name… whose cleanup policy
// is delete, as retention does once they are older than it, and returns those topics.
func expireDeleteTopics(t *testing.T, adm *kadm.Client, name string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	listed, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, n := range listed.Names() {
		if strings.HasPrefix(n, name+".") {
			mine = append(mine, n)
		}
	}
	configs, err := adm.DescribeTopicConfigs(ctx, mine...)
	if err != nil {
		t.Fatal(err)
	}
	expired := map[string]bool{}
	for _, rc := range configs {
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" && c.Value != nil && *c.Value == "delete" {
				expired[rc.Name] = true
			}
		}
	}
	var names []string
	for n := range expired {
		names = append(names, n)
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	offsets := kadm.Offsets{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			offsets.AddOffset(o.Topic, o.Partition, o.Offset, -1)
		}
	})
	res, err := adm.DeleteRecords(ctx, offsets)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Error(); err != nil {
		t.Fatal(err)
	}
	starts, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	starts.Each(func(o kadm.ListedOffset) {
		if end, _ := ends.Lookup(o.Topic, o.Partition); o.Offset != end.Offset {
			t.Fatalf("%s[%d]: log start %d after expiry, want the end %d", o.Topic, o.Partition, o.Offset, end.Offset)
		}
	})
	return expired
}

// waitCount waits until query counts want rows.
func waitCount(t *testing.T, ch driver.Conn, query string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var n uint64
		if err := ch.QueryRow(context.Background(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d", query, n, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func admin(t *testing.T, kafka config.Kafka) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}
