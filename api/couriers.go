package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
)

// NudgeInput asks a courier to come online.
type NudgeInput struct {
	ID   int32 `path:"id" minimum:"1" doc:"The courier's id."`
	Body *struct {
		Minutes int `json:"minutes,omitempty" default:"30" minimum:"1" maximum:"240" doc:"How long the courier stays online, from now (default 30)."`
	}
}

// Nudge is the simulation flag a nudge wrote.
type Nudge struct {
	FlagID    int64     `json:"flag_id" doc:"The simulation_flags row (kind nudge); DELETE /v1/scenarios/{id} ends it early."`
	CourierID int32     `json:"courier_id"`
	CityID    int32     `json:"city_id" doc:"The courier's city."`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at" doc:"When the courier goes back to their shift: offline again if off shift, unless a surge keeps them."`
	CreatedBy string    `json:"created_by"`
}

// NudgeOutput is the nudge written.
type NudgeOutput struct {
	Body Nudge
}

// defaultNudgeMinutes is how long a nudge lasts when the body names no minutes.
const defaultNudgeMinutes = 30

func (r registrar) couriers() {
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "nudge-courier", Method: http.MethodPost, Path: "/v1/couriers/{id}/nudge",
		Summary: "Nudge a courier online", Tags: []string{"Couriers"}, Errors: []int{http.StatusNotFound}, DefaultStatus: http.StatusCreated,
		Description: "Asks a courier to come online: writes a simulation flag of kind nudge for the courier's city with params " +
			`{"courier_id": id}, from now for the given minutes. Within 10 s the simulator brings the courier online (idle until ` +
			"an order comes), whether off shift or taken out by a courier outage, and keeps them online while the flag lasts; " +
			"when it ends the courier is online or offline as the shift, surge and outage flags say. A courier already working " +
			"stays online at least until then."}), ScopeCouriers),
		func(ctx context.Context, in *NudgeInput) (*NudgeOutput, error) {
			minutes := defaultNudgeMinutes
			if in.Body != nil {
				minutes = in.Body.Minutes
			}
			out := &NudgeOutput{}
			n := &out.Body
			err := r.d.record(ctx, "courier.nudge", fmt.Sprintf("courier:%d", in.ID), map[string]int{"minutes": minutes}, func(tx pgx.Tx) error {
				err := tx.QueryRow(ctx, `SELECT city_id FROM couriers WHERE id = $1`, in.ID).Scan(&n.CityID)
				if errors.Is(err, pgx.ErrNoRows) {
					return huma.Error404NotFound(fmt.Sprintf("no courier %d", in.ID))
				}
				if err != nil {
					return err
				}
				return tx.QueryRow(ctx, `INSERT INTO simulation_flags (kind, city_id, params, starts_at, ends_at, created_by)
					VALUES ('nudge', $1, jsonb_build_object('courier_id', $2::integer), $3::timestamptz, $3::timestamptz + make_interval(mins => $4), $5)
					RETURNING id, starts_at, ends_at, created_by`, n.CityID, in.ID, r.d.now(), minutes, actor(ctx)).
					Scan(&n.FlagID, &n.StartsAt, &n.EndsAt, &n.CreatedBy)
			})
			if err != nil {
				return nil, err
			}
			n.CourierID = in.ID
			n.StartsAt, n.EndsAt = n.StartsAt.UTC(), n.EndsAt.UTC()
			return out, nil
		})
}
