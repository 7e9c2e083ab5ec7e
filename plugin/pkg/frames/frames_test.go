package frames

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

type bounds struct {
	From time.Time `json:"from"`
}

type fix struct {
	Lat float64   `json:"lat"`
	At  time.Time `json:"recorded_at"`
}

type row struct {
	bounds
	ID      int64      `json:"order_id"`
	Name    string     `json:"name"`
	Score   *float64   `json:"score"`
	Done    *time.Time `json:"done_at"`
	Last    *fix       `json:"last_fix"`
	Tags    []string   `json:"tags"`
	skipped int
	Hidden  int  `json:"-"`
	Count   int  `json:"count"`
	Maybe   *int `json:"maybe"`
}

func TestFromSlice(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	score, three := 2.5, 3
	f, err := FromSlice("rows", []row{
		{bounds: bounds{at}, ID: 7, Name: "a", Score: &score, Done: &at, Last: &fix{36.8, at}, Tags: []string{"x"}, Count: 3, Maybe: &three},
		{bounds: bounds{at}, ID: 8, Name: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		typ  data.FieldType
		vals []any
	}{
		{"from", data.FieldTypeTime, []any{at, at}},
		{"order_id", data.FieldTypeInt64, []any{int64(7), int64(8)}},
		{"name", data.FieldTypeString, []any{"a", "b"}},
		{"score", data.FieldTypeNullableFloat64, []any{2.5, nil}},
		{"done_at", data.FieldTypeNullableTime, []any{at, nil}},
		{"last_fix_lat", data.FieldTypeNullableFloat64, []any{36.8, nil}},
		{"last_fix_recorded_at", data.FieldTypeNullableTime, []any{at, nil}},
		{"tags", data.FieldTypeJSON, []any{json.RawMessage(`["x"]`), json.RawMessage(`null`)}},
		{"count", data.FieldTypeInt64, []any{int64(3), int64(0)}},
		{"maybe", data.FieldTypeNullableInt64, []any{int64(3), nil}},
	}
	if len(f.Fields) != len(want) {
		t.Fatalf("%d fields, want %d", len(f.Fields), len(want))
	}
	for i, w := range want {
		fl := f.Fields[i]
		if fl.Name != w.name || fl.Type() != w.typ {
			t.Errorf("field %d: %s %s, want %s %s", i, fl.Name, fl.Type(), w.name, w.typ)
			continue
		}
		for r, v := range w.vals {
			got, ok := fl.ConcreteAt(r)
			if !ok {
				got = nil
			}
			if fl.Type() == data.FieldTypeJSON {
				got, v = string(got.(json.RawMessage)), string(v.(json.RawMessage))
			}
			if got != v {
				t.Errorf("%s row %d: %v, want %v", w.name, r, got, v)
			}
		}
	}
}

func TestFromStruct(t *testing.T) {
	f, err := FromStruct("one", struct {
		N int32 `json:"n"`
	}{3})
	if err != nil || f.Rows() != 1 || f.Fields[0].At(0) != int32(3) {
		t.Fatalf("%v %v", f, err)
	}
}
