package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/flavortrend/flavortrend/enrich/registry"
)

// PromoteInput names the model version to promote.
type PromoteInput struct {
	Version string `path:"version" json:"version" maxLength:"100" pattern:"^[A-Za-z0-9][A-Za-z0-9._-]*$" doc:"A registered version (eta_models.version), e.g. eta-20261120T030000Z-1a2b3c4d."`
}

// ModelPromotion is a promotion of an ETA model version.
type ModelPromotion struct {
	Version    string    `json:"version" doc:"The version now promoted: the enrichers load it at their next poll of the registry, without a restart."`
	Previous   string    `json:"previous" doc:"The version promoted before; empty when none was."`
	PromotedAt time.Time `json:"promoted_at"`
	PromotedBy string    `json:"promoted_by" doc:"The operator."`
}

// PromoteOutput is the promotion made.
type PromoteOutput struct {
	Body ModelPromotion
}

func (r registrar) models() {
	huma.Register(r.api, write(r.op(huma.Operation{OperationID: "promote-model", Method: http.MethodPost, Path: "/v1/models/{version}/promote",
		Summary: "Promote an ETA model version", Tags: []string{"Models"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
		Description: "Makes a registered ETA model version the current one: a row of eta_model_promotions, which the enrichers " +
			"poll (the newest promotion is the model in use), whatever its metrics — an operator's rollback or override of " +
			"train's choice. 404 for a version that is not registered, 409 when it is already the promoted one."}), ScopeModels),
		func(ctx context.Context, in *PromoteInput) (*PromoteOutput, error) {
			reg := registry.New(r.d.CH, r.d.CHDatabase)
			out := &PromoteOutput{}
			err := r.d.record(ctx, "model.promote", "model:"+in.Version, in, func(pgx.Tx) error {
				prev, err := reg.Promoted(ctx)
				switch {
				case errors.Is(err, registry.ErrNone):
				case err != nil:
					return err
				case prev == in.Version:
					return huma.Error409Conflict(fmt.Sprintf("model %s is already the promoted one", in.Version))
				}
				now := r.d.now()
				err = reg.Promote(ctx, in.Version, actor(ctx), "promoted by "+actor(ctx)+" through the API", now)
				switch {
				case errors.Is(err, registry.ErrUnknown):
					return huma.Error404NotFound(fmt.Sprintf("no model version %s is registered", in.Version))
				case err != nil:
					return err
				}
				out.Body = ModelPromotion{Version: in.Version, Previous: prev, PromotedAt: now, PromotedBy: actor(ctx)}
				return nil
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		})
}
