// Package sla decides the service-level violations of SPEC §4.3 (static: a fixed delivery
// deadline per city, topic sla.violations) and §4.4 (dynamic: delivery against the ETA
// predicted at placement, topic sla.dynamic_violations). Everything here is pure: times
// are event times passed in (placed_at, delivered_at, the event-time clock of the
// caller), never the clock.
package sla

import (
	"fmt"
	"time"
)

// DefaultThreshold is SPEC §4.3's static SLA: "An order breaches when delivered_at −
// placed_at > 45 minutes (configurable per city)."
const DefaultThreshold = 45 * time.Minute

// Thresholds is the static SLA configuration: a default and per-city overrides.
// The zero value applies DefaultThreshold everywhere.
type Thresholds struct {
	Default time.Duration           // 0: DefaultThreshold
	PerCity map[int32]time.Duration // by cities.id; overrides Default
}

// For is the threshold of a city: its override, else Default, else DefaultThreshold.
func (t Thresholds) For(cityID int32) time.Duration {
	if d, ok := t.PerCity[cityID]; ok {
		return d
	}
	if t.Default != 0 {
		return t.Default
	}
	return DefaultThreshold
}

// Validate rejects a negative Default and a non-positive override, so that a
// configuration mistake fails at start rather than flagging every order.
func (t Thresholds) Validate() error {
	if t.Default < 0 {
		return fmt.Errorf("sla: default threshold %v, want > 0", t.Default)
	}
	for city, d := range t.PerCity {
		if d <= 0 {
			return fmt.Errorf("sla: threshold of city %d is %v, want > 0", city, d)
		}
	}
	return nil
}

// Static is the static SLA rule of SPEC §4.3 for a delivered order: breached when
// delivered_at − placed_at > threshold (strictly: delivered exactly at the threshold is on
// time), and "delay_minutes = actual − 45", generalised to the city's threshold:
//
//	delay_minutes = (delivered_at − placed_at) / 1 min − threshold / 1 min
//
// as a float, negative when delivered early (the caller only emits breaches).
func Static(placedAt, deliveredAt time.Time, threshold time.Duration) (breached bool, delayMinutes float64) {
	actual := deliveredAt.Sub(placedAt)
	return actual > threshold, actual.Minutes() - threshold.Minutes()
}

// Kind is the kind of a static violation.
type Kind string

// The two static violations. An order gets at most one of them (see Tracker).
const (
	// AtRisk: the order was still open at its deadline (SPEC §4.3: "emitted once, at the
	// moment it happens, for an order still open past 45 minutes").
	AtRisk Kind = "at_risk"
	// Breach: the order was delivered after its deadline and no at_risk was emitted
	// before (SPEC §4.3: "not again when it is delivered late").
	Breach Kind = "breach"
)

// Violation is a value of topic sla.violations (key: the order id).
type Violation struct {
	OrderID  int64     `json:"order_id"`
	CityID   int32     `json:"city_id"`
	Kind     Kind      `json:"kind"`
	PlacedAt time.Time `json:"placed_at"`
	Deadline time.Time `json:"deadline"` // placed_at + threshold
	// ObservedAt is when the violation happened in event time: for at_risk the instant
	// the order was seen open at or past its deadline (the deadline itself when the
	// caller's timer fires on time), for breach delivered_at.
	ObservedAt       time.Time `json:"observed_at"`
	ThresholdMinutes float64   `json:"threshold_minutes"`
	ActualMinutes    float64   `json:"actual_minutes"` // observed_at − placed_at, minutes
	DelayMinutes     float64   `json:"delay_minutes"`  // actual_minutes − threshold_minutes
}

// Status is what a Tracker has done for its order so far.
type Status uint8

// Tracker statuses. Only Open can still emit; the three others are final.
const (
	Open          Status = iota // open and nothing emitted
	EmittedAtRisk               // at_risk emitted; nothing more will be, even on a late delivery
	EmittedBreach               // breach emitted at a late delivery
	Closed                      // delivered on time or cancelled with nothing emitted
)

// EventKind is what happened to an order.
type EventKind uint8

// Events a Tracker handles.
const (
	// DeadlinePassed: the caller's event-time clock (its watermark: no more events at or
	// before At will come) reached At ≥ Deadline() while it still held the order open.
	DeadlinePassed EventKind = iota + 1
	// Delivered: the order was delivered at At (delivered_at).
	Delivered
	// Cancelled: the order was cancelled at At (cancelled_at).
	Cancelled
)

// Event is one event of an order, with its event time.
type Event struct {
	Kind EventKind
	At   time.Time
}

// Tracker is the static SLA decision for one order: the order, its threshold (fixed at
// placement from Thresholds.For) and what was already emitted. The caller keeps one per
// open order, sets a timer at Deadline() and calls Handle with each event; Handle returns
// the violation to emit, if any. Decisions depend only on Status and the event, so
// redelivered events emit nothing twice, and a late timer after the order was closed
// emits nothing:
//
//	status  event                          emits     next status
//	Open    DeadlinePassed, At ≥ deadline  at_risk   EmittedAtRisk
//	Open    DeadlinePassed, At < deadline  nothing   Open (timer fired early)
//	Open    Delivered, actual > threshold  breach    EmittedBreach
//	Open    Delivered, actual ≤ threshold  nothing   Closed
//	Open    Cancelled                      nothing   Closed
//	other   any                            nothing   unchanged
type Tracker struct {
	OrderID   int64
	CityID    int32
	PlacedAt  time.Time
	Threshold time.Duration
	Status    Status
}

// Deadline is placed_at + threshold: an order still open at that instant is at risk.
func (t *Tracker) Deadline() time.Time { return t.PlacedAt.Add(t.Threshold) }

// Handle applies ev to the tracker and returns the violation to emit, if any (see the
// table on Tracker).
func (t *Tracker) Handle(ev Event) (Violation, bool) {
	if t.Status != Open {
		return Violation{}, false
	}
	switch ev.Kind {
	case DeadlinePassed:
		if ev.At.Before(t.Deadline()) {
			return Violation{}, false
		}
		t.Status = EmittedAtRisk
		return t.violation(AtRisk, ev.At), true
	case Delivered:
		if breached, _ := Static(t.PlacedAt, ev.At, t.Threshold); breached {
			t.Status = EmittedBreach
			return t.violation(Breach, ev.At), true
		}
		t.Status = Closed
	case Cancelled:
		t.Status = Closed
	}
	return Violation{}, false
}

func (t *Tracker) violation(k Kind, at time.Time) Violation {
	_, delay := Static(t.PlacedAt, at, t.Threshold)
	return Violation{
		OrderID:          t.OrderID,
		CityID:           t.CityID,
		Kind:             k,
		PlacedAt:         t.PlacedAt,
		Deadline:         t.Deadline(),
		ObservedAt:       at,
		ThresholdMinutes: t.Threshold.Minutes(),
		ActualMinutes:    at.Sub(t.PlacedAt).Minutes(),
		DelayMinutes:     delay,
	}
}
