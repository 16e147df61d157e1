import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { DataSourceSettings } from '@grafana/data';

import { ConfigEditor } from './ConfigEditor';
import { DeploylensOptions, DeploylensSecureJsonData } from '../types';

type Settings = DataSourceSettings<DeploylensOptions, DeploylensSecureJsonData>;

function settings(patch: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'dl',
    orgId: 1,
    name: 'deploylens',
    type: 'deploylens-deploylens-datasource',
    typeName: 'deploylens',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: {},
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    ...patch,
  };
}

describe('ConfigEditor', () => {
  it('saves the URL as the data source URL', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText('URL'), { target: { value: ' http://deploylens:8080 ' } });
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ url: 'http://deploylens:8080' }));
  });

  it('puts the token in secureJsonData, never in jsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText('Token'), { target: { value: 'dlk_abc_secret' } });
    const saved: Settings = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonData).toEqual({ token: 'dlk_abc_secret' });
    expect(JSON.stringify(saved.jsonData)).not.toContain('dlk_abc_secret');
  });

  it('shows a stored token as configured and resets it', () => {
    const onOptionsChange = jest.fn();
    render(
      <ConfigEditor options={settings({ secureJsonFields: { token: true } })} onOptionsChange={onOptionsChange} />
    );
    expect(screen.getByLabelText('Token')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: /reset/i }));
    const saved: Settings = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonFields.token).toBe(false);
    expect(saved.secureJsonData?.token).toBe('');
  });

  it('keeps the default environment in jsonData', () => {
    const onOptionsChange = jest.fn();
    render(
      <ConfigEditor options={settings({ jsonData: { benchmarkYear: '2024' } })} onOptionsChange={onOptionsChange} />
    );
    fireEvent.change(screen.getByLabelText('Default environment'), { target: { value: 'staging' } });
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: { benchmarkYear: '2024', defaultEnvironment: 'staging' } })
    );
  });
});
