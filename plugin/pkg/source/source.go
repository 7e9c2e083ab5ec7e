// Package source is the flavortrend data source as Grafana runs it: one Instance per
// configured data source, answering QueryData (plugin/pkg/views), CheckHealth, CallResource
// (the dashboards' controls, forwarded to the API) and Grafana Live streams (streams.go).
package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/plugin/pkg/query"
	"github.com/flavortrend/flavortrend/plugin/pkg/settings"
	"github.com/flavortrend/flavortrend/plugin/pkg/views"
)

// PluginID is the data source's plugin id (plugin.json).
const PluginID = "flavortrend-flavortrend-datasource"

// queryTimeout bounds one query's reads.
const queryTimeout = 10 * time.Second

// Instance is one configured data source.
type Instance struct {
	settings settings.Settings
	ch       driver.Conn
	pg       *pgxpool.Pool
	views    views.Reader
	client   *http.Client // to the API, for the controls
}

var (
	_ backend.QueryDataHandler      = (*Instance)(nil)
	_ backend.CheckHealthHandler    = (*Instance)(nil)
	_ backend.CallResourceHandler   = (*Instance)(nil)
	_ backend.StreamHandler         = (*Instance)(nil)
	_ instancemgmt.InstanceDisposer = (*Instance)(nil)
)

// New opens an instance for Grafana's settings. Connections are lazy: a data source whose
// services are down still loads, and CheckHealth says what is wrong.
func New(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	cfg, err := settings.Load(s)
	if err != nil {
		return nil, err
	}
	ch, err := clickhouse.Open(store.ClickHouseOptions(cfg.ClickHouse))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	pgCfg, err := pgxpool.ParseConfig(cfg.PostgresURL)
	if err != nil {
		return nil, fmt.Errorf("postgresUrl: %w", err)
	}
	pg, err := pgxpool.NewWithConfig(ctx, pgCfg)
	if err != nil {
		return nil, fmt.Errorf("postgresql: %w", err)
	}
	handler, _ := api.Handler(api.Config{Timeout: queryTimeout}, &api.Deps{PG: pg, CH: ch, CHDatabase: cfg.ClickHouse.Database,
		Log: slog.New(slog.DiscardHandler)})
	return &Instance{settings: cfg, ch: ch, pg: pg, views: views.Reader{API: handler},
		client: &http.Client{Timeout: queryTimeout}}, nil
}

// Dispose closes the instance's connections (Grafana calls it when the settings change).
func (in *Instance) Dispose() {
	in.pg.Close()
	if err := in.ch.Close(); err != nil {
		log.DefaultLogger.Warn("close clickhouse", "err", err)
	}
}

// QueryData answers each query of a panel.
func (in *Instance) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	res := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		res.Responses[q.RefID] = in.query(ctx, req.PluginContext, q)
	}
	return res, nil
}

// query answers one query: an error in its response, never for the whole request.
func (in *Instance) query(ctx context.Context, pc backend.PluginContext, dq backend.DataQuery) backend.DataResponse {
	var m query.Model
	if err := json.Unmarshal(dq.JSON, &m); err != nil {
		return backend.ErrDataResponse(backend.StatusBadRequest, "query: "+err.Error())
	}
	if m.QueryType == "" {
		m.QueryType = query.Type(dq.QueryType)
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	ctx, span, start := startQuery(ctx, m.QueryType)
	var fs data.Frames
	var err error
	if m.QueryType == query.Cities {
		fs, err = in.cities(ctx)
	} else {
		fs, err = in.views.Read(ctx, m, dq.TimeRange)
	}
	endQuery(span, m.QueryType, start, err)
	if err != nil {
		var ve *views.Error
		if errors.As(err, &ve) {
			return backend.ErrDataResponse(backend.Status(ve.Status), ve.Message)
		}
		log.DefaultLogger.Error("query failed", "queryType", m.QueryType, "err", err)
		return backend.ErrDataResponse(backend.StatusInternal, fmt.Sprintf("%s: %v", m.QueryType, err))
	}
	if query.Streamable[m.QueryType] && (m.Live || isReplay(m.QueryType)) && pc.DataSourceInstanceSettings != nil {
		if err := in.attachChannel(pc.DataSourceInstanceSettings.UID, m, dq.TimeRange, fs); err != nil {
			return backend.ErrDataResponse(backend.StatusBadRequest, err.Error())
		}
	}
	return backend.DataResponse{Frames: fs}
}

// cities are the cities mirror's, for dashboard variables.
func (in *Instance) cities(ctx context.Context) (data.Frames, error) {
	rows, err := in.ch.Query(ctx, `SELECT id, name, lat, lon FROM `+in.settings.ClickHouse.Database+
		`.cities FINAL WHERE _is_deleted = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cities: %w", err)
	}
	defer rows.Close()
	var ids []int32
	var names []string
	var lats, lons []float64
	for rows.Next() {
		var id int32
		var name string
		var lat, lon float64
		if err := rows.Scan(&id, &name, &lat, &lon); err != nil {
			return nil, fmt.Errorf("cities: %w", err)
		}
		ids, names, lats, lons = append(ids, id), append(names, name), append(lats, lat), append(lons, lon)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cities: %w", err)
	}
	return data.Frames{data.NewFrame("cities", data.NewField("id", nil, ids), data.NewField("name", nil, names),
		data.NewField("lat", nil, lats), data.NewField("lon", nil, lons))}, nil
}
