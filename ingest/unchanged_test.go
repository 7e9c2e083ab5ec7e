package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestUnchangedValues: an update carrying Debezium's unavailable-value placeholder keeps the
// value the row had just before it, also when later changes of the same row — an update of
// that column, a delete — are in the same poll and written first by another worker.
func TestUnchangedValues(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	ch, chCfg := testenv.ClickHouse(t)
	prefix := testenv.Name("ft_unch")
	topic := prefix + ".public.orders"

	fixture := fixtureValue(t, "orders")
	lsn := 1000
	change := func(id int, op string, mutate func(after map[string]any)) *kgo.Record {
		lsn += 10
		v := deepCopy(t, fixture)
		v["op"] = op
		v["source"].(map[string]any)["lsn"] = lsn
		v["source"].(map[string]any)["snapshot"] = "false"
		after := v["after"].(map[string]any)
		after["id"] = id
		if mutate != nil {
			mutate(after)
		}
		if op == "d" {
			v["before"], v["after"] = map[string]any{"id": id}, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf(`{"id":%d}`, id)), Value: b}
	}
	reason := func(s string) func(map[string]any) {
		return func(a map[string]any) { a["status"], a["cancel_reason"] = "cancelled", s }
	}
	unchanged := func(status string) func(map[string]any) {
		return func(a map[string]any) { a["status"], a["cancel_reason"] = status, debezium.Placeholder }
	}
	longA, longB := strings.Repeat("a", 3000), strings.Repeat("b", 3000)
	records := []*kgo.Record{
		change(1, "c", reason(longA)),
		change(1, "u", unchanged("accepted")), // keeps A
		change(2, "c", reason(longA)),
		change(2, "u", unchanged("accepted")), // keeps A although the row is deleted below
	}
	for id := 100; id < 2100; id++ { // enough for the poll to be split between the workers
		records = append(records, change(id, "c", nil))
	}
	records = append(records,
		change(2, "d", nil),
		change(1, "u", reason(longB)),
		change(1, "u", unchanged("delivered")), // keeps B
	)
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	t.Cleanup(func() { deleteTopics(t, cl, topic, prefix+".dead-letter") })
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, -1, nil, topic); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	cfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: prefix, DerivedPrefix: prefix + ".", Group: testenv.Name("g"),
		BatchRows: 100000, FlushInterval: 200 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: time.Second, Workers: 2}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// Every version is checked below: no merge may collapse them first.
	if err := ch.Exec(ctx, "SYSTEM STOP MERGES "+chCfg.Database+".orders"); err != nil {
		t.Fatal(err)
	}
	run := start(t, cfg)
	deadline := time.Now().Add(60 * time.Second)
	for run.in.Stats().Records < int64(len(records)) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	st := run.Stop()
	if st.DeadLetters != 0 || st.Records != int64(len(records)) {
		t.Fatalf("stats %+v, want %d records and no dead letters", st, len(records))
	}
	// Every version of orders 1 and 2, oldest first: the unchanged column as it was just before.
	got := chRows(t, ch, `SELECT toString(id), status, ifNull(substring(cancel_reason, 1, 1), '-'), toString(_is_deleted)
		FROM `+chCfg.Database+`.orders WHERE id IN (1, 2) ORDER BY id, _version`)
	want := [][]string{
		{"1", "cancelled", "a", "0"}, {"1", "accepted", "a", "0"}, {"1", "cancelled", "b", "0"}, {"1", "delivered", "b", "0"},
		{"2", "cancelled", "a", "0"}, {"2", "accepted", "a", "0"}, {"2", "", "-", "1"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions of orders 1 and 2 =\n%v\nwant\n%v", got, want)
	}
}
