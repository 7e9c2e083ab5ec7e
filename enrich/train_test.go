package enrich_test

import (
	"context"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/enrich/train"
	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// simulatedDays is how much simulated time the model is trained on (SPEC §5's test: 7 days).
const simulatedDays = 7

// TestTrainPromotes: after a week of simulated orders through the whole pipeline, train
// fits a model whose test MAE is at most 0.75 × the per-city-hour baseline's, registers it
// with both metrics and promotes it; the running enricher picks it up without a restart
// (the next orders are predicted by it); a second training compares itself with it.
func TestTrainPromotes(t *testing.T) {
	ctx := context.Background()
	pg, ch, chCfg, kafka, name := captured(t, "ft_trn")

	if err := generate.Seed(ctx, pg, 1); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	week := simulatedDays * 24 * time.Hour
	if _, err := generate.Run(ctx, pg, generate.Config{Seed: 5, Rate: 6, Speed: 0, Start: from, Duration: week}, nil); err != nil {
		t.Fatal(err)
	}

	runPipeline(t, kafka, chCfg, name, telemetry.Providers{})
	db := chCfg.Database
	waitRows := func(q string, want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for {
			var n uint64
			if err := ch.QueryRow(ctx, q).Scan(&n); err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			if int(n) >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d rows, want %d: %s", n, want, q)
			}
			time.Sleep(time.Second)
		}
	}
	var delivered int
	if err := pg.QueryRow(ctx, "SELECT count(delivered_at) FROM orders").Scan(&delivered); err != nil {
		t.Fatal(err)
	}
	waitRows("SELECT count() FROM "+db+".eta_outcomes FINAL", delivered)

	v, err := train.Run(ctx, ch, train.Config{Database: db, Window: 28 * 24 * time.Hour, MinRows: 1000}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := v.Report
	t.Logf("%s on %d/%d orders: MAE %.2f (p50 %.2f p90 %.2f), global mean %.2f, per-city-hour %.2f: %s",
		v.Version, v.TrainRows, v.TestRows, r.Model.MAE, r.Model.P50, r.Model.P90, r.GlobalMean.MAE, r.CityHourMean.MAE, v.Decision)
	if !v.Promoted || r.Model.MAE > 0.75*r.CityHourMean.MAE {
		t.Fatalf("model MAE %.2f against the per-city-hour baseline's %.2f (ratio %.2f, want ≤ 0.75), promoted %v",
			r.Model.MAE, r.CityHourMean.MAE, r.Model.MAE/r.CityHourMean.MAE, v.Promoted)
	}
	var mae, cityHour float64
	var promotions uint64
	if err := ch.QueryRow(ctx, "SELECT mae, city_hour_mae FROM "+db+".eta_models WHERE version = ?", v.Version).Scan(&mae, &cityHour); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueryRow(ctx, "SELECT count() FROM "+db+".eta_model_promotions WHERE version = ?", v.Version).Scan(&promotions); err != nil {
		t.Fatal(err)
	}
	if mae != r.Model.MAE || cityHour != r.CityHourMean.MAE || promotions != 1 {
		t.Errorf("registry: mae %v city_hour_mae %v promotions %d; want %v, %v, 1", mae, cityHour, promotions, r.Model.MAE, r.CityHourMean.MAE)
	}

	// The enricher picks the model up: the next orders are predicted by it.
	time.Sleep(3 * time.Second) // the enricher looks for a new model every second
	next := from.Add(week)
	if _, err := generate.Run(ctx, pg, generate.Config{Seed: 6, Rate: 15, Speed: 0, Start: next, Duration: 30 * time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	var placedAfter int
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM orders WHERE placed_at >= $1", next).Scan(&placedAfter); err != nil {
		t.Fatal(err)
	}
	if placedAfter == 0 {
		t.Fatal("no order placed in the second run")
	}
	waitRows("SELECT count() FROM "+db+".eta_predictions FINAL WHERE placed_at >= toDateTime('"+next.Format("2006-01-02 15:04:05")+"', 'UTC')", placedAfter)
	rows := queryPairs(t, ch, "SELECT model_version, toString(count()) FROM "+db+".eta_predictions FINAL WHERE placed_at >= toDateTime('"+
		next.Format("2006-01-02 15:04:05")+"', 'UTC') GROUP BY model_version")
	if len(rows) != 1 || rows[0][0] != v.Version {
		t.Errorf("predictions after the promotion by %v, want all by %s", rows, v.Version)
	}

	// A second training measures the current model on its own test split.
	v2, err := train.Run(ctx, ch, train.Config{Database: db, Window: 28 * 24 * time.Hour, MinRows: 1000}, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v2.Current != v.Version || v2.CurrentAE <= 0 {
		t.Errorf("second training compared with %q (MAE %.2f), want %s", v2.Current, v2.CurrentAE, v.Version)
	}
	wantPromoted := v2.Report.Model.MAE < v2.CurrentAE && v2.Report.Model.MAE < v2.Report.CityHourMean.MAE
	if v2.Promoted != wantPromoted {
		t.Errorf("second training promoted %v with MAE %.2f against current %.2f: %s", v2.Promoted, v2.Report.Model.MAE, v2.CurrentAE, v2.Decision)
	}
}
