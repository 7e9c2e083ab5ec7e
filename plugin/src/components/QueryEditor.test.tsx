import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { FlavorQuery, QUERY_OPTIONS, QUERY_TYPES, QueryOption } from '../types';
import { QueryEditor, withQueryType } from './QueryEditor';

// The label of each option's field.
const LABELS: Record<QueryOption, RegExp> = {
  city: /^City$/,
  window: /^Window$/,
  limit: /^Limit$/,
  kind: /^Kind$/,
  status: /^Status$/,
  entityId: /^(Restaurant|Order|Courier)$/,
  weeks: /^Weeks$/,
  target: /^Target$/,
  maxAge: /^Max age$/,
  scenarioKind: /^Scenario$/,
  speed: /^Speed$/,
  step: /^Step$/,
  live: /^Live$/,
};

function setup(query: FlavorQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const props = { datasource: {} as DataSource, onChange, onRunQuery };
  const view = render(<QueryEditor {...props} query={query} />);
  const rerender = (next: FlavorQuery) => view.rerender(<QueryEditor {...props} query={next} />);
  return { onChange, onRunQuery, rerender };
}

/** The options whose fields the editor shows. */
function shownOptions(): QueryOption[] {
  return QUERY_OPTIONS.filter((option) => screen.queryByLabelText(LABELS[option]) !== null);
}

describe('QueryEditor', () => {
  // Combobox renders only the options that fit its menu, which jsdom gives no size: give every
  // element one.
  beforeAll(() => {
    jest.spyOn(Element.prototype, 'clientHeight', 'get').mockReturnValue(400);
    jest.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(400);
  });
  afterAll(() => jest.restoreAllMocks());

  it.each(QUERY_TYPES.map((t) => [t.value, t.options]))('shows only the options of %s', (queryType, options) => {
    setup({ refId: 'A', queryType });
    expect(shownOptions()).toEqual(QUERY_OPTIONS.filter((o) => options.includes(o)));
  });

  it('lists the query types with their descriptions (those that fit the menu)', async () => {
    setup({ refId: 'A', queryType: 'kpis' });
    await userEvent.click(screen.getByLabelText('Query type'));
    const listbox = await screen.findByRole('listbox');
    for (const type of QUERY_TYPES.slice(0, 5)) {
      expect(within(listbox).getByText(type.label)).toBeInTheDocument();
      expect(within(listbox).getByText(type.description)).toBeInTheDocument();
    }
  });

  it('picks a type, keeping the options it shares, and then shows its options', async () => {
    const { onChange, onRunQuery, rerender } = setup({ refId: 'A', queryType: 'kpis', city: 'Tunis', window: '1h' });
    expect(shownOptions()).toEqual(['city', 'window']);

    await userEvent.type(screen.getByLabelText('Query type'), 'sentim');
    await userEvent.click(await screen.findByRole('option', { name: /Sentiment/ }));

    const picked: FlavorQuery = { refId: 'A', queryType: 'sentiment', city: 'Tunis', window: '1h' };
    expect(onChange).toHaveBeenCalledWith(picked);
    expect(onRunQuery).toHaveBeenCalled();

    rerender(picked);
    expect(shownOptions()).toEqual(['city', 'window', 'limit', 'kind']);
  });

  it('updates a text field as one types and runs the query on blur', () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', queryType: 'route_order' });
    const order = screen.getByLabelText('Order');
    fireEvent.change(order, { target: { value: '$order' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'route_order', entityId: '$order' });
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.blur(order);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('removes an emptied field, so that the backend default applies', () => {
    const { onChange } = setup({ refId: 'A', queryType: 'kpis', city: 'Tunis' });
    fireEvent.change(screen.getByLabelText('City'), { target: { value: '' } });
    expect(onChange.mock.calls[0][0]).toStrictEqual({ refId: 'A', queryType: 'kpis', city: undefined });
  });

  it('reads numbers as numbers', () => {
    const { onChange } = setup({ refId: 'A', queryType: 'revenue_weekly' });
    fireEvent.change(screen.getByLabelText('Weeks'), { target: { value: '12' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'revenue_weekly', weeks: 12 });
  });

  it('picks a kind among the type’s kinds', async () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', queryType: 'sla_violations' });
    await userEvent.click(screen.getByLabelText('Kind'));
    const listbox = await screen.findByRole('listbox');
    expect(
      within(listbox)
        .getAllByRole('option')
        .map((o) => o.textContent)
    ).toEqual(['breach', 'at_risk']);
    await userEvent.click(within(listbox).getByRole('option', { name: 'at_risk' }));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'sla_violations', kind: 'at_risk' });
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('switches live on and runs the query', async () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', queryType: 'live_orders' });
    await userEvent.click(screen.getByLabelText('Live'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'live_orders', live: true });
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('says that a replay is a stream', () => {
    setup({ refId: 'A', queryType: 'route_replay' });
    expect(screen.getByText(/A stream/)).toBeInTheDocument();
  });
});

describe('withQueryType', () => {
  const type = (value: string) => QUERY_TYPES.find((t) => t.value === value)!;

  it('drops the options the new type does not use', () => {
    const query: FlavorQuery = {
      refId: 'A',
      queryType: 'live_orders',
      city: '$city',
      maxAge: '2h',
      limit: 10,
      live: true,
    };
    expect(withQueryType(query, type('routes_active'))).toStrictEqual({
      refId: 'A',
      queryType: 'routes_active',
      city: '$city',
      maxAge: '2h',
      limit: 10,
    });
  });

  it('drops kind, whose values differ between types', () => {
    const query: FlavorQuery = { refId: 'A', queryType: 'sla_violations', kind: 'breach' };
    expect(withQueryType(query, type('sentiment'))).toStrictEqual({ refId: 'A', queryType: 'sentiment' });
  });
});
