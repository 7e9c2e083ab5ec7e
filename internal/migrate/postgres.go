package migrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockKey serialises concurrent migrate runs on one database (pg_advisory_lock).
const lockKey = 0x666c6176 // "flav"

const pgLedger = `
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS 'SQL files of sql/postgres applied by flavortrend migrate.';
COMMENT ON COLUMN schema_migrations.version IS 'File number, e.g. 0001.';
COMMENT ON COLUMN schema_migrations.name IS 'File name without number and extension.';
COMMENT ON COLUMN schema_migrations.checksum IS 'sha256 of the file as applied; a later change to the file is refused.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied.';`

// Postgres applies the pending migrations, each in its own transaction with its ledger row.
func Postgres(ctx context.Context, pool *pgxpool.Pool, all []Migration) (Result, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("migrate postgres: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return Result{}, fmt.Errorf("migrate postgres: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck // released with the session anyway

	if _, err := conn.Exec(ctx, pgLedger); err != nil {
		return Result{}, fmt.Errorf("migrate postgres: ledger: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return Result{}, fmt.Errorf("migrate postgres: ledger: %w", err)
	}
	applied := map[string]string{}
	var v, sum string
	if _, err := pgx.ForEachRow(rows, []any{&v, &sum}, func() error { applied[v] = sum; return nil }); err != nil {
		return Result{}, fmt.Errorf("migrate postgres: ledger: %w", err)
	}
	todo, skipped, err := pending(all, applied)
	if err != nil {
		return Result{}, fmt.Errorf("migrate postgres: %w", err)
	}
	res := Result{Skipped: skipped}
	for _, m := range todo {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: pgx sends the file with the simple protocol, all statements at once.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				m.Version, m.Name, m.Checksum)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("migrate postgres: %s_%s: %w", m.Version, m.Name, err)
		}
		res.Applied = append(res.Applied, m.Version+"_"+m.Name)
	}
	return res, nil
}
