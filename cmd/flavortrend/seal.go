package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/delivered"
	"github.com/flavortrend/flavortrend/internal/store"
)

func sealCommand() command {
	return command{
		name:    "seal",
		summary: "seal the delivered orders (revenue, rankings) of every finished hour that changed, once (the ingester does it every -seal-interval)",
		run: func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
			var ch config.ClickHouse
			fs := config.NewFlags("seal", env)
			ch.Bind(fs)
			if err := parseFlags(fs, args, stdout); err != nil {
				return err
			}
			conn, err := store.ClickHouse(ctx, ch)
			if err != nil {
				return err
			}
			defer conn.Close()
			start := time.Now()
			n, err := delivered.Store{Conn: conn, Database: ch.Database}.Seal(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "seal: %d hours sealed in %s\n", n, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}
