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

// PauseInput pauses a restaurant.
type PauseInput struct {
	ID   int32 `path:"id" minimum:"1" doc:"The restaurant's id."`
	Body struct {
		Minutes int `json:"minutes" minimum:"1" maximum:"1440" doc:"How long the restaurant takes no orders, from now."`
	}
}

// RestaurantIDInput names a restaurant.
type RestaurantIDInput struct {
	ID int32 `path:"id" minimum:"1" doc:"The restaurant's id."`
}

// PauseOutput is a restaurant's pause.
type PauseOutput struct {
	Body struct {
		RestaurantID int32      `json:"restaurant_id"`
		PausedUntil  *time.Time `json:"paused_until" doc:"Until when it takes no orders; null when it takes them."`
	}
}

func (r registrar) restaurantWrites() {
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "pause-restaurant", Method: http.MethodPost, Path: "/v1/restaurants/{id}/pause",
		Summary: "Pause a restaurant", Tags: []string{"Restaurants"}, Errors: []int{http.StatusNotFound},
		Description: "Sets restaurants.paused_until: the simulator places no order with it until then (within 10 s), and the restaurant views show it paused."}), ScopeRestaurants),
		func(ctx context.Context, in *PauseInput) (*PauseOutput, error) {
			until := r.d.now().Add(time.Duration(in.Body.Minutes) * time.Minute)
			return r.setPause(ctx, "restaurant.pause", in.ID, in, &until)
		})
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "resume-restaurant", Method: http.MethodPost, Path: "/v1/restaurants/{id}/resume",
		Summary: "Resume a restaurant", Tags: []string{"Restaurants"}, Errors: []int{http.StatusNotFound},
		Description: "Clears restaurants.paused_until: the restaurant takes orders again."}), ScopeRestaurants),
		func(ctx context.Context, in *RestaurantIDInput) (*PauseOutput, error) {
			return r.setPause(ctx, "restaurant.resume", in.ID, in, nil)
		})
}

func (r registrar) setPause(ctx context.Context, action string, id int32, params any, until *time.Time) (*PauseOutput, error) {
	out := &PauseOutput{}
	out.Body.RestaurantID = id
	err := r.d.record(ctx, action, fmt.Sprintf("restaurant:%d", id), params, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE restaurants SET paused_until = $2 WHERE id = $1 RETURNING paused_until`, id, until).
			Scan(&out.Body.PausedUntil)
		if errors.Is(err, pgx.ErrNoRows) {
			return huma.Error404NotFound(fmt.Sprintf("no restaurant %d", id))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Body.PausedUntil != nil {
		t := out.Body.PausedUntil.UTC()
		out.Body.PausedUntil = &t
	}
	return out, nil
}
