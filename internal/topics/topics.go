// Package topics says how long each Kafka topic of the pipeline keeps its records (SPEC §3)
// and creates the topics with that policy, or migrates an existing topic to it.
//
// Two kinds of topic: history, deleted after a retention (the hot CDC tables, the derived
// facts, the dead letters), and topics that some process rebuilds state from at start (the
// CDC topics of the reference tables, the enrichers' replicated dimensions and changelogs),
// which are compacted: they keep the latest record per key for ever, so that a restart after
// any length of downtime rebuilds the same state as one after a minute. A compacted topic
// whose records are also ingested as history keeps every record for History first
// (min.compaction.lag.ms), and a delete's tombstone as long (delete.retention.ms), so that a
// consumer that was stopped for less than that still sees every version and every delete.
package topics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// History is how long every record of a topic is kept: the retention of the history topics
// and the compaction lag of the compacted ones that are ingested (SPEC §3: 7 days).
const History = 7 * 24 * time.Hour

// DeadLetterRetention keeps dead letters 30 days (SPEC §3).
const DeadLetterRetention = 30 * 24 * time.Hour

// Policy is a topic's retention as topic configs.
type Policy map[string]string

// Deleted keeps every record for d, then deletes it.
func Deleted(d time.Duration) Policy {
	return Policy{"cleanup.policy": "delete", "retention.ms": ms(d)}
}

// Compacted keeps the latest record per key for ever and, with history > 0, every record
// and every tombstone for at least history.
func Compacted(history time.Duration) Policy {
	p := Policy{"cleanup.policy": "compact"}
	if history > 0 {
		p["min.compaction.lag.ms"] = ms(history)
		p["delete.retention.ms"] = ms(history)
	}
	return p
}

// Compacts reports whether the policy compacts.
func (p Policy) Compacts() bool { return p["cleanup.policy"] == "compact" }

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// Spec is a topic as the pipeline wants it.
type Spec struct {
	Name       string
	Partitions int32
	Policy     Policy
}

// Ensure creates the topics that do not exist, with their policy, and migrates every
// existing topic whose policy compacts: a config that differs is set, and the change logged.
// The configs of an existing history topic are left alone (an operator may have lengthened
// its retention), but one that should compact and does not is migrated: it is a topic that
// state is rebuilt from, and with delete retention it would lose its oldest records for good.
func Ensure(ctx context.Context, adm *kadm.Client, log *slog.Logger, specs ...Spec) error {
	var existing []Spec
	for _, s := range specs {
		configs := map[string]*string{}
		for k, v := range s.Policy {
			configs[k] = &v
		}
		res, err := adm.CreateTopic(ctx, s.Partitions, -1, configs, s.Name)
		if err == nil {
			err = res.Err
		}
		switch {
		case errors.Is(err, kerr.TopicAlreadyExists):
			if s.Policy.Compacts() {
				existing = append(existing, s)
			}
		case err != nil:
			return fmt.Errorf("create topic %s: %w", s.Name, err)
		}
	}
	return migrate(ctx, adm, log, existing)
}

// migrate sets the configs of existing topics that differ from their policy.
func migrate(ctx context.Context, adm *kadm.Client, log *slog.Logger, specs []Spec) error {
	if len(specs) == 0 {
		return nil
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	described, err := describe(ctx, adm, names)
	if err != nil {
		return err
	}
	for _, s := range specs {
		rc := described[s.Name]
		have := map[string]string{}
		for _, c := range rc.Configs {
			if c.Value != nil {
				have[c.Key] = *c.Value
			}
		}
		var alter []kadm.AlterConfig
		for _, k := range slices.Sorted(maps.Keys(s.Policy)) {
			if v := s.Policy[k]; have[k] != v {
				alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
				log.Info("topic config migrated", "topic", s.Name, "config", k, "from", have[k], "to", v)
			}
		}
		if len(alter) == 0 {
			continue
		}
		res, err := adm.AlterTopicConfigs(ctx, alter, s.Name)
		var r kadm.AlterConfigsResponse
		if err == nil {
			r, err = res.On(s.Name, nil)
		}
		if err == nil {
			err = r.Err
		}
		if err != nil {
			return fmt.Errorf("migrate topic %s to %v: %w", s.Name, s.Policy, err)
		}
	}
	return nil
}

// describe reads the configs of existing topics. A topic that another process has just
// created (another instance starting at the same moment, or Connect) can be unknown to the
// broker answering for a moment: it is asked again, for up to describeFor.
func describe(ctx context.Context, adm *kadm.Client, names []string) (map[string]kadm.ResourceConfig, error) {
	out := map[string]kadm.ResourceConfig{}
	deadline := time.Now().Add(describeFor)
	for {
		described, err := adm.DescribeTopicConfigs(ctx, names...)
		if err != nil {
			return nil, fmt.Errorf("describe topics: %w", err)
		}
		var retry []string
		for _, name := range names {
			rc, err := described.On(name, nil)
			if err == nil {
				err = rc.Err
			}
			switch {
			case errors.Is(err, kerr.UnknownTopicOrPartition) && time.Now().Before(deadline):
				retry = append(retry, name)
			case err != nil:
				return nil, fmt.Errorf("describe topic %s: %w", name, err)
			default:
				out[name] = rc
			}
		}
		if len(retry) == 0 {
			return out, nil
		}
		names = retry
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// describeFor bounds the wait for a topic just created elsewhere to be known.
const describeFor = 10 * time.Second
