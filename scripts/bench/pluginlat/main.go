// Command pluginlat measures, for make bench, the Grafana data source through its compiled
// binary, driven as Grafana drives it (plugin/pkg/host): QueryData p50/p95 per query type, one
// query at a time after two warm-ups, and Kafka record → frame sent on a live channel (p50/p99)
// for live orders.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/plugin/pkg/host"
	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

func main() {
	binary := flag.String("binary", "plugin/dist/gpx_flavortrend_linux_amd64", "the plugin's backend binary")
	chAddr := flag.String("ch-addr", "127.0.0.1:19000", "ClickHouse")
	chDB := flag.String("ch-database", "flavortrend", "ClickHouse database")
	pgURL := flag.String("pg-url", "", "PostgreSQL URL")
	brokers := flag.String("kafka-brokers", "127.0.0.1:19092", "Kafka")
	order := flag.String("order", "1", "an order with a route")
	n := flag.Int("requests", 30, "timed queries per type")
	records := flag.Int("records", 200, "records for the live latency")
	flag.Parse()
	if err := run(*binary, *chAddr, *chDB, *pgURL, *brokers, *order, *n, *records); err != nil {
		fmt.Fprintln(os.Stderr, "pluginlat:", err)
		os.Exit(1)
	}
}

func run(binary, chAddr, chDB, pgURL, brokers, order string, n, records int) error {
	p, err := host.Start(binary, io.Discard) // a failed query is printed below
	if err != nil {
		return err
	}
	defer p.Stop()
	derived := fmt.Sprintf("pluginlat%d.", time.Now().Unix())
	settings, _ := json.Marshal(map[string]string{"clickhouseAddr": chAddr, "clickhouseDatabase": chDB, "postgresUrl": pgURL,
		"kafkaBrokers": brokers, "derivedPrefix": derived})
	pc := &pluginv2.PluginContext{OrgId: 1, PluginId: "flavortrend-flavortrend-datasource",
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{Id: 1, Uid: "flavortrend", JsonData: settings,
			LastUpdatedMS: time.Now().UnixMilli()}}
	ctx := context.Background()

	extra := map[query.Type]map[string]any{
		query.PressureSeries: {"city": "Sfax"}, query.Replay: {"city": "Sfax"}, query.ScenarioEstimate: {"city": "Sfax"},
		query.RestaurantTrend: {"entityId": "1"}, query.RouteOrder: {"entityId": order}, query.RouteReplay: {"entityId": order},
		query.RouteCourier: {"entityId": "1", "window": "6h"}, query.RevenueMonthToDate: {"target": 1e6},
		query.RevenueWeekly: {"weeks": 4},
	}
	fmt.Printf("%-24s %9s %9s  %s\n", "query type", "p50 ms", "p95 ms", "(1 h time range unless noted)")
	failed := false
	for _, t := range query.Types {
		m := map[string]any{"refId": "A", "queryType": string(t)}
		for k, v := range extra[t] {
			m[k] = v
		}
		raw, _ := json.Marshal(m)
		var times []time.Duration
		var qerr string
		for i := range n + 2 {
			now := time.Now()
			start := time.Now()
			res, err := p.Data.QueryData(ctx, &pluginv2.QueryDataRequest{PluginContext: pc, Queries: []*pluginv2.DataQuery{{
				RefId: "A", Json: raw, QueryType: string(t), MaxDataPoints: 1000,
				TimeRange: &pluginv2.TimeRange{FromEpochMS: now.Add(-time.Hour).UnixMilli(), ToEpochMS: now.UnixMilli()}}}})
			if err != nil {
				return err
			}
			took := time.Since(start)
			if e := res.Responses["A"].Error; e != "" {
				qerr = e
				break
			}
			// A quick answer without rows is not a latency.
			if rows, err := frameRows(res.Responses["A"].Frames); err != nil || rows == 0 {
				qerr = fmt.Sprintf("no rows in the answer (%v)", err)
				break
			}
			if i >= 2 {
				times = append(times, took)
			}
		}
		if qerr != "" {
			fmt.Printf("%-24s failed: %s\n", t, qerr)
			failed = failed || t != query.ScenarioEstimate // needs a promoted model
			continue
		}
		slices.Sort(times)
		fmt.Printf("%-24s %9.1f %9.1f\n", t, ms(times, 50), ms(times, 95))
	}

	p50, p99, err := liveLatency(ctx, p, pc, strings.Split(brokers, ","), derived, records)
	if err != nil {
		return fmt.Errorf("live latency: %w", err)
	}
	fmt.Printf("live orders: Kafka record → frame received over gRPC, %d records: p50 %.1f ms, p99 %.1f ms\n", records, p50, p99)
	if failed {
		return fmt.Errorf("some query types failed")
	}
	return nil
}

// liveLatency subscribes to live orders and times each produced record until its frame
// arrives.
func liveLatency(ctx context.Context, p *host.Plugin, pc *pluginv2.PluginContext, brokers []string, derived string, records int) (p50, p99 float64, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	topic := derived + "orders.enriched"
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		return 0, 0, err
	}
	defer adm.DeleteTopics(context.Background(), topic) //nolint:errcheck // best effort

	raw, _ := json.Marshal(map[string]any{"refId": "A", "queryType": "live_orders", "live": true, "limit": 1})
	now := time.Now()
	res, err := p.Data.QueryData(ctx, &pluginv2.QueryDataRequest{PluginContext: pc, Queries: []*pluginv2.DataQuery{{RefId: "A", Json: raw,
		TimeRange: &pluginv2.TimeRange{FromEpochMS: now.Add(-time.Hour).UnixMilli(), ToEpochMS: now.UnixMilli()}}}})
	if err != nil {
		return 0, 0, err
	}
	fs, err := data.UnmarshalArrowFrames(res.Responses["A"].Frames)
	if err != nil || len(fs) == 0 || fs[0].Meta == nil {
		return 0, 0, fmt.Errorf("no channel: %v %s", err, res.Responses["A"].Error)
	}
	path := strings.TrimPrefix(fs[0].Meta.Channel, "ds/flavortrend/")
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := p.Stream.RunStream(sctx, &pluginv2.RunStreamRequest{PluginContext: pc, Path: path})
	if err != nil {
		return 0, 0, err
	}
	got := make(chan int64, records)
	go func() {
		for {
			pkt, err := stream.Recv()
			if err != nil {
				return
			}
			var f data.Frame
			if json.Unmarshal(pkt.Data, &f) == nil {
				if i, fl := f.FieldByName("order_id"); fl >= 0 && i.Len() > 0 {
					got <- i.At(0).(int64)
				}
			}
		}
	}()
	time.Sleep(2 * time.Second) // the stream's consumer finds the end of the topic
	var lat []time.Duration
	for i := range records {
		v, _ := json.Marshal(map[string]any{"order_id": i + 1, "city_id": 1, "restaurant_id": 1, "placed_at": time.Now().UTC(),
			"items_count": 1, "total": 10, "promised_minutes": 30, "distance_km": 1})
		start := time.Now()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: v}).FirstErr(); err != nil {
			return 0, 0, err
		}
		select {
		case id := <-got:
			if id != int64(i+1) {
				return 0, 0, fmt.Errorf("frame of order %d, want %d", id, i+1)
			}
			lat = append(lat, time.Since(start))
		case <-time.After(5 * time.Second):
			return 0, 0, fmt.Errorf("no frame for record %d within 5 s", i+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	slices.Sort(lat)
	return ms(lat, 50), ms(lat, 99), nil
}

// frameRows is the number of rows in the encoded frames of an answer.
func frameRows(encoded [][]byte) (int, error) {
	fs, err := data.UnmarshalArrowFrames(encoded)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		if r, err := f.RowLen(); err == nil {
			n += r
		}
	}
	return n, nil
}

// ms is the p-th percentile of sorted durations, in milliseconds.
func ms(d []time.Duration, p int) float64 {
	i := min(len(d)-1, (len(d)*p+99)/100-1)
	return float64(d[max(i, 0)].Microseconds()) / 1000
}
