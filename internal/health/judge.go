package health

import (
	"fmt"
	"slices"
	"time"
)

// Health is a stage's health word.
type Health string

// The health words, from good to bad.
const (
	OK   Health = "ok"
	Warn Health = "warn"
	Down Health = "down"
)

// Thresholds turn measurements into health words: at or past a warn threshold a stage is
// warn, at or past a down threshold it is down.
type Thresholds struct {
	// FreshnessTables are the mirrors whose freshness is judged: those that change all the
	// time while orders flow. The others (reference data, operator tables) are shown but
	// always ok: an old newest change there is no sign of a stuck pipeline.
	FreshnessTables              []string
	FreshnessWarn, FreshnessDown time.Duration
	LagWarn, LagDown             int64 // records behind, summed over a group's partitions
	SlotLagWarn, SlotLagDown     int64 // bytes of WAL not confirmed by the slot's consumer
	RetainedWarn, RetainedDown   int64 // bytes of WAL kept for the slot
	MAEWarn, MAEDown             time.Duration
}

// Stage is one line of the status screen.
type Stage struct {
	Stage     string `json:"stage"` // connector, slot, group, mirror, dead letters, model
	Name      string `json:"name"`
	Health    Health `json:"health"`
	Lag       string `json:"lag,omitempty"`
	Freshness string `json:"freshness,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

// Judge returns the stages of r in screen order: the connector, the slots, the consumer
// groups, the mirrors' freshness, the dead letters and the models.
func Judge(r Report, th Thresholds) []Stage {
	var out []Stage
	out = append(out, judgeConnector(r.Connector))
	out = append(out, judgeSlots(r.Postgres, th)...)
	out = append(out, judgeGroups(r.Kafka, th)...)
	out = append(out, judgeFreshness(r.Freshness, th)...)
	out = append(out, judgeDeadLetters(r.Kafka)...)
	return append(out, judgeModels(r.Models, th)...)
}

// Worst returns the worst health of the stages, ok for none.
func Worst(stages []Stage) Health {
	worst := OK
	for _, s := range stages {
		worst = worse(worst, s.Health)
	}
	return worst
}

// worse returns the worse of two health words.
func worse(a, b Health) Health {
	if a == Down || b == Down {
		return Down
	}
	if a == Warn || b == Warn {
		return Warn
	}
	return OK
}

// level grades v against its warn and down thresholds.
func level[T int64 | float64](v, warn, down T) Health {
	switch {
	case v >= down:
		return Down
	case v >= warn:
		return Warn
	}
	return OK
}

func judgeConnector(c ConnectorReport) Stage {
	s := Stage{Stage: "connector", Name: c.Name, Health: OK}
	running := 0
	for _, t := range c.Tasks {
		if t.State == "RUNNING" {
			running++
		}
	}
	switch {
	case c.Error != "":
		s.Health, s.Detail = Down, c.Error
	case !c.Registered:
		s.Health, s.Detail = Down, "not registered (flavortrend cdc register)"
	case c.Up():
		s.Detail = fmt.Sprintf("RUNNING, %d/%d tasks running", running, len(c.Tasks))
	default:
		s.Health = Warn
		failed := c.State == "FAILED" || c.Failure != ""
		if failed || len(c.Tasks) == 0 {
			s.Health = Down
		}
		s.Detail = fmt.Sprintf("%s, %d/%d tasks running", c.State, running, len(c.Tasks))
		if c.Failure != "" {
			s.Detail += ": " + c.Failure
		}
	}
	return s
}

func judgeSlots(p PostgresReport, th Thresholds) []Stage {
	if p.Error != "" {
		return []Stage{{Stage: "slot", Name: "postgres", Health: Down, Detail: p.Error}}
	}
	out := make([]Stage, 0, len(p.Slots))
	for _, sl := range p.Slots {
		s := Stage{Stage: "slot", Name: sl.Name, Health: Down, Detail: "no such replication slot"}
		if sl.Found {
			s.Health = worse(level(sl.LagBytes, th.SlotLagWarn, th.SlotLagDown), level(sl.RetainedBytes, th.RetainedWarn, th.RetainedDown))
			s.Lag = BytesText(sl.LagBytes)
			s.Detail = "active, " + BytesText(sl.RetainedBytes) + " of WAL retained"
			if !sl.Active {
				s.Health, s.Detail = Down, "inactive (no consumer), "+BytesText(sl.RetainedBytes)+" of WAL retained"
			}
		}
		out = append(out, s)
	}
	return out
}

func judgeGroups(k KafkaReport, th Thresholds) []Stage {
	if k.Error != "" {
		return []Stage{{Stage: "group", Name: "kafka", Health: Down, Detail: k.Error}}
	}
	out := make([]Stage, 0, len(k.Groups))
	for _, g := range k.Groups {
		s := Stage{Stage: "group", Name: g.Name, Health: level(g.Lag, th.LagWarn, th.LagDown),
			Lag: fmt.Sprintf("%d records", g.Lag)}
		switch {
		case g.Error != "":
			s.Health, s.Lag, s.Detail = Down, "", g.Error
		case g.State == "Dead" || g.State == "":
			s.Health, s.Lag, s.Detail = Down, "", "unknown group: never joined, nothing committed"
		case g.Members == 0:
			s.Health, s.Detail = Down, fmt.Sprintf("no member (%s): its consumers are stopped", g.State)
		default:
			s.Detail = fmt.Sprintf("%s, %d members, %d partitions", g.State, g.Members, len(g.Partitions))
		}
		out = append(out, s)
	}
	return out
}

func judgeFreshness(f FreshnessReport, th Thresholds) []Stage {
	if f.Error != "" {
		return []Stage{{Stage: "mirror", Name: "clickhouse", Health: Down, Detail: f.Error}}
	}
	out := make([]Stage, 0, len(f.Tables))
	for _, t := range f.Tables {
		judged := slices.Contains(th.FreshnessTables, t.Table)
		s := Stage{Stage: "mirror", Name: t.Table, Health: OK, Freshness: "-", Detail: "no row yet"}
		if t.Seconds != nil {
			s.Freshness = durationText(*t.Seconds)
			s.Detail = "newest commit " + t.Newest.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
			if judged {
				s.Health = level(*t.Seconds, th.FreshnessWarn.Seconds(), th.FreshnessDown.Seconds())
			}
		} else if judged {
			s.Health = Warn
		}
		if !judged {
			s.Detail += " (not judged: changes only now and then)"
		}
		out = append(out, s)
	}
	return out
}

func judgeDeadLetters(k KafkaReport) []Stage {
	if k.Error != "" {
		return []Stage{{Stage: "dead letters", Name: "kafka", Health: Down, Detail: k.Error}}
	}
	window := durationText(float64(k.DeadLetterWindowSeconds))
	var out []Stage
	for _, t := range k.Topics {
		if t.Kind != KindDeadLetter {
			continue
		}
		s := Stage{Stage: "dead letters", Name: t.Name, Health: OK,
			Detail: fmt.Sprintf("%d in the last %s, %d in all", t.Recent, window, t.Records)}
		switch {
		case t.Missing:
			s.Health, s.Detail = Warn, "no such topic: the stage that writes it has not run yet"
		case t.Recent > 0:
			s.Health = Warn
		}
		out = append(out, s)
	}
	return out
}

func judgeModels(m ModelReport, th Thresholds) []Stage {
	window := durationText(float64(m.WindowSeconds))
	switch {
	case m.Error != "":
		return []Stage{{Stage: "model", Name: "clickhouse", Health: Down, Detail: m.Error}}
	case len(m.Models) == 0:
		return []Stage{{Stage: "model", Name: "-", Health: Warn, Detail: "no delivery with a prediction in the last " + window}}
	}
	out := make([]Stage, 0, len(m.Models))
	for _, mo := range m.Models {
		out = append(out, Stage{Stage: "model", Name: mo.Version,
			Health: level(mo.MAESeconds, th.MAEWarn.Seconds(), th.MAEDown.Seconds()),
			Detail: fmt.Sprintf("MAE %s over %d deliveries in the last %s", durationText(mo.MAESeconds), mo.Deliveries, window)})
	}
	return out
}
