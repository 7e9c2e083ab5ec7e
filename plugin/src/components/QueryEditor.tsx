import React, { ChangeEvent } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow, Input, Stack, Switch, Text } from '@grafana/ui';

import { DataSource } from '../datasource';
import {
  FlavorOptions,
  FlavorQuery,
  QUERY_OPTIONS,
  QUERY_TYPES,
  QueryOption,
  QueryTypeInfo,
  RECOMMENDATION_STATUSES,
  SCENARIO_KINDS,
} from '../types';

type Props = QueryEditorProps<DataSource, FlavorQuery, FlavorOptions>;

const TYPE_OPTIONS: Array<ComboboxOption<string>> = QUERY_TYPES.map(({ value, label, description }) => ({
  value,
  label,
  description,
}));

const LABEL_WIDTH = 12;

/** String fields, edited as text (they may hold variables such as `$city`). */
type TextOption = 'city' | 'window' | 'entityId' | 'maxAge' | 'step';
/** Number fields. */
type NumberOption = 'limit' | 'weeks' | 'target' | 'speed';
/** String fields picked from a list, or typed (a variable, a value the list lacks). */
type ChoiceOption = 'kind' | 'status' | 'scenarioKind';

/**
 * The query with another type: the options the new type does not use are dropped, and `kind`
 * too, whose values differ between types.
 */
export function withQueryType(query: FlavorQuery, next: QueryTypeInfo): FlavorQuery {
  const changed: FlavorQuery = { ...query, queryType: next.value };
  for (const option of QUERY_OPTIONS) {
    if (option === 'kind' || !next.options.includes(option)) {
      delete changed[option];
    }
  }
  return changed;
}

/**
 * Query type picker, then only the options of the chosen type (QUERY_TYPES). Pickers and the
 * switch run the query at once; typed fields update the query as one types and run it on blur.
 */
export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  const info = QUERY_TYPES.find((t) => t.value === query.queryType);
  const id = (name: string) => `flavortrend-${name}-${query.refId}`;

  const change = (next: FlavorQuery) => {
    onChange(next);
    onRunQuery();
  };

  const onTypeChange = (option: ComboboxOption<string>) => {
    const next = QUERY_TYPES.find((t) => t.value === option.value);
    if (next && next.value !== query.queryType) {
      change(withQueryType(query, next));
    }
  };

  // An emptied field is removed from the query, so that the backend applies its default.
  const textInput = (option: TextOption, placeholder: string, width = 20) => (
    <Input
      id={id(option)}
      width={width}
      placeholder={placeholder}
      value={query[option] ?? ''}
      onChange={(e: ChangeEvent<HTMLInputElement>) => onChange({ ...query, [option]: e.target.value || undefined })}
      onBlur={onRunQuery}
    />
  );

  const numberInput = (option: NumberOption, placeholder: string, min?: number, max?: number) => (
    <Input
      id={id(option)}
      type="number"
      width={14}
      min={min}
      max={max}
      placeholder={placeholder}
      value={query[option] ?? ''}
      onChange={(e: ChangeEvent<HTMLInputElement>) => {
        const value = e.target.valueAsNumber;
        onChange({ ...query, [option]: Number.isFinite(value) ? value : undefined });
      }}
      onBlur={onRunQuery}
    />
  );

  const choiceInput = (option: ChoiceOption, values: string[], placeholder: string) => (
    <Combobox<string>
      id={id(option)}
      width={20}
      placeholder={placeholder}
      options={values.map((value) => ({ value, label: value }))}
      value={query[option] ?? null}
      isClearable
      createCustomValue
      onChange={(selected) => change({ ...query, [option]: selected?.value || undefined })}
    />
  );

  const field = (option: QueryOption, label: string, tooltip: string, input: React.ReactElement) => (
    <InlineField key={option} label={label} labelWidth={LABEL_WIDTH} tooltip={tooltip}>
      {input}
    </InlineField>
  );

  const optionField = (option: QueryOption, type: QueryTypeInfo) => {
    switch (option) {
      case 'city':
        return field(
          option,
          'City',
          'City id or name, or a variable such as $city; empty or all = every city',
          textInput(option, 'all')
        );
      case 'window':
        return field(
          option,
          'Window',
          'Duration such as 15m, 6h, 7d; empty = the panel’s time range',
          textInput(option, 'time range', 14)
        );
      case 'limit':
        return field(option, 'Limit', 'Most rows (1–1000)', numberInput(option, '1–1000', 1, 1000));
      case 'kind':
        return field(option, 'Kind', 'Filter; empty = the API’s default', choiceInput(option, type.kinds ?? [], 'any'));
      case 'status':
        return field(option, 'Status', 'Filter; empty = any', choiceInput(option, RECOMMENDATION_STATUSES, 'any'));
      case 'entityId': {
        const entity = type.entity ?? 'order';
        return field(
          option,
          entity[0].toUpperCase() + entity.slice(1),
          `The ${entity} id, or a variable such as $${entity}`,
          textInput(option, `id or $${entity}`)
        );
      }
      case 'weeks':
        return field(option, 'Weeks', 'Weeks back (1–52)', numberInput(option, '8', 1, 52));
      case 'target':
        return field(option, 'Target', 'GMV target of the month, TND', numberInput(option, 'TND', 0));
      case 'maxAge':
        return field(option, 'Max age', 'Only orders placed within it', textInput(option, '24h', 14));
      case 'scenarioKind':
        return field(option, 'Scenario', 'Kind of scenario to estimate', choiceInput(option, SCENARIO_KINDS, 'choose'));
      case 'speed':
        return field(option, 'Speed', 'Event-time seconds per wall-clock second', numberInput(option, '60'));
      case 'step':
        return field(option, 'Step', 'Event time per frame', textInput(option, '1m', 14));
      case 'live':
        return field(
          option,
          'Live',
          'Keep the panel updated through Grafana Live',
          <Switch
            id={id(option)}
            value={Boolean(query.live)}
            onChange={(e) => change({ ...query, live: e.currentTarget.checked || undefined })}
          />
        );
    }
  };

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH} tooltip="What to read; docs/grafana.md lists them">
          <Combobox<string>
            id={id('queryType')}
            width={32}
            placeholder="Choose a query type"
            options={TYPE_OPTIONS}
            value={query.queryType ?? null}
            onChange={onTypeChange}
          />
        </InlineField>
      </InlineFieldRow>
      {info && info.options.length > 0 && (
        <InlineFieldRow>{info.options.map((option) => optionField(option, info))}</InlineFieldRow>
      )}
      {info?.streamable && !info.options.includes('live') && (
        <Text variant="bodySmall" color="secondary">
          A stream: the panel plays it back through Grafana Live.
        </Text>
      )}
    </Stack>
  );
}
