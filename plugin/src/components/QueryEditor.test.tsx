import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import { chooseOption } from '../test/select';

import { QueryEditor } from './QueryEditor';
import { DataSource } from '../datasource';
import { DeploylensQuery, QueryType, ResourceOption } from '../types';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => ({
    getVariables: () => [{ name: 'team' }],
    replace: (s: string) => s,
  }),
}));

function fakeDatasource(resources: Record<string, ResourceOption[]>) {
  const calls: Array<[string, Record<string, string> | undefined]> = [];
  const ds = {
    getTeams: () => {
      calls.push(['teams', undefined]);
      return Promise.resolve(resources.teams ?? []);
    },
    getServices: (team?: string) => {
      calls.push(['services', team ? { team } : undefined]);
      return Promise.resolve(resources[`services:${team ?? ''}`] ?? []);
    },
    getEnvironments: (team?: string) => {
      calls.push(['environments', team ? { team } : undefined]);
      return Promise.resolve(resources.environments ?? [{ label: 'production', value: 'production' }]);
    },
  };
  return { ds: ds as unknown as DataSource, calls };
}

function renderEditor(query: DeploylensQuery, ds: DataSource) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const view = render(<QueryEditor query={query} datasource={ds} onChange={onChange} onRunQuery={onRunQuery} />);
  return { onChange, onRunQuery, view };
}

describe('QueryEditor', () => {
  it('lists the teams the backend serves, and the dashboard variables', async () => {
    const { ds } = fakeDatasource({
      teams: [
        { label: 'payments', value: 'payments' },
        { label: 'search', value: 'search' },
      ],
    });
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: QueryType.DoraSummary }, ds);
    await chooseOption(screen.getByLabelText('Team'), 'search');
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ team: 'search', service: undefined }));
    expect(onRunQuery).toHaveBeenCalled();
    await chooseOption(screen.getByLabelText('Team'), '$team');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ team: '$team' }));
  });

  it("lists the chosen team's services", async () => {
    const { ds, calls } = fakeDatasource({
      'services:payments': [{ label: 'checkout', value: 'checkout', description: 'team payments' }],
    });
    const { onChange } = renderEditor({ refId: 'A', queryType: QueryType.Deployments, team: 'payments' }, ds);
    await waitFor(() => expect(calls).toContainEqual(['services', { team: 'payments' }]));
    await chooseOption(screen.getByLabelText('Service'), 'checkout');
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ team: 'payments', service: 'checkout' }));
  });

  it('changes the query type and shows its own fields', async () => {
    const { ds } = fakeDatasource({});
    const { onChange, view } = renderEditor({ refId: 'A', queryType: QueryType.DoraSummary }, ds);
    expect(screen.queryByLabelText('Step')).not.toBeInTheDocument();
    await chooseOption(screen.getByLabelText('Query type'), 'DORA series');
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ queryType: QueryType.DoraSeries }));
    view.rerender(
      <QueryEditor
        query={{ refId: 'A', queryType: QueryType.DoraSeries }}
        datasource={ds}
        onChange={onChange}
        onRunQuery={jest.fn()}
      />
    );
    expect(screen.getByLabelText('Step')).toBeInTheDocument();
  });

  it('asks a timeline query for a change and its environment only', async () => {
    const { ds, calls } = fakeDatasource({});
    renderEditor({ refId: 'A', queryType: QueryType.ChangeTimeline, changeId: '$change' }, ds);
    expect(screen.getByLabelText('Change')).toHaveValue('$change');
    expect(screen.queryByLabelText('Team')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Service')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Environment')).toBeInTheDocument();
    await waitFor(() => expect(calls).toEqual([['environments', undefined]]));
  });

  it('shows why the teams could not be listed', async () => {
    const ds = {
      getTeams: () => Promise.reject({ data: { error: 'deploylens answered 401: invalid or revoked bearer token' } }),
      getServices: () => Promise.resolve([]),
      getEnvironments: () => Promise.resolve([]),
    } as unknown as DataSource;
    renderEditor({ refId: 'A', queryType: QueryType.DoraSummary }, ds);
    expect(await screen.findByText(/invalid or revoked bearer token/)).toBeInTheDocument();
  });
});
