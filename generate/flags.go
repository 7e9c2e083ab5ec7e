package generate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"sort"

	"github.com/jackc/pgx/v5"
)

// Scenario flags (simulation_flags) and operator pauses (restaurants.paused_until) are
// read every flagPoll of wall time, against the database's wall clock, so that they take
// effect within 10 s whatever the simulation speed:
//
//   - rain: the city's weather turns rainy at once (an extra observation) and stays rainy
//     while the flag is active; afterwards the weather chain continues from rain.
//   - promo: demand × params.factor (default 1.5); orders are marked is_promo and deliver
//     for free.
//   - courier_outage: params.share (default 0.5) of the city's working couriers go
//     offline, idle ones first; their orders not yet picked up go to other couriers.
//     They come back when the flag ends.
//   - surge: off-shift reserve couriers come online, up to (params.factor − 1) × the
//     working couriers (default factor 1.5), as many as the reserve holds.
//   - nudge: the courier params.courier_id (of the flag's city, when it names one) is
//     online while the flag is active, whether off shift or taken out by an outage, and
//     idle until it gets an order. When the flag ends the courier is online or offline as
//     the shift, surge and outage say: a reserve courier goes back offline unless a surge
//     keeps it, a courier an outage took out goes back out. An outage that starts during a
//     nudge takes the nudged courier last; a surge counts its reserve as usual. A nudge
//     without a readable courier_id, or naming an unknown courier, does nothing.
//
// A flag with a null city_id applies to every city. When flags of one kind overlap, the
// largest factor or share wins.
const (
	defaultPromoFactor = 1.5
	defaultOutageShare = 0.5
	defaultSurgeFactor = 1.5
	maxFactor          = 20 // factors are clamped to [0, 20], shares to [0, 1]
)

const activeFlagsSQL = `SELECT kind, city_id, params FROM simulation_flags
WHERE cancelled_at IS NULL AND starts_at <= now() AND ends_at > now() ORDER BY id`

type flagParams struct {
	Factor    *float64 `json:"factor"`
	Share     *float64 `json:"share"`
	CourierID *int     `json:"courier_id"`
}

// cityFlags is what the active flags ask of one city.
type cityFlags struct {
	rain                 bool
	promo, outage, surge float64
	nudged               map[int]bool // courier ids; nil when none
}

// pollFlags reads the active flags and paused restaurants and applies them.
func (s *sim) pollFlags(ctx context.Context) error {
	want := make(map[int]*cityFlags, len(s.w.cities))
	for _, c := range s.w.cities {
		want[c.id] = &cityFlags{}
	}
	rows, err := s.pool.Query(ctx, activeFlagsSQL)
	if err != nil {
		return fmt.Errorf("read simulation flags: %w", err)
	}
	var kind string
	var cityID *int32
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&kind, &cityID, &raw}, func() error {
		var p flagParams
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &p); err != nil {
				p = flagParams{} // unreadable params: the defaults apply
			}
		}
		if kind == "nudge" {
			if p.CourierID == nil {
				return nil
			}
			x := s.w.courierByID[*p.CourierID]
			if x == nil || (cityID != nil && int(*cityID) != x.city.id) {
				return nil
			}
			f := want[x.city.id]
			if f.nudged == nil {
				f.nudged = map[int]bool{}
			}
			f.nudged[x.id] = true
			return nil
		}
		for _, c := range s.w.cities {
			if cityID != nil && int(*cityID) != c.id {
				continue
			}
			f := want[c.id]
			switch kind {
			case "rain":
				f.rain = true
			case "promo":
				f.promo = math.Max(f.promo, param(p.Factor, defaultPromoFactor, maxFactor))
			case "courier_outage":
				f.outage = math.Max(f.outage, param(p.Share, defaultOutageShare, 1))
			case "surge":
				f.surge = math.Max(f.surge, param(p.Factor, defaultSurgeFactor, maxFactor))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read simulation flags: %w", err)
	}

	paused := map[int]bool{}
	rows, err = s.pool.Query(ctx, `SELECT id FROM restaurants WHERE paused_until > now()`)
	if err != nil {
		return fmt.Errorf("read paused restaurants: %w", err)
	}
	var id int32
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { paused[int(id)] = true; return nil }); err != nil {
		return fmt.Errorf("read paused restaurants: %w", err)
	}

	for _, c := range s.w.cities {
		for _, r := range c.restaurants {
			r.paused = paused[r.id]
		}
		s.applyFlags(c, *want[c.id])
	}
	return nil
}

// param is a flag parameter clamped to [0, hi], or def when absent.
func param(v *float64, def, hi float64) float64 {
	if v == nil || math.IsNaN(*v) {
		return def
	}
	return math.Max(0, math.Min(hi, *v))
}

// applyFlags brings a city in line with its active flags.
func (s *sim) applyFlags(c *city, f cityFlags) {
	if f.rain && !c.rain && s.observed {
		c.weather = Rainy
		s.observe(c)
	}
	c.rain = f.rain
	c.promo = f.promo
	if f.outage != c.outageShare || f.surge != c.surge || !maps.Equal(f.nudged, c.nudged) {
		c.outageShare, c.surge, c.nudged = f.outage, f.surge, f.nudged
		s.reconcileShift(c)
	}
}

// reconcileShift sets who works in the city from its surge, outage and nudge flags. The
// couriers taken out by an outage stay the same ones while the flag lasts; when fewer are
// needed the last ones taken out come back first.
func (s *sim) reconcileShift(c *city) {
	before := make(map[*courier]bool, len(c.couriers))
	var base, reserve []*courier
	for _, x := range c.couriers {
		before[x] = x.online()
		x.nudged = c.nudged[x.id]
		if x.reserve {
			reserve = append(reserve, x)
		} else {
			base = append(base, x)
		}
	}
	extra := 0
	if c.surge > 1 {
		extra = min(len(reserve), int(math.Ceil((c.surge-1)*float64(len(base)))))
	}
	for i, x := range reserve {
		x.surged = i < extra
	}
	working := append(base[:len(base):len(base)], reserve[:extra]...)
	inShift := make(map[*courier]bool, len(working))
	for _, x := range working {
		inShift[x] = true
	}
	target := int(math.Round(c.outageShare * float64(len(working))))

	kept := c.outOrder[:0]
	for _, x := range c.outOrder {
		if inShift[x] {
			kept = append(kept, x)
		} else {
			x.out = false
		}
	}
	c.outOrder = kept
	for len(c.outOrder) > target {
		x := c.outOrder[len(c.outOrder)-1]
		x.out = false
		c.outOrder = c.outOrder[:len(c.outOrder)-1]
	}
	if need := target - len(c.outOrder); need > 0 {
		var candidates []*courier
		for _, x := range working {
			if !x.out {
				candidates = append(candidates, x)
			}
		}
		// Idle ones first; nudged ones last, since their flag keeps them online anyway.
		sort.SliceStable(candidates, func(i, j int) bool {
			a, b := candidates[i], candidates[j]
			if a.nudged != b.nudged {
				return b.nudged
			}
			return len(a.active) < len(b.active)
		})
		for _, x := range candidates[:min(need, len(candidates))] {
			x.out = true
			c.outOrder = append(c.outOrder, x)
		}
	}

	for _, x := range c.couriers {
		switch now := x.online(); {
		case before[x] && !now:
			s.goOffline(x)
		case !before[x] && now:
			s.refreshStatus(x)
		}
	}
	s.dispatch(c)
}
