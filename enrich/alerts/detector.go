package alerts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Detector finds the smart alerts of one city. Create it with New; its methods are not
// safe for concurrent use (the runtime owns one per city, on one goroutine).
type Detector struct {
	st state
}

// state is everything a Detector knows, in its JSON form.
type state struct {
	CityID    int32     `json:"city_id"`
	CityName  string    `json:"city_name"`
	Lateness  string    `json:"lateness"` // time.Duration.String, e.g. "2m0s"
	Watermark time.Time `json:"watermark"`
	Dropped   int64     `json:"dropped"`

	Shortage episode `json:"driver_shortage"`
	Spike    episode `json:"sla_spike"`
	Peak     episode `json:"peak_start"`

	// Breaches counts the static breaches per minute (Unix seconds of its start), for
	// the minutes still able to share a 10-minute window with an acceptable input: a
	// breach counts at the start of its minute, so that the state holds at most a dozen
	// minutes however many orders breach in them.
	Breaches map[int64]int `json:"breach_minutes"`
	// LegacyBreaches are the breach times a state written before the breaches were
	// counted per minute holds; UnmarshalJSON counts them into Breaches.
	LegacyBreaches []time.Time `json:"breaches,omitempty"`
	// Orders maps a minute (Unix seconds of its start) to its order count, for the
	// minutes a future evaluation can still read.
	Orders map[int64]int `json:"orders"`
	// OrdersSince is the first minute ever reported, the start of the peak_start
	// history (zero before the first report).
	OrdersSince time.Time `json:"orders_since,omitzero"`

	lateness time.Duration // parsed Lateness
}

// New returns the detector of a city, which names it in alert titles (an empty name
// reads "city <id>"), accepting inputs up to lateness behind its watermark
// (DefaultLateness is SPEC's; a negative lateness counts as 0).
func New(cityID int32, cityName string, lateness time.Duration) *Detector {
	lateness = max(lateness, 0)
	return &Detector{st: state{
		CityID:   cityID,
		CityName: cityName,
		Lateness: lateness.String(),
		Breaches: map[int64]int{},
		Orders:   map[int64]int{},
		lateness: lateness,
	}}
}

// Dropped is the number of inputs ignored because they arrived more than the lateness
// behind the watermark.
func (d *Detector) Dropped() int64 { return d.st.Dropped }

// Pressure takes the city's pressure for the minute starting at minute (truncated to the
// minute): a value ≥ 75 is a hot driver_shortage minute. Its event time is the end of
// the minute. A second value for the same minute adds to what the first did, it does not
// undo it.
func (d *Detector) Pressure(minute time.Time, value float64) []Alert {
	m := minute.UTC().Truncate(time.Minute)
	end := m.Add(time.Minute)
	if !d.accept(end) {
		return nil
	}
	var out []Alert
	if value >= ShortageAt {
		out = d.feed(DriverShortage, signal{From: end, To: end, Value: value,
			Details: fmt.Sprintf("City pressure %.1f (driver shortage at ≥ %g, critical at ≥ %g).",
				value, ShortageAt, ShortageCriticalAt)})
	}
	return append(out, d.settleAll()...)
}

// Breach takes one static SLA breach of the city at its event time: one call per
// sla.violations record (SPEC §4.3 emits one per order, at risk or delivered late). The
// breach counts at the start of its minute.
func (d *Detector) Breach(at time.Time) []Alert {
	at = at.UTC()
	if !d.accept(at) {
		return nil
	}
	m := at.Truncate(time.Minute)
	d.st.Breaches[m.Unix()]++
	var out []Alert
	for _, s := range d.spikesFrom(m) {
		out = append(out, d.feed(SLASpike, s)...)
	}
	return append(out, d.settleAll()...)
}

// OrdersPerMinute takes the number of orders placed in the city in the minute starting
// at minute (truncated to the minute); a later report for the same minute replaces the
// count. Its event time is the end of the minute. Negative counts count as 0.
func (d *Detector) OrdersPerMinute(minute time.Time, count int) []Alert {
	m := minute.UTC().Truncate(time.Minute)
	if !d.accept(m.Add(time.Minute)) {
		return nil
	}
	d.st.Orders[m.Unix()] = max(count, 0)
	if d.st.OrdersSince.IsZero() || m.Before(d.st.OrdersSince) {
		d.st.OrdersSince = m
	}
	var out []Alert
	// The minute enters the current rate of itself and of the next 4 minutes.
	for j := m; j.Before(m.Add(PeakWindow)); j = j.Add(time.Minute) {
		if _, reported := d.st.Orders[j.Unix()]; !reported {
			continue
		}
		if s, hot := d.peakAt(j); hot {
			out = append(out, d.feed(PeakStart, s)...)
		}
	}
	return append(out, d.settleAll()...)
}

// Advance moves the watermark to now, an event time (the runtime's watermark, never the
// wall clock of the machine), and returns the episodes that this clears.
func (d *Detector) Advance(now time.Time) []Alert {
	d.advance(now.UTC())
	return d.settleAll()
}

// accept advances the watermark to the event time t and reports whether an input at t
// still counts; one that does not is counted in Dropped.
func (d *Detector) accept(t time.Time) bool {
	if t.Before(d.horizon()) {
		d.st.Dropped++
		return false
	}
	d.advance(t)
	return true
}

func (d *Detector) advance(t time.Time) {
	if t.After(d.st.Watermark) {
		d.st.Watermark = t
	}
}

// horizon is the instant before which everything is final: inputs earlier than it are
// too late.
func (d *Detector) horizon() time.Time { return d.st.Watermark.Add(-d.st.lateness) }

func (d *Detector) episode(k Kind) *episode {
	switch k {
	case DriverShortage:
		return &d.st.Shortage
	case SLASpike:
		return &d.st.Spike
	default:
		return &d.st.Peak
	}
}

func (d *Detector) cityName() string {
	if d.st.CityName != "" {
		return d.st.CityName
	}
	return "city " + strconv.Itoa(int(d.st.CityID))
}

// settleAll clears what the watermark has made final, in a fixed order of kinds, and
// forgets the inputs no future input can combine with.
func (d *Detector) settleAll() []Alert {
	var out []Alert
	for _, k := range []Kind{DriverShortage, SLASpike, PeakStart} {
		out = append(out, d.settle(k)...)
	}
	d.prune()
	return out
}

// prune drops the breaches and minute counts that cannot matter any more. A future
// breach counts at or after the minute of the horizon h, so only breaches after that
// minute − 10 min share a window with it; a future minute report is for a minute starting
// at or after h − 1 min, whose evaluation reads minutes back to 124 minutes before it.
func (d *Detector) prune() {
	h := d.horizon()
	first := h.Truncate(time.Minute).Add(-SpikeWindow).Unix()
	for m := range d.st.Breaches {
		if m <= first {
			delete(d.st.Breaches, m)
		}
	}
	oldest := h.Add(-PeakTrailing - PeakWindow).Unix()
	for m := range d.st.Orders {
		if m < oldest {
			delete(d.st.Orders, m)
		}
	}
}

// MarshalJSON writes the detector's whole state.
func (d Detector) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.st)
}

// UnmarshalJSON restores a state written by MarshalJSON.
func (d *Detector) UnmarshalJSON(data []byte) error {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("alerts: restore: %w", err)
	}
	lateness, err := time.ParseDuration(st.Lateness)
	if err != nil {
		return fmt.Errorf("alerts: restore: lateness: %w", err)
	}
	if !slices.IsSortedFunc(st.LegacyBreaches, time.Time.Compare) {
		return fmt.Errorf("alerts: restore: breaches out of order")
	}
	st.lateness = max(lateness, 0)
	if st.Orders == nil {
		st.Orders = map[int64]int{}
	}
	if st.Breaches == nil {
		st.Breaches = map[int64]int{}
	}
	for m, n := range st.Breaches {
		if n <= 0 {
			return fmt.Errorf("alerts: restore: %d breaches in minute %d", n, m)
		}
	}
	for _, b := range st.LegacyBreaches {
		st.Breaches[b.UTC().Truncate(time.Minute).Unix()]++
	}
	st.LegacyBreaches = nil
	d.st = st
	return nil
}
