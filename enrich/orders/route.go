package orders

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/city"
	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// route passes a change the city stage needs to its topic, keyed by city: couriers and
// restaurants rows, GPS fixes (whose city is their courier's), and reviews. A review names
// only its order, whose city only the city stage knows: it goes to every partition, where
// the one that holds the order counts it.
func (s *Stage) route(tx *stream.Tx, r *kgo.Record, ev *debezium.Event) error {
	if ev.Op == debezium.OpDelete {
		return nil
	}
	rw := row{im: ev.After}
	switch r.Topic {
	case s.inputs.Reviews:
		if ev.Op != debezium.OpCreate && ev.Op != debezium.OpRead {
			return nil // a review is counted once, when written
		}
		rv := &city.Review{ID: rw.int("id"), OrderID: rw.int("order_id"), Rating: int(rw.int("rating")), Sentiment: rw.str("sentiment")}
		at, ok := rw.time("created_at")
		if rw.err != nil || !ok {
			return fmt.Errorf("order_reviews: created_at missing or %v", rw.err)
		}
		out := city.Event{Kind: city.ReviewWritten, At: at, Review: rv}.Record(s.topics.CityEvents)
		for p := range s.cityParts {
			one := *out
			one.Partition = int32(p)
			tx.Emit(&one)
		}
	case s.inputs.Couriers:
		c := &city.Courier{ID: int32(rw.int("id")), Status: rw.str("status"), Vehicle: rw.str("vehicle"), SpeedFactor: rw.float("speed_factor")}
		cityID := rw.int("city_id")
		if rw.err != nil {
			return fmt.Errorf("couriers: %w", rw.err)
		}
		s.emitCity(tx, "", city.Event{Kind: city.CourierChanged, CityID: int32(cityID), At: commitTime(ev), Courier: c})
	case s.inputs.Positions:
		p := &city.Position{CourierID: int32(rw.int("courier_id")), Lat: rw.float("lat"), Lon: rw.float("lon"), SpeedKmh: rw.float("speed_kmh")}
		at, ok := rw.time("recorded_at")
		if rw.err != nil || !ok {
			return fmt.Errorf("courier_positions: recorded_at missing or %v", rw.err)
		}
		cityID, known := s.dims.Couriers.City(p.CourierID)
		if !known {
			return fmt.Errorf("courier_positions: courier %d unknown", p.CourierID)
		}
		s.emitCity(tx, "", city.Event{Kind: city.CourierMoved, CityID: cityID, At: at, Position: p})
	case s.inputs.Restaurants:
		rest := &city.Restaurant{ID: int32(rw.int("id"))}
		rest.PausedUntil, _ = rw.time("paused_until")
		cityID := rw.int("city_id")
		if rw.err != nil {
			return fmt.Errorf("restaurants: %w", rw.err)
		}
		s.emitCity(tx, "", city.Event{Kind: city.RestaurantChanged, CityID: int32(cityID), At: commitTime(ev), Restaurant: rest})
	default:
		return fmt.Errorf("orders stage: unexpected topic %s", r.Topic)
	}
	return nil
}

// commitTime is when a change was committed at the source, for rows without a business
// time of their own (couriers, restaurants).
func commitTime(ev *debezium.Event) time.Time { return time.UnixMilli(ev.CommitMs).UTC() }

// emitCity writes an event to the city stage's topic, in the partition of its city (hashed
// as Kafka's default partitioner does), with the order's trace context when there is one.
func (s *Stage) emitCity(tx *stream.Tx, traceParent string, ev city.Event) {
	out := ev.Record(s.topics.CityEvents)
	out.Partition = int32(s.cities.Partition(out, s.cityParts))
	if traceParent != "" {
		out.Headers = []kgo.RecordHeader{{Key: debezium.TraceParentHeader, Value: []byte(traceParent)}}
	}
	tx.Emit(out)
}
