package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/config"
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
			slog.Info("ingest started", "group", cfg.Group, "topics", cfg.TopicPrefix+".public.*", "clickhouse", cfg.ClickHouse.Addr+"/"+cfg.ClickHouse.Database)
			err = in.Run(ctx)
			st := in.Stats()
			slog.Info("ingest stopped", "records", st.Records, "rows", st.Rows, "dead_letters", st.DeadLetters, "flushes", st.Flushes, "retries", st.Retries)
			return err
		},
	}
}
