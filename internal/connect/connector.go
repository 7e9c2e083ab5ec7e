package connect

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
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
		"topic.creation.default.retention.ms":       strconv.FormatInt((7 * 24 * time.Hour).Milliseconds(), 10),
	}
	if c.Heartbeat > 0 {
		cfg["heartbeat.interval.ms"] = strconv.FormatInt(c.Heartbeat.Milliseconds(), 10)
		cfg["heartbeat.action.query"] = "INSERT INTO " + heartbeatTable + " (id, beat_at) VALUES (1, now()) " +
			"ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at"
	}
	return cfg, nil
}
