package generate

import (
	"math"
	"math/rand/v2"
	"strings"
)

// reviewShare is the share of delivered orders that get a review (SPEC §6: ~70 %).
const reviewShare = 0.7

// ReviewRating is the customer's stars given the lateness, actual − promised minutes:
//
//	4.5 − 0.1 · max(0, late) + 0.3 if ≥ 5 min early + N(0, 0.8), rounded, clamped to 1..5
//
// so an order 15 min late averages 3 stars and one 30 min late 1.5.
func ReviewRating(rng *rand.Rand, lateMinutes float64) int {
	score := 4.5 - 0.1*math.Max(0, lateMinutes) + 0.8*rng.NormFloat64()
	if lateMinutes <= -5 {
		score += 0.3
	}
	return int(math.Max(1, math.Min(5, math.Round(score))))
}

// Sentiment of a review from its stars: 4–5 positive, 3 neutral, 1–2 negative.
func Sentiment(rating int) string {
	switch {
	case rating >= 4:
		return "positive"
	case rating == 3:
		return "neutral"
	default:
		return "negative"
	}
}

var reviewPhrases = map[string][]string{
	"positive": {
		"Délicieux, livré chaud.", "Rapide et bien emballé.", "Le livreur était très aimable.",
		"Excellent couscous, comme à la maison.", "Toujours parfait, je recommande.",
		"Great food and fast delivery.", "Portions généreuses, merci !", "Arrivé avant l'heure prévue.",
	},
	"neutral": {
		"Correct sans plus.", "Un peu froid à l'arrivée.", "Bon goût mais portion petite.",
		"Livraison dans les temps, plat moyen.", "Okay, nothing special.", "Il manquait la sauce.",
	},
	"negative": {
		"Beaucoup trop de retard.", "Commande arrivée froide.", "Le livreur s'est perdu.",
		"Il manquait un plat.", "Very late, food was cold.", "Emballage renversé, décevant.",
		"Plus d'une heure d'attente, inacceptable.",
	},
}

// Comment shapes of reviews: 15 % have no comment, 4 % of the others are long
// (over 2 KB, so that PostgreSQL stores them out of line in TOAST), the rest 1–3 phrases.
const (
	noCommentShare   = 0.15
	longCommentShare = 0.04
	longCommentBytes = 2048
)

// ReviewComment writes the comment of a review with the given sentiment; ok is false
// when the customer left no comment.
func ReviewComment(rng *rand.Rand, sentiment string) (text string, ok bool) {
	if rng.Float64() < noCommentShare {
		return "", false
	}
	phrases := reviewPhrases[sentiment]
	var b strings.Builder
	n := 1 + rng.IntN(3)
	long := rng.Float64() < longCommentShare
	for i := 0; i < n || (long && b.Len() <= longCommentBytes); i++ {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(phrases[rng.IntN(len(phrases))])
	}
	return b.String(), true
}
