// Package geo holds the small amount of spherical geometry the generator needs:
// great-circle distances, offsets in kilometres and points along a path.
package geo

import "math"

// EarthRadiusKm is the mean Earth radius (IUGG), used by every formula here.
const EarthRadiusKm = 6371.0088

func rad(deg float64) float64 { return deg * math.Pi / 180 }

// HaversineKm is the great-circle distance between two WGS84 points in kilometres:
//
//	a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2),  d = 2R · asin(√a)
//
// (haversine formula; accurate to ~0.5 % since it assumes a spherical Earth).
func HaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	dPhi := rad(lat2 - lat1)
	dLambda := rad(lon2 - lon1)
	s1 := math.Sin(dPhi / 2)
	s2 := math.Sin(dLambda / 2)
	a := s1*s1 + math.Cos(rad(lat1))*math.Cos(rad(lat2))*s2*s2
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(math.Min(1, a)))
}

// OffsetKm moves a point eastKm to the east and northKm to the north on the local
// tangent plane: Δlat = north / R, Δlon = east / (R · cos lat), in degrees. Good to a
// few metres for the city-scale offsets (< 20 km) it is used for.
func OffsetKm(lat, lon, eastKm, northKm float64) (float64, float64) {
	dLat := northKm / EarthRadiusKm * 180 / math.Pi
	dLon := eastKm / (EarthRadiusKm * math.Cos(rad(lat))) * 180 / math.Pi
	return lat + dLat, lon + dLon
}

// Lerp returns the point a fraction f (0..1) of the way from (lat1, lon1) to
// (lat2, lon2), interpolating the coordinates linearly: over a few kilometres the
// difference from the great-circle path is below a metre.
func Lerp(lat1, lon1, lat2, lon2, f float64) (float64, float64) {
	return lat1 + (lat2-lat1)*f, lon1 + (lon2-lon1)*f
}
