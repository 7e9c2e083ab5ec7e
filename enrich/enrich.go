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
	"github.com/twmb/franz-go/pkg/kerr"
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
)

// Config is everything the enricher needs; Bind documents each setting.
type Config struct {
	Kafka         config.Kafka
	ClickHouse    config.ClickHouse   // where the promoted ETA model is read from
	ModelPoll     time.Duration       // how often to look for a newly promoted model
	TopicPrefix   string              // CDC topics are <prefix>.public.<table>
	DerivedPrefix string              // prepended to the derived topics' names of SPEC §3 ("" for exactly those names)
	Group         string              // consumer group of the order stage
	Instance      string              // this instance's stable name in the group
	Lateness      time.Duration       // how late an event may arrive and still count
	SLA           time.Duration       // static SLA threshold
	SLAByCity     []string            // per-city overrides, city_id=duration
	Partitions    int                 // partitions of the topics the enricher creates
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
	case c.ModelPoll < 0:
		return fmt.Errorf("-model-poll %s: must not be negative", c.ModelPoll)
	}
	if c.ModelPoll == 0 {
		c.ModelPoll = 30 * time.Second
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
	topics, cityTopics := orders.NewTopics(cfg.DerivedPrefix), city.NewTopics(cfg.DerivedPrefix)
	inputs := orders.NewInputs(cfg.TopicPrefix)
	dead := cfg.DerivedPrefix + "enrich.dead-letter"
	cityParts, err := createTopics(ctx, cfg, inputs, topics, cityTopics, dead)
	if err != nil {
		return err
	}
	d := orders.Dims{Weather: &weather.Store{}, Restaurants: dims.NewRestaurants(), Couriers: dims.NewCouriers(), Live: dims.NewLive()}
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
	if err := rep.WaitCaughtUp(ctx); err != nil {
		return err
	}
	log.Info("dimensions loaded")

	models := &orders.Models{}
	go watchModels(rctx, cfg, log, models)
	orderStage := orders.New(orders.Config{Topics: topics, Inputs: inputs, CityPartitions: cityParts,
		Thresholds: cfg.thresholds, Lateness: cfg.Lateness}, d, models)
	orderRunner, err := stream.New(stream.Config{Brokers: cfg.Kafka.Brokers, Group: cfg.Group, Instance: cfg.Instance,
		Topics: orderStage.Consumed(), DeadLetter: dead, Partitioned: []string{topics.CityEvents},
		Name: "orders", Telemetry: cfg.Telemetry}, log, orderStage, orderStage.Tables()...)
	if err != nil {
		return err
	}
	defer orderRunner.Close()
	cityStage := city.New(city.Config{Topics: cityTopics, Lateness: cfg.Lateness}, cities.Name)
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

// Retention of the derived topics (SPEC §3).
const (
	derivedRetention    = 7 * 24 * time.Hour
	deadLetterRetention = 30 * 24 * time.Hour
)

// createTopics creates the topics the enricher reads and writes that do not exist yet:
// the derived topics and the city events (7 days), the changelogs and the live features
// (compacted), the dead-letter topic (30 days), and the CDC topics the order stage reads,
// so that it can join its group before the first review or GPS fix is captured. It returns
// the number of partitions of the city events.
func createTopics(ctx context.Context, cfg Config, in orders.Inputs, t orders.Topics, ct city.Topics, dead string) (int, error) {
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
	ms := func(d time.Duration) map[string]*string {
		s := strconv.FormatInt(d.Milliseconds(), 10)
		return map[string]*string{"retention.ms": &s}
	}
	compact := map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
	type topic struct {
		parts   int32
		configs map[string]*string
	}
	want := map[string]topic{dead: {orderParts, ms(deadLetterRetention)}}
	for _, name := range []string{t.Enriched, t.Predictions, t.Violations, t.DynamicViolations, t.Outcomes,
		in.Orders, in.Reviews, in.Couriers, in.Positions, in.Restaurants} {
		want[name] = topic{orderParts, ms(derivedRetention)}
	}
	for _, name := range []string{t.State, t.Clock} {
		want[name] = topic{orderParts, compact}
	}
	history, features := ct.Outputs()
	for _, name := range append(history, ct.Events) {
		want[name] = topic{cityParts, ms(derivedRetention)}
	}
	for _, name := range append(features, ct.Changelogs()...) {
		want[name] = topic{cityParts, compact}
	}
	for name, tp := range want {
		res, err := adm.CreateTopic(ctx, tp.parts, -1, tp.configs, name)
		if err == nil {
			err = res.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return 0, fmt.Errorf("create topic %s: %w", name, err)
		}
	}
	return int(cityParts), nil
}
