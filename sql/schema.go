// Package schema embeds the numbered, forward-only SQL migrations of Flavor Trend:
// postgres/*.sql for the operational database and clickhouse/*.sql for the analytics store.
// flavortrend migrate applies them (internal/migrate).
package schema

import "embed"

// Postgres holds postgres/NNNN_name.sql, applied in file-name order.
//
//go:embed postgres/*.sql
var Postgres embed.FS

// ClickHouse holds clickhouse/NNNN_name.sql, applied in file-name order.
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS
