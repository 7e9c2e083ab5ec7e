import React from 'react';
import {
  DataSourceJsonData,
  DataSourcePluginOptionsEditorProps,
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceSecureJsonDataOption,
  updateDatasourcePluginResetOption,
} from '@grafana/data';
import { FieldSet, InlineField, Input, SecretInput } from '@grafana/ui';

import { FlavorOptions, FlavorSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<FlavorOptions, FlavorSecureJsonData>;

/** A setting: a jsonData key, or a secureJsonData key when `secret`. */
type Setting =
  | { key: keyof Omit<FlavorOptions, keyof DataSourceJsonData>; secret?: false }
  | { key: keyof FlavorSecureJsonData; secret: true };

type SettingRow = Setting & {
  label: string;
  tooltip: string;
  /** The backend's default (docs/grafana.md). */
  placeholder: string;
};

const SECTIONS: Array<{ title: string; settings: SettingRow[] }> = [
  {
    title: 'ClickHouse',
    settings: [
      {
        key: 'clickhouseAddr',
        label: 'Address',
        tooltip: 'Native protocol address, host:port',
        placeholder: '127.0.0.1:19000',
      },
      {
        key: 'clickhouseDatabase',
        label: 'Database',
        tooltip: 'Database of the analytics tables',
        placeholder: 'flavortrend',
      },
      { key: 'clickhouseUser', label: 'User', tooltip: 'ClickHouse user', placeholder: 'default' },
      {
        key: 'clickhousePassword',
        secret: true,
        label: 'Password',
        tooltip: 'ClickHouse password',
        placeholder: 'not set',
      },
    ],
  },
  {
    title: 'PostgreSQL',
    settings: [
      {
        key: 'postgresUrl',
        label: 'URL',
        tooltip: 'Control plane (scenarios, acknowledgements, operator actions), without the password',
        placeholder: 'postgres://flavortrend@127.0.0.1:15432/flavortrend?sslmode=disable',
      },
      {
        key: 'postgresPassword',
        secret: true,
        label: 'Password',
        tooltip: 'PostgreSQL password',
        placeholder: 'not set',
      },
    ],
  },
  {
    title: 'Kafka',
    settings: [
      {
        key: 'kafkaBrokers',
        label: 'Brokers',
        tooltip: 'Comma-separated brokers of the live streams',
        placeholder: '127.0.0.1:19092',
      },
      { key: 'topicPrefix', label: 'Topic prefix', tooltip: 'Prefix of the CDC topics', placeholder: 'flavortrend' },
      { key: 'derivedPrefix', label: 'Derived prefix', tooltip: 'Prefix of the derived topics', placeholder: 'empty' },
    ],
  },
  {
    title: 'Flavor Trend API',
    settings: [
      {
        key: 'apiUrl',
        label: 'URL',
        tooltip: 'The API the dashboards’ controls are forwarded to',
        placeholder: 'http://127.0.0.1:8080',
      },
      {
        key: 'apiToken',
        secret: true,
        label: 'Token',
        tooltip: 'Bearer token the plugin adds when it forwards a control; it never reaches the browser',
        placeholder: 'bearer token',
      },
    ],
  },
];

const LABEL_WIDTH = 16;
const INPUT_WIDTH = 60;

/** The data source settings page: docs/grafana.md, "Settings". Empty fields take the defaults shown. */
export function ConfigEditor(props: Props) {
  const { jsonData, secureJsonData, secureJsonFields } = props.options;

  const input = (setting: SettingRow) => {
    const id = `flavortrend-config-${setting.key}`;
    if (setting.secret) {
      return (
        <SecretInput
          id={id}
          width={INPUT_WIDTH}
          placeholder={setting.placeholder}
          isConfigured={Boolean(secureJsonFields?.[setting.key])}
          value={secureJsonData?.[setting.key] ?? ''}
          onChange={onUpdateDatasourceSecureJsonDataOption(props, setting.key)}
          onReset={() => updateDatasourcePluginResetOption(props, setting.key)}
        />
      );
    }
    return (
      <Input
        id={id}
        width={INPUT_WIDTH}
        placeholder={setting.placeholder}
        value={jsonData[setting.key] ?? ''}
        onChange={onUpdateDatasourceJsonDataOption(props, setting.key)}
      />
    );
  };

  return (
    <>
      {SECTIONS.map((section) => (
        <FieldSet key={section.title} label={section.title}>
          {section.settings.map((setting) => (
            <InlineField key={setting.key} label={setting.label} labelWidth={LABEL_WIDTH} tooltip={setting.tooltip}>
              {input(setting)}
            </InlineField>
          ))}
        </FieldSet>
      ))}
    </>
  );
}
