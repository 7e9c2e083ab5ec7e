package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// The scopes of the write endpoints: a token restricted to some of them gets 403 on the
// others.
const (
	ScopeScenarios       = "scenarios"
	ScopeAlerts          = "alerts"
	ScopeRecommendations = "recommendations"
	ScopeRestaurants     = "restaurants"
	ScopeCouriers        = "couriers"
	ScopeModels          = "models"
)

var validScope = map[string]bool{ScopeScenarios: true, ScopeAlerts: true, ScopeRecommendations: true,
	ScopeRestaurants: true, ScopeCouriers: true, ScopeModels: true}

// Scopes lists the scopes, sorted.
func Scopes() []string {
	var s []string
	for k := range validScope {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// bearer is the security scheme of the write endpoints in the OpenAPI document.
const bearer = "bearer"

// write marks an operation as a write needing a token with scope.
func write(op huma.Operation, scope string) huma.Operation {
	op.Security = []map[string][]string{{bearer: {scope}}}
	op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	return op
}

type actorKey struct{}

// actor is the operator a write is made by (set by the authentication middleware).
func actor(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}

// authenticate refuses a write without a valid bearer token (401) or with a token that
// lacks the operation's scope (403), and passes the token's actor on. Secrets are compared
// in constant time, every configured one each time, so that the answer's timing tells
// nothing about them.
func authenticate(api huma.API, tokens map[string]Token) func(ctx huma.Context, next func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		if len(op.Security) == 0 {
			next(ctx)
			return
		}
		var scope string
		for _, s := range op.Security[0][bearer] {
			scope = s
		}
		given, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
		var found *Token
		for secret, t := range tokens {
			if subtle.ConstantTimeCompare([]byte(given), []byte(secret)) == 1 && ok {
				found = &t
			}
		}
		switch {
		case found == nil:
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="flavortrend"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "a valid bearer token is required for this operation")
		case !found.Allows(scope):
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "the token of "+found.Actor+" does not carry the scope "+scope)
		default:
			next(huma.WithValue(ctx, actorKey{}, found.Actor))
		}
	}
}
