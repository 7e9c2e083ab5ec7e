package health

import (
	"fmt"
	"math"
)

// BytesText is n bytes for a reader: 512 B, 3.2 KiB, 64.0 MiB, 1.5 GiB.
func BytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// durationText is a number of seconds for a reader: 0.8s, 42s, 3m12s, 10m, 2h05m, 1h, 3d04h.
func durationText(secs float64) string {
	neg := ""
	if secs < 0 {
		neg, secs = "-", -secs
	}
	s := int64(math.Round(secs))
	switch {
	case secs < 10:
		return fmt.Sprintf("%s%.1fs", neg, secs)
	case s < 60:
		return fmt.Sprintf("%s%ds", neg, s)
	case s < 3600 && s%60 == 0:
		return fmt.Sprintf("%s%dm", neg, s/60)
	case s < 3600:
		return fmt.Sprintf("%s%dm%02ds", neg, s/60, s%60)
	case s < 86400 && s%3600 == 0:
		return fmt.Sprintf("%s%dh", neg, s/3600)
	case s < 86400:
		return fmt.Sprintf("%s%dh%02dm", neg, s/3600, s%3600/60)
	}
	return fmt.Sprintf("%s%dd%02dh", neg, s/86400, s%86400/3600)
}
