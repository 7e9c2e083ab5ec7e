package api

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/flavortrend/flavortrend/internal/config"
)

// Config is the API server's own settings; Bind documents each.
type Config struct {
	Addr        string
	Tokens      []string // actor[:scope+scope]=secret
	CORSOrigins []string
	Timeout     time.Duration
	MaxBody     int64

	tokens map[string]Token // by secret
}

// Bind registers the API's flags.
func (c *Config) Bind(f *config.Flags) {
	f.String(&c.Addr, "addr", "FT_API_ADDR", "127.0.0.1:8080", "listen address of the REST API (docs at /docs, OpenAPI at /openapi.json)")
	f.SecretList(&c.Tokens, "api-tokens", "FT_API_TOKENS",
		"bearer tokens of the write endpoints, comma-separated actor=secret or actor:scope+scope=secret (scopes: "+strings.Join(Scopes(), ", ")+"; none: every scope); without any, every write is refused. Prefer the environment variable: flags show in the process list")
	f.List(&c.CORSOrigins, "cors-origins", "FT_API_CORS_ORIGINS", "", "origins allowed to call the API from a browser, comma-separated, e.g. http://localhost:3000 (default: none)")
	f.Duration(&c.Timeout, "request-timeout", "FT_API_REQUEST_TIMEOUT", 10*time.Second, "longest a request may take; its queries are cancelled then")
	f.Int64(&c.MaxBody, "max-body", "FT_API_MAX_BODY", 64<<10, "largest request body accepted, bytes")
}

// Token is an operator's bearer token: who it is and what it may do.
type Token struct {
	Actor  string
	Scopes map[string]bool // nil: every scope
}

// Allows reports whether the token carries scope.
func (t Token) Allows(scope string) bool { return t.Scopes == nil || t.Scopes[scope] }

var actorRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// Validate checks the settings and parses the tokens.
func (c *Config) Validate() error {
	switch {
	case c.Timeout <= 0:
		return fmt.Errorf("-request-timeout %s: must be positive", c.Timeout)
	case c.MaxBody < 1024:
		return fmt.Errorf("-max-body %d: at least 1024 bytes", c.MaxBody)
	}
	c.tokens = map[string]Token{}
	for _, entry := range c.Tokens {
		who, secret, ok := strings.Cut(entry, "=")
		if !ok || len(secret) < 16 {
			// The entry is not echoed: it may hold a secret.
			return errors.New("-api-tokens: each entry is actor=secret or actor:scope+scope=secret, with a secret of at least 16 characters")
		}
		actor, scopes, scoped := strings.Cut(who, ":")
		if !actorRE.MatchString(actor) {
			return fmt.Errorf("-api-tokens: actor %q: letters, digits and _.@- only", actor)
		}
		t := Token{Actor: actor}
		if scoped {
			t.Scopes = map[string]bool{}
			for _, s := range strings.Split(scopes, "+") {
				if !validScope[s] {
					return fmt.Errorf("-api-tokens: actor %s: unknown scope %q (scopes: %s)", actor, s, strings.Join(Scopes(), ", "))
				}
				t.Scopes[s] = true
			}
		}
		if _, dup := c.tokens[secret]; dup {
			return fmt.Errorf("-api-tokens: actor %s: a secret is given twice", actor)
		}
		c.tokens[secret] = t
	}
	return nil
}
