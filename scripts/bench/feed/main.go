// Command feed writes a synthetic change stream of the orders table for make bench, twice:
// as full Debezium envelopes (what flavortrend ingest reads) to <prefix>.public.orders, and
// flattened the way Debezium's ExtractNewRecordState transform writes it (what users feed
// ClickHouse's Kafka table engine) to <flat-prefix>.public.orders. Every order is created,
// updated twice, then either updated again or deleted, so the stream holds 4 events a key,
// with increasing LSNs, like a real capture of the simulator's lifecycle.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("kafka-brokers", "127.0.0.1:19092", "Kafka brokers")
	prefix := flag.String("prefix", "bench", "topic prefix of the envelope stream")
	flat := flag.String("flat-prefix", "benchflat", "topic prefix of the flattened stream")
	events := flag.Int("events", 2_000_000, "events to write to each stream (a multiple of 4)")
	partitions := flag.Int("partitions", 3, "partitions per topic")
	flag.Parse()
	if err := run(*brokers, *prefix, *flat, *events, *partitions); err != nil {
		fmt.Fprintln(os.Stderr, "feed:", err)
		os.Exit(1)
	}
}

func run(brokers, prefix, flat string, events, partitions int) error {
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...),
		kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(200_000),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return err
	}
	defer cl.Close()
	full, flatTopic := prefix+".public.orders", flat+".public.orders"
	adm := kadm.NewClient(cl)
	_, _ = adm.DeleteTopics(ctx, full, flatTopic)
	time.Sleep(2 * time.Second)
	for _, t := range []string{full, flatTopic} {
		if _, err := adm.CreateTopic(ctx, int32(partitions), 1, nil, t); err != nil {
			return fmt.Errorf("create %s: %w", t, err)
		}
	}
	keys := events / 4
	base := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	lsn := int64(1_000_000)
	start := time.Now()
	var produceErr error
	done := func(_ *kgo.Record, err error) {
		if err != nil && produceErr == nil {
			produceErr = err
		}
	}
	var env, row []byte
	for step := 0; step < 4; step++ {
		for k := 1; k <= keys; k++ {
			lsn += 56
			o := order(k, step, base)
			op := "u"
			switch {
			case step == 0:
				op = "c"
			case step == 3 && k%5 == 0:
				op = "d"
			}
			commit := base.Add(time.Duration(lsn) * time.Microsecond).UnixMilli()
			env = envelope(env[:0], o, op, lsn, commit)
			row = flatRow(row[:0], o, op, lsn, commit)
			key := []byte(`{"id":` + strconv.Itoa(k) + `}`)
			cl.Produce(ctx, &kgo.Record{Topic: full, Key: key, Value: append([]byte(nil), env...)}, done)
			cl.Produce(ctx, &kgo.Record{Topic: flatTopic, Key: key, Value: append([]byte(nil), row...)}, done)
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if produceErr != nil {
		return produceErr
	}
	fmt.Printf("feed: %d events to %s and %s in %s (%d bytes per envelope, %d per flat row)\n",
		keys*4, full, flatTopic, time.Since(start).Round(time.Millisecond), len(env), len(row))
	return nil
}

type orderRow struct {
	id, customer, restaurant, city, courier, items, promised int
	status                                                   string
	placed, accepted, picked, delivered                      string // ISO or "" for null
	subtotal, fee, total, distance                           string
	lat, lon                                                 float64
	promo                                                    bool
}

var statuses = [4]string{"placed", "accepted", "picked_up", "delivered"}

func order(k, step int, base time.Time) orderRow {
	placed := base.Add(time.Duration(k) * 37 * time.Millisecond)
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	o := orderRow{id: k, customer: 1 + k%5000, restaurant: 1 + k%200, city: 1 + k%24, courier: 0,
		items: 1 + k%4, promised: 30 + k%20, status: statuses[step], placed: iso(placed),
		subtotal: fmt.Sprintf("%d.%03d", 10+k%90, k%1000), fee: "3.500", distance: fmt.Sprintf("%d.%03d", k%9, k%1000),
		lat: 36.8 + float64(k%100)/1000, lon: 10.1 + float64(k%100)/1000, promo: k%10 == 0}
	o.total = fmt.Sprintf("%d.%03d", 13+k%90, (k+500)%1000)
	if step >= 1 {
		o.accepted = iso(placed.Add(2 * time.Minute))
	}
	if step >= 2 {
		o.picked, o.courier = iso(placed.Add(20*time.Minute)), 1+k%150
	}
	if step >= 3 {
		o.delivered = iso(placed.Add(35 * time.Minute))
	}
	return o
}

func str(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return strconv.AppendQuote(b, s)
}

func columns(b []byte, o orderRow) []byte {
	b = append(b, `"id":`...)
	b = strconv.AppendInt(b, int64(o.id), 10)
	b = append(b, `,"customer_id":`...)
	b = strconv.AppendInt(b, int64(o.customer), 10)
	b = append(b, `,"restaurant_id":`...)
	b = strconv.AppendInt(b, int64(o.restaurant), 10)
	b = append(b, `,"courier_id":`...)
	if o.courier == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(o.courier), 10)
	}
	b = append(b, `,"city_id":`...)
	b = strconv.AppendInt(b, int64(o.city), 10)
	b = append(b, `,"status":`...)
	b = str(b, o.status)
	b = append(b, `,"placed_at":`...)
	b = str(b, o.placed)
	b = append(b, `,"accepted_at":`...)
	b = str(b, o.accepted)
	b = append(b, `,"picked_up_at":`...)
	b = str(b, o.picked)
	b = append(b, `,"delivered_at":`...)
	b = str(b, o.delivered)
	b = append(b, `,"cancelled_at":null,"cancel_reason":null,"items_count":`...)
	b = strconv.AppendInt(b, int64(o.items), 10)
	b = append(b, `,"subtotal":`...)
	b = str(b, o.subtotal)
	b = append(b, `,"delivery_fee":`...)
	b = str(b, o.fee)
	b = append(b, `,"total":`...)
	b = str(b, o.total)
	b = append(b, `,"distance_km":`...)
	b = str(b, o.distance)
	b = append(b, `,"promised_minutes":`...)
	b = strconv.AppendInt(b, int64(o.promised), 10)
	b = append(b, `,"is_promo":`...)
	b = strconv.AppendBool(b, o.promo)
	b = append(b, `,"drop_lat":`...)
	b = strconv.AppendFloat(b, o.lat, 'f', -1, 64)
	b = append(b, `,"drop_lon":`...)
	b = strconv.AppendFloat(b, o.lon, 'f', -1, 64)
	b = append(b, `,"trace_parent":"00-0af7651916cd43dd8448eb211c80319c-`...)
	b = fmt.Appendf(b, "%016x-01\"", o.id)
	return b
}

// envelope is the Debezium JSON envelope (schemas off) of one change.
func envelope(b []byte, o orderRow, op string, lsn, commit int64) []byte {
	b = append(b, `{"before":null,"after":`...)
	if op == "d" {
		b = b[:len(b)-len(`null,"after":`)]
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(o.id), 10)
		b = append(b, `},"after":null`...)
	} else {
		b = append(b, '{')
		b = columns(b, o)
		b = append(b, '}')
	}
	b = append(b, `,"source":{"version":"3.6.1.Final","connector":"postgresql","name":"flavortrend","ts_ms":`...)
	b = strconv.AppendInt(b, commit, 10)
	b = append(b, `,"snapshot":"false","db":"flavortrend","sequence":null,"schema":"public","table":"orders","txId":`...)
	b = strconv.AppendInt(b, lsn/1000, 10)
	b = append(b, `,"lsn":`...)
	b = strconv.AppendInt(b, lsn, 10)
	b = append(b, `,"xmin":null},"transaction":null,"op":"`...)
	b = append(b, op...)
	b = append(b, `","ts_ms":`...)
	b = strconv.AppendInt(b, commit+40, 10)
	return append(b, '}')
}

// flatRow is the same change after ExtractNewRecordState with
// delete.tombstone.handling.mode=rewrite and add.fields=op,lsn,source.ts_ms.
func flatRow(b []byte, o orderRow, op string, lsn, commit int64) []byte {
	b = append(b, '{')
	b = columns(b, o)
	b = append(b, `,"__op":"`...)
	b = append(b, op...)
	b = append(b, `","__lsn":`...)
	b = strconv.AppendInt(b, lsn, 10)
	b = append(b, `,"__source_ts_ms":`...)
	b = strconv.AppendInt(b, commit, 10)
	if op == "d" {
		b = append(b, `,"__deleted":"true"}`...)
	} else {
		b = append(b, `,"__deleted":"false"}`...)
	}
	return b
}
