package alerts

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestManyBreachesStaySmall: 50,000 breaches in one city within 10 minutes (one every
// 12 ms) give one sla_spike episode, raised by the first three and cleared 5 minutes after
// the count falls below 3, critical with its peak of 50,000; the state stays a few hundred
// bytes all along (it held every breach time before, about 1.5 MB: over Kafka's record
// limit).
func TestManyBreachesStaySmall(t *testing.T) {
	d := newSfax()
	var all []Alert
	largest := 0
	for i := range 50000 {
		all = append(all, d.Breach(t0.Add(time.Duration(i)*12*time.Millisecond))...)
		if i%1000 == 999 {
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			largest = max(largest, len(b))
		}
	}
	if largest > 2000 {
		t.Errorf("state grew to %d bytes, want a few hundred", largest)
	}
	if len(all) != 1 {
		t.Fatalf("%d alerts during the breaches, want the raise: %+v", len(all), all)
	}
	checkAlert(t, all[0], SLASpike, Raised, Warning, clock(0), nil)

	// The last minute, 10:09, holds 5,000 breaches: the count stays ≥ 3 until 10:19, the
	// hold runs to 10:24, final once the watermark passes 10:26.
	if got := d.Advance(clock(26)); len(got) != 0 {
		t.Fatalf("Advance(10:26): %+v, want nothing yet", got)
	}
	got := d.Advance(clock(26).Add(time.Second))
	if len(got) != 1 {
		t.Fatalf("Advance(10:26:01): %+v, want the clear", got)
	}
	checkAlert(t, got[0], SLASpike, Cleared, Critical, clock(0), ptr(clock(24)))
	if !strings.Contains(got[0].Details, "peak 50000 breaches") {
		t.Errorf("cleared details = %q, want the peak of 50000", got[0].Details)
	}
	if n := len(d.st.Breaches); n != 0 {
		t.Errorf("%d breach minutes kept after the window passed, want 0", n)
	}
}

// TestRestoreLegacyBreaches: a state written when every breach time was kept restores
// into per-minute counts and goes on as the counts would.
func TestRestoreLegacyBreaches(t *testing.T) {
	legacy := `{"city_id":7,"city_name":"Sfax","lateness":"2m0s","watermark":"2025-03-14T10:04:20Z",` +
		`"breaches":["2025-03-14T10:01:10Z","2025-03-14T10:04:20Z"]}`
	var d Detector
	if err := json.Unmarshal([]byte(legacy), &d); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); strings.Contains(s, `"breaches"`) ||
		!strings.Contains(s, `"breach_minutes":{"1741946460":1,"1741946640":1}`) {
		t.Errorf("restored state %s, want the breaches counted per minute", s)
	}
	got := d.Breach(clock(8))
	if len(got) != 1 {
		t.Fatalf("third breach: %+v, want the raise", got)
	}
	checkAlert(t, got[0], SLASpike, Raised, Warning, clock(8), nil)
}
