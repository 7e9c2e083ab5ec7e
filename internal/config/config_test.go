package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/internal/config"
)

func env(m map[string]string) config.Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFlagsTakeDefaultsFromEnv(t *testing.T) {
	var (
		pg      config.Postgres
		kafka   config.Kafka
		n       int
		rate    float64
		every   time.Duration
		verbose bool
	)
	fs := config.NewFlags("t", env(map[string]string{
		"FT_PG_URL": "postgres://u@h:1/db", "FT_KAFKA_BROKERS": "a:1, b:2", "FT_N": "7", "FT_EVERY": "3s", "FT_V": "true",
	}))
	pg.Bind(fs)
	kafka.Bind(fs)
	fs.Int(&n, "n", "FT_N", 1, "n")
	fs.Float(&rate, "rate", "FT_RATE", 15, "rate")
	fs.Duration(&every, "every", "FT_EVERY", time.Second, "every")
	fs.Bool(&verbose, "v", "FT_V", false, "verbose")
	if err := fs.Parse([]string{"-rate", "2.5"}); err != nil {
		t.Fatal(err)
	}
	if pg.URL != "postgres://u@h:1/db" || strings.Join(kafka.Brokers, "|") != "a:1|b:2" || n != 7 || rate != 2.5 || every != 3*time.Second || !verbose {
		t.Fatalf("got url=%s brokers=%v n=%d rate=%v every=%v v=%v", pg.URL, kafka.Brokers, n, rate, every, verbose)
	}
	// A flag beats the environment.
	fs = config.NewFlags("t", env(map[string]string{"FT_N": "7"}))
	fs.Int(&n, "n", "FT_N", 1, "n")
	if err := fs.Parse([]string{"-n", "9"}); err != nil || n != 9 {
		t.Fatalf("n = %d, err %v; want 9", n, err)
	}
}

func TestFlagsReportBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad env int", map[string]string{"FT_N": "seven"}, nil, `FT_N="seven": not an integer`},
		{"bad env duration", map[string]string{"FT_EVERY": "soon"}, nil, `FT_EVERY="soon": not a duration`},
		{"bad flag value", nil, []string{"-n", "x"}, `invalid value "x" for flag -n`},
		{"unknown flag", nil, []string{"-bogus"}, "flag provided but not defined: -bogus"},
		{"stray argument", nil, []string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			var every time.Duration
			fs := config.NewFlags("t", env(tt.env))
			fs.SetOutput(new(strings.Builder))
			fs.Int(&n, "n", "FT_N", 1, "n")
			fs.Duration(&every, "every", "FT_EVERY", time.Second, "every")
			err := fs.Parse(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestHelpNamesTheVariable(t *testing.T) {
	var pg config.Postgres
	fs := config.NewFlags("t", env(nil))
	pg.Bind(fs)
	var out strings.Builder
	fs.SetOutput(&out)
	fs.PrintDefaults()
	if !strings.Contains(out.String(), "(env FT_PG_URL)") || !strings.Contains(out.String(), config.DefaultPostgresURL) {
		t.Fatalf("help = %s", out.String())
	}
}

// TestSecretNeverShown: a secret comes from the environment or the flag, and -h says only
// whether it is set.
func TestSecretNeverShown(t *testing.T) {
	env := func(name string) (string, bool) {
		return map[string]string{"FT_PW": "hunter2-env", "FT_TOKENS": "a=s3cret-one,b=s3cret-two"}[name], true
	}
	var pw string
	var tokens []string
	f := config.NewFlags("x", env)
	var help strings.Builder
	f.SetOutput(&help)
	f.Secret(&pw, "pw", "FT_PW", "a password")
	f.SecretList(&tokens, "tokens", "FT_TOKENS", "tokens")
	f.PrintDefaults()
	if strings.Contains(help.String(), "hunter2") || strings.Contains(help.String(), "s3cret") || !strings.Contains(help.String(), "(set)") {
		t.Errorf("help shows a secret or not that it is set:\n%s", help.String())
	}
	if pw != "hunter2-env" || len(tokens) != 2 || tokens[1] != "b=s3cret-two" {
		t.Errorf("from the environment: %q %q", pw, tokens)
	}
	if err := f.Parse([]string{"-pw", "from-flag"}); err != nil || pw != "from-flag" {
		t.Errorf("from the flag: %q, %v", pw, err)
	}
}
