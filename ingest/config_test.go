package ingest_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/config"
)

func TestConfigValidate(t *testing.T) {
	valid := func() ingest.Config {
		return ingest.Config{Kafka: config.Kafka{Brokers: []string{"127.0.0.1:19092"}}, TopicPrefix: "flavortrend",
			Group: "g", BatchRows: 100, FlushInterval: time.Second, MaxRecord: 1 << 20, RetryMax: time.Second}
	}
	c := valid()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DeadLetter != "flavortrend.dead-letter" {
		t.Errorf("default dead-letter topic = %q", c.DeadLetter)
	}
	if c.Workers != runtime.NumCPU() {
		t.Errorf("default workers = %d, want the number of CPUs %d", c.Workers, runtime.NumCPU())
	}
	for _, tt := range []struct {
		name   string
		mutate func(*ingest.Config)
		want   string
	}{
		{"no brokers", func(c *ingest.Config) { c.Kafka.Brokers = nil }, "-kafka-brokers"},
		{"batch", func(c *ingest.Config) { c.BatchRows = 0 }, "-batch-rows 0"},
		{"interval", func(c *ingest.Config) { c.FlushInterval = time.Millisecond }, "-flush-interval 1ms"},
		{"record", func(c *ingest.Config) { c.MaxRecord = 10 }, "-max-record-bytes 10"},
		{"workers", func(c *ingest.Config) { c.Workers = -1 }, "-workers -1"},
		{"decimal", func(c *ingest.Config) { c.DecimalMode = "base64" }, `-decimal-mode "base64"`},
		{"time", func(c *ingest.Config) { c.TimeUnit = "hours" }, `-time-unit "hours"`},
	} {
		c := valid()
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
}
