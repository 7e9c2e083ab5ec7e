package alerts

import (
	"slices"
	"time"
)

// signal is a stretch of event time [From, To] when a kind's condition held (From == To
// for a hot minute), with the value that made it hot (a pressure, a breach count or an
// order rate) and the sentence describing it.
type signal struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Value   float64   `json:"value"`
	Details string    `json:"details"`
}

// episode is the state of one kind: the open episode, if any, and the hot signals that
// start after its hold ends and wait for it to clear.
type episode struct {
	Open     bool      `json:"open"`
	Start    time.Time `json:"start,omitzero"`    // raised_at and the id
	HotEnd   time.Time `json:"hot_end,omitzero"`  // the last instant the signal held
	Severity Severity  `json:"severity,omitzero"` // of the raising signal
	Peak     float64   `json:"peak,omitzero"`     // highest signal value so far
	Details  string    `json:"details,omitzero"`  // of the raising signal
	Pending  []signal  `json:"pending,omitempty"` // sorted by From
}

// clearAt is when the open episode clears unless another hot signal starts by then.
func (e *episode) clearAt() time.Time { return e.HotEnd.Add(Hold) }

// feed takes a hot signal of kind k for the detector's city: it raises an episode when
// none is open, extends the open one when the signal starts by its clearing time, and
// otherwise keeps the signal until the open episode clears.
func (d *Detector) feed(k Kind, s signal) []Alert {
	e := d.episode(k)
	switch {
	case !e.Open:
		*e = episode{Open: true, Start: s.From, HotEnd: s.To, Severity: k.severity(s.Value), Peak: s.Value, Details: s.Details}
		return []Alert{d.alert(k, e, nil)}
	case !s.From.After(e.clearAt()):
		e.extend(s)
	default:
		i, _ := slices.BinarySearchFunc(e.Pending, s, func(a, b signal) int { return a.From.Compare(b.From) })
		e.Pending = slices.Insert(e.Pending, i, s)
	}
	return nil
}

// extend adds a signal to the open episode, then any waiting signal that now starts by
// its clearing time.
func (e *episode) extend(s signal) {
	if s.To.After(e.HotEnd) {
		e.HotEnd = s.To
	}
	e.Peak = max(e.Peak, s.Value)
	for len(e.Pending) > 0 && !e.Pending[0].From.After(e.clearAt()) {
		next := e.Pending[0]
		e.Pending = e.Pending[1:]
		e.extend(next)
	}
}

// settle clears the open episode of kind k once its clearing time is final (more than
// the lateness behind the watermark), then raises from the waiting signals, as often as
// that applies.
func (d *Detector) settle(k Kind) []Alert {
	e := d.episode(k)
	var out []Alert
	for e.Open && e.clearAt().Before(d.horizon()) {
		at := e.clearAt()
		out = append(out, d.alert(k, e, &at))
		pending := e.Pending
		*e = episode{}
		for _, s := range pending {
			out = append(out, d.feed(k, s)...)
		}
	}
	return out
}

// alert is the record of episode e: raised, or cleared at clearedAt.
func (d *Detector) alert(k Kind, e *episode, clearedAt *time.Time) Alert {
	a := Alert{
		ID:       alertID(k, d.st.CityID, e.Start),
		CityID:   d.st.CityID,
		Kind:     k,
		Severity: e.Severity,
		Title:    k.title(d.cityName()),
		Details:  e.Details,
		RaisedAt: e.Start,
		State:    Raised,
	}
	if clearedAt != nil {
		a.Severity = k.severity(e.Peak) // the peak is at least the raising value
		a.Details += " " + k.clearNote(e.Peak)
		a.ClearedAt = clearedAt
		a.State = Cleared
	}
	return a
}
