package health

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Render writes the status screen: a header with the worst health, the stages, then the
// pipeline's topics with their records, and their records per second since prev when prev
// is given (a watch's previous report).
func Render(w io.Writer, r Report, stages []Stage, prev *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "flavortrend status at %s: %s\n\n", r.At.UTC().Format("2006-01-02 15:04:05 UTC"), Worst(stages))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tNAME\tHEALTH\tLAG\tFRESHNESS\tDETAIL")
	for _, s := range stages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Stage, s.Name, s.Health, dash(s.Lag), dash(s.Freshness), s.Detail)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("status screen: %w", err)
	}
	if len(r.Kafka.Topics) > 0 {
		before := map[string]int64{}
		var secs float64
		if prev != nil {
			secs = r.At.Sub(prev.At).Seconds()
			for _, t := range prev.Kafka.Topics {
				before[t.Name] = t.Records
			}
		}
		b.WriteString("\n")
		fmt.Fprintln(tw, "TOPIC\tKIND\tRECORDS\tRATE")
		for _, t := range r.Kafka.Topics {
			if t.Missing {
				continue
			}
			rate := "-"
			if n, ok := before[t.Name]; ok && secs > 0 {
				rate = fmt.Sprintf("%.1f/s", float64(t.Records-n)/secs)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", t.Name, t.Kind, t.Records, rate)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("status screen: %w", err)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("status screen: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// jsonReport is the report as JSON: the measurements, then the stages' health.
type jsonReport struct {
	Report
	Health Health  `json:"health"`
	Stages []Stage `json:"stages"`
}

// WriteJSON writes the report and its stages as one JSON document, indented or on one line.
func WriteJSON(w io.Writer, r Report, stages []Stage, indent bool) error {
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(jsonReport{Report: r, Health: Worst(stages), Stages: stages}); err != nil {
		return fmt.Errorf("status json: %w", err)
	}
	return nil
}
