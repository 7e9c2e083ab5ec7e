package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
)

// record runs a write's change in a transaction and records it in operator_actions with the
// request's actor and its result: "ok" in the same transaction when it commits, or the
// error, in a transaction of its own, when it fails. A write that fails its validation
// never gets here and records nothing; params must hold no secret.
func (d *Deps) record(ctx context.Context, action, target string, params any, change func(pgx.Tx) error) error {
	p, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	const insert = `INSERT INTO operator_actions (at, actor, action, target, params, result) VALUES ($1, $2, $3, $4, $5, $6)`
	err = pgx.BeginFunc(ctx, d.PG, func(tx pgx.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insert, d.now(), actor(ctx), action, target, p, "ok")
		return err
	})
	if err == nil {
		return nil
	}
	result := err.Error()
	if se, ok := err.(huma.StatusError); ok {
		result = fmt.Sprintf("%d %s", se.GetStatus(), result)
	}
	if _, rerr := d.PG.Exec(context.WithoutCancel(ctx), insert, d.now(), actor(ctx), action, target, p, result); rerr != nil {
		d.Log.ErrorContext(ctx, "record a failed operator action", "action", action, "err", rerr)
	}
	return err
}

// invalid is a 422 naming the field at fault.
func invalid(location, message string, value any) error {
	return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: location, Message: message, Value: value})
}

// asBody moves a query parameter's 422 (cityID's) to the request body.
func asBody(err error) error {
	var se *huma.ErrorModel
	if errors.As(err, &se) {
		for _, e := range se.Errors {
			if e.Location == "query.city" {
				e.Location = "body.city"
			}
		}
	}
	return err
}
