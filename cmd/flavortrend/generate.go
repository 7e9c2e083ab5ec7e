package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/generate/refdata"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
)

// defaultSeed is the seed of the reference data and of the simulation when none is given.
const defaultSeed = 1

func seedCommand() command {
	return command{
		name:    "seed",
		summary: "write the reference data (cities, restaurants, menus, couriers, customers) for a seed",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			f := config.NewFlags("seed", env)
			var pg config.Postgres
			pg.Bind(f)
			var seed int64
			f.Int64(&seed, "seed", "FT_SEED", defaultSeed,
				"seed of the generated reference data; the same seed always gives the same data")
			if err := parseFlags(f, args, stdout); err != nil {
				return err
			}
			pool, err := store.Postgres(ctx, pg.URL)
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := generate.Seed(ctx, pool, seed); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "reference data of seed %d in place: %d cities, %d restaurants, %d couriers, %d customers\n",
				seed, len(refdata.Cities), refdata.RestaurantCount, refdata.CourierCount, refdata.CustomerCount)
			return nil
		},
	}
}

func generateCommand() command {
	return command{
		name:    "generate",
		summary: "simulate orders, couriers, weather and reviews in PostgreSQL (or -load: bulk load test)",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			f := config.NewFlags("generate", env)
			var pg config.Postgres
			pg.Bind(f)
			var (
				cfg     generate.Config
				load    generate.LoadConfig
				start   string
				loadRun bool
				tf      telemetryFlags
			)
			tf.bind(f)
			f.Int64(&cfg.Seed, "seed", "FT_SEED", defaultSeed,
				"random seed: the same seed, start time and reference data give the same rows (without scenario flags)")
			f.Float(&cfg.Rate, "rate", "FT_GENERATE_RATE", generate.DefaultRate,
				"base orders per simulated minute across all cities, before rush-hour, weekend, holiday, population and promo multipliers")
			f.Float(&cfg.Speed, "speed", "FT_GENERATE_SPEED", 1,
				"simulated seconds per wall-clock second: 1 real time, N accelerated ×N, 0 as fast as possible")
			f.String(&start, "start", "FT_GENERATE_START", "",
				"simulated start time, RFC 3339 (e.g. 2025-03-14T12:00:00+01:00); empty for now")
			f.Duration(&cfg.Duration, "duration", "FT_GENERATE_DURATION", 0,
				"stop after this much simulated time (with -load: wall time), e.g. 2h; 0 runs until interrupted")
			f.Bool(&loadRun, "load", "FT_GENERATE_LOAD", false,
				"load-test mode: write orders with their lifecycle as fast as possible and print the achieved orders/s")
			f.Int(&load.Workers, "workers", "FT_GENERATE_WORKERS", 2,
				"with -load: parallel writers, each with its own cities and id blocks (at most 24)")
			f.Int64(&load.Orders, "orders", "FT_GENERATE_ORDERS", 0,
				"with -load: stop after this many orders in total; 0 for no limit")
			f.Int(&load.BatchSize, "batch", "FT_GENERATE_BATCH", 5000,
				"with -load: orders per transaction")
			if err := parseFlags(f, args, stdout); err != nil {
				return err
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return fmt.Errorf("-start %q: not an RFC 3339 time (e.g. 2025-03-14T12:00:00+01:00)", start)
				}
				cfg.Start = t
			}
			switch {
			case cfg.Rate <= 0:
				return fmt.Errorf("-rate %v: must be positive", cfg.Rate)
			case cfg.Speed < 0:
				return fmt.Errorf("-speed %v: must not be negative", cfg.Speed)
			case cfg.Duration < 0:
				return fmt.Errorf("-duration %v: must not be negative", cfg.Duration)
			case load.Workers < 1:
				return fmt.Errorf("-workers %d: must be at least 1", load.Workers)
			case load.Orders < 0:
				return fmt.Errorf("-orders %d: must not be negative", load.Orders)
			case load.BatchSize < 1:
				return fmt.Errorf("-batch %d: must be at least 1", load.BatchSize)
			}
			pool, err := store.Postgres(ctx, pg.URL, func(c *pgxpool.Config) {
				c.MaxConns = max(c.MaxConns, int32(load.Workers)+2) // one per load worker, plus flag polling
			})
			if err != nil {
				return err
			}
			defer pool.Close()
			if loadRun {
				load.Seed, load.Duration = cfg.Seed, cfg.Duration
				_, err := generate.Load(ctx, pool, load, stdout)
				return err
			}
			tel, _, err := tf.start(ctx, env, "flavortrend-generate")
			if err != nil {
				return err
			}
			defer stopTelemetry(tel)
			cfg.Telemetry = tel.Providers
			_, err = generate.Run(ctx, pool, cfg, stdout)
			return err
		},
	}
}
