import {
  CoreApp,
  DataFrame,
  DataQueryRequest,
  DataSourceInstanceSettings,
  getDefaultTimeRange,
  LegacyMetricFindQueryOptions,
  MetricFindValue,
  ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { DEFAULT_QUERY, FlavorOptions, FlavorQuery, QueryType } from './types';

/** The string fields of a query that may hold dashboard variables such as `$city`. */
const TEMPLATED_FIELDS = ['city', 'entityId', 'window', 'kind', 'status', 'maxAge', 'scenarioKind'] as const;

/**
 * What a variable query (the text of a query variable) asks for: the backend query it runs and
 * the frame field whose values become the variable's options.
 */
const VARIABLE_QUERIES: Record<string, { queryType: QueryType; field: string }> = {
  // Any other text, empty included, lists the cities.
  cities: { queryType: 'cities', field: 'name' },
  orders: { queryType: 'routes_recent', field: 'order_id' },
};

export class DataSource extends DataSourceWithBackend<FlavorQuery, FlavorOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<FlavorOptions>) {
    super(instanceSettings);
    // Annotations are ordinary queries (e.g. operator_actions): their frames' time field and
    // text fields become the annotations, mapped in the annotation's settings.
    this.annotations = {};
  }

  getDefaultQuery(_: CoreApp): Partial<FlavorQuery> {
    return DEFAULT_QUERY;
  }

  /** Runs only the queries that name a type and are not hidden. */
  filterQuery(query: FlavorQuery): boolean {
    return Boolean(query.queryType) && !query.hide;
  }

  /** Replaces the dashboard variables in the string fields; unset fields stay unset. */
  applyTemplateVariables(query: FlavorQuery, scopedVars: ScopedVars): FlavorQuery {
    const templateSrv = getTemplateSrv();
    const interpolated: FlavorQuery = { ...query };
    for (const field of TEMPLATED_FIELDS) {
      const value = query[field];
      if (value) {
        interpolated[field] = templateSrv.replace(value, scopedVars);
      }
    }
    return interpolated;
  }

  /**
   * Options of a query variable: `orders` lists the recent orders' ids (routes_recent) of the
   * dashboard's $city, anything else the city names (cities).
   */
  async metricFindQuery(query: string, options?: LegacyMetricFindQueryOptions): Promise<MetricFindValue[]> {
    const { queryType, field } = VARIABLE_QUERIES[query?.trim()] ?? VARIABLE_QUERIES.cities;
    const target: FlavorQuery = { refId: 'variable', queryType };
    if (queryType === 'routes_recent') {
      // The orders of the dashboard's city, when it has a $city variable.
      const city = getTemplateSrv().replace('$city', options?.scopedVars);
      if (city !== '$city') {
        target.city = city;
      }
    }
    const request: DataQueryRequest<FlavorQuery> = {
      requestId: `${this.uid}-variable-${queryType}`,
      app: CoreApp.Unknown,
      targets: [target],
      range: options?.range ?? getDefaultTimeRange(),
      scopedVars: options?.scopedVars ?? {},
      interval: '1m',
      intervalMs: 60_000,
      timezone: 'browser',
      startTime: Date.now(),
    };
    const response = await lastValueFrom(this.query(request));
    if (response.errors?.length) {
      throw new Error(response.errors.map((e) => e.message).join('; '));
    }
    return (response.data as DataFrame[]).flatMap((frame) => frameValues(frame, field));
  }
}

/** The values of one field of a frame as variable options, text and value alike. */
function frameValues(frame: DataFrame, fieldName: string): MetricFindValue[] {
  const field = frame.fields.find((f) => f.name === fieldName);
  if (!field) {
    return [];
  }
  return field.values
    .filter((v) => v !== null && v !== undefined)
    .map((v) => {
      const text = String(v);
      return { text, value: text };
    });
}
