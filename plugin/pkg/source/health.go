package source

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// healthTimeout bounds each check.
const healthTimeout = 5 * time.Second

// check is one service's health, as shown in the data source's settings page.
type check struct {
	Service string `json:"service"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// CheckHealth checks ClickHouse (reachable, the schema migrated), PostgreSQL and Kafka
// (reachable, the CDC topic there), and says what to do about what is wrong.
func (in *Instance) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	checks := []check{in.checkClickHouse(ctx), in.checkPostgres(ctx), in.checkKafka(ctx)}
	res := &backend.CheckHealthResult{Status: backend.HealthStatusOk}
	var bad, good []string
	for _, c := range checks {
		if c.OK {
			good = append(good, c.Message)
		} else {
			bad = append(bad, c.Message)
			res.Status = backend.HealthStatusError
		}
	}
	if len(bad) > 0 {
		res.Message = strings.Join(bad, " ")
	} else {
		res.Message = strings.Join(good, " ")
	}
	res.JSONDetails, _ = json.Marshal(map[string]any{"checks": checks})
	return res, nil
}

func (in *Instance) checkClickHouse(ctx context.Context) check {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	c := in.settings.ClickHouse
	if err := in.ch.Ping(ctx); err != nil {
		return check{"clickhouse", false, fmt.Sprintf("ClickHouse at %s does not answer (%s): check the address, user and password in these settings, and that the server runs.", c.Addr, oneLine(err))}
	}
	var n uint64
	if err := in.ch.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name IN ('orders', 'city_pressure', 'id_bounds_state')`,
		c.Database).Scan(&n); err != nil {
		return check{"clickhouse", false, fmt.Sprintf("ClickHouse at %s: %s.", c.Addr, oneLine(err))}
	}
	if n < 3 {
		return check{"clickhouse", false, fmt.Sprintf("ClickHouse at %s has no Flavor Trend tables in database %q: run `flavortrend migrate`, or fix the database name.", c.Addr, c.Database)}
	}
	return check{"clickhouse", true, fmt.Sprintf("ClickHouse %s/%s is ready.", c.Addr, c.Database)}
}

func (in *Instance) checkPostgres(ctx context.Context) check {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	host := in.pg.Config().ConnConfig.Host
	if err := in.pg.Ping(ctx); err != nil {
		return check{"postgresql", false, fmt.Sprintf("PostgreSQL at %s does not answer (%s): scenarios, acknowledgements and operator actions need it; check the URL and password.", host, oneLine(err))}
	}
	return check{"postgresql", true, fmt.Sprintf("PostgreSQL %s is ready.", host)}
}

func (in *Instance) checkKafka(ctx context.Context) check {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	brokers := strings.Join(in.settings.KafkaBrokers, ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(in.settings.KafkaBrokers...))
	if err != nil {
		return check{"kafka", false, fmt.Sprintf("Kafka brokers %q: %s.", brokers, oneLine(err))}
	}
	defer cl.Close()
	topic := in.settings.TopicPrefix + ".public.orders"
	md, err := kadm.NewClient(cl).Metadata(ctx, topic)
	switch {
	case err != nil:
		return check{"kafka", false, fmt.Sprintf("Kafka at %s does not answer (%s): live panels need it; check the brokers.", brokers, oneLine(err))}
	case md.Topics[topic].Err != nil:
		return check{"kafka", false, fmt.Sprintf("Kafka at %s has no topic %s (%s): register the CDC connector (`flavortrend cdc register`) or fix the topic prefix.", brokers, topic, oneLine(md.Topics[topic].Err))}
	}
	return check{"kafka", true, fmt.Sprintf("Kafka %s is ready.", brokers)}
}

// oneLine is an error's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
