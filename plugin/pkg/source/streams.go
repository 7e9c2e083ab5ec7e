package source

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/live"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/plugin/pkg/frames"
	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// Grafana Live. A streamable query (live: true, or a replay) answers its frames with a channel
// in their meta; the front end subscribes to it and Grafana calls RunStream once per channel,
// however many panels watch it, and cancels it when the last one leaves. The channel path
// holds what the stream needs of the query — <queryType>/<key>=<value>/…, strings in
// base64url — so the plugin keeps nothing per channel: any number of distinct queries costs
// no memory, and a subscription still works after the plugin restarts or its settings
// change. Grafana allows channel ids of at most 160 characters ("ds/<uid>/<path>") of
// [A-Za-z0-9_-=./]; a query that does not fit is answered with an error.

// channel is what a Live channel streams.
type channel struct {
	Model query.Model
	From  time.Time // replays: the panel's time range
	To    time.Time
}

// Replay defaults.
const (
	defaultSpeed = 60.0            // event-time seconds per second
	maxGap       = 5 * time.Second // the longest pause between two fixes of a route replay
)

func isReplay(t query.Type) bool { return t == query.HeatmapReplay || t == query.RouteReplay }

// The keys of a channel path: strings are base64url (unpadded), times Unix seconds.
const (
	keyCity   = "c"
	keyWindow = "w"
	keyBucket = "b"
	keyStep   = "s"
	keyEntity = "e"
	keySpeed  = "x"
	keyFrom   = "f"
	keyTo     = "t"
)

var textKeys = map[string]func(*query.Model) *string{
	keyCity:   func(m *query.Model) *string { return &m.City },
	keyWindow: func(m *query.Model) *string { return &m.Window },
	keyBucket: func(m *query.Model) *string { return &m.Bucket },
	keyStep:   func(m *query.Model) *string { return &m.Step },
	keyEntity: func(m *query.Model) *string { return &m.EntityID },
}

// channelPath is the path of what the query streams: only the fields its stream reads, so
// that panels asking the same differ in nothing else share a channel.
func channelPath(c channel) string {
	m := c.Model
	parts := []string{string(m.QueryType)}
	text := func(key, v string) {
		if v != "" {
			parts = append(parts, key+"="+base64.RawURLEncoding.EncodeToString([]byte(v)))
		}
	}
	speed := func() {
		if m.Speed > 0 {
			parts = append(parts, keySpeed+"="+strconv.FormatFloat(m.Speed, 'f', -1, 64))
		}
	}
	switch m.QueryType {
	case query.HeatmapReplay:
		text(keyWindow, m.Window)
		text(keyBucket, m.Bucket)
		text(keyStep, m.Step)
		speed()
		if m.Window == "" && !c.From.IsZero() && !c.To.IsZero() { // the view reads the range only without a window
			parts = append(parts, keyFrom+"="+strconv.FormatInt(c.From.Unix(), 10), keyTo+"="+strconv.FormatInt(c.To.Unix(), 10))
		}
	case query.RouteReplay:
		text(keyEntity, m.EntityID)
		speed()
	default: // the live tables and freshness follow one city, or all
		text(keyCity, m.City)
	}
	return strings.Join(parts, "/")
}

// parseChannel reads a channel path back; false for one channelPath does not write.
func parseChannel(path string) (channel, bool) {
	parts := strings.Split(path, "/")
	c := channel{Model: query.Model{QueryType: query.Type(parts[0])}}
	if !query.Streamable[c.Model.QueryType] {
		return c, false
	}
	seen := map[string]bool{}
	for _, part := range parts[1:] {
		key, v, ok := strings.Cut(part, "=")
		if !ok || seen[key] {
			return c, false
		}
		seen[key] = true
		if field, ok := textKeys[key]; ok {
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil {
				return c, false
			}
			*field(&c.Model) = string(b)
			continue
		}
		switch key {
		case keySpeed:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !(x > 0) || math.IsInf(x, 0) {
				return c, false
			}
			c.Model.Speed = x
		case keyFrom, keyTo:
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return c, false
			}
			if key == keyFrom {
				c.From = time.Unix(sec, 0).UTC()
			} else {
				c.To = time.Unix(sec, 0).UTC()
			}
		default:
			return c, false
		}
	}
	return c, channelPath(c) == path // one path per channel
}

// attachChannel points the first frame at the query's channel. A replay's frame is emptied:
// the stream plays it from the start. A query whose channel id would be longer than Grafana
// allows is an error.
func (in *Instance) attachChannel(uid string, m query.Model, tr backend.TimeRange, fs data.Frames) error {
	if len(fs) == 0 {
		return nil
	}
	c := channel{Model: m}
	if isReplay(m.QueryType) {
		c.From, c.To = tr.From.UTC(), tr.To.UTC()
	}
	id := live.Channel{Scope: live.ScopeDatasource, Namespace: uid, Path: channelPath(c)}.String()
	if _, err := live.ParseChannel(id); err != nil {
		return fmt.Errorf("%s cannot stream: its channel would be %d characters, Grafana allows 160 (shorten city, window, step or bucket)",
			m.QueryType, len(id))
	}
	if isReplay(m.QueryType) {
		fs[0] = emptied(fs[0])
	}
	if fs[0].Meta == nil {
		fs[0].Meta = &data.FrameMeta{}
	}
	fs[0].Meta.Channel = id
	return nil
}

// emptied is a frame with f's schema and no rows.
func emptied(f *data.Frame) *data.Frame {
	e := f.EmptyCopy()
	e.Meta = f.Meta
	return e
}

// SubscribeStream admits a subscription to a channel the data source answers.
func (in *Instance) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if _, ok := parseChannel(req.Path); !ok {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream refuses: clients do not publish to these channels.
func (in *Instance) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream feeds one channel until Grafana cancels ctx.
func (in *Instance) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	c, ok := parseChannel(req.Path)
	if !ok {
		return fmt.Errorf("unknown channel %s", req.Path)
	}
	var err error
	switch t := c.Model.QueryType; t {
	case query.HeatmapReplay:
		err = in.replayHeatmap(ctx, c, sender)
	case query.RouteReplay:
		err = in.replayRoute(ctx, c, sender)
	case query.PipelineFreshness:
		err = in.pollFreshness(ctx, c, sender)
	default:
		topic, ok := liveTopics[t]
		if !ok {
			return fmt.Errorf("%s does not stream", t)
		}
		err = in.follow(ctx, c, in.settings.DerivedPrefix+topic, sender)
	}
	if ctx.Err() != nil {
		return nil // the last subscriber left
	}
	return err
}

// liveTopics are the derived topics (SPEC §3) behind the live query types; a record is
// decoded into the view's row type, so each frame has the query's schema.
var liveTopics = map[query.Type]string{
	query.LiveOrders:      "orders.enriched",
	query.SLAViolations:   "sla.violations",
	query.AlertsActive:    "alerts",
	query.RestaurantsLive: "features.restaurants",
	query.CouriersLive:    "features.couriers",
}

// follow sends a one-row frame for each new record of topic in the channel's city, from the
// moment the stream starts.
func (in *Instance) follow(ctx context.Context, c channel, topic string, sender *backend.StreamSender) error {
	city, err := in.cityID(ctx, c.Model.City)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(in.settings.KafkaBrokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		if err := fetches.Err0(); err != nil && ctx.Err() == nil {
			log.DefaultLogger.Warn("live stream fetch", "topic", topic, "err", err)
			if sleep(ctx, time.Second) != nil { // Kafka down: retry, without spinning
				return nil
			}
		}
		var sendErr error
		fetches.EachRecord(func(r *kgo.Record) {
			if sendErr != nil || r.Value == nil {
				return
			}
			f, recordCity, err := liveRow(c.Model.QueryType, r.Value)
			if err != nil {
				log.DefaultLogger.Warn("live stream record", "topic", topic, "offset", r.Offset, "err", err)
				return
			}
			if city != 0 && recordCity != city {
				return
			}
			sendErr = sender.SendFrame(f, data.IncludeAll)
		})
		if sendErr != nil {
			return sendErr
		}
	}
	return nil
}

// liveRow decodes a derived record into a one-row frame of the query's view, and its city.
func liveRow(t query.Type, value []byte) (*data.Frame, int32, error) {
	var city struct {
		CityID int32 `json:"city_id"`
	}
	if err := json.Unmarshal(value, &city); err != nil {
		return nil, 0, err
	}
	var row any
	var err error
	switch t {
	case query.LiveOrders:
		var o api.LiveOrder
		if err = json.Unmarshal(value, &o); err == nil {
			o.Status, o.AgeMinutes = "placed", time.Since(o.PlacedAt).Minutes()
		}
		row = []api.LiveOrder{o}
	case query.SLAViolations:
		row, err = decodeRows[api.SLAViolation](value)
	case query.AlertsActive:
		row, err = decodeRows[api.ActiveAlert](value)
	case query.RestaurantsLive:
		row, err = decodeRows[api.LiveRestaurant](value)
	case query.CouriersLive:
		row, err = decodeRows[api.LiveCourier](value)
	}
	if err != nil {
		return nil, 0, err
	}
	f, err := frames.FromSlice(string(t), row)
	return f, city.CityID, err
}

func decodeRows[T any](value []byte) ([]T, error) {
	var v T
	err := json.Unmarshal(value, &v)
	return []T{v}, err
}

// cityID resolves a query's city (id or name; empty or all: 0).
func (in *Instance) cityID(ctx context.Context, city string) (int32, error) {
	city = strings.TrimSpace(city)
	if city == "" || strings.EqualFold(city, "all") || city == "$__all" {
		return 0, nil
	}
	if id, err := strconv.ParseInt(city, 10, 32); err == nil {
		return int32(id), nil
	}
	var id int32
	if err := in.ch.QueryRow(ctx, `SELECT id FROM `+in.settings.ClickHouse.Database+
		`.cities FINAL WHERE _is_deleted = 0 AND lower(name) = lower(?) LIMIT 1`, city).Scan(&id); err != nil {
		return 0, fmt.Errorf("city %q: %w", city, err)
	}
	return id, nil
}

// pollFreshness sends the pipeline's freshness every second: it is measured in ClickHouse
// (source commit → queryable), so it is read there rather than from Kafka.
func (in *Instance) pollFreshness(ctx context.Context, c channel, sender *backend.StreamSender) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		fs, err := in.views.Read(ctx, c.Model, backend.TimeRange{})
		if err != nil {
			log.DefaultLogger.Warn("freshness stream", "err", err)
			continue
		}
		if err := sender.SendFrame(fs[0], data.IncludeAll); err != nil {
			return err
		}
	}
}

// replayHeatmap plays the pressure heatmap of the channel's time range: each frame adds the
// columns of the next step of event time (default 1m, and never less than the heatmap's
// bucket, so that a wide range plays one bucket per frame), step/speed apart.
func (in *Instance) replayHeatmap(ctx context.Context, c channel, sender *backend.StreamSender) error {
	fs, err := in.views.Read(ctx, c.Model, backend.TimeRange{From: c.From, To: c.To})
	if err != nil {
		return err
	}
	full := fs[0]
	step := time.Minute
	if d, err := time.ParseDuration(c.Model.Step); err == nil && d > 0 {
		step = d
	}
	if cfg := full.Fields[0].Config; cfg != nil && cfg.Interval > 0 {
		step = max(step, time.Duration(cfg.Interval)*time.Millisecond)
	}
	pause := time.Duration(float64(step) / speed(c.Model))
	times := full.Fields[0]
	for i := 0; i < full.Rows(); {
		end := times.At(i).(time.Time).Add(step)
		part := full.EmptyCopy()
		for ; i < full.Rows() && times.At(i).(time.Time).Before(end); i++ {
			part.AppendRow(full.RowCopy(i)...)
		}
		if err := sender.SendFrame(part, data.IncludeAll); err != nil {
			return err
		}
		if err := sleep(ctx, pause); err != nil {
			return nil
		}
	}
	<-ctx.Done() // played: keep the channel, send nothing more
	return nil
}

// replayRoute plays an order's route fix by fix, as far apart as they were recorded divided
// by speed (at most maxGap).
func (in *Instance) replayRoute(ctx context.Context, c channel, sender *backend.StreamSender) error {
	fs, err := in.views.Read(ctx, c.Model, backend.TimeRange{From: c.From, To: c.To})
	if err != nil {
		return err
	}
	full := fs[0]
	at := full.Fields[0] // recorded_at
	for i := range full.Rows() {
		if i > 0 {
			gap := at.At(i).(time.Time).Sub(at.At(i - 1).(time.Time))
			if err := sleep(ctx, min(time.Duration(float64(gap)/speed(c.Model)), maxGap)); err != nil {
				return nil
			}
		}
		part := full.EmptyCopy()
		part.AppendRow(full.RowCopy(i)...)
		if err := sender.SendFrame(part, data.IncludeAll); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

func speed(m query.Model) float64 {
	if m.Speed > 0 {
		return m.Speed
	}
	return defaultSpeed
}

// sleep waits d or until ctx ends (then its error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
