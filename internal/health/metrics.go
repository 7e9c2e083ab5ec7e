package health

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Gauges exports the latest report as observable gauges (docs/status.md lists them). A value
// a failed source could not give is not observed, except the connector's up, which is 0
// whenever the connector is not known to run.
type Gauges struct {
	mu     sync.Mutex
	latest *Report
	reg    metric.Registration

	connectorUp, slotActive, slotLag, walRetained metric.Int64ObservableGauge
	consumerLag, consumerMembers, topicRecords    metric.Int64ObservableGauge
	freshness, mae                                metric.Float64ObservableGauge
}

// NewGauges registers the gauges with m (a meter of scope Scope); they observe nothing until
// the first Set.
func NewGauges(m metric.Meter) (*Gauges, error) {
	g := &Gauges{}
	var errs [10]error
	g.connectorUp, errs[0] = m.Int64ObservableGauge("flavortrend.cdc.connector.up",
		metric.WithDescription("1 when the Debezium connector and all its tasks are RUNNING in Kafka Connect, else 0."))
	g.slotActive, errs[1] = m.Int64ObservableGauge("flavortrend.cdc.slot.active",
		metric.WithDescription("1 when a consumer is attached to the replication slot, else 0."))
	g.slotLag, errs[2] = m.Int64ObservableGauge("flavortrend.cdc.slot.lag", metric.WithUnit("By"),
		metric.WithDescription("WAL written since the slot's confirmed_flush_lsn: pg_current_wal_lsn() - confirmed_flush_lsn."))
	g.walRetained, errs[3] = m.Int64ObservableGauge("flavortrend.cdc.wal.retained", metric.WithUnit("By"),
		metric.WithDescription("WAL kept for the slot: pg_current_wal_lsn() - restart_lsn."))
	g.consumerLag, errs[4] = m.Int64ObservableGauge("flavortrend.consumer.lag", metric.WithUnit("{record}"),
		metric.WithDescription("Records in a partition past the consumer group's committed offset: end offset - committed offset."))
	g.consumerMembers, errs[5] = m.Int64ObservableGauge("flavortrend.consumer.members", metric.WithUnit("{member}"),
		metric.WithDescription("Members of the consumer group."))
	g.topicRecords, errs[6] = m.Int64ObservableGauge("flavortrend.kafka.topic.records", metric.WithUnit("{record}"),
		metric.WithDescription("Records ever written to the topic: the sum of its partitions' end offsets."))
	g.freshness, errs[7] = m.Float64ObservableGauge("flavortrend.table.freshness", metric.WithUnit("s"),
		metric.WithDescription("Time since the newest source commit (_source_ts_ms) written to the CDC mirror."))
	g.mae, errs[8] = m.Float64ObservableGauge("flavortrend.model.mae", metric.WithUnit("s"),
		metric.WithDescription("Mean absolute error of the ETA predictions of the deliveries of the last window, by model version."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("health gauges: %w", err)
	}
	g.reg, errs[9] = m.RegisterCallback(g.observe, g.connectorUp, g.slotActive, g.slotLag, g.walRetained,
		g.consumerLag, g.consumerMembers, g.topicRecords, g.freshness, g.mae)
	if errs[9] != nil {
		return nil, fmt.Errorf("health gauges: %w", errs[9])
	}
	return g, nil
}

// Set makes r the report the gauges show.
func (g *Gauges) Set(r Report) {
	g.mu.Lock()
	g.latest = &r
	g.mu.Unlock()
}

// Close unregisters the gauges.
func (g *Gauges) Close() error {
	if err := g.reg.Unregister(); err != nil {
		return fmt.Errorf("health gauges: %w", err)
	}
	return nil
}

func (g *Gauges) observe(_ context.Context, o metric.Observer) error {
	g.mu.Lock()
	r := g.latest
	g.mu.Unlock()
	if r == nil {
		return nil
	}
	str := attribute.String
	up := int64(0)
	if r.Connector.Up() {
		up = 1
	}
	o.ObserveInt64(g.connectorUp, up, metric.WithAttributes(str("connector", r.Connector.Name)))
	for _, s := range r.Postgres.Slots {
		attrs := metric.WithAttributes(str("slot", s.Name))
		if !s.Found {
			o.ObserveInt64(g.slotActive, 0, attrs)
			continue
		}
		o.ObserveInt64(g.slotActive, boolInt(s.Active), attrs)
		o.ObserveInt64(g.slotLag, s.LagBytes, attrs)
		o.ObserveInt64(g.walRetained, s.RetainedBytes, attrs)
	}
	for _, gr := range r.Kafka.Groups {
		if gr.Error != "" {
			continue
		}
		o.ObserveInt64(g.consumerMembers, int64(gr.Members), metric.WithAttributes(str("group", gr.Name)))
		for _, p := range gr.Partitions {
			o.ObserveInt64(g.consumerLag, p.Lag, metric.WithAttributes(str("group", gr.Name), str("topic", p.Topic),
				attribute.Int("partition", int(p.Partition))))
		}
	}
	for _, t := range r.Kafka.Topics {
		if !t.Missing {
			o.ObserveInt64(g.topicRecords, t.Records, metric.WithAttributes(str("topic", t.Name)))
		}
	}
	for _, t := range r.Freshness.Tables {
		if t.Seconds != nil {
			o.ObserveFloat64(g.freshness, *t.Seconds, metric.WithAttributes(str("table", t.Table)))
		}
	}
	for _, m := range r.Models.Models {
		o.ObserveFloat64(g.mae, m.MAESeconds, metric.WithAttributes(str("model", m.Version)))
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
