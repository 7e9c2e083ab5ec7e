package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/flavortrend/flavortrend/enrich/train"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
)

func trainCommand() command {
	return command{
		name:    "train",
		summary: "train the ETA model on delivered orders in ClickHouse, register it, promote it if it wins (-every for a schedule)",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			var chCfg config.ClickHouse
			var cfg train.Config
			var every time.Duration
			fs := config.NewFlags("train", env)
			chCfg.Bind(fs)
			fs.Duration(&cfg.Window, "window", "FT_TRAIN_WINDOW", 28*24*time.Hour, "train on the delivered orders placed in this window before the newest (the newest 20 % are the test split)")
			fs.Int(&cfg.MinRows, "min-rows", "FT_TRAIN_MIN_ROWS", 1000, "fewest delivered orders to train on")
			fs.Duration(&every, "every", "FT_TRAIN_EVERY", 0, "retrain on this schedule, e.g. 168h for weekly (0: train once and exit)")
			if err := parseFlags(fs, args, stdout); err != nil {
				return err
			}
			if cfg.Window <= 0 || cfg.MinRows < 10 || every < 0 {
				return fmt.Errorf("train: -window must be positive, -min-rows at least 10, -every not negative")
			}
			cfg.Database = chCfg.Database
			ch, err := store.ClickHouse(ctx, chCfg)
			if err != nil {
				return err
			}
			defer ch.Close()
			for {
				v, err := train.Run(ctx, ch, cfg, time.Now())
				switch {
				case err != nil && every == 0:
					return err
				case err != nil:
					slog.Error("training failed; next attempt on schedule", "err", err)
				default:
					r := v.Report
					fmt.Fprintf(stdout, "%s: %d train / %d test orders; test MAE %.2f min (p50 %.2f, p90 %.2f); global mean %.2f, per-city-hour %.2f; %s\n",
						v.Version, v.TrainRows, v.TestRows, r.Model.MAE, r.Model.P50, r.Model.P90, r.GlobalMean.MAE, r.CityHourMean.MAE, v.Decision)
				}
				if every == 0 {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(every):
				}
			}
		},
	}
}
