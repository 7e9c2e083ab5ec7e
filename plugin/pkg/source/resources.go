package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// CallResource forwards the dashboards' controls to the API: a POST to the data source's
// resource api/v1/… becomes a POST to <apiUrl>/v1/… with the configured token, so the token
// never reaches the browser. Grafana has authenticated the viewer; the plugin also requires
// the Editor role, since anonymous viewers may query.
func (in *Instance) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	path, ok := strings.CutPrefix(req.Path, "api/")
	switch {
	case !ok || !strings.HasPrefix(path, "v1/") || strings.Contains(path, ".."):
		return send(sender, http.StatusNotFound, "only api/v1/… is forwarded")
	case req.Method != http.MethodPost:
		return send(sender, http.StatusMethodNotAllowed, "only POST is forwarded")
	case !canControl(req.PluginContext.User):
		return send(sender, http.StatusForbidden, "controls need the Editor or Admin role in Grafana")
	case in.settings.APIToken == "":
		return send(sender, http.StatusServiceUnavailable, "no API token in the data source's settings: controls are off")
	}
	target := in.settings.APIURL + "/" + path
	if req.URL != "" {
		if _, q, found := strings.Cut(req.URL, "?"); found {
			target += "?" + q
		}
	}
	out, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(req.Body))
	if err != nil {
		return send(sender, http.StatusBadRequest, err.Error())
	}
	out.Header.Set("Content-Type", "application/json")
	out.Header.Set("Authorization", "Bearer "+in.settings.APIToken)
	res, err := in.client.Do(out)
	if err != nil {
		return send(sender, http.StatusBadGateway, fmt.Sprintf("the API at %s does not answer: %s", in.settings.APIURL, oneLine(err)))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return send(sender, http.StatusBadGateway, err.Error())
	}
	return sender.Send(&backend.CallResourceResponse{Status: res.StatusCode,
		Headers: map[string][]string{"Content-Type": {res.Header.Get("Content-Type")}}, Body: body})
}

// canControl says whether a Grafana user may use the controls.
func canControl(u *backend.User) bool {
	return u != nil && (u.Role == "Editor" || u.Role == "Admin")
}

// send answers a resource call with a plain-text status.
func send(sender backend.CallResourceResponseSender, status int, msg string) error {
	return sender.Send(&backend.CallResourceResponse{Status: status,
		Headers: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(msg + "\n")})
}
