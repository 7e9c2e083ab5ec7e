package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/internal/connect"
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
