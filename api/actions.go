package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
)

// failedInsertTimeout bounds the insert that records a failed write: it runs after the
// request's context may have ended, so it has a deadline of its own.
const failedInsertTimeout = 5 * time.Second

// record runs a write's change in a transaction and records it in operator_actions with the
// request's actor and its result: "ok" in the same transaction when it commits, or, in a
// transaction of its own, the status of the failure. A refusal of ours (4xx) keeps its
// message; anything else is recorded as "500 internal error" and logged, since a driver's
// error can name hosts, tables and SQLSTATEs and operator_actions is readable by anyone
// (GET /v1/actions, /v1/replay). A write that fails its validation never gets here and
// records nothing; params must hold no secret.
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
	result := failedResult(err)
	if !strings.HasPrefix(result, "4") {
		d.Log.ErrorContext(ctx, "operator action failed", "action", action, "target", target, "err", err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failedInsertTimeout)
	defer cancel()
	if _, rerr := d.PG.Exec(rctx, insert, d.now(), actor(ctx), action, target, p, result); rerr != nil {
		d.Log.ErrorContext(ctx, "record a failed operator action", "action", action, "err", rerr)
	}
	return err
}

// failedResult is what operator_actions shows of a failed write: "<status> <message>" for
// the API's own refusals (404, 409), "500 internal error" for everything else.
func failedResult(err error) string {
	var se huma.StatusError
	if errors.As(err, &se) && se.GetStatus() < http.StatusInternalServerError {
		return fmt.Sprintf("%d %s", se.GetStatus(), se.Error())
	}
	return "500 internal error"
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
