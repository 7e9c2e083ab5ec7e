package source

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/live"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// A uid as long as Grafana allows (40 characters).
const longUID = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"

// attach answers m's channel id through an Instance, as QueryData does.
func attach(t *testing.T, in *Instance, m query.Model, tr backend.TimeRange) (string, error) {
	t.Helper()
	fs := data.Frames{data.NewFrame("x", data.NewField("time", nil, []time.Time{tr.From}))}
	if err := in.attachChannel(longUID, m, tr, fs); err != nil {
		return "", err
	}
	return fs[0].Meta.Channel, nil
}

// TestChannelsHoldNoState: ten thousand distinct replays (every panel refresh is one) get ten
// thousand channels, and a fresh Instance — nothing remembered, as after a restart — admits
// each and reads back exactly the query it streams: the plugin's memory does not grow with
// the channels.
func TestChannelsHoldNoState(t *testing.T) {
	answering := &Instance{}
	start := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := range 10000 {
		tr := backend.TimeRange{From: start.Add(time.Duration(i) * time.Minute), To: start.Add(time.Duration(i)*time.Minute + 6*time.Hour)}
		m := query.Model{RefID: "A", QueryType: query.HeatmapReplay, Speed: float64(i%7) + 0.5, Step: "1m", Bucket: "5m"}
		id, err := attach(t, answering, m, tr)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("query %d: channel %s given twice", i, id)
		}
		seen[id] = true
		ch, err := live.ParseChannel(id)
		if err != nil || ch.Namespace != longUID {
			t.Fatalf("channel %q: %v", id, err)
		}
		restarted := &Instance{}
		sub, err := restarted.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: ch.Path})
		if err != nil || sub.Status != backend.SubscribeStreamStatusOK {
			t.Fatalf("subscribe %s: %v %v", ch.Path, sub, err)
		}
		got, ok := parseChannel(ch.Path)
		if want := (channel{Model: query.Model{QueryType: query.HeatmapReplay, Speed: m.Speed, Step: "1m", Bucket: "5m"},
			From: tr.From, To: tr.To}); !ok || got != want {
			t.Fatalf("channel %s: %+v, want %+v", ch.Path, got, want)
		}
	}
}

// TestChannelPaths: each stream's path keeps what it reads, within Grafana's channel rules,
// and only that (panels differing in nothing else share a channel); a query too long for a
// channel is refused; paths the data source never gives are not found.
func TestChannelPaths(t *testing.T) {
	in := &Instance{}
	tr := backend.TimeRange{From: time.Unix(1763632800, 0), To: time.Unix(1763654400, 0)}
	city64 := strings.Repeat("é", 32) // 64 bytes: the API's longest city
	for _, tc := range []struct {
		m    query.Model
		want channel
	}{
		{query.Model{QueryType: query.LiveOrders, Live: true, City: city64, Limit: 50, Window: "1h"},
			channel{Model: query.Model{QueryType: query.LiveOrders, City: city64}}},
		{query.Model{QueryType: query.AlertsActive, Live: true}, channel{Model: query.Model{QueryType: query.AlertsActive}}},
		{query.Model{QueryType: query.PipelineFreshness, Live: true, City: "Sfax"},
			channel{Model: query.Model{QueryType: query.PipelineFreshness, City: "Sfax"}}},
		{query.Model{QueryType: query.RouteReplay, EntityID: "9223372036854775807", Speed: 0.30000000000000004},
			channel{Model: query.Model{QueryType: query.RouteReplay, EntityID: "9223372036854775807", Speed: 0.30000000000000004}}},
		{query.Model{QueryType: query.HeatmapReplay, Window: "99999d", Bucket: "99999m", Step: "99999m", Speed: 123456.789},
			channel{Model: query.Model{QueryType: query.HeatmapReplay, Window: "99999d", Bucket: "99999m", Step: "99999m", Speed: 123456.789}}},
	} {
		id, err := attach(t, in, tc.m, tr)
		if err != nil {
			t.Errorf("%s: %v", tc.m.QueryType, err)
			continue
		}
		ch, err := live.ParseChannel(id)
		if err != nil {
			t.Errorf("%s: channel %q (%d characters): %v", tc.m.QueryType, id, len(id), err)
			continue
		}
		if got, ok := parseChannel(ch.Path); !ok || got != tc.want {
			t.Errorf("%s: %s reads back %+v (%v), want %+v", tc.m.QueryType, ch.Path, got, ok, tc.want)
		}
	}

	if _, err := attach(t, in, query.Model{QueryType: query.LiveOrders, Live: true, City: strings.Repeat("x", 200)}, tr); err == nil ||
		!strings.Contains(err.Error(), "160") {
		t.Errorf("a 200-character city: %v, want refused", err)
	}

	for _, path := range []string{"", "kpis", "live_orders/c=!!", "live_orders/q=YQ", "live_orders/c=YQ/c=YQ",
		"heatmap_replay/x=-1", "heatmap_replay/x=NaN", "heatmap_replay/f=now", "route_replay/x=60/e=MQ",
		fmt.Sprintf("live_orders/c=%s=", "YQ")} {
		sub, err := in.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: path})
		if err != nil || sub.Status != backend.SubscribeStreamStatusNotFound {
			t.Errorf("subscribe %q: %v %v, want not found", path, sub, err)
		}
	}
}
