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

// ActiveAlert is an open smart-alert episode (SPEC §4.9) with what the operators did
// about it.
type ActiveAlert struct {
	ID             string     `json:"id" doc:"Episode id, <kind>-<city_id>-<raised_at>: the id to acknowledge."`
	CityID         int32      `json:"city_id"`
	Kind           string     `json:"kind" enum:"driver_shortage,sla_spike,peak_start" doc:"driver_shortage: pressure ≥ 75 within the last 5 minutes; sla_spike: ≥ 3 static breaches in the city within 10 minutes; peak_start: orders per minute ≥ 1.5 × the city's trailing 2-hour average."`
	Severity       string     `json:"severity" enum:"info,warning,critical" doc:"As raised."`
	Title          string     `json:"title" doc:"One line for an operator, e.g. Driver shortage in Sfax."`
	Details        string     `json:"details" doc:"The numbers behind the alert when it was raised."`
	RaisedAt       time.Time  `json:"raised_at" doc:"Event time the episode started (UTC)."`
	AcknowledgedBy *string    `json:"acknowledged_by" doc:"The operator who acknowledged the episode; null when nobody has."`
	AcknowledgedAt *time.Time `json:"acknowledged_at" doc:"When it was acknowledged; null when it was not."`
	AckNote        *string    `json:"ack_note" doc:"The acknowledgement's note; null when none."`
	MutedUntil     *time.Time `json:"muted_until" doc:"Until when the city's alerts are muted (its latest mute, while it lasts); null when they are not."`
}

// ActiveAlertsInput selects the open episodes.
type ActiveAlertsInput struct {
	CityParam
}

// ActiveAlertsOutput lists open episodes, newest first.
type ActiveAlertsOutput struct {
	Body []ActiveAlert
}

// AckInput acknowledges an episode. The id's pattern is the one the enricher writes
// (enrich/alerts): kind, city id, raised_at in UTC with microseconds.
type AckInput struct {
	ID   string `path:"id" maxLength:"80" pattern:"^[a-z_]{1,32}-[0-9]{1,9}-[0-9]{8}T[0-9]{6}(\\.[0-9]{1,9})?Z$" doc:"The episode id, e.g. driver_shortage-15-20261120T121000.000000Z."`
	Body *struct {
		Note string `json:"note,omitempty" maxLength:"500" doc:"What the operator is doing about it (optional)."`
	}
}

// AlertAck is an episode's acknowledgement.
type AlertAck struct {
	AlertID        string    `json:"alert_id"`
	AcknowledgedBy string    `json:"acknowledged_by"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
	Note           *string   `json:"note" doc:"null when none was given."`
}

// AckOutput is the acknowledgement recorded.
type AckOutput struct {
	Body AlertAck
}

// MuteInput mutes a city's alerts.
type MuteInput struct {
	City string `path:"city" minLength:"1" maxLength:"64" doc:"The city, by id (1-24) or name (case-insensitive)."`
	Body struct {
		Minutes int `json:"minutes" minimum:"1" maximum:"1440" doc:"How long the city's alerts are shown muted, from now."`
	}
}

// MuteOutput is a city's mute.
type MuteOutput struct {
	Body struct {
		CityID     int32     `json:"city_id"`
		MutedUntil time.Time `json:"muted_until" doc:"Until when its alerts are shown muted (UTC)."`
	}
}

func (r registrar) alerts() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-active-alerts", Method: http.MethodGet, Path: "/v1/alerts/active",
		Summary: "Active alerts", Tags: []string{"Alerts"},
		Description: "The open smart-alert episodes (SPEC §4.9), newest raised_at first: the ids of the ClickHouse alerts table " +
			"(read with FINAL) that have a raised row and no cleared row, with the acknowledgement of each (alert_acks) and " +
			"the end of its city's mute when one is in force now (the city's latest city_mutes row, while its until is ahead)."}),
		func(ctx context.Context, in *ActiveAlertsInput) (*ActiveAlertsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			list, err := r.d.activeAlerts(ctx, city)
			if err != nil {
				return nil, err
			}
			return &ActiveAlertsOutput{Body: list}, nil
		})

	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "ack-alert", Method: http.MethodPost, Path: "/v1/alerts/{id}/ack",
		Summary: "Acknowledge an alert", Tags: []string{"Alerts"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
		Description: "Records that the calling operator has the episode in hand (alert_acks), with an optional note; the active " +
			"alerts then show who acknowledged it and when. An episode is acknowledged once: a second time is a 409. " +
			"404 when ClickHouse has no alert with this id."}), ScopeAlerts),
		func(ctx context.Context, in *AckInput) (*AckOutput, error) {
			var params struct {
				Note string `json:"note,omitempty"`
			}
			var note *string
			if in.Body != nil && in.Body.Note != "" {
				params.Note, note = in.Body.Note, &in.Body.Note
			}
			out := &AckOutput{}
			err := r.d.record(ctx, "alert.ack", "alert:"+in.ID, params, func(tx pgx.Tx) error {
				var n uint64
				if err := r.d.CH.QueryRow(ctx, fmt.Sprintf(`SELECT count() FROM %s WHERE id = ? AND _is_deleted = 0`, r.d.table("alerts")),
					in.ID).Scan(&n); err != nil {
					return fmt.Errorf("find alert: %w", err)
				}
				if n == 0 {
					return huma.Error404NotFound("no alert " + in.ID)
				}
				a := &out.Body
				err := tx.QueryRow(ctx, `INSERT INTO alert_acks (alert_id, actor, acked_at, note) VALUES ($1, $2, $3, $4)
					ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id, actor, acked_at, note`, in.ID, actor(ctx), r.d.now(), note).
					Scan(&a.AlertID, &a.AcknowledgedBy, &a.AcknowledgedAt, &a.Note)
				if !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
				if err := tx.QueryRow(ctx, `SELECT actor, acked_at FROM alert_acks WHERE alert_id = $1`, in.ID).
					Scan(&a.AcknowledgedBy, &a.AcknowledgedAt); err != nil {
					return fmt.Errorf("read acknowledgement: %w", err)
				}
				return huma.Error409Conflict(fmt.Sprintf("alert %s was already acknowledged by %s at %s",
					in.ID, a.AcknowledgedBy, a.AcknowledgedAt.UTC().Format(time.RFC3339)))
			})
			if err != nil {
				return nil, err
			}
			out.Body.AcknowledgedAt = out.Body.AcknowledgedAt.UTC()
			return out, nil
		})

	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "mute-city", Method: http.MethodPost, Path: "/v1/cities/{city}/mute",
		Summary: "Mute a city's alerts", Tags: []string{"Alerts"},
		Description: "Shows the city's alerts muted until now + minutes (city_mutes): its latest mute is the one in force, so a " +
			"new mute replaces a longer or a shorter one. Alerts are still raised and cleared; only their display changes."}), ScopeAlerts),
		func(ctx context.Context, in *MuteInput) (*MuteOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, cityInPath(err)
			}
			out := &MuteOutput{}
			out.Body.CityID = city
			now := r.d.now()
			err = r.d.record(ctx, "city.mute", fmt.Sprintf("city:%d", city), in.Body, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `INSERT INTO city_mutes (city_id, until, actor, created_at)
					VALUES ($1, $2::timestamptz + make_interval(mins => $3), $4, $2) RETURNING until`, city, now, in.Body.Minutes, actor(ctx)).
					Scan(&out.Body.MutedUntil)
			})
			if err != nil {
				return nil, err
			}
			out.Body.MutedUntil = out.Body.MutedUntil.UTC()
			return out, nil
		})
}

// activeAlertsSQL lists the open episodes of one city (or of all for 0): raised, never
// cleared. The table is ordered by (city_id, id, state), so FINAL leaves one row per id and
// state.
const activeAlertsSQL = `SELECT id, city_id, kind, severity, title, details, raised_at
FROM %[1]s FINAL
WHERE _is_deleted = 0 AND state = 'raised' AND (? = 0 OR city_id = ?)
  AND id NOT IN (SELECT id FROM %[1]s FINAL WHERE _is_deleted = 0 AND state = 'cleared' AND (? = 0 OR city_id = ?))
ORDER BY raised_at DESC, id DESC`

// activeAlerts reads the open episodes from ClickHouse and joins the acknowledgements and
// mutes of PostgreSQL.
func (d *Deps) activeAlerts(ctx context.Context, city int32) ([]ActiveAlert, error) {
	rows, err := d.CH.Query(ctx, fmt.Sprintf(activeAlertsSQL, d.table("alerts")), city, city, city, city)
	if err != nil {
		return nil, fmt.Errorf("active alerts: %w", err)
	}
	defer rows.Close()
	list := []ActiveAlert{}
	var ids []string
	for rows.Next() {
		var a ActiveAlert
		if err := rows.Scan(&a.ID, &a.CityID, &a.Kind, &a.Severity, &a.Title, &a.Details, &a.RaisedAt); err != nil {
			return nil, fmt.Errorf("active alerts: %w", err)
		}
		a.RaisedAt = a.RaisedAt.UTC()
		list = append(list, a)
		ids = append(ids, a.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("active alerts: %w", err)
	}
	if len(list) == 0 {
		return list, nil
	}

	type ack struct {
		by   string
		at   time.Time
		note *string
	}
	acks := map[string]ack{}
	prows, err := d.PG.Query(ctx, `SELECT alert_id, actor, acked_at, note FROM alert_acks WHERE alert_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("alert acknowledgements: %w", err)
	}
	var id string
	var k ack
	if _, err := pgx.ForEachRow(prows, []any{&id, &k.by, &k.at, &k.note}, func() error { acks[id] = k; return nil }); err != nil {
		return nil, fmt.Errorf("alert acknowledgements: %w", err)
	}
	mutes, err := d.cityMutes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		a := &list[i]
		if k, ok := acks[a.ID]; ok {
			at := k.at.UTC()
			a.AcknowledgedBy, a.AcknowledgedAt, a.AckNote = &k.by, &at, k.note
		}
		if until, ok := mutes[a.CityID]; ok {
			a.MutedUntil = &until
		}
	}
	return list, nil
}

// cityMutes are the mutes in force now: the end of each muted city's latest mute.
func (d *Deps) cityMutes(ctx context.Context) (map[int32]time.Time, error) {
	rows, err := d.PG.Query(ctx, `SELECT city_id, until FROM (
			SELECT DISTINCT ON (city_id) city_id, until FROM city_mutes ORDER BY city_id, created_at DESC, id DESC) m
		WHERE until > $1`, d.now())
	if err != nil {
		return nil, fmt.Errorf("city mutes: %w", err)
	}
	mutes := map[int32]time.Time{}
	var city int32
	var until time.Time
	if _, err := pgx.ForEachRow(rows, []any{&city, &until}, func() error { mutes[city] = until.UTC(); return nil }); err != nil {
		return nil, fmt.Errorf("city mutes: %w", err)
	}
	return mutes, nil
}

// cityInPath moves cityID's 422 from the query to the path parameter city.
func cityInPath(err error) error {
	var se *huma.ErrorModel
	if errors.As(err, &se) {
		for _, e := range se.Errors {
			if e.Location == "query.city" {
				e.Location = "path.city"
			}
		}
	}
	return err
}
