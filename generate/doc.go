// Package generate writes Flavor Trend's operational data to PostgreSQL: the reference
// data (Seed, from package refdata) and a live stream of orders (Run, the discrete-event
// simulator of SPEC §6, and Load, the bulk load generator). CDC carries everything it
// writes to the rest of the pipeline, so every lifecycle step is an UPDATE of the row.
//
// Every formula and constant of the simulation is documented beside its code:
// demand in calendar.go, weather in weather.go, timings in timing.go, reviews in
// review.go, courier dispatch in dispatch.go.
package generate
