package config

// Defaults match the local services started by scripts/services.sh; compose.yaml publishes
// the same ports, so the CLI reaches either without flags.
const (
	DefaultPostgresURL    = "postgres://flavortrend@127.0.0.1:15432/flavortrend?sslmode=disable"
	DefaultClickHouseAddr = "127.0.0.1:19000"
	DefaultClickHouseDB   = "flavortrend"
	DefaultKafkaBrokers   = "127.0.0.1:19092"
	DefaultConnectURL     = "http://127.0.0.1:18083"
	DefaultTopicPrefix    = "flavortrend"
)

// Postgres is the operational database.
type Postgres struct {
	URL string
}

// Bind registers the -pg-url flag.
func (p *Postgres) Bind(f *Flags) {
	f.String(&p.URL, "pg-url", "FT_PG_URL", DefaultPostgresURL, "PostgreSQL connection URL of the operational database")
}

// ClickHouse is the analytics store, reached over the native protocol.
type ClickHouse struct {
	Addr     string
	Database string
	User     string
	Password string
}

// Bind registers the -ch-* flags.
func (c *ClickHouse) Bind(f *Flags) {
	f.String(&c.Addr, "ch-addr", "FT_CH_ADDR", DefaultClickHouseAddr, "ClickHouse native-protocol address host:port")
	f.String(&c.Database, "ch-database", "FT_CH_DATABASE", DefaultClickHouseDB, "ClickHouse database")
	f.String(&c.User, "ch-user", "FT_CH_USER", "default", "ClickHouse user")
	f.Secret(&c.Password, "ch-password", "FT_CH_PASSWORD", "ClickHouse password (prefer the environment variable)")
}

// Kafka is the broker list.
type Kafka struct {
	Brokers []string
}

// Bind registers the -kafka-brokers flag.
func (k *Kafka) Bind(f *Flags) {
	f.List(&k.Brokers, "kafka-brokers", "FT_KAFKA_BROKERS", DefaultKafkaBrokers, "Kafka bootstrap brokers, comma-separated")
}
