package seal

import (
	"fmt"
	"testing"
	"time"
)

func TestSpans(t *testing.T) {
	h10 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return h10.Add(time.Duration(n) * time.Hour) }
	none := [2]int64{1, 0}
	change := func(n int, ids ...[2]int64) Change { return Change{Hour: h(n), IDs: ids} }
	// Hours 0 and 1 are adjacent (1 has no order ids, and no line of source 2), 3 and 5 alone;
	// the window cuts 0 and 5.
	got := spans([]Change{change(3, [2]int64{30, 39}, [2]int64{300, 399}), change(0, [2]int64{1, 9}, [2]int64{10, 19}),
		change(1, none, [2]int64{100, 199}), change(5, [2]int64{50, 59}, none)},
		h(0).Add(30*time.Minute), h(5).Add(10*time.Minute))
	want := []Span{
		{h(0).Add(30 * time.Minute), h(2), [][2]int64{{1, 9}, {10, 199}}},
		{h(3), h(4), [][2]int64{{30, 39}, {300, 399}}},
		{h(5), h(5).Add(10 * time.Minute), [][2]int64{{50, 59}, none}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("spans:\n got %v\nwant %v", got, want)
	}
}

func TestValid(t *testing.T) {
	changed := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		sealed time.Time
		valid  bool
	}{
		{time.Time{}, false},                       // never sealed
		{changed, false},                           // sealed as it changed
		{changed.Add(Margin), false},               // an insert begun before T may still have been on its way
		{changed.Add(Margin + time.Second), true},  // the change was visible to the seal's read
		{changed.Add(-time.Hour), false},           // sealed before the change
		{changed.Add(Margin + 24*time.Hour), true}, // long after
	} {
		if got := (hourState{Change: Change{At: changed}, sealedAt: tc.sealed}).valid(); got != tc.valid {
			t.Errorf("sealed %s after the change: valid %v, want %v", tc.sealed.Sub(changed), got, tc.valid)
		}
	}
}

func TestBlocksLast(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 11, 20, 12, m, 0, 0, time.UTC) }
	b := Blocks{blocks: []int64{0, 2, 5}, at: []time.Time{at(3), at(1), at(7)}}
	for _, tc := range []struct {
		ids  [2]int64
		want time.Time
	}{
		{[2]int64{1000, 2100}, at(3)},       // blocks 0-2: 0 and 2
		{[2]int64{2048, 2048}, at(1)},       // block 2 alone
		{[2]int64{3000, 4000}, at(1)},       // blocks 2-3
		{[2]int64{3072, 5119}, time.Time{}}, // blocks 3-4: none changed
		{[2]int64{0, 1 << 20}, at(7)},       // all
		{[2]int64{1, 0}, time.Time{}},       // no ids
	} {
		if got := b.Last(tc.ids); !got.Equal(tc.want) {
			t.Errorf("Last(%v) = %v, want %v", tc.ids, got, tc.want)
		}
	}
	if got := Bounds([2]int64{5, 9}, [2]int64{1, 0}, [2]int64{2, 3}); got != [2]int64{2, 9} {
		t.Errorf("Bounds = %v, want [2 9]", got)
	}
	if got := Bounds([2]int64{1, 0}); got[0] <= got[1] {
		t.Errorf("Bounds of nothing = %v, want an empty range", got)
	}
}
