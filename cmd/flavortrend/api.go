package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
)

func apiCommand() command {
	return command{
		name:    "api",
		summary: "serve the REST API (KPIs, live views, scenarios, operator actions; OpenAPI at /openapi.json, docs at /docs)",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			var cfg api.Config
			var pg config.Postgres
			var ch config.ClickHouse
			var kafka config.Kafka
			var tf telemetryFlags
			fs := config.NewFlags("api", env)
			cfg.Bind(fs)
			pg.Bind(fs)
			ch.Bind(fs)
			kafka.Bind(fs)
			tf.bind(fs)
			if err := parseFlags(fs, args, stdout); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			tel, log, err := tf.start(ctx, env, "flavortrend-api")
			if err != nil {
				return err
			}
			defer stopTelemetry(tel)
			pool, err := store.Postgres(ctx, pg.URL)
			if err != nil {
				return err
			}
			defer pool.Close()
			conn, err := store.ClickHouse(ctx, ch)
			if err != nil {
				return err
			}
			defer conn.Close()
			kc, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
			if err != nil {
				return fmt.Errorf("kafka: %w", err)
			}
			defer kc.Close()
			if len(cfg.Tokens) == 0 {
				log.Warn("no API tokens (FT_API_TOKENS): every write is refused")
			}
			h, _ := api.Handler(cfg, &api.Deps{PG: pool, CH: conn, CHDatabase: ch.Database, Kafka: kc, Log: log, Telemetry: tel.Providers})
			srv := cfg.Server(h, slog.NewLogLogger(log.Handler(), slog.LevelWarn))
			ln, err := net.Listen("tcp", cfg.Addr)
			if err != nil {
				return fmt.Errorf("api: %w", err)
			}
			log.Info("api listening", "addr", ln.Addr().String(), "docs", "http://"+ln.Addr().String()+"/docs")
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return fmt.Errorf("api: shutdown: %w", err)
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
}
