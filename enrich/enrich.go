// Package enrich is the enricher process (`flavortrend enrich`): it creates the derived
// topics of SPEC §3 and the stages' changelogs when they are missing, loads the replicated
// dimensions, and runs the order stage (package orders) and the city stage (package city)
// in Kafka transactions (package stream). docs/enrich.md describes the stages, their state
// and their outputs.
package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/flavortrend/flavortrend/enrich/city"
	"github.com/flavortrend/flavortrend/enrich/dims"
	"github.com/flavortrend/flavortrend/enrich/eta"
	"github.com/flavortrend/flavortrend/enrich/features"
	"github.com/flavortrend/flavortrend/enrich/orders"
	"github.com/flavortrend/flavortrend/enrich/registry"
	"github.com/flavortrend/flavortrend/enrich/replica"
	"github.com/flavortrend/flavortrend/enrich/sla"
	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/enrich/weather"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	"github.com/flavortrend/flavortrend/internal/topics"
)

// Config is everything the enricher needs; Bind documents each setting.
type Config struct {
	Kafka         config.Kafka
	ClickHouse    config.ClickHouse   // where the promoted ETA model is read from
	ModelPoll     time.Duration       // how often to look for a newly promoted model
	CatchUp       time.Duration       // how long the start may take to load the replicated dimensions
	TopicPrefix   string              // CDC topics are <prefix>.public.<table>
	DerivedPrefix string              // prepended to the derived topics' names of SPEC §3 ("" for exactly those names)
	Group         string              // consumer group of the order stage
	Instance      string              // this instance's stable name in the group
	Lateness      time.Duration       // how late an event may arrive and still count
	IdleAfter     time.Duration       // how long a partition gets no order before the source's heartbeat moves its clock
	SLA           time.Duration       // static SLA threshold
	SLAByCity     []string            // per-city overrides, city_id=duration
	Partitions    int                 // partitions of the topics the enricher creates
	MaxCatchUp    time.Duration       // the minutes the city stage publishes at most after a gap in event time
	OpenFor       time.Duration       // how long, in event time, the city stage counts an order open without a change that closes it
	Telemetry     telemetry.Providers // spans and metrics (docs/telemetry.md); zero records nothing

	thresholds sla.Thresholds
}

// Bind registers the enricher's flags.
func (c *Config) Bind(f *config.Flags) {
	c.Kafka.Bind(f)
	c.ClickHouse.Bind(f)
	host, _ := os.Hostname()
	f.String(&c.TopicPrefix, "topic-prefix", "FT_TOPIC_PREFIX", config.DefaultTopicPrefix, "CDC topic prefix: reads <prefix>.public.<table>")
	f.String(&c.DerivedPrefix, "derived-prefix", "FT_DERIVED_PREFIX", "", "prefix of the derived topics (orders.enriched, eta.predictions, sla.violations, …); empty for exactly those names")
	f.String(&c.Group, "group", "FT_ENRICH_GROUP", "flavortrend-enrich", "Kafka consumer group; run several instances with one group to split the partitions")
	f.String(&c.Instance, "instance", "FT_ENRICH_INSTANCE", host, "this instance's name, unique in the group and the same across its restarts (its transactional id is <group>-<instance>)")
	f.Duration(&c.Lateness, "lateness", "FT_ENRICH_LATENESS", 2*time.Minute, "how late, in event time, an event may arrive and still count (timers wait this long)")
	f.Duration(&c.SLA, "sla", "FT_SLA", sla.DefaultThreshold, "static SLA: an order delivered later than this after placement breaches it")
	f.List(&c.SLAByCity, "sla-city", "FT_SLA_CITY", "", "per-city static SLA overrides, e.g. 3=40m,12=50m")
	f.Duration(&c.ModelPoll, "model-poll", "FT_ENRICH_MODEL_POLL", 30*time.Second, "how often to look in ClickHouse for a newly promoted ETA model (until the first, predictions are the promised minutes)")
	f.Duration(&c.IdleAfter, "idle-after", "FT_ENRICH_IDLE_AFTER", 30*time.Second, "a partition that has had no order change for this long of source time moves its clock with the source's heartbeat, so that at-risk timers, pressure minutes and alert clearing go on in a quiet partition (docs/enrich.md)")
	f.Duration(&c.CatchUp, "catch-up-timeout", "FT_ENRICH_CATCH_UP_TIMEOUT", 5*time.Minute, "how long the start may take to read the replicated dimensions (restaurants, couriers, cities, weather, live features, pressure) to their ends; past it the enricher stops with an error naming what it could not read")
	f.Duration(&c.MaxCatchUp, "max-catch-up", "FT_ENRICH_MAX_CATCH_UP", city.DefaultMaxCatchUp, "after a gap in event time longer than this (the source stopped, heartbeat and all), the city stage publishes only this much of the missed minutes, and logs the minutes it skips")
	f.Duration(&c.OpenFor, "open-order-expiry", "FT_ENRICH_OPEN_ORDER_EXPIRY", city.DefaultOpenFor, "an order open for longer than this in event time, without the change that closes it, no longer counts in its city's open orders and pressure (a warning names it)")
	f.Int(&c.Partitions, "partitions", "FT_ENRICH_PARTITIONS", 3, "partitions of the derived and changelog topics the enricher creates (the changelogs must match the CDC topics')")
}

// Validate checks the settings.
func (c *Config) Validate() error {
	switch {
	case len(c.Kafka.Brokers) == 0:
		return errors.New("-kafka-brokers: at least one broker")
	case c.Group == "" || c.Instance == "":
		return errors.New("-group and -instance: must not be empty")
	case c.Lateness < 0:
		return fmt.Errorf("-lateness %s: must not be negative", c.Lateness)
	case c.Partitions < 1:
		return fmt.Errorf("-partitions %d: must be at least 1", c.Partitions)
	case c.MaxCatchUp < 0 || c.OpenFor < 0:
		return fmt.Errorf("-max-catch-up %s, -open-order-expiry %s: must not be negative", c.MaxCatchUp, c.OpenFor)
	case c.IdleAfter < 0:
		return fmt.Errorf("-idle-after %s: must not be negative", c.IdleAfter)
	case c.CatchUp < 0:
		return fmt.Errorf("-catch-up-timeout %s: must not be negative", c.CatchUp)
	case c.ModelPoll < 0:
		return fmt.Errorf("-model-poll %s: must not be negative", c.ModelPoll)
	}
	if c.ModelPoll == 0 {
		c.ModelPoll = 30 * time.Second
	}
	if c.CatchUp == 0 {
		c.CatchUp = 5 * time.Minute
	}
	c.thresholds = sla.Thresholds{Default: c.SLA, PerCity: map[int32]time.Duration{}}
	for _, kv := range c.SLAByCity {
		city, d, ok := strings.Cut(kv, "=")
		id, err1 := strconv.ParseInt(city, 10, 32)
		dur, err2 := time.ParseDuration(d)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("-sla-city %q: want city_id=duration, e.g. 3=40m", kv)
		}
		c.thresholds.PerCity[int32(id)] = dur
	}
	if err := c.thresholds.Validate(); err != nil {
		return fmt.Errorf("-sla: %w", err)
	}
	return nil
}

// Run runs the enricher until ctx ends: the order stage and the city stage, each in its
// own consumer group and transactions, over the dimensions replicated beside them.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	orderTopics, cityTopics := orders.NewTopics(cfg.DerivedPrefix), city.NewTopics(cfg.DerivedPrefix)
	inputs := orders.NewInputs(cfg.TopicPrefix)
	dead := cfg.DerivedPrefix + "enrich.dead-letter"
	cityParts, err := createTopics(ctx, cfg, log, inputs, orderTopics, cityTopics, dead)
	if err != nil {
		return err
	}
	d := orders.Dims{Weather: &weather.Store{Retention: topics.History}, Restaurants: dims.NewRestaurants(), Couriers: dims.NewCouriers(), Live: dims.NewLive()}
	cities := dims.NewCities()
	rep, err := replica.New(cfg.Kafka.Brokers, log, map[string]replica.Apply{
		inputs.Restaurants: replica.Debezium(d.Restaurants.Apply),
		cfg.TopicPrefix + ".public.weather_observations": replica.Debezium(dims.Weather(d.Weather)),
		inputs.Couriers:                    replica.Debezium(d.Couriers.Apply),
		cfg.TopicPrefix + ".public.cities": replica.Debezium(cities.Apply),
		cityTopics.Restaurants:             d.Live.ApplyRestaurant,
		cityTopics.Pressure:                d.Live.ApplyPressure,
	})
	if err != nil {
		return err
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	repDone := make(chan error, 1)
	go func() { repDone <- rep.Run(rctx) }()
	wctx, cancel := context.WithTimeout(ctx, cfg.CatchUp)
	err = rep.WaitCaughtUp(wctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("dimensions not loaded within -catch-up-timeout %s: %w", cfg.CatchUp, err)
	}
	log.Info("dimensions loaded")

	models := &orders.Models{}
	go watchModels(rctx, cfg, log, models)
	ends, err := endOffsets(rctx, cfg.Kafka.Brokers)
	if err != nil {
		return err
	}
	defer ends.close()
	orderStage := orders.New(orders.Config{Topics: orderTopics, Inputs: inputs, CityPartitions: cityParts,
		Thresholds: cfg.thresholds, Lateness: cfg.Lateness, IdleAfter: cfg.IdleAfter, EndOffsets: ends.list, Log: log}, d, models)
	orderRunner, err := stream.New(stream.Config{Brokers: cfg.Kafka.Brokers, Group: cfg.Group, Instance: cfg.Instance,
		Topics: orderStage.Consumed(), DeadLetter: dead, Partitioned: []string{orderTopics.CityEvents, orderTopics.Ticks},
		Name: "orders", Telemetry: cfg.Telemetry}, log, orderStage, orderStage.Tables()...)
	if err != nil {
		return err
	}
	defer orderRunner.Close()
	cityStage := city.New(city.Config{Topics: cityTopics, Lateness: cfg.Lateness, MaxCatchUp: cfg.MaxCatchUp,
		OpenFor: cfg.OpenFor, Log: log}, cities.Name)
	cityRunner, err := stream.New(stream.Config{Brokers: cfg.Kafka.Brokers, Group: cfg.Group + "-city", Instance: cfg.Instance,
		Topics: []string{cityTopics.Events}, DeadLetter: dead, Name: "city", Telemetry: cfg.Telemetry}, log, cityStage, cityStage.Tables()...)
	if err != nil {
		return err
	}
	defer cityRunner.Close()

	// Either stage ending ends both: a runner returns only on shutdown or an error it
	// cannot recover from.
	g, gctx := errgroup.WithContext(rctx)
	g.Go(func() error { return orderRunner.Run(gctx) })
	g.Go(func() error { return cityRunner.Run(gctx) })
	err = g.Wait()
	stop()
	if rerr := <-repDone; err == nil {
		err = rerr
	}
	return err
}

// offsets lists the offsets the order stage's heartbeat ticks wait for (orders.EndOffsets).
type offsets struct {
	ctx context.Context
	cl  *kgo.Client
	adm *kadm.Client
}

func endOffsets(ctx context.Context, brokers []string) (*offsets, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &offsets{ctx: ctx, cl: cl, adm: kadm.NewClient(cl)}, nil
}

func (o *offsets) close() { o.cl.Close() }

// list is orders.EndOffsets: the end offset of each partition of topic, 0 for one that
// holds no record.
func (o *offsets) list(topic string) (map[int32]int64, error) {
	ctx, cancel := context.WithTimeout(o.ctx, 10*time.Second)
	defer cancel()
	ends, err := o.adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	starts, err := o.adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("start offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	ends.Each(func(e kadm.ListedOffset) {
		if st, ok := starts.Lookup(topic, e.Partition); ok && st.Offset >= e.Offset {
			out[e.Partition] = 0
		} else {
			out[e.Partition] = e.Offset
		}
	})
	return out, nil
}

// watchModels installs the promoted ETA model, and every newly promoted one, until ctx
// ends. Without ClickHouse it keeps trying: predictions fall back to the promised minutes.
func watchModels(ctx context.Context, cfg Config, log *slog.Logger, models *orders.Models) {
	var reg *registry.Registry
	loaded := ""
	for {
		if reg == nil {
			if ch, err := store.ClickHouse(ctx, cfg.ClickHouse); err != nil {
				log.Warn("model registry unreachable; retrying", "err", err)
			} else {
				defer ch.Close()
				reg = registry.New(ch, cfg.ClickHouse.Database)
			}
		}
		if reg != nil {
			version, artefact, err := reg.Current(ctx)
			switch {
			case errors.Is(err, registry.ErrNone):
			case err != nil:
				log.Warn("read the promoted model", "err", err)
			case version != loaded:
				if m, err := eta.Load(artefact, features.Names()); err != nil {
					log.Error("promoted model does not fit the features; keeping the one in use", "version", version, "err", err)
				} else {
					models.Swap(orders.Model(m, version))
					log.Info("ETA model loaded", "version", version)
				}
				loaded = version
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.ModelPoll):
		}
	}
}

// createTopics creates the topics the enricher reads and writes that do not exist yet, with
// the retention of SPEC §3 (package topics): the derived topics and the city events (7
// days), the dead-letter topic (30 days), and compacted, for ever, every topic state is
// rebuilt from — the changelogs, the live features, city.pressure and the CDC topics of the
// reference tables it replicates. Existing topics that should compact are migrated to it. It
// also creates the CDC topics the order stage reads, so that it can join its group before
// the first review or GPS fix is captured. It returns the number of partitions of the city
// events.
func createTopics(ctx context.Context, cfg Config, log *slog.Logger, in orders.Inputs, t orders.Topics, ct city.Topics, dead string) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.Brokers...))
	if err != nil {
		return 0, fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	// A stage's changelogs need a partition per partition of its input: the orders topic's
	// count when it exists, and the city events topic's.
	partitions := func(topic string) int32 {
		if td, err := adm.ListTopics(ctx, topic); err == nil {
			if d, ok := td[topic]; ok && d.Err == nil && len(d.Partitions) > 0 {
				return int32(len(d.Partitions))
			}
		}
		return int32(cfg.Partitions)
	}
	orderParts, cityParts := partitions(in.Orders), partitions(ct.Events)
	specs := []topics.Spec{{Name: dead, Partitions: orderParts, Policy: topics.Deleted(topics.DeadLetterRetention)}}
	add := func(parts int32, p topics.Policy, names ...string) {
		for _, name := range names {
			specs = append(specs, topics.Spec{Name: name, Partitions: parts, Policy: p})
		}
	}
	add(orderParts, topics.Deleted(topics.History), t.Enriched, t.Predictions, t.Violations, t.DynamicViolations, t.Outcomes,
		in.Orders, in.Reviews, in.Positions, in.Heartbeat, t.Ticks)
	add(orderParts, topics.Compacted(topics.History), in.Couriers, in.Restaurants, cfg.TopicPrefix+".public.cities",
		cfg.TopicPrefix+".public.weather_observations")
	add(orderParts, topics.Compacted(0), t.State, t.Clock)
	add(cityParts, topics.Deleted(topics.History), ct.Events, ct.Sentiment, ct.Alerts, ct.Recommendations)
	add(cityParts, topics.Compacted(topics.History), ct.Pressure, ct.Couriers, ct.Restaurants)
	add(cityParts, topics.Compacted(0), ct.Changelogs()...)
	if err := topics.Ensure(ctx, adm, log, specs...); err != nil {
		return 0, err
	}
	return int(cityParts), nil
}
