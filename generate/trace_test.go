package generate

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

var traceParentRE = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`)

func TestTraceParent(t *testing.T) {
	a := rand.New(rand.NewPCG(1, 1))
	b := rand.New(rand.NewPCG(1, 1))
	seen := map[string]bool{}
	for range 1000 {
		tp := TraceParent(a)
		if !traceParentRE.MatchString(tp) {
			t.Fatalf("malformed traceparent %q", tp)
		}
		if tp[3:35] == "00000000000000000000000000000000" || tp[36:52] == "0000000000000000" {
			t.Fatalf("all-zero id in %q", tp)
		}
		if seen[tp] {
			t.Fatalf("duplicate %q", tp)
		}
		seen[tp] = true
		if other := TraceParent(b); other != tp {
			t.Fatalf("same seed, different traceparent: %q vs %q", tp, other)
		}
	}
}
