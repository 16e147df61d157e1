import React, { useEffect, useMemo, useState } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { InlineField, Input, Select, Stack } from '@grafana/ui';

import { DataSource } from '../datasource';
import {
  DeploylensOptions,
  DeploylensQuery,
  QUERY_TYPE_OPTIONS,
  QUERY_TYPES,
  QueryType,
  ResourceOption,
  STEP_OPTIONS,
  Step,
} from '../types';

type Props = QueryEditorProps<DataSource, DeploylensQuery, DeploylensOptions>;

interface Loaded {
  options: Array<SelectableValue<string>>;
  loading: boolean;
  error?: string;
}

/** Dashboard variables are offered beside the backend's options. */
function withVariables(options: ResourceOption[]): Array<SelectableValue<string>> {
  const vars = getTemplateSrv()
    .getVariables()
    .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'dashboard variable' }));
  return [...vars, ...options.map((o) => ({ label: o.label, value: o.value, description: o.description }))];
}

interface Fetched {
  key?: string;
  options: Array<SelectableValue<string>>;
  error?: string;
}

/** Loads options from a backend resource whenever its key changes. */
function useResource(load: () => Promise<ResourceOption[]>, key: string, enabled: boolean): Loaded {
  const [fetched, setFetched] = useState<Fetched>({ options: [] });
  useEffect(() => {
    if (!enabled) {
      return;
    }
    let cancelled = false;
    load().then(
      (opts) => !cancelled && setFetched({ key, options: withVariables(opts) }),
      (err) =>
        !cancelled &&
        setFetched({ key, options: withVariables([]), error: err?.data?.error ?? err?.message ?? String(err) })
    );
    return () => {
      cancelled = true;
    };
    // load changes identity on every render; key says when to reload.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, enabled]);
  const current = fetched.key === key;
  return { options: fetched.options, loading: enabled && !current, error: current ? fetched.error : undefined };
}

/** Keeps a value that is not among the options (a typed one, or one the token cannot list) selectable. */
function ensure(options: Array<SelectableValue<string>>, value?: string): Array<SelectableValue<string>> {
  if (!value || options.some((o) => o.value === value)) {
    return options;
  }
  return [...options, { label: value, value }];
}

const WIDTH = 24;

export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const queryType = query.queryType ?? QueryType.DoraSummary;
  const info = QUERY_TYPES[queryType];
  const filters = info?.filters ?? true;
  // A timeline is one change's, up to its deployment to one environment.
  const environmentOnly = queryType === QueryType.ChangeTimeline;

  const teams = useResource(() => datasource.getTeams(), 'teams', filters);
  const services = useResource(() => datasource.getServices(query.team), `services:${query.team ?? ''}`, filters);
  const environments = useResource(
    () => datasource.getEnvironments(query.team),
    `environments:${query.team ?? ''}`,
    filters || environmentOnly
  );

  const update = (patch: Partial<DeploylensQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };

  const teamOptions = useMemo(() => ensure(teams.options, query.team), [teams.options, query.team]);
  const serviceOptions = useMemo(() => ensure(services.options, query.service), [services.options, query.service]);
  const environmentOptions = useMemo(
    () => ensure(environments.options, query.environment),
    [environments.options, query.environment]
  );

  return (
    <Stack direction="column" gap={0}>
      <Stack gap={0} wrap="wrap">
        <InlineField label="Query" labelWidth={10} tooltip={info?.description}>
          <Select
            inputId="query-editor-type"
            aria-label="Query type"
            width={WIDTH}
            options={QUERY_TYPE_OPTIONS}
            value={queryType}
            onChange={(v: SelectableValue<QueryType>) => update({ queryType: v.value ?? QueryType.DoraSummary })}
          />
        </InlineField>
        {queryType === QueryType.DoraSeries && (
          <InlineField
            label="Step"
            labelWidth={8}
            tooltip="Auto: day, week or month from the panel's interval (set its min interval to 1w for weekly points)"
          >
            <Select
              inputId="query-editor-step"
              aria-label="Step"
              width={16}
              options={STEP_OPTIONS}
              value={query.step ?? 'auto'}
              onChange={(v: SelectableValue<Step>) => update({ step: v.value ?? 'auto' })}
            />
          </InlineField>
        )}
        {queryType === QueryType.TopWaits && (
          <InlineField label="Limit" labelWidth={8}>
            <Input
              id="query-editor-limit"
              aria-label="Limit"
              type="number"
              min={1}
              width={10}
              value={query.limit ?? 10}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                onChange({ ...query, limit: Number(e.currentTarget.value) || undefined })
              }
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
        {queryType === QueryType.ChangeTimeline && (
          <InlineField
            label="Change"
            labelWidth={10}
            tooltip="Change id, e.g. owner/repo#123, or a variable such as $change"
          >
            <Input
              id="query-editor-change"
              aria-label="Change"
              width={32}
              placeholder="$change"
              value={query.changeId ?? ''}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                onChange({ ...query, changeId: e.currentTarget.value })
              }
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
      </Stack>
      {(filters || environmentOnly) && (
        <Stack gap={0} wrap="wrap">
          {filters && (
            <>
              <InlineField label="Team" labelWidth={10} invalid={!!teams.error} error={teams.error}>
                <Select
                  inputId="query-editor-team"
                  aria-label="Team"
                  width={WIDTH}
                  isClearable
                  allowCustomValue
                  placeholder="All teams"
                  isLoading={teams.loading}
                  options={teamOptions}
                  value={query.team || null}
                  onChange={(v: SelectableValue<string> | null) =>
                    update({ team: v?.value || undefined, service: undefined })
                  }
                />
              </InlineField>
              <InlineField label="Service" labelWidth={10} invalid={!!services.error} error={services.error}>
                <Select
                  inputId="query-editor-service"
                  aria-label="Service"
                  width={WIDTH}
                  isClearable
                  allowCustomValue
                  placeholder="All services"
                  isLoading={services.loading}
                  options={serviceOptions}
                  value={query.service || null}
                  onChange={(v: SelectableValue<string> | null) => update({ service: v?.value || undefined })}
                />
              </InlineField>
            </>
          )}
          <InlineField label="Environment" labelWidth={14} invalid={!!environments.error} error={environments.error}>
            <Select
              inputId="query-editor-environment"
              aria-label="Environment"
              width={WIDTH}
              isClearable
              allowCustomValue
              placeholder="Default environment"
              isLoading={environments.loading}
              options={environmentOptions}
              value={query.environment || null}
              onChange={(v: SelectableValue<string> | null) => update({ environment: v?.value || undefined })}
            />
          </InlineField>
        </Stack>
      )}
    </Stack>
  );
}
