package city

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	json "github.com/goccy/go-json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/alerts"
	"github.com/flavortrend/flavortrend/enrich/pressure"
	"github.com/flavortrend/flavortrend/enrich/recommend"
	"github.com/flavortrend/flavortrend/enrich/sentiment"
	"github.com/flavortrend/flavortrend/enrich/stream"
)

// Names gives a city's display name for alert titles; ok is false when unknown.
type Names func(cityID int32) (name string, ok bool)

// Config configures a Stage.
type Config struct {
	Topics   Topics
	Lateness time.Duration // how late an event may arrive and still count (SPEC §4: 2 min)
	// MaxCatchUp bounds the minutes published at once for a city after a gap in event
	// time (the source stopped with its heartbeat, a simulation restarted days later): the
	// older minutes are skipped, with a warning naming the city and the minutes skipped.
	MaxCatchUp time.Duration
	// OpenFor is how long, in event time, an order stays open here without a change that
	// closes it: an older one is dropped from the open orders (a final update that never
	// came must not inflate the pressure for good).
	OpenFor time.Duration
	Log     *slog.Logger // nil: slog.Default()
}

// Stage is the city stage's processor.
type Stage struct {
	cfg   Config
	names Names

	cities      *stream.Table[cityState]
	couriers    *stream.Table[courierState]
	restaurants *stream.Table[restaurantState]
	orders      *stream.Table[orderState]
	waiting     *stream.Table[[]waitingReview] // by order id: reviews of an order not seen yet
	clock       *stream.Table[int64]           // per partition, key "clock": newest event time, µs since the epoch
}

// Defaults of Config.
const (
	DefaultMaxCatchUp = 24 * time.Hour
	DefaultOpenFor    = 6 * time.Hour
)

// New makes the stage; Tables are its state for stream.New.
func New(cfg Config, names Names) *Stage {
	if cfg.MaxCatchUp <= 0 {
		cfg.MaxCatchUp = DefaultMaxCatchUp
	}
	if cfg.OpenFor <= 0 {
		cfg.OpenFor = DefaultOpenFor
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	t := cfg.Topics
	return &Stage{cfg: cfg, names: names,
		cities: stream.NewTable[cityState](t.CityState), couriers: stream.NewTable[courierState](t.CourierState),
		restaurants: stream.NewTable[restaurantState](t.RestaurantState), orders: stream.NewTable[orderState](t.OrderState),
		waiting: stream.NewTable[[]waitingReview](t.WaitingReviews),
		clock:   stream.NewTable[int64](t.Clock)}
}

// Tables returns the stage's state tables, for stream.New.
func (s *Stage) Tables() []stream.Store {
	return []stream.Store{s.cities, s.couriers, s.restaurants, s.orders, s.waiting, s.clock}
}

const clockKey = "clock"

// tickKey is the clock table's key, beside clockKey, of the last Tick of order-stage
// partition p: its clock in µs since the epoch, 0 while it has seen no order.
func tickKey(p int32) string { return "tick/" + strconv.Itoa(int(p)) }

func key(id int64) string { return strconv.FormatInt(id, 10) }

// Process handles one city event: it first publishes the minutes that the event's time
// has ended, with the state before the event, then applies the event.
func (s *Stage) Process(tx *stream.Tx, r *kgo.Record) error {
	ev, err := decode(r.Value)
	if err != nil {
		return err
	}
	p := r.Partition
	switch ev.Kind {
	case CourierChanged, RestaurantChanged:
		// Their time is the source's commit time, not a business time: it does not move
		// the clock (an accelerated simulation's clock runs ahead of the wall clock).
	case ReviewWritten:
		// Reviews come from a topic of their own, which a backlog reads at its own pace:
		// they land in their windows, which the city's operations close.
	case OrderDeleted:
		// A delete carries no business time of its own.
	case ClockTick:
		s.idle(tx, p, ev.Tick)
		return nil
	default:
		s.tick(tx, p, ev.At)
	}
	switch ev.Kind {
	case OrderChanged:
		s.order(tx, p, s.city(p, ev.CityID, ev.At), ev.Order)
	case BreachHappened:
		s.emitAlerts(tx, s.city(p, ev.CityID, ev.At).Alerts.Breach(ev.At))
	case ReviewWritten:
		s.review(p, ev.At, ev.Review)
	case CourierChanged:
		cs := s.courier(p, ev.CityID, ev.Courier.ID)
		cs.Known, cs.Status, cs.Vehicle, cs.SpeedFactor = true, ev.Courier.Status, ev.Courier.Vehicle, ev.Courier.SpeedFactor
		// A couriers row has no business time: the change is published at the partition's
		// event time, or with the courier's next change before the partition has one.
		if now, ok := s.clock.Get(p, clockKey); ok {
			s.emitCourier(tx, ev.Courier.ID, cs, time.UnixMicro(now).UTC())
		}
	case CourierMoved:
		s.city(p, ev.CityID, ev.At)
		cs := s.courier(p, ev.CityID, ev.Position.CourierID)
		if cs.PositionAt == nil || !ev.At.Before(*cs.PositionAt) {
			at := ev.At.UTC()
			cs.Lat, cs.Lon, cs.SpeedKmh, cs.PositionAt = ev.Position.Lat, ev.Position.Lon, ev.Position.SpeedKmh, &at
			s.emitCourier(tx, ev.Position.CourierID, cs, ev.At)
		}
	case RestaurantChanged:
		rs := s.restaurant(p, ev.CityID, ev.Restaurant.ID)
		rs.PausedUntil = ev.Restaurant.PausedUntil
	case OrderDeleted:
		if st, ok := s.orders.Get(p, key(ev.Order.ID)); ok && st.DeliveredAt.IsZero() {
			now, _ := s.clock.Get(p, clockKey)
			s.drop(tx, p, ev.Order.ID, st, time.UnixMicro(now).UTC())
		}
	}
	return nil
}

// Advance has nothing to do: minutes are published when an event or a Tick moves the
// clock, inside Process, so that a replay publishes them at the same place in the input.
func (s *Stage) Advance(*stream.Tx, int32) error { return nil }

// idle records an order-stage partition's Tick and, once every partition of the order
// stage has sent one, moves the clock to the smallest of their clocks: every order event
// older than that has been written to this partition already, so the minutes it ends can
// be published although no event of these cities moved the clock (a quiet city, a
// partition with no traffic, the simulator stopped: the source's heartbeat still ticks).
func (s *Stage) idle(tx *stream.Tx, p int32, t *Tick) {
	var clock int64 // 0: that partition has seen no order and holds nothing back
	if !t.Clock.IsZero() {
		clock = t.Clock.UnixMicro()
	}
	s.clock.Put(p, tickKey(t.Partition), clock)
	var low int64
	for i := range t.Partitions {
		c, ok := s.clock.Get(p, tickKey(int32(i)))
		if !ok {
			return // a partition not heard from yet, perhaps still catching up: wait for it
		}
		if c > 0 && (low == 0 || c < low) {
			low = c
		}
	}
	if low > 0 {
		s.tick(tx, p, time.UnixMicro(low).UTC())
	}
}

// drop forgets an open order that will not close normally (deleted, its key changed, or
// open for longer than Config.OpenFor): its city no longer counts it open, its courier no
// longer counts it active.
func (s *Stage) drop(tx *stream.Tx, p int32, id int64, st orderState, at time.Time) {
	if c, ok := s.cities.Edit(p, key(int64(st.CityID))); ok && c.Open > 0 {
		c.Open--
	}
	if st.CourierID != 0 {
		cs := s.courier(p, st.CityID, st.CourierID)
		cs.release(id)
		s.emitCourier(tx, st.CourierID, cs, at)
	}
	s.orders.Delete(p, key(id))
	s.waiting.Delete(p, key(id))
}

// city returns the city's state for change, created at its first event.
func (s *Stage) city(p, id int32, at time.Time) *cityState {
	if c, ok := s.cities.Edit(p, key(int64(id))); ok {
		return c
	}
	c := newCity(id, at, s.cfg.Lateness)
	if name, ok := s.names(id); ok {
		c.Alerts = alerts.New(id, name, s.cfg.Lateness)
	}
	s.cities.Put(p, key(int64(id)), *c)
	c, _ = s.cities.Edit(p, key(int64(id)))
	return c
}

func (s *Stage) courier(p, city, id int32) *courierState {
	k := key(int64(id))
	if c, ok := s.couriers.Edit(p, k); ok {
		return c
	}
	s.couriers.Put(p, k, courierState{CityID: city})
	c, _ := s.couriers.Edit(p, k)
	return c
}

func (s *Stage) restaurant(p, city, id int32) *restaurantState {
	k := key(int64(id))
	if r, ok := s.restaurants.Edit(p, k); ok {
		return r
	}
	s.restaurants.Put(p, k, restaurantState{CityID: city, Placed: minutes{}, Pickups: minutes{}})
	r, _ := s.restaurants.Edit(p, k)
	return r
}

// order applies an order's change: the city's open orders and placements, its courier's
// active deliveries and day, its restaurant's placements and pickups, and the city's
// recent deliveries.
func (s *Stage) order(tx *stream.Tx, p int32, c *cityState, o *Order) {
	k := key(o.ID)
	st, had := s.orders.Get(p, k)
	if had && !st.DeliveredAt.IsZero() {
		return // delivered already (kept for its review): a repeated row changes nothing
	}
	finished := o.Status == "delivered" || o.Status == "cancelled"
	if !had {
		if finished {
			return // finished before this stage saw it open (an initial snapshot): nothing to count
		}
		st = orderState{CityID: c.CityID, RestaurantID: o.RestaurantID, PlacedAt: o.PlacedAt.UTC()}
		c.Open++
		s.placed(tx, p, c, o)
	}
	if st.CourierID != 0 && (st.CourierID != o.CourierID || finished) {
		cs := s.courier(p, c.CityID, st.CourierID)
		cs.release(o.ID)
		if st.CourierID != o.CourierID {
			s.emitCourier(tx, st.CourierID, cs, o.latest())
		}
	}
	if !st.PickedUp && !o.PickedUpAt.IsZero() && !o.AcceptedAt.IsZero() {
		st.PickedUp = true
		s.restaurant(p, c.CityID, o.RestaurantID).pickedUp(o)
	}
	if o.CourierID != 0 {
		cs := s.courier(p, c.CityID, o.CourierID)
		switch {
		case o.Status == "delivered":
			cs.delivered(o)
		case !finished:
			cs.assign(o.ID)
		}
		s.emitCourier(tx, o.CourierID, cs, o.latest())
	}
	st.CourierID, st.Status = o.CourierID, o.Status
	if !finished {
		s.orders.Put(p, k, st)
		return
	}
	c.Open--
	if o.Status == "cancelled" {
		s.orders.Delete(p, k)
		return
	}
	st.DeliveredAt = o.DeliveredAt
	s.orders.Put(p, k, st)
	c.Deliveries.add(o.DeliveredAt, o.DeliveredAt.Sub(o.PlacedAt).Minutes())
	s.countWaiting(p, o.ID)
}

// placed counts a new order in its minute and its restaurant. A placement in a minute
// already published updates the minute's count for peak detection.
func (s *Stage) placed(tx *stream.Tx, p int32, c *cityState, o *Order) {
	m := o.PlacedAt.UTC().Truncate(time.Minute)
	c.Placed[m.Unix()]++
	if !m.After(c.Published) {
		s.emitAlerts(tx, c.Alerts.OrdersPerMinute(m, c.Placed[m.Unix()]))
	}
	s.restaurant(p, c.CityID, o.RestaurantID).placed(o)
}

// latest is the order's newest business time.
func (o *Order) latest() time.Time {
	t := o.PlacedAt
	for _, x := range []time.Time{o.AcceptedAt, o.PickedUpAt, o.DeliveredAt, o.CancelledAt} {
		if x.After(t) {
			t = x
		}
	}
	return t
}

// review counts a review in the 5-minute windows of its order's restaurant and courier
// when this partition holds the order, delivered. Otherwise the review waits: a backlog can
// bring a review before the changes of its order (they come from another topic, read at its
// own pace), and every partition receives every review. A waiting review is counted when
// its order's delivery arrives, and forgotten once the clock is past its time by the
// lateness: by then its order, delivered before it was written, would have arrived here.
func (s *Stage) review(p int32, at time.Time, r *Review) {
	if o, ok := s.orders.Get(p, key(r.OrderID)); !ok || o.DeliveredAt.IsZero() {
		w, _ := s.waiting.Get(p, key(r.OrderID))
		s.waiting.Put(p, key(r.OrderID), append(w, waitingReview{At: at, Review: *r}))
		return
	}
	s.count(p, at, r)
}

// count adds a review of an order this partition holds to its windows. A review later than
// the windows' lateness is not counted.
func (s *Stage) count(p int32, at time.Time, r *Review) {
	o, _ := s.orders.Get(p, key(r.OrderID))
	c := s.city(p, o.CityID, at)
	err := c.Sentiment.Add(sentiment.Restaurant, o.RestaurantID, at, r.Rating, r.Sentiment)
	if err == nil && o.CourierID != 0 {
		err = c.Sentiment.Add(sentiment.Courier, o.CourierID, at, r.Rating, r.Sentiment)
	}
	if err != nil && !errors.Is(err, sentiment.ErrLate) {
		panic(fmt.Sprintf("city: review %d: %v", r.ID, err)) // decode checked the rating and the sentiment
	}
}

// countWaiting counts the reviews that waited for an order just delivered.
func (s *Stage) countWaiting(p int32, order int64) {
	w, ok := s.waiting.Get(p, key(order))
	if !ok {
		return
	}
	s.waiting.Delete(p, key(order))
	for _, wr := range w {
		s.count(p, wr.At, &wr.Review)
	}
}

// tick moves partition p's clock to at, if later, and publishes every minute of its
// cities that the clock has ended.
func (s *Stage) tick(tx *stream.Tx, p int32, at time.Time) {
	now, _ := s.clock.Get(p, clockKey)
	if at.UnixMicro() <= now {
		return
	}
	s.clock.Put(p, clockKey, at.UnixMicro())
	var due []int32
	s.cities.Range(p, func(_ string, c cityState) bool {
		if !c.Published.Add(2 * time.Minute).After(at) {
			due = append(due, c.CityID)
		}
		return true
	})
	for _, id := range sortedIDs(due) {
		c, _ := s.cities.Edit(p, key(int64(id)))
		if skip := at.Add(-s.cfg.MaxCatchUp).Truncate(time.Minute); c.Published.Before(skip) {
			s.cfg.Log.Warn("city: minutes not published after a gap in event time longer than the catch-up limit",
				"city", id, "from", c.Published.Add(time.Minute), "to", skip, "minutes", int(skip.Sub(c.Published)/time.Minute),
				"max_catch_up", s.cfg.MaxCatchUp)
			c.Published = skip
		}
		for m := c.Published.Add(time.Minute); !m.Add(time.Minute).After(at); m = m.Add(time.Minute) {
			s.publish(tx, p, c, m)
		}
	}
	if len(due) > 0 {
		var stale []int64
		s.orders.Range(p, func(k string, o orderState) bool {
			switch {
			case !o.DeliveredAt.IsZero():
				if o.DeliveredAt.Add(ReviewWindow).Before(at) {
					s.orders.Delete(p, k)
				}
			case o.PlacedAt.IsZero():
				// Counted open before placements were kept: its age counts from now.
				o.PlacedAt = at.UTC()
				s.orders.Put(p, k, o)
			case o.PlacedAt.Add(s.cfg.OpenFor).Before(at):
				id, _ := strconv.ParseInt(k, 10, 64)
				stale = append(stale, id)
			}
			return true
		})
		slices.Sort(stale) // a deterministic order for the courier features they publish
		for _, id := range stale {
			st, _ := s.orders.Get(p, key(id))
			s.cfg.Log.Warn("city: open order expired without a final change", "order", id, "city", st.CityID,
				"placed_at", st.PlacedAt, "open_for", s.cfg.OpenFor)
			s.drop(tx, p, id, st, at)
		}
		s.waiting.Range(p, func(k string, w []waitingReview) bool {
			if w[len(w)-1].At.Add(s.cfg.Lateness).Before(at) {
				s.waiting.Delete(p, k)
			}
			return true
		})
	}
}

// publish publishes minute m of city c: its pressure, the alerts and recommendation it
// raises or clears, the sentiment windows and the restaurant features due at its end.
func (s *Stage) publish(tx *stream.Tx, p int32, c *cityState, m time.Time) {
	end := m.Add(time.Minute)
	in := recommend.Input{CityID: c.CityID, At: end}
	s.couriers.Range(p, func(_ string, cs courierState) bool {
		if cs.CityID != c.CityID || !cs.Known {
			return true
		}
		in.RosterCouriers++
		if cs.Status != pressure.StatusOffline {
			in.OnlineCouriers++
		}
		if len(cs.Active) >= pressure.OverloadedAt {
			in.OverloadedCouriers++
		}
		if cs.available() {
			in.Pressure.AvailableCouriers++
		}
		return true
	})
	avg, n := c.recentDeliveries(end)
	in.Pressure = pressure.Compute(c.Open, in.Pressure.AvailableCouriers, avg, n > 0)
	placed := c.Placed[m.Unix()]
	s.emit(tx, s.cfg.Topics.Pressure, int64(c.CityID), CityPressure{CityID: c.CityID, Minute: m, Pressure: in.Pressure,
		AvgDeliveryMinutes15: avg, DeliveriesLast15m: n, OrdersPlaced: placed,
		OnlineCouriers: in.OnlineCouriers, RosterCouriers: in.RosterCouriers, OverloadedCouriers: in.OverloadedCouriers})
	s.emitAlerts(tx, c.Alerts.OrdersPerMinute(m, placed))
	s.emitAlerts(tx, c.Alerts.Pressure(m, in.Pressure.Pressure))
	s.emitAlerts(tx, c.Alerts.Advance(end))
	if rec, ok := recommend.Surge(in, c.Recommendation); ok {
		s.emit(tx, s.cfg.Topics.Recommendations, int64(c.CityID), rec)
		c.Recommendation = &rec
	}
	for _, w := range c.Sentiment.Close(end) {
		s.emit(tx, s.cfg.Topics.Sentiment, int64(c.CityID), SentimentWindow{CityID: c.CityID, Window: w})
	}
	s.restaurantFeatures(tx, p, c.CityID, end)
	c.Published = m
	c.prune(s.cfg.Lateness)
}

// restaurantFeatures publishes, at a minute's end, the features of the city's
// restaurants that changed since they were last published.
func (s *Stage) restaurantFeatures(tx *stream.Tx, p, city int32, end time.Time) {
	var ids []int32
	s.restaurants.Range(p, func(k string, r restaurantState) bool {
		if r.CityID == city {
			id, _ := strconv.ParseInt(k, 10, 32)
			ids = append(ids, int32(id))
		}
		return true
	})
	ids = sortedIDs(ids)
	feats := make([]RestaurantFeatures, len(ids))
	var maxOrders, maxPrep float64
	for i, id := range ids {
		r := s.restaurant(p, city, id)
		orders15, prep, pickups := r.window(end)
		feats[i] = RestaurantFeatures{RestaurantID: id, CityID: city, UpdatedAt: end, OrdersLast15m: orders15,
			AvgPrepMinutesLastHour: prep, PickupsLastHour: pickups,
			IsPromoActive: r.LastPromo && !r.LastOrderAt.Before(end.Add(-OrdersWindow)),
			IsPaused:      r.PausedUntil.After(end)}
		maxOrders, maxPrep = max(maxOrders, float64(orders15)), max(maxPrep, prep)
	}
	for i, id := range ids {
		f := &feats[i]
		f.LoadScore = pressure.LoadScore(float64(f.OrdersLast15m), maxOrders, f.AvgPrepMinutesLastHour, maxPrep)
		r := s.restaurant(p, city, id)
		if r.Last != nil && r.Last.same(*f) {
			continue
		}
		r.Last = f
		s.emit(tx, s.cfg.Topics.Restaurants, int64(id), *f)
	}
}

func (s *Stage) emitCourier(tx *stream.Tx, id int32, c *courierState, at time.Time) {
	if c.Known {
		s.emit(tx, s.cfg.Topics.Couriers, int64(id), c.features(id, at))
	}
}

func (s *Stage) emitAlerts(tx *stream.Tx, as []alerts.Alert) {
	for _, a := range as {
		s.emit(tx, s.cfg.Topics.Alerts, int64(a.CityID), a)
	}
}

// emit writes v as JSON keyed by id.
func (s *Stage) emit(tx *stream.Tx, topic string, id int64, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// A value JSON cannot carry (a NaN): the runner rolls the event back and
		// dead-letters it.
		tx.Poison(fmt.Errorf("city: encode %s for %d: %w", topic, id, err))
		return
	}
	tx.Emit(&kgo.Record{Topic: topic, Key: strconv.AppendInt(nil, id, 10), Value: b})
}

// sortedIDs sorts ids in place, for a deterministic order over a table's keys.
func sortedIDs(ids []int32) []int32 {
	slices.Sort(ids)
	return ids
}
