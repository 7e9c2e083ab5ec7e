package dashboards

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The provisioning files and the grafana service of compose.yaml must agree with the
// dashboards: the data source they query, where the dashboards are read from.

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type datasourcesFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name           string            `yaml:"name"`
		Type           string            `yaml:"type"`
		UID            string            `yaml:"uid"`
		Access         string            `yaml:"access"`
		IsDefault      bool              `yaml:"isDefault"`
		Editable       bool              `yaml:"editable"`
		JSONData       map[string]string `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

type dashboardsFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name    string `yaml:"name"`
		Folder  string `yaml:"folder"`
		Type    string `yaml:"type"`
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Restart     string            `yaml:"restart"`
}

func TestProvisionedDataSourceIsTheOneTheDashboardsQuery(t *testing.T) {
	var f datasourcesFile
	readYAML(t, "provisioning/datasources/flavortrend.yaml", &f)
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		t.Fatalf("want apiVersion 1 and one data source, got %d and %d", f.APIVersion, len(f.Datasources))
	}
	ds := f.Datasources[0]
	if ds.Access != "proxy" || !ds.IsDefault || ds.Editable {
		t.Errorf("access %q, isDefault %v, editable %v; want proxy, true, false", ds.Access, ds.IsDefault, ds.Editable)
	}

	// Every reference of the dashboards to a data source other than Prometheus and Tempo
	// (checked by observability_test.go) names this one.
	for _, d := range generate(t) {
		for _, ref := range dataSourceRefs(d.json) {
			uid, typ := str(ref["uid"]), str(ref["type"])
			if uid == prometheusUID || uid == tempoUID {
				continue
			}
			if uid != ds.UID || typ != ds.Type {
				t.Errorf("%s queries data source %s (%s); provisioned: %s (%s)", d.name, uid, typ, ds.UID, ds.Type)
			}
		}
	}

	// The settings of docs/grafana.md, each from the environment.
	jsonKeys := []string{"clickhouseAddr", "clickhouseDatabase", "clickhouseUser", "postgresUrl", "kafkaBrokers",
		"topicPrefix", "derivedPrefix", "apiUrl"}
	secureKeys := []string{"clickhousePassword", "postgresPassword", "apiToken"}
	checkKeys(t, "jsonData", ds.JSONData, jsonKeys)
	checkKeys(t, "secureJsonData", ds.SecureJSONData, secureKeys)
}

func checkKeys(t *testing.T, what string, got map[string]string, want []string) {
	t.Helper()
	var keys []string
	for k, v := range got {
		keys = append(keys, k)
		if !envRef.MatchString(v) {
			t.Errorf("%s.%s = %q, want a value from the environment", what, k, v)
		}
	}
	slices.Sort(keys)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(keys, want) {
		t.Errorf("%s keys %v, want %v", what, keys, want)
	}
}

// envRef is an environment variable as Grafana's provisioning expands it: $VAR or ${VAR}.
var envRef = regexp.MustCompile(`^\$(?:\{([A-Z0-9_]+)\}|([A-Z0-9_]+))$`)

func TestComposeMountsWhatProvisioningReads(t *testing.T) {
	var dashboards dashboardsFile
	readYAML(t, "provisioning/dashboards/flavortrend.yaml", &dashboards)
	if dashboards.APIVersion != 1 || len(dashboards.Providers) != 1 {
		t.Fatalf("want apiVersion 1 and one provider, got %d and %d", dashboards.APIVersion, len(dashboards.Providers))
	}
	provider := dashboards.Providers[0]
	if provider.Type != "file" || provider.Folder != "Flavor Trend" {
		t.Errorf("provider type %q folder %q, want file and Flavor Trend", provider.Type, provider.Folder)
	}

	var compose composeFile
	readYAML(t, "compose.yaml", &compose)
	grafana, ok := compose.Services["grafana"]
	if !ok {
		t.Fatal("compose.yaml has no grafana service")
	}
	mounts := map[string]string{} // container path → host path
	for _, v := range grafana.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("volume %q is not host:container", v)
			continue
		}
		mounts[parts[1]] = parts[0]
	}
	for container, host := range map[string]string{
		provider.Options.Path:                  "./dashboards/json",
		"/etc/grafana/provisioning":            "./provisioning",
		"/var/lib/grafana/plugins/" + pluginID: "./plugin/dist",
	} {
		if mounts[container] != host {
			t.Errorf("compose mounts %q at %s, want %s", mounts[container], container, host)
		}
	}
	if !slices.Contains(strings.Split(grafana.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"], ","), pluginID) {
		t.Errorf("GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS does not allow %s", pluginID)
	}

	// Every variable the data source reads is set in the grafana service.
	var ds datasourcesFile
	readYAML(t, "provisioning/datasources/flavortrend.yaml", &ds)
	for _, settings := range []map[string]string{ds.Datasources[0].JSONData, ds.Datasources[0].SecureJSONData} {
		for key, value := range settings {
			m := envRef.FindStringSubmatch(value)
			if m == nil {
				continue // reported by TestProvisionedDataSourceIsTheOneTheDashboardsQuery
			}
			if _, set := grafana.Environment[m[1]+m[2]]; !set {
				t.Errorf("%s reads %s, which the grafana service does not set", key, m[1]+m[2])
			}
		}
	}
}

// dataSourceRefs are the data source references of a dashboard: of panels, targets,
// annotations and variables.
func dataSourceRefs(d map[string]any) []map[string]any {
	var refs []map[string]any
	add := func(v any) {
		if ref := obj(v); ref != nil {
			refs = append(refs, ref)
		}
	}
	for _, p := range panels(d) {
		add(p["datasource"])
		for _, tg := range list(p["targets"]) {
			add(obj(tg)["datasource"])
		}
	}
	for _, a := range list(obj(d["annotations"])["list"]) {
		add(obj(a)["datasource"])
		add(obj(obj(a)["target"])["datasource"])
	}
	for _, v := range variables(d) {
		add(v["datasource"])
	}
	return refs
}
