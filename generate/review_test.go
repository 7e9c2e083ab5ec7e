package generate

import (
	"math/rand/v2"
	"testing"
)

func TestReviewRatingFallsWithLateness(t *testing.T) {
	mean := func(late float64) float64 {
		rng := rand.New(rand.NewPCG(4, 4))
		var sum float64
		for range 5000 {
			r := ReviewRating(rng, late)
			if r < 1 || r > 5 {
				t.Fatalf("rating %d", r)
			}
			sum += float64(r)
		}
		return sum / 5000
	}
	early, onTime, late, veryLate := mean(-10), mean(0), mean(15), mean(40)
	if !(early > onTime && onTime > late && late > veryLate) {
		t.Fatalf("mean ratings early %.2f on time %.2f late %.2f very late %.2f", early, onTime, late, veryLate)
	}
	if onTime < 4 || veryLate > 2 {
		t.Fatalf("on time %.2f, 40 min late %.2f", onTime, veryLate)
	}
}

func TestSentiment(t *testing.T) {
	want := map[int]string{1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
	for r, s := range want {
		if got := Sentiment(r); got != s {
			t.Errorf("Sentiment(%d) = %q, want %q", r, got, s)
		}
	}
}

func TestReviewComment(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var none, long int
	for range 5000 {
		text, ok := ReviewComment(rng, "negative")
		switch {
		case !ok:
			none++
		case len(text) > 2048:
			long++
		case text == "":
			t.Fatal("empty comment")
		}
	}
	if none < 500 || none > 1000 {
		t.Errorf("%d of 5000 without comment, want ~15 %%", none)
	}
	if long < 80 || long > 300 {
		t.Errorf("%d of 5000 longer than 2 KB, want ~3.4 %%", long)
	}
}
