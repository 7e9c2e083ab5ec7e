package city_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/city"
	"github.com/flavortrend/flavortrend/enrich/pressure"
	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

const sfax = 1

// at is 2026-11-20 at hh:mm:ss UTC (an hour earlier than in Tunis).
func at(hh, mm, ss int) time.Time { return time.Date(2026, 11, 20, hh, mm, ss, 0, time.UTC) }

// commit is the source commit time of couriers and restaurants rows: the wall clock, days
// after the simulated day, which must not move the stage's clock.
var commit = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func courier(id int32, status, vehicle string, speed float64) city.Event {
	return city.Event{Kind: city.CourierChanged, CityID: sfax, At: commit,
		Courier: &city.Courier{ID: id, Status: status, Vehicle: vehicle, SpeedFactor: speed}}
}

// order is an order change; times are set up to the status.
type order struct {
	id                               int64
	restaurant, courier              int32
	status                           string
	placed, accepted, picked, closed time.Time
	km                               float64
	promo                            bool
}

func (o order) event() city.Event {
	c := &city.Order{ID: o.id, RestaurantID: o.restaurant, CourierID: o.courier, Status: o.status, PlacedAt: o.placed,
		AcceptedAt: o.accepted, PickedUpAt: o.picked, DistanceKm: o.km, IsPromo: o.promo}
	if o.status == "delivered" {
		c.DeliveredAt = o.closed
	}
	return city.Event{Kind: city.OrderChanged, CityID: sfax, At: o.latest(), Order: c}
}

func (o order) latest() time.Time {
	t := o.placed
	for _, x := range []time.Time{o.accepted, o.picked, o.closed} {
		if x.After(t) {
			t = x
		}
	}
	return t
}

// script is a lunch service in Sfax: a slow delivery, a courier going offline while
// three orders pile onto another (driver shortage, surge), relief, three reviews (one
// before its order, one of another partition's order), three breaches in three minutes
// (SLA spike) and a quiet quarter of an hour in which both episodes clear. split is where
// the crash test stops the stage.
func script() (events []city.Event, split int) {
	placed := func(id int64, r int32, t time.Time) order {
		return order{id: id, restaurant: r, status: "placed", placed: t, km: 2}
	}
	o100, o101 := placed(100, 7, at(11, 0, 0)), placed(101, 8, at(11, 20, 0))
	o1, o2, o3 := placed(1, 7, at(12, 0, 0)), placed(2, 7, at(12, 0, 0)), placed(3, 8, at(12, 0, 0))
	o3.promo = true
	o100.km, o101.km = 6, 4.5
	step := func(o *order, status string, courier int32, t time.Time) city.Event {
		o.status = status
		switch status {
		case "accepted":
			o.courier, o.accepted = courier, t
		case "picked_up":
			o.picked = t
		case "delivered":
			o.closed = t
		}
		return o.event()
	}
	events = []city.Event{
		courier(1, "idle", "scooter", 1.2),
		courier(2, "idle", "bicycle", 0.9),
		courier(3, "offline", "car", 1.0),
		{Kind: city.RestaurantChanged, CityID: sfax, At: commit, Restaurant: &city.Restaurant{ID: 7}},
		{Kind: city.RestaurantChanged, CityID: sfax, At: commit, Restaurant: &city.Restaurant{ID: 8, PausedUntil: at(13, 0, 0)}},
		o100.event(),
		step(&o100, "accepted", 1, at(11, 2, 0)),
		step(&o100, "picked_up", 0, at(11, 10, 0)),
		o101.event(),
		step(&o101, "accepted", 2, at(11, 21, 0)),
		step(&o101, "picked_up", 0, at(11, 30, 0)),
		step(&o100, "delivered", 0, at(11, 40, 0)),
		o1.event(), o2.event(), o3.event(),
		step(&o1, "accepted", 2, at(12, 1, 0)),
		step(&o2, "accepted", 2, at(12, 1, 0)),
		step(&o3, "accepted", 2, at(12, 1, 0)),
		courier(1, "offline", "scooter", 1.2),
		placed(4, 7, at(12, 2, 0)).event(),
		step(&o101, "delivered", 0, at(12, 2, 30)),
	}
	split = len(events)
	// 1, 2 and 3 are picked up at 12:04, which the stage learns from their delivered rows.
	o1.picked, o2.picked, o3.picked = at(12, 4, 0), at(12, 4, 0), at(12, 4, 0)
	events = append(events,
		placed(5, 7, at(12, 4, 0)).event(),
		courier(1, "idle", "scooter", 1.2),
		courier(3, "idle", "car", 1.0),
		step(&o1, "delivered", 0, at(12, 5, 0)),
		step(&o2, "delivered", 0, at(12, 5, 10)),
		step(&o3, "delivered", 0, at(12, 5, 20)),
		// Reviews name only their order (100: restaurant 7, courier 1; 101: 8 and 2), and
		// so does a review of an order another partition holds: it is not counted here.
		city.Event{Kind: city.ReviewWritten, At: at(12, 6, 0), Review: &city.Review{ID: 1, OrderID: 100, Rating: 2, Sentiment: "negative"}},
		city.Event{Kind: city.ReviewWritten, At: at(12, 6, 10), Review: &city.Review{ID: 3, OrderID: 999, Rating: 1, Sentiment: "negative"}},
		city.Event{Kind: city.ReviewWritten, At: at(12, 6, 30), Review: &city.Review{ID: 2, OrderID: 101, Rating: 5, Sentiment: "positive"}},
		city.Event{Kind: city.BreachHappened, CityID: sfax, At: at(12, 7, 0), Breach: &city.Breach{OrderID: 200, Kind: "breach"}},
		// A review before its order's first change (a backlog reads the reviews topic at
		// its own pace) waits for it.
		city.Event{Kind: city.ReviewWritten, At: at(12, 11, 30), Review: &city.Review{ID: 4, OrderID: 7, Rating: 4, Sentiment: "positive"}},
		city.Event{Kind: city.BreachHappened, CityID: sfax, At: at(12, 8, 0), Breach: &city.Breach{OrderID: 201, Kind: "at_risk"}},
		city.Event{Kind: city.BreachHappened, CityID: sfax, At: at(12, 9, 0), Breach: &city.Breach{OrderID: 202, Kind: "breach"}},
		city.Event{Kind: city.CourierMoved, CityID: sfax, At: at(12, 10, 0),
			Position: &city.Position{CourierID: 2, Lat: 34.74, Lon: 10.76, SpeedKmh: 18}},
		placed(7, 9, at(12, 11, 0)).event(),
		order{id: 7, restaurant: 9, status: "delivered", placed: at(12, 11, 0), closed: at(12, 11, 20), km: 1}.event(),
		placed(6, 7, at(12, 25, 0)).event(),
	)
	return events, split
}

type fixture struct {
	cfg    city.Config // the stage's settings beside its topics; zero: the defaults, 2 minutes of lateness
	topics city.Topics
	prefix string
	brok   []string
	cl     *kgo.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	_, _, kafka, _ := testenv.Settings()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	prefix := testenv.Name("ft_city") + "."
	f := &fixture{topics: city.NewTopics(prefix), prefix: prefix, brok: kafka.Brokers, cl: cl}
	history, features := f.topics.Outputs()
	compacted := append(features, f.topics.Changelogs()...)
	all := append(append([]string{f.topics.Events, prefix + "dead"}, history...), compacted...)
	adm := kadm.NewClient(cl)
	for _, topic := range all {
		var cfg map[string]*string
		if slices.Contains(compacted, topic) {
			cfg = map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
		}
		if _, err := adm.CreateTopic(context.Background(), 1, 1, cfg, topic); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := adm.DeleteTopics(context.Background(), all...); err != nil {
			t.Errorf("delete topics: %v", err)
		}
	})
	return f
}

func (f *fixture) produce(t *testing.T, evs ...city.Event) {
	t.Helper()
	recs := make([]*kgo.Record, len(evs))
	for i, ev := range evs {
		recs[i] = ev.Record(f.topics.Events)
	}
	if err := f.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

var names = map[int32]string{sfax: "Sfax"}

// run starts the stage; stop ends it as a crash would: only committed transactions count.
func (f *fixture) run(t *testing.T) (stop func()) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := f.cfg
	cfg.Topics, cfg.Log = f.topics, log
	if cfg.Lateness == 0 {
		cfg.Lateness = 2 * time.Minute
	}
	stage := city.New(cfg, func(id int32) (string, bool) {
		n, ok := names[id]
		return n, ok
	})
	rn, err := stream.New(stream.Config{Brokers: f.brok, Group: f.prefix + "g", Instance: "a", Topics: []string{f.topics.Events},
		DeadLetter: f.prefix + "dead"}, log, stage, stage.Tables()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rn.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		rn.Close()
	}
}

// read returns the raw values of a topic (read_committed) once the stage has published the
// minute starting at until, or after 30 s.
func (f *fixture) read(t *testing.T, topic string, until time.Time) []string {
	t.Helper()
	pressure := f.values(t, f.topics.Pressure, func(vs []string) bool {
		for _, v := range vs {
			if strings.Contains(v, `"minute":"`+until.Format(time.RFC3339)+`"`) {
				return true
			}
		}
		return false
	})
	if topic == f.topics.Pressure {
		return pressure
	}
	return f.values(t, topic, nil)
}

// values reads a topic to its end, or until enough says so.
func (f *fixture) values(t *testing.T, topic string, enough func([]string) bool) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.brok...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if enough == nil && fs.NumRecords() == 0 || enough != nil && enough(out) {
			break
		}
	}
	return out
}

func decode[V any](t *testing.T, raw []string) []V {
	t.Helper()
	out := make([]V, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &out[i]); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	return out
}

// outputs are every output topic's values in order.
func (f *fixture) outputs(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	history, features := f.topics.Outputs()
	for _, topic := range append(history, features...) {
		out[strings.TrimPrefix(topic, f.prefix)] = f.read(t, topic, at(12, 24, 0))
	}
	return out
}

// TestCityStage runs the script and checks each output against numbers computed by hand
// from SPEC §4.5–§4.10.
func TestCityStage(t *testing.T) {
	f := newFixture(t)
	evs, _ := script()
	f.produce(t, evs...)
	stop := f.run(t)
	out := f.outputs(t)
	stop()

	t.Run("pressure", func(t *testing.T) {
		byMinute := map[time.Time]city.CityPressure{}
		for _, p := range decode[city.CityPressure](t, out["city.pressure"]) {
			if _, dup := byMinute[p.Minute]; dup {
				t.Errorf("minute %s published twice", p.Minute)
			}
			byMinute[p.Minute] = p
		}
		// One record per minute from the first event's minute (11:00) to the last ended by
		// the clock (12:24), and none later.
		if len(byMinute) != 85 || byMinute[at(11, 0, 0)].Minute.IsZero() || byMinute[at(12, 24, 0)].Minute.IsZero() {
			t.Errorf("%d minutes published, want 85 from 11:00 to 12:24", len(byMinute))
		}
		tests := []struct {
			minute                  time.Time
			open, available, online int
			avg                     float64
			deliveries              int
			pressure                float64
			level                   string
			why                     string
		}{
			// 101 open; couriers 1 (idle, free) and 2 (one order) available, 3 offline.
			// demand 1/2: 70 × (1 − e^−0.2) = 12.689; order 100 took 40 min: + 30 × 10/30.
			{at(11, 40, 0), 1, 2, 2, 40, 1, 22.7, "normal", "one slow delivery"},
			// 101, 1, 2, 3 open, the same two couriers; 100 (11:40) is out of [11:46, 12:01).
			// demand 2: 70 × (1 − e^−0.8) = 38.547.
			{at(12, 0, 0), 4, 2, 2, 0, 0, 38.5, "normal", "lunch starts"},
			// courier 1 offline, courier 2 carries 4: nobody available. demand 4/0.5 = 8:
			// 70 × (1 − e^−3.2) = 67.147.
			{at(12, 1, 0), 4, 0, 1, 0, 0, 67.1, "normal", "zero available couriers"},
			// 101 delivered in 42.5 min, 4 placed: still 4 open, courier 2 carries 3.
			// 67.147 + 30 × 12.5/30 = 79.647.
			{at(12, 2, 0), 4, 0, 1, 42.5, 1, 79.6, "warning", "driver shortage"},
			{at(12, 3, 0), 4, 0, 1, 42.5, 1, 79.6, "warning", "still short"},
			// 5 placed, couriers 1 and 3 back: 5 open for 2. demand 2.5: 70 × (1 − e^−1)
			// = 44.248 + 12.5.
			{at(12, 4, 0), 5, 2, 3, 42.5, 1, 56.7, "normal", "relief"},
			// 1, 2, 3 delivered in 5:00, 5:10, 5:20; 4 and 5 open; all three available.
			// demand 2/3: 70 × (1 − e^−0.26667) = 16.383; mean of 42.5, 5, 5.1667, 5.3333 =
			// 14.5: no excess.
			{at(12, 5, 0), 2, 3, 3, 14.5, 4, 16.4, "normal", "deliveries done"},
		}
		for _, tt := range tests {
			p, ok := byMinute[tt.minute]
			switch {
			case !ok:
				t.Errorf("%s: minute %s not published", tt.why, tt.minute.Format("15:04"))
			case p.OpenOrders != tt.open || p.AvailableCouriers != tt.available || p.OnlineCouriers != tt.online ||
				p.RosterCouriers != 3 || p.DeliveriesLast15m != tt.deliveries || math.Abs(p.AvgDeliveryMinutes15-tt.avg) > 1e-9:
				t.Errorf("%s: minute %s counts %+v, want open %d, available %d, online %d of 3, %d deliveries averaging %v",
					tt.why, tt.minute.Format("15:04"), p, tt.open, tt.available, tt.online, tt.deliveries, tt.avg)
			case p.Pressure.Pressure != tt.pressure || string(p.Level) != tt.level:
				t.Errorf("%s: minute %s pressure %v (%s), want %v (%s)", tt.why, tt.minute.Format("15:04"), p.Pressure.Pressure,
					p.Level, tt.pressure, tt.level)
			}
		}
		if p := byMinute[at(12, 0, 0)]; p.OrdersPlaced != 3 {
			t.Errorf("orders placed in 12:00 = %d, want 3", p.OrdersPlaced)
		}
	})

	t.Run("alerts", func(t *testing.T) {
		var got []string
		for _, a := range decode[map[string]any](t, out["alerts"]) {
			got = append(got, fmt.Sprintf("%s %s %s %v %v %s", a["kind"], a["state"], a["severity"], a["raised_at"], a["cleared_at"], a["title"]))
		}
		// Shortage: hot minutes 12:02 and 12:03 (ending 12:03, 12:04); clears 5 minutes
		// after the last, published once the clock is 2 minutes past that. Spike: 3
		// breaches in 10 minutes from 12:09 until 12:17, when the 12:07 breach leaves the
		// window; clears at 12:22. Peak: never (fewer than 10 orders in any 5 minutes).
		want := []string{
			"driver_shortage raised warning 2026-11-20T12:03:00Z <nil> Driver shortage in Sfax",
			"sla_spike raised warning 2026-11-20T12:09:00Z <nil> SLA breach spike in Sfax",
			"driver_shortage cleared warning 2026-11-20T12:03:00Z 2026-11-20T12:09:00Z Driver shortage in Sfax",
			"sla_spike cleared warning 2026-11-20T12:09:00Z 2026-11-20T12:22:00Z SLA breach spike in Sfax",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("recommendations", func(t *testing.T) {
		recs := decode[map[string]any](t, out["recommendations"])
		// One, at the first minute ≥ 75, held for 15 minutes: ×1.5; 1 of 3 couriers online
		// is low supply.
		if len(recs) != 1 || recs[0]["factor"] != 1.5 || recs[0]["rationale"] != "low_supply" ||
			recs[0]["created_at"] != "2026-11-20T12:03:00Z" || recs[0]["pressure"] != 79.6 || recs[0]["id"] != "surge-1-20261120T120300.000000Z" {
			t.Errorf("recommendations %v, want one ×1.5 low_supply surge at 12:03 (79.6)", recs)
		}
	})

	t.Run("sentiment", func(t *testing.T) {
		var got []string
		for _, w := range decode[city.SentimentWindow](t, out["sentiment.windows"]) {
			got = append(got, fmt.Sprintf("%s %d %s–%s n=%d avg=%v +%d =%d -%d", w.EntityKind, w.EntityID,
				w.Start.Format("15:04"), w.End.Format("15:04"), w.Reviews, w.AvgRating, w.Positive, w.Neutral, w.Negative))
		}
		want := []string{
			"courier 1 12:05–12:10 n=1 avg=2 +0 =0 -1",
			"courier 2 12:05–12:10 n=1 avg=5 +1 =0 -0",
			"restaurant 7 12:05–12:10 n=1 avg=2 +0 =0 -1",
			"restaurant 8 12:05–12:10 n=1 avg=5 +1 =0 -0",
			"restaurant 9 12:10–12:15 n=1 avg=4 +1 =0 -0",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("sentiment windows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("couriers", func(t *testing.T) {
		last := map[int32]city.CourierFeatures{}
		for _, c := range decode[city.CourierFeatures](t, out["features.couriers"]) {
			last[c.CourierID] = c
		}
		// Courier 1: order 100, 6 km ridden in 30 min. Courier 2: 101 (4.5 km in 32.5 min)
		// and 1, 2, 3 (2 km each in 1:00, 1:10, 1:20): 10.5 km in 36 min.
		c1, c2 := last[1], last[2]
		if c1.Status != "idle" || c1.ActiveDeliveries != 0 || c1.DeliveriesToday != 1 || math.Abs(c1.AvgSpeedKmhToday-12) > 1e-9 ||
			c1.PositionAt != nil || !c1.Available || c1.UpdatedAt != at(12, 4, 0) {
			t.Errorf("courier 1 %+v, want idle, 1 delivery at 12 km/h, no position, at 12:04 (the clock when it came back)", c1)
		}
		if c2.ActiveDeliveries != 0 || c2.DeliveriesToday != 4 || math.Abs(c2.AvgSpeedKmhToday-17.5) > 1e-9 ||
			c2.PositionAt == nil || !c2.PositionAt.Equal(at(12, 10, 0)) || c2.Lat != 34.74 || c2.Load != "normal" {
			t.Errorf("courier 2 %+v, want 4 deliveries at 17.5 km/h, at 34.74,10.76 since 12:10", c2)
		}
		var peak int
		for _, c := range decode[city.CourierFeatures](t, out["features.couriers"]) {
			if c.CourierID == 2 && c.ActiveDeliveries > peak {
				peak = c.ActiveDeliveries
				if peak == 4 && c.Load != "busy" {
					t.Errorf("courier 2 with 4 active is %q, want busy", c.Load)
				}
			}
		}
		if peak != 4 {
			t.Errorf("courier 2 peaked at %d active deliveries, want 4", peak)
		}
	})

	t.Run("restaurants", func(t *testing.T) {
		last := map[int32]city.RestaurantFeatures{}
		for _, r := range decode[city.RestaurantFeatures](t, out["features.restaurants"]) {
			last[r.RestaurantID] = r
		}
		// Windows count by minute, [end − 15 min, end). 7: order 5 (12:04) is the last to
		// leave its 15 minutes, at 12:20; pickups of 1 and 2 (accepted 12:01, picked 12:04):
		// 3 min. 8: the promo order 3 (12:00) leaves at 12:16; pickups 101 (9 min) and 3
		// (3 min): 6. Loads: no orders of their own, so 100 × 0.4 × prep / max(6, 20).
		want := map[int32]city.RestaurantFeatures{
			7: {RestaurantID: 7, CityID: sfax, UpdatedAt: at(12, 20, 0), AvgPrepMinutesLastHour: 3, PickupsLastHour: 2, LoadScore: 6},
			8: {RestaurantID: 8, CityID: sfax, UpdatedAt: at(12, 16, 0), AvgPrepMinutesLastHour: 6, PickupsLastHour: 2, IsPaused: true, LoadScore: 12},
		}
		for id, w := range want {
			g := last[id]
			g.LoadScore = math.Round(g.LoadScore*1e9) / 1e9
			if g != w {
				t.Errorf("restaurant %d last published %+v, want %+v", id, g, w)
			}
		}
		// At 12:06, the first minute's end after the pickups of 1, 2 and 3 were learnt, the
		// window [11:51, 12:06) holds 1, 2, 4 and 5 for 7, and the promo order 3 for 8.
		// Prep: 7 has 100 (8 min, picked 11:10) and 1, 2 (3 min): 14/3; 8 has 101 (9)
		// and 3 (3): 6. Loads: 7: 100 × (0.6 × 4/4 + 0.4 × (14/3)/20) = 69.333;
		// 8: 100 × (0.6 × 1/4 + 0.4 × 6/20) = 27.
		for _, r := range decode[city.RestaurantFeatures](t, out["features.restaurants"]) {
			if !r.UpdatedAt.Equal(at(12, 6, 0)) {
				continue
			}
			switch {
			case r.RestaurantID == 7 && (r.OrdersLast15m != 4 || math.Abs(r.LoadScore-(60+40*(14.0/3)/20)) > 1e-9):
				t.Errorf("restaurant 7 at 12:06 %+v, want 4 orders, load 69.33", r)
			case r.RestaurantID == 8 && (r.OrdersLast15m != 1 || !r.IsPromoActive || math.Abs(r.LoadScore-27) > 1e-9):
				t.Errorf("restaurant 8 at 12:06 %+v, want 1 promo order, load 27", r)
			}
		}
	})
}

// TestCityStageRestart: a crash between two halves of the input and a restart from the
// changelogs publish exactly what an uninterrupted run does, record for record.
func TestCityStageRestart(t *testing.T) {
	evs, split := script()
	whole := newFixture(t)
	whole.produce(t, evs...)
	stop := whole.run(t)
	want := whole.outputs(t)
	stop()

	crashed := newFixture(t)
	crashed.produce(t, evs[:split]...)
	stop = crashed.run(t)
	crashed.read(t, crashed.topics.Pressure, at(12, 1, 0)) // the first half is processed
	stop()
	crashed.produce(t, evs[split:]...)
	stop = crashed.run(t)
	got := crashed.outputs(t)
	stop()

	for topic, w := range want {
		g := got[topic]
		if len(w) == 0 {
			t.Errorf("%s: nothing published", topic)
		}
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s after a restart differs from an uninterrupted run:\n%s\nwant:\n%s", topic, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
}

// tick is the order stage's Tick of its partition p (of 2) at clock c (zero: no order seen).
func tick(p int32, c time.Time) city.Event {
	return city.Event{Kind: city.ClockTick, Tick: &city.Tick{Partition: p, Partitions: 2, Clock: c}}
}

func deleted(id int64) city.Event {
	return city.Event{Kind: city.OrderDeleted, CityID: sfax, At: commit, Order: &city.Order{ID: id, Status: "deleted"}}
}

// TestQuietCity: Sfax's orders are deleted, re-keyed or never finish, and nothing else
// happens in its partition; only the order stage's ticks (the source's heartbeat) move the
// clock. Every minute is still published with the open orders that remain, the driver
// shortage clears, an order open past OpenFor stops counting, and after a gap longer than
// MaxCatchUp the older minutes are skipped (with a warning) and the rest published.
func TestQuietCity(t *testing.T) {
	f := newFixture(t)
	f.cfg = city.Config{OpenFor: time.Hour, MaxCatchUp: 3 * time.Hour}
	placed := func(id int64) city.Event {
		return order{id: id, restaurant: 7, status: "placed", placed: at(12, 0, 0), km: 2}.event()
	}
	slow := order{id: 100, restaurant: 7, status: "placed", placed: at(11, 0, 0), km: 2}
	evs := []city.Event{
		courier(1, "offline", "scooter", 1), // on the roster, not available
		slow.event(),
		order{id: 100, restaurant: 7, status: "delivered", placed: at(11, 0, 0), closed: at(11, 59, 0), km: 2}.event(), // 59 minutes
		placed(1), placed(2), placed(3),
		// A GPS fix at 12:01:30 ends the minute 12:00: 3 open orders, no courier, a slow
		// delivery: a driver shortage.
		{Kind: city.CourierMoved, CityID: sfax, At: at(12, 1, 30), Position: &city.Position{CourierID: 1, Lat: 34.7, Lon: 10.7}},
		deleted(1), deleted(2),
		deleted(3), placed(30), // order 3's id changed to 30: a delete of the old key, a create of the new
		// Partition 1 of the order stage has no order: it holds nothing back.
		tick(1, time.Time{}),
	}
	for m := 5; m <= 65; m += 5 {
		evs = append(evs, tick(0, at(12, 0, 0).Add(time.Duration(m)*time.Minute)))
	}
	evs = append(evs, tick(0, at(17, 5, 0))) // four hours without a heartbeat
	f.produce(t, evs...)
	stop := f.run(t)
	raw := f.read(t, f.topics.Pressure, at(17, 4, 0))
	alerts := decode[struct {
		Kind  string `json:"kind"`
		State string `json:"state"`
	}](t, f.values(t, f.topics.Alerts, nil))
	stop()

	byMinute := map[time.Time]city.CityPressure{}
	for _, p := range decode[city.CityPressure](t, raw) {
		if _, dup := byMinute[p.Minute]; dup {
			t.Errorf("minute %s published twice", p.Minute)
		}
		byMinute[p.Minute] = p
	}
	for m := at(11, 0, 0); !m.After(at(17, 4, 0)); m = m.Add(time.Minute) {
		p, ok := byMinute[m]
		skipped := m.After(at(13, 4, 0)) && !m.After(at(14, 5, 0)) // 17:05 − 3 h: published from 14:06
		want := city.CityPressure{CityID: sfax, Minute: m, RosterCouriers: 1}
		open := 0
		switch {
		case m.Before(at(11, 59, 0)): // order 100
			open = 1
		case m.Equal(at(12, 0, 0)):
			open, want.OrdersPlaced = 3, 3
		case m.After(at(12, 0, 0)) && m.Before(at(13, 5, 0)):
			// Order 30, placed at 12:00, open for an hour: dropped once the clock passes
			// 13:00 (by the tick at 13:05, after the minutes it publishes).
			open = 1
		}
		if m.Equal(at(11, 0, 0)) {
			want.OrdersPlaced = 1
		}
		if !m.Before(at(11, 59, 0)) && !m.After(at(12, 13, 0)) { // the delivery at 11:59 is in the last 15 minutes
			want.AvgDeliveryMinutes15, want.DeliveriesLast15m = 59, 1
		}
		want.Pressure = pressure.Compute(open, 0, want.AvgDeliveryMinutes15, want.DeliveriesLast15m > 0)
		switch {
		case skipped && ok:
			t.Errorf("minute %s published, want it skipped after the gap", m.Format("15:04"))
		case !skipped && !ok:
			t.Errorf("minute %s not published", m.Format("15:04"))
		case ok && p != want:
			t.Errorf("minute %s: %+v, want %+v", m.Format("15:04"), p, want)
		}
	}
	if _, ok := byMinute[at(17, 5, 0)]; ok || len(byMinute) != 125+179 {
		t.Errorf("%d minutes published (17:05 too: %v), want 11:00–13:04 and 14:06–17:04 (304)", len(byMinute), ok)
	}
	var got []string
	for _, a := range alerts {
		got = append(got, a.Kind+":"+a.State)
	}
	if want := "driver_shortage:raised driver_shortage:cleared"; strings.Join(got, " ") != want {
		t.Errorf("alerts %v, want %s", got, want)
	}
}
