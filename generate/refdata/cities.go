package refdata

// Region groups the governorates by climate; the weather chain of the simulator is
// parameterised per region and season.
type Region int

// The three climate regions of Tunisia.
const (
	North  Region = iota // Mediterranean north: wet winters.
	Centre               // Sahel and the centre: drier, hot summers.
	South                // Saharan south: hot, sandstorms, little rain.
)

// String names the region.
func (r Region) String() string {
	switch r {
	case North:
		return "north"
	case Centre:
		return "centre"
	default:
		return "south"
	}
}

// City is one governorate capital.
type City struct {
	ID          int
	Name        string
	Governorate string
	Lat, Lon    float64 // centre of the capital, WGS84 degrees
	Population  int     // approximate population of the municipality
	Region      Region
	// SeaBearing is the compass bearing in degrees from the centre towards the nearest
	// shore (0 = north, 90 = east) for capitals on the coast or on a lagoon; -1 inland.
	// Points placed around a coastal capital are kept on the landward side (see Place).
	SeaBearing float64
}

// Coastal reports whether the city has a shore near its centre.
func (c City) Coastal() bool { return c.SeaBearing >= 0 }

// Cities are the 24 governorate capitals: real centre coordinates, populations rounded
// from the 2014 census of the municipality, ids 1..24 in this order.
var Cities = []City{
	{1, "Tunis", "Tunis", 36.8008, 10.1800, 638000, North, 90},
	{2, "Ariana", "Ariana", 36.8625, 10.1956, 114000, North, 110},
	{3, "Ben Arous", "Ben Arous", 36.7531, 10.2189, 88000, North, 45},
	{4, "Manouba", "Manouba", 36.8101, 10.0956, 27000, North, -1},
	{5, "Nabeul", "Nabeul", 36.4561, 10.7376, 73000, North, 135},
	{6, "Zaghouan", "Zaghouan", 36.4029, 10.1429, 21000, North, -1},
	{7, "Bizerte", "Bizerte", 37.2744, 9.8739, 143000, North, 45},
	{8, "Béja", "Béja", 36.7256, 9.1817, 60000, North, -1},
	{9, "Jendouba", "Jendouba", 36.5011, 8.7802, 51000, North, -1},
	{10, "Le Kef", "Le Kef", 36.1742, 8.7049, 45000, North, -1},
	{11, "Siliana", "Siliana", 36.0849, 9.3708, 27000, North, -1},
	{12, "Sousse", "Sousse", 35.8256, 10.6084, 222000, Centre, 100},
	{13, "Monastir", "Monastir", 35.7643, 10.8113, 93000, Centre, 45},
	{14, "Mahdia", "Mahdia", 35.5010, 11.0450, 62000, Centre, 70},
	{15, "Sfax", "Sfax", 34.7406, 10.7603, 273000, Centre, 135},
	{16, "Kairouan", "Kairouan", 35.6781, 10.0963, 139000, Centre, -1},
	{17, "Kasserine", "Kasserine", 35.1676, 8.8365, 84000, Centre, -1},
	{18, "Sidi Bouzid", "Sidi Bouzid", 35.0382, 9.4849, 48000, Centre, -1},
	{19, "Gabès", "Gabès", 33.8815, 10.0982, 131000, South, 90},
	{20, "Medenine", "Medenine", 33.3549, 10.5055, 62000, South, -1},
	{21, "Tataouine", "Tataouine", 32.9297, 10.4518, 63000, South, -1},
	{22, "Gafsa", "Gafsa", 34.4250, 8.7842, 95000, South, -1},
	{23, "Tozeur", "Tozeur", 33.9197, 8.1335, 37000, South, -1},
	{24, "Kebili", "Kebili", 33.7044, 8.9690, 21000, South, -1},
}
