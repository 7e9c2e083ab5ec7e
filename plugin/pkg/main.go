// Command gpx_flavortrend is the flavortrend data source's backend, started by Grafana (or by
// the tests, the same way) over the plugin handshake and gRPC.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/flavortrend/flavortrend/plugin/pkg/source"
)

func main() {
	if err := datasource.Manage(source.PluginID, source.New, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("flavortrend data source stopped", "err", err)
		os.Exit(1)
	}
}
