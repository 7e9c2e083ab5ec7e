// Package registry is the ETA model registry in ClickHouse (sql/clickhouse/0003_models.sql):
// the versions `flavortrend train` registers with their metrics, and the promotions that
// decide which one the enrichers use.
package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flavortrend/flavortrend/enrich/eta"
)

// Version is one registered model.
type Version struct {
	Version   string
	TrainedAt time.Time
	TrainFrom time.Time
	TestFrom  time.Time
	TestTo    time.Time
	TrainRows uint64
	TestRows  uint64
	Features  string // JSON array of the feature names
	Report    eta.Report
	Current   string  // the version promoted when this one was trained, or ""
	CurrentAE float64 // that version's MAE on this one's test split; 0 without one
	Promoted  bool
	Decision  string
	Artefact  []byte
}

// Registry reads and writes the registry tables of one ClickHouse database.
type Registry struct {
	ch driver.Conn
	db string
}

// New is the registry in database db.
func New(ch driver.Conn, db string) *Registry { return &Registry{ch: ch, db: db} }

// ErrNone means no version was promoted yet.
var ErrNone = errors.New("no promoted ETA model")

// ErrUnknown means the version is not registered.
var ErrUnknown = errors.New("no such ETA model version")

// Register records a trained version.
func (r *Registry) Register(ctx context.Context, v Version) error {
	b, err := r.ch.PrepareBatch(ctx, "INSERT INTO "+r.db+`.eta_models (version, trained_at, train_from, test_from, test_to,
		train_rows, test_rows, features, mae, p50, p90, global_mae, global_p50, global_p90, city_hour_mae, city_hour_p50,
		city_hour_p90, current_version, current_mae, promoted, decision, artefact)`)
	if err != nil {
		return fmt.Errorf("register model: %w", err)
	}
	defer b.Abort() //nolint:errcheck // no-op after Send
	m, g, c := v.Report.Model, v.Report.GlobalMean, v.Report.CityHourMean
	var promoted uint8
	if v.Promoted {
		promoted = 1
	}
	if err := b.Append(v.Version, v.TrainedAt, v.TrainFrom, v.TestFrom, v.TestTo, v.TrainRows, v.TestRows, v.Features,
		m.MAE, m.P50, m.P90, g.MAE, g.P50, g.P90, c.MAE, c.P50, c.P90, v.Current, v.CurrentAE, promoted, v.Decision,
		string(v.Artefact)); err != nil {
		return fmt.Errorf("register model: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("register model: %w", err)
	}
	return nil
}

// Promote makes version the current model, by at. The promotion is stamped at's
// nanoseconds, or 1 ns after the newest promotion when that is not earlier (two
// promotions at one instant, or a promoter whose clock is behind another's), so that the
// promotion just made is the current one. It returns ErrUnknown (wrapped) when version is
// not registered.
func (r *Registry) Promote(ctx context.Context, version, by, reason string, at time.Time) error {
	var n uint64
	if err := r.ch.QueryRow(ctx, "SELECT count() FROM "+r.db+".eta_models WHERE version = ?", version).Scan(&n); err != nil {
		return fmt.Errorf("promote model: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("promote model %q: %w", version, ErrUnknown)
	}
	var newest int64
	if err := r.ch.QueryRow(ctx, "SELECT max(promoted_ns) FROM "+r.db+".eta_model_promotions").Scan(&newest); err != nil {
		return fmt.Errorf("promote model: %w", err)
	}
	ns := max(at.UnixNano(), newest+1)
	b, err := r.ch.PrepareBatch(ctx, "INSERT INTO "+r.db+".eta_model_promotions (version, promoted_at, promoted_ns, promoted_by, reason)")
	if err != nil {
		return fmt.Errorf("promote model: %w", err)
	}
	defer b.Abort() //nolint:errcheck // no-op after Send
	if err := b.Append(version, at, ns, by, reason); err != nil {
		return fmt.Errorf("promote model: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("promote model: %w", err)
	}
	return nil
}

// Promoted returns the promoted version, or ErrNone.
func (r *Registry) Promoted(ctx context.Context) (string, error) {
	rows, err := r.ch.Query(ctx, "SELECT version FROM "+r.db+".eta_model_promotions ORDER BY promoted_ns DESC LIMIT 1")
	if err != nil {
		return "", fmt.Errorf("current model: %w", err)
	}
	defer rows.Close()
	var version string
	found := rows.Next()
	if found {
		err = rows.Scan(&version)
	}
	if err == nil {
		err = rows.Err()
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("current model: %w", err)
	case !found:
		return "", ErrNone
	}
	return version, nil
}

// Current returns the promoted version and its artefact, or ErrNone.
func (r *Registry) Current(ctx context.Context) (version string, artefact []byte, err error) {
	version, err = r.Promoted(ctx)
	if err != nil {
		return "", nil, err
	}
	var a string
	if err := r.ch.QueryRow(ctx, "SELECT artefact FROM "+r.db+".eta_models WHERE version = ? LIMIT 1", version).Scan(&a); err != nil {
		return "", nil, fmt.Errorf("current model %s: %w", version, err)
	}
	return version, []byte(a), nil
}
