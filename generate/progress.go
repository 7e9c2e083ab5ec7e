package generate

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/flavortrend/flavortrend/internal/calendar"
)

// progress writes a status line every progressTick of wall time: simulated time, orders
// placed, delivered and cancelled, open orders and the placement rate over the last
// interval in orders per simulated minute. On a terminal the line is rewritten in place
// (carriage return); elsewhere each update is a line of its own.
type progress struct {
	w          io.Writer
	tty        bool
	last       time.Time // wall time of the last line
	lastSim    time.Time
	lastPlaced int64
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, last: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) tick(s *sim) {
	if p.w == nil || time.Since(p.last) < progressTick {
		return
	}
	p.print(s)
}

// done prints the final line.
func (p *progress) done(s *sim) {
	if p.w == nil {
		return
	}
	p.print(s)
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) print(s *sim) {
	if p.lastSim.IsZero() {
		p.lastSim = s.cfg.Start
	}
	rate := 0.0
	if d := s.now.Sub(p.lastSim).Minutes(); d > 0 {
		rate = float64(s.stats.Placed-p.lastPlaced) / d
	}
	open := 0
	for _, c := range s.w.cities {
		open += c.open
	}
	line := fmt.Sprintf("sim %s  placed %d  delivered %d  cancelled %d  open %d  rate %.1f/min",
		s.now.In(calendar.Tunis).Format("2006-01-02 15:04:05"), s.stats.Placed, s.stats.Delivered,
		s.stats.Cancelled, open, rate)
	if p.tty {
		fmt.Fprintf(p.w, "\r%-100s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.last, p.lastSim, p.lastPlaced = time.Now(), s.now, s.stats.Placed
}
