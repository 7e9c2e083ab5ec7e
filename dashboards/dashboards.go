// Package dashboards builds the nine Grafana dashboards of SPEC §9 with the Grafana Foundation
// SDK (github.com/grafana/grafana-foundation-sdk/go, dashboard schema v1) and renders them as
// the JSON files that Grafana provisions from dashboards/json (provisioning/README.md).
//
// Every panel queries the flavortrend data source (docs/grafana.md) with the query model of
// plugin/pkg/query; the pipeline-health dashboard also queries Prometheus and Tempo. Each
// dashboard is one function in a file of its own (ops.go, sla.go, …); the panel, variable and
// query helpers they share are in panels.go, variables.go and targets.go.
//
// After changing a dashboard, regenerate the JSON from the repository root:
//
//	go run ./dashboards/cmd/gendashboards
//
// The tests fail while the committed JSON differs from what this package generates.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// File is one generated dashboard: its file name in dashboards/json (<uid>.json) and its
// indented JSON.
type File struct {
	Name string
	JSON []byte
}

// builders are the dashboards in the order of SPEC §9.
var builders = []func() *dashboard.DashboardBuilder{
	opsOverview, sla, weather, routes, replay, scenarios, activity, revenue, pipelineHealth,
}

// Generate builds every dashboard. The output depends on the code only: the same bytes on
// every run.
func Generate() ([]File, error) {
	files := make([]File, 0, len(builders))
	for _, build := range builders {
		d, err := build().Build()
		if err != nil {
			return nil, err
		}
		numberPanels(&d)
		showInTopBar(&d)
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // keep & < > readable in URLs and PromQL
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", *d.Uid, err)
		}
		files = append(files, File{Name: *d.Uid + ".json", JSON: out.Bytes()})
	}
	return files, nil
}

// numberPanels gives every panel and row an id, in reading order, so that links such as
// ?viewPanel=3 stay valid from one generation to the next (the SDK leaves ids unset).
func numberPanels(d *dashboard.Dashboard) {
	var id uint32
	next := func() uint32 { id++; return id }
	for _, p := range d.Panels {
		switch {
		case p.Panel != nil:
			n := next()
			p.Panel.Id = &n
		case p.RowPanel != nil:
			p.RowPanel.Id = next()
			for i := range p.RowPanel.Panels {
				n := next()
				p.RowPanel.Panels[i].Id = &n
			}
		}
	}
}

// showInTopBar removes the placement the SDK gives every link and annotation query
// ("inControlsMenu", the only value its schema allows), so that Grafana shows the links menu
// and the annotation toggles above the panels rather than folded into the controls menu.
func showInTopBar(d *dashboard.Dashboard) {
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
}

// newDashboard starts a dashboard with what all nine share: uid, title, description, the
// flavortrend tag (which the links menu uses), the browser's time zone and the links menu to
// the other dashboards, keeping the time range and the variables.
func newDashboard(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"flavortrend"}).
		Timezone("browser").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("Flavor Trend").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"flavortrend"}).
			Icon("external link").
			Tooltip("The other Flavor Trend dashboards").
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true))
}
