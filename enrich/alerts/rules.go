package alerts

import (
	"fmt"
	"slices"
	"time"
)

// spikesFrom returns the sla_spike signals that a breach counted at minute b adds: the
// stretches of [b, b + 10 min) during which the sliding count of breaches in
// (t − 10 min, t] is at least 3. Counting three consecutive breaches B[i−2] ≤ B[i−1] ≤
// B[i] (of the breaches in time order, each at the start of its minute), the count is
// ≥ 3 from B[i] until B[i−2] leaves the window at B[i−2] + 10 min; overlapping stretches
// are merged, and each carries the highest count reached in it. The breaches of one
// minute share their B[i], so only the last of them, whose B[i−2] is the latest, is
// looked at: the others' stretches lie within its.
func (d *Detector) spikesFrom(b time.Time) []signal {
	bs := d.breachMinutes()
	var out []signal
	seen := 0 // breaches up to the minute looked at
	for k, x := range bs {
		if seen += x.n; seen < SpikeAt {
			continue
		}
		from, to := x.at, thirdBack(bs, k).Add(SpikeWindow)
		if !from.Before(to) || !to.After(b) || !from.Before(b.Add(SpikeWindow)) {
			continue // the three span 10 minutes or more, or do not reach [b, b + 10 min)
		}
		if from.Before(b) {
			from = b // before b nothing changed, and it was signalled already
		}
		n := float64(breachesIn(bs, x.at))
		if k := len(out) - 1; k >= 0 && !from.After(out[k].To) {
			out[k].To = later(out[k].To, to)
			out[k].Value = max(out[k].Value, n)
			continue
		}
		out = append(out, signal{From: from, To: to, Value: n})
	}
	for i := range out {
		out[i].Details = fmt.Sprintf("%d static SLA breaches in 10 minutes (spike at ≥ %d, critical at ≥ %d).",
			int(out[i].Value), SpikeAt, SpikeCriticalAt)
	}
	return out
}

// minuteCount is the number of breaches counted at a minute.
type minuteCount struct {
	at time.Time
	n  int
}

// breachMinutes is the breach counts in time order.
func (d *Detector) breachMinutes() []minuteCount {
	bs := make([]minuteCount, 0, len(d.st.Breaches))
	for m, n := range d.st.Breaches {
		bs = append(bs, minuteCount{time.Unix(m, 0).UTC(), n})
	}
	slices.SortFunc(bs, func(a, b minuteCount) int { return a.at.Compare(b.at) })
	return bs
}

// thirdBack is the minute of the breach SpikeAt − 1 before the last one of minute bs[k]
// (B[i−2] for the last B[i] of that minute); bs up to k holds at least SpikeAt breaches.
func thirdBack(bs []minuteCount, k int) time.Time {
	need := SpikeAt
	for ; k > 0 && need > bs[k].n; k-- {
		need -= bs[k].n
	}
	return bs[k].at
}

// breachesIn counts the breaches in the window (t − 10 min, t].
func breachesIn(bs []minuteCount, t time.Time) int {
	n := 0
	for _, x := range bs {
		if x.at.After(t.Add(-SpikeWindow)) && !x.at.After(t) {
			n += x.n
		}
	}
	return n
}

// peakAt evaluates the minute starting at j for peak_start: the mean orders per minute
// of the 5 minutes ending with it against the mean of the up to 120 minutes before
// those, once 30 minutes of history precede them and they hold at least 10 orders. A
// hot minute is a signal at its end.
func (d *Detector) peakAt(j time.Time) (signal, bool) {
	window := j.Add(time.Minute - PeakWindow) // first minute of the current window
	base := later(d.st.OrdersSince, window.Add(-PeakTrailing))
	if window.Sub(base) < PeakWarmup {
		return signal{}, false
	}
	n := d.ordersIn(window, j.Add(time.Minute))
	if n < PeakMinOrders {
		return signal{}, false
	}
	rate := float64(n) / PeakWindow.Minutes()
	baseMinutes := window.Sub(base).Minutes()
	avg := float64(d.ordersIn(base, window)) / baseMinutes
	if rate < PeakRatio*avg {
		return signal{}, false
	}
	var details string
	if avg > 0 {
		details = fmt.Sprintf("%.1f orders/min over the last %d minutes, %.1f× the average of %.1f orders/min over the %d minutes before (peak at ≥ %g×).",
			rate, int(PeakWindow.Minutes()), rate/avg, avg, int(baseMinutes), PeakRatio)
	} else {
		details = fmt.Sprintf("%.1f orders/min over the last %d minutes, after no order in the %d minutes before.",
			rate, int(PeakWindow.Minutes()), int(baseMinutes))
	}
	end := j.Add(time.Minute)
	return signal{From: end, To: end, Value: rate, Details: details}, true
}

// ordersIn sums the reported counts of the minutes starting in [from, to).
func (d *Detector) ordersIn(from, to time.Time) int {
	var n int
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		n += d.st.Orders[m.Unix()]
	}
	return n
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
