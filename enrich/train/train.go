// Package train is the ETA model's training job (SPEC §5, `flavortrend train`): it reads
// the delivered orders of the last window from ClickHouse — the features each had at
// placement (eta_predictions) and how long it really took (eta_outcomes) — splits them by
// time, fits the model of package eta, measures it against the two baselines and against
// the current model on the same test split, registers the version with its metrics, and
// promotes it only when it beats both the current model and the per-city-hour baseline.
package train

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flavortrend/flavortrend/enrich/eta"
	"github.com/flavortrend/flavortrend/enrich/features"
	"github.com/flavortrend/flavortrend/enrich/registry"
)

// Config configures a training run.
type Config struct {
	Database string        // ClickHouse database of the facts and the registry
	Window   time.Duration // train on the orders placed in this window before the newest one
	MinRows  int           // fewer delivered orders than this: no model
}

// Run trains, registers and maybe promotes one version, at now.
func Run(ctx context.Context, ch driver.Conn, cfg Config, now time.Time) (registry.Version, error) {
	examples, err := load(ctx, ch, cfg)
	if err != nil {
		return registry.Version{}, err
	}
	if len(examples) < cfg.MinRows {
		return registry.Version{}, fmt.Errorf("train: %d delivered orders in the last %s, want at least %d", len(examples), cfg.Window, cfg.MinRows)
	}
	names := features.Names()
	trainSet, test := eta.Split(examples, eta.DefaultTestShare)
	if len(trainSet) == 0 || len(test) == 0 {
		return registry.Version{}, fmt.Errorf("train: %d examples do not split into training and test sets", len(examples))
	}
	base, err := eta.FitBaselines(trainSet)
	if err != nil {
		return registry.Version{}, fmt.Errorf("train: %w", err)
	}
	model, err := eta.Fit(names, trainSet, eta.DefaultConfig(names))
	if err != nil {
		return registry.Version{}, fmt.Errorf("train: %w", err)
	}
	artefact, err := json.Marshal(model)
	if err != nil {
		return registry.Version{}, fmt.Errorf("train: %w", err)
	}
	namesJSON, _ := json.Marshal(names)
	sum := sha256.Sum256(artefact)
	v := registry.Version{
		Version:   "eta-" + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(sum[:4]),
		TrainedAt: now.UTC(), TrainFrom: trainSet[0].PlacedAt, TestFrom: test[0].PlacedAt, TestTo: test[len(test)-1].PlacedAt,
		TrainRows: uint64(len(trainSet)), TestRows: uint64(len(test)), Features: string(namesJSON),
		Report: eta.Evaluate(model, base, test), Artefact: artefact,
	}
	reg := registry.New(ch, cfg.Database)
	current, err := compareCurrent(ctx, reg, names, test, &v)
	if err != nil {
		return registry.Version{}, err
	}
	v.Promoted, v.Decision = decide(v, current)
	if err := reg.Register(ctx, v); err != nil {
		return registry.Version{}, err
	}
	if v.Promoted {
		if err := reg.Promote(ctx, v.Version, "train", v.Decision, now.UTC()); err != nil {
			return registry.Version{}, err
		}
	}
	return v, nil
}

// compareCurrent measures the promoted model, if any, on the same test split; it reports
// whether one could be compared.
func compareCurrent(ctx context.Context, reg *registry.Registry, names []string, test []eta.Example, v *registry.Version) (bool, error) {
	version, artefact, err := reg.Current(ctx)
	if errors.Is(err, registry.ErrNone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	v.Current = version
	cur, err := eta.Load(artefact, names)
	if err != nil {
		// Trained on other features: it cannot be measured on these, and the new model,
		// which can, replaces it if it beats the baseline.
		return false, nil
	}
	v.CurrentAE = eta.Measure(test, func(e eta.Example) float64 { return cur.Predict(e.Vector) }).MAE
	return true, nil
}

// decide applies SPEC §5: promote only a model that beats the per-city-hour baseline and the
// current model on the test split.
func decide(v registry.Version, comparable bool) (bool, string) {
	m, cityHour := v.Report.Model.MAE, v.Report.CityHourMean.MAE
	switch {
	case m >= cityHour:
		return false, fmt.Sprintf("not promoted: test MAE %.2f min does not beat the per-city-hour baseline's %.2f", m, cityHour)
	case v.Current == "":
		return true, fmt.Sprintf("promoted: test MAE %.2f min against %.2f for the per-city-hour baseline (%.2f×), no model before", m, cityHour, m/cityHour)
	case !comparable:
		return true, fmt.Sprintf("promoted: test MAE %.2f min against %.2f for the per-city-hour baseline; %s used other features", m, cityHour, v.Current)
	case m >= v.CurrentAE:
		return false, fmt.Sprintf("not promoted: test MAE %.2f min does not beat %s's %.2f on the same orders", m, v.Current, v.CurrentAE)
	}
	return true, fmt.Sprintf("promoted: test MAE %.2f min against %.2f for %s and %.2f for the per-city-hour baseline", m, v.CurrentAE, v.Current, cityHour)
}

// load reads the delivered orders of the window: each order's features at placement and its
// actual minutes, oldest first.
func load(ctx context.Context, ch driver.Conn, cfg Config) ([]eta.Example, error) {
	db := cfg.Database
	var newest time.Time
	if err := ch.QueryRow(ctx, "SELECT max(placed_at) FROM "+db+".eta_outcomes").Scan(&newest); err != nil {
		return nil, fmt.Errorf("train: newest delivered order: %w", err)
	}
	cols := `city_id, placed_at, distance_km, hour_of_day, day_of_week, is_weekend, is_rush_hour, is_holiday, items_count,
		restaurant_avg_prep_minutes, has_courier, courier_vehicle, courier_speed_factor, courier_active_deliveries,
		weather_condition, temperature_c, precipitation_mm, is_rain, city_pressure`
	q := `SELECT ` + cols + `, actual_minutes
		FROM (SELECT order_id, ` + cols + ` FROM ` + db + `.eta_predictions FINAL WHERE placed_at >= ?) AS p
		ANY INNER JOIN (SELECT order_id, actual_minutes FROM ` + db + `.eta_outcomes FINAL WHERE placed_at >= ?) AS o USING order_id
		ORDER BY placed_at, order_id`
	from := newest.Add(-cfg.Window)
	rows, err := ch.Query(ctx, q, from, from)
	if err != nil {
		return nil, fmt.Errorf("train: read delivered orders: %w", err)
	}
	defer rows.Close()
	var out []eta.Example
	for rows.Next() {
		var f features.Features
		var city int64
		var placed time.Time
		var hour, dow, active int32
		var weekend, rush, holiday, hasCourier, rain uint8
		var items int64
		var minutes float64
		if err := rows.Scan(&city, &placed, &f.DistanceKm, &hour, &dow, &weekend, &rush, &holiday, &items,
			&f.RestaurantAvgPrepMinutes, &hasCourier, &f.CourierVehicle, &f.CourierSpeedFactor, &active,
			&f.WeatherCondition, &f.TemperatureC, &f.PrecipitationMm, &rain, &f.CityPressure, &minutes); err != nil {
			return nil, fmt.Errorf("train: read delivered orders: %w", err)
		}
		f.HourOfDay, f.DayOfWeek, f.CourierActiveDeliveries, f.ItemsCount = int(hour), int(dow), int(active), int(items)
		f.IsWeekend, f.IsRushHour, f.IsHoliday, f.HasCourier, f.IsRain = weekend == 1, rush == 1, holiday == 1, hasCourier == 1, rain == 1
		out = append(out, eta.Example{Vector: f.Vector(), CityID: int32(city), PlacedAt: placed, Minutes: minutes})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("train: read delivered orders: %w", err)
	}
	return out, nil
}
