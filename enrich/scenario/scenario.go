package scenario

import (
	"fmt"
	"math"
	"strings"

	"github.com/flavortrend/flavortrend/enrich/pressure"
)

// Typical is the feature context of a typical order of the city (for instance the
// city's median distance and preparation time over the last hour, and the current rain
// and rush-hour flags); the caller chooses it.
type Typical struct {
	DistanceKm  float64 `json:"distance_km"`
	PrepMinutes float64 `json:"prep_minutes"`
	Rain        bool    `json:"rain"`
	RushHour    bool    `json:"rush_hour"`
}

// Order is what the Predictor is asked about: the typical order under a scenario, with
// the city pressure Estimate computed for it.
type Order struct {
	Typical
	Pressure float64 `json:"pressure"`
}

// Predictor is the current ETA model, adapted by the caller: PredictMinutes returns the
// predicted delivery minutes (placed → delivered) of an order, which must be positive.
type Predictor interface {
	PredictMinutes(o Order) float64
}

// Baseline is the city now.
type Baseline struct {
	OpenOrders        int     `json:"open_orders"`
	AvailableCouriers int     `json:"available_couriers"`
	OrdersPerMinute   float64 `json:"orders_per_minute"`
	// AvgDeliveryMinutes is the mean delivery minutes of the orders delivered in the
	// last 15 minutes; HaveDeliveries is false when there were none.
	AvgDeliveryMinutes float64 `json:"avg_delivery_minutes"`
	HaveDeliveries     bool    `json:"have_deliveries"`
	BreachesPerMinute  float64 `json:"breaches_per_minute"`
	Typical            Typical `json:"typical"`
}

// Scenario is the what-if.
type Scenario struct {
	PromoFactor float64 `json:"promo_factor"` // ≥ 1; 1 is no promo
	OutageShare float64 `json:"outage_share"` // 0–1 of the couriers taken offline
	Rain        bool    `json:"rain"`
}

// Metrics describe the city under one scenario. Counts are expected values and may be
// fractional; nothing but the pressure is rounded.
type Metrics struct {
	OpenOrders         float64 `json:"open_orders"`
	AvailableCouriers  float64 `json:"available_couriers"`
	OrdersPerMinute    float64 `json:"orders_per_minute"`
	Pressure           float64 `json:"pressure"`
	DemandPerCourier   float64 `json:"demand_per_courier"`
	AvgDeliveryMinutes float64 `json:"avg_delivery_minutes"`
	BreachesPerMinute  float64 `json:"breaches_per_minute"`
	TypicalETAMinutes  float64 `json:"typical_eta_minutes"`
}

// Impact is the estimate: the city now, under the scenario, and the difference
// (predicted − baseline, field by field).
type Impact struct {
	Baseline  Metrics `json:"baseline"`
	Predicted Metrics `json:"predicted"`
	Delta     Metrics `json:"delta"`
}

// maxRounds bounds the fixed-point iteration. The pressure lives on a grid of 1001
// values (0.0 to 100.0 by 0.1). With a model whose ETA does not fall as pressure rises,
// every round moves the pressure the same way as the first (a higher pressure gives a
// higher ETA, hence more open orders and slower deliveries, hence a higher pressure), so
// it settles within 1001 rounds, in practice a handful. Only a model that is not monotone
// in pressure can cycle, and then Estimate reports an error rather than pick a value.
const maxRounds = 1001

// Estimate predicts the city under the scenario (see the package documentation for the
// assumptions). The prediction is a fixed point: starting from the baseline pressure,
// each round asks the model for the typical ETA at the current pressure, scales open
// orders and average delivery minutes by k = ETA' / ETA, and recomputes the pressure
// with the SPEC §4.7 formula, until the pressure no longer changes.
func Estimate(b Baseline, s Scenario, p Predictor) (Impact, error) {
	if err := validate(b, s, p); err != nil {
		return Impact{}, err
	}
	now := pressure.Compute(b.OpenOrders, b.AvailableCouriers, b.AvgDeliveryMinutes, b.HaveDeliveries)
	eta, err := predict(p, Order{Typical: b.Typical, Pressure: now.Pressure})
	if err != nil {
		return Impact{}, err
	}
	avg := b.AvgDeliveryMinutes
	if !b.HaveDeliveries {
		avg = eta
	}
	base := Metrics{
		OpenOrders:         float64(now.OpenOrders),
		AvailableCouriers:  float64(now.AvailableCouriers),
		OrdersPerMinute:    b.OrdersPerMinute,
		Pressure:           now.Pressure,
		DemandPerCourier:   now.DemandPerCourier,
		AvgDeliveryMinutes: avg,
		BreachesPerMinute:  b.BreachesPerMinute,
		TypicalETAMinutes:  eta,
	}

	typical := b.Typical
	typical.Rain = typical.Rain || s.Rain
	next := Metrics{
		AvailableCouriers: base.AvailableCouriers * (1 - s.OutageShare),
		OrdersPerMinute:   base.OrdersPerMinute * s.PromoFactor,
		Pressure:          base.Pressure,
	}
	settled := false
	for range maxRounds {
		etaNext, err := predict(p, Order{Typical: typical, Pressure: next.Pressure})
		if err != nil {
			return Impact{}, err
		}
		k := etaNext / eta
		next.TypicalETAMinutes = etaNext
		next.OpenOrders = base.OpenOrders * s.PromoFactor * k
		next.AvgDeliveryMinutes = avg * k
		next.DemandPerCourier = pressure.DemandPerCourier(next.OpenOrders, next.AvailableCouriers)
		var excess float64
		if b.HaveDeliveries {
			excess = pressure.DelayExcess(next.AvgDeliveryMinutes)
		}
		score := pressure.Score(next.DemandPerCourier, excess)
		if score == next.Pressure {
			next.BreachesPerMinute = breaches(b, s.PromoFactor, k)
			settled = true
			break
		}
		next.Pressure = score
	}
	if !settled {
		return Impact{}, fmt.Errorf("scenario: pressure did not settle in %d rounds (is the model monotone in pressure?)", maxRounds)
	}
	return Impact{Baseline: base, Predicted: next, Delta: delta(next, base)}, nil
}

// breaches scales breaches per minute: × promo for the order volume, × q'/q for the share
// of orders breaching, with q = breaches / orders per minute (at most 1) and
// q' = q^(1/k) (package documentation, "Breaches").
func breaches(b Baseline, promo, k float64) float64 {
	if b.OrdersPerMinute == 0 || b.BreachesPerMinute == 0 {
		return b.BreachesPerMinute
	}
	q := math.Min(b.BreachesPerMinute/b.OrdersPerMinute, 1)
	return b.BreachesPerMinute * promo * math.Pow(q, 1/k-1) // q'/q = q^(1/k − 1), exactly 1 at k = 1
}

func predict(p Predictor, o Order) (float64, error) {
	m := p.PredictMinutes(o)
	if !(m > 0) || math.IsInf(m, 0) {
		return 0, fmt.Errorf("scenario: predictor returned %v minutes for %+v", m, o)
	}
	return m, nil
}

func delta(a, b Metrics) Metrics {
	return Metrics{
		OpenOrders:         a.OpenOrders - b.OpenOrders,
		AvailableCouriers:  a.AvailableCouriers - b.AvailableCouriers,
		OrdersPerMinute:    a.OrdersPerMinute - b.OrdersPerMinute,
		Pressure:           math.Round((a.Pressure-b.Pressure)*10) / 10, // both on the 0.1 grid
		DemandPerCourier:   a.DemandPerCourier - b.DemandPerCourier,
		AvgDeliveryMinutes: a.AvgDeliveryMinutes - b.AvgDeliveryMinutes,
		BreachesPerMinute:  a.BreachesPerMinute - b.BreachesPerMinute,
		TypicalETAMinutes:  a.TypicalETAMinutes - b.TypicalETAMinutes,
	}
}

func validate(b Baseline, s Scenario, p Predictor) error {
	var errs []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	check(p != nil, "no predictor")
	check(s.PromoFactor >= 1 && finite(s.PromoFactor), "promo factor %v, want ≥ 1", s.PromoFactor)
	check(s.OutageShare >= 0 && s.OutageShare <= 1, "outage share %v, want 0–1", s.OutageShare)
	check(b.OpenOrders >= 0, "open orders %d, want ≥ 0", b.OpenOrders)
	check(b.AvailableCouriers >= 0, "available couriers %d, want ≥ 0", b.AvailableCouriers)
	check(b.OrdersPerMinute >= 0 && finite(b.OrdersPerMinute), "orders per minute %v, want ≥ 0", b.OrdersPerMinute)
	check(b.BreachesPerMinute >= 0 && finite(b.BreachesPerMinute), "breaches per minute %v, want ≥ 0", b.BreachesPerMinute)
	check(!b.HaveDeliveries || b.AvgDeliveryMinutes > 0 && finite(b.AvgDeliveryMinutes),
		"average delivery minutes %v, want > 0", b.AvgDeliveryMinutes)
	if len(errs) > 0 {
		return fmt.Errorf("scenario: %s", strings.Join(errs, "; "))
	}
	return nil
}
