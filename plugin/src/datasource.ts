import { CoreApp, DataSourceInstanceSettings, MetricFindValue, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import { DEFAULT_QUERY, DeploylensOptions, DeploylensQuery, QueryType, ResourceOption } from './types';

/** A variable query: teams, services(team), environments(team) or changes(team). */
const VARIABLE_QUERY = /^\s*(teams|services|environments|changes)\s*(?:\(\s*([^)]*?)\s*\))?\s*$/;

export class DataSource extends DataSourceWithBackend<DeploylensQuery, DeploylensOptions> {
  /** Deployments queries can feed annotations: their frames carry time, text and tags. */
  annotations = {};

  constructor(instanceSettings: DataSourceInstanceSettings<DeploylensOptions>) {
    super(instanceSettings);
  }

  getDefaultQuery(_: CoreApp): Partial<DeploylensQuery> {
    return DEFAULT_QUERY;
  }

  applyTemplateVariables(query: DeploylensQuery, scopedVars: ScopedVars): DeploylensQuery {
    const t = getTemplateSrv();
    const replace = (v?: string) => (v === undefined ? v : t.replace(v, scopedVars));
    return {
      ...query,
      team: replace(query.team),
      service: replace(query.service),
      environment: replace(query.environment),
      changeId: replace(query.changeId),
    };
  }

  filterQuery(query: DeploylensQuery): boolean {
    if (query.hide) {
      return false;
    }
    // A timeline without a change would only answer with an error.
    return query.queryType !== QueryType.ChangeTimeline || !!query.changeId;
  }

  /** Teams the data source's token may see. */
  getTeams(): Promise<ResourceOption[]> {
    return this.getResource<ResourceOption[]>('teams');
  }

  /** Services, of one team if team is set. */
  getServices(team?: string): Promise<ResourceOption[]> {
    return this.getResource<ResourceOption[]>('services', this.teamParam(team));
  }

  /** Environments deployed to, the default first. */
  getEnvironments(team?: string): Promise<ResourceOption[]> {
    return this.getResource<ResourceOption[]>('environments', this.teamParam(team));
  }

  /** Recently deployed changes, newest first. */
  getChanges(team?: string): Promise<ResourceOption[]> {
    return this.getResource<ResourceOption[]>('changes', this.teamParam(team));
  }

  private teamParam(team?: string): Record<string, string> | undefined {
    const t = team ? getTemplateSrv().replace(team) : '';
    return t ? { team: t } : undefined;
  }

  /** Variable queries: `teams`, `services($team)`, `environments($team)`, `changes($team)`. */
  async metricFindQuery(query: string | { query?: string }): Promise<MetricFindValue[]> {
    const text = typeof query === 'string' ? query : (query?.query ?? '');
    const m = VARIABLE_QUERY.exec(text);
    if (!m) {
      throw new Error(
        `"${text}" is not a deploylens variable query: use teams, services($team), environments($team) or changes($team)`
      );
    }
    const [, kind, team] = m;
    const options =
      kind === 'teams'
        ? await this.getTeams()
        : kind === 'services'
          ? await this.getServices(team)
          : kind === 'environments'
            ? await this.getEnvironments(team)
            : await this.getChanges(team);
    return options.map((o) => ({ text: o.label, value: o.value }));
  }
}
