// Package store opens the project's two databases, PostgreSQL (pgx) and ClickHouse
// (clickhouse-go, native protocol), and turns connection failures into one line an operator
// can act on.
package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/internal/config"
)

// Postgres opens a pool and checks the server answers; opts adjust the pool settings
// parsed from url (e.g. MaxConns for parallel writers).
func Postgres(ctx context.Context, url string, opts ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s:%d unreachable (is it started? scripts/services.sh start postgres): %s",
			cfg.ConnConfig.Host, cfg.ConnConfig.Port, oneLine(err))
	}
	return pool, nil
}

// ClickHouseOptions are the native-protocol options used everywhere: a short read timeout
// (18.16 never answers some statements, see PLATFORM-NOTES) and no compression on loopback.
func ClickHouseOptions(c config.ClickHouse) *clickhouse.Options {
	return &clickhouse.Options{
		Addr:        []string{c.Addr},
		Auth:        clickhouse.Auth{Database: c.Database, Username: c.User, Password: c.Password},
		DialTimeout: 5 * time.Second,
		ReadTimeout: 60 * time.Second,
	}
}

// ClickHouse opens a native connection and checks the server answers.
func ClickHouse(ctx context.Context, c config.ClickHouse) (driver.Conn, error) {
	conn, err := clickhouse.Open(ClickHouseOptions(c))
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", c.Addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse %s unreachable (is it started? scripts/services.sh start clickhouse): %w", c.Addr, err)
	}
	return conn, nil
}

// CreateClickHouseDatabase creates c.Database if it is missing, through the default
// database (a native connection cannot open a database that does not exist yet).
func CreateClickHouseDatabase(ctx context.Context, c config.ClickHouse) error {
	if !identifier.MatchString(c.Database) {
		return fmt.Errorf("clickhouse database %q: use letters, digits and _", c.Database)
	}
	admin := c
	admin.Database = "default"
	conn, err := ClickHouse(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+c.Database); err != nil {
		return fmt.Errorf("clickhouse create database %s: %w", c.Database, err)
	}
	return nil
}

// oneLine folds a multi-line driver error (pgx lists every address it tried) into one
// line, each distinct line once.
func oneLine(err error) string {
	var parts []string
	seen := map[string]bool{}
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !seen[l] {
			seen[l] = true
			parts = append(parts, strings.TrimSuffix(l, ":"))
		}
	}
	return strings.Join(parts, ": ")
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
