// Package settings reads the data source's configuration: jsonData and secureJsonData as the
// config editor and provisioning write them (docs/grafana.md), with the local defaults of
// scripts/services.sh.
package settings

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/flavortrend/flavortrend/internal/config"
)

// Settings are one data source's.
type Settings struct {
	ClickHouse    config.ClickHouse
	PostgresURL   string // with the password of secureJsonData, when set
	KafkaBrokers  []string
	TopicPrefix   string
	DerivedPrefix string
	APIURL        string
	APIToken      string
}

// jsonData is the plain part, as stored by Grafana.
type jsonData struct {
	ClickHouseAddr     string `json:"clickhouseAddr"`
	ClickHouseDatabase string `json:"clickhouseDatabase"`
	ClickHouseUser     string `json:"clickhouseUser"`
	PostgresURL        string `json:"postgresUrl"`
	KafkaBrokers       string `json:"kafkaBrokers"`
	TopicPrefix        string `json:"topicPrefix"`
	DerivedPrefix      string `json:"derivedPrefix"`
	APIURL             string `json:"apiUrl"`
}

// DefaultAPIURL is where make run serves the API.
const DefaultAPIURL = "http://127.0.0.1:8080"

// Load reads the instance settings Grafana passes to the plugin.
func Load(s backend.DataSourceInstanceSettings) (Settings, error) {
	var j jsonData
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &j); err != nil {
			return Settings{}, fmt.Errorf("settings: jsonData: %w", err)
		}
	}
	or := func(v, def string) string {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
		return def
	}
	out := Settings{
		ClickHouse: config.ClickHouse{
			Addr:     or(j.ClickHouseAddr, config.DefaultClickHouseAddr),
			Database: or(j.ClickHouseDatabase, config.DefaultClickHouseDB),
			User:     or(j.ClickHouseUser, "default"),
			Password: s.DecryptedSecureJSONData["clickhousePassword"],
		},
		TopicPrefix:   or(j.TopicPrefix, config.DefaultTopicPrefix),
		DerivedPrefix: strings.TrimSpace(j.DerivedPrefix),
		APIURL:        strings.TrimRight(or(j.APIURL, DefaultAPIURL), "/"),
		APIToken:      s.DecryptedSecureJSONData["apiToken"],
	}
	for _, b := range strings.Split(or(j.KafkaBrokers, config.DefaultKafkaBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			out.KafkaBrokers = append(out.KafkaBrokers, b)
		}
	}
	pg, err := url.Parse(or(j.PostgresURL, config.DefaultPostgresURL))
	if err != nil {
		return Settings{}, fmt.Errorf("settings: postgresUrl: %w", err)
	}
	if pw := s.DecryptedSecureJSONData["postgresPassword"]; pw != "" {
		pg.User = url.UserPassword(pg.User.Username(), pw)
	}
	out.PostgresURL = pg.String()
	if _, err := url.Parse(out.APIURL); err != nil {
		return Settings{}, fmt.Errorf("settings: apiUrl: %w", err)
	}
	return out, nil
}
