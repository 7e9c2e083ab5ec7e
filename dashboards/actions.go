package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// controls is where a panel action sends a write of the API (api/openapi.json): the data
// source's resources, which Grafana serves to the signed-in viewer and the plugin forwards to
// the API with its token (docs/grafana.md, "Controls from dashboards"). The browser never sees
// the token and needs no CORS: the URL is Grafana's own.
const controls = "/api/datasources/uid/" + datasourceUID + "/resources/api/v1"

// post is a panel action that POSTs body (JSON; empty for none) to controls+path after the
// viewer confirms. Path and body may use dashboard variables (${city}) and, in a table, the
// clicked row's fields (${__data.fields.id}).
func post(title, confirmation, path, body string) cog.Builder[dashboard.Action] {
	fetch := dashboard.NewFetchOptionsBuilder().
		Method(dashboard.HttpRequestMethodPOST).
		Url(controls + path)
	if body != "" {
		fetch = fetch.Body(body).Headers([][]string{{"Content-Type", "application/json"}})
	}
	return dashboard.NewActionBuilder().
		Type(dashboard.ActionTypeFetch).
		Title(title).
		Confirmation(confirmation).
		OneClick(false).
		Fetch(fetch)
}
