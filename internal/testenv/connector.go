package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/store"
)

// RemoveConnector removes everything a test's connector created outside its database: the
// connector, its replication slot (once the task has let go of it) and its topics. Register
// it with t.Cleanup after PostgresURL, so it runs before the database is dropped.
func RemoveConnector(t testing.TB, c connect.Connector, connectURL string, brokers []string, dbURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := connect.NewClient(connectURL).Delete(ctx, c.Name); err != nil && err != connect.ErrNotFound {
		t.Errorf("delete connector %s: %v", c.Name, err)
	}
	pool, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Errorf("drop slot %s: %v", c.Slot, err)
	} else {
		dropped := false
		for i := 0; i < 120 && !dropped; i++ {
			_, err = pool.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", c.Slot)
			var left int
			dropped = err == nil && pool.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", c.Slot).Scan(&left) == nil && left == 0
			if !dropped {
				time.Sleep(500 * time.Millisecond)
			}
		}
		pool.Close()
		if !dropped {
			t.Errorf("replication slot %s still there: %v", c.Slot, err)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Errorf("delete topics of %s: %v", c.TopicPrefix, err)
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Errorf("delete topics of %s: %v", c.TopicPrefix, err)
		return
	}
	var mine []string
	for _, name := range topics.Names() {
		if strings.HasPrefix(name, c.TopicPrefix+".") || name == c.HeartbeatTopic() {
			mine = append(mine, name)
		}
	}
	if len(mine) > 0 {
		if _, err := adm.DeleteTopics(ctx, mine...); err != nil {
			t.Errorf("delete topics %v: %v", mine, err)
		}
	}
}

// Capture registers a Debezium connector of the test's own on the database at dbURL, named
// name (also its topic prefix, slot and publication), waits until it runs and removes it
// with everything it created when the test ends. Call it after PostgresURL.
func Capture(t testing.TB, dbURL, name string) {
	t.Helper()
	_, _, kafka, connectURL := Settings()
	c := connect.Connector{Name: name, TopicPrefix: name, DatabaseURL: dbURL, Slot: name, Publication: name,
		Heartbeat: 2 * time.Second, Partitions: 3}
	cfg, err := c.Config()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client := connect.NewClient(connectURL)
	if err := client.Put(ctx, name, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { RemoveConnector(t, c, connectURL, kafka.Brokers, dbURL) })
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if _, err := client.WaitRunning(wctx, name); err != nil {
		t.Fatal(err)
	}
}
