package telemetry

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Lag is a consumer's lag gauge: per partition, the high watermark of the last fetch minus
// the offset after the last record handed to the consumer. It has its own lock, so reading
// it never waits for the consumer's work.
type Lag struct {
	mu    sync.Mutex
	parts map[lagKey]lagState
}

type lagKey struct {
	topic string
	part  int32
}

type lagState struct{ hwm, next int64 }

// Fetched notes the high watermark and the position of each partition in fs.
func (g *Lag) Fetched(fs kgo.Fetches) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.parts == nil {
		g.parts = map[lagKey]lagState{}
	}
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Err != nil || len(p.Records) == 0 {
			return // without a record the position is unknown
		}
		g.parts[lagKey{p.Topic, p.Partition}] = lagState{hwm: p.HighWatermark, next: p.Records[len(p.Records)-1].Offset + 1}
	})
}

// Forget stops reporting partitions that moved to another consumer.
func (g *Lag) Forget(parts map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for topic, ps := range parts {
		for _, p := range ps {
			delete(g.parts, lagKey{topic, p})
		}
	}
}

// Register creates the gauge name on m, its series labelled topic and partition besides
// attrs; unregister it when the consumer stops.
func (g *Lag) Register(m metric.Meter, name, description string, attrs ...attribute.KeyValue) (metric.Registration, error) {
	gauge, err := m.Int64ObservableGauge(name, metric.WithUnit("{record}"), metric.WithDescription(description))
	if err != nil {
		return nil, fmt.Errorf("metric %s: %w", name, err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		for p, s := range g.parts {
			kv := append([]attribute.KeyValue{attribute.String("topic", p.topic), attribute.Int("partition", int(p.part))}, attrs...)
			o.ObserveInt64(gauge, max(s.hwm-s.next, 0), metric.WithAttributes(kv...))
		}
		return nil
	}, gauge)
	if err != nil {
		return nil, fmt.Errorf("metric %s: %w", name, err)
	}
	return reg, nil
}
