// Today's figures — today's date, each station counting it in its own zone, up to now: orders,
// energy, revenue, utilisation and users, from `GET /api/v1/stats?groupBy=station` — its `total`.

import { get, isUnavailable, query } from './api.js';
import { el, fixed, setSection, yuan } from './format.js';

const section = () => document.getElementById('figures');

/** `YYYY-MM-DD` of the browser's calendar day of `date`. */
const localDay = (date) =>
  [date.getFullYear(), date.getMonth() + 1, date.getDate()].map((n) => String(n).padStart(2, '0')).join('-');

/** Reads today's figures again. */
export async function reloadStats() {
  // Today is a local day: each station counts it in its own time zone, up to now.
  const now = new Date();
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  let stats;
  try {
    stats = await get(
      `/api/v1/stats?${query({ from: localDay(now), to: localDay(tomorrow), groupBy: 'station' })}`,
    );
  } catch (e) {
    setSection(section(), isUnavailable(e) ? 'unavailable' : 'error', isUnavailable(e) ? '' : e.message);
    return;
  }
  const total = stats?.total ?? {};
  const orders = total.orders ?? {};
  const revenue = total.revenue ?? {};
  const users = total.users ?? {};
  const utilisation = total.utilisation === undefined || total.utilisation === null ? null : total.utilisation * 100;
  const figure = (name, label, value, detail = '') =>
    el(
      'div',
      { class: 'figure', 'data-figure': name },
      el('dt', { text: label }),
      el('dd', { text: value }),
      detail ? el('dd', { class: 'figure-detail', text: detail }) : null,
    );
  document.getElementById('figure-list').replaceChildren(
    figure('energy', 'Energy', fixed(total.energyKwh, 1, 'kWh')),
    figure('revenue', 'Revenue', yuan(revenue.total), `energy ${yuan(revenue.energyFee)} · service ${yuan(revenue.serviceFee)}`),
    figure('refunds', 'Refunds', yuan(revenue.refunds)),
    figure('orders', 'Orders', fixed(orders.completed, 0), `${fixed(orders.created, 0)} created · ${fixed(orders.cancelled, 0)} cancelled`),
    figure('utilisation', 'Utilisation', fixed(utilisation, 1, '%')),
    figure('users', 'Active users', fixed(users.active, 0), `${fixed(users.new, 0)} new`),
  );
  const stations = (stats?.groups ?? []).length;
  setSection(section(), 'ready', '');
  document.getElementById('figures-span').textContent =
    `since 00:00 · ${stations} station${stations === 1 ? '' : 's'} · updated ${now.toLocaleTimeString()}`;
}
