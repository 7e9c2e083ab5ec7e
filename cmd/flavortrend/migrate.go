package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/migrate"
	"github.com/flavortrend/flavortrend/internal/store"
	schema "github.com/flavortrend/flavortrend/sql"
)

func migrateCommand() command {
	return command{
		name:    "migrate",
		summary: "apply the SQL migrations of sql/postgres and sql/clickhouse (safe to repeat)",
		run:     runMigrate,
	}
}

func runMigrate(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
	var (
		pg     config.Postgres
		ch     config.ClickHouse
		target string
	)
	fs := config.NewFlags("migrate", env)
	pg.Bind(fs)
	ch.Bind(fs)
	fs.String(&target, "target", "FT_MIGRATE_TARGET", "all", "which store to migrate: postgres, clickhouse or all")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if target != "all" && target != "postgres" && target != "clickhouse" {
		return fmt.Errorf("-target %q: want postgres, clickhouse or all", target)
	}
	report := func(store string, res migrate.Result) {
		applied := "nothing new"
		if len(res.Applied) > 0 {
			applied = "applied " + strings.Join(res.Applied, ", ")
		}
		fmt.Fprintf(stdout, "migrate %-10s %s (%d already applied)\n", store, applied, res.Skipped)
	}
	if target != "clickhouse" {
		all, err := migrate.Load(schema.Postgres, "postgres")
		if err != nil {
			return err
		}
		pool, err := store.Postgres(ctx, pg.URL)
		if err != nil {
			return err
		}
		res, err := migrate.Postgres(ctx, pool, all)
		pool.Close()
		if err != nil {
			return err
		}
		report("postgres", res)
	}
	if target != "postgres" {
		all, err := migrate.Load(schema.ClickHouse, "clickhouse")
		if err != nil {
			return err
		}
		if err := store.CreateClickHouseDatabase(ctx, ch); err != nil {
			return err
		}
		conn, err := store.ClickHouse(ctx, ch)
		if err != nil {
			return err
		}
		res, err := migrate.ClickHouse(ctx, conn, all)
		conn.Close()
		if err != nil {
			return err
		}
		report("clickhouse", res)
	}
	return nil
}
