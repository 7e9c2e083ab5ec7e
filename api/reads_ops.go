package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/flavortrend/flavortrend/internal/calendar"
	"github.com/flavortrend/flavortrend/internal/idbounds"
)

// The live-operations reads (SPEC §8): KPIs, live orders, static and dynamic SLA, model
// health, city pressure, heatmap and replay. Every window is [from, to) in UTC; the facts
// are read with FINAL, so that a row the ingester wrote twice (same key and _version)
// counts once, and the rollup views count each order once by construction.

// KPIsInput selects the KPIs' window and city.
type KPIsInput struct {
	WindowParams
	CityParam
}

// KPIs are the headline numbers of the ops overview, each with the period it covers.
type KPIs struct {
	AsOf      time.Time    `json:"as_of" doc:"The instant the numbers are for: now (UTC)."`
	CityID    *int32       `json:"city_id" doc:"The city; null for every city."`
	Orders    KPIOrders    `json:"orders"`
	SLAToday  KPISLAToday  `json:"sla_today"`
	ETA       KPIETA       `json:"eta_last_hour"`
	Freshness KPIFreshness `json:"freshness"`
}

// KPIOrders is the order rate over the window, in whole minutes.
type KPIOrders struct {
	From      time.Time `json:"from" doc:"The window's start rounded down to the minute (UTC, inclusive)."`
	To        time.Time `json:"to" doc:"The window's end rounded down to the minute (UTC, exclusive): the minute in progress is left out."`
	Minutes   int64     `json:"minutes" doc:"Whole minutes from from to to."`
	Placed    uint64    `json:"placed" doc:"Orders placed in [from, to), each counted once (rollup orders_per_city_minute)."`
	PerMinute *float64  `json:"per_minute" doc:"placed / minutes; null when the window holds no whole minute."`
}

// KPISLAToday counts the static SLA violations of the local day.
type KPISLAToday struct {
	From     time.Time `json:"from" doc:"Local midnight of today in Africa/Tunis (UTC+1 all year), in UTC: the day runs from it to as_of."`
	Breaches uint64    `json:"breaches" doc:"Orders delivered late (more than the city's SLA threshold, 45 min by default, after placement) whose delivery falls in [from, as_of)."`
	AtRisk   uint64    `json:"at_risk" doc:"Orders still open when their deadline passed in [from, as_of)."`
}

// KPIETA is the ETA model's accuracy over the last hour.
type KPIETA struct {
	From       time.Time `json:"from" doc:"as_of − 1 hour (UTC, inclusive); the hour ends at as_of (exclusive)."`
	Delivered  uint64    `json:"delivered" doc:"Orders delivered in the hour with a prediction (eta_outcomes)."`
	MAEMinutes *float64  `json:"mae_minutes" doc:"Mean of |actual − predicted| delivery minutes over those orders; null when there are none."`
}

// KPIFreshness is how far behind the source the pipeline is.
type KPIFreshness struct {
	NewestSourceCommit *time.Time `json:"newest_source_commit" doc:"Commit time at the source (PostgreSQL) of the newest change in the ClickHouse orders mirror, of every city: max(_source_ts_ms); null when the mirror is empty."`
	Seconds            *float64   `json:"seconds" doc:"as_of − newest_source_commit, seconds (millisecond precision); null when the mirror is empty."`
}

// KPIsOutput answers the KPIs.
type KPIsOutput struct {
	Body KPIs
}

// LiveOrdersInput selects live orders.
type LiveOrdersInput struct {
	CityParam
	AgeParams
	LimitParam
}

// LiveOrder is an order not yet delivered or cancelled.
type LiveOrder struct {
	OrderID          int64      `json:"order_id"`
	CityID           int32      `json:"city_id"`
	RestaurantID     int32      `json:"restaurant_id"`
	CourierID        *int32     `json:"courier_id" doc:"Null until a courier is assigned."`
	Status           string     `json:"status" enum:"placed,accepted,picked_up"`
	PlacedAt         time.Time  `json:"placed_at"`
	AcceptedAt       *time.Time `json:"accepted_at"`
	PickedUpAt       *time.Time `json:"picked_up_at"`
	AgeMinutes       float64    `json:"age_minutes" doc:"as_of − placed_at, minutes."`
	ItemsCount       int32      `json:"items_count" doc:"Units ordered."`
	Total            float64    `json:"total" doc:"Order total, TND."`
	DistanceKm       float64    `json:"distance_km" doc:"Great-circle distance restaurant → drop-off, km."`
	PromisedMinutes  int32      `json:"promised_minutes" doc:"Delivery time promised at placement, minutes."`
	PredictedMinutes *float64   `json:"predicted_minutes" doc:"Delivery minutes from placement predicted by the ETA model (eta_predictions); null when no prediction was made."`
	ModelVersion     *string    `json:"model_version" doc:"The model that predicted (promised when none was promoted); null without a prediction."`
}

// LiveOrders are the newest open orders.
type LiveOrders struct {
	AsOf   time.Time   `json:"as_of" doc:"Now (UTC)."`
	Orders []LiveOrder `json:"orders" doc:"Open orders (status placed, accepted or picked_up in the orders mirror), newest placed first."`
}

// LiveOrdersOutput answers the live orders.
type LiveOrdersOutput struct {
	Body LiveOrders
}

// SLAViolationsInput selects static SLA violations.
type SLAViolationsInput struct {
	WindowParams
	CityParam
	LimitParam
	Kind string `query:"kind" enum:"at_risk,breach" doc:"Only this kind: at_risk (still open at the deadline) or breach (delivered after it); both when absent."`
}

// SLAViolation is a static SLA violation (SPEC §4.3).
type SLAViolation struct {
	OrderID          int64     `json:"order_id"`
	CityID           int32     `json:"city_id"`
	Kind             string    `json:"kind" enum:"at_risk,breach" doc:"at_risk: still open at its deadline; breach: delivered after it."`
	PlacedAt         time.Time `json:"placed_at"`
	Deadline         time.Time `json:"deadline" doc:"placed_at + threshold_minutes."`
	ObservedAt       time.Time `json:"observed_at" doc:"When it happened: the deadline (at_risk) or delivered_at (breach)."`
	ThresholdMinutes float64   `json:"threshold_minutes" doc:"The city's SLA threshold, minutes (45 by default)."`
	ActualMinutes    float64   `json:"actual_minutes" doc:"observed_at − placed_at, minutes."`
	DelayMinutes     float64   `json:"delay_minutes" doc:"actual_minutes − threshold_minutes."`
}

// SLAViolations lists static SLA violations.
type SLAViolations struct {
	From       time.Time      `json:"from" doc:"Start of the window on observed_at (UTC, inclusive)."`
	To         time.Time      `json:"to" doc:"End of the window (UTC, exclusive)."`
	Violations []SLAViolation `json:"violations" doc:"Newest observed first."`
}

// SLAViolationsOutput answers the static SLA violations.
type SLAViolationsOutput struct {
	Body SLAViolations
}

// DynamicViolationsInput selects dynamic SLA violations.
type DynamicViolationsInput struct {
	WindowParams
	CityParam
	LimitParam
}

// DynamicViolation is a delivered order that overran its prediction (SPEC §4.4): actual >
// predicted × 1.25 and actual − predicted ≥ 5 minutes.
type DynamicViolation struct {
	OrderID          int64     `json:"order_id"`
	CityID           int32     `json:"city_id"`
	PlacedAt         time.Time `json:"placed_at"`
	DeliveredAt      time.Time `json:"delivered_at"`
	ActualMinutes    float64   `json:"actual_minutes" doc:"delivered_at − placed_at, minutes."`
	PredictedMinutes float64   `json:"predicted_minutes" doc:"Minutes predicted at placement."`
	OverrunMinutes   float64   `json:"overrun_minutes" doc:"actual_minutes − predicted_minutes."`
	OverrunRatio     float64   `json:"overrun_ratio" doc:"actual_minutes / predicted_minutes: a ratio (1.5 = 50 % over), never a percent."`
	ModelVersion     string    `json:"model_version" doc:"The model that predicted."`
}

// DynamicViolations lists dynamic SLA violations.
type DynamicViolations struct {
	From       time.Time          `json:"from" doc:"Start of the window on delivered_at (UTC, inclusive)."`
	To         time.Time          `json:"to" doc:"End of the window (UTC, exclusive)."`
	Violations []DynamicViolation `json:"violations" doc:"Newest delivered first."`
}

// DynamicViolationsOutput answers the dynamic SLA violations.
type DynamicViolationsOutput struct {
	Body DynamicViolations
}

// OpsWindowCityInput selects a window and an optional city.
type OpsWindowCityInput struct {
	WindowParams
	CityParam
}

// DynamicSummary sums up the dynamic SLA over a window.
type DynamicSummary struct {
	From               time.Time `json:"from" doc:"Start of the window on delivered_at (UTC, inclusive)."`
	To                 time.Time `json:"to" doc:"End of the window (UTC, exclusive)."`
	CityID             *int32    `json:"city_id" doc:"The city; null for every city."`
	Delivered          uint64    `json:"delivered" doc:"Orders delivered in the window with a prediction (eta_outcomes)."`
	Violations         uint64    `json:"violations" doc:"Dynamic SLA violations delivered in the window (sla_dynamic_violations)."`
	ViolationShare     *float64  `json:"violation_share" doc:"violations / delivered, a ratio from 0 to 1; null when delivered is 0."`
	MeanOverrunMinutes *float64  `json:"mean_overrun_minutes" doc:"Mean actual − predicted minutes of the violations; null without violations."`
	MeanOverrunRatio   *float64  `json:"mean_overrun_ratio" doc:"Mean actual / predicted of the violations, a ratio (not a percent); null without violations."`
}

// DynamicSummaryOutput answers the dynamic SLA summary.
type DynamicSummaryOutput struct {
	Body DynamicSummary
}

// ModelHealthBucket is the ETA model's accuracy over 15 minutes of deliveries.
type ModelHealthBucket struct {
	Start      time.Time `json:"start" doc:"Start of the 15-minute bucket of delivered_at (UTC; buckets start at :00, :15, :30, :45)."`
	Delivered  uint64    `json:"delivered" doc:"Orders delivered in the bucket and the window with a prediction."`
	MAEMinutes float64   `json:"mae_minutes" doc:"Mean |actual − predicted| delivery minutes."`
	MAPE       *float64  `json:"mape" doc:"Mean of |actual − predicted| / actual over the orders with actual > 0, a ratio (0.2 = 20 %); null when none."`
}

// ModelHealthReport is the ETA model's accuracy over a window, per 15 minutes.
type ModelHealthReport struct {
	From             time.Time           `json:"from" doc:"Start of the window on delivered_at (UTC, inclusive)."`
	To               time.Time           `json:"to" doc:"End of the window (UTC, exclusive)."`
	CityID           *int32              `json:"city_id" doc:"The city; null for every city."`
	Buckets          []ModelHealthBucket `json:"buckets" doc:"Buckets with at least one delivery, oldest first; a bucket cut by the window counts only the deliveries in the window."`
	LatestBucket     *time.Time          `json:"latest_bucket" doc:"Start of the newest bucket; null without deliveries."`
	LatestMAEMinutes *float64            `json:"latest_mae_minutes" doc:"mae_minutes of the newest bucket; null without deliveries."`
}

// ModelHealthOutput answers the model health.
type ModelHealthOutput struct {
	Body ModelHealthReport
}

// PressureTopInput selects the cities under the most pressure.
type PressureTopInput struct {
	WindowParams
	LimitParam
}

// CityPressureRank is a city's pressure in a window.
type CityPressureRank struct {
	CityID            int32     `json:"city_id"`
	CityName          string    `json:"city_name" doc:"Empty when the city is not in the cities mirror."`
	Minute            time.Time `json:"minute" doc:"The city's newest pressure minute in the window (UTC start of the minute; the values are as of its end)."`
	Pressure          float64   `json:"pressure" doc:"Pressure of that minute, 0-100 (SPEC §4.7)."`
	Level             string    `json:"level" enum:"normal,warning,critical" doc:"normal below 75, warning from 75 (driver shortage), critical from 85."`
	OpenOrders        int32     `json:"open_orders" doc:"Placed, accepted and picked-up orders at the end of that minute."`
	AvailableCouriers int32     `json:"available_couriers" doc:"Couriers not offline with fewer than 3 active deliveries then."`
	PeakPressure      float64   `json:"peak_pressure" doc:"Highest pressure of the city's minutes in the window."`
}

// PressureTop ranks the cities by pressure.
type PressureTop struct {
	From   time.Time          `json:"from" doc:"Start of the window on the pressure minute (UTC, inclusive)."`
	To     time.Time          `json:"to" doc:"End of the window (UTC, exclusive)."`
	Cities []CityPressureRank `json:"cities" doc:"Cities with a pressure minute in the window, highest latest pressure first (then by city id)."`
}

// PressureTopOutput answers the pressure ranking.
type PressureTopOutput struct {
	Body PressureTop
}

// OpsCityWindowInput selects one city, required, and a window.
type OpsCityWindowInput struct {
	WindowParams
	City string `query:"city" required:"true" minLength:"1" maxLength:"64" doc:"The city, by id (1-24) or by name (e.g. Sfax, case-insensitive)."`
}

// ReplayInput selects one city, a window and how many operator actions to show.
type ReplayInput struct {
	OpsCityWindowInput
	Limit int `query:"limit" default:"1000" minimum:"1" maximum:"1000" doc:"Most operator actions to return: the oldest of the window; actions_truncated says when more were left out."`
}

// PressurePoint is a city's pressure in one minute.
type PressurePoint struct {
	Minute            time.Time `json:"minute" doc:"Start of the minute (UTC); the values are as of its end."`
	Pressure          float64   `json:"pressure" doc:"0-100: round(100 × clamp(0.7 × (1 − exp(−demand_per_courier / 2.5)) + 0.3 × delay_excess, 0, 1), 1) (SPEC §4.7)."`
	Level             string    `json:"level" enum:"normal,warning,critical" doc:"normal below 75, warning from 75, critical from 85."`
	OpenOrders        int32     `json:"open_orders" doc:"Placed, accepted and picked-up orders."`
	AvailableCouriers int32     `json:"available_couriers" doc:"Couriers not offline with fewer than 3 active deliveries."`
	DemandPerCourier  float64   `json:"demand_per_courier" doc:"open_orders / max(available_couriers, 0.5)."`
}

// PressureSeries is one city's pressure per minute.
type PressureSeries struct {
	CityID   int32           `json:"city_id"`
	CityName string          `json:"city_name"`
	From     time.Time       `json:"from" doc:"Start of the window on the minute (UTC, inclusive)."`
	To       time.Time       `json:"to" doc:"End of the window (UTC, exclusive)."`
	Points   []PressurePoint `json:"points" doc:"One per minute the city stage published, oldest first; a minute without a row has no point."`
}

// PressureSeriesOutput answers the pressure series.
type PressureSeriesOutput struct {
	Body PressureSeries
}

// HeatmapInput selects the heatmap's window and bucket.
type HeatmapInput struct {
	WindowParams
	Bucket string `query:"bucket" pattern:"^[1-9][0-9]{0,4}[mhd]$" doc:"Width of a column: minutes (m), hours (h) or days (d), e.g. 1m, 15m, 2h; the window may span at most 400 of them. Default: the narrowest of 1m, 5m, 15m, 30m, 1h, 2h, 6h, 1d that gives at most 400 columns (1m up to 6h40m, 2h for 31 days)."`
}

// HeatmapRow is one city's row of the heatmap, aligned with Heatmap.Minutes.
type HeatmapRow struct {
	CityID       int32      `json:"city_id"`
	CityName     string     `json:"city_name" doc:"Empty when the city is not in the cities mirror."`
	Pressure     []*float64 `json:"pressure" doc:"Mean pressure (0-100) of the city's minutes in each bucket of minutes; null where the city has no row."`
	OrdersPlaced []*int32   `json:"orders_placed" doc:"Orders placed in the city in each bucket of minutes (the sum of its minutes, as the city stage counted them); null where the city has no row."`
}

// Heatmap is the cities × buckets grid of pressure and orders placed.
type Heatmap struct {
	From    time.Time    `json:"from" doc:"Start of the window (UTC, inclusive)."`
	To      time.Time    `json:"to" doc:"End of the window (UTC, exclusive)."`
	Bucket  string       `json:"bucket" doc:"Width of a column, e.g. 1m, 5m, 2h (the bucket parameter, or the default for the window)."`
	Minutes []time.Time  `json:"minutes" doc:"The columns: the start (UTC) of every bucket in which at least one city has a row, oldest first. Buckets are aligned on multiples of their width since the Unix epoch, so the first and last may reach outside the window; only minutes inside it count."`
	Cities  []HeatmapRow `json:"cities" doc:"The rows: every city with a row in the window, by city id."`
}

// HeatmapOutput answers the heatmap.
type HeatmapOutput struct {
	Body Heatmap
}

// ReplayBreaches are a city's static SLA violations in one minute.
type ReplayBreaches struct {
	Minute     time.Time `json:"minute" doc:"Minute of observed_at (UTC start)."`
	Breaches   uint64    `json:"breaches" doc:"Orders delivered after their deadline in the minute."`
	AtRisk     uint64    `json:"at_risk" doc:"Orders still open when their deadline passed in the minute."`
	Violations uint64    `json:"violations" doc:"breaches + at_risk."`
}

// OperatorAction is an operator's write through the API, as recorded in operator_actions.
type OperatorAction struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at" doc:"When it was taken (UTC)."`
	Actor  string    `json:"actor"`
	Action string    `json:"action" doc:"What was done, e.g. scenario.start."`
	Target string    `json:"target" doc:"What it was done to, e.g. city:15."`
	Params any       `json:"params" doc:"The request's parameters, as recorded."`
	Result string    `json:"result" doc:"ok; or the refusal with its status (e.g. 409 flag 3 has already ended); or 500 internal error (the cause is in the API's log)."`
}

// Replay is what happened in one city over a window.
type Replay struct {
	CityID   int32            `json:"city_id"`
	CityName string           `json:"city_name"`
	From     time.Time        `json:"from" doc:"Start of the window (UTC, inclusive)."`
	To       time.Time        `json:"to" doc:"End of the window (UTC, exclusive)."`
	Pressure []PressurePoint  `json:"pressure" doc:"The city's pressure per minute whose start is in the window, oldest first."`
	Breaches []ReplayBreaches `json:"breaches" doc:"Static SLA violations per minute of observed_at in the window (rollup sla_breaches_per_city_minute), oldest first; minutes without any are left out."`
	Actions  []OperatorAction `json:"actions" doc:"Operator actions taken in the window whose target is city:<id> or whose params name the city (city_id, or city by id or name), in time order: at most limit, the oldest."`
	// ActionsTruncated tells a replay that shows the first limit actions from one that shows all.
	ActionsTruncated bool `json:"actions_truncated" doc:"True when the window holds more than limit such actions (those after the first limit are left out)."`
}

// ReplayOutput answers the replay.
type ReplayOutput struct {
	Body Replay
}

func (r registrar) opsReads() {
	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "get-kpis", Method: http.MethodGet, Path: "/v1/kpis",
		Summary: "Live KPIs", Tags: []string{"KPIs"},
		Description: "The ops overview's headline numbers, for every city or one. Each has its own period, given in the answer: " +
			"orders per minute over the window in whole minutes (orders placed in [from rounded down to the minute, to rounded " +
			"down to the minute) ÷ those minutes, each order once); static SLA breaches and at-risk orders today, today being " +
			"the local day in Africa/Tunis (UTC+1 all year) from its midnight to now; the ETA model's mean absolute error over " +
			"the orders delivered in the last hour; pipeline freshness, now − the source commit time of the newest change in " +
			"the orders mirror (of every city: it measures the pipeline)."}),
		func(ctx context.Context, in *KPIsInput) (*KPIsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			k, err := r.opsKPIs(ctx, in.WindowParams, city)
			return &KPIsOutput{Body: k}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "list-live-orders", Method: http.MethodGet, Path: "/v1/orders/live",
		Summary: "Live orders", Tags: []string{"Orders"},
		Description: "The newest open orders placed within max_age (placed, accepted or picked up, current state in the " +
			"orders mirror, deleted orders left out), newest placed first, with the delivery minutes the ETA model predicted at placement and its " +
			"version when there is a prediction."}),
		func(ctx context.Context, in *LiveOrdersInput) (*LiveOrdersOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			orders, err := r.opsLiveOrders(ctx, city, in.since(r.d.now()), in.Limit)
			return &LiveOrdersOutput{Body: LiveOrders{AsOf: r.d.now(), Orders: orders}}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "list-sla-violations", Method: http.MethodGet, Path: "/v1/sla/violations",
		Summary: "Static SLA violations", Tags: []string{"SLA"},
		Description: "Static SLA violations (SPEC §4.3) observed in the window, newest first: breach = delivered more than " +
			"the city's threshold (45 min by default) after placement, observed at delivery; at_risk = still open at the " +
			"deadline, observed then. At most one per order."}),
		func(ctx context.Context, in *SLAViolationsInput) (*SLAViolationsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			from, to := in.bounds(r.d.now())
			q := `SELECT order_id, city_id, kind, placed_at, deadline, observed_at, threshold_minutes, actual_minutes, delay_minutes
				FROM ` + r.d.table("sla_violations") + ` FINAL WHERE observed_at >= ? AND observed_at < ?`
			args := []any{from, to}
			q, args = opsCityFilter(q, args, city)
			if in.Kind != "" {
				q, args = q+" AND kind = ?", append(args, in.Kind)
			}
			q, args = q+" ORDER BY observed_at DESC, order_id DESC LIMIT ?", append(args, in.Limit)
			vs, err := opsCollect(ctx, r.d.CH, q, args, func(rows driver.Rows) (SLAViolation, error) {
				var v SLAViolation
				err := rows.Scan(&v.OrderID, &v.CityID, &v.Kind, &v.PlacedAt, &v.Deadline, &v.ObservedAt,
					&v.ThresholdMinutes, &v.ActualMinutes, &v.DelayMinutes)
				v.PlacedAt, v.Deadline, v.ObservedAt = v.PlacedAt.UTC(), v.Deadline.UTC(), v.ObservedAt.UTC()
				return v, err
			})
			if err != nil {
				return nil, fmt.Errorf("sla violations: %w", err)
			}
			return &SLAViolationsOutput{Body: SLAViolations{From: from, To: to, Violations: vs}}, nil
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "list-dynamic-sla-violations", Method: http.MethodGet, Path: "/v1/sla/dynamic-violations",
		Summary: "Dynamic SLA violations", Tags: []string{"SLA"},
		Description: "Orders delivered in the window that overran their ETA prediction (SPEC §4.4): actual > predicted × 1.25 " +
			"and actual − predicted ≥ 5 minutes, newest delivered first, with overrun_minutes = actual − predicted and " +
			"overrun_ratio = actual / predicted (a ratio, never a percent)."}),
		func(ctx context.Context, in *DynamicViolationsInput) (*DynamicViolationsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			from, to := in.bounds(r.d.now())
			q := `SELECT order_id, city_id, placed_at, delivered_at, actual_minutes, predicted_minutes, overrun_minutes,
				overrun_ratio, model_version FROM ` + r.d.table("sla_dynamic_violations") + ` FINAL WHERE delivered_at >= ? AND delivered_at < ?`
			q, args := opsCityFilter(q, []any{from, to}, city)
			q, args = q+" ORDER BY delivered_at DESC, order_id DESC LIMIT ?", append(args, in.Limit)
			vs, err := opsCollect(ctx, r.d.CH, q, args, func(rows driver.Rows) (DynamicViolation, error) {
				var v DynamicViolation
				err := rows.Scan(&v.OrderID, &v.CityID, &v.PlacedAt, &v.DeliveredAt, &v.ActualMinutes, &v.PredictedMinutes,
					&v.OverrunMinutes, &v.OverrunRatio, &v.ModelVersion)
				v.PlacedAt, v.DeliveredAt = v.PlacedAt.UTC(), v.DeliveredAt.UTC()
				return v, err
			})
			if err != nil {
				return nil, fmt.Errorf("dynamic violations: %w", err)
			}
			return &DynamicViolationsOutput{Body: DynamicViolations{From: from, To: to, Violations: vs}}, nil
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "get-dynamic-sla-summary", Method: http.MethodGet, Path: "/v1/sla/dynamic-summary",
		Summary: "Dynamic SLA summary", Tags: []string{"SLA"},
		Description: "Over the orders delivered in the window: how many had a prediction (eta_outcomes), how many of them " +
			"violated the dynamic SLA (actual > predicted × 1.25 and actual − predicted ≥ 5 min), the share of violations " +
			"(a ratio 0-1) and the violations' mean overrun in minutes and mean actual / predicted ratio."}),
		func(ctx context.Context, in *OpsWindowCityInput) (*DynamicSummaryOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			s, err := r.opsDynamicSummary(ctx, in.WindowParams, city)
			return &DynamicSummaryOutput{Body: s}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "get-model-health", Method: http.MethodGet, Path: "/v1/models/health",
		Summary: "ETA model health", Tags: []string{"Models"},
		Description: "The ETA model's accuracy on the orders delivered in the window, per 15-minute bucket of delivered_at: " +
			"deliveries, MAE (mean |actual − predicted| minutes) and MAPE (mean |actual − predicted| / actual, a ratio), and " +
			"the MAE of the newest bucket."}),
		func(ctx context.Context, in *OpsWindowCityInput) (*ModelHealthOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			h, err := r.opsModelHealth(ctx, in.WindowParams, city)
			return &ModelHealthOutput{Body: h}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "list-pressure-top", Method: http.MethodGet, Path: "/v1/pressure/top",
		Summary: "Cities under the most pressure", Tags: []string{"Pressure"},
		Description: "Cities ranked by their latest pressure minute in the window (highest first), with its level, open " +
			"orders and available couriers, and the city's peak pressure over the window."}),
		func(ctx context.Context, in *PressureTopInput) (*PressureTopOutput, error) {
			from, to := in.bounds(r.d.now())
			q := `SELECT city_id, city_name, latest_minute, latest_pressure, latest_level, latest_open, latest_available, peak_pressure
				FROM (
					SELECT city_id, max(minute) AS latest_minute, argMax(pressure, minute) AS latest_pressure,
						argMax(level, minute) AS latest_level, argMax(open_orders, minute) AS latest_open,
						argMax(available_couriers, minute) AS latest_available, max(pressure) AS peak_pressure
					FROM ` + r.d.table("city_pressure") + ` FINAL WHERE minute >= ? AND minute < ? GROUP BY city_id
				) ANY LEFT JOIN (
					SELECT id AS city_id, name AS city_name FROM ` + r.d.table("cities") + ` FINAL WHERE _is_deleted = 0
				) USING city_id
				ORDER BY latest_pressure DESC, city_id LIMIT ?`
			cities, err := opsCollect(ctx, r.d.CH, q, []any{from, to, in.Limit}, func(rows driver.Rows) (CityPressureRank, error) {
				var c CityPressureRank
				err := rows.Scan(&c.CityID, &c.CityName, &c.Minute, &c.Pressure, &c.Level, &c.OpenOrders, &c.AvailableCouriers, &c.PeakPressure)
				c.Minute = c.Minute.UTC()
				return c, err
			})
			if err != nil {
				return nil, fmt.Errorf("pressure top: %w", err)
			}
			return &PressureTopOutput{Body: PressureTop{From: from, To: to, Cities: cities}}, nil
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "get-pressure-series", Method: http.MethodGet, Path: "/v1/pressure/series",
		Summary: "A city's pressure per minute", Tags: []string{"Pressure"},
		Description: "One point per minute of the window for one city: pressure (SPEC §4.7), level, open orders, available " +
			"couriers and demand per courier."}),
		func(ctx context.Context, in *OpsCityWindowInput) (*PressureSeriesOutput, error) {
			id, name, err := r.opsCity(ctx, in.City)
			if err != nil {
				return nil, err
			}
			from, to := in.bounds(r.d.now())
			points, err := r.opsPressure(ctx, id, from, to)
			return &PressureSeriesOutput{Body: PressureSeries{CityID: id, CityName: name, From: from, To: to, Points: points}}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "get-heatmap", Method: http.MethodGet, Path: "/v1/heatmap",
		Summary: "Pressure heatmap", Tags: []string{"Pressure"},
		Description: "Cities × buckets of the window, ready for a heatmap: the columns are the buckets (bucket wide, " +
			"at most 400) in which some city has a pressure row, each city's row gives its mean pressure and the orders " +
			"placed in each of them (null where it has no row). 422 naming bucket when the window spans more than 400 " +
			"buckets."}),
		func(ctx context.Context, in *HeatmapInput) (*HeatmapOutput, error) {
			from, to := in.bounds(r.d.now())
			width, err := heatmapBucket(in.Bucket, from, to)
			if err != nil {
				return nil, err
			}
			h, err := r.opsHeatmap(ctx, from, to, width)
			return &HeatmapOutput{Body: h}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "get-replay", Method: http.MethodGet, Path: "/v1/replay",
		Summary: "Replay a city", Tags: []string{"Replay"},
		Description: "What happened in one city over the window: its pressure per minute, its static SLA breaches and " +
			"at-risk orders per minute, and the operator actions about it (target city:<id>, or params naming the city) " +
			"in time order, for annotations."}),
		func(ctx context.Context, in *ReplayInput) (*ReplayOutput, error) {
			id, name, err := r.opsCity(ctx, in.City)
			if err != nil {
				return nil, err
			}
			from, to := in.bounds(r.d.now())
			rp, err := r.opsReplay(ctx, id, name, from, to, in.Limit)
			return &ReplayOutput{Body: rp}, err
		})

	huma.Register(r.api, r.opsRead(huma.Operation{OperationID: "list-operator-actions", Method: http.MethodGet, Path: "/v1/actions",
		Summary: "Operator actions", Tags: []string{"Replay"},
		Description: "The writes operators made through the API in the window (operator_actions: scenarios, acknowledgements, " +
			"mutes, pauses, nudges, recommendations, promotions), with their actor, parameters and result, newest first; " +
			"with a city, those about it (target city:<id>, or params naming the city)."}),
		func(ctx context.Context, in *ActionsInput) (*ActionsOutput, error) {
			var id int32
			var name string
			if in.City != "" {
				var err error
				if id, name, err = r.opsCity(ctx, in.City); err != nil {
					return nil, err
				}
			}
			from, to := in.bounds(r.d.now())
			actions, err := r.opsActions(ctx, from, to, id, name, "ORDER BY at DESC, id DESC", in.Limit)
			out := &ActionsOutput{}
			out.Body.From, out.Body.To, out.Body.Actions = from, to, actions
			return out, err
		})
}

// ActionsInput selects operator actions.
type ActionsInput struct {
	WindowParams
	CityParam
	LimitParam
}

// ActionsOutput lists operator actions.
type ActionsOutput struct {
	Body struct {
		From    time.Time        `json:"from"`
		To      time.Time        `json:"to"`
		Actions []OperatorAction `json:"actions" doc:"Newest first."`
	}
}

// opsRead fills the defaults of a read: every one answers 422 to a bad window, city or
// limit, naming the parameter.
func (r registrar) opsRead(op huma.Operation) huma.Operation {
	op.Errors = []int{http.StatusUnprocessableEntity}
	return r.op(op)
}

// opsCityFilter adds a condition on city_id to a query's WHERE when a city is chosen.
func opsCityFilter(q string, args []any, city int32) (string, []any) {
	if city == 0 {
		return q, args
	}
	return q + " AND city_id = ?", append(args, city)
}

// opsCityPtr is a chosen city for an answer: nil for every city.
func opsCityPtr(city int32) *int32 {
	if city == 0 {
		return nil
	}
	return &city
}

// opsCollect runs a ClickHouse query and scans each row; the answer is never nil, so that
// an empty list is [] in JSON.
func opsCollect[T any](ctx context.Context, ch driver.Conn, q string, args []any, scan func(driver.Rows) (T, error)) ([]T, error) {
	rows, err := ch.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// opsCity resolves a required city parameter to its id and name (422 on an unknown city).
func (r registrar) opsCity(ctx context.Context, city string) (int32, string, error) {
	id, err := r.d.cityID(ctx, city)
	if err != nil {
		return 0, "", err
	}
	var name string
	if err := r.d.PG.QueryRow(ctx, `SELECT name FROM cities WHERE id = $1`, id).Scan(&name); err != nil {
		return 0, "", fmt.Errorf("city name: %w", err)
	}
	return id, name, nil
}

func (r registrar) opsKPIs(ctx context.Context, w WindowParams, city int32) (KPIs, error) {
	now := r.d.now()
	from, to := w.bounds(now)
	k := KPIs{AsOf: now, CityID: opsCityPtr(city)}

	o := &k.Orders
	o.From, o.To = from.Truncate(time.Minute), to.Truncate(time.Minute)
	o.Minutes = int64(o.To.Sub(o.From) / time.Minute)
	q, args := opsCityFilter(`SELECT sum(orders) FROM `+r.d.table("orders_per_city_minute")+` WHERE minute >= ? AND minute < ?`,
		[]any{o.From, o.To}, city)
	if err := r.d.CH.QueryRow(ctx, q+" SETTINGS enable_optimize_predicate_expression = 1", args...).Scan(&o.Placed); err != nil {
		return k, fmt.Errorf("kpis orders: %w", err)
	}
	o.PerMinute = mean(float64(o.Placed), uint64(o.Minutes))

	local := now.In(calendar.Tunis)
	k.SLAToday.From = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, calendar.Tunis).UTC()
	q, args = opsCityFilter(`SELECT countIf(kind = 'breach'), countIf(kind = 'at_risk') FROM `+r.d.table("sla_violations")+
		` FINAL WHERE observed_at >= ? AND observed_at < ?`, []any{k.SLAToday.From, now}, city)
	if err := r.d.CH.QueryRow(ctx, q, args...).Scan(&k.SLAToday.Breaches, &k.SLAToday.AtRisk); err != nil {
		return k, fmt.Errorf("kpis sla today: %w", err)
	}

	k.ETA.From = now.Add(-time.Hour)
	var absErr float64
	q, args = opsCityFilter(`SELECT count(), sum(abs_error_minutes) FROM `+r.d.table("eta_outcomes")+
		` FINAL WHERE delivered_at >= ? AND delivered_at < ?`, []any{k.ETA.From, now}, city)
	if err := r.d.CH.QueryRow(ctx, q, args...).Scan(&k.ETA.Delivered, &absErr); err != nil {
		return k, fmt.Errorf("kpis eta: %w", err)
	}
	k.ETA.MAEMinutes = mean(absErr, k.ETA.Delivered)

	// Every version counts, tombstones included: each is a change the pipeline carried
	// (table_freshness_state keeps the newest without a scan of the mirror).
	var newest int64
	if err := r.d.CH.QueryRow(ctx, `SELECT maxMerge(newest) FROM `+r.d.table("table_freshness_state")+
		` WHERE table = 'orders'`).Scan(&newest); err != nil {
		return k, fmt.Errorf("kpis freshness: %w", err)
	}
	if newest > 0 {
		at := time.UnixMilli(newest).UTC()
		secs := float64(now.Sub(at).Milliseconds()) / 1000
		k.Freshness.NewestSourceCommit, k.Freshness.Seconds = &at, &secs
	}
	return k, nil
}

func (r registrar) opsLiveOrders(ctx context.Context, city int32, since time.Time, limit int) ([]LiveOrder, error) {
	now := r.d.now()
	lo, hi, err := r.d.ids(ctx, idbounds.OrdersPlaced, since, farFuture)
	if err != nil {
		return nil, fmt.Errorf("live orders: %w", err)
	}
	q, args := opsCityFilter(`SELECT id, city_id, restaurant_id, courier_id, status, placed_at, accepted_at, picked_up_at,
		items_count, toFloat64(total), toFloat64(distance_km), promised_minutes
		FROM `+r.d.table("orders")+` FINAL WHERE id >= ? AND id <= ? AND _is_deleted = 0
			AND status IN ('placed', 'accepted', 'picked_up') AND placed_at >= ?`, []any{lo, hi, since}, city)
	q, args = q+" ORDER BY placed_at DESC, id DESC LIMIT ?", append(args, limit)
	orders, err := opsCollect(ctx, r.d.CH, q, args, func(rows driver.Rows) (LiveOrder, error) {
		var o LiveOrder
		err := rows.Scan(&o.OrderID, &o.CityID, &o.RestaurantID, &o.CourierID, &o.Status, &o.PlacedAt, &o.AcceptedAt,
			&o.PickedUpAt, &o.ItemsCount, &o.Total, &o.DistanceKm, &o.PromisedMinutes)
		o.PlacedAt = o.PlacedAt.UTC()
		o.AcceptedAt, o.PickedUpAt = opsUTC(o.AcceptedAt), opsUTC(o.PickedUpAt)
		o.AgeMinutes = now.Sub(o.PlacedAt).Minutes()
		return o, err
	})
	if err != nil || len(orders) == 0 {
		return orders, opsWrap("live orders", err)
	}

	// Their predictions, read by the key of eta_predictions (city_id, order_id).
	ids := clickhouse.GroupSet{Value: make([]any, len(orders))}
	var cities clickhouse.GroupSet
	for i, o := range orders {
		ids.Value[i] = o.OrderID
		if !slices.Contains(cities.Value, any(o.CityID)) {
			cities.Value = append(cities.Value, o.CityID)
		}
	}
	type prediction struct {
		minutes float64
		version string
	}
	preds := map[int64]prediction{}
	rows, err := r.d.CH.Query(ctx, `SELECT order_id, predicted_minutes, model_version FROM `+r.d.table("eta_predictions")+
		` FINAL WHERE city_id IN ? AND order_id IN ?`, cities, ids)
	if err != nil {
		return nil, fmt.Errorf("live orders predictions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p prediction
		if err := rows.Scan(&id, &p.minutes, &p.version); err != nil {
			return nil, fmt.Errorf("live orders predictions: %w", err)
		}
		preds[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live orders predictions: %w", err)
	}
	for i := range orders {
		if p, ok := preds[orders[i].OrderID]; ok {
			orders[i].PredictedMinutes, orders[i].ModelVersion = &p.minutes, &p.version
		}
	}
	return orders, nil
}

// opsUTC is t in UTC, nil for nil.
func opsUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// opsWrap wraps a non-nil error with a prefix.
func opsWrap(prefix string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

func (r registrar) opsDynamicSummary(ctx context.Context, w WindowParams, city int32) (DynamicSummary, error) {
	from, to := w.bounds(r.d.now())
	s := DynamicSummary{From: from, To: to, CityID: opsCityPtr(city)}
	q, args := opsCityFilter(`SELECT count() FROM `+r.d.table("eta_outcomes")+` FINAL WHERE delivered_at >= ? AND delivered_at < ?`,
		[]any{from, to}, city)
	if err := r.d.CH.QueryRow(ctx, q, args...).Scan(&s.Delivered); err != nil {
		return s, fmt.Errorf("dynamic summary: %w", err)
	}
	var overrun, ratio float64
	q, args = opsCityFilter(`SELECT count(), sum(overrun_minutes), sum(overrun_ratio) FROM `+r.d.table("sla_dynamic_violations")+
		` FINAL WHERE delivered_at >= ? AND delivered_at < ?`, []any{from, to}, city)
	if err := r.d.CH.QueryRow(ctx, q, args...).Scan(&s.Violations, &overrun, &ratio); err != nil {
		return s, fmt.Errorf("dynamic summary: %w", err)
	}
	s.ViolationShare = mean(float64(s.Violations), s.Delivered)
	s.MeanOverrunMinutes = mean(overrun, s.Violations)
	s.MeanOverrunRatio = mean(ratio, s.Violations)
	return s, nil
}

func (r registrar) opsModelHealth(ctx context.Context, w WindowParams, city int32) (ModelHealthReport, error) {
	from, to := w.bounds(r.d.now())
	h := ModelHealthReport{From: from, To: to, CityID: opsCityPtr(city)}
	q, args := opsCityFilter(`SELECT toStartOfFifteenMinutes(delivered_at) AS bucket, count(), sum(abs_error_minutes),
		countIf(actual_minutes > 0), sumIf(abs_error_minutes / actual_minutes, actual_minutes > 0)
		FROM `+r.d.table("eta_outcomes")+` FINAL WHERE delivered_at >= ? AND delivered_at < ?`, []any{from, to}, city)
	buckets, err := opsCollect(ctx, r.d.CH, q+" GROUP BY bucket ORDER BY bucket", args, func(rows driver.Rows) (ModelHealthBucket, error) {
		var b ModelHealthBucket
		var absErr, relErr float64
		var positive uint64
		err := rows.Scan(&b.Start, &b.Delivered, &absErr, &positive, &relErr)
		b.Start = b.Start.UTC()
		b.MAEMinutes = absErr / float64(b.Delivered)
		b.MAPE = mean(relErr, positive)
		return b, err
	})
	if err != nil {
		return h, fmt.Errorf("model health: %w", err)
	}
	h.Buckets = buckets
	if n := len(buckets); n > 0 {
		h.LatestBucket, h.LatestMAEMinutes = &buckets[n-1].Start, &buckets[n-1].MAEMinutes
	}
	return h, nil
}

// opsPressure is a city's pressure per minute in [from, to).
func (r registrar) opsPressure(ctx context.Context, city int32, from, to time.Time) ([]PressurePoint, error) {
	q := `SELECT minute, pressure, level, open_orders, available_couriers, demand_per_courier FROM ` + r.d.table("city_pressure") +
		` FINAL WHERE city_id = ? AND minute >= ? AND minute < ? ORDER BY minute`
	points, err := opsCollect(ctx, r.d.CH, q, []any{city, from, to}, func(rows driver.Rows) (PressurePoint, error) {
		var p PressurePoint
		err := rows.Scan(&p.Minute, &p.Pressure, &p.Level, &p.OpenOrders, &p.AvailableCouriers, &p.DemandPerCourier)
		p.Minute = p.Minute.UTC()
		return p, err
	})
	return points, opsWrap("pressure series", err)
}

func (r registrar) opsReplay(ctx context.Context, city int32, name string, from, to time.Time, limit int) (Replay, error) {
	rp := Replay{CityID: city, CityName: name, From: from, To: to}
	var err error
	if rp.Pressure, err = r.opsPressure(ctx, city, from, to); err != nil {
		return rp, err
	}
	q := `SELECT minute, breaches, at_risk, violations FROM ` + r.d.table("sla_breaches_per_city_minute") +
		` WHERE city_id = ? AND minute >= ? AND minute < ? ORDER BY minute SETTINGS enable_optimize_predicate_expression = 1`
	rp.Breaches, err = opsCollect(ctx, r.d.CH, q, []any{city, from, to}, func(rows driver.Rows) (ReplayBreaches, error) {
		var b ReplayBreaches
		err := rows.Scan(&b.Minute, &b.Breaches, &b.AtRisk, &b.Violations)
		b.Minute = b.Minute.UTC()
		return b, err
	})
	if err != nil {
		return rp, fmt.Errorf("replay breaches: %w", err)
	}
	// One more than limit tells whether any were left out.
	rp.Actions, err = r.opsActions(ctx, from, to, city, name, "ORDER BY at, id", limit+1)
	if err != nil {
		return rp, fmt.Errorf("replay %w", err)
	}
	if len(rp.Actions) > limit {
		rp.Actions, rp.ActionsTruncated = rp.Actions[:limit], true
	}
	return rp, nil
}

// opsActions are the operator actions in [from, to) about a city (target city:<id>, or params
// naming the city; every action for city 0), in the given order, at most limit (in SQL).
func (r registrar) opsActions(ctx context.Context, from, to time.Time, city int32, name, order string, limit int) ([]OperatorAction, error) {
	id := strconv.Itoa(int(city))
	q := `SELECT id, at, actor, action, target, params, result FROM operator_actions
		WHERE at >= $1 AND at < $2
			AND ($3 = 'city:0' OR target = $3 OR params->>'city_id' = $4 OR params->>'city' = $4 OR lower(params->>'city') = lower($5))
		` + order
	q += " LIMIT $6"
	args := []any{from, to, "city:" + id, id, name, limit}
	rows, err := r.d.PG.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	actions, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OperatorAction, error) {
		var a OperatorAction
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Target, &a.Params, &a.Result)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	if actions == nil {
		actions = []OperatorAction{}
	}
	return actions, nil
}
