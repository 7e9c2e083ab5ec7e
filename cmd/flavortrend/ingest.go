package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/delivered"
	"github.com/flavortrend/flavortrend/internal/placed"
	"github.com/flavortrend/flavortrend/internal/seal"
	"github.com/flavortrend/flavortrend/internal/store"
)

func ingestCommand() command {
	return command{
		name:    "ingest",
		summary: "consume the Debezium topics into the ClickHouse CDC mirrors (one of a consumer group)",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			var cfg ingest.Config
			var tf telemetryFlags
			fs := config.NewFlags("ingest", env)
			cfg.Bind(fs)
			tf.bind(fs)
			if err := parseFlags(fs, args, stdout); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			tel, log, err := tf.start(ctx, env, "flavortrend-ingest")
			if err != nil {
				return err
			}
			defer stopTelemetry(tel) // last: after the ingester has flushed, committed and left
			in, err := ingest.New(ctx, cfg, log, tel.Providers)
			if err != nil {
				return err
			}
			defer in.Close()
			if cfg.SealInterval > 0 {
				conn, err := store.ClickHouse(ctx, cfg.ClickHouse)
				if err != nil {
					return err
				}
				defer conn.Close()
				sealCtx, stopSeal := context.WithCancel(ctx)
				sealed := make(chan struct{})
				defer func() { stopSeal(); <-sealed }() // before the connection closes
				go func() {
					defer close(sealed)
					db := cfg.ClickHouse.Database
					seal.Run(sealCtx, cfg.SealInterval, log, delivered.Store{Conn: conn, Database: db}.Family(),
						placed.Store{Conn: conn, Database: db}.Family())
				}()
			}
			slog.Info("ingest started", "group", cfg.Group, "topics", cfg.TopicPrefix+".public.*", "clickhouse", cfg.ClickHouse.Addr+"/"+cfg.ClickHouse.Database)
			err = in.Run(ctx)
			st := in.Stats()
			slog.Info("ingest stopped", "records", st.Records, "rows", st.Rows, "dead_letters", st.DeadLetters, "flushes", st.Flushes, "retries", st.Retries)
			return err
		},
	}
}
