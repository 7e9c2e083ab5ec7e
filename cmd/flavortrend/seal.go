package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/delivered"
	"github.com/flavortrend/flavortrend/internal/placed"
	"github.com/flavortrend/flavortrend/internal/seal"
	"github.com/flavortrend/flavortrend/internal/store"
)

func sealCommand() command {
	return command{
		name: "seal",
		summary: "seal the sums of every finished hour that changed, once: the delivered orders (revenue, rankings) and the " +
			"placed ones (top dishes, weather); the ingester does it every -seal-interval",
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
			for _, f := range []seal.Family{
				delivered.Store{Conn: conn, Database: ch.Database}.Family(),
				placed.Store{Conn: conn, Database: ch.Database}.Family(),
			} {
				start := time.Now()
				n, err := f.Seal(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "seal: %s: %d hours sealed in %s\n", f.Name, n, time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
}
