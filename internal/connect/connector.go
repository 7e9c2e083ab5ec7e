package connect

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flavortrend/flavortrend/internal/topics"
)

// Tables are the PostgreSQL tables captured by CDC (SPEC §2; customers is not captured),
// and the operators' alert acknowledgements and city mutes (sql/postgres/0002), which a
// replay shows. cdc_heartbeat is captured too: the connector's heartbeat writes it so that
// an idle database still moves the slot forward.
var Tables = []string{
	"cities", "restaurants", "menu_items", "couriers", "orders", "order_items", "order_reviews",
	"weather_observations", "courier_positions", "simulation_flags", "operator_actions",
	"alert_acks", "city_mutes",
}

const heartbeatTable = "cdc_heartbeat"

// Reference are the tables whose topics state is rebuilt from (SPEC §3): the enricher's
// dimensions and the ingester's reference mirrors. Their topics are compacted, and so is
// the weather's, keyed by city (its latest observation per city is the dimension).
var Reference = []string{"cities", "restaurants", "menu_items", "couriers"}

// rebuiltFrom are the tables of the compacted topics: Reference and weather_observations.
func rebuiltFrom() []string {
	return append(append([]string(nil), Reference...), "weather_observations")
}

// Connector describes the Debezium PostgreSQL connector of one deployment.
type Connector struct {
	Name        string        // connector name in Kafka Connect
	TopicPrefix string        // topics are <prefix>.public.<table>; never change it once data flows
	DatabaseURL string        // postgres://user[:password]@host:port/db as the Connect worker reaches it
	Slot        string        // replication slot name
	Publication string        // publication name
	Heartbeat   time.Duration // heartbeat interval; 0 disables it
	Partitions  int           // partitions of the topics Connect creates
}

// RebuiltTopics are the CDC topics that must be compacted, with their policy, for
// topics.Ensure: the topics of a running installation are migrated by cdc register.
func (c Connector) RebuiltTopics() []topics.Spec {
	var specs []topics.Spec
	for _, t := range rebuiltFrom() {
		specs = append(specs, topics.Spec{Name: c.Topic(t), Partitions: int32(c.Partitions), Policy: topics.Compacted(topics.History)})
	}
	return specs
}

// Topic returns the CDC topic of a table.
func (c Connector) Topic(table string) string { return c.TopicPrefix + ".public." + table }

// HeartbeatTopic is where the connector's heartbeat records go.
func (c Connector) HeartbeatTopic() string { return "__debezium-heartbeat." + c.TopicPrefix }

// Config returns the connector configuration, pinned to the wire format the ingester
// decodes (SPEC §3): JSON without schemas, decimals as strings, timestamps in microseconds
// (TIMESTAMPTZ always arrives as an ISO-8601 string in UTC), tombstones after deletes.
func (c Connector) Config() (map[string]string, error) {
	// pollIntervalMs is how long the connector's task sleeps when its queue of changes is
	// empty (Debezium's default is 500 ms): it bounds the latency a quiet moment adds.
	const pollIntervalMs = 50
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("connector database url: %w", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	db := strings.TrimPrefix(u.Path, "/")
	if u.User == nil || u.User.Username() == "" || db == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("connector database url must name user, host and database")
	}
	password, _ := u.User.Password()
	include := make([]string, 0, len(Tables)+1)
	for _, t := range append(append([]string(nil), Tables...), heartbeatTable) {
		include = append(include, "public."+t)
	}
	rebuilt := make([]string, 0, len(rebuiltFrom()))
	for _, t := range rebuiltFrom() {
		rebuilt = append(rebuilt, regexp.QuoteMeta(c.Topic(t)))
	}
	cfg := map[string]string{
		"connector.class":                           "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":                                 "1",
		"database.hostname":                         u.Hostname(),
		"database.port":                             port,
		"database.user":                             u.User.Username(),
		"database.password":                         password,
		"database.dbname":                           db,
		"topic.prefix":                              c.TopicPrefix,
		"plugin.name":                               "pgoutput",
		"slot.name":                                 c.Slot,
		"publication.name":                          c.Publication,
		"publication.autocreate.mode":               "filtered",
		"table.include.list":                        strings.Join(include, ","),
		"snapshot.mode":                             "initial",
		"decimal.handling.mode":                     "string",
		"time.precision.mode":                       "adaptive_time_microseconds",
		"tombstones.on.delete":                      "true",
		"poll.interval.ms":                          strconv.Itoa(pollIntervalMs),
		"key.converter":                             "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":              "false",
		"value.converter":                           "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable":            "false",
		"topic.creation.default.partitions":         strconv.Itoa(c.Partitions),
		"topic.creation.default.replication.factor": "1",
		"topic.creation.default.retention.ms":       strconv.FormatInt(topics.History.Milliseconds(), 10),
		// The topics state is rebuilt from keep the latest record per key for ever, and every
		// record for 7 days (package topics). The weather's key is its city, so that its
		// compacted topic keeps each city's latest observation.
		"topic.creation.groups":                     "rebuilt",
		"topic.creation.rebuilt.include":            strings.Join(rebuilt, ","),
		"topic.creation.rebuilt.partitions":         strconv.Itoa(c.Partitions),
		"topic.creation.rebuilt.replication.factor": "1",
		"message.key.columns":                       "public.weather_observations:city_id",
	}
	for k, v := range topics.Compacted(topics.History) {
		cfg["topic.creation.rebuilt."+k] = v
	}
	if c.Heartbeat > 0 {
		cfg["heartbeat.interval.ms"] = strconv.FormatInt(c.Heartbeat.Milliseconds(), 10)
		cfg["heartbeat.action.query"] = "INSERT INTO " + heartbeatTable + " (id, beat_at) VALUES (1, now()) " +
			"ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at"
	}
	return cfg, nil
}
