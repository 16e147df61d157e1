import React, { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import { FieldSet, InlineField, Input, SecretInput, Select } from '@grafana/ui';

import { DeploylensOptions, DeploylensSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<DeploylensOptions, DeploylensSecureJsonData>;

const BENCHMARK_YEARS: Array<SelectableValue<string>> = [
  { value: '', label: "Server's default" },
  { value: '2024', label: 'DORA 2024' },
  { value: '2023', label: 'DORA 2023' },
];

const LABEL_WIDTH = 20;

/** The data source page: where deploylens is, the read token, and query defaults. */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields } = options;

  const setJsonData = (patch: Partial<DeploylensOptions>) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });

  const onTokenChange = (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, token: event.target.value } });

  const onTokenReset = () =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, token: false },
      secureJsonData: { ...options.secureJsonData, token: '' },
    });

  return (
    <>
      <FieldSet label="Connection">
        <InlineField
          label="URL"
          labelWidth={LABEL_WIDTH}
          tooltip="Address of deploylens' HTTP listener (the query role), as Grafana's server reaches it"
          required
        >
          <Input
            id="config-editor-url"
            aria-label="URL"
            width={48}
            placeholder="http://deploylens:8080"
            value={options.url ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => onOptionsChange({ ...options, url: e.target.value.trim() })}
          />
        </InlineField>
        <InlineField
          label="Token"
          labelWidth={LABEL_WIDTH}
          tooltip="A deploylens read token: deploylens token create --role read --name grafana"
          required
        >
          <SecretInput
            id="config-editor-token"
            aria-label="Token"
            width={48}
            placeholder="dlk_…"
            isConfigured={!!secureJsonFields?.token}
            value={options.secureJsonData?.token ?? ''}
            onChange={onTokenChange}
            onReset={onTokenReset}
          />
        </InlineField>
      </FieldSet>
      <FieldSet label="Query defaults">
        <InlineField
          label="Default environment"
          labelWidth={LABEL_WIDTH}
          tooltip="Environment of queries that name none"
        >
          <Input
            id="config-editor-environment"
            aria-label="Default environment"
            width={30}
            placeholder="production"
            value={jsonData.defaultEnvironment ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJsonData({ defaultEnvironment: e.target.value.trim() })}
          />
        </InlineField>
        <InlineField
          label="Benchmark"
          labelWidth={LABEL_WIDTH}
          tooltip="The DORA report whose clusters decide elite, high, medium and low"
        >
          <Select
            inputId="config-editor-benchmark"
            aria-label="Benchmark"
            width={30}
            options={BENCHMARK_YEARS}
            value={jsonData.benchmarkYear ?? ''}
            onChange={(v: SelectableValue<string>) => setJsonData({ benchmarkYear: v.value || undefined })}
          />
        </InlineField>
      </FieldSet>
    </>
  );
}
