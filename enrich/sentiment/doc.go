// Package sentiment aggregates customer reviews into the 5-minute tumbling windows of
// SPEC §4.8, per restaurant and per courier: number of reviews, average rating, and the
// counts of positive, neutral and negative reviews (order_reviews.sentiment, which the
// review row already carries).
//
// Windows are on event time, the review's created_at, and aligned to the clock in UTC
// (hh:00, hh:05, …; Africa/Tunis is a whole hour ahead, so the local boundaries are the
// same). A window [start, start + 5 min) holds the reviews created at or after its start
// and strictly before its end: a review at exactly the end belongs to the next window.
//
// Late reviews (SPEC §4 preamble): the runtime passes its event-time watermark to Close,
// which emits, once, every window whose end + lateness (default 2 minutes) is at or
// before the watermark. Until then a window still takes reviews, however late they are
// within it; a review whose window has already been emitted is rejected with ErrLate so
// that the runtime counts or dead-letters it instead of losing it silently. Every review
// created less than the lateness before the watermark is therefore still counted.
//
// Windows is the runtime's state: it marshals to and from JSON (MarshalJSON,
// UnmarshalJSON) for the compacted changelog topic, and a restored aggregator continues
// exactly where the checkpoint left it.
package sentiment
