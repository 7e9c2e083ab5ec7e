// Package connect registers and inspects the Debezium PostgreSQL connector through the
// Kafka Connect REST API. Connector builds the one connector of Flavor Trend (one slot, one
// publication, every CDC table of SPEC §2); Client speaks to the worker.
package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one Kafka Connect worker.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client for the worker at base (http://host:port).
func NewClient(base string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
}

// ErrNotFound is returned for a connector the worker does not know.
var ErrNotFound = errors.New("connector not found")

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("kafka connect %s unreachable (is it started? scripts/services.sh start connect): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("kafka connect %s %s: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return ErrNotFound
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return fmt.Errorf("kafka connect %s %s: %d: %s", method, path, resp.StatusCode, e.Message)
		}
		return fmt.Errorf("kafka connect %s %s: %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("kafka connect %s %s: %w", method, path, err)
		}
	}
	return nil
}

// Plugins lists the connector classes the worker can run.
func (c *Client) Plugins(ctx context.Context) ([]string, error) {
	var ps []struct {
		Class string `json:"class"`
	}
	if err := c.do(ctx, http.MethodGet, "/connector-plugins", nil, &ps); err != nil {
		return nil, err
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Class
	}
	return out, nil
}

// Put creates the connector or updates its configuration (idempotent).
func (c *Client) Put(ctx context.Context, name string, cfg map[string]string) error {
	return c.do(ctx, http.MethodPut, "/connectors/"+url.PathEscape(name)+"/config", cfg, nil)
}

// Config returns the connector's stored configuration.
func (c *Client) Config(ctx context.Context, name string) (map[string]string, error) {
	var cfg map[string]string
	err := c.do(ctx, http.MethodGet, "/connectors/"+url.PathEscape(name)+"/config", nil, &cfg)
	return cfg, err
}

// Delete removes the connector (its replication slot stays in PostgreSQL).
func (c *Client) Delete(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/connectors/"+url.PathEscape(name), nil, nil)
}

// Restart restarts the connector and its failed tasks.
func (c *Client) Restart(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "/connectors/"+url.PathEscape(name)+"/restart?includeTasks=true&onlyFailed=true", nil, nil)
}

// State is the state of the connector or one task.
type State struct {
	State    string `json:"state"` // RUNNING, PAUSED, FAILED, UNASSIGNED, RESTARTING
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// Status is the connector's state and its tasks'.
type Status struct {
	Name      string  `json:"name"`
	Connector State   `json:"connector"`
	Tasks     []State `json:"tasks"`
}

// Running reports whether the connector and every task run.
func (s Status) Running() bool {
	if s.Connector.State != "RUNNING" || len(s.Tasks) == 0 {
		return false
	}
	for _, t := range s.Tasks {
		if t.State != "RUNNING" {
			return false
		}
	}
	return true
}

// Failure returns the first line of the first failure trace, or "".
func (s Status) Failure() string {
	for _, st := range append([]State{s.Connector}, s.Tasks...) {
		if st.State == "FAILED" {
			line, _, _ := strings.Cut(st.Trace, "\n")
			return line
		}
	}
	return ""
}

// Status returns the connector's status.
func (c *Client) Status(ctx context.Context, name string) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodGet, "/connectors/"+url.PathEscape(name)+"/status", nil, &s)
	return s, err
}

// WaitRunning polls until the connector and its tasks run, one of them failed, or ctx ends.
func (c *Client) WaitRunning(ctx context.Context, name string) (Status, error) {
	for {
		s, err := c.Status(ctx, name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return s, err
		}
		if err == nil && s.Running() {
			return s, nil
		}
		if f := s.Failure(); f != "" {
			return s, fmt.Errorf("connector %s failed: %s", name, f)
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("connector %s not running yet (state %s): %w", name, s.Connector.State, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
