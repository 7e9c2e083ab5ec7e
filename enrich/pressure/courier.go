package pressure

// StatusOffline is the couriers.status value of a courier who is not working (SPEC §2:
// offline, idle or busy).
const StatusOffline = "offline"

// Courier thresholds on active deliveries (assigned, not finished), SPEC §4.5 and §4.7.
const (
	// BusyAt is the display threshold "busy ≥ 3 active" (§4.5); it is also where a
	// courier stops counting as available for city pressure (§4.7: "< 3 active").
	BusyAt = 3
	// OverloadedAt is the display threshold "overloaded ≥ 5 active" (§4.5).
	OverloadedAt = 5
)

// CourierLoad is the display band of a courier's active deliveries (SPEC §4.5). It is
// not couriers.status: a courier with status busy and one delivery is LoadNormal.
type CourierLoad string

// The bands of SPEC §4.5.
const (
	LoadNormal     CourierLoad = "normal"     // 0–2 active deliveries
	LoadBusy       CourierLoad = "busy"       // 3–4
	LoadOverloaded CourierLoad = "overloaded" // 5 or more
)

// CourierLoadOf is the display band for a number of active deliveries.
func CourierLoadOf(activeDeliveries int) CourierLoad {
	switch {
	case activeDeliveries >= OverloadedAt:
		return LoadOverloaded
	case activeDeliveries >= BusyAt:
		return LoadBusy
	default:
		return LoadNormal
	}
}

// CourierAvailable reports whether a courier counts in available_couriers (SPEC §4.7):
// "couriers not offline with < 3 active deliveries". Any status other than offline
// (idle, busy) is working; a courier with one or two deliveries on board is available.
func CourierAvailable(status string, activeDeliveries int) bool {
	return status != StatusOffline && activeDeliveries < BusyAt
}
