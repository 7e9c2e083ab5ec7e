// Package pressure holds the load formulas of SPEC §4.5–§4.7: the per-city, per-minute
// pressure score and its levels (Compute), the restaurant load score (LoadScore), and the
// courier availability and display thresholds (CourierAvailable, CourierLoadOf).
//
// Everything here is a pure function of its arguments: the streaming runtime counts open
// orders, available couriers and recent deliveries in its state stores and calls these
// functions to turn the counts into the published numbers. The scenario estimate
// (enrich/scenario) reuses the building blocks DemandPerCourier, DelayExcess and Score so
// that a what-if uses exactly the live formula.
package pressure
