package stream

import (
	"slices"
	"testing"
)

type counts struct {
	Seen []int          `json:"seen"`
	ByID map[string]int `json:"by_id"`
}

// TestTableEditCopiesOnWrite: a value changed in place through Edit is a copy, so an
// aborted transaction leaves the committed value — its slices and maps included — as it was,
// and a committed one keeps the change.
func TestTableEditCopiesOnWrite(t *testing.T) {
	tb := NewTable[counts]("changelog")
	tb.Put(0, "k", counts{Seen: []int{1}, ByID: map[string]int{"a": 1}})
	tb.commit()

	v, ok := tb.Edit(0, "k")
	if !ok {
		t.Fatal("Edit: key missing")
	}
	v.Seen = append(v.Seen[:1], 2)
	v.Seen[0] = 9
	v.ByID["a"] = 5
	if again, _ := tb.Edit(0, "k"); again != v {
		t.Error("a second Edit in the transaction returned another copy")
	}
	if got, _ := tb.Get(0, "k"); !slices.Equal(got.Seen, []int{9, 2}) || got.ByID["a"] != 5 {
		t.Errorf("Get in the transaction = %+v, want the edited value", got)
	}
	if cs := tb.changelog(); len(cs) != 1 || cs[0].err != nil || string(cs[0].rec.Value) != `{"seen":[9,2],"by_id":{"a":5}}` {
		t.Errorf("changelog = %+v; want the edited value", cs)
	}
	tb.abort()
	if got, _ := tb.Get(0, "k"); !slices.Equal(got.Seen, []int{1}) || got.ByID["a"] != 1 {
		t.Errorf("after abort %+v, want the committed {[1] map[a:1]}", got)
	}

	v, _ = tb.Edit(0, "k")
	v.ByID["b"] = 2
	tb.commit()
	if got, _ := tb.Get(0, "k"); got.ByID["b"] != 2 || got.ByID["a"] != 1 {
		t.Errorf("after commit %+v, want a:1 b:2", got)
	}
	if _, ok := tb.Edit(0, "missing"); ok {
		t.Error("Edit of a missing key reported it present")
	}
}
