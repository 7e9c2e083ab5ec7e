package api

import (
	"errors"
	"fmt"
	"log"
	"net/http"
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

	// The HTTP server's own limits (Server): a slow client holds a connection and its
	// goroutine at most this long.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration

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
	f.Duration(&c.ReadTimeout, "read-timeout", "FT_API_READ_TIMEOUT", 15*time.Second, "longest a client may take to send a request, headers and body")
	f.Duration(&c.WriteTimeout, "write-timeout", "FT_API_WRITE_TIMEOUT", 20*time.Second,
		"longest from the end of a request's headers to the end of its answer; more than -request-timeout, so that a slow request still gets its 503")
	f.Duration(&c.IdleTimeout, "idle-timeout", "FT_API_IDLE_TIMEOUT", 60*time.Second, "longest an idle keep-alive connection stays open")
}

// Server is the HTTP server of h with the configured timeouts (the headers must arrive
// within the read timeout too, at most 5 s).
func (c *Config) Server(h http.Handler, errLog *log.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: min(5*time.Second, c.ReadTimeout), ReadTimeout: c.ReadTimeout,
		WriteTimeout: c.WriteTimeout, IdleTimeout: c.IdleTimeout, ErrorLog: errLog}
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
	case c.ReadTimeout <= 0:
		return fmt.Errorf("-read-timeout %s: must be positive", c.ReadTimeout)
	case c.WriteTimeout <= c.Timeout:
		return fmt.Errorf("-write-timeout %s: must be longer than -request-timeout %s, or a slow request's answer is cut off", c.WriteTimeout, c.Timeout)
	case c.IdleTimeout <= 0:
		return fmt.Errorf("-idle-timeout %s: must be positive", c.IdleTimeout)
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
