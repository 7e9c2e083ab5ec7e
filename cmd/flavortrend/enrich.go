package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/flavortrend/flavortrend/enrich"
	"github.com/flavortrend/flavortrend/internal/config"
)

func enrichCommand() command {
	return command{
		name:    "enrich",
		summary: "compute the derived streams (weather join, features, ETA, SLA; courier and restaurant features, pressure, sentiment, alerts, surge) from the CDC topics, exactly once",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			var cfg enrich.Config
			var tf telemetryFlags
			fs := config.NewFlags("enrich", env)
			cfg.Bind(fs)
			tf.bind(fs)
			if err := parseFlags(fs, args, stdout); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			tel, log, err := tf.start(ctx, env, "flavortrend-enrich")
			if err != nil {
				return err
			}
			defer stopTelemetry(tel)
			cfg.Telemetry = tel.Providers
			if !tel.ExportsTraces() {
				cfg.Telemetry.Tracers = nil // spans per record, recorded by nothing: leave them out
			}
			slog.Info("enrich started", "group", cfg.Group, "instance", cfg.Instance, "orders", cfg.TopicPrefix+".public.orders")
			return enrich.Run(ctx, cfg, log)
		},
	}
}
