package config_test

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flavortrend/flavortrend/internal/config"
)

// TestComposeMatchesDefaults keeps compose.yaml and the CLI defaults in step: the stack
// publishes on loopback the very ports the CLI uses without flags, PostgreSQL runs with
// logical decoding, and every pipeline service is there.
func TestComposeMatchesDefaults(t *testing.T) {
	b, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			Ports   []string `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, s := range []string{"postgres", "clickhouse", "kafka", "connect", "setup", "ingest", "enrich", "api", "generate"} {
		if _, ok := doc.Services[s]; !ok {
			t.Errorf("compose.yaml has no %s service", s)
		}
	}
	pg := doc.Services["postgres"]
	if !strings.HasPrefix(pg.Image, "postgres:16") || !slices.Contains(pg.Command, "wal_level=logical") {
		t.Errorf("postgres service = %s %v, want postgres:16 with wal_level=logical", pg.Image, pg.Command)
	}
	u, err := url.Parse(config.DefaultPostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	published := func(service, hostPort string) {
		t.Helper()
		for _, p := range doc.Services[service].Ports {
			if strings.HasPrefix(p, hostPort+":") {
				return
			}
		}
		t.Errorf("%s does not publish %s (ports %v)", service, hostPort, doc.Services[service].Ports)
	}
	published("postgres", "127.0.0.1:"+u.Port())
	published("clickhouse", config.DefaultClickHouseAddr)
	published("kafka", config.DefaultKafkaBrokers)
	c, _ := url.Parse(config.DefaultConnectURL)
	published("connect", c.Host)
}
