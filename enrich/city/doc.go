// Package city is the city stage of the enrichers, keyed by city id: the live courier and
// restaurant features (SPEC §4.5, §4.6), the city pressure per minute (§4.7), the
// sentiment windows (§4.8), the smart alerts (§4.9) and the surge recommendations (§4.10).
// The rules themselves are pure functions in packages pressure, sentiment, alerts and
// recommend; this package keeps the counts they read and runs them on event time.
//
// # Input
//
// Its input is the topic enrich.city-events (Event), written by the order stage in its own
// transactions: every change of an order, every static SLA violation, every review joined
// with its order's restaurant and courier, and the changes of couriers, courier positions
// and restaurants, each keyed by its city. This is the repartitioning Kafka Streams does
// before a keyed aggregation: everything one city's numbers depend on arrives, in order, in
// one partition, so one instance owns the city and its state.
//
// # State
//
// Five stream.Tables, checkpointed to compacted changelogs in every transaction: per city
// (open orders, recent deliveries, placements per minute, the alert detector, the open
// sentiment windows, the last recommendation), per courier (status, vehicle, assigned open
// orders, the day's deliveries, distance and riding time, last position), per restaurant
// (placements of the last 15 minutes, pickups of the last hour, the latest order's promo
// mark, paused_until, the last published features), per open order (city, restaurant,
// courier, whether its pickup was counted), and each partition's clock.
//
// # Time
//
// A partition's clock is the newest event time of the orders, breaches and GPS fixes it has
// seen (reviews, read from a topic of their own, land in their windows without moving it). Before an event is applied,
// every minute the clock has now ended is published for every city of the partition, from
// the state before the event: the city's pressure as of the minute's end, then its order
// count and pressure fed to the alert detector, the detector advanced to the minute's end
// (episodes clear on event time), the surge recommendation, the sentiment windows the
// lateness has closed, and the restaurant features that changed. Replaying the same input
// therefore publishes the same minutes with the same values. A city with no event of its
// own is still published whenever its partition's clock moves. A partition with no traffic
// at all moves it with the order stage's Ticks (the source's heartbeat): once every
// order-stage partition has sent one, the clock goes to the smallest of their clocks. After
// a gap longer than Config.MaxCatchUp only the last MaxCatchUp of minutes is published,
// with a warning naming the minutes skipped.
//
// An open order deleted at the source (or re-keyed) arrives as OrderDeleted and stops
// counting; one open for longer than Config.OpenFor of event time is dropped.
//
// Events within the lateness (2 minutes by default) still count where a window is kept:
// placements of a minute already published update its count for peak detection, breaches
// and reviews land in their windows. Pressure is a gauge: a late order change moves the
// counts from the next minute on.
//
// Rows of couriers and restaurants carry no business time (their event time is the source's
// commit time): they change the state without moving the clock, since a simulation running
// ahead of the wall clock would otherwise be overtaken by it. Courier features are published
// at every change of the courier, stamped with the partition's clock (a couriers row that
// arrives before the partition has one waits for the courier's next change); restaurant
// features at a minute's end when they changed.
package city
