package refdata

import (
	"math/rand/v2"
	"strings"
)

// Word lists from which restaurant and courier names are composed. Names are
// combinations drawn with the seeded generator, so a seed always yields the same names.
var (
	firstNames = []string{
		"Mohamed", "Ahmed", "Ali", "Youssef", "Amine", "Sami", "Karim", "Hamza", "Omar",
		"Bilel", "Aymen", "Wassim", "Skander", "Mehdi", "Nizar", "Walid", "Fares", "Anis",
		"Hatem", "Slim", "Rania", "Salma", "Ines", "Mariem", "Amira", "Nour", "Yasmine",
		"Sarra", "Emna", "Olfa", "Hela", "Asma", "Khaoula", "Sirine", "Chaima", "Dorra",
	}
	lastNames = []string{
		"Trabelsi", "Jaziri", "Gharbi", "Haddad", "Mejri", "Ayari", "Baccouche", "Chaouch",
		"Dridi", "Ferchichi", "Hamdi", "Jlassi", "Khelifi", "Mansouri", "Saidi", "Sassi",
		"Tlili", "Zouari", "Belhadj", "Chebbi", "Riahi", "Hammami", "Karoui", "Mabrouk",
		"Nasri", "Ouertani", "Rekik", "Sfaxi", "Toumi", "Zribi", "Bouslama", "Kchaou",
	}
	placeWords = []string{
		"Yasmine", "Zitouna", "El Medina", "Essaada", "Ennour", "El Waha", "Jasmin",
		"El Andalous", "Bab Bhar", "Kasbah", "Sidi Salem", "El Manar", "La Corniche",
		"Les Oliviers", "Le Port", "Le Soleil", "La Palmeraie", "El Fell", "Dar Zmen",
		"Le Phare", "Les Dunes", "L'Oasis", "Le Souk", "La Falaise", "El Bahja", "Nakhla",
	}
	cuisinePrefixes = map[string][]string{
		"tunisian": {"Dar", "Restaurant", "Chez", "Le Bon Goût"},
		"pizza":    {"Pizzeria", "Pizza", "Forno"},
		"grill":    {"Grill", "Méchoui", "Braise"},
		"seafood":  {"La Marina", "Poissonnerie", "Le Pêcheur"},
		"sandwich": {"Snack", "Fast", "Casse-croûte"},
		"burger":   {"Burger", "Smash", "Grill & Burger"},
		"pastry":   {"Pâtisserie", "Salon de thé", "Délices"},
		"italian":  {"Trattoria", "Osteria", "Casa"},
		"asian":    {"Wok", "Asia", "Jardin de"},
	}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// restaurantName composes "<cuisine prefix> <place word>", or "Chez <first name>".
func restaurantName(rng *rand.Rand, cuisine string) string {
	prefix := pick(rng, cuisinePrefixes[cuisine])
	if prefix == "Chez" {
		return "Chez " + pick(rng, firstNames)
	}
	return prefix + " " + pick(rng, placeWords)
}

// personName composes "<first name> <last name>".
func personName(rng *rand.Rand) string {
	return strings.Join([]string{pick(rng, firstNames), pick(rng, lastNames)}, " ")
}
