package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// The dashboard variables. A query variable of the flavortrend data source holds a word that
// the plugin's metricFindQuery (plugin/src/datasource.ts) turns into a query:
const (
	citiesQuery = "cities" // the cities' names (query type cities)
	ordersQuery = "orders" // the latest delivered orders' ids (query type routes_recent)
)

// city is the value of the city variable in a query: the front end interpolates it.
const city = "$city"

// cityVariable picks a city by name (the API accepts a name or an id). With all, the first
// option is All, sent as "all" (= every city in the query model); without, one city must be
// chosen: for the views that need one (replay, pressure series, scenarios). Custom values are
// refused so that a link carrying city=all to a dashboard without All falls back to a city.
func cityVariable(all bool) *dashboard.QueryVariableBuilder {
	q := citiesQuery
	v := dashboard.NewQueryVariableBuilder("city").
		Label("City").
		Datasource(flavortrendDS).
		Query(dashboard.StringOrMap{String: &q}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalCaseInsensitiveAsc).
		AllowCustomValue(false).
		IncludeAll(all)
	if all {
		v = v.AllValue("all").Current(option("All", "$__all"))
	}
	return v
}

// orderVariable picks one of the latest delivered orders, for the route panels; its value is
// the order id. Any id may be typed in ("why was order 81234 late?").
func orderVariable() *dashboard.QueryVariableBuilder {
	q := ordersQuery
	return dashboard.NewQueryVariableBuilder("order").
		Label("Order").
		Datasource(flavortrendDS).
		Query(dashboard.StringOrMap{String: &q}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortNumericalDesc).
		AllowCustomValue(true)
}

// customVariable is a fixed list of values, current selected; no other value can be typed in.
func customVariable(name, label, current string, values ...string) *dashboard.CustomVariableBuilder {
	joined := strings.Join(values, ",")
	options := make([]dashboard.VariableOption, len(values))
	for i, v := range values {
		options[i] = option(v, v)
		if v == current {
			options[i].Selected = ptr(true)
		}
	}
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Values(dashboard.StringOrMap{String: &joined}).
		Current(option(current, current)).
		Options(options).
		AllowCustomValue(false)
}

func option(text, value string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: &text},
		Value: dashboard.StringOrArrayOfString{String: &value},
	}
}

// operatorActions shows the operator actions of $city (scenarios started, alerts acknowledged,
// recommendations approved, …) as annotations on the time series of the dashboard.
func operatorActions() cog.Builder[dashboard.AnnotationQuery] {
	field := func(name string) cog.Builder[dashboard.AnnotationEventFieldMapping] {
		return dashboard.NewAnnotationEventFieldMappingBuilder().
			Source(dashboard.AnnotationEventFieldSourceField).
			Value(name)
	}
	return dashboard.NewAnnotationQueryBuilder().
		Name("Operator actions").
		Datasource(flavortrendDS).
		Enable(true).
		IconColor("purple").
		Target(ft(query.Model{RefID: "actions", QueryType: query.OperatorActions, City: city})).
		Mappings(map[string]cog.Builder[dashboard.AnnotationEventFieldMapping]{
			"time":  field("at"),
			"title": field("action"),
			"text":  field("target"),
			"tags":  field("actor"),
		})
}
