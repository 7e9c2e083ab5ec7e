package sentiment

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Size is the length of a tumbling window (SPEC §4.8).
const Size = 5 * time.Minute

// DefaultLateness is how far behind the watermark a review may be and still count
// (SPEC §4 preamble).
const DefaultLateness = 2 * time.Minute

// EntityKind says what a window is about.
type EntityKind string

// The two kinds of SPEC §4.8: the runtime adds every review once for its order's
// restaurant and once for its order's courier.
const (
	Restaurant EntityKind = "restaurant"
	Courier    EntityKind = "courier"
)

// The order_reviews.sentiment values (SPEC §2).
const (
	Positive = "positive"
	Neutral  = "neutral"
	Negative = "negative"
)

// ErrLate is returned (wrapped) by Add for a review whose window has already been
// emitted.
var ErrLate = errors.New("sentiment: review too late, its window is closed")

// Window is one closed window of one restaurant or courier, as the runtime publishes it.
type Window struct {
	EntityKind EntityKind `json:"entity_kind"`
	EntityID   int32      `json:"entity_id"`
	Start      time.Time  `json:"window_start"` // inclusive
	End        time.Time  `json:"window_end"`   // exclusive
	Reviews    int        `json:"reviews"`
	AvgRating  float64    `json:"avg_rating"` // mean of the 1–5 ratings, not rounded
	Positive   int        `json:"positive"`
	Neutral    int        `json:"neutral"`
	Negative   int        `json:"negative"`
}

// Windows aggregates reviews into open windows until Close emits them. The zero value
// is not usable; call New.
type Windows struct {
	lateness  time.Duration
	watermark time.Time // highest watermark passed to Close
	open      map[key]*bucket
}

// key identifies an open window.
type key struct {
	kind  EntityKind
	id    int32
	start int64 // Unix seconds of the window start
}

// bucket is an open window. It keeps the sum of the ratings, not their average, so that
// the average is exact however many reviews the window takes.
type bucket struct {
	EntityKind EntityKind `json:"entity_kind"`
	EntityID   int32      `json:"entity_id"`
	Start      time.Time  `json:"window_start"`
	Reviews    int        `json:"reviews"`
	RatingSum  int        `json:"rating_sum"`
	Positive   int        `json:"positive"`
	Neutral    int        `json:"neutral"`
	Negative   int        `json:"negative"`
}

func (b *bucket) key() key { return key{b.EntityKind, b.EntityID, b.Start.Unix()} }

func (b *bucket) window() Window {
	return Window{
		EntityKind: b.EntityKind,
		EntityID:   b.EntityID,
		Start:      b.Start,
		End:        b.Start.Add(Size),
		Reviews:    b.Reviews,
		AvgRating:  float64(b.RatingSum) / float64(b.Reviews),
		Positive:   b.Positive,
		Neutral:    b.Neutral,
		Negative:   b.Negative,
	}
}

// New returns an empty aggregator that accepts reviews up to lateness behind the
// watermark (DefaultLateness is SPEC's; a negative lateness counts as 0).
func New(lateness time.Duration) *Windows {
	return &Windows{lateness: max(lateness, 0), open: map[key]*bucket{}}
}

// Add counts one review in the window of createdAt for the given restaurant or courier.
// rating is 1–5 and sentiment one of Positive, Neutral, Negative; anything else, or an
// unknown kind, is an error (a poison record for the dead-letter topic). A review whose
// window was already emitted by Close is not counted and returns an error wrapping
// ErrLate.
func (w *Windows) Add(kind EntityKind, entityID int32, createdAt time.Time, rating int, sentiment string) error {
	if kind != Restaurant && kind != Courier {
		return fmt.Errorf("sentiment: unknown entity kind %q", kind)
	}
	if rating < 1 || rating > 5 {
		return fmt.Errorf("sentiment: rating %d outside 1–5", rating)
	}
	if sentiment != Positive && sentiment != Neutral && sentiment != Negative {
		return fmt.Errorf("sentiment: unknown sentiment %q", sentiment)
	}
	start := createdAt.UTC().Truncate(Size)
	if end := start.Add(Size); w.closed(end) {
		return fmt.Errorf("%w: %s %d, created at %s, window ending %s, watermark %s", ErrLate,
			kind, entityID, createdAt.UTC().Format(time.RFC3339Nano), end.Format(time.RFC3339),
			w.watermark.Format(time.RFC3339Nano))
	}
	k := key{kind, entityID, start.Unix()}
	b := w.open[k]
	if b == nil {
		b = &bucket{EntityKind: kind, EntityID: entityID, Start: start}
		w.open[k] = b
	}
	b.Reviews++
	b.RatingSum += rating
	switch sentiment {
	case Positive:
		b.Positive++
	case Neutral:
		b.Neutral++
	default:
		b.Negative++
	}
	return nil
}

// Close advances the watermark (it never goes back: a lower value changes nothing) and
// returns, once, every open window with end + lateness ≤ watermark, ordered by start,
// then kind, then entity id. A window without reviews does not exist and is never
// returned.
func (w *Windows) Close(watermark time.Time) []Window {
	if watermark.After(w.watermark) {
		w.watermark = watermark.UTC()
	}
	var closed []*bucket
	for k, b := range w.open {
		if w.closed(b.Start.Add(Size)) {
			closed = append(closed, b)
			delete(w.open, k)
		}
	}
	slices.SortFunc(closed, byStart)
	out := make([]Window, len(closed))
	for i, b := range closed {
		out[i] = b.window()
	}
	return out
}

// closed reports whether the window ending at end has been (or is now to be) emitted.
func (w *Windows) closed(end time.Time) bool {
	return !end.Add(w.lateness).After(w.watermark)
}

func byStart(a, b *bucket) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	if c := cmp.Compare(a.EntityKind, b.EntityKind); c != 0 {
		return c
	}
	return cmp.Compare(a.EntityID, b.EntityID)
}

// checkpoint is the JSON form of Windows. Open windows are listed in a fixed order so
// that the same state always gives the same bytes.
type checkpoint struct {
	Lateness  string    `json:"lateness"` // time.Duration.String, e.g. "2m0s"
	Watermark time.Time `json:"watermark"`
	Open      []*bucket `json:"open"`
}

// MarshalJSON writes the aggregator's whole state.
func (w Windows) MarshalJSON() ([]byte, error) {
	cp := checkpoint{Lateness: w.lateness.String(), Watermark: w.watermark, Open: []*bucket{}}
	for _, b := range w.open {
		cp.Open = append(cp.Open, b)
	}
	slices.SortFunc(cp.Open, byStart)
	return json.Marshal(cp)
}

// UnmarshalJSON restores a state written by MarshalJSON.
func (w *Windows) UnmarshalJSON(data []byte) error {
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return fmt.Errorf("sentiment: restore: %w", err)
	}
	lateness, err := time.ParseDuration(cp.Lateness)
	if err != nil {
		return fmt.Errorf("sentiment: restore: lateness: %w", err)
	}
	open := make(map[key]*bucket, len(cp.Open))
	for _, b := range cp.Open {
		if b == nil || b.Reviews < 1 {
			return errors.New("sentiment: restore: empty window")
		}
		b.Start = b.Start.UTC()
		if _, dup := open[b.key()]; dup {
			return fmt.Errorf("sentiment: restore: window %s %d at %s listed twice", b.EntityKind, b.EntityID, b.Start)
		}
		open[b.key()] = b
	}
	*w = Windows{lateness: max(lateness, 0), watermark: cp.Watermark.UTC(), open: open}
	return nil
}
