package generate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/flavortrend/flavortrend/generate/geo"
	"github.com/flavortrend/flavortrend/generate/refdata"
	"github.com/flavortrend/flavortrend/internal/calendar"
)

// Order statuses and their legal sequence: placed → accepted → picked_up → delivered,
// or cancelled from placed or accepted. (The schema also allows cancelling a picked-up
// order; the simulator never does: a courier with the bag always delivers.)
const (
	statusPlaced    = "placed"
	statusAccepted  = "accepted"
	statusPickedUp  = "picked_up"
	statusDelivered = "delivered"
	statusCancelled = "cancelled"
)

// order is the simulator's state of one order.
type order struct {
	id         int64
	city       *city
	rest       *restaurant
	courier    *courier
	status     string
	lines      int
	distanceKm float64
	promised   int
	drop       [2]float64 // drop-off lat, lon

	placedAt, acceptedAt, pickedUpAt, deliveredAt, cancelledAt time.Time
	cancelReason                                               string

	refuse    bool // the restaurant will refuse it at acceptance
	ready     bool // the kitchen has finished
	arrived   bool // the assigned courier is at the restaurant
	waiting   bool // in city.waiting, without a courier
	assignGen int  // incremented at every (re)assignment; stale evArrive events are ignored
	deliverAt time.Time
	speedKmh  float64 // average speed of the ride to the drop-off
}

// Cancellation model (SPEC §6: ~5 % overall, more in storms or when waiting long):
const (
	refuseShare       = 0.015 // the restaurant refuses at acceptance (reason "restaurant")
	customerShare     = 0.025 // the customer changes their mind 1–12 min after placing ("customer")
	patienceMinMin    = 25    // a customer without a courier gives up after U(25, 45) min ("no_courier")
	patienceSpreadMin = 20
)

// weatherCancelShare is the chance that bad weather at placement makes the customer
// cancel within 2–10 min (reason "weather"): 12 % in a storm, 10 % in a sandstorm,
// 3 % in rain.
var weatherCancelShare = [conditionCount]float64{Rainy: 0.03, Stormy: 0.12, Sandstorm: 0.10}

// Order size: lines 1–4 with weights 35/35/20/10 %, units per line 1–3 with 75/20/5 %;
// the first line is a main, the others starter 30 %, main 25 %, dessert 20 %, drink 25 %.
var (
	lineWeights     = []float64{0.35, 0.35, 0.20, 0.10}
	qtyWeights      = []float64{0.75, 0.20, 0.05}
	categoryWeights = []float64{0.30, 0.25, 0.20, 0.25}
)

// Courier positions are recorded every U(15, 30) s along the ride, with N(0, 15 m) jitter
// on each axis, and a speed of U(0.6, 1.3) × the ride's average.
const (
	positionMinSec  = 15
	positionSpanSec = 15
	positionJitter  = 0.015 // km
)

// onDemand draws the orders of the next simulated second in every city:
//
//	λ_city = rate / 60 × DemandMultiplier(t) × population share × promo factor
//
// orders per second, the count ~ Poisson(λ_city), each placed at a uniform instant
// within the second.
func (s *sim) onDemand() {
	t := s.now
	base := s.cfg.Rate / 60 * DemandMultiplier(t)
	for _, c := range s.w.cities {
		lambda := base * c.share
		if c.promo > 0 {
			lambda *= c.promo
		}
		for range poisson(s.demand, lambda) {
			at := t.Add(time.Duration(s.demand.Int64N(int64(time.Second/time.Microsecond))) * time.Microsecond)
			s.schedule(&event{at: at, kind: evPlace, city: c})
		}
	}
	s.schedule(&event{at: t.Add(time.Second), kind: evDemand})
}

// poisson draws from Poisson(λ): Knuth's product of uniforms for small λ, the normal
// approximation N(λ, λ) above 30.
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())))
	}
	limit, p, k := math.Exp(-lambda), rng.Float64(), 0
	for p > limit {
		p *= rng.Float64()
		k++
	}
	return k
}

// onPlace creates an order in city c: restaurant by rating, customer at random, 1–4 lines.
func (s *sim) onPlace(c *city) {
	rng := s.orders
	rest := s.pickRestaurant(c)
	if rest == nil {
		return // every restaurant of the city is paused: the demand is lost
	}
	cu := c.customers[rng.IntN(len(c.customers))]
	o := &order{
		id: s.nextOrderID(), city: c, rest: rest, status: statusPlaced, placedAt: s.now,
		drop: [2]float64{cu.lat, cu.lon},
	}
	o.distanceKm = math.Round(geo.HaversineKm(rest.lat, rest.lon, cu.lat, cu.lon)*1000) / 1000
	rush := calendar.IsRushHour(s.now)
	o.promised = PromisedMinutes(rest.avgPrep, o.distanceKm, rush)
	promo := c.promo > 0

	// Lines: distinct dishes, the first a main when the menu has one.
	nLines := 1 + refdata.Weighted(rng, lineWeights)
	var subtotal Millimes
	units := 0
	used := map[int]bool{}
	for i := 0; i < nLines; i++ {
		cat := 1
		if i > 0 {
			cat = refdata.Weighted(rng, categoryWeights)
		}
		item, ok := pickDish(rng, rest, cat, used)
		if !ok {
			continue
		}
		used[item.id] = true
		qty := 1 + refdata.Weighted(rng, qtyWeights)
		subtotal += Millimes(qty) * item.price
		units += qty
		s.nextID.item++
		s.b.items = append(s.b.items, []any{s.nextID.item, o.id, int32(item.id), int32(qty), item.price})
		o.lines++
	}
	fee := DeliveryFee(o.distanceKm, promo)
	s.b.orders = append(s.b.orders, []any{
		o.id, int32(cu.id), int32(rest.id), nil, int32(c.id), statusPlaced,
		o.placedAt, nil, nil, nil, nil, nil,
		int32(units), subtotal, fee, subtotal + fee, o.distanceKm, int32(o.promised), promo,
		cu.lat, cu.lon, s.tel.place(o, c, TraceParent(rng)),
	})

	// Fates drawn at placement (see the cancellation model above).
	o.refuse = rng.Float64() < refuseShare
	if rng.Float64() < customerShare {
		s.schedule(&event{at: s.now.Add(minutes(1 + 11*rng.Float64())), kind: evCancel, order: o, reason: "customer"})
	}
	if rng.Float64() < weatherCancelShare[c.weather] {
		s.schedule(&event{at: s.now.Add(minutes(2 + 8*rng.Float64())), kind: evCancel, order: o, reason: "weather"})
	}
	s.schedule(&event{at: s.now.Add(minutes(patienceMinMin + patienceSpreadMin*rng.Float64())), kind: evPatience, order: o})
	s.schedule(&event{at: s.now.Add(AcceptDelay(rng)), kind: evAccept, order: o})
	c.open++
	s.stats.Placed++
}

func (s *sim) nextOrderID() int64 {
	s.nextID.order++
	return s.nextID.order
}

// pickRestaurant draws an open restaurant of the city with probability ∝ rating², so a
// 5-star kitchen gets 2.8 times the orders of a 3-star one.
func (s *sim) pickRestaurant(c *city) *restaurant {
	var sum float64
	for _, r := range c.restaurants {
		if !r.paused {
			sum += r.rating * r.rating
		}
	}
	if sum == 0 {
		return nil
	}
	x := s.orders.Float64() * sum
	var last *restaurant
	for _, r := range c.restaurants {
		if r.paused {
			continue
		}
		last = r
		if x < r.rating*r.rating {
			return r
		}
		x -= r.rating * r.rating
	}
	return last
}

// pickDish draws a dish of the category not yet on the order, falling back to any
// category when that one is empty or used up.
func pickDish(rng *rand.Rand, r *restaurant, cat int, used map[int]bool) (menuItem, bool) {
	for k := range len(r.menu) {
		list := r.menu[(cat+k)%len(r.menu)]
		if len(list) == 0 {
			continue
		}
		start := rng.IntN(len(list))
		for j := range list {
			if it := list[(start+j)%len(list)]; !used[it.id] {
				return it, true
			}
		}
	}
	return menuItem{}, false
}

// onAccept: the restaurant accepts (or refuses) and starts cooking; a courier is sought.
func (s *sim) onAccept(o *order) {
	if o.status != statusPlaced {
		return
	}
	if o.refuse {
		s.cancel(o, "restaurant")
		return
	}
	o.status, o.acceptedAt = statusAccepted, s.now
	prep := PrepMinutes(s.orders, o.rest.avgPrep, o.lines, calendar.IsRushHour(s.now), o.rest.preparing)
	o.rest.preparing++
	s.schedule(&event{at: s.now.Add(minutes(prep)), kind: evReady, order: o})
	s.writeOrder(o)
	s.schedule(&event{at: s.now.Add(minutes(max(0, o.rest.avgPrep-dispatchLead))), kind: evDispatch, order: o})
}

// onDispatch looks for a courier; without one the order joins the city's queue.
func (s *sim) onDispatch(o *order) {
	if o.status != statusAccepted || o.courier != nil || o.waiting {
		return
	}
	if !s.assign(o) {
		s.enqueue(o)
		return
	}
	s.writeOrder(o)
}

// onReady: the kitchen has finished; pick-up happens when the courier is there too.
func (s *sim) onReady(o *order) {
	if o.status != statusAccepted || o.ready {
		return
	}
	o.ready = true
	o.rest.preparing--
	if o.arrived {
		s.pickUp(o)
	}
}

// onArrive: the courier reaches the restaurant.
func (s *sim) onArrive(o *order, gen int) {
	if o.status != statusAccepted || gen != o.assignGen || o.courier == nil {
		return
	}
	o.arrived = true
	o.courier.lat, o.courier.lon = o.rest.lat, o.rest.lon
	if o.ready {
		s.pickUp(o)
	}
}

// pickUp starts the ride to the drop-off (timing.go's TravelMinutes).
func (s *sim) pickUp(o *order) {
	c := o.courier
	o.status, o.pickedUpAt = statusPickedUp, s.now
	travel := TravelMinutes(s.moves, o.distanceKm, c.ride, o.city.weather, s.now, onBoard(c), s.demandPerCourier(o.city))
	o.deliverAt = s.now.Add(minutes(travel))
	o.speedKmh = o.distanceKm * roadFactor / (travel / 60)
	s.writeOrder(o)
	s.position(o, o.rest.lat, o.rest.lon, 0)
	s.schedule(&event{at: s.nextFix(), kind: evPosition, order: o})
	s.schedule(&event{at: o.deliverAt, kind: evDeliver, order: o})
}

// onBoard counts the orders a courier has picked up and not yet delivered.
func onBoard(c *courier) int {
	n := 0
	for _, o := range c.active {
		if o.status == statusPickedUp {
			n++
		}
	}
	return n
}

func (s *sim) nextFix() time.Time {
	return s.now.Add(time.Duration(positionMinSec*1e6+s.moves.Int64N(positionSpanSec*1e6)) * time.Microsecond)
}

// onPosition records a GPS fix on the straight path restaurant → drop-off.
func (s *sim) onPosition(o *order) {
	if o.status != statusPickedUp || !s.now.Before(o.deliverAt) {
		return
	}
	f := float64(s.now.Sub(o.pickedUpAt)) / float64(o.deliverAt.Sub(o.pickedUpAt))
	lat, lon := geo.Lerp(o.rest.lat, o.rest.lon, o.drop[0], o.drop[1], f)
	lat, lon = geo.OffsetKm(lat, lon, positionJitter*s.moves.NormFloat64(), positionJitter*s.moves.NormFloat64())
	s.position(o, lat, lon, o.speedKmh*(0.6+0.7*s.moves.Float64()))
	o.courier.lat, o.courier.lon = lat, lon
	if next := s.nextFix(); next.Before(o.deliverAt) {
		s.schedule(&event{at: next, kind: evPosition, order: o})
	}
}

func (s *sim) position(o *order, lat, lon, speed float64) {
	s.nextID.position++
	s.b.positions = append(s.b.positions, []any{s.nextID.position, int32(o.courier.id), o.id, s.now, lat, lon, round1(speed)})
	s.stats.Positions++
}

// onDeliver hands the order over, frees the courier and maybe schedules a review.
func (s *sim) onDeliver(o *order) {
	if o.status != statusPickedUp {
		return
	}
	o.status, o.deliveredAt = statusDelivered, s.now
	s.writeOrder(o)
	s.position(o, o.drop[0], o.drop[1], 0)
	c := o.courier
	c.lat, c.lon = o.drop[0], o.drop[1]
	s.release(c, o)
	o.city.open--
	s.stats.Delivered++
	if s.reviews.Float64() < reviewShare {
		// Reviews come U(3, 60) min after delivery.
		s.schedule(&event{at: s.now.Add(minutes(3 + 57*s.reviews.Float64())), kind: evReview, order: o})
	}
	s.dispatch(o.city)
}

// onCancel cancels an order not yet picked up.
func (s *sim) onCancel(o *order, reason string) {
	if o.status == statusPlaced || o.status == statusAccepted {
		s.cancel(o, reason)
	}
}

// onPatience: the customer gives up when no courier has been found yet.
func (s *sim) onPatience(o *order) {
	if (o.status == statusPlaced || o.status == statusAccepted) && o.courier == nil {
		s.cancel(o, "no_courier")
	}
}

func (s *sim) cancel(o *order, reason string) {
	if o.status == statusAccepted && !o.ready {
		o.rest.preparing--
	}
	if o.waiting {
		s.dequeue(o)
	}
	c := o.courier
	o.status, o.cancelledAt, o.cancelReason = statusCancelled, s.now, reason
	s.writeOrder(o)
	o.city.open--
	s.stats.Cancelled++
	if c != nil {
		s.release(c, o)
		s.dispatch(o.city)
	}
}

// onReview writes the customer's review; stars fall with lateness (review.go).
func (s *sim) onReview(o *order) {
	actual := o.deliveredAt.Sub(o.placedAt).Minutes()
	rating := ReviewRating(s.reviews, actual-float64(o.promised))
	sentiment := Sentiment(rating)
	var comment any
	if text, ok := ReviewComment(s.reviews, sentiment); ok {
		comment = text
	}
	s.nextID.review++
	s.b.reviews = append(s.b.reviews, []any{s.nextID.review, o.id, int16(rating), sentiment, comment, s.now})
	s.stats.Reviews++
}

// onWeather writes an observation for every city and schedules the next one.
func (s *sim) onWeather() {
	season := SeasonOf(s.now)
	for _, c := range s.w.cities {
		switch {
		case c.rain:
			c.weather = Rainy
		case !s.observed:
			c.weather = DrawCondition(s.weather, c.region, season) // first observation of the run
		default:
			c.weather = NextCondition(s.weather, c.weather, c.region, season)
		}
		s.observe(c)
	}
	s.observed = true
	s.schedule(&event{at: s.now.Add(WeatherInterval), kind: evWeather})
}

func (s *sim) observe(c *city) {
	obs := Observe(s.weather, c.weather, c.region, s.now)
	s.nextID.weather++
	s.b.weather = append(s.b.weather, []any{s.nextID.weather, int32(c.id), s.now, obs.Condition.String(),
		obs.TemperatureC, obs.PrecipitationMM, obs.WindKmh})
	s.stats.Weather++
}

// writeOrder records the order's state after a lifecycle step.
func (s *sim) writeOrder(o *order) {
	st := orderState{id: o.id, status: o.status, acceptedAt: o.acceptedAt, pickedUpAt: o.pickedUpAt,
		deliveredAt: o.deliveredAt, cancelledAt: o.cancelledAt, cancelReason: o.cancelReason}
	if o.courier != nil {
		st.courierID = int32(o.courier.id)
	}
	s.b.orderSteps = append(s.b.orderSteps, st)
}
