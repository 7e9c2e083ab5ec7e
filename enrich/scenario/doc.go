// Package scenario estimates the impact of a what-if scenario on a city (SPEC §4.11):
// given the city's current baseline and a promo factor, a courier outage share and rain,
// it predicts pressure, demand per courier, average delivery minutes, breaches per
// minute and a typical order's ETA, and returns baseline, predicted and deltas.
//
// It uses only the live formulas and the current ETA model, no invented constants: the
// pressure formula of SPEC §4.7 (enrich/pressure) and a Predictor, a one-method view of
// the ETA model that the caller adapts the promoted model to (filling the model's feature
// vector from Order). Estimate is a pure function; the API gathers the baseline from
// ClickHouse and calls it.
//
// # Assumptions
//
// The estimate is a steady state: the city as it would settle with the scenario in force.
//
//   - Demand. The promo factor multiplies the order rate (as the simulator's promo flag
//     does). Open orders follow Little's law, open = arrival rate × time an order stays
//     open, so they scale with the promo factor and with the change of delivery time:
//     open' = open × promo × k, where k = ETA' / ETA is the model's ratio below.
//   - Supply. The outage takes a share of the city's working couriers offline; taking the
//     couriers out at random, available couriers shrink by the same share:
//     available' = available × (1 − outage), a fractional count (an expected value).
//   - Rain changes delivery times only through the model's rain input: the typical order
//     is predicted with rain on. Rain false leaves the current weather as it is (a
//     scenario cannot stop rain that is falling).
//   - Delivery time. The model's ETA for the typical order, under the baseline and under
//     the scenario, gives the ratio k = ETA' / ETA; the city's average delivery minutes
//     scale by it (avg' = avg × k), so the estimate keeps the city's observed level and
//     takes only the change from the model. The typical order's pressure feature is the
//     city pressure, and the city pressure depends on the delivery time (delay_excess)
//     and on open orders; Estimate solves this loop by fixed-point iteration on the
//     pressure (see Estimate).
//   - Breaches. A breach is an order delivered (or still open) beyond the SLA threshold.
//     Taking the delivery times of the city to keep their shape and scale with the
//     average, and their tail above the threshold to be exponential — the simplest shape
//     fully determined by one observed number — the share of orders that breach goes
//     from q = breaches / orders to q' = q^(1/k), whatever the threshold. Breaches per
//     minute scale as breaches' = breaches × promo × q' / q. A city with no breach now is
//     predicted to have none; a city with no order now keeps its breaches per minute.
//   - No delivery in the last 15 minutes (Baseline.HaveDeliveries false): pressure keeps
//     delay_excess at 0 in both baseline and prediction (SPEC §4.7 as implemented in
//     enrich/pressure), and the average delivery minutes reported are the model's ETA.
//
// An identity scenario (promo 1, outage 0, no rain) therefore predicts exactly the
// baseline.
package scenario
