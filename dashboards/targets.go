package dashboards

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// The data sources the dashboards query. The flavortrend one is provisioned by
// provisioning/datasources/flavortrend.yaml, Prometheus and Tempo by
// provisioning/datasources/observability.yaml.
const (
	pluginID      = "flavortrend-flavortrend-datasource"
	datasourceUID = "flavortrend"
	prometheusUID = "prometheus"
	tempoUID      = "tempo"
)

var (
	flavortrendDS = dataSource(pluginID, datasourceUID)
	prometheusDS  = dataSource("prometheus", prometheusUID)
	tempoDS       = dataSource("tempo", tempoUID)
)

func dataSource(typ, uid string) common.DataSourceRef {
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// ftQuery is a target of the flavortrend data source: the plugin's query model with the data
// source reference Grafana keeps on each target. It is its own builder: Build validates it, so
// a dashboard with an unknown query type, or asking a live update of a type that cannot
// stream, fails to generate.
type ftQuery struct {
	query.Model
	Datasource common.DataSourceRef `json:"datasource"`
}

var _ cog.Builder[variants.Dataquery] = ftQuery{}

// ft is a target on the flavortrend data source; the panel helpers give it its refId.
func ft(m query.Model) ftQuery {
	return ftQuery{Model: m, Datasource: flavortrendDS}
}

// Build implements cog.Builder.
func (q ftQuery) Build() (variants.Dataquery, error) {
	if err := q.Validate(); err != nil {
		return nil, cog.MakeBuildErrors("flavortrend.query", err)
	}
	return q, nil
}

// ImplementsDataqueryVariant implements variants.Dataquery.
func (ftQuery) ImplementsDataqueryVariant() {}

// DataqueryType implements variants.Dataquery: the plugin id.
func (ftQuery) DataqueryType() string { return pluginID }

// Validate implements variants.Dataquery.
func (q ftQuery) Validate() error {
	switch {
	case q.RefID == "":
		return fmt.Errorf("%s: no refId", q.QueryType)
	case !slices.Contains(query.Types, q.QueryType):
		return fmt.Errorf("unknown query type %q", q.QueryType)
	case q.Live && !query.Streamable[q.QueryType]:
		return fmt.Errorf("query type %s cannot be live", q.QueryType)
	}
	return nil
}

// Equals implements variants.Dataquery.
func (q ftQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(ftQuery)
	return ok && reflect.DeepEqual(q, o)
}

// withRefIDs names the targets of a panel A, B, C… unless they have a refId already.
func withRefIDs(queries []ftQuery) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(queries))
	for i, q := range queries {
		if q.RefID == "" {
			q.RefID = string(rune('A' + i))
		}
		out[i] = q
	}
	return out
}
