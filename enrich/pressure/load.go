package pressure

import "math"

// LoadScore is the restaurant load score of SPEC §4.6:
//
//	load_score = min(100, 100 × (0.6 × orders15 / max(orders15 over the city)
//	                           + 0.4 × prep / max(max prep over the city, 20)))
//
// orders15 is the restaurant's orders_last_15m and maxOrders15InCity the largest
// orders_last_15m among the restaurants of its city (this one included); prepMinutes is
// its avg_prep_minutes_last_hour and maxPrepInCity the largest such value in the city.
//
// Zero divisions: when no restaurant of the city had an order in the last 15 minutes
// (maxOrders15InCity ≤ 0) the order term is 0, since nobody is loaded by orders; the
// preparation divisor is never below 20 minutes, so it cannot be zero, and the floor also
// keeps a city where every kitchen is quick (say 8 minutes at most) from scoring its
// slowest kitchen as fully loaded. A restaurant without pickups in the last hour passes
// prepMinutes 0. Negative arguments count as 0. The result is not rounded.
func LoadScore(orders15, maxOrders15InCity, prepMinutes, maxPrepInCity float64) float64 {
	var orderTerm float64
	if maxOrders15InCity > 0 {
		orderTerm = math.Max(orders15, 0) / maxOrders15InCity
	}
	prepTerm := math.Max(prepMinutes, 0) / math.Max(maxPrepInCity, 20)
	return math.Min(100, 100*(0.6*orderTerm+0.4*prepTerm))
}
