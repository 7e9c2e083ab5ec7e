// Package alerts detects the smart alerts of SPEC §4.9 for one city: driver_shortage,
// sla_spike and peak_start. Each alert is raised once per episode and cleared once when
// its condition is gone; acknowledging and muting are operator actions handled by the
// API, not here.
//
// A Detector is fed the city's events on event time and returns the transitions to
// publish on the alerts topic: Pressure (one per minute, from city.pressure), Breach (one
// per static SLA breach, from sla.violations), OrdersPerMinute (one per minute) and
// Advance (the runtime's event-time clock, so that episodes clear even when no event
// arrives). It reads no clock: every instant comes from its arguments.
//
// # Signals and episodes
//
// Each kind turns its inputs into hot signals, instants or intervals of event time when
// its condition holds:
//
//   - driver_shortage: a minute whose pressure is ≥ 75 (SPEC §4.7's warning) is hot at
//     the end of that minute.
//   - sla_spike: the city is hot while the number of static breaches in the sliding
//     window (t − 10 min, t] is ≥ 3, each breach counted at the start of its minute: the
//     state keeps a count per minute, not every breach time, so that a backlog of tens
//     of thousands of breaches stays a dozen numbers (a city's state is one Kafka record).
//   - peak_start: a minute is hot when the orders of the 5 minutes ending with it, per
//     minute, are ≥ 1.5 × the trailing 2-hour average orders per minute (see
//     "peak_start" below).
//
// An episode opens (state raised) at the first hot signal when none is open, and clears
// (state cleared) 5 minutes after its signal last held: a hot signal that starts no later
// than 5 minutes after the previous one ended belongs to the same episode. For
// driver_shortage this is exactly SPEC's "pressure ≥ 75 in the last 5 minutes": the
// episode clears when 5 consecutive minutes have passed with no minute ≥ 75, so pressure
// flapping around 75 gives one episode, not one per minute. For sla_spike and peak_start
// the same 5-minute hold keeps a count that hovers at the threshold (3 breaches in 10
// minutes at a steady one every 3–4 minutes; an order rate at 1.5× give or take one
// order) from raising and clearing every few minutes; it is the window SPEC gives for
// driver_shortage, reused so that every kind behaves alike. cleared_at is the instant
// the hold ran out (the last hot instant + 5 min), not the instant the clear was
// computed, so a replay gives the same record.
//
// # Event time and late events
//
// The detector's watermark is the highest event time it has seen: a breach's time, the
// end of a reported minute (a minute's value exists only once the minute is over), or
// the instant passed to Advance. An input more than the lateness (default 2 minutes,
// SPEC §4 preamble) behind the watermark is too late: it is ignored and counted
// (Dropped). Within the lateness it counts in full.
//
// Raising is eager: a hot signal raises as soon as it arrives, because a late pressure
// minute or breach can only add heat, never remove it. (For peak_start a late or
// corrected minute count can also lower a rate or raise a trailing average; a raise
// already published is not withdrawn for that.) Clearing is deferred until the hold's
// end is more than the lateness behind the watermark, because until then a late hot
// input may still extend the episode. A hot signal that starts after the open episode's
// hold ends, but before that end is final, waits: the runtime receives the clear and the
// next raise together once it is. An input arriving late within the lateness can make
// the sliding breach count reach 3 at an earlier instant than the raise said; raised_at
// is not moved (it stays the instant of the signal that raised the episode), so the id
// of an episode never changes once published.
//
// # peak_start
//
// One minute's order count is noisy (a city taking 2 orders a minute sees 4 in a minute
// often enough by chance), so the current rate is the mean of the 5 minutes ending with
// the minute, and a minute is hot only when those 5 minutes hold at least 10 orders:
// below 2 orders a minute a 50 % rise is within chance (the standard deviation of a
// Poisson count of 10 is 3, so 15 instead of 10 is 1.6 standard deviations). The
// trailing average is the mean orders per minute of the up to 120 minutes before those
// 5, so a peak is not measured against itself; minutes without a report count as 0
// orders (the runtime may skip empty minutes). Warm-up: a minute is evaluated only when
// at least 30 minutes of history precede its 5-minute window, counted from the first
// minute ever reported; until then the trailing average is too short to mean anything
// and no peak_start is raised. After a restart from a checkpoint the history is restored
// and there is no second warm-up. A corrected count for a minute (the runtime reporting
// the same minute again) replaces the earlier one and re-evaluates the 5 minutes whose
// rate it enters. A long peak clears by itself once the trailing average has caught up
// with it.
//
// # Severity, ids and text
//
// driver_shortage is critical from pressure 85 (SPEC §4.7), warning below; sla_spike is
// critical from 6 breaches in 10 minutes (twice the spike threshold), warning below;
// peak_start is info: more demand is not yet a failure, and the other two kinds fire if
// it becomes one. The raised record carries the severity of the signal that raised it;
// the cleared record the worst severity of the episode, and its details add the
// episode's peak, so the last record of an episode (the one ClickHouse keeps for the id)
// describes all of it.
//
// An alert id is "<kind>-<city id>-<episode start, UTC, to the microsecond>", e.g.
// driver_shortage-7-20250314T100100.000000Z: it depends only on the inputs, so a replay
// of the same events yields the same ids, and the cleared record has the id of its
// raised record.
//
// # Checkpoints
//
// Detector marshals to and from JSON (MarshalJSON, UnmarshalJSON) with its whole state:
// open episodes, waiting signals, the breaches and minute counts still needed, the
// watermark and the lateness. A detector restored from a checkpoint continues exactly as
// the original would have.
package alerts
