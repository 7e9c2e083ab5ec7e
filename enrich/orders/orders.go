// Package orders is the order stage of the enrichers, keyed by order id like the orders CDC
// topic it reads: for each new order the weather in force at placement (SPEC §4.1), its
// features (§4.2) and its ETA (§4.4), written to orders.enriched and eta.predictions; the
// static SLA with its one-time "at risk" timer (§4.3), written to sla.violations; and on
// delivery the dynamic SLA and the prediction's error (§4.4), written to
// sla.dynamic_violations and eta.outcomes.
//
// It runs inside package stream: each open order's state (its SLA tracker and its
// prediction) is a Table row, checkpointed to a changelog with every transaction, so after
// a crash the open orders and their timers come back exactly as committed.
//
// Timers run on event time: each partition's clock is the newest business timestamp seen in
// it (placed_at, accepted_at, picked_up_at, delivered_at, cancelled_at), and an order's
// deadline fires once the clock minus the allowed lateness has passed it. Event time rather
// than the wall clock makes a replay, a restart or an accelerated simulation decide the same.
//
// A partition that receives no order still moves its clock with the source's heartbeat (the
// connector's write to cdc_heartbeat every few seconds, read here too): each heartbeat
// becomes a tick in every partition of Topics.Ticks, read back by the stage, and a tick
// moves its partition's clock by the source time elapsed since the change that last moved
// it, once the partition has processed every change committed before the heartbeat. The
// partition then tells every partition of the city events how far it has got (city.Tick).
// docs/enrich.md, "State and timers", says why this stays deterministic.
package orders

import (
	"container/heap"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/city"
	"github.com/flavortrend/flavortrend/enrich/dims"
	"github.com/flavortrend/flavortrend/enrich/eta"
	"github.com/flavortrend/flavortrend/enrich/features"
	"github.com/flavortrend/flavortrend/enrich/sla"
	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/enrich/weather"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// Topics are the stage's output topics, the city stage's input and the changelogs.
type Topics struct {
	Enriched, Predictions, Violations, DynamicViolations, Outcomes string

	// CityEvents is the city stage's input (package city), written here keyed by city.
	CityEvents string
	// Ticks carries the source's heartbeats to every partition of the stage, which reads
	// it beside the orders topic: one partition per partition of the orders topic.
	Ticks string

	State, Clock string // changelogs
}

// NewTopics names the topics of SPEC §3 with an optional prefix ("" in production; tests
// use their own).
func NewTopics(prefix string) Topics {
	return Topics{
		Enriched: prefix + "orders.enriched", Predictions: prefix + "eta.predictions",
		Violations: prefix + "sla.violations", DynamicViolations: prefix + "sla.dynamic_violations",
		Outcomes:   prefix + "eta.outcomes",
		CityEvents: city.NewTopics(prefix).Events, Ticks: prefix + "enrich.orders-ticks",
		State: prefix + "enrich.orders-state", Clock: prefix + "enrich.orders-clock",
	}
}

// Inputs are the CDC topics the stage reads.
type Inputs struct {
	Orders, Reviews, Couriers, Positions, Restaurants string
	Heartbeat                                         string // the connector's heartbeat table, cdc_heartbeat
}

// NewInputs names the CDC topics of a connector's topic prefix.
func NewInputs(cdcPrefix string) Inputs {
	t := func(table string) string { return cdcPrefix + ".public." + table }
	return Inputs{Orders: t("orders"), Reviews: t("order_reviews"), Couriers: t("couriers"),
		Positions: t("courier_positions"), Restaurants: t("restaurants"), Heartbeat: t("cdc_heartbeat")}
}

// Consumed are the topics the stage's runner consumes: the orders topic, whose partitions
// its state follows, the CDC topics it only routes to the city stage, the heartbeat and
// the stage's own ticks.
func (s *Stage) Consumed() []string {
	in := s.inputs
	return []string{in.Orders, in.Reviews, in.Couriers, in.Positions, in.Restaurants, in.Heartbeat, s.topics.Ticks}
}

// Predictor predicts an order's delivery minutes from its features; ok is false when it
// cannot (no model yet).
type Predictor interface {
	Predict(f features.Features) (minutes float64, version string, ok bool)
}

// Model adapts an ETA model of package eta, registered as version, to a Predictor.
func Model(m *eta.Model, version string) Predictor { return etaModel{m, version} }

type etaModel struct {
	m       *eta.Model
	version string
}

func (e etaModel) Predict(f features.Features) (float64, string, bool) {
	return e.m.Predict(f.Vector()), e.version, true
}

// Models holds the predictor in use; Swap replaces it while the stage runs.
type Models struct{ p atomic.Pointer[Predictor] }

// Swap installs p.
func (m *Models) Swap(p Predictor) { m.p.Store(&p) }

func (m *Models) predict(f features.Features) (float64, string, bool) {
	p := m.p.Load()
	if p == nil || *p == nil {
		return 0, "", false
	}
	return (*p).Predict(f)
}

// PromisedVersion is the model version of predictions made before any model was promoted:
// the order's own promised_minutes.
const PromisedVersion = "promised"

// state is what the stage keeps per open order.
type state struct {
	Tracker     sla.Tracker `json:"tracker"`
	Predicted   float64     `json:"predicted_minutes"`
	Model       string      `json:"model_version"`
	TraceParent string      `json:"trace_parent,omitempty"` // the order's trace context, for what the timer emits
}

// Stage is the order stage's processor.
type Stage struct {
	topics     Topics
	inputs     Inputs
	thresholds sla.Thresholds
	lateness   time.Duration
	idleAfter  time.Duration
	dims       Dims
	models     *Models
	cities     kgo.TopicPartitioner // of Topics.CityEvents
	cityParts  int

	orders *stream.Table[state]
	// clock holds per partition, in µs since the epoch, the newest business time (key
	// "clock"), the business and commit times of the change that last moved it ("anchor",
	// "committed"), the next orders offset to process ("offset"), a tick waiting for that
	// offset ("tick", "tick-after", "tick-partitions") and, in the heartbeat's partition, the newest heartbeat
	// turned into ticks ("heartbeat").
	clock *stream.Table[int64]
	dec   debezium.Decoder
	ends  EndOffsets
	log   *slog.Logger

	// timers holds, per partition, the deadlines of the open orders, earliest first; nil until
	// built from the state, and dropped by Reset.
	timers map[int32]*timers
}

// Config configures a Stage.
type Config struct {
	Topics Topics
	Inputs Inputs
	// CityPartitions is the number of partitions of Topics.CityEvents: reviews, which name
	// only their order, go to each of them (package city).
	CityPartitions int
	Thresholds     sla.Thresholds
	Lateness       time.Duration // how late an event may arrive and still count (SPEC §4: 2 min)
	// IdleAfter is how long, in source time, a partition must have had no order change
	// before the heartbeat moves its clock (idle).
	IdleAfter time.Duration
	// EndOffsets lists, per partition of a topic, the offset a heartbeat's tick waits for:
	// the changes of orders written before the heartbeat.
	EndOffsets EndOffsets
	Log        *slog.Logger // nil: slog.Default()
}

// EndOffsets returns, for every partition of topic, its end offset (the next offset to be
// written), or 0 when it holds no record at all (its start offset is its end: retention
// removed them), since then no record will ever tell the stage it has got there.
type EndOffsets func(topic string) (map[int32]int64, error)

// Dims are the replicated dimensions the stage reads.
type Dims struct {
	Weather     *weather.Store
	Restaurants *dims.Restaurants
	Couriers    *dims.Couriers // to route GPS fixes to their city
	Live        *dims.Live     // the city stage's restaurant prep times and city pressure
}

// New makes the stage; Tables are its state for stream.New.
func New(cfg Config, d Dims, m *Models) *Stage {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Stage{topics: cfg.Topics, inputs: cfg.Inputs, thresholds: cfg.Thresholds, lateness: cfg.Lateness, idleAfter: cfg.IdleAfter, dims: d, models: m,
		cities: kgo.StickyKeyPartitioner(nil).ForTopic(cfg.Topics.CityEvents), cityParts: max(cfg.CityPartitions, 1),
		orders: stream.NewTable[state](cfg.Topics.State), clock: stream.NewTable[int64](cfg.Topics.Clock), timers: map[int32]*timers{},
		ends: cfg.EndOffsets, log: cfg.Log}
}

// Tables returns the stage's state tables, for stream.New.
func (s *Stage) Tables() []stream.Store { return []stream.Store{s.orders, s.clock} }

// Keys of the clock table.
const (
	clockKey     = "clock"
	anchorKey    = "anchor"
	committedKey = "committed"
	offsetKey    = "offset"
	tickKey      = "tick"
	tickAfterKey = "tick-after"
	tickPartsKey = "tick-partitions"
	heartbeatKey = "heartbeat"
)

// order is the part of an orders row the stage reads.
type order struct {
	id, customer, restaurant, city, courier int64
	status                                  string
	placed, accepted, picked                time.Time
	delivered, cancelled                    time.Time
	items, promised                         int64
	dropLat, dropLon, total, distance       float64
	promo                                   bool
	traceParent                             string
}

func parse(im debezium.Image) (order, error) {
	r := row{im: im}
	var o order
	o.id, o.customer, o.restaurant, o.city = r.int("id"), r.int("customer_id"), r.int("restaurant_id"), r.int("city_id")
	o.courier, _ = r.optInt("courier_id")
	o.status = r.str("status")
	var ok bool
	if o.placed, ok = r.time("placed_at"); !ok && r.err == nil {
		r.fail("placed_at", fmt.Errorf("missing"))
	}
	o.accepted, _ = r.time("accepted_at")
	o.picked, _ = r.time("picked_up_at")
	o.delivered, _ = r.time("delivered_at")
	o.cancelled, _ = r.time("cancelled_at")
	o.items, o.promised = r.int("items_count"), r.int("promised_minutes")
	o.dropLat, o.dropLon, o.total = r.float("drop_lat"), r.float("drop_lon"), r.float("total")
	o.distance, o.promo = r.float("distance_km"), r.bool("is_promo")
	if tp := r.raw("trace_parent"); tp != nil {
		o.traceParent = r.str("trace_parent")
	}
	return o, r.err
}

// newest is the order's latest business timestamp.
func (o order) newest() time.Time {
	t := o.placed
	for _, x := range []time.Time{o.accepted, o.picked, o.delivered, o.cancelled} {
		if x.After(t) {
			t = x
		}
	}
	return t
}

// Process handles one record: a change of orders, or a change that is only routed to the
// city stage.
func (s *Stage) Process(tx *stream.Tx, r *kgo.Record) error {
	switch r.Topic {
	case s.topics.Ticks:
		return s.ownTick(tx, r)
	case s.inputs.Orders:
		// Whatever the change turns out to be, even poison: a tick waiting for it may go.
		defer s.processed(tx, r)
	}
	ev, err := s.dec.DecodeRecord(r)
	if err != nil {
		return err
	}
	if ev.IsHeartbeat() {
		if !ev.Tombstone {
			s.heartbeat(tx, r, &ev)
		}
		return nil
	}
	if ev.Tombstone {
		return nil
	}
	switch r.Topic {
	case s.inputs.Orders:
		return s.order(tx, r, &ev)
	default:
		return s.route(tx, r, &ev)
	}
}

// order handles one change of orders.
func (s *Stage) order(tx *stream.Tx, r *kgo.Record, ev *debezium.Event) error {
	if ev.Table != "orders" {
		return fmt.Errorf("not a change of orders: table %s", ev.Table)
	}
	key := string(ev.Key.Get("id"))
	if ev.Op == debezium.OpDelete {
		// Deleted, or its id changed (Debezium sends a delete of the old key, then a create
		// of the new): the city stage must stop counting it open.
		if st, open := s.orders.Get(r.Partition, key); open {
			s.emitCity(tx, st.TraceParent, city.Event{Kind: city.OrderDeleted, CityID: st.Tracker.CityID, At: commitTime(ev),
				Order: &city.Order{ID: st.Tracker.OrderID, Status: "deleted", PlacedAt: st.Tracker.PlacedAt}})
		}
		s.orders.Delete(r.Partition, key)
		return nil
	}
	o, err := parse(ev.After)
	if err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	tx.TraceChange(o.traceParent, commitTime(ev))
	s.tick(r.Partition, o.newest(), commitTime(ev))
	s.fire(tx, r.Partition)
	st, open := s.orders.Get(r.Partition, key)
	if !open {
		if o.status == "delivered" || o.status == "cancelled" {
			return nil // finished before this stage saw it (an initial snapshot): nothing to decide
		}
		st = s.place(tx, o)
		if h := s.timers[r.Partition]; h != nil {
			heap.Push(h, timer{st.Tracker.Deadline(), o.id, key})
		}
	}
	s.emitCity(tx, o.traceParent, city.Event{Kind: city.OrderChanged, CityID: int32(o.city), At: o.newest(), Order: &city.Order{
		ID: o.id, RestaurantID: int32(o.restaurant), CourierID: int32(o.courier), Status: o.status,
		PlacedAt: o.placed, AcceptedAt: o.accepted, PickedUpAt: o.picked, DeliveredAt: o.delivered, CancelledAt: o.cancelled,
		DistanceKm: o.distance, IsPromo: o.promo}})
	switch o.status {
	case "delivered":
		s.deliver(tx, o, &st)
		s.orders.Delete(r.Partition, key)
	case "cancelled":
		st.Tracker.Handle(sla.Event{Kind: sla.Cancelled, At: o.cancelled})
		s.orders.Delete(r.Partition, key)
	default:
		s.orders.Put(r.Partition, key, st)
	}
	return nil
}

// tick moves the partition's clock to t, the business time of a change committed at the
// source at committed, if t is newer; the change becomes the anchor of the heartbeat's
// ticks.
func (s *Stage) tick(p int32, t, committed time.Time) {
	now, _ := s.clock.Get(p, clockKey)
	if us := t.UnixMicro(); us > now {
		s.clock.Put(p, clockKey, us)
		s.clock.Put(p, anchorKey, us)
		s.clock.Put(p, committedKey, committed.UnixMicro())
	}
}

// heartbeat turns a heartbeat of the source, committed at ev's commit time, into a tick for
// every partition of the orders topic, each to be applied once that partition has processed
// the changes written before the heartbeat (the end offsets now). A heartbeat not newer than
// the last one turned into ticks changes nothing. When the end offsets cannot be read, the
// heartbeat is passed over with a warning: the next one, seconds later, does its work.
func (s *Stage) heartbeat(tx *stream.Tx, r *kgo.Record, ev *debezium.Event) {
	at := commitTime(ev).UnixMicro()
	if last, _ := s.clock.Get(r.Partition, heartbeatKey); at <= last {
		return
	}
	ends, err := s.ends(s.inputs.Orders)
	if err != nil {
		s.log.Warn("orders: heartbeat passed over: end offsets of the orders topic", "err", err)
		return
	}
	s.clock.Put(r.Partition, heartbeatKey, at)
	for p, end := range ends {
		b, err := json.Marshal(ownTick{Committed: at, After: end, Partitions: len(ends)})
		if err != nil {
			panic(fmt.Sprintf("orders: marshal tick: %v", err)) // a plain struct: cannot happen
		}
		tx.Emit(&kgo.Record{Topic: s.topics.Ticks, Partition: p, Key: []byte("tick"), Value: b})
	}
}

// ownTick is a value of Topics.Ticks: a heartbeat committed at Committed (µs since the
// epoch), for when the partition has processed its orders up to offset After.
type ownTick struct {
	Committed  int64 `json:"committed"`
	After      int64 `json:"after"`
	Partitions int   `json:"partitions"` // of the orders topic
}

// ownTick applies a tick at once when its partition has processed the orders it waits for,
// and keeps it until then otherwise (a newer tick replaces an older one).
func (s *Stage) ownTick(tx *stream.Tx, r *kgo.Record) error {
	var t ownTick
	if err := json.Unmarshal(r.Value, &t); err != nil {
		return fmt.Errorf("orders: tick: %w", err)
	}
	p := r.Partition
	if done, _ := s.clock.Get(p, offsetKey); done < t.After {
		s.clock.Put(p, tickKey, t.Committed)
		s.clock.Put(p, tickAfterKey, t.After)
		s.clock.Put(p, tickPartsKey, int64(t.Partitions))
		return nil
	}
	s.idle(tx, p, t.Committed, t.Partitions)
	return nil
}

// processed notes that partition p has processed orders record r, and applies the tick that
// waited for it.
func (s *Stage) processed(tx *stream.Tx, r *kgo.Record) {
	p := r.Partition
	s.clock.Put(p, offsetKey, r.Offset+1)
	after, waiting := s.clock.Get(p, tickAfterKey)
	if !waiting || r.Offset+1 < after {
		return
	}
	committed, _ := s.clock.Get(p, tickKey)
	parts, _ := s.clock.Get(p, tickPartsKey)
	for _, k := range []string{tickKey, tickAfterKey, tickPartsKey} {
		s.clock.Delete(p, k)
	}
	s.idle(tx, p, committed, int(parts))
}

// idle applies a heartbeat committed at committed (µs) to partition p: its clock moves to
// the anchor's business time plus the source time elapsed since the anchor's commit, the
// timers it passes fire, and every partition of the city events learns the clock. Every
// change of p committed before the heartbeat has been processed, so a later change's
// business time is at least that clock whenever business time runs no slower than the
// source's (it runs with it in production, faster under generate -speed > 1). A partition
// that has seen no order yet has no clock: its tick says so.
//
// Only a partition idle for IdleAfter of source time moves: a heartbeat's position among
// the orders depends on when it was read, so a tick that came while changes were still
// flowing could fire a timer before a change that a replay processes first, wherever
// business times lag the source clock a little (a batch written with one commit time).
func (s *Stage) idle(tx *stream.Tx, p int32, committed int64, partitions int) {
	tick := city.Tick{Partition: p, Partitions: partitions}
	if now, ok := s.clock.Get(p, clockKey); ok {
		anchor, hasAnchor := s.clock.Get(p, anchorKey)
		since, _ := s.clock.Get(p, committedKey)
		if at := anchor + committed - since; hasAnchor && committed-since >= s.idleAfter.Microseconds() && at > now {
			s.clock.Put(p, clockKey, at)
			now = at
		}
		s.fire(tx, p)
		tick.Clock = time.UnixMicro(now).UTC()
	}
	out := city.Event{Kind: city.ClockTick, Tick: &tick}.Record(s.topics.CityEvents)
	for q := range s.cityParts {
		one := *out
		one.Partition = int32(q)
		tx.Emit(&one)
	}
}

// Enriched is a value of orders.enriched: the order at placement with its weather and features.
type Enriched struct {
	OrderID           int64     `json:"order_id"`
	CustomerID        int64     `json:"customer_id"`
	RestaurantID      int64     `json:"restaurant_id"`
	CityID            int64     `json:"city_id"`
	PlacedAt          time.Time `json:"placed_at"`
	ItemsCount        int64     `json:"items_count"`
	Total             float64   `json:"total"`
	PromisedMinutes   int64     `json:"promised_minutes"`
	WeatherID         int64     `json:"weather_observation_id"` // 0: no observation for the city yet
	features.Features           // flat in the JSON: a topic's value maps column by column onto its fact table
}

// Prediction is a value of eta.predictions.
type Prediction struct {
	OrderID          int64     `json:"order_id"`
	CityID           int64     `json:"city_id"`
	PlacedAt         time.Time `json:"placed_at"`
	PredictedMinutes float64   `json:"predicted_minutes"`
	ModelVersion     string    `json:"model_version"`
	features.Features
}

// Outcome is a value of eta.outcomes: a delivered order's prediction against what happened
// (model performance, SPEC §4.4).
type Outcome struct {
	OrderID      int64     `json:"order_id"`
	CityID       int64     `json:"city_id"`
	ModelVersion string    `json:"model_version"`
	PlacedAt     time.Time `json:"placed_at"`
	DeliveredAt  time.Time `json:"delivered_at"`
	sla.Overrun
}

// place starts tracking a new order: its features, its ETA and its SLA deadline.
func (s *Stage) place(tx *stream.Tx, o order) state {
	in := features.Input{PlacedAt: o.placed, DropLat: o.dropLat, DropLon: o.dropLon, ItemsCount: int(o.items),
		CityPressure: s.dims.Live.Pressure(int32(o.city), o.placed)}
	if rest, ok := s.dims.Restaurants.Get(int32(o.restaurant)); ok {
		in.RestaurantLat, in.RestaurantLon, in.RestaurantAvgPrepMinutes = rest.Lat, rest.Lon, rest.AvgPrepMinutes
	}
	if prep, ok := s.dims.Live.Prep(int32(o.restaurant)); ok {
		in.RestaurantAvgPrepMinutes = prep // the live value of SPEC §4.6; the profile until the first pickups
	}
	in.Weather, in.HasWeather = s.dims.Weather.At(int32(o.city), o.placed)
	f := features.Compute(in)
	minutes, version, ok := s.models.predict(f)
	if !ok {
		minutes, version = float64(o.promised), PromisedVersion
	}
	e := Enriched{OrderID: o.id, CustomerID: o.customer, RestaurantID: o.restaurant, CityID: o.city, PlacedAt: o.placed,
		ItemsCount: o.items, Total: o.total, PromisedMinutes: o.promised, Features: f}
	if in.HasWeather {
		e.WeatherID = in.Weather.ID
	}
	s.emit(tx, o.traceParent, s.topics.Enriched, o.id, e)
	s.emit(tx, o.traceParent, s.topics.Predictions, o.id, Prediction{OrderID: o.id, CityID: o.city, PlacedAt: o.placed,
		PredictedMinutes: minutes, ModelVersion: version, Features: f})
	return state{
		Tracker:   sla.Tracker{OrderID: o.id, CityID: int32(o.city), PlacedAt: o.placed, Threshold: s.thresholds.For(int32(o.city))},
		Predicted: minutes, Model: version, TraceParent: o.traceParent,
	}
}

// deliver decides the static and dynamic SLA of a delivered order and records its ETA error.
func (s *Stage) deliver(tx *stream.Tx, o order, st *state) {
	if v, ok := st.Tracker.Handle(sla.Event{Kind: sla.Delivered, At: o.delivered}); ok {
		s.violation(tx, o.traceParent, v)
	}
	actual := o.delivered.Sub(o.placed).Minutes()
	ov, err := sla.Dynamic(st.Predicted, actual)
	if err != nil {
		return // no usable prediction (e.g. promised_minutes 0): nothing to compare
	}
	s.emit(tx, o.traceParent, s.topics.Outcomes, o.id, Outcome{OrderID: o.id, CityID: o.city, ModelVersion: st.Model,
		PlacedAt: o.placed, DeliveredAt: o.delivered, Overrun: ov})
	if ov.Violation {
		s.emit(tx, o.traceParent, s.topics.DynamicViolations, o.id, sla.DynamicViolation{OrderID: o.id, CityID: int32(o.city),
			ModelVersion: st.Model, PlacedAt: o.placed, DeliveredAt: o.delivered, Overrun: ov})
	}
}

// violation emits a static violation, and tells the city stage of it (sla_spike alerts).
func (s *Stage) violation(tx *stream.Tx, traceParent string, v sla.Violation) {
	s.emit(tx, traceParent, s.topics.Violations, v.OrderID, v)
	s.emitCity(tx, traceParent, city.Event{Kind: city.BreachHappened, CityID: v.CityID, At: v.ObservedAt,
		Breach: &city.Breach{OrderID: v.OrderID, Kind: string(v.Kind)}})
}

// fire emits the at-risk violations that partition p's clock, less the lateness, has made
// due: each open order whose deadline has passed gets its one at_risk violation, stamped at
// the deadline, in deadline order. It runs before each record is applied, so an order
// delivered after its deadline has passed in event time is at risk first, not a breach.
func (s *Stage) fire(tx *stream.Tx, p int32) {
	now, ok := s.clock.Get(p, clockKey)
	if !ok {
		return
	}
	watermark := time.UnixMicro(now).UTC().Add(-s.lateness)
	h := s.timers[p]
	if h == nil {
		h = &timers{}
		s.orders.Range(p, func(key string, st state) bool {
			if st.Tracker.Status == sla.Open {
				h.items = append(h.items, timer{st.Tracker.Deadline(), st.Tracker.OrderID, key})
			}
			return true
		})
		heap.Init(h)
		s.timers[p] = h
	}
	for h.Len() > 0 && !h.items[0].deadline.After(watermark) {
		t := heap.Pop(h).(timer)
		st, open := s.orders.Get(p, t.key)
		if !open || st.Tracker.Status != sla.Open || !st.Tracker.Deadline().Equal(t.deadline) {
			continue // closed since, or fired already
		}
		if v, ok := st.Tracker.Handle(sla.Event{Kind: sla.DeadlinePassed, At: t.deadline}); ok {
			s.violation(tx, st.TraceParent, v)
		}
		s.orders.Put(p, t.key, st)
	}
}

// timer is an open order's deadline; timers is a partition's, earliest first (container/heap),
// ties in order id order so that a replay fires them in the same order.
type timer struct {
	deadline time.Time
	id       int64
	key      string
}

type timers struct{ items []timer }

func (h *timers) Len() int { return len(h.items) }
func (h *timers) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return a.deadline.Before(b.deadline) || a.deadline.Equal(b.deadline) && a.id < b.id
}
func (h *timers) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *timers) Push(x any)    { h.items = append(h.items, x.(timer)) }
func (h *timers) Pop() any {
	t := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return t
}

// Advance ends a transaction for partition p: due timers fire.
func (s *Stage) Advance(tx *stream.Tx, p int32) error {
	s.fire(tx, p)
	return nil
}

// Reset drops the timer heaps, rebuilt from the state when next needed: the runner rolled
// the state back or moved partitions.
func (s *Stage) Reset() { clear(s.timers) }

// emit writes v as JSON keyed by the order id, with the order's trace context (its
// trace_parent column) in the W3C traceparent header.
func (s *Stage) emit(tx *stream.Tx, traceParent string, topic string, id int64, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// A value JSON cannot carry (a NaN the row checks missed): the runner rolls the
		// order's change back and dead-letters it.
		tx.Poison(fmt.Errorf("orders: encode %s for order %d: %w", topic, id, err))
		return
	}
	out := &kgo.Record{Topic: topic, Key: strconv.AppendInt(nil, id, 10), Value: b}
	if traceParent != "" {
		out.Headers = []kgo.RecordHeader{{Key: debezium.TraceParentHeader, Value: []byte(traceParent)}}
	}
	tx.Emit(out)
}
