// Package config binds command-line flags whose defaults come from FT_* environment
// variables, and holds the connection settings shared by every subcommand.
//
// Only main touches the process environment: it hands os.LookupEnv to NewFlags, so
// everything below main gets plain values.
package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Env looks a variable up; main passes os.LookupEnv, tests pass a map.
type Env func(name string) (string, bool)

// Flags is a flag.FlagSet whose flags take their default from an environment variable,
// named in the help text.
type Flags struct {
	*flag.FlagSet
	env  Env
	errs []error
}

// NewFlags returns a flag set for one subcommand; parse errors are returned, not fatal.
func NewFlags(name string, env Env) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &Flags{FlagSet: fs, env: env}
}

func (f *Flags) lookup(envName string) (string, bool) {
	if envName == "" || f.env == nil {
		return "", false
	}
	v, ok := f.env(envName)
	if !ok || v == "" {
		return "", false
	}
	return v, true
}

func usage(text, envName string) string {
	if envName == "" {
		return text
	}
	return text + " (env " + envName + ")"
}

// String binds a string flag.
func (f *Flags) String(p *string, name, envName, def, text string) {
	if v, ok := f.lookup(envName); ok {
		def = v
	}
	f.StringVar(p, name, def, usage(text, envName))
}

// Int binds an int flag; a malformed environment value is reported by Parse.
func (f *Flags) Int(p *int, name, envName string, def int, text string) {
	if v, ok := f.lookup(envName); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not an integer", envName, v))
		} else {
			def = n
		}
	}
	f.IntVar(p, name, def, usage(text, envName))
}

// Int64 binds an int64 flag.
func (f *Flags) Int64(p *int64, name, envName string, def int64, text string) {
	if v, ok := f.lookup(envName); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not an integer", envName, v))
		} else {
			def = n
		}
	}
	f.Int64Var(p, name, def, usage(text, envName))
}

// Float binds a float64 flag.
func (f *Flags) Float(p *float64, name, envName string, def float64, text string) {
	if v, ok := f.lookup(envName); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a number", envName, v))
		} else {
			def = n
		}
	}
	f.Float64Var(p, name, def, usage(text, envName))
}

// Bool binds a boolean flag.
func (f *Flags) Bool(p *bool, name, envName string, def bool, text string) {
	if v, ok := f.lookup(envName); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a boolean", envName, v))
		} else {
			def = b
		}
	}
	f.BoolVar(p, name, def, usage(text, envName))
}

// Duration binds a time.Duration flag ("90s", "5m").
func (f *Flags) Duration(p *time.Duration, name, envName string, def time.Duration, text string) {
	if v, ok := f.lookup(envName); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a duration", envName, v))
		} else {
			def = d
		}
	}
	f.DurationVar(p, name, def, usage(text, envName))
}

// List binds a comma-separated list flag.
func (f *Flags) List(p *[]string, name, envName, def, text string) {
	if v, ok := f.lookup(envName); ok {
		def = v
	}
	*p = splitList(def)
	f.Func(name, usage(text, envName)+fmt.Sprintf(" (default %q)", def), func(s string) error {
		*p = splitList(s)
		return nil
	})
}

// Secret binds a string flag whose value, from the flag or the environment, is never shown:
// -h says only whether it is set.
func (f *Flags) Secret(p *string, name, envName, text string) {
	*p, _ = f.lookup(envName)
	f.Func(name, usage(text, envName)+setOrNot(*p != ""), func(s string) error {
		*p = s
		return nil
	})
}

// SecretList is List for a secret: a comma-separated list never shown.
func (f *Flags) SecretList(p *[]string, name, envName, text string) {
	v, _ := f.lookup(envName)
	*p = splitList(v)
	f.Func(name, usage(text, envName)+setOrNot(v != ""), func(s string) error {
		*p = splitList(s)
		return nil
	})
}

func setOrNot(set bool) string {
	if set {
		return " (set)"
	}
	return " (not set)"
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Parse parses args and reports malformed environment values and stray arguments.
func (f *Flags) Parse(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		return err
	}
	if len(f.errs) > 0 {
		return f.errs[0]
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	return nil
}
