package alerts

import (
	"fmt"
	"time"

	"github.com/flavortrend/flavortrend/enrich/pressure"
)

// Kind is the kind of a smart alert (SPEC §4.9).
type Kind string

// The kinds of SPEC §4.9.
const (
	DriverShortage Kind = "driver_shortage"
	SLASpike       Kind = "sla_spike"
	PeakStart      Kind = "peak_start"
)

// Severity grades an alert.
type Severity string

// Severities, from the least to the most urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// State is where an alert's episode stands.
type State string

// An episode is raised once and cleared once.
const (
	Raised  State = "raised"
	Cleared State = "cleared"
)

// Alert is one transition of an episode, as published on the alerts topic (key: city
// id). The raised and the cleared record of an episode share the id.
type Alert struct {
	ID        string     `json:"id"`
	CityID    int32      `json:"city_id"`
	Kind      Kind       `json:"kind"`
	Severity  Severity   `json:"severity"`
	Title     string     `json:"title"`
	Details   string     `json:"details"`
	RaisedAt  time.Time  `json:"raised_at"`
	ClearedAt *time.Time `json:"cleared_at"` // null while the episode is open
	State     State      `json:"state"`
}

// Thresholds and windows of the conditions; see the package documentation.
const (
	// DefaultLateness is how far behind the watermark an input may be and still count
	// (SPEC §4 preamble).
	DefaultLateness = 2 * time.Minute

	// Hold is how long after its signal last held an episode clears: SPEC's "in the
	// last 5 minutes" of driver_shortage, used for every kind.
	Hold = 5 * time.Minute

	ShortageAt         = pressure.WarningAt  // pressure of a driver-shortage minute
	ShortageCriticalAt = pressure.CriticalAt // critical shortage (SPEC §4.7)

	SpikeWindow     = 10 * time.Minute // SPEC: "≥ 3 static breaches in a city in 10 minutes"
	SpikeAt         = 3
	SpikeCriticalAt = 2 * SpikeAt // critical at twice the spike threshold

	PeakRatio     = 1.5             // SPEC: "orders/min ≥ 1.5 × the trailing 2-hour average"
	PeakTrailing  = 2 * time.Hour   // the trailing average's span
	PeakWindow    = 5 * time.Minute // the current rate is the mean of this many minutes
	PeakMinOrders = 10              // orders the current window needs before a rise counts
	PeakWarmup    = 30 * time.Minute
)

// severity grades a signal value of the kind: a pressure, a breach count or an order
// rate.
func (k Kind) severity(v float64) Severity {
	switch k {
	case DriverShortage:
		if v >= ShortageCriticalAt {
			return Critical
		}
		return Warning
	case SLASpike:
		if v >= SpikeCriticalAt {
			return Critical
		}
		return Warning
	default:
		return Info
	}
}

func (k Kind) title(city string) string {
	switch k {
	case DriverShortage:
		return "Driver shortage in " + city
	case SLASpike:
		return "SLA breach spike in " + city
	default:
		return "Order peak starting in " + city
	}
}

// clearNote is the sentence the cleared record adds to the details.
func (k Kind) clearNote(peak float64) string {
	switch k {
	case DriverShortage:
		return fmt.Sprintf("Cleared: no minute at pressure ≥ %g for %d minutes; peak %.1f.", ShortageAt, int(Hold.Minutes()), peak)
	case SLASpike:
		return fmt.Sprintf("Cleared: fewer than %d breaches in 10 minutes for %d minutes; peak %d breaches in 10 minutes.", SpikeAt, int(Hold.Minutes()), int(peak))
	default:
		return fmt.Sprintf("Cleared: no peak minute for %d minutes; peak %.1f orders/min.", int(Hold.Minutes()), peak)
	}
}

// alertID is the deterministic id of the episode of kind k in city that started at
// start.
func alertID(k Kind, city int32, start time.Time) string {
	return fmt.Sprintf("%s-%d-%s", k, city, start.UTC().Format("20060102T150405.000000Z"))
}
