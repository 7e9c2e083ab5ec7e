package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestCDCCommands registers, inspects and deletes a connector through the CLI, against the
// real Kafka Connect and a fresh database.
func TestCDCCommands(t *testing.T) {
	_, _, kafka, connectURL := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	name := testenv.Name("ft_cli")
	c := connect.Connector{Name: name, TopicPrefix: name, Slot: name}
	t.Cleanup(func() { testenv.RemoveConnector(t, c, connectURL, kafka.Brokers, dbURL) })
	flags := []string{"-pg-url", dbURL, "-connect-url", connectURL, "-connector", name, "-topic-prefix", name,
		"-slot", name, "-publication", name, "-partitions", "1", "-heartbeat", "2s"}
	cli := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), noEnv, append(args, flags...), &out, &errOut)
		return out.String(), err
	}

	out, err := cli("cdc", "status")
	if err == nil || !strings.Contains(err.Error(), "is not registered") {
		t.Fatalf("status before register: %v %q", err, out)
	}
	for i := 0; i < 2; i++ { // registering again only updates the configuration
		out, err = cli("cdc", "register")
		if err != nil {
			t.Fatalf("register #%d: %v", i+1, err)
		}
		if !strings.Contains(out, "connector "+name+" RUNNING") || !strings.Contains(out, "slot "+name) {
			t.Fatalf("register output = %q", out)
		}
	}
	cfg, err := connect.NewClient(connectURL).Config(context.Background(), name)
	if err != nil || cfg["heartbeat.interval.ms"] != "2000" || cfg["topic.prefix"] != name {
		t.Fatalf("registered config = %v, %v", cfg, err)
	}

	// The slot turns active once the task has connected.
	deadline := time.Now().Add(60 * time.Second)
	for {
		// A configuration update restarts the task: "not running" may show for a moment.
		out, err = cli("cdc", "status")
		if err != nil && !strings.Contains(err.Error(), "is not running") {
			t.Fatalf("status: %v", err)
		}
		if err == nil && strings.Contains(out, "slot "+name+": active=true") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never showed a running connector with an active slot: %v %q", err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.Contains(out, "connector "+name+": RUNNING") || !strings.Contains(out, "task 0: RUNNING") {
		t.Fatalf("status output = %q", out)
	}

	if out, err = cli("cdc", "delete"); err != nil || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: %v %q", err, out)
	}
	// Connect forgets the connector asynchronously.
	deadline = time.Now().Add(30 * time.Second)
	for {
		_, err = cli("cdc", "status")
		if err != nil && strings.Contains(err.Error(), "is not registered") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after delete: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestCDCRefreshAndCompaction: `cdc register` migrates the reference topics of an
// installation that deleted them after 7 days to compaction, and `cdc refresh` re-emits
// every row of the reference tables as it is, so that a topic that lost its snapshot holds
// every row again.
func TestCDCRefreshAndCompaction(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, connectURL := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	name := testenv.Name("ft_ref")
	c := connect.Connector{Name: name, TopicPrefix: name, Slot: name}
	t.Cleanup(func() { testenv.RemoveConnector(t, c, connectURL, kafka.Brokers, dbURL) })
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	cities := name + ".public.cities"
	week := "604800000"
	if _, err := adm.CreateTopic(ctx, 1, -1, map[string]*string{"retention.ms": &week}, cities); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adm.DeleteTopics(context.Background(), cities) }) //nolint:errcheck // best effort
	pg, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.Exec(ctx, `INSERT INTO cities (id, name, governorate, lat, lon, population) VALUES
		(1, 'Tunis', 'Tunis', 36.8, 10.18, 600000), (2, 'Sfax', 'Sfax', 34.74, 10.76, 330000)`); err != nil {
		t.Fatal(err)
	}
	flags := []string{"-pg-url", dbURL, "-connect-url", connectURL, "-connector", name, "-topic-prefix", name,
		"-slot", name, "-publication", name, "-partitions", "1", "-heartbeat", "2s", "-kafka-brokers", strings.Join(kafka.Brokers, ",")}
	cli := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := run(ctx, noEnv, append(args, flags...), &out, &errOut)
		return out.String(), err
	}
	if out, err := cli("cdc", "register"); err != nil {
		t.Fatalf("register: %v %q", err, out)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, cities)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, cfg := range rcs[0].Configs {
		if cfg.Value != nil {
			have[cfg.Key] = *cfg.Value
		}
	}
	if have["cleanup.policy"] != "compact" || have["min.compaction.lag.ms"] != week {
		t.Errorf("%s after register: cleanup.policy %q, min.compaction.lag.ms %q; want compact, %s", cities, have["cleanup.policy"], have["min.compaction.lag.ms"], week)
	}

	// The snapshot: one read per city; the refresh: one update per city, with the row.
	ops := func(want int) []string {
		t.Helper()
		rd, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...), kgo.ConsumeTopics(cities),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		var got []string
		deadline := time.Now().Add(90 * time.Second)
		for len(got) < want && time.Now().Before(deadline) {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			rd.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
				var env struct {
					Op    string `json:"op"`
					After struct {
						ID   int    `json:"id"`
						Name string `json:"name"`
					} `json:"after"`
				}
				if err := json.Unmarshal(r.Value, &env); err != nil {
					t.Fatalf("%s: %v", r.Value, err)
				}
				got = append(got, fmt.Sprintf("%s %d %s", env.Op, env.After.ID, env.After.Name))
			})
			cancel()
		}
		return got
	}
	if got := ops(2); strings.Join(got, ", ") != "r 1 Tunis, r 2 Sfax" {
		t.Fatalf("snapshot: %v", got)
	}
	out, err := cli("cdc", "refresh")
	if err != nil || !strings.Contains(out, "cities: 2 rows re-emitted to "+cities) {
		t.Fatalf("refresh: %v %q", err, out)
	}
	if got := ops(4); strings.Join(got[2:], ", ") != "u 1 Tunis, u 2 Sfax" {
		t.Errorf("after refresh: %v, want the snapshot then an update per city", got)
	}
}
