package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// param is an OpenAPI parameter as the property test reads it.
type param struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
	Schema   struct {
		Type    string   `json:"type"`
		Format  string   `json:"format"`
		Enum    []string `json:"enum"`
		Pattern string   `json:"pattern"`
		Minimum *float64 `json:"minimum"`
		Maximum *float64 `json:"maximum"`
	} `json:"schema"`
}

type operation struct {
	OperationID string           `json:"operationId"`
	Parameters  []param          `json:"parameters"`
	Security    []map[string]any `json:"security"`
	Responses   map[string]struct {
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// TestOpenAPIProperties drives every read operation of the OpenAPI document with requests
// generated from its parameters' schemas — valid ones and ones with a value out of its
// schema — and checks that none gets a 5xx, that a valid one gets a 2xx or a documented 4xx,
// that an invalid one gets a 422, and that every answer matches the schema the document
// gives for its status.
func TestOpenAPIProperties(t *testing.T) {
	s := newServer(t)
	doc, raw := served(t, s)
	whole, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", whole); err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*jsonschema.Schema{}
	schemaOf := func(ref string) *jsonschema.Schema {
		if schemas[ref] == nil {
			sch, err := c.Compile("openapi.json" + ref)
			if err != nil {
				t.Fatalf("compile %s: %v", ref, err)
			}
			schemas[ref] = sch
		}
		return schemas[ref]
	}

	rng := rand.New(rand.NewPCG(7, 11))
	requests := 0
	for path, item := range doc.Paths {
		op, ok := item["get"]
		if !ok {
			continue
		}
		for i := range 12 {
			invalid := i%3 == 2 // a third of the requests carry one value out of its schema
			u, bad := buildURL(rng, path, op.Parameters, invalid)
			if invalid && bad == "" {
				continue // nothing to make invalid
			}
			requests++
			res, err := s.client.Get(s.URL + u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			code := strconv.Itoa(res.StatusCode)
			switch {
			case res.StatusCode >= 500:
				t.Errorf("%s %s: %d %s", op.OperationID, u, res.StatusCode, body)
				continue
			case invalid && res.StatusCode != http.StatusUnprocessableEntity:
				t.Errorf("%s %s (bad %s): %d, want 422", op.OperationID, u, bad, res.StatusCode)
			case !invalid && res.StatusCode >= 300 && op.Responses[code].Content == nil && op.Responses["default"].Content == nil:
				t.Errorf("%s %s: %d, not a documented answer", op.OperationID, u, res.StatusCode)
			}
			resp, documented := op.Responses[code]
			if !documented {
				resp = op.Responses["default"]
			}
			for _, content := range resp.Content {
				if content.Schema.Ref == "" {
					continue
				}
				v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
				if err != nil {
					t.Errorf("%s %s: %d answer is not JSON: %v", op.OperationID, u, res.StatusCode, err)
					break
				}
				if err := schemaOf(content.Schema.Ref).Validate(v); err != nil {
					t.Errorf("%s %s: %d answer does not match %s: %v", op.OperationID, u, res.StatusCode, content.Schema.Ref, err)
				}
				break
			}
		}
	}
	if requests < 100 {
		t.Errorf("%d requests sent, want every read operation exercised", requests)
	}
}

// buildURL makes a request path for an operation: every required parameter and about half
// of the optional ones get a value valid for their schema; with invalid, one of them gets a
// value outside it, named in bad.
func buildURL(rng *rand.Rand, path string, params []param, invalid bool) (u string, bad string) {
	q := url.Values{}
	var candidates []int
	withFrom := rng.IntN(2) == 0
	for i, p := range params {
		switch {
		case p.In == "query" && p.Name == "from":
			// from and to go together: to alone, or before from, is a 422 by design.
			if withFrom {
				candidates = append(candidates, i)
			}
		case p.In == "query" && p.Name == "to":
			if withFrom && rng.IntN(2) == 0 {
				candidates = append(candidates, i)
			}
		case p.Required || rng.IntN(2) == 0:
			candidates = append(candidates, i)
		}
	}
	spoil := -1
	if invalid {
		var spoilable []int
		for _, i := range candidates {
			if _, ok := invalidValue(params[i]); ok {
				spoilable = append(spoilable, i)
			}
		}
		if len(spoilable) == 0 {
			return "", ""
		}
		spoil = spoilable[rng.IntN(len(spoilable))]
	}
	for _, i := range candidates {
		p := params[i]
		v := validValue(rng, p)
		if i == spoil {
			v, _ = invalidValue(p)
			bad = p.In + "." + p.Name
		}
		if p.In == "path" {
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(v))
		} else {
			q.Set(p.Name, v)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path, bad
}

// validValue is a value inside the parameter's schema, from the values the fixtures hold
// where the schema is loose (cities by name or id, the API's clock for times).
func validValue(rng *rand.Rand, p param) string {
	s := p.Schema
	switch {
	case len(s.Enum) > 0:
		return s.Enum[rng.IntN(len(s.Enum))]
	case s.Type == "integer" || s.Type == "number":
		lo, hi := 1.0, 50.0
		if s.Minimum != nil {
			lo = *s.Minimum
		}
		if s.Maximum != nil {
			hi = min(*s.Maximum, lo+50)
		}
		return strconv.Itoa(int(lo) + rng.IntN(int(hi-lo)+1))
	case s.Type == "boolean":
		return strconv.FormatBool(rng.IntN(2) == 0)
	case s.Format == "date-time" && p.Name == "to":
		return now.Add(-30 * time.Minute).Format(time.RFC3339)
	case s.Format == "date-time":
		return now.Add(-2 * time.Hour).Format(time.RFC3339)
	case s.Pattern == "^[1-9][0-9]{0,4}[mhd]$":
		return []string{"15m", "2h", "7d", "31d"}[rng.IntN(4)]
	case p.Name == "city":
		return []string{"Sfax", "tunis", "3", "24"}[rng.IntN(4)]
	case p.Name == "version":
		return "v20261120T120000Z"
	case p.Name == "id":
		return "driver_shortage-1-20261120T120300.000000Z"
	default:
		return "x"
	}
}

// invalidValue is a value outside the parameter's schema, or beyond a documented cap, when
// there is one.
func invalidValue(p param) (string, bool) {
	s := p.Schema
	switch {
	case len(s.Enum) > 0:
		return "not-" + s.Enum[0], true
	case s.Type == "integer" && s.Minimum != nil:
		return fmt.Sprint(int(*s.Minimum) - 1), true
	case s.Type == "integer" || s.Type == "number":
		return "abc", true
	case s.Type == "boolean":
		return "maybe", true
	case s.Format == "date-time" && p.Name == "from":
		// In the schema, but beyond the 31-day cap, with to or without it (to then is now).
		return now.Add(-40 * 24 * time.Hour).Format(time.RFC3339), true
	case s.Format == "date-time":
		return "yesterday", true
	case s.Pattern != "":
		return "!!", true
	default:
		return "", false
	}
}

// document is the part of the served OpenAPI document the tests read.
type document struct {
	Paths map[string]map[string]operation `json:"paths"`
}

// served is the OpenAPI document s serves, read and as JSON.
func served(t *testing.T, s *server) (document, []byte) {
	t.Helper()
	raw, err := json.Marshal(s.huma.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, raw
}
