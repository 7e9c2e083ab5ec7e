package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/health"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/topics"
)

func cdcCommand() command {
	return command{
		name:    "cdc",
		summary: "register, inspect or remove the Debezium connector, or re-emit the reference tables: cdc register|status|delete|refresh",
		run:     runCDC,
	}
}

type cdcConfig struct {
	pg         config.Postgres
	kafka      config.Kafka
	connectURL string
	dbURL      string
	wait       time.Duration
	connector  connect.Connector
}

func (c *cdcConfig) bind(fs *config.Flags) {
	c.pg.Bind(fs)
	c.kafka.Bind(fs)
	fs.String(&c.connectURL, "connect-url", "FT_CONNECT_URL", config.DefaultConnectURL, "Kafka Connect REST API")
	fs.String(&c.connector.Name, "connector", "FT_CDC_CONNECTOR", "flavortrend-postgres", "connector name in Kafka Connect")
	fs.String(&c.connector.TopicPrefix, "topic-prefix", "FT_TOPIC_PREFIX", config.DefaultTopicPrefix, "CDC topic prefix: topics are <prefix>.public.<table>")
	fs.String(&c.dbURL, "cdc-db-url", "FT_CDC_DB_URL", "", "PostgreSQL URL as the Connect worker reaches it (default: -pg-url)")
	fs.String(&c.connector.Slot, "slot", "FT_CDC_SLOT", "flavortrend", "replication slot name")
	fs.String(&c.connector.Publication, "publication", "FT_CDC_PUBLICATION", "flavortrend", "publication name")
	fs.Duration(&c.connector.Heartbeat, "heartbeat", "FT_CDC_HEARTBEAT", 10*time.Second, "heartbeat interval, so an idle database does not retain WAL (0 = off)")
	fs.Int(&c.connector.Partitions, "partitions", "FT_CDC_PARTITIONS", 3, "partitions of the CDC topics created by Connect")
	fs.Duration(&c.wait, "wait", "FT_CDC_WAIT", 90*time.Second, "how long register waits for the connector to run")
}

func runCDC(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "usage: flavortrend cdc register|status|delete|refresh [flags]   (flavortrend cdc register -h lists the flags)")
		fmt.Fprintln(stdout, "  register  create or update the connector; create the compacted topics of the reference tables, or migrate existing ones to compaction")
		fmt.Fprintln(stdout, "  status    the connector, its tasks and the replication slot")
		fmt.Fprintln(stdout, "  delete    remove the connector (the slot is kept)")
		fmt.Fprintln(stdout, "  refresh   re-emit every row of the reference tables ("+strings.Join(connect.Reference, ", ")+") as a change, for topics that lost their snapshot")
		return nil
	}
	action := args[0]
	var c cdcConfig
	fs := config.NewFlags("cdc "+action, env)
	c.bind(fs)
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if c.dbURL == "" {
		c.dbURL = c.pg.URL
	}
	c.connector.DatabaseURL = c.dbURL
	if c.connector.Partitions < 1 {
		return fmt.Errorf("-partitions %d: want at least 1", c.connector.Partitions)
	}
	client := connect.NewClient(c.connectURL)
	switch action {
	case "register":
		return cdcRegister(ctx, client, c, stdout)
	case "status":
		return cdcStatus(ctx, client, c, stdout)
	case "refresh":
		return cdcRefresh(ctx, c, stdout)
	case "delete":
		if err := client.Delete(ctx, c.connector.Name); err != nil && !errors.Is(err, connect.ErrNotFound) {
			return err
		}
		fmt.Fprintf(stdout, "connector %s deleted (replication slot %s kept: drop it with pg_drop_replication_slot when retiring CDC)\n",
			c.connector.Name, c.connector.Slot)
		return nil
	default:
		return fmt.Errorf("cdc: unknown action %q (register, status, delete or refresh)", action)
	}
}

func cdcRegister(ctx context.Context, client *connect.Client, c cdcConfig, stdout io.Writer) error {
	cfg, err := c.connector.Config()
	if err != nil {
		return err
	}
	plugins, err := client.Plugins(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, p := range plugins {
		found = found || p == cfg["connector.class"]
	}
	if !found {
		return fmt.Errorf("kafka connect %s has no %s plugin (plugins: %v)", c.connectURL, cfg["connector.class"], plugins)
	}
	// Before the connector runs, so that its topics exist with their policy even on a worker
	// that does not create topics; existing topics of a running installation are migrated.
	if err := ensureRebuiltTopics(ctx, c); err != nil {
		return err
	}
	if err := client.Put(ctx, c.connector.Name, cfg); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	st, err := client.WaitRunning(wctx, c.connector.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "connector %s %s: %d tables → topics %s, slot %s, publication %s\n",
		c.connector.Name, st.Connector.State, len(connect.Tables), c.connector.Topic("<table>"), c.connector.Slot, c.connector.Publication)
	return nil
}

func cdcStatus(ctx context.Context, client *connect.Client, c cdcConfig, stdout io.Writer) error {
	st, err := client.Status(ctx, c.connector.Name)
	if errors.Is(err, connect.ErrNotFound) {
		return fmt.Errorf("connector %s is not registered (flavortrend cdc register)", c.connector.Name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "connector %s: %s on %s\n", st.Name, st.Connector.State, st.Connector.WorkerID)
	for i, t := range st.Tasks {
		fmt.Fprintf(stdout, "  task %d: %s on %s\n", i, t.State, t.WorkerID)
	}
	if f := st.Failure(); f != "" {
		fmt.Fprintf(stdout, "  failure: %s\n", f)
	}
	pool, err := store.Postgres(ctx, c.pg.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	var active bool
	var retained, lag int64
	err = pool.QueryRow(ctx, `SELECT active,
			pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
			pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
		FROM pg_replication_slots WHERE slot_name = $1`, c.connector.Slot).Scan(&active, &retained, &lag)
	if err != nil {
		return fmt.Errorf("replication slot %s: %w", c.connector.Slot, err)
	}
	fmt.Fprintf(stdout, "  slot %s: active=%t, lag %s behind the WAL head, %s of WAL retained\n",
		c.connector.Slot, active, health.BytesText(lag), health.BytesText(retained))
	if !st.Running() {
		return fmt.Errorf("connector %s is not running", c.connector.Name)
	}
	return nil
}

// ensureRebuiltTopics creates the compacted CDC topics of the reference tables and the
// weather, or migrates them to compaction (package topics).
func ensureRebuiltTopics(ctx context.Context, c cdcConfig) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.kafka.Brokers...))
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	return topics.Ensure(ctx, kadm.NewClient(cl), slog.Default(), c.connector.RebuiltTopics()...)
}

// cdcRefresh re-emits every row of the reference tables: an UPDATE that changes nothing is
// still captured, with the row as it is. For an installation whose reference topics lost
// their snapshot to delete retention before they were compacted: afterwards the compacted
// topics hold every row again, and the enricher and a fresh ClickHouse rebuild from them.
func cdcRefresh(ctx context.Context, c cdcConfig, stdout io.Writer) error {
	pool, err := store.Postgres(ctx, c.pg.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	for _, table := range connect.Reference {
		tag, err := pool.Exec(ctx, "UPDATE "+table+" SET id = id")
		if err != nil {
			return fmt.Errorf("refresh %s: %w", table, err)
		}
		fmt.Fprintf(stdout, "%s: %d rows re-emitted to %s\n", table, tag.RowsAffected(), c.connector.Topic(table))
	}
	return nil
}
