// Active charging sessions: the orders now CHARGING with their live power, energy, state of
// charge and cost so far (the order view's `live`), from `GET /api/v1/orders?status=CHARGING`;
// `order.started` adds one, `order.completed` takes it away, `charger.live` updates its power.

import { get, isUnavailable, query } from './api.js';
import { duration, el, fixed, kw, kwh, setSection, yuan } from './format.js';

/** orderNo → order view. */
const orders = new Map();
/** While a reload is under way, the events that arrive meanwhile: applied again on its answer. */
let replay = null;

const section = () => document.getElementById('sessions');

/** Reads the charging orders again. */
export async function reloadSessions() {
  replay = [];
  let page;
  try {
    page = await get(`/api/v1/orders?${query({ status: 'CHARGING', pageSize: 100 })}`);
  } catch (e) {
    replay = null;
    setSection(section(), isUnavailable(e) ? 'unavailable' : 'error', isUnavailable(e) ? '' : e.message);
    return;
  }
  const missed = replay;
  replay = null;
  orders.clear();
  for (const order of page?.items ?? []) orders.set(order.orderNo, order);
  for (const [name, order] of missed) take(name, order);
  render();
  setSection(section(), 'ready');
}

/** `order.started` / `order.completed` with the order view as data. */
export function onOrderEvent(name, order) {
  if (!order?.orderNo) return;
  replay?.push([name, order]);
  take(name, order);
  render();
}

function take(name, order) {
  if (name === 'order.completed' || order.status !== 'CHARGING') orders.delete(order.orderNo);
  else orders.set(order.orderNo, order);
}

/** `charger.live`: the power and state of charge of the pile's sessions. */
export function onLive(data) {
  let changed = false;
  for (const order of orders.values()) {
    if (order.pileCode !== data.chargerId) continue;
    order.live = { ...(order.live ?? {}) };
    if (data.power !== undefined && data.power !== null) order.live.powerW = String(data.power);
    if (data.soc !== undefined && data.soc !== null) order.live.soc = String(data.soc);
    order.live.updatedAt = data.at ?? order.live.updatedAt;
    changed = true;
  }
  if (changed) render();
}

/** Redraws the table (its durations move on). */
export function render() {
  const body = document.getElementById('session-rows');
  const sorted = [...orders.values()].sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt)));
  const cell = (label, text, cls = null) => el('td', { 'data-label': label, class: cls, text });
  body.replaceChildren(
    ...sorted.map((o) => {
      const live = o.live ?? {};
      const energy = live.energyWh ?? o.energyWh;
      const seconds = o.startedAt ? (Date.now() - new Date(o.startedAt).getTime()) / 1000 : live.durationS ?? o.durationS;
      return el(
        'tr',
        { class: 'session', 'data-order': o.orderNo, 'data-pile': o.pileCode },
        cell('Order', o.orderNo, 'mono'),
        cell('Pile', `${o.pileCode} #${o.connectorId}`),
        cell('Power', kw(live.powerW), 'num'),
        cell('Energy', kwh(energy), 'num'),
        cell('SoC', fixed(live.soc, 0, '%'), 'num'),
        cell('Cost', yuan(live.cost), 'num'),
        cell('Time', duration(seconds), 'num'),
      );
    }),
  );
  document.getElementById('sessions-empty').hidden = sorted.length > 0;
  document.getElementById('session-count').textContent = sorted.length ? String(sorted.length) : '';
}
