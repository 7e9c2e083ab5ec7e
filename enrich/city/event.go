package city

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	json "github.com/goccy/go-json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/sentiment"
)

// Kind is what an Event is about.
type Kind string

// The kinds of events the city stage takes.
const (
	OrderChanged      Kind = "order"         // an order was placed or changed status (orders)
	BreachHappened    Kind = "breach"        // a static SLA violation (sla.violations)
	ReviewWritten     Kind = "review"        // a review of a delivered order (order_reviews)
	CourierChanged    Kind = "courier"       // a courier's row changed (couriers)
	CourierMoved      Kind = "position"      // a courier's GPS fix (courier_positions)
	RestaurantChanged Kind = "restaurant"    // a restaurant's row changed (restaurants)
	OrderDeleted      Kind = "order_deleted" // an open order's row was deleted (or its key changed)
	ClockTick         Kind = "tick"          // an order-stage partition's event clock (see Tick)
)

// Event is a value of the topic enrich.city-events, keyed by city id: the order stage
// re-keys what the city stage needs by city, in its own transactions, the way Kafka
// Streams repartitions a stream before a keyed aggregation. Exactly one of the pointers is
// set, the one Kind names. At is the event's business time (its event time). A review names
// only its order: it has no city (CityID 0) and goes to every partition, where the stage
// that holds the order counts it.
type Event struct {
	Kind       Kind        `json:"kind"`
	CityID     int32       `json:"city_id"`
	At         time.Time   `json:"at"`
	Order      *Order      `json:"order,omitempty"`
	Breach     *Breach     `json:"breach,omitempty"`
	Review     *Review     `json:"review,omitempty"`
	Courier    *Courier    `json:"courier,omitempty"`
	Position   *Position   `json:"position,omitempty"`
	Restaurant *Restaurant `json:"restaurant,omitempty"`
	Tick       *Tick       `json:"tick,omitempty"`
}

// Tick tells every partition of the city events how far partition Partition of the order
// stage has got in event time: its clock, moved by the source's heartbeat when no order
// moves it (docs/enrich.md, "State and timers"). The order stage writes it, in its
// transaction, after every change of that partition committed before the heartbeat, so the
// city stage that has the ticks of all Partitions knows that no order event older than the
// smallest of their clocks (less the lateness) is still to come. Clock is zero while the
// order-stage partition has seen no order: it holds nothing back. Ticks carry no city
// (CityID 0) and no At.
type Tick struct {
	Partition  int32     `json:"partition"`
	Partitions int       `json:"partitions"` // of the order stage's input
	Clock      time.Time `json:"clock,omitzero"`
}

// Order is an order's row after a change.
type Order struct {
	ID           int64     `json:"id"`
	RestaurantID int32     `json:"restaurant_id"`
	CourierID    int32     `json:"courier_id"` // 0: none assigned
	Status       string    `json:"status"`     // placed, accepted, picked_up, delivered, cancelled
	PlacedAt     time.Time `json:"placed_at"`
	AcceptedAt   time.Time `json:"accepted_at,omitzero"`
	PickedUpAt   time.Time `json:"picked_up_at,omitzero"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"`
	CancelledAt  time.Time `json:"cancelled_at,omitzero"`
	DistanceKm   float64   `json:"distance_km"`
	IsPromo      bool      `json:"is_promo"`
}

// Breach is a static SLA violation (at risk or delivered late) of an order.
type Breach struct {
	OrderID int64  `json:"order_id"`
	Kind    string `json:"kind"`
}

// Review is an order's review.
type Review struct {
	ID        int64  `json:"id"`
	OrderID   int64  `json:"order_id"`
	Rating    int    `json:"rating"`
	Sentiment string `json:"sentiment"`
}

// Courier is a courier's row after a change.
type Courier struct {
	ID          int32   `json:"id"`
	Status      string  `json:"status"` // offline, idle, busy
	Vehicle     string  `json:"vehicle"`
	SpeedFactor float64 `json:"speed_factor"`
}

// Position is a courier's GPS fix.
type Position struct {
	CourierID int32   `json:"courier_id"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	SpeedKmh  float64 `json:"speed_kmh"`
}

// Restaurant is a restaurant's row after a change.
type Restaurant struct {
	ID          int32     `json:"id"`
	PausedUntil time.Time `json:"paused_until,omitzero"` // zero: not paused
}

// Record is ev as a record of topic, keyed by its city ("0" for a review).
func (ev Event) Record(topic string) *kgo.Record {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("city: marshal event: %v", err)) // plain structs: cannot happen
	}
	return &kgo.Record{Topic: topic, Key: strconv.AppendInt(nil, int64(ev.CityID), 10), Value: b}
}

var sentiments = []string{sentiment.Positive, sentiment.Neutral, sentiment.Negative}

// decode reads an Event and checks that it carries what its kind needs.
func decode(value []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(value, &ev); err != nil {
		return ev, fmt.Errorf("city event: %w", err)
	}
	var ok bool
	switch ev.Kind {
	case OrderChanged:
		ok = ev.Order != nil
	case BreachHappened:
		ok = ev.Breach != nil
	case ReviewWritten:
		ok = ev.Review != nil
		if ok && (ev.Review.Rating < 1 || ev.Review.Rating > 5 || !slices.Contains(sentiments, ev.Review.Sentiment)) {
			return ev, fmt.Errorf("city event: review %d: rating %d, sentiment %q", ev.Review.ID, ev.Review.Rating, ev.Review.Sentiment)
		}
	case CourierChanged:
		ok = ev.Courier != nil
	case CourierMoved:
		ok = ev.Position != nil
	case RestaurantChanged:
		ok = ev.Restaurant != nil
	case OrderDeleted:
		ok = ev.Order != nil
	case ClockTick:
		if ev.Tick == nil || ev.Tick.Partitions < 1 || ev.Tick.Partition < 0 || int(ev.Tick.Partition) >= ev.Tick.Partitions {
			return ev, fmt.Errorf("city event: tick without a valid partition: %+v", ev.Tick)
		}
		return ev, nil
	default:
		return ev, fmt.Errorf("city event: unknown kind %q", ev.Kind)
	}
	switch {
	case !ok:
		return ev, fmt.Errorf("city event: kind %s without its %s member", ev.Kind, ev.Kind)
	case ev.CityID <= 0 && ev.Kind != ReviewWritten:
		return ev, fmt.Errorf("city event: city_id %d", ev.CityID)
	case ev.At.IsZero():
		return ev, fmt.Errorf("city event: no event time")
	}
	return ev, nil
}
