package dashboards

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// The observability stack of compose.yaml (OpenTelemetry collector, Tempo, Prometheus), the
// Prometheus and Tempo data sources, the alert rules and the PromQL of the dashboards must fit
// together: Prometheus scrapes every Flavor Trend process where it serves its metrics, every
// query parses and selects only metrics the processes export, and every alert rule reads
// provisioned data sources, has the condition it names and links to a panel that plots it.

// undocumentedMetrics are the metrics of the catalogue that no table of docs/*.md lists, with
// their type: those of the enricher, the simulator, the plugin and the status monitor, the
// API's otelhttp histogram, and Prometheus' own up (one per scrape target). An entry becomes
// redundant once a doc lists its metric.
var undocumentedMetrics = map[string]string{
	"up":                                   "gauge",
	"http_server_request_duration_seconds": "histogram",

	"flavortrend_enrich_records_total":                "counter",
	"flavortrend_enrich_transactions_total":           "counter",
	"flavortrend_enrich_transaction_duration_seconds": "histogram",
	"flavortrend_enrich_emitted_total":                "counter",
	"flavortrend_enrich_dead_letters_total":           "counter",
	"flavortrend_enrich_consumer_lag":                 "gauge",

	"flavortrend_generate_orders_total": "counter",
	"flavortrend_generate_events_total": "counter",

	"flavortrend_plugin_query_duration_seconds": "histogram",

	"flavortrend_cdc_connector_up":        "gauge",
	"flavortrend_cdc_slot_active":         "gauge",
	"flavortrend_cdc_slot_lag_bytes":      "gauge",
	"flavortrend_cdc_wal_retained_bytes":  "gauge",
	"flavortrend_consumer_lag":            "gauge",
	"flavortrend_consumer_members":        "gauge",
	"flavortrend_kafka_topic_records":     "gauge",
	"flavortrend_table_freshness_seconds": "gauge",
	"flavortrend_model_mae_seconds":       "gauge",
}

// documentedMetric is a row of a metric table of docs/*.md:
// | `otel.name` (`prometheus_name`) | type | …
var documentedMetric = regexp.MustCompile("(?m)^\\| `[a-z0-9_.]+` \\(`([a-z0-9_:]+)`\\) \\| ([a-z]+) \\|")

// catalogue returns the series a query may select: each metric of docs/*.md and of
// undocumentedMetrics, and for a histogram its _bucket, _count and _sum.
func catalogue(t *testing.T) map[string]bool {
	t.Helper()
	metrics := maps.Clone(undocumentedMetrics)
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	fromTelemetry := 0
	for _, path := range docs {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range documentedMetric.FindAllStringSubmatch(string(raw), -1) {
			metrics[m[1]] = m[2]
			if filepath.Base(path) == "telemetry.md" {
				fromTelemetry++
			}
		}
	}
	if fromTelemetry == 0 {
		t.Fatal("docs/telemetry.md: no row of a metric table read; has the table's format changed?")
	}
	series := map[string]bool{}
	for name, typ := range metrics {
		if typ != "histogram" {
			series[name] = true
			continue
		}
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			series[name+suffix] = true
		}
	}
	return series
}

// grafanaMacros are the variables Grafana replaces in a query before Prometheus sees it.
var grafanaMacros = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h",
	"$__tags", `job="flavortrend-ingest"`)

// promQL parses a query as Prometheus does and returns the metrics it selects, and what is
// wrong with it: a syntax error, a selector without a metric name, a metric outside known.
func promQL(expr string, known map[string]bool) (metrics, problems []string) {
	parsed, err := parser.NewParser(parser.Options{}).ParseExpr(grafanaMacros.Replace(expr))
	if err != nil {
		return nil, []string{fmt.Sprintf("%q: %v", expr, err)}
	}
	parser.Inspect(parsed, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if name == "" && m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		switch {
		case name == "":
			problems = append(problems, fmt.Sprintf("%q: a selector without a metric name", expr))
		case !known[name]:
			problems = append(problems, fmt.Sprintf("%q: %s is in no metric table of docs/*.md nor in undocumentedMetrics", expr, name))
		default:
			metrics = append(metrics, name)
		}
		return nil
	})
	return metrics, problems
}

// plotted is what a Prometheus panel shows: the metrics its queries select and the values of
// its threshold steps (none when neutral).
type plotted struct {
	metrics    map[string]bool
	thresholds []float64
}

// prometheusPanels checks the PromQL of every dashboard and returns its Prometheus panels by
// dashboard uid and panel id.
func prometheusPanels(t *testing.T, known map[string]bool) map[string]map[int]plotted {
	t.Helper()
	out := map[string]map[int]plotted{}
	for _, d := range generate(t) {
		uid := str(d.json["uid"])
		out[uid] = map[int]plotted{}
		for _, p := range panels(d.json) {
			if str(obj(p["datasource"])["uid"]) != prometheusUID {
				continue
			}
			panel := plotted{metrics: map[string]bool{}}
			for _, tg := range list(p["targets"]) {
				metrics, problems := promQL(str(obj(tg)["expr"]), known)
				for _, problem := range problems {
					t.Errorf("%s: panel %q: %s", d.name, str(p["title"]), problem)
				}
				for _, m := range metrics {
					panel.metrics[m] = true
				}
			}
			for _, s := range list(obj(obj(obj(p["fieldConfig"])["defaults"])["thresholds"])["steps"]) {
				if v, ok := obj(s)["value"].(float64); ok {
					panel.thresholds = append(panel.thresholds, v)
				}
			}
			out[uid][int(num(p["id"]))] = panel
		}
	}
	return out
}

func TestDashboardPromQLParsesAndSelectsExportedMetrics(t *testing.T) {
	if n := len(prometheusPanels(t, catalogue(t))["ft-pipeline"]); n == 0 {
		t.Error("ft-pipeline has no Prometheus panel")
	}
}

// Alert rules: Grafana's file provisioning format (provisioning/alerting/*.yaml).

type alertingFile struct {
	APIVersion int `yaml:"apiVersion"`
	Groups     []struct {
		OrgID    int         `yaml:"orgId"`
		Name     string      `yaml:"name"`
		Folder   string      `yaml:"folder"`
		Interval string      `yaml:"interval"`
		Rules    []alertRule `yaml:"rules"`
	} `yaml:"groups"`
}

type alertRule struct {
	UID          string            `yaml:"uid"`
	Title        string            `yaml:"title"`
	Condition    string            `yaml:"condition"`
	DashboardUID string            `yaml:"dashboardUid"`
	PanelID      int               `yaml:"panelId"`
	Data         []alertQuery      `yaml:"data"`
	For          string            `yaml:"for"`
	NoDataState  string            `yaml:"noDataState"`
	ExecErrState string            `yaml:"execErrState"`
	Labels       map[string]string `yaml:"labels"`
	Annotations  map[string]string `yaml:"annotations"`
}

type alertQuery struct {
	RefID         string         `yaml:"refId"`
	DatasourceUID string         `yaml:"datasourceUid"`
	Model         map[string]any `yaml:"model"`
}

// exprUID is the data source of Grafana's server-side expressions.
const exprUID = "__expr__"

// ruleUID is what Grafana accepts as a rule uid.
var ruleUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// ruleContext is what alert rules may refer to.
type ruleContext struct {
	datasources map[string]string // provisioned data sources: uid → type
	known       map[string]bool   // the metric catalogue
	panels      map[string]map[int]plotted
}

// checkRule returns what is wrong with an alert rule.
func checkRule(r alertRule, c ruleContext) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if !ruleUID.MatchString(r.UID) {
		add("uid %q: want 1 to 40 letters, digits, - or _", r.UID)
	}
	if _, err := time.ParseDuration(r.For); err != nil {
		add("for: %v", err)
	}
	if !slices.Contains([]string{"NoData", "Alerting", "OK", "KeepLast"}, r.NoDataState) {
		add("noDataState %q", r.NoDataState)
	}
	if !slices.Contains([]string{"Error", "Alerting", "OK", "KeepLast"}, r.ExecErrState) {
		add("execErrState %q", r.ExecErrState)
	}
	if s := r.Labels["severity"]; s != "warning" && s != "critical" {
		add("label severity %q, want warning or critical", s)
	}
	for _, key := range []string{"summary", "description", "runbook"} {
		if strings.TrimSpace(r.Annotations[key]) == "" {
			add("no %s annotation", key)
		}
	}
	// Grafana replaces $VAR and ${VAR} in these with its environment: a $labels would vanish.
	texts := map[string]string{"title": r.Title}
	for k, v := range r.Labels {
		texts["label "+k] = v
	}
	for k, v := range r.Annotations {
		texts["annotation "+k] = v
	}
	for where, text := range texts {
		if strings.Contains(text, "$") {
			add("%s holds a $, which Grafana takes for an environment variable: use .Labels and .Values", where)
		}
	}

	queries := map[string]alertQuery{}
	var metrics []string
	for _, q := range r.Data {
		if _, dup := queries[q.RefID]; dup || q.RefID == "" {
			add("refId %q empty or repeated", q.RefID)
		}
		if str(q.Model["refId"]) != q.RefID {
			add("%s: the model's refId is %q", q.RefID, q.Model["refId"])
		}
		if q.DatasourceUID == exprUID {
			if typ := str(q.Model["type"]); typ != "reduce" && typ != "threshold" {
				add("%s: expression type %q, want reduce or threshold", q.RefID, typ)
			}
			if _, ok := queries[str(q.Model["expression"])]; !ok {
				add("%s: expression %q is no query before it", q.RefID, q.Model["expression"])
			}
		} else {
			switch typ, ok := c.datasources[q.DatasourceUID]; {
			case !ok:
				add("%s: data source %q is not provisioned", q.RefID, q.DatasourceUID)
			case typ == "prometheus":
				m, p := promQL(str(q.Model["expr"]), c.known)
				metrics = append(metrics, m...)
				problems = append(problems, p...)
			}
		}
		queries[q.RefID] = q
	}

	var threshold float64
	switch cond, ok := queries[r.Condition]; {
	case !ok:
		add("condition %q is none of the rule's refIds", r.Condition)
	case str(cond.Model["type"]) != "threshold":
		add("condition %q is not a threshold expression", r.Condition)
	default:
		var params []any
		if conditions := list(cond.Model["conditions"]); len(conditions) > 0 {
			params = list(obj(obj(conditions[0])["evaluator"])["params"])
		}
		var ok bool
		if len(params) > 0 {
			threshold, ok = number(params[0])
		}
		if !ok {
			add("condition %q has no threshold", r.Condition)
		}
	}

	for key, text := range r.Annotations {
		if err := checkTemplate(key, text, queries); err != nil {
			add("annotation %s: %v", key, err)
		}
	}

	if r.DashboardUID != "" || r.PanelID != 0 {
		p, ok := c.panels[r.DashboardUID][r.PanelID]
		switch {
		case !ok:
			add("links to panel %d of %q, which is no Prometheus panel", r.PanelID, r.DashboardUID)
		case !slices.ContainsFunc(metrics, func(m string) bool { return p.metrics[m] }):
			add("panel %d plots none of the rule's metrics %v", r.PanelID, metrics)
		case len(p.thresholds) > 0 && !slices.Contains(p.thresholds, threshold):
			add("threshold %v is not one the panel %d draws (%v)", threshold, r.PanelID, p.thresholds)
		}
	}
	return problems
}

// templateFuncs stand in for the functions of Grafana's annotation templates.
var templateFuncs = template.FuncMap{
	"humanize":           formatFloat,
	"humanize1024":       formatFloat,
	"humanizeDuration":   formatFloat,
	"humanizePercentage": formatFloat,
}

// number is a number of YAML (int or float) or JSON.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// templateValue is what .Values holds for each refId of a rule.
type templateValue struct {
	Labels map[string]string
	Value  float64
}

var valuesRef = regexp.MustCompile(`\.Values\.([A-Za-z0-9_]+)`)

// checkTemplate parses an annotation as Grafana does and runs it on data of the rule's shape.
func checkTemplate(name, text string, queries map[string]alertQuery) error {
	for _, m := range valuesRef.FindAllStringSubmatch(text, -1) {
		if _, ok := queries[m[1]]; !ok {
			return fmt.Errorf(".Values.%s: the rule has no refId %s", m[1], m[1])
		}
	}
	tmpl, err := template.New(name).Funcs(templateFuncs).Parse(text)
	if err != nil {
		return err
	}
	data := struct {
		Labels map[string]string
		Values map[string]templateValue
		Value  string
	}{Labels: map[string]string{}, Values: map[string]templateValue{}}
	for ref := range queries {
		data.Values[ref] = templateValue{Value: 1}
	}
	return tmpl.Execute(io.Discard, data)
}

// observabilityDatasource is a provisioned data source with its settings as plain values.
type observabilityDatasource struct {
	Name      string         `yaml:"name"`
	Type      string         `yaml:"type"`
	UID       string         `yaml:"uid"`
	URL       string         `yaml:"url"`
	IsDefault bool           `yaml:"isDefault"`
	JSONData  map[string]any `yaml:"jsonData"`
}

// provisionedDatasources reads every file of provisioning/datasources, by uid.
func provisionedDatasources(t *testing.T) map[string]observabilityDatasource {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "provisioning", "datasources", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]observabilityDatasource{}
	defaults := 0
	for _, path := range files {
		var f struct {
			Datasources []observabilityDatasource `yaml:"datasources"`
		}
		readYAML(t, strings.TrimPrefix(path, ".."+string(filepath.Separator)), &f)
		for _, ds := range f.Datasources {
			if _, dup := out[ds.UID]; dup || ds.UID == "" {
				t.Errorf("%s: data source uid %q empty or provisioned twice", path, ds.UID)
			}
			if ds.IsDefault {
				defaults++
			}
			out[ds.UID] = ds
		}
	}
	if defaults != 1 {
		t.Errorf("%d default data sources, want 1", defaults)
	}
	return out
}

func readAlerting(t *testing.T) alertingFile {
	t.Helper()
	var f alertingFile
	readYAML(t, "provisioning/alerting/flavortrend.yaml", &f)
	return f
}

func newRuleContext(t *testing.T) ruleContext {
	t.Helper()
	c := ruleContext{datasources: map[string]string{}, known: catalogue(t)}
	for uid, ds := range provisionedDatasources(t) {
		c.datasources[uid] = ds.Type
	}
	c.panels = prometheusPanels(t, c.known)
	return c
}

func TestAlertRules(t *testing.T) {
	f := readAlerting(t)
	c := newRuleContext(t)
	var dashboards dashboardsFile
	readYAML(t, "provisioning/dashboards/flavortrend.yaml", &dashboards)

	if f.APIVersion != 1 || len(f.Groups) == 0 {
		t.Fatalf("apiVersion %d with %d groups, want 1 and some", f.APIVersion, len(f.Groups))
	}
	uids, titles := map[string]bool{}, map[string]bool{}
	for _, g := range f.Groups {
		if d, err := time.ParseDuration(g.Interval); err != nil || d < 10*time.Second {
			t.Errorf("group %q: interval %q, want a duration of 10s or more", g.Name, g.Interval)
		}
		// Rules provisioned into the dashboards' folder would make Grafana create a second
		// folder of that title.
		if g.OrgID != 1 || g.Name == "" || g.Folder == "" || g.Folder == dashboards.Providers[0].Folder {
			t.Errorf("group %q: orgId %d, folder %q; want org 1 and a folder of its own", g.Name, g.OrgID, g.Folder)
		}
		for _, r := range g.Rules {
			if uids[r.UID] || titles[r.Title] {
				t.Errorf("rule %s (%q): uid or title used twice", r.UID, r.Title)
			}
			uids[r.UID], titles[r.Title] = true, true
			for _, problem := range checkRule(r, c) {
				t.Errorf("rule %s: %s", r.UID, problem)
			}
		}
	}
	for _, uid := range []string{"ft-cdc-connector-down", "ft-cdc-slot-lag", "ft-cdc-wal-retained", "ft-freshness",
		"ft-dead-letters", "ft-group-no-members", "ft-consumer-lag-growing"} {
		if !uids[uid] {
			t.Errorf("no rule %s", uid)
		}
	}
}

// The checker fails on broken rules: each case breaks a copy of a good rule one way.
func TestCheckRuleRejectsBrokenRules(t *testing.T) {
	c := newRuleContext(t)
	base := func() alertRule {
		for _, g := range readAlerting(t).Groups {
			for _, r := range g.Rules {
				if r.UID == "ft-cdc-slot-lag" {
					return r
				}
			}
		}
		t.Fatal("no rule ft-cdc-slot-lag")
		return alertRule{}
	}
	if problems := checkRule(base(), c); len(problems) > 0 {
		t.Fatalf("the good rule fails: %v", problems)
	}
	for name, breakIt := range map[string]func(r *alertRule){
		"condition names no query":     func(r *alertRule) { r.Condition = "D" },
		"condition is not a threshold": func(r *alertRule) { r.Condition = "B" },
		"data source not provisioned":  func(r *alertRule) { r.Data[0].DatasourceUID = "mimir" },
		"metric outside the catalogue": func(r *alertRule) { r.Data[0].Model["expr"] = "max(flavortrend_slot_lag)" },
		"PromQL does not parse":        func(r *alertRule) { r.Data[0].Model["expr"] = "max(flavortrend_cdc_slot_lag_bytes" },
		"expression reads no query":    func(r *alertRule) { r.Data[1].Model["expression"] = "Z" },
		"$labels in an annotation":     func(r *alertRule) { r.Annotations["summary"] = "slot {{ $labels.slot }}" },
		"annotation reads no refId":    func(r *alertRule) { r.Annotations["summary"] = "{{ .Values.X.Value }}" },
		"annotation does not parse":    func(r *alertRule) { r.Annotations["summary"] = "{{ .Labels.slot " },
		"panel plots another metric":   func(r *alertRule) { r.PanelID = 2 },
		"threshold the panel not drawn": func(r *alertRule) {
			r.Data[2].Model["conditions"] = []any{map[string]any{"evaluator": map[string]any{"type": "gt", "params": []any{12345.0}}}}
		},
		"no runbook":      func(r *alertRule) { delete(r.Annotations, "runbook") },
		"bad noDataState": func(r *alertRule) { r.NoDataState = "Ok" },
	} {
		r := base()
		breakIt(&r)
		if len(checkRule(r, c)) == 0 {
			t.Errorf("%s: the checker finds nothing wrong", name)
		}
	}
}

func TestObservabilityDataSources(t *testing.T) {
	all := provisionedDatasources(t)
	for _, uid := range []string{prometheusUID, tempoUID} {
		if ds, ok := all[uid]; !ok || ds.Type != allowedDataSources[uid] {
			t.Errorf("data source %s: provisioned %v with type %q, want type %q", uid, ok, ds.Type, allowedDataSources[uid])
		}
	}
	prom, tmp := all[prometheusUID], all[tempoUID]

	var compose composeFile
	readYAML(t, "compose.yaml", &compose)
	var promCfg prometheusConfig
	readYAML(t, mountedConfig(t, compose, "prometheus", "--config.file="), &promCfg)
	var tempoCfg map[string]any
	readYAML(t, mountedConfig(t, compose, "tempo", "-config.file="), &tempoCfg)

	checkURL(t, compose, prom.URL, "prometheus", prometheusPort)
	checkURL(t, compose, tmp.URL, "tempo", fmt.Sprint(dig(tempoCfg, "server", "http_listen_port")))
	if got := str(prom.JSONData["timeInterval"]); got != promCfg.Global.ScrapeInterval {
		t.Errorf("Prometheus timeInterval %q, scrape_interval %q: $__rate_interval depends on them agreeing", got, promCfg.Global.ScrapeInterval)
	}

	known := catalogue(t)
	for _, ds := range []observabilityDatasource{prom, tmp} {
		for path, s := range stringsIn("", ds.JSONData) {
			// Grafana replaces $VAR in provisioned settings: a literal $ is written $$.
			if strings.Contains(strings.ReplaceAll(s, "$$", ""), "$") {
				t.Errorf("%s: %s = %q has a single $, which Grafana takes for an environment variable", ds.UID, path, s)
			}
			if strings.HasSuffix(path, ".datasourceUid") && all[s].UID == "" {
				t.Errorf("%s: %s = %q is not provisioned", ds.UID, path, s)
			}
		}
	}
	// From a span to its service's metrics: service.name is the job of its scrape.
	links := obj(tmp.JSONData["tracesToMetrics"])
	if !slices.ContainsFunc(list(links["tags"]), func(tag any) bool {
		return obj(tag)["key"] == "service.name" && obj(tag)["value"] == "job"
	}) {
		t.Error("tempo: tracesToMetrics does not map service.name to job")
	}
	for _, q := range list(links["queries"]) {
		_, problems := promQL(strings.ReplaceAll(str(obj(q)["query"]), "$$", "$"), known)
		for _, p := range problems {
			t.Errorf("tempo: tracesToMetrics %q: %s", str(obj(q)["name"]), p)
		}
	}
}

// stringsIn returns the strings of a JSON-like value by their path.
func stringsIn(path string, v any) map[string]string {
	out := map[string]string{}
	switch v := v.(type) {
	case string:
		out[path] = v
	case map[string]any:
		for k, e := range v {
			maps.Copy(out, stringsIn(path+"."+k, e))
		}
	case []any:
		for i, e := range v {
			maps.Copy(out, stringsIn(path+"["+strconv.Itoa(i)+"]", e))
		}
	}
	return out
}

// prometheusPort is where Prometheus listens unless --web.listen-address says otherwise.
const prometheusPort = "9090"

// grafanaPort is where Grafana listens unless GF_SERVER_HTTP_PORT says otherwise.
const grafanaPort = "3000"

type prometheusConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
	} `yaml:"global"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// checkURL checks that a data source's URL is http://<service>:<port> of a compose service.
func checkURL(t *testing.T, compose composeFile, raw, service, port string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Hostname() != service || u.Port() != port {
		t.Errorf("data source URL %q, want http://%s:%s", raw, service, port)
	}
	if _, ok := compose.Services[service]; !ok {
		t.Errorf("compose.yaml has no service %s", service)
	}
}

// mountedConfig returns the repository path of the configuration a compose service reads: the
// file named by its command's flag, mounted read-only from the repository.
func mountedConfig(t *testing.T, compose composeFile, service, flag string) string {
	t.Helper()
	s, ok := compose.Services[service]
	if !ok {
		t.Fatalf("compose.yaml has no service %s", service)
	}
	i := slices.IndexFunc(s.Command, func(arg string) bool { return strings.HasPrefix(arg, flag) })
	if i < 0 {
		t.Fatalf("%s: no %s in the command %v", service, flag, s.Command)
	}
	path := strings.TrimPrefix(s.Command[i], flag)
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == path {
			if len(parts) != 3 || parts[2] != "ro" || !strings.HasPrefix(parts[0], "./provisioning/") {
				t.Errorf("%s: %s is mounted as %q; want a read-only file of provisioning/", service, path, v)
			}
			return strings.TrimPrefix(parts[0], "./")
		}
	}
	t.Fatalf("%s reads %s, which no volume mounts", service, path)
	return ""
}

// dig walks nested maps by their keys.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		v = obj(v)[k]
	}
	return v
}

// listenPort returns the port of a listening address, which must be on every interface of the
// container (0.0.0.0): on loopback, the other containers could not reach it.
func listenPort(t *testing.T, where, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "0.0.0.0" {
		t.Errorf("%s: listens on %q, want 0.0.0.0:<port>", where, addr)
	}
	return port
}

// metricsAddr is where a Flavor Trend service serves /metrics: its -metrics-addr flag, or
// FT_METRICS_ADDR.
func metricsAddr(s composeService) string {
	for i, arg := range s.Command {
		if v, ok := strings.CutPrefix(arg, "-metrics-addr="); ok {
			return v
		}
		if arg == "-metrics-addr" && i+1 < len(s.Command) {
			return s.Command[i+1]
		}
	}
	return s.Environment["FT_METRICS_ADDR"]
}

func TestObservabilityStackInCompose(t *testing.T) {
	var compose composeFile
	readYAML(t, "compose.yaml", &compose)
	for name, s := range compose.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %q beyond loopback", name, p)
			}
		}
	}
	for service, image := range map[string]string{"otel-collector": "otel/opentelemetry-collector-contrib:",
		"tempo": "grafana/tempo:", "prometheus": "prom/prometheus:"} {
		if s := compose.Services[service]; !strings.HasPrefix(s.Image, image) {
			t.Errorf("service %s: image %q, want %s<version>", service, s.Image, image)
		}
	}

	// The collector: OTLP in, traces to Tempo, pushed metrics out to Prometheus.
	var collector, tempoCfg map[string]any
	readYAML(t, mountedConfig(t, compose, "otel-collector", "--config="), &collector)
	readYAML(t, mountedConfig(t, compose, "tempo", "-config.file="), &tempoCfg)
	otlp := dig(collector, "receivers", "otlp", "protocols")
	grpcPort := listenPort(t, "collector otlp grpc", str(dig(otlp, "grpc", "endpoint")))
	httpPort := listenPort(t, "collector otlp http", str(dig(otlp, "http", "endpoint")))
	for _, port := range []string{grpcPort, httpPort} {
		if p := "127.0.0.1:" + port + ":" + port; !slices.Contains(compose.Services["otel-collector"].Ports, p) {
			t.Errorf("otel-collector does not publish %s, for processes on the host", p)
		}
	}
	tempoOTLP := dig(tempoCfg, "distributor", "receivers", "otlp", "protocols")
	tempoGRPC := listenPort(t, "tempo otlp grpc", str(dig(tempoOTLP, "grpc", "endpoint")))
	listenPort(t, "tempo otlp http", str(dig(tempoOTLP, "http", "endpoint")))
	var collectorMetricsPort string
	for name, pipeline := range obj(dig(collector, "service", "pipelines")) {
		for _, kind := range []string{"receivers", "processors", "exporters"} {
			for _, c := range list(obj(pipeline)[kind]) {
				if _, ok := obj(collector[kind])[str(c)]; !ok {
					t.Errorf("collector pipeline %s: %s %v is not defined", name, kind, c)
				}
			}
		}
		for _, e := range list(obj(pipeline)["exporters"]) {
			endpoint := str(dig(collector, "exporters", str(e), "endpoint"))
			switch {
			case name == "traces" && (e == "otlp" || strings.HasPrefix(str(e), "otlp/")):
				if endpoint != "tempo:"+tempoGRPC {
					t.Errorf("collector exports traces to %q, want tempo:%s (Tempo's OTLP gRPC receiver)", endpoint, tempoGRPC)
				}
			case name == "metrics" && e == "prometheus":
				collectorMetricsPort = listenPort(t, "collector prometheus exporter", endpoint)
			}
		}
	}
	if collectorMetricsPort == "" {
		t.Error("collector: no metrics pipeline exporting to prometheus")
	}

	// Tempo: traces kept in its volume, generated metrics written to Prometheus.
	tempoSvc, prom := compose.Services["tempo"], compose.Services["prometheus"]
	if b := dig(tempoCfg, "storage", "trace", "backend"); b != "local" {
		t.Errorf("tempo storage backend %v, want local", b)
	}
	for _, path := range []any{dig(tempoCfg, "storage", "trace", "wal", "path"),
		dig(tempoCfg, "storage", "trace", "local", "path"), dig(tempoCfg, "metrics_generator", "storage", "path")} {
		if !slices.ContainsFunc(tempoSvc.Volumes, func(v string) bool {
			parts := strings.Split(v, ":")
			return !strings.HasPrefix(parts[0], ".") && strings.HasPrefix(str(path), parts[1]+"/")
		}) {
			t.Errorf("tempo writes %v outside its named volume", path)
		}
	}
	for _, rw := range list(dig(tempoCfg, "metrics_generator", "storage", "remote_write")) {
		u, err := url.Parse(str(obj(rw)["url"]))
		if err != nil || u.Host != "prometheus:"+prometheusPort || u.Path != "/api/v1/write" {
			t.Errorf("tempo remote-writes to %v, want http://prometheus:%s/api/v1/write", obj(rw)["url"], prometheusPort)
		}
	}
	if !slices.Contains(prom.Command, "--web.enable-remote-write-receiver") {
		t.Error("prometheus: no --web.enable-remote-write-receiver, so Tempo's generated metrics are refused")
	}
	if slices.ContainsFunc(prom.Command, func(arg string) bool { return strings.HasPrefix(arg, "--web.listen-address") }) {
		t.Errorf("prometheus listens elsewhere than :%s, which the data source and Tempo use", prometheusPort)
	}

	// Grafana sends its traces, and the plugin's, to the collector.
	grafana := compose.Services["grafana"]
	if got := grafana.Environment["GF_TRACING_OPENTELEMETRY_OTLP_ADDRESS"]; got != "otel-collector:"+grpcPort {
		t.Errorf("grafana traces to %q, want otel-collector:%s", got, grpcPort)
	}
	if _, set := grafana.Environment["GF_SERVER_HTTP_PORT"]; set {
		t.Errorf("grafana listens elsewhere than :%s, where Prometheus scrapes the plugin", grafanaPort)
	}

	// What Prometheus should scrape: every long-running Flavor Trend service (the one-shot setup
	// aside), under the job of its service.name, the collector's pushed metrics and the plugin's.
	want := map[string]string{ // target → metrics path
		"otel-collector:" + collectorMetricsPort: "/metrics",
		"grafana:" + grafanaPort:                 "/metrics/plugins/" + pluginID,
	}
	jobs := map[string]string{} // target → job
	for name, s := range compose.Services {
		if s.Image != "flavortrend:local" || s.Restart == "no" {
			continue
		}
		port := listenPort(t, name+" metrics", metricsAddr(s))
		if got := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; got != "http://otel-collector:"+httpPort {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT %q, want http://otel-collector:%s", name, got, httpPort)
		}
		// Scraped and pushed, every series would reach Prometheus twice.
		if got := s.Environment["OTEL_METRICS_EXPORTER"]; got != "none" {
			t.Errorf("%s: OTEL_METRICS_EXPORTER %q, want none", name, got)
		}
		want[name+":"+port] = "/metrics"
		jobs[name+":"+port] = "flavortrend-" + s.Command[0]
	}
	if len(jobs) < 5 {
		t.Errorf("%d long-running Flavor Trend services in compose.yaml, want ingest, enrich, api, generate and status", len(jobs))
	}

	var promCfg prometheusConfig
	readYAML(t, mountedConfig(t, compose, "prometheus", "--config.file="), &promCfg)
	scraped := map[string]bool{}
	for _, sc := range promCfg.ScrapeConfigs {
		path := cmp.Or(sc.MetricsPath, "/metrics")
		for _, static := range sc.StaticConfigs {
			for _, target := range static.Targets {
				wantPath, ok := want[target]
				switch {
				case !ok:
					t.Errorf("prometheus job %s scrapes %s, where no compose service serves metrics", sc.JobName, target)
				case path != wantPath:
					t.Errorf("prometheus job %s scrapes %s%s, want %s", sc.JobName, target, path, wantPath)
				case jobs[target] != "" && sc.JobName != jobs[target]:
					t.Errorf("prometheus scrapes %s as job %s, want its service.name %s", target, sc.JobName, jobs[target])
				}
				scraped[target] = true
			}
		}
	}
	for target := range want {
		if !scraped[target] {
			t.Errorf("prometheus does not scrape %s", target)
		}
	}
}
