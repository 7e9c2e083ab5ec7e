package migrate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

const chLedger = `
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    String   COMMENT 'File number, e.g. 0001.',
    name       String   COMMENT 'File name without number and extension.',
    checksum   String   COMMENT 'sha256 of the file as applied; a later change to the file is refused.',
    applied_at DateTime COMMENT 'When it was applied (UTC).'
) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`

// ClickHouse applies the pending migrations statement by statement. ClickHouse has no
// transactional DDL, so every statement in sql/clickhouse must be idempotent
// (IF NOT EXISTS): a run interrupted half-way is completed by the next one.
func ClickHouse(ctx context.Context, conn driver.Conn, all []Migration) (Result, error) {
	if err := conn.Exec(ctx, chLedger); err != nil {
		return Result{}, fmt.Errorf("migrate clickhouse: ledger: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version, argMax(checksum, applied_at) FROM schema_migrations GROUP BY version")
	if err != nil {
		return Result{}, fmt.Errorf("migrate clickhouse: ledger: %w", err)
	}
	applied := map[string]string{}
	for rows.Next() {
		var v, sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return Result{}, fmt.Errorf("migrate clickhouse: ledger: %w", err)
		}
		applied[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("migrate clickhouse: ledger: %w", err)
	}
	todo, skipped, err := pending(all, applied)
	if err != nil {
		return Result{}, fmt.Errorf("migrate clickhouse: %w", err)
	}
	res := Result{Skipped: skipped}
	for _, m := range todo {
		for i, stmt := range Statements(m.SQL) {
			if err := conn.Exec(ctx, stmt); err != nil {
				return res, fmt.Errorf("migrate clickhouse: %s_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		// PrepareBatch, not INSERT … VALUES: 18.16 never answers the latter over the native protocol.
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at)")
		if err == nil {
			if err = batch.Append(m.Version, m.Name, m.Checksum, time.Now().UTC()); err == nil {
				err = batch.Send()
			}
		}
		if err != nil {
			return res, fmt.Errorf("migrate clickhouse: %s_%s: ledger: %w", m.Version, m.Name, err)
		}
		res.Applied = append(res.Applied, m.Version+"_"+m.Name)
	}
	return res, nil
}

// Statements splits a SQL file into statements at semicolons outside quotes and comments,
// dropping comments and empty statements. ClickHouse's native protocol takes one statement
// per query, and neither clickhouse-go nor ClickHouse 18.16 offers a multi-statement call.
func Statements(src string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			cur.WriteByte('\n')
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			cur.WriteString(src[i : j+1])
			i = j
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}
