package generate

import (
	"math"
	"sort"

	"github.com/flavortrend/flavortrend/generate/geo"
)

// Courier dispatch and shifts.
//
// The platform dispatches a courier when the food is nearly ready: dispatchLead before the
// restaurant's avg_prep_minutes have passed since acceptance (at once for quick kitchens),
// so couriers do not idle at the counter. The order goes to the nearest idle courier of
// its city; when none is idle, to the courier with the fewest orders assigned (nearest
// first) as long as they have fewer than maxActive; otherwise it waits, oldest first, for
// the next courier to free up — and waiting raises the city's pressure and its no_courier
// cancellations. SPEC §4.7 counts a courier with fewer than availableBelow orders as
// available; §4.5 calls 5 or more overloaded, which is where stacking stops.
const (
	dispatchLead   = 5 // minutes
	maxActive      = 5
	availableBelow = 3
)

// reserveShare of each city's couriers (rounded down) are off shift: they stay offline
// unless a surge flag calls them in.
const reserveShare = 0.1

// startShifts draws each city's reserve, places every courier at one of the city's
// restaurants and writes the resulting statuses where they differ from the table.
func (s *sim) startShifts() {
	for _, c := range s.w.cities {
		perm := s.plan.Perm(len(c.couriers))
		nReserve := int(reserveShare * float64(len(c.couriers)))
		for i, k := range perm {
			x := c.couriers[k]
			x.reserve = i < nReserve
			if len(c.restaurants) > 0 {
				r := c.restaurants[s.plan.IntN(len(c.restaurants))]
				x.lat, x.lon = r.lat, r.lon
			} else {
				x.lat, x.lon = c.lat, c.lon
			}
		}
		for _, x := range c.couriers {
			s.refreshStatus(x)
		}
	}
}

// assign gives the order to the best available courier of its city, if any, and
// schedules the courier's arrival at the restaurant.
func (s *sim) assign(o *order) bool {
	var best *courier
	var bestKm float64
	for _, x := range o.city.couriers {
		if !x.online() || len(x.active) >= maxActive {
			continue
		}
		km := geo.HaversineKm(x.lat, x.lon, o.rest.lat, o.rest.lon)
		if best == nil || len(x.active) < len(best.active) || (len(x.active) == len(best.active) && km < bestKm) {
			best, bestKm = x, km
		}
	}
	if best == nil {
		return false
	}
	o.courier = best
	o.arrived = false
	o.assignGen++
	best.active = append(best.active, o)
	approach := ApproachMinutes(bestKm, best.ride, o.city.weather, s.now, onBoard(best))
	s.schedule(&event{at: s.now.Add(minutes(approach)), kind: evArrive, order: o, gen: o.assignGen})
	s.refreshStatus(best)
	return true
}

// enqueue puts an order without a courier in its city's queue, kept oldest first.
func (s *sim) enqueue(o *order) {
	q := o.city.waiting
	i := sort.Search(len(q), func(i int) bool { return q[i].placedAt.After(o.placedAt) })
	q = append(q, nil)
	copy(q[i+1:], q[i:])
	q[i] = o
	o.city.waiting = q
	o.waiting = true
}

func (s *sim) dequeue(o *order) {
	q := o.city.waiting
	for i, x := range q {
		if x == o {
			o.city.waiting = append(q[:i], q[i+1:]...)
			break
		}
	}
	o.waiting = false
}

// dispatch hands waiting orders to couriers that have room, oldest order first.
func (s *sim) dispatch(c *city) {
	for len(c.waiting) > 0 {
		o := c.waiting[0]
		if !s.assign(o) {
			return
		}
		c.waiting = c.waiting[1:]
		o.waiting = false
		s.writeOrder(o)
	}
}

// release takes an order off a courier.
func (s *sim) release(x *courier, o *order) {
	for i, a := range x.active {
		if a == o {
			x.active = append(x.active[:i], x.active[i+1:]...)
			break
		}
	}
	s.refreshStatus(x)
}

// refreshStatus writes the courier's status when it changed: offline when off shift or
// out, else busy with an order on board or assigned, else idle.
func (s *sim) refreshStatus(x *courier) {
	want := "idle"
	switch {
	case !x.online():
		want = "offline"
	case len(x.active) > 0:
		want = "busy"
	}
	if x.status != want {
		x.status = want
		s.b.courierSteps = append(s.b.courierSteps, courierState{id: int32(x.id), status: want})
	}
}

// goOffline handles a courier leaving the shift: orders not yet picked up go back to
// the city's queue (or straight to another courier), orders on board are still delivered.
func (s *sim) goOffline(x *courier) {
	kept := x.active[:0]
	var released []*order
	for _, o := range x.active {
		if o.status == statusPickedUp {
			kept = append(kept, o)
			continue
		}
		released = append(released, o)
	}
	x.active = kept
	s.refreshStatus(x)
	for _, o := range released {
		o.courier = nil
		o.arrived = false
		o.assignGen++
		if !s.assign(o) {
			s.enqueue(o)
		}
		s.writeOrder(o)
	}
}

// demandPerCourier is SPEC §4.7's open orders / max(available couriers, 0.5), where a
// courier is available when online with fewer than 3 orders.
func (s *sim) demandPerCourier(c *city) float64 {
	avail := 0.0
	for _, x := range c.couriers {
		if x.online() && len(x.active) < availableBelow {
			avail++
		}
	}
	return float64(c.open) / math.Max(avail, 0.5)
}
