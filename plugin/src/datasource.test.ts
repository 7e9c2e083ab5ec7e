import { CoreApp, createDataFrame, DataSourceInstanceSettings, FieldType, ScopedVars } from '@grafana/data';
import { of } from 'rxjs';

import { DataSource } from './datasource';
import { FlavorOptions, FlavorQuery } from './types';

// A template service that knows $city and $order, and the scoped variables it is given.
const mockVariables: Record<string, string> = { city: 'Tunis', order: '42', window: '6h' };
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => ({
    replace: (text: string, scopedVars?: ScopedVars) =>
      text.replace(/\$(\w+)/g, (whole, name: string) => scopedVars?.[name]?.value ?? mockVariables[name] ?? whole),
  }),
}));

const settings = {
  id: 1,
  uid: 'flavortrend',
  type: 'flavortrend-flavortrend-datasource',
  name: 'Flavor Trend',
  access: 'proxy',
  jsonData: {},
  meta: {},
  readOnly: true,
} as unknown as DataSourceInstanceSettings<FlavorOptions>;

describe('DataSource', () => {
  const ds = new DataSource(settings);

  it('defaults to the kpis query', () => {
    expect(ds.getDefaultQuery(CoreApp.Explore)).toEqual({ queryType: 'kpis' });
  });

  describe('applyTemplateVariables', () => {
    it('interpolates every string field that may hold a variable', () => {
      const query: FlavorQuery = {
        refId: 'A',
        queryType: 'sla_violations',
        city: '$city',
        entityId: '$order',
        window: '$window',
        kind: '$kind',
        status: '$status',
        maxAge: '$maxAge',
        scenarioKind: '$scenario',
        limit: 50,
        live: true,
      };
      const scopedVars: ScopedVars = {
        kind: { text: 'breach', value: 'breach' },
        status: { text: 'open', value: 'open' },
        maxAge: { text: '2h', value: '2h' },
        scenario: { text: 'rain', value: 'rain' },
      };
      expect(ds.applyTemplateVariables(query, scopedVars)).toEqual({
        refId: 'A',
        queryType: 'sla_violations',
        city: 'Tunis',
        entityId: '42',
        window: '6h',
        kind: 'breach',
        status: 'open',
        maxAge: '2h',
        scenarioKind: 'rain',
        limit: 50,
        live: true,
      });
    });

    it('prefers scoped variables (repeated panels) and leaves unset fields unset', () => {
      const out = ds.applyTemplateVariables(
        { refId: 'A', queryType: 'kpis', city: '$city' },
        {
          city: { text: 'Sfax', value: 'Sfax' },
        }
      );
      expect(out).toStrictEqual({ refId: 'A', queryType: 'kpis', city: 'Sfax' });
    });
  });

  describe('filterQuery', () => {
    it('drops queries without a type', () => {
      expect(ds.filterQuery({ refId: 'A' })).toBe(false);
    });

    it('drops hidden queries', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'kpis', hide: true })).toBe(false);
    });

    it('keeps the others', () => {
      expect(ds.filterQuery({ refId: 'A', queryType: 'kpis' })).toBe(true);
      expect(ds.filterQuery({ refId: 'A', queryType: 'kpis', hide: false })).toBe(true);
    });
  });

  describe('metricFindQuery', () => {
    afterEach(() => jest.restoreAllMocks());

    it('lists the city names', async () => {
      const query = jest.spyOn(ds, 'query').mockReturnValue(
        of({
          data: [
            createDataFrame({
              name: 'cities',
              fields: [
                { name: 'id', type: FieldType.number, values: [1, 2] },
                { name: 'name', type: FieldType.string, values: ['Tunis', 'Sfax'] },
              ],
            }),
          ],
        })
      );
      await expect(ds.metricFindQuery('')).resolves.toEqual([
        { text: 'Tunis', value: 'Tunis' },
        { text: 'Sfax', value: 'Sfax' },
      ]);
      expect(query.mock.calls[0][0].targets).toEqual([{ refId: 'variable', queryType: 'cities' }]);
    });

    it('lists the recent order ids of the city for `orders`', async () => {
      const query = jest.spyOn(ds, 'query').mockReturnValue(
        of({
          data: [
            createDataFrame({
              fields: [
                { name: 'order_id', type: FieldType.number, values: [1001, 1002] },
                { name: 'city_id', type: FieldType.number, values: [1, 1] },
              ],
            }),
          ],
        })
      );
      await expect(ds.metricFindQuery(' orders ')).resolves.toEqual([
        { text: '1001', value: '1001' },
        { text: '1002', value: '1002' },
      ]);
      // Of the dashboard's city ($city is Tunis here).
      expect(query.mock.calls[0][0].targets).toEqual([{ refId: 'variable', queryType: 'routes_recent', city: 'Tunis' }]);
    });

    it('fails with the backend’s error', async () => {
      jest
        .spyOn(ds, 'query')
        .mockReturnValue(of({ data: [], errors: [{ message: 'clickhouse: connection refused' }] }));
      await expect(ds.metricFindQuery('')).rejects.toThrow('clickhouse: connection refused');
    });
  });
});
