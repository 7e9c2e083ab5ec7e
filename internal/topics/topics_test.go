package topics_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/testenv"
	"github.com/flavortrend/flavortrend/internal/topics"
)

// TestEnsure on the real broker: missing topics are created with their policy; an existing
// topic that should compact but deletes after 7 days (as every topic of an installation
// before SPEC §3's rule did) is migrated, and the migration logged; an existing history
// topic keeps the retention an operator gave it; a second Ensure changes nothing.
func TestEnsure(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	name := testenv.Name("ft_topics")
	fresh, old, history := name+".fresh", name+".old", name+".history"
	t.Cleanup(func() { adm.DeleteTopics(context.Background(), fresh, old, history) }) //nolint:errcheck // best effort
	week := "604800000"
	for _, n := range []string{old, history} {
		if _, err := adm.CreateTopic(ctx, 2, -1, map[string]*string{"retention.ms": &week}, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("7776000000")}}, history); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	specs := []topics.Spec{
		{Name: fresh, Partitions: 3, Policy: topics.Compacted(0)},
		{Name: old, Partitions: 2, Policy: topics.Compacted(topics.History)},
		{Name: history, Partitions: 2, Policy: topics.Deleted(topics.History)},
	}
	if err := topics.Ensure(ctx, adm, log, specs...); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		fresh:   {"cleanup.policy": "compact"},
		old:     {"cleanup.policy": "compact", "min.compaction.lag.ms": week, "delete.retention.ms": week},
		history: {"cleanup.policy": "delete", "retention.ms": "7776000000"},
	}
	check := func(when string) {
		t.Helper()
		rcs, err := adm.DescribeTopicConfigs(ctx, fresh, old, history)
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range rcs {
			have := map[string]string{}
			for _, c := range rc.Configs {
				if c.Value != nil {
					have[c.Key] = *c.Value
				}
			}
			for k, v := range want[rc.Name] {
				if have[k] != v {
					t.Errorf("%s: %s %s = %q, want %q", when, rc.Name, k, have[k], v)
				}
			}
		}
	}
	check("after Ensure")
	td, err := adm.ListTopics(ctx, fresh)
	if err != nil || len(td[fresh].Partitions) != 3 {
		t.Fatalf("%s: %v partitions, %v; want 3", fresh, td[fresh].Partitions.Numbers(), err)
	}
	if got := strings.Count(logs.String(), "topic config migrated"); got != 3 {
		t.Errorf("%d migrations logged, want 3 (the old topic's policy, lag and tombstone retention):\n%s", got, logs.String())
	}

	logs.Reset()
	if err := topics.Ensure(ctx, adm, log, specs...); err != nil {
		t.Fatal(err)
	}
	check("after a second Ensure")
	if logs.Len() > 0 {
		t.Errorf("a second Ensure changed something:\n%s", logs.String())
	}
}
