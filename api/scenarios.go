package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
)

// Flag is a scenario flag (simulation_flags) as the API shows it.
type Flag struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind" enum:"rain,promo,courier_outage,surge,nudge"`
	CityID      *int32     `json:"city_id" doc:"The city; null for every city."`
	Factor      *float64   `json:"factor,omitempty" doc:"promo: demand multiplier; surge: supply multiplier."`
	Share       *float64   `json:"share,omitempty" doc:"courier_outage: share of the working couriers taken offline."`
	CourierID   *int32     `json:"courier_id,omitempty" doc:"nudge: the courier asked to come online."`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	CreatedBy   string     `json:"created_by"`
	CancelledAt *time.Time `json:"cancelled_at"`
	Active      bool       `json:"active" doc:"In force now: started, not ended, not cancelled."`
	SecondsLeft int64      `json:"seconds_left" doc:"Until it ends; 0 when not active."`
}

// ScenarioInput starts a scenario.
type ScenarioInput struct {
	Body struct {
		Kind    string   `json:"kind" enum:"rain,promo,courier_outage" doc:"rain forces rainy weather in the city; promo multiplies its demand by factor; courier_outage takes share of its working couriers offline."`
		City    string   `json:"city" minLength:"1" maxLength:"64" doc:"The city, by id or name."`
		Minutes int      `json:"minutes" minimum:"1" maximum:"1440" doc:"How long the scenario runs, from now."`
		Factor  *float64 `json:"factor,omitempty" minimum:"1" maximum:"5" doc:"promo only: the demand multiplier (default 1.5)."`
		Share   *float64 `json:"share,omitempty" exclusiveMinimum:"0" maximum:"1" doc:"courier_outage only: the share of working couriers taken offline (default 0.5)."`
	}
}

// FlagOutput is one flag.
type FlagOutput struct {
	Body Flag
}

// FlagsInput lists flags.
type FlagsInput struct {
	ActiveOnly bool `query:"active" doc:"Only the flags in force now."`
	LimitParam
}

// FlagsOutput lists flags, newest first.
type FlagsOutput struct {
	Body []Flag
}

// FlagIDInput names a flag.
type FlagIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The flag's id."`
}

func (r registrar) scenarios() {
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "start-scenario", Method: http.MethodPost, Path: "/v1/scenarios",
		Summary: "Start a scenario", Tags: []string{"Scenarios"}, DefaultStatus: http.StatusCreated,
		Description: "Writes a simulation flag the simulator obeys within 10 s (SPEC §6), from now for the given minutes."}), ScopeScenarios),
		func(ctx context.Context, in *ScenarioInput) (*FlagOutput, error) {
			b := in.Body
			if b.Factor != nil && b.Kind != "promo" {
				return nil, invalid("body.factor", "only for promo", *b.Factor)
			}
			if b.Share != nil && b.Kind != "courier_outage" {
				return nil, invalid("body.share", "only for courier_outage", *b.Share)
			}
			city, err := r.d.cityID(ctx, b.City)
			if err != nil {
				return nil, asBody(err)
			}
			params := map[string]float64{}
			if b.Factor != nil {
				params["factor"] = *b.Factor
			}
			if b.Share != nil {
				params["share"] = *b.Share
			}
			p, _ := json.Marshal(params)
			var id int64
			err = r.d.record(ctx, "scenario.start", fmt.Sprintf("city:%d", city), in.Body, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `INSERT INTO simulation_flags (kind, city_id, params, starts_at, ends_at, created_by)
					VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz + make_interval(mins => $5::int), $6) RETURNING id`,
					b.Kind, city, p, r.d.now(), b.Minutes, actor(ctx)).Scan(&id)
			})
			if err != nil {
				return nil, err
			}
			f, err := r.d.flag(ctx, id)
			return &FlagOutput{Body: f}, err
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-scenarios", Method: http.MethodGet, Path: "/v1/scenarios",
		Summary: "List scenarios", Tags: []string{"Scenarios"}, Description: "Scenario flags, newest first, with the time they have left."}),
		func(ctx context.Context, in *FlagsInput) (*FlagsOutput, error) {
			rows, err := r.d.PG.Query(ctx, flagSQL+` WHERE NOT $1 OR (cancelled_at IS NULL AND starts_at <= $2 AND ends_at > $2)
				ORDER BY id DESC LIMIT $3`, in.ActiveOnly, r.d.now(), in.Limit)
			if err != nil {
				return nil, fmt.Errorf("list flags: %w", err)
			}
			flags, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Flag, error) { return r.d.scanFlag(row) })
			if err != nil {
				return nil, fmt.Errorf("list flags: %w", err)
			}
			return &FlagsOutput{Body: flags}, nil
		})

	cancel := func(ctx context.Context, in *FlagIDInput) (*FlagOutput, error) {
		err := r.d.record(ctx, "scenario.cancel", fmt.Sprintf("flag:%d", in.ID), in, func(tx pgx.Tx) error {
			var ended bool
			err := tx.QueryRow(ctx, `SELECT cancelled_at IS NOT NULL OR ends_at <= $2 FROM simulation_flags WHERE id = $1 FOR UPDATE`,
				in.ID, r.d.now()).Scan(&ended)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return huma.Error404NotFound(fmt.Sprintf("no flag %d", in.ID))
			case err != nil:
				return err
			case ended:
				return huma.Error409Conflict(fmt.Sprintf("flag %d has already ended", in.ID))
			}
			_, err = tx.Exec(ctx, `UPDATE simulation_flags SET cancelled_at = $2 WHERE id = $1`, in.ID, r.d.now())
			return err
		})
		if err != nil {
			return nil, err
		}
		f, err := r.d.flag(ctx, in.ID)
		return &FlagOutput{Body: f}, err
	}
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "cancel-scenario", Method: http.MethodDelete, Path: "/v1/scenarios/{id}",
		Summary: "Cancel a scenario", Tags: []string{"Scenarios"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
		Description: "Ends a flag now; the simulator stops obeying it within 10 s."}), ScopeScenarios), cancel)
	// The same as a POST, for clients that can only POST (Grafana panel actions).
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "cancel-scenario-post", Method: http.MethodPost, Path: "/v1/scenarios/{id}/cancel",
		Summary: "Cancel a scenario (POST)", Tags: []string{"Scenarios"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
		Description: "As DELETE /v1/scenarios/{id}: ends a flag now; the simulator stops obeying it within 10 s."}), ScopeScenarios), cancel)
}

const flagSQL = `SELECT id, kind, city_id, (params->>'factor')::float8, (params->>'share')::float8,
	(params->>'courier_id')::int4, starts_at, ends_at, created_by, cancelled_at FROM simulation_flags`

func (d *Deps) flag(ctx context.Context, id int64) (Flag, error) {
	rows, err := d.PG.Query(ctx, flagSQL+` WHERE id = $1`, id)
	if err != nil {
		return Flag{}, fmt.Errorf("read flag: %w", err)
	}
	return pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Flag, error) { return d.scanFlag(row) })
}

func (d *Deps) scanFlag(row pgx.Row) (Flag, error) {
	var f Flag
	err := row.Scan(&f.ID, &f.Kind, &f.CityID, &f.Factor, &f.Share, &f.CourierID, &f.StartsAt, &f.EndsAt, &f.CreatedBy, &f.CancelledAt)
	now := d.now()
	f.StartsAt, f.EndsAt = f.StartsAt.UTC(), f.EndsAt.UTC()
	f.Active = f.CancelledAt == nil && !f.StartsAt.After(now) && f.EndsAt.After(now)
	if f.Active {
		f.SecondsLeft = int64(f.EndsAt.Sub(now).Seconds())
	}
	return f, err
}
