package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/flavortrend/flavortrend/internal/config"
)

// parseFlags parses a subcommand's flags: -h prints its help to stdout, and a bad flag
// becomes one error line naming it (the flag package's own output is suppressed).
func parseFlags(fs *config.Flags, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "usage: flavortrend %s [flags]\n\n", fs.Name())
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %s (flavortrend %s -h lists the flags)", fs.Name(), strings.TrimSpace(err.Error()), fs.Name())
	}
	return nil
}
