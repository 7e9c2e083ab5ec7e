package refdata

// Category is a section of a menu.
type Category string

// The four menu categories of SPEC §1.
const (
	Starter Category = "starter"
	Main    Category = "main"
	Dessert Category = "dessert"
	Drink   Category = "drink"
)

// Categories lists the categories in menu order.
var Categories = []Category{Starter, Main, Dessert, Drink}

// cuisine describes one kind of kitchen: its share of restaurants, its typical
// preparation time and its dishes per category.
type cuisine struct {
	name   string
	weight float64 // relative share of restaurants of this cuisine
	// prepMinutes is the typical preparation time; each kitchen draws its own
	// avg_prep_minutes as prepMinutes × U(0.8, 1.25).
	prepMinutes float64
	// priceLevel scales the category base prices (seafood is dearer than sandwiches).
	priceLevel float64
	dishes     map[Category][]string
}

var commonDrinks = []string{
	"Citronnade", "Eau minérale 0,5 L", "Eau minérale 1,5 L", "Soda 33 cl", "Jus d'orange",
	"Jus de fraise", "Thé à la menthe", "Café express",
}

var cuisines = []cuisine{
	{"tunisian", 0.24, 20, 1.0, map[Category][]string{
		Starter: {"Brik à l'œuf", "Salade méchouia", "Chorba frik", "Lablabi", "Salade tunisienne"},
		Main: {"Couscous à l'agneau", "Couscous au poisson", "Kafteji", "Makarouna salsa", "Mloukhia",
			"Kamounia", "Ojja merguez", "Tajine malsouka", "Riz djerbien", "Chakchouka"},
		Dessert: {"Makroudh", "Bambalouni", "Assidat zgougou", "Baklawa", "Yoyo"},
		Drink:   {"Citronnade", "Thé à la menthe", "Café turc", "Lben", "Jus d'orange"},
	}},
	{"pizza", 0.16, 14, 0.9, map[Category][]string{
		Starter: {"Salade César", "Bruschetta", "Frites", "Salade verte"},
		Main: {"Pizza Margherita", "Pizza Neptune", "Pizza quatre fromages", "Pizza thon",
			"Pizza merguez", "Pizza végétarienne", "Calzone", "Pizza reine"},
		Dessert: {"Tiramisu", "Panna cotta", "Fondant au chocolat"},
	}},
	{"grill", 0.14, 18, 1.1, map[Category][]string{
		Starter: {"Salade tunisienne", "Chorba", "Frites maison", "Slata mechouia"},
		Main: {"Méchoui d'agneau", "Brochettes de poulet", "Côtelettes d'agneau", "Merguez grillées",
			"Escalope grillée", "Kefta", "Foie grillé", "Assiette mixte"},
		Dessert: {"Salade de fruits", "Crème caramel", "Baklawa"},
	}},
	{"seafood", 0.08, 22, 1.4, map[Category][]string{
		Starter: {"Salade de poulpe", "Soupe de poisson", "Calamars frits", "Brik au thon"},
		Main: {"Dorade grillée", "Loup de mer grillé", "Crevettes royales", "Couscous au mérou",
			"Spaghetti aux fruits de mer", "Rougets frits", "Seiche à la tunisienne"},
		Dessert: {"Crème brûlée", "Glace deux boules", "Salade d'oranges"},
	}},
	{"sandwich", 0.14, 8, 0.6, map[Category][]string{
		Starter: {"Frites", "Salade", "Soupe du jour"},
		Main: {"Chapati au thon", "Mlawi au poulet", "Baguette farcie", "Libanais shawarma",
			"Sandwich kafteji", "Panini escalope", "Tabouna merguez"},
		Dessert: {"Bambalouni", "Crêpe au chocolat"},
	}},
	{"burger", 0.1, 10, 0.8, map[Category][]string{
		Starter: {"Onion rings", "Nuggets", "Frites cheddar"},
		Main: {"Cheeseburger", "Double burger", "Chicken burger", "Burger harissa", "Wrap poulet",
			"Fish burger"},
		Dessert: {"Milkshake vanille", "Brownie", "Sundae caramel"},
	}},
	{"pastry", 0.05, 6, 0.7, map[Category][]string{
		Starter: {"Mini pizza", "Croissant salé", "Quiche", "Feuilleté au thon"},
		Main:    {"Sandwich club", "Crêpe salée", "Malsouka au poulet", "Fricassé"},
		Dessert: {"Mille-feuille", "Éclair", "Kaak warka", "Samsa", "Tarte aux fraises", "Zlabia", "Mkharek"},
		Drink:   {"Cappuccino", "Café express", "Jus d'orange pressé", "Thé aux pignons"},
	}},
	{"italian", 0.06, 16, 1.2, map[Category][]string{
		Starter: {"Antipasti", "Carpaccio", "Minestrone"},
		Main: {"Spaghetti bolognaise", "Lasagnes", "Penne arrabbiata", "Risotto aux champignons",
			"Escalope milanaise", "Tagliatelle au saumon"},
		Dessert: {"Tiramisu", "Panna cotta", "Gelato"},
	}},
	{"asian", 0.03, 15, 1.2, map[Category][]string{
		Starter: {"Nems", "Soupe miso", "Salade de chou"},
		Main: {"Riz cantonais", "Poulet au curry", "Nouilles sautées", "Sushi box",
			"Bœuf aux oignons", "Poulet teriyaki"},
		Dessert: {"Mochi", "Perles de coco"},
		Drink:   {"Thé vert", "Soda 33 cl", "Eau minérale 0,5 L"},
	}},
}

// basePrice is the typical price of a dish of a category at price level 1, in millimes
// (1 TND = 1000 millimes). A dish costs basePrice × cuisine level × restaurant level ×
// U(0.75, 1.35), rounded to 100 millimes.
var basePrice = map[Category]float64{
	Starter: 6000,
	Main:    16000,
	Dessert: 5000,
	Drink:   2500,
}

// dishes returns the names of a cuisine's dishes of a category.
func (c cuisine) dishNames(cat Category) []string {
	if d, ok := c.dishes[cat]; ok {
		return d
	}
	return commonDrinks
}
