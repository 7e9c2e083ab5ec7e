package health

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// kafkaReport lists the pipeline's topics with their record counts and the consumer
// groups with their lag.
func (c *Collector) kafkaReport(ctx context.Context, now time.Time) KafkaReport {
	r := KafkaReport{DeadLetterWindowSeconds: int64(c.cfg.DeadLetterWindow / time.Second)}
	var err error
	if r.Topics, err = c.topics(ctx, now); err == nil {
		r.Groups, err = c.groups(ctx)
	}
	if err != nil {
		return KafkaReport{Error: errText(err), DeadLetterWindowSeconds: r.DeadLetterWindowSeconds}
	}
	return r
}

var kindOrder = map[string]int{KindCDC: 0, KindDerived: 1, KindDeadLetter: 2}

// topics returns the CDC topics, the derived topics that exist and every dead-letter topic,
// with the sum of their end offsets; for the dead letters, also the records written since
// now − DeadLetterWindow.
func (c *Collector) topics(ctx context.Context, now time.Time) ([]Topic, error) {
	listed, err := c.adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafka list topics: %w", err)
	}
	kinds := map[string]string{}
	for _, name := range listed.Names() {
		if strings.HasPrefix(name, c.cfg.CDCPrefix+".public.") {
			kinds[name] = KindCDC
		}
	}
	for _, name := range c.cfg.Derived {
		if listed.Has(name) {
			kinds[name] = KindDerived
		}
	}
	var dead []string
	for _, name := range c.cfg.DeadLetters {
		if listed.Has(name) {
			kinds[name] = KindDeadLetter
			dead = append(dead, name)
		}
	}
	names := make([]string, 0, len(kinds))
	for name := range kinds {
		names = append(names, name)
	}
	records := map[string]int64{}
	if len(names) > 0 {
		ends, err := c.adm.ListEndOffsets(ctx, names...)
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("kafka end offsets: %w", err)
		}
		for _, ps := range ends {
			for _, o := range ps {
				records[o.Topic] += o.Offset
			}
		}
	}
	recent := map[string]int64{}
	if len(dead) > 0 {
		after, err := c.adm.ListOffsetsAfterMilli(ctx, now.Add(-c.cfg.DeadLetterWindow).UnixMilli(), dead...)
		if err == nil {
			err = after.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("kafka dead-letter offsets: %w", err)
		}
		for _, ps := range after {
			for _, o := range ps {
				recent[o.Topic] -= o.Offset // the first offset of the window: the end offset when none is newer
			}
		}
		for _, name := range dead {
			recent[name] += records[name]
		}
	}
	out := make([]Topic, 0, len(names)+len(c.cfg.DeadLetters))
	for _, name := range names {
		out = append(out, Topic{Name: name, Kind: kinds[name], Records: records[name], Recent: recent[name]})
	}
	for _, name := range c.cfg.DeadLetters {
		if _, ok := kinds[name]; !ok {
			out = append(out, Topic{Name: name, Kind: KindDeadLetter, Missing: true})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if ki, kj := kindOrder[out[i].Kind], kindOrder[out[j].Kind]; ki != kj {
			return ki < kj
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// groups describes the configured groups with their lag.
func (c *Collector) groups(ctx context.Context) ([]Group, error) {
	if len(c.cfg.Groups) == 0 {
		return nil, nil // Lag of no group would describe every group
	}
	lags, err := c.adm.Lag(ctx, c.cfg.Groups...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer groups: %w", err)
	}
	out := make([]Group, 0, len(c.cfg.Groups))
	for _, name := range c.cfg.Groups {
		l, ok := lags[name]
		g := Group{Name: name, State: l.State, Members: len(l.Members)}
		switch {
		case !ok:
			g.Error = "not described"
		case errors.Is(l.DescribeErr, kerr.GroupIDNotFound):
			g.State = "Dead" // Kafka 4 answers so for a group it does not know
		case l.Error() != nil:
			g.Error = errText(fmt.Errorf("group %s: %w", name, l.Error()))
		}
		for _, p := range l.Lag.Sorted() {
			if errors.Is(p.Err, kerr.UnknownTopicOrPartition) {
				continue // offsets committed to a topic deleted since
			}
			if p.Err != nil {
				g.Error = errText(fmt.Errorf("group %s lag of %s/%d: %w", name, p.Topic, p.Partition, p.Err))
				continue
			}
			g.Lag += p.Lag
			g.Partitions = append(g.Partitions, PartitionLag{Topic: p.Topic, Partition: p.Partition,
				End: p.End.Offset, Committed: p.Commit.At, Lag: p.Lag})
		}
		out = append(out, g)
	}
	return out, nil
}
