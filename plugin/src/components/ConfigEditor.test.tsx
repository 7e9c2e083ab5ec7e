import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FlavorOptions, FlavorSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Settings = DataSourceSettings<FlavorOptions, FlavorSecureJsonData>;

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'flavortrend',
    name: 'Flavor Trend',
    type: 'flavortrend-flavortrend-datasource',
    access: 'proxy',
    jsonData: { topicPrefix: 'ft' },
    secureJsonFields: {},
    ...overrides,
  } as Settings;
}

function setup(options: Settings) {
  const onOptionsChange = jest.fn();
  render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
  return onOptionsChange;
}

const section = (name: string) => within(screen.getByRole('group', { name }));

describe('ConfigEditor', () => {
  it('shows the defaults as placeholders', () => {
    setup(settings());
    for (const value of [
      '127.0.0.1:19000',
      'flavortrend',
      'default',
      'postgres://flavortrend@127.0.0.1:15432/flavortrend?sslmode=disable',
      '127.0.0.1:19092',
      'http://127.0.0.1:8080',
    ]) {
      expect(screen.getAllByPlaceholderText(value).length).toBeGreaterThan(0);
    }
  });

  it('sets an address in jsonData, keeping the other settings', () => {
    const onOptionsChange = setup(settings());
    fireEvent.change(section('ClickHouse').getByLabelText('Address'), { target: { value: 'clickhouse:9000' } });
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: { topicPrefix: 'ft', clickhouseAddr: 'clickhouse:9000' } })
    );
  });

  it('sets a secret in secureJsonData', () => {
    const onOptionsChange = setup(settings());
    fireEvent.change(section('PostgreSQL').getByLabelText('Password'), { target: { value: 's3cret' } });
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ secureJsonData: { postgresPassword: 's3cret' }, jsonData: { topicPrefix: 'ft' } })
    );
  });

  it('shows a configured secret as configured, and reset clears it', async () => {
    const onOptionsChange = setup(settings({ secureJsonFields: { apiToken: true } }));
    const api = section('Flavor Trend API');
    expect(api.getByLabelText('Token')).toHaveValue('configured');
    expect(api.getByLabelText('Token')).toBeDisabled();
    // The other secrets are not configured.
    expect(section('ClickHouse').getByLabelText('Password')).toHaveValue('');

    await userEvent.click(api.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } })
    );
  });
});
