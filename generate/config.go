package generate

import (
	"fmt"
	"time"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// DefaultRate is the base order rate across all cities, orders per simulated minute.
const DefaultRate = 15

// Config drives the simulator (Run).
type Config struct {
	// Seed makes the run reproducible: the same seed, start time and reference data
	// without scenario flags produce the same rows.
	Seed int64
	// Rate is the base number of orders per simulated minute across all cities, before
	// the calendar, population and promo multipliers; 0 means DefaultRate.
	Rate float64
	// Speed is simulated seconds per wall-clock second: 1 real time, N accelerated ×N,
	// 0 as fast as the database takes it.
	Speed float64
	// Start is the simulated start time; zero means now, truncated to the second.
	Start time.Time
	// Duration is how much simulated time to run; 0 runs until the context is cancelled.
	Duration time.Duration
	// Telemetry gets the spans and metrics of docs/telemetry.md. With a tracer provider,
	// each order's trace_parent is the context of its generate.order span; without one it
	// is drawn from the seeded generator.
	Telemetry telemetry.Providers
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.Rate < 0:
		return fmt.Errorf("rate %v: must not be negative", c.Rate)
	case c.Speed < 0:
		return fmt.Errorf("speed %v: must not be negative", c.Speed)
	case c.Duration < 0:
		return fmt.Errorf("duration %v: must not be negative", c.Duration)
	}
	return nil
}

func (c Config) withDefaults(now time.Time) Config {
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Start.IsZero() {
		c.Start = now.Truncate(time.Second)
	}
	c.Start = c.Start.UTC()
	return c
}
