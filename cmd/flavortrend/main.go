// Command flavortrend is the one binary of Flavor Trend: each pipeline stage and each
// operator task is a subcommand (flavortrend help lists them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/flavortrend/flavortrend/internal/config"
)

// command is one subcommand: it parses its own flags (defaults from FT_* variables) and runs.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env config.Env, args []string, stdout io.Writer) error
}

func commands() []command {
	return []command{
		migrateCommand(),
		seedCommand(),
		generateCommand(),
		cdcCommand(),
		ingestCommand(),
		sealCommand(),
		enrichCommand(),
		trainCommand(),
		watchCommand(),
		statusCommand(),
		apiCommand(),
	}
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.LookupEnv, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "flavortrend: %v\n", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, env config.Env, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:], stdout)
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil // interrupted by the operator: a clean stop
			}
			return err
		}
	}
	fmt.Fprintf(stderr, "flavortrend: unknown command %q (flavortrend help lists them)\n", args[0])
	return errUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: flavortrend <command> [flags]   (flavortrend <command> -h for its flags)")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
