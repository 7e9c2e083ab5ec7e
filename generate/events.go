package generate

import (
	"container/heap"
	"time"
)

// eventKind is what happens at an event.
type eventKind uint8

const (
	evDemand   eventKind = iota // draw the next second's orders in every city
	evWeather                   // a weather observation in every city
	evPlace                     // a customer places an order in a city
	evAccept                    // the restaurant answers
	evDispatch                  // the platform looks for a courier
	evReady                     // the kitchen has finished
	evArrive                    // the assigned courier reaches the restaurant
	evDeliver                   // the courier hands the order over
	evPosition                  // a GPS fix of a courier on a delivery
	evCancel                    // the customer (or the weather) cancels if not yet picked up
	evPatience                  // the customer gives up if still without a courier
	evReview                    // the customer reviews a delivered order
)

// event is one entry of the simulation's agenda.
type event struct {
	at     time.Time
	seq    uint64 // insertion order: ties at the same instant run first-in, first-out
	kind   eventKind
	order  *order
	city   *city
	gen    int    // evArrive: the assignment it belongs to (stale when reassigned)
	reason string // evCancel: cancel_reason
}

// agenda is a min-heap of events by (at, seq), so a run is a deterministic sequence.
type agenda []*event

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if !a[i].at.Equal(a[j].at) {
		return a[i].at.Before(a[j].at)
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(*event)) }
func (a *agenda) Pop() any {
	old := *a
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*a = old[:len(old)-1]
	return e
}

// schedule adds an event to the agenda.
func (s *sim) schedule(e *event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.agenda, e)
}

// next pops the earliest event if it is due at or before horizon.
func (s *sim) next(horizon time.Time) (*event, bool) {
	if len(s.agenda) == 0 || s.agenda[0].at.After(horizon) {
		return nil, false
	}
	return heap.Pop(&s.agenda).(*event), true
}
