package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

// TestBadInputGivesOneClearLine: invalid flags and unreachable services end in one error
// line that names the problem.
func TestBadInputGivesOneClearLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"migrate", "-nope"}, []string{"migrate:", "-nope"}},
		{"bad target", []string{"migrate", "-target", "mysql"}, []string{`-target "mysql"`}},
		{"postgres down", []string{"migrate", "-target", "postgres", "-pg-url", "postgres://flavortrend@127.0.0.1:1/flavortrend"},
			[]string{"postgres 127.0.0.1:1 unreachable"}},
		{"clickhouse down", []string{"migrate", "-target", "clickhouse", "-ch-addr", "127.0.0.1:1"}, []string{"clickhouse 127.0.0.1:1 unreachable"}},
		{"connect down", []string{"cdc", "register", "-connect-url", "http://127.0.0.1:1"}, []string{"kafka connect http://127.0.0.1:1 unreachable"}},
		{"cdc action", []string{"cdc", "launch"}, []string{`unknown action "launch"`}},
		{"kafka down", []string{"watch", "-kafka-brokers", "127.0.0.1:1"}, []string{"kafka 127.0.0.1:1 unreachable"}},
		{"watch interval", []string{"watch", "-interval", "1ns"}, []string{"-interval 1ns"}},
		{"bad duration", []string{"cdc", "register", "-heartbeat", "often"}, []string{"-heartbeat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			err := run(context.Background(), noEnv, tt.args, &out, &errOut)
			if err == nil {
				t.Fatalf("run %v succeeded", tt.args)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
		})
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	var out, errOut strings.Builder
	if err := run(context.Background(), noEnv, []string{"frobnicate"}, &out, &errOut); !errors.Is(err, errUsage) ||
		!strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: err %v, stderr %q", err, errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), noEnv, []string{"help"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(out.String(), c.name) {
			t.Errorf("help does not list %s", c.name)
		}
	}
	out.Reset()
	if err := run(context.Background(), noEnv, []string{"migrate", "-h"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(out.String(), "FT_PG_URL") || !strings.Contains(out.String(), "FT_CH_ADDR") {
		t.Fatalf("migrate -h: err %v, out %q", err, out.String())
	}
}
