package telemetry

import "testing"

func TestTraceParentRoundTrip(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	sc := SpanContext(tp)
	if !sc.IsValid() || !sc.IsRemote() || !sc.IsSampled() {
		t.Fatalf("SpanContext(%q) = %+v, want a valid sampled remote context", tp, sc)
	}
	if got := sc.TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace id %s", got)
	}
	if got := sc.SpanID().String(); got != "b7ad6b7169203331" {
		t.Errorf("span id %s", got)
	}
	if got := TraceParent(sc); got != tp {
		t.Errorf("TraceParent = %q, want %q", got, tp)
	}
	if sc := SpanContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"); !sc.IsValid() || sc.IsSampled() {
		t.Errorf("flags 00: %+v, want a valid context not sampled", sc)
	} else if got := TraceParent(sc); got != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" {
		t.Errorf("TraceParent of flags 00 = %q", got)
	}
	for _, bad := range []string{"", "00-0af7651916cd43dd8448eb211c80319c", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x", "01+0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "garbage"} {
		if sc := SpanContext(bad); sc.IsValid() {
			t.Errorf("SpanContext(%q) is valid", bad)
		}
		if got := TraceParent(SpanContext(bad)); got != "" {
			t.Errorf("TraceParent of %q = %q, want empty", bad, got)
		}
	}
}
