package generate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Columns written by COPY, in table order.
var (
	orderColumns = []string{"id", "customer_id", "restaurant_id", "courier_id", "city_id", "status",
		"placed_at", "accepted_at", "picked_up_at", "delivered_at", "cancelled_at", "cancel_reason",
		"items_count", "subtotal", "delivery_fee", "total", "distance_km", "promised_minutes", "is_promo",
		"drop_lat", "drop_lon", "trace_parent"}
	itemColumns     = []string{"id", "order_id", "menu_item_id", "qty", "unit_price"}
	reviewColumns   = []string{"id", "order_id", "rating", "sentiment", "comment", "created_at"}
	weatherColumns  = []string{"id", "city_id", "observed_at", "condition", "temperature_c", "precipitation_mm", "wind_kmh"}
	positionColumns = []string{"id", "courier_id", "order_id", "recorded_at", "lat", "lon", "speed_kmh"}
)

// orderState is the mutable part of an orders row after a lifecycle step.
type orderState struct {
	id                                               int64
	status                                           string
	courierID                                        int32 // 0 = none
	acceptedAt, pickedUpAt, deliveredAt, cancelledAt time.Time
	cancelReason                                     string
}

// courierState is a couriers.status change.
type courierState struct {
	id     int32
	status string
}

// batch collects the writes of one simulated tick; flush writes them in one transaction.
type batch struct {
	orders, items, reviews, weather, positions [][]any
	orderSteps                                 []orderState
	courierSteps                               []courierState
}

func (b *batch) empty() bool {
	return len(b.orders)+len(b.items)+len(b.reviews)+len(b.weather)+len(b.positions)+
		len(b.orderSteps)+len(b.courierSteps) == 0
}

func (b *batch) reset() {
	b.orders, b.items, b.reviews = b.orders[:0], b.items[:0], b.reviews[:0]
	b.weather, b.positions = b.weather[:0], b.positions[:0]
	b.orderSteps, b.courierSteps = b.orderSteps[:0], b.courierSteps[:0]
}

// beginner starts transactions (a pool or a connection).
type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// flush writes the batch in one transaction: new orders and their lines first, then the
// lifecycle UPDATEs in rounds (so that a row updated twice in a tick gets both UPDATEs,
// in order, as CDC must see them), courier status changes, then reviews, weather
// observations and positions.
func (b *batch) flush(ctx context.Context, db beginner) error {
	if b.empty() {
		return nil
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	first := []copySpec{{"orders", orderColumns, b.orders}, {"order_items", itemColumns, b.items}}
	if err := copyAll(ctx, tx, first); err != nil {
		return err
	}
	if err := updateOrders(ctx, tx, b.orderSteps); err != nil {
		return err
	}
	if err := updateCouriers(ctx, tx, b.courierSteps); err != nil {
		return err
	}
	last := []copySpec{
		{"order_reviews", reviewColumns, b.reviews},
		{"weather_observations", weatherColumns, b.weather},
		{"courier_positions", positionColumns, b.positions},
	}
	if err := copyAll(ctx, tx, last); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	b.reset()
	return nil
}

// copySpec is one COPY of rows into a table.
type copySpec struct {
	table string
	cols  []string
	rows  [][]any
}

func copyAll(ctx context.Context, tx pgx.Tx, specs []copySpec) error {
	for _, c := range specs {
		if len(c.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", c.table, err)
		}
	}
	return nil
}

// updateOrdersSQL applies one round of lifecycle steps: every mutable column is set
// from the step, so a step carries the whole state of the row after it.
const updateOrdersSQL = `UPDATE orders AS o SET status = u.status, courier_id = u.courier_id,
	accepted_at = u.accepted_at, picked_up_at = u.picked_up_at, delivered_at = u.delivered_at,
	cancelled_at = u.cancelled_at, cancel_reason = u.cancel_reason
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[],
	$6::timestamptz[], $7::timestamptz[], $8::text[])
	AS u(id, status, courier_id, accepted_at, picked_up_at, delivered_at, cancelled_at, cancel_reason)
WHERE o.id = u.id`

// updateOrders writes steps in rounds: round k holds the k-th step of each order in the
// batch, since one UPDATE … FROM cannot change a row twice.
func updateOrders(ctx context.Context, tx pgx.Tx, steps []orderState) error {
	for len(steps) > 0 {
		seen := make(map[int64]bool, len(steps))
		var round, later []orderState
		for _, st := range steps {
			if seen[st.id] {
				later = append(later, st)
				continue
			}
			seen[st.id] = true
			round = append(round, st)
		}
		n := len(round)
		ids := make([]int64, n)
		statuses := make([]string, n)
		couriers := make([]pgtype.Int4, n)
		acc, pick, del, canc := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n),
			make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		reasons := make([]pgtype.Text, n)
		for i, st := range round {
			ids[i], statuses[i] = st.id, st.status
			couriers[i] = pgtype.Int4{Int32: st.courierID, Valid: st.courierID != 0}
			acc[i], pick[i], del[i], canc[i] = ts(st.acceptedAt), ts(st.pickedUpAt), ts(st.deliveredAt), ts(st.cancelledAt)
			reasons[i] = pgtype.Text{String: st.cancelReason, Valid: st.cancelReason != ""}
		}
		if _, err := tx.Exec(ctx, updateOrdersSQL, ids, statuses, couriers, acc, pick, del, canc, reasons); err != nil {
			return fmt.Errorf("update orders: %w", err)
		}
		steps = later
	}
	return nil
}

const updateCouriersSQL = `UPDATE couriers AS c SET status = u.status
FROM unnest($1::int[], $2::text[]) AS u(id, status) WHERE c.id = u.id`

// updateCouriers writes status changes in rounds, like updateOrders.
func updateCouriers(ctx context.Context, tx pgx.Tx, steps []courierState) error {
	for len(steps) > 0 {
		seen := make(map[int32]bool, len(steps))
		var ids []int32
		var statuses []string
		var later []courierState
		for _, st := range steps {
			if seen[st.id] {
				later = append(later, st)
				continue
			}
			seen[st.id] = true
			ids = append(ids, st.id)
			statuses = append(statuses, st.status)
		}
		if _, err := tx.Exec(ctx, updateCouriersSQL, ids, statuses); err != nil {
			return fmt.Errorf("update couriers: %w", err)
		}
		steps = later
	}
	return nil
}

// ts is a nullable timestamptz: the zero time is NULL.
func ts(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}
