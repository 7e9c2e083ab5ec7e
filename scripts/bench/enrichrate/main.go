// Command enrichrate measures, for make bench, how many orders a second the enricher works
// through with its Kafka transactions on: it waits until the orders CDC topic has stopped
// growing, runs the enricher (package enrich, in process, fresh groups) over it, and times it
// from its first output until orders.enriched holds one committed record per order, exactly
// (the order stage; it fails without a rate otherwise),
// then until the city stage has consumed every city event (both stages). It prints orders/s
// and the CPU-seconds the process spent per thousand orders for each.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	brokers := flag.String("kafka-brokers", "127.0.0.1:19092", "Kafka brokers")
	prefix := flag.String("topic-prefix", "", "CDC topic prefix")
	orders := flag.Int64("orders", 0, "orders in the topic (one enriched record each)")
	chAddr := flag.String("ch-addr", "127.0.0.1:19000", "ClickHouse (model registry)")
	chDB := flag.String("ch-database", "flavortrend", "ClickHouse database")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	traced := flag.Bool("trace", false, "record a span per order change, as an enricher exporting traces does")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "enrichrate:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(strings.Split(*brokers, ","), *prefix, *orders, config.ClickHouse{Addr: *chAddr, Database: *chDB, User: "default"}, *traced); err != nil {
		fmt.Fprintln(os.Stderr, "enrichrate:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(brokers []string, prefix string, orders int64, ch config.ClickHouse, trace bool) error {
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic := prefix + ".public.orders"
	// Debezium is done when the topic has not grown for 5 s.
	var last int64 = -1
	for stable := 0; stable < 5; time.Sleep(time.Second) {
		n, err := endSum(ctx, adm, topic)
		if err != nil {
			return err
		}
		if n == last {
			stable++
		} else {
			stable, last = 0, n
		}
	}
	derived := fmt.Sprintf("rate%d.", time.Now().Unix())
	// The telemetry flavortrend enrich has with a metrics endpoint and no trace export (its
	// default, and make run's): metrics kept, no spans. -trace records a span per order change
	// as an exporting enricher does (every order here carries a sampled context).
	tel, err := telemetry.Setup(ctx, telemetry.Config{Service: "flavortrend-enrich", MetricsAddr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.Background()) //nolint:errcheck // nothing is exported
	providers := tel.Providers
	if trace {
		providers.Tracers = sdktrace.NewTracerProvider()
	} else {
		providers.Tracers = nil
	}
	cfg := enrich.Config{Kafka: config.Kafka{Brokers: brokers}, ClickHouse: ch, TopicPrefix: prefix, DerivedPrefix: derived,
		Group: derived + "enrich", Instance: "bench", Lateness: 2 * time.Minute, SLA: 45 * time.Minute, Partitions: 3,
		Telemetry: providers}
	if err := cfg.Validate(); err != nil {
		return err
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	cpu0 := cpuTime()
	go func() {
		done <- enrich.Run(rctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}()
	// The clock starts at the first output, after the group join and the dimensions' load,
	// and stops when the committed outputs are one per order. Not the topic's end offsets:
	// they count the transactions' commit markers too, and reach the number of orders early.
	out, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(derived+"orders.enriched"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		stop()
		return err
	}
	defer out.Close()
	var first, enriched int64
	for enriched < orders {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		n := int64(out.PollFetches(pctx).NumRecords())
		cancel()
		if n > 0 && first == 0 {
			first, start, cpu0 = n, time.Now(), cpuTime()
		}
		enriched += n
		select {
		case err := <-done:
			stop()
			return fmt.Errorf("enricher stopped: %v", err)
		default:
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	// Exactly once: a record more than the orders is a duplicate, and the rate would be wrong.
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	enriched += int64(out.PollFetches(pctx).NumRecords())
	cancel()
	if enriched != orders {
		stop()
		<-done
		return fmt.Errorf("orders.enriched holds %d committed records for %d orders", enriched, orders)
	}
	mode := "transactions on"
	if trace {
		mode += ", a span per change"
	}
	fmt.Printf("enrich (order stage, "+mode+"): %.0f orders/s (%d orders, %d CDC records, %.1f s from the first output); %.3f CPU-s per thousand orders\n",
		float64(orders-first)/elapsed.Seconds(), orders, last, elapsed.Seconds(), cpu.Seconds()/float64(orders-first)*1000)
	// The city stage runs beside it over the city events the order stage wrote: both are done
	// when the city group has committed up to the end of that topic (less the last commit
	// marker of each partition).
	events := derived + "enrich.city-events"
	for {
		end, err1 := endSum(ctx, adm, events)
		offs, err2 := adm.FetchOffsets(ctx, derived+"enrich-city")
		var committed int64
		offs.Each(func(o kadm.OffsetResponse) { committed += o.At })
		if err1 == nil && err2 == nil && committed >= end-int64(cfg.Partitions) {
			both, cpuBoth := time.Since(start), cpuTime()-cpu0
			fmt.Printf("enrich (order and city stages, "+mode+"): %.0f orders/s (%d city events, %.1f s); %.3f CPU-s per thousand orders\n",
				float64(orders-first)/both.Seconds(), end, both.Seconds(), cpuBoth.Seconds()/float64(orders-first)*1000)
			break
		}
		select {
		case err := <-done:
			stop()
			return fmt.Errorf("enricher stopped: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	stop()
	<-done
	topics, err := adm.ListTopics(ctx)
	if err == nil {
		var mine []string
		for _, n := range topics.Names() {
			if strings.HasPrefix(n, derived) {
				mine = append(mine, n)
			}
		}
		_, err = adm.DeleteTopics(ctx, mine...)
	}
	return err
}

// endSum is the sum of the end offsets of a topic's partitions (records, for a topic
// without transactions; records plus markers otherwise, close enough to wait on).
func endSum(ctx context.Context, adm *kadm.Client, topic string) (int64, error) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			n += o.Offset
		}
	})
	return n, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
