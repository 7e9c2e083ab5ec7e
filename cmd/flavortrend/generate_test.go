package main

import (
	"context"
	"strings"
	"testing"
)

// TestGenerateFlags: invalid seed and generate settings end in one error line naming the
// flag (or the variable), before any connection is tried.
func TestGenerateFlags(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"negative rate", nil, []string{"generate", "-rate", "-3"}, "-rate -3"},
		{"zero rate", nil, []string{"generate", "-rate", "0"}, "-rate 0"},
		{"negative speed", nil, []string{"generate", "-speed", "-1"}, "-speed -1"},
		{"bad duration", nil, []string{"generate", "-duration", "soon"}, "-duration"},
		{"negative duration", nil, []string{"generate", "-duration", "-5m"}, "-duration -5m"},
		{"bad start", nil, []string{"generate", "-start", "yesterday"}, `-start "yesterday"`},
		{"no workers", nil, []string{"generate", "-load", "-workers", "0"}, "-workers 0"},
		{"negative orders", nil, []string{"generate", "-load", "-orders", "-1"}, "-orders -1"},
		{"bad batch", nil, []string{"generate", "-batch", "0"}, "-batch 0"},
		{"bad env rate", map[string]string{"FT_GENERATE_RATE": "fast"}, []string{"generate"}, "FT_GENERATE_RATE"},
		{"bad seed", nil, []string{"seed", "-seed", "x"}, "-seed"},
		{"postgres down", nil, []string{"seed", "-pg-url", "postgres://flavortrend@127.0.0.1:1/flavortrend"}, "postgres 127.0.0.1:1 unreachable"},
		{"postgres down for generate", nil, []string{"generate", "-pg-url", "postgres://flavortrend@127.0.0.1:1/flavortrend"}, "postgres 127.0.0.1:1 unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var out, errOut strings.Builder
			err := run(context.Background(), env, tt.args, &out, &errOut)
			if err == nil {
				t.Fatalf("run %v succeeded", tt.args)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line containing %q", msg, tt.want)
			}
		})
	}
}

func TestGenerateHelpListsEnv(t *testing.T) {
	var out, errOut strings.Builder
	_ = run(context.Background(), noEnv, []string{"generate", "-h"}, &out, &errOut)
	for _, v := range []string{"FT_SEED", "FT_GENERATE_RATE", "FT_GENERATE_SPEED", "FT_GENERATE_START", "FT_GENERATE_DURATION",
		"FT_GENERATE_LOAD", "FT_GENERATE_WORKERS", "FT_GENERATE_ORDERS", "FT_GENERATE_BATCH", "FT_PG_URL"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("generate -h does not mention %s", v)
		}
	}
}
