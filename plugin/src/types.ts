import { DataSourceJsonData, SelectableValue } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** What a panel asks deploylens for. The backend's QueryType (pkg/plugin/query.go) holds the same strings. */
export enum QueryType {
  DoraSummary = 'dora_summary',
  DoraSeries = 'dora_series',
  Benchmark = 'benchmark',
  Waits = 'waits',
  TopWaits = 'top_waits',
  WaitingShare = 'waiting_share',
  ChangeTimeline = 'change_timeline',
  Deployments = 'deployments',
  CanaryAnalyses = 'canary_analyses',
  Incidents = 'incidents',
}

export type Step = 'auto' | 'day' | 'week' | 'month';

export interface DeploylensQuery extends DataQuery {
  queryType: QueryType;
  team?: string;
  service?: string;
  environment?: string;
  /** DORA series only: auto follows the panel's interval. */
  step?: Step;
  /** Change timeline only. */
  changeId?: string;
  /** Top waits only (default 10). */
  limit?: number;
}

export const DEFAULT_QUERY: Partial<DeploylensQuery> = {
  queryType: QueryType.DoraSummary,
};

interface QueryTypeInfo {
  label: string;
  description: string;
  /** Which filters the query type reads. */
  filters: boolean;
}

export const QUERY_TYPES: Record<QueryType, QueryTypeInfo> = {
  [QueryType.DoraSummary]: {
    label: 'DORA summary',
    description: 'The five DORA metrics over the time range',
    filters: true,
  },
  [QueryType.DoraSeries]: {
    label: 'DORA series',
    description: 'The five DORA metrics per day, week or month',
    filters: true,
  },
  [QueryType.Benchmark]: {
    label: 'Benchmark levels',
    description: "Each metric's DORA level: elite, high, medium, low",
    filters: true,
  },
  [QueryType.Waits]: {
    label: 'Wait-time breakdown',
    description: 'Lead time split into named segments, waiting or active',
    filters: true,
  },
  [QueryType.TopWaits]: {
    label: 'Top waits',
    description: 'The pipeline stages that kept changes waiting longest',
    filters: true,
  },
  [QueryType.WaitingShare]: {
    label: 'Waiting share',
    description: 'Share of lead time spent waiting, per week',
    filters: true,
  },
  [QueryType.ChangeTimeline]: {
    label: 'Change timeline',
    description: "One change's lead time as a waterfall (trace view)",
    filters: false,
  },
  [QueryType.Deployments]: {
    label: 'Deployments',
    description: 'Deployments with failures, rollbacks and canary verdicts',
    filters: true,
  },
  [QueryType.CanaryAnalyses]: {
    label: 'Canary analyses',
    description: 'Canary verdicts with their reasons',
    filters: true,
  },
  [QueryType.Incidents]: {
    label: 'Incidents',
    description: 'Incidents and the deployments they are attributed to',
    filters: true,
  },
};

export const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = (Object.keys(QUERY_TYPES) as QueryType[]).map(
  (value) => ({ value, label: QUERY_TYPES[value].label, description: QUERY_TYPES[value].description })
);

export const STEP_OPTIONS: Array<SelectableValue<Step>> = [
  { value: 'auto', label: 'Auto', description: "Day, week or month, from the panel's interval" },
  { value: 'day', label: 'Day' },
  { value: 'week', label: 'Week' },
  { value: 'month', label: 'Month' },
];

/** jsonData of the data source. */
export interface DeploylensOptions extends DataSourceJsonData {
  /** Environment of queries that name none (default production). */
  defaultEnvironment?: string;
  /** DORA clusters levels are judged against: 2023 or 2024. */
  benchmarkYear?: string;
}

/** secureJsonData: kept encrypted by Grafana, seen only by the backend. */
export interface DeploylensSecureJsonData {
  token?: string;
}

/** One choice served by the backend's resources (teams, services, environments, changes). */
export interface ResourceOption {
  label: string;
  value: string;
  description?: string;
}
