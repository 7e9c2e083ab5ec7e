package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/config"
)

func watchCommand() command {
	return command{
		name:    "watch",
		summary: "print what flows through Kafka: messages per CDC topic and the last order, until interrupted",
		run:     runWatch,
	}
}

func runWatch(ctx context.Context, env config.Env, args []string, stdout io.Writer) error {
	var (
		kafka    config.Kafka
		prefix   string
		interval time.Duration
	)
	fs := config.NewFlags("watch", env)
	kafka.Bind(fs)
	fs.String(&prefix, "topic-prefix", "FT_TOPIC_PREFIX", config.DefaultTopicPrefix, "CDC topic prefix")
	fs.Duration(&interval, "interval", "FT_WATCH_INTERVAL", 5*time.Second, "how often to print")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if interval < 100*time.Millisecond {
		return fmt.Errorf("-interval %s: want at least 100ms", interval)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...),
		kgo.ConsumeRegex(), kgo.ConsumeTopics("^"+strings.ReplaceAll(prefix, ".", `\.`)+`\.public\.orders$`),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.MetadataMaxAge(5*time.Second))
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = adm.BrokerMetadata(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("kafka %s unreachable (is it started? scripts/services.sh start kafka): %w", strings.Join(kafka.Brokers, ","), err)
	}

	var mu sync.Mutex
	var last orderSeen
	go func() {
		for {
			fetches := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			fetches.EachRecord(func(r *kgo.Record) {
				if o, ok := decodeOrder(r.Value); ok {
					mu.Lock()
					last = o
					mu.Unlock()
				}
			})
		}
	}()

	prev := map[string]int64{}
	prevAt := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		totals, err := topicTotals(ctx, adm, prefix+".public.")
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(stdout, "%s  kafka: %v\n", time.Now().Format("15:04:05"), err)
			continue
		}
		now := time.Now()
		secs := now.Sub(prevAt).Seconds()
		names := make([]string, 0, len(totals))
		var sum int64
		for t, n := range totals {
			names = append(names, t)
			sum += n
		}
		sort.Strings(names)
		fmt.Fprintf(stdout, "%s  %d messages in %d CDC topics\n", now.Format("15:04:05"), sum, len(names))
		for _, t := range names {
			rate := 0.0
			if p, ok := prev[t]; ok {
				rate = float64(totals[t]-p) / secs
			}
			fmt.Fprintf(stdout, "  %-44s %10d  %8.1f/s\n", t, totals[t], rate)
		}
		mu.Lock()
		if last.ID != 0 {
			fmt.Fprintf(stdout, "  last order %d: %s (%s) city %d, %d items, %s TND\n", last.ID, last.Status, last.Op, last.CityID, last.Items, last.Total)
		}
		mu.Unlock()
		prev, prevAt = totals, now
	}
}

// topicTotals returns the number of records ever written to each topic with the prefix
// (the sum of its partitions' end offsets).
func topicTotals(ctx context.Context, adm *kadm.Client, prefix string) (map[string]int64, error) {
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range topics.Names() {
		if strings.HasPrefix(t, prefix) {
			names = append(names, t)
		}
	}
	out := map[string]int64{}
	if len(names) == 0 {
		return out, nil
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			out[o.Topic] += o.Offset
		}
	})
	return out, nil
}

// orderSeen is what watch shows of the newest orders change. It reads only a few fields of
// the Debezium envelope for display; the ingester owns full decoding.
type orderSeen struct {
	ID     int64
	Op     string
	Status string
	CityID int
	Items  int
	Total  string
}

func decodeOrder(value []byte) (orderSeen, bool) {
	var env struct {
		Op    string `json:"op"`
		After *struct {
			ID         int64  `json:"id"`
			Status     string `json:"status"`
			CityID     int    `json:"city_id"`
			ItemsCount int    `json:"items_count"`
			Total      string `json:"total"`
		} `json:"after"`
	}
	if len(value) == 0 || json.Unmarshal(value, &env) != nil || env.After == nil {
		return orderSeen{}, false
	}
	a := env.After
	return orderSeen{ID: a.ID, Op: env.Op, Status: a.Status, CityID: a.CityID, Items: a.ItemsCount, Total: a.Total}, true
}
