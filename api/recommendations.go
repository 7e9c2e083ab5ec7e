package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
)

// The statuses of a recommendation, and the decisions an operator makes.
const (
	recommendationPending   = "pending"
	recommendationApproved  = "approved"
	recommendationDismissed = "dismissed"
	recommendationExpired   = "expired"
)

// Recommendation is a surge recommendation of the enricher (SPEC §4.10) with what became
// of it.
type Recommendation struct {
	ID              string                  `json:"id" doc:"surge-<city id>-<created_at, UTC, to the microsecond>."`
	CityID          int32                   `json:"city_id"`
	Kind            string                  `json:"kind" enum:"surge"`
	Factor          float64                 `json:"factor" doc:"Surge factor: 1.5 at pressure from 75, 2.0 from 85; an approval's surge flag brings up to (factor − 1) × the working couriers online from the reserve."`
	DurationMinutes int32                   `json:"duration_minutes" doc:"How long the surge runs, from its approval."`
	Rationale       string                  `json:"rationale" enum:"low_supply,high_demand,overloaded_couriers" doc:"Why the city needs couriers: more than half of its roster offline, more overloaded couriers than available ones, or else demand."`
	Details         string                  `json:"details" doc:"The counts behind the rationale."`
	Pressure        float64                 `json:"pressure" doc:"The city pressure (SPEC §4.7) that prompted it."`
	CreatedAt       time.Time               `json:"created_at" doc:"Event time: the end of the pressure minute."`
	ExpiresAt       time.Time               `json:"expires_at" doc:"created_at + duration_minutes: it can be approved or dismissed before then."`
	Status          string                  `json:"status" enum:"pending,approved,dismissed,expired" doc:"approved or dismissed once decided; undecided, pending while expires_at is after now, expired after."`
	Decision        *RecommendationDecision `json:"decision,omitempty" doc:"The operator's decision; absent while undecided."`
}

// RecommendationDecision is what an operator decided about a recommendation.
type RecommendationDecision struct {
	Decision  string    `json:"decision" enum:"approved,dismissed"`
	Actor     string    `json:"actor" doc:"The operator who decided."`
	DecidedAt time.Time `json:"decided_at"`
	FlagID    *int64    `json:"flag_id" doc:"The surge flag the approval created (see GET /v1/scenarios); null for a dismissal."`
}

// RecommendationsInput lists recommendations.
type RecommendationsInput struct {
	WindowParams
	CityParam
	Status string `query:"status" enum:"pending,approved,dismissed,expired" doc:"Only the recommendations in this status; all when absent."`
	LimitParam
}

// RecommendationsOutput lists recommendations, newest first.
type RecommendationsOutput struct {
	Body []Recommendation
}

// RecommendationIDInput names a recommendation.
type RecommendationIDInput struct {
	ID string `path:"id" json:"id" maxLength:"64" pattern:"^surge-[0-9]{1,10}-[0-9]{8}T[0-9]{6}\\.[0-9]{6}Z$" doc:"The recommendation's id, e.g. surge-15-20261120T122000.000000Z."`
}

// RecommendationOutput is one recommendation.
type RecommendationOutput struct {
	Body Recommendation
}

func (r registrar) recommendations() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-recommendations", Method: http.MethodGet, Path: "/v1/recommendations",
		Summary: "List surge recommendations", Tags: []string{"Recommendations"},
		Description: "The surge recommendations created in the window (recommendations FINAL, by created_at), newest first, " +
			"each with its status and the operator's decision (recommendation_decisions); at most limit."}),
		func(ctx context.Context, in *RecommendationsInput) (*RecommendationsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			from, to := in.bounds(r.d.now())
			recs, err := r.listRecommendations(ctx, from, to, city, in.Status, in.Limit)
			if err != nil {
				return nil, err
			}
			return &RecommendationsOutput{Body: recs}, nil
		})

	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "approve-recommendation", Method: http.MethodPost, Path: "/v1/recommendations/{id}/approve",
		Summary: "Approve a surge recommendation", Tags: []string{"Recommendations"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
		Description: "For a pending recommendation: creates the surge flag the simulator obeys within 10 s (kind surge, the city, " +
			"params {\"factor\": the recommendation's factor}, from now for its duration_minutes, created_by " +
			"\"recommendation:<id> by <actor>\") and records the decision with the flag's id, in one transaction. " +
			"404 for an unknown recommendation, 409 when it is already decided or has expired."}), ScopeRecommendations),
		func(ctx context.Context, in *RecommendationIDInput) (*RecommendationOutput, error) {
			return r.decideRecommendation(ctx, in.ID, recommendationApproved, in)
		})

	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "dismiss-recommendation", Method: http.MethodPost, Path: "/v1/recommendations/{id}/dismiss",
		Summary: "Dismiss a surge recommendation", Tags: []string{"Recommendations"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
		Description: "For a pending recommendation: records the decision to dismiss it; nothing else changes. " +
			"404 for an unknown recommendation, 409 when it is already decided or has expired."}), ScopeRecommendations),
		func(ctx context.Context, in *RecommendationIDInput) (*RecommendationOutput, error) {
			return r.decideRecommendation(ctx, in.ID, recommendationDismissed, in)
		})
}

// listRecommendations are the newest recommendations created in [from, to) of the city (0:
// every city) in status (empty: any), at most limit. The status depends on the decisions in
// PostgreSQL, so they are read from ClickHouse a page of limit rows at a time (newest first,
// resumed after the last row seen) until limit match: memory holds two pages at most,
// however many the window has.
func (r registrar) listRecommendations(ctx context.Context, from, to time.Time, city int32, status string, limit int) ([]Recommendation, error) {
	out := []Recommendation{}
	var after *Recommendation
	for {
		q := recommendationSQL(r.d) + ` AND created_at >= ? AND created_at < ? AND (? = 0 OR city_id = ?)`
		args := []any{from, to, city, city}
		if after != nil {
			q += ` AND (created_at < ? OR (created_at = ? AND id > ?))`
			args = append(args, after.CreatedAt, after.CreatedAt, after.ID)
		}
		q += ` ORDER BY created_at DESC, id LIMIT ?`
		page, err := r.recommendationPage(ctx, q, append(args, limit))
		if err != nil {
			return nil, err
		}
		if err := r.withDecisions(ctx, page); err != nil {
			return nil, err
		}
		for _, rec := range page {
			if (status == "" || rec.Status == status) && len(out) < limit {
				out = append(out, rec)
			}
		}
		if len(out) == limit || len(page) < limit {
			return out, nil
		}
		after = &page[len(page)-1]
	}
}

// recommendationPage runs one page's query.
func (r registrar) recommendationPage(ctx context.Context, q string, args []any) ([]Recommendation, error) {
	rows, err := r.d.CH.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list recommendations: %w", err)
	}
	defer rows.Close()
	var recs []Recommendation
	for rows.Next() {
		rec, err := scanRecommendation(rows)
		if err != nil {
			return nil, fmt.Errorf("list recommendations: %w", err)
		}
		recs = append(recs, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list recommendations: %w", err)
	}
	return recs, nil
}

// recommendationSQL selects the recommendations, to be followed by more conditions.
func recommendationSQL(d *Deps) string {
	return `SELECT id, city_id, kind, factor, duration_minutes, rationale, details, pressure, created_at, expires_at
		FROM ` + d.table("recommendations") + ` FINAL WHERE _is_deleted = 0`
}

func scanRecommendation(row interface{ Scan(...any) error }) (Recommendation, error) {
	var rec Recommendation
	err := row.Scan(&rec.ID, &rec.CityID, &rec.Kind, &rec.Factor, &rec.DurationMinutes, &rec.Rationale, &rec.Details,
		&rec.Pressure, &rec.CreatedAt, &rec.ExpiresAt)
	rec.CreatedAt, rec.ExpiresAt = rec.CreatedAt.UTC(), rec.ExpiresAt.UTC()
	return rec, err
}

// withDecisions adds the decisions to recs and sets their status.
func (r registrar) withDecisions(ctx context.Context, recs []Recommendation) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	rows, err := r.d.PG.Query(ctx, `SELECT recommendation_id, decision, actor, decided_at, flag_id
		FROM recommendation_decisions WHERE recommendation_id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("read recommendation decisions: %w", err)
	}
	decisions := map[string]*RecommendationDecision{}
	var id string
	var d RecommendationDecision
	if _, err := pgx.ForEachRow(rows, []any{&id, &d.Decision, &d.Actor, &d.DecidedAt, &d.FlagID}, func() error {
		dd := d
		dd.DecidedAt = dd.DecidedAt.UTC()
		decisions[id] = &dd
		return nil
	}); err != nil {
		return fmt.Errorf("read recommendation decisions: %w", err)
	}
	now := r.d.now()
	for i := range recs {
		recs[i].Decision = decisions[recs[i].ID]
		recs[i].Status = recommendationStatus(recs[i], now)
	}
	return nil
}

func recommendationStatus(rec Recommendation, now time.Time) string {
	switch {
	case rec.Decision != nil:
		return rec.Decision.Decision
	case rec.ExpiresAt.After(now):
		return recommendationPending
	default:
		return recommendationExpired
	}
}

// decideRecommendation records decision (approved or dismissed) for a pending
// recommendation, with the surge flag of an approval, and the operator action.
func (r registrar) decideRecommendation(ctx context.Context, id, decision string, params any) (*RecommendationOutput, error) {
	action := map[string]string{recommendationApproved: "recommendation.approve", recommendationDismissed: "recommendation.dismiss"}[decision]
	var rec Recommendation
	err := r.d.record(ctx, action, "recommendation:"+id, params, func(tx pgx.Tx) error {
		row := r.d.CH.QueryRow(ctx, recommendationSQL(r.d)+` AND id = ? LIMIT 1`, id)
		var err error
		rec, err = scanRecommendation(row)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return huma.Error404NotFound(fmt.Sprintf("no recommendation %s", id))
		case err != nil:
			return fmt.Errorf("read recommendation: %w", err)
		}
		var prior RecommendationDecision
		err = tx.QueryRow(ctx, `SELECT decision, actor, decided_at FROM recommendation_decisions WHERE recommendation_id = $1`, id).
			Scan(&prior.Decision, &prior.Actor, &prior.DecidedAt)
		switch {
		case err == nil:
			return huma.Error409Conflict(fmt.Sprintf("recommendation %s was already %s by %s at %s", id, prior.Decision, prior.Actor,
				prior.DecidedAt.UTC().Format(time.RFC3339)))
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("read recommendation decision: %w", err)
		}
		now := r.d.now()
		if !rec.ExpiresAt.After(now) {
			return huma.Error409Conflict(fmt.Sprintf("recommendation %s expired at %s", id, rec.ExpiresAt.Format(time.RFC3339)))
		}
		d := RecommendationDecision{Decision: decision, Actor: actor(ctx), DecidedAt: now}
		if decision == recommendationApproved {
			p, err := json.Marshal(map[string]float64{"factor": rec.Factor})
			if err != nil {
				return fmt.Errorf("surge flag params: %w", err)
			}
			var flag int64
			if err := tx.QueryRow(ctx, `INSERT INTO simulation_flags (kind, city_id, params, starts_at, ends_at, created_by)
				VALUES ('surge', $1, $2, $3::timestamptz, $3::timestamptz + make_interval(mins => $4), $5) RETURNING id`,
				rec.CityID, p, now, rec.DurationMinutes, fmt.Sprintf("recommendation:%s by %s", id, d.Actor)).Scan(&flag); err != nil {
				return fmt.Errorf("create surge flag: %w", err)
			}
			d.FlagID = &flag
		}
		// A concurrent decision of the same recommendation waits here for the first to
		// commit, then inserts nothing: it is refused, and its flag rolled back.
		tag, err := tx.Exec(ctx, `INSERT INTO recommendation_decisions (recommendation_id, decision, actor, decided_at, flag_id)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (recommendation_id) DO NOTHING`, id, d.Decision, d.Actor, d.DecidedAt, d.FlagID)
		switch {
		case err != nil:
			return fmt.Errorf("record recommendation decision: %w", err)
		case tag.RowsAffected() == 0:
			return huma.Error409Conflict(fmt.Sprintf("recommendation %s was decided by another request meanwhile", id))
		}
		rec.Decision, rec.Status = &d, decision
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RecommendationOutput{Body: rec}, nil
}
