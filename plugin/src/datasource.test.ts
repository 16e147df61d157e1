import { DataSourceInstanceSettings } from '@grafana/data';

import { DataSource } from './datasource';
import { DeploylensOptions, QueryType } from './types';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => ({
    getVariables: () => [],
    replace: (s: string) => s.replace('$team', 'payments').replace('$change', 'acme/shop#42'),
  }),
}));

const settings = {
  id: 1,
  uid: 'dl',
  type: 'deploylens-deploylens-datasource',
  name: 'deploylens',
  jsonData: {},
  meta: {},
  access: 'proxy',
  readOnly: false,
} as unknown as DataSourceInstanceSettings<DeploylensOptions>;

describe('DataSource', () => {
  it('answers variable queries from the backend resources', async () => {
    const ds = new DataSource(settings);
    const getResource = jest
      .spyOn(ds, 'getResource')
      .mockResolvedValue([{ label: 'checkout', value: 'checkout', description: 'team payments' }]);
    await expect(ds.metricFindQuery('services($team)')).resolves.toEqual([{ text: 'checkout', value: 'checkout' }]);
    expect(getResource).toHaveBeenCalledWith('services', { team: 'payments' });
    await ds.metricFindQuery('teams');
    expect(getResource).toHaveBeenLastCalledWith('teams');
    await ds.metricFindQuery({ query: 'environments' });
    expect(getResource).toHaveBeenLastCalledWith('environments', undefined);
  });

  it('rejects a variable query it does not know, saying what it knows', async () => {
    const ds = new DataSource(settings);
    await expect(ds.metricFindQuery('select 1')).rejects.toThrow(/teams, services\(\$team\)/);
  });

  it('replaces variables in every filter', () => {
    const ds = new DataSource(settings);
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: QueryType.ChangeTimeline, team: '$team', changeId: '$change' },
      {}
    );
    expect(q).toMatchObject({ team: 'payments', changeId: 'acme/shop#42' });
  });

  it('does not run a timeline query without a change', () => {
    const ds = new DataSource(settings);
    expect(ds.filterQuery({ refId: 'A', queryType: QueryType.ChangeTimeline })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: QueryType.DoraSummary })).toBe(true);
    expect(ds.filterQuery({ refId: 'A', queryType: QueryType.DoraSummary, hide: true })).toBe(false);
  });
});
