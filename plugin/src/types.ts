// The data source's query model and settings, as docs/grafana.md defines them. The Go backend
// reads the same JSON (plugin/pkg/query: query.Model, query.Types, query.Streamable).
import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** A view of the data source: docs/grafana.md, "Query types". */
export type QueryType =
  | 'cities'
  | 'kpis'
  | 'live_orders'
  | 'sla_violations'
  | 'sla_dynamic_violations'
  | 'sla_dynamic_summary'
  | 'model_health'
  | 'pressure_top'
  | 'pressure_series'
  | 'heatmap'
  | 'heatmap_replay'
  | 'replay'
  | 'operator_actions'
  | 'alerts_active'
  | 'recommendations'
  | 'scenarios'
  | 'scenario_estimate'
  | 'restaurants_live'
  | 'restaurant_trend'
  | 'restaurant_load_map'
  | 'couriers_live'
  | 'sentiment'
  | 'revenue'
  | 'revenue_by_city'
  | 'revenue_weekly'
  | 'revenue_month_to_date'
  | 'top_restaurants'
  | 'top_couriers'
  | 'top_dishes'
  | 'weather_orders'
  | 'weather_impact'
  | 'weather_city_heat'
  | 'route_order'
  | 'route_replay'
  | 'route_courier'
  | 'routes_active'
  | 'routes_recent'
  | 'models'
  | 'pipeline_freshness';

/** One query of a panel: docs/grafana.md, "Query model". Unset fields take the backend's defaults. */
export interface FlavorQuery extends DataQuery {
  queryType?: QueryType;
  /** City id or name, or a variable such as `$city`; empty or `all` = every city. */
  city?: string;
  /** Duration such as `15m`, `6h`, `7d`; empty = the panel's time range. */
  window?: string;
  /** Most rows, 1–1000. */
  limit?: number;
  /** Filter of sla_violations (breach, at_risk) and sentiment (restaurant, courier). */
  kind?: string;
  /** Filter of recommendations. */
  status?: string;
  /** Restaurant, order or courier id (see QueryTypeInfo.entity), or a variable such as `$order`. */
  entityId?: string;
  /** Weeks back, 1–52. */
  weeks?: number;
  /** GMV target, TND. */
  target?: number;
  /** Only orders placed within it (default 24h). */
  maxAge?: string;
  scenarioKind?: string;
  /** Replay speed: event-time seconds per wall-clock second (default 60). */
  speed?: number;
  /** Event time per replay frame (default 1m). */
  step?: string;
  /** Keep the panel updated through Grafana Live. */
  live?: boolean;
}

/** The fields of FlavorQuery that only some query types use (the editor shows only those). */
export const QUERY_OPTIONS = [
  'city',
  'window',
  'limit',
  'kind',
  'status',
  'entityId',
  'weeks',
  'target',
  'maxAge',
  'scenarioKind',
  'speed',
  'step',
  'live',
] as const;

export type QueryOption = (typeof QUERY_OPTIONS)[number];

export interface QueryTypeInfo {
  value: QueryType;
  label: string;
  description: string;
  /** The query fields this type reads, in the order the editor shows them. */
  options: QueryOption[];
  /**
   * Answered as a Grafana Live stream: with `live: true` for the types that have the `live`
   * option, always for the replays (which therefore have no `live` option).
   */
  streamable: boolean;
  /** The values of `kind`, for the types with that option. */
  kinds?: string[];
  /** What `entityId` names, for the types with that option. */
  entity?: 'restaurant' | 'order' | 'courier';
}

/** Every query type, in the order of docs/grafana.md: the one list the editor and tests use. */
export const QUERY_TYPES: QueryTypeInfo[] = [
  {
    value: 'cities',
    label: 'Cities',
    description: 'id, name, lat, lon of every city (for variables)',
    options: [],
    streamable: false,
  },
  {
    value: 'kpis',
    label: 'KPIs',
    description: 'One wide row: orders, SLA today, ETA, freshness',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'live_orders',
    label: 'Live orders',
    description: 'Table of open orders',
    options: ['city', 'maxAge', 'limit', 'live'],
    streamable: true,
  },
  {
    value: 'sla_violations',
    label: 'SLA violations',
    description: 'Orders past or close to their SLA',
    options: ['city', 'window', 'kind', 'limit', 'live'],
    streamable: true,
    kinds: ['breach', 'at_risk'],
  },
  {
    value: 'sla_dynamic_violations',
    label: 'Dynamic SLA violations',
    description: 'Orders late against their predicted ETA',
    options: ['city', 'window', 'limit'],
    streamable: false,
  },
  {
    value: 'sla_dynamic_summary',
    label: 'Dynamic SLA summary',
    description: 'One row: dynamic SLA totals',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'model_health',
    label: 'Model health',
    description: 'ETA model MAE and MAPE per 15 min, and the latest',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'pressure_top',
    label: 'Pressure: top cities',
    description: 'Cities under the most pressure',
    options: ['window', 'limit'],
    streamable: false,
  },
  {
    value: 'pressure_series',
    label: 'Pressure: series',
    description: 'Pressure of one city over time',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'heatmap',
    label: 'Heatmap',
    description: 'Time, one field per city',
    options: ['window'],
    streamable: false,
  },
  {
    value: 'heatmap_replay',
    label: 'Heatmap replay',
    description: 'Stream: the heatmap minute by minute at a speed',
    options: ['window', 'speed', 'step'],
    streamable: true,
  },
  {
    value: 'replay',
    label: 'Replay',
    description: 'Pressure and breaches of one city, with an actions frame for annotations',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'operator_actions',
    label: 'Operator actions',
    description: 'Activity: every write made through the API (about a city, when one is chosen)',
    options: ['city', 'window', 'limit'],
    streamable: false,
  },
  {
    value: 'alerts_active',
    label: 'Active alerts',
    description: 'Table of open alerts',
    options: ['city', 'live'],
    streamable: true,
  },
  {
    value: 'recommendations',
    label: 'Recommendations',
    description: 'Table of recommendations',
    options: ['city', 'window', 'status', 'limit'],
    streamable: false,
  },
  {
    value: 'scenarios',
    label: 'Scenarios',
    description: 'Scenarios with their time left',
    options: ['limit'],
    streamable: false,
  },
  {
    value: 'scenario_estimate',
    label: 'Scenario estimate',
    description: 'One row: a scenario’s predicted effect on a city',
    options: ['city', 'scenarioKind'],
    streamable: false,
  },
  {
    value: 'restaurants_live',
    label: 'Restaurants (live)',
    description: 'Table of restaurants and their load',
    options: ['city', 'limit', 'live'],
    streamable: true,
  },
  {
    value: 'restaurant_trend',
    label: 'Restaurant trend',
    description: 'Time series of one restaurant',
    options: ['entityId', 'window'],
    streamable: false,
    entity: 'restaurant',
  },
  {
    value: 'restaurant_load_map',
    label: 'Restaurant load map',
    description: 'Geomap: lat, lon, load_score',
    options: ['city'],
    streamable: false,
  },
  {
    value: 'couriers_live',
    label: 'Couriers (live)',
    description: 'Geomap/table: last position of each courier',
    options: ['city', 'limit', 'live'],
    streamable: true,
  },
  {
    value: 'sentiment',
    label: 'Sentiment',
    description: 'Review sentiment of restaurants or couriers',
    options: ['city', 'window', 'kind', 'limit'],
    streamable: false,
    kinds: ['restaurant', 'courier'],
  },
  {
    value: 'revenue',
    label: 'Revenue',
    description: 'One row: revenue over the window',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'revenue_by_city',
    label: 'Revenue by city',
    description: 'Table: revenue per city',
    options: ['window'],
    streamable: false,
  },
  {
    value: 'revenue_weekly',
    label: 'Revenue weekly',
    description: 'Time series per week',
    options: ['city', 'weeks'],
    streamable: false,
  },
  {
    value: 'revenue_month_to_date',
    label: 'Revenue month to date',
    description: 'One row: GMV so far against a target',
    options: ['city', 'target'],
    streamable: false,
  },
  {
    value: 'top_restaurants',
    label: 'Top restaurants',
    description: 'Table',
    options: ['city', 'window', 'limit'],
    streamable: false,
  },
  {
    value: 'top_couriers',
    label: 'Top couriers',
    description: 'Table',
    options: ['city', 'window', 'limit'],
    streamable: false,
  },
  {
    value: 'top_dishes',
    label: 'Top dishes',
    description: 'Table',
    options: ['city', 'window', 'limit'],
    streamable: false,
  },
  {
    value: 'weather_orders',
    label: 'Weather: orders',
    description: 'Table: orders by weather',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'weather_impact',
    label: 'Weather: impact',
    description: 'Table: delivery times by weather',
    options: ['city', 'window'],
    streamable: false,
  },
  {
    value: 'weather_city_heat',
    label: 'Weather: city heat',
    description: 'Geomap: lat, lon, condition',
    options: [],
    streamable: false,
  },
  {
    value: 'route_order',
    label: 'Route of an order',
    description: 'Geomap route: fixes by time',
    options: ['entityId'],
    streamable: false,
    entity: 'order',
  },
  {
    value: 'route_replay',
    label: 'Route replay',
    description: 'Stream: an order’s route growing fix by fix at a speed',
    options: ['entityId', 'speed'],
    streamable: true,
    entity: 'order',
  },
  {
    value: 'route_courier',
    label: 'Route of a courier',
    description: 'Geomap route of one courier',
    options: ['entityId', 'window', 'limit'],
    streamable: false,
    entity: 'courier',
  },
  {
    value: 'routes_active',
    label: 'Active routes',
    description: 'Geomap markers: last fix of each open order',
    options: ['city', 'maxAge', 'limit'],
    streamable: false,
  },
  {
    value: 'routes_recent',
    label: 'Recent routes',
    description: 'Table of recently delivered orders (the $order variable)',
    options: ['city', 'limit'],
    streamable: false,
  },
  {
    value: 'models',
    label: 'Models',
    description: 'Table of ETA model versions',
    options: ['limit'],
    streamable: false,
  },
  {
    value: 'pipeline_freshness',
    label: 'Pipeline freshness',
    description: 'Seconds from source commit to queryable',
    options: ['window', 'live'],
    streamable: true,
  },
];

/** Values of `status` for recommendations. */
export const RECOMMENDATION_STATUSES = ['pending', 'approved', 'dismissed', 'expired'];

/** Values of `scenarioKind` the API knows; the editor also takes others and variables. */
export const SCENARIO_KINDS = ['rain', 'promo', 'courier_outage'];

export const DEFAULT_QUERY: Partial<FlavorQuery> = { queryType: 'kpis' };

/** The data source's plain settings (jsonData): docs/grafana.md, "Settings". */
export interface FlavorOptions extends DataSourceJsonData {
  clickhouseAddr?: string;
  clickhouseDatabase?: string;
  clickhouseUser?: string;
  postgresUrl?: string;
  kafkaBrokers?: string;
  topicPrefix?: string;
  derivedPrefix?: string;
  apiUrl?: string;
}

/** Secrets Grafana keeps encrypted and never sends back to the browser (secureJsonData). */
export interface FlavorSecureJsonData {
  clickhousePassword?: string;
  postgresPassword?: string;
  apiToken?: string;
}
