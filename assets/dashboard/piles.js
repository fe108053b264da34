// Stations and their piles: each pile online or offline with each connector's status, its live
// readings and a six-hour trend. Loaded from the API, then kept current by the live feed
// (`charger.online`, `connector.status`, `charger.live`); elements are updated in place, keyed
// by station and pile code, so nothing flickers when a reload finds the same piles.

import { get, isUnavailable, query } from './api.js';
import { eachLimited, el, fixed, kw, setSection, time } from './format.js';
import { drawTrend, loadTrend, TREND_REFRESH_MS } from './trend.js';

/** code → { pile, live, trend, trendAt }. */
const piles = new Map();
/** Whether `GET /api/v1/chargers/{id}/live` exists here: unknown until asked. */
let liveEndpoint = 'unknown';
/** While a reload is under way, the events that arrive meanwhile: applied again on its answer. */
let replay = null;
/** Events about piles not yet on the page, which start a reload: applied on its answer too (the
 * lists may predate them: a connection's presence is stored a moment after its event). */
const early = [];
/** Statuses of a connector in use. */
const BUSY = ['Occupied', 'Charging', 'Preparing', 'SuspendedEV', 'SuspendedEVSE', 'Finishing', 'Reserved'];

const section = () => document.getElementById('stations');
const list = () => document.getElementById('station-list');
/** An attribute value safe inside a CSS selector's quotes. */
const quoted = (value) => CSS.escape(String(value));

/** Reads the stations and their piles again; `withLive`: each pile's readings too. */
export async function reloadPiles({ withLive = false } = {}) {
  replay = [];
  try {
    await reload(withLive);
  } finally {
    replay = null;
  }
}

async function reload(withLive) {
  let stations;
  try {
    stations = (await get(`/api/v1/stations?${query({ pageSize: 100 })}`)).items ?? [];
  } catch (e) {
    setSection(section(), isUnavailable(e) ? 'unavailable' : 'error', isUnavailable(e) ? '' : e.message);
    return;
  }
  const found = new Map();
  await eachLimited(stations, 4, async (station) => {
    const page = await get(`/api/v1/piles?${query({ station: station.code, pageSize: 100 })}`);
    found.set(station.code, page.items ?? []);
  });
  const fresh = [];
  const seen = new Set();
  for (const station of stations) {
    for (const pile of found.get(station.code) ?? []) {
      seen.add(pile.code);
      const known = piles.get(pile.code);
      if (known) known.pile = pile;
      else {
        piles.set(pile.code, { pile, live: null, trend: null, trendAt: 0 });
        fresh.push(pile.code);
      }
    }
  }
  for (const code of [...piles.keys()]) if (!seen.has(code)) piles.delete(code);
  render(stations, found);
  // What the feed said after the lists were read is newer than they are.
  for (const [apply, data] of [...early.splice(0), ...replay.splice(0)]) apply(data);
  setSection(section(), 'ready', stations.length === 0 ? 'No stations yet.' : '');
  const readings = withLive ? [...seen] : fresh;
  await Promise.all([loadReadings(readings), refreshTrends(fresh)]);
}

/** Asks for the trends of `codes`, or of every pile whose trend is older than its refresh time. */
export async function refreshTrends(codes = null) {
  const now = Date.now();
  const due = codes ?? [...piles.keys()].filter((code) => now - (piles.get(code)?.trendAt ?? 0) >= TREND_REFRESH_MS);
  await eachLimited(due, 3, async (code) => {
    const entry = piles.get(code);
    if (!entry) return;
    entry.trend = await loadTrend(code);
    entry.trendAt = Date.now();
    const node = pileNode(code);
    if (node) drawTrend(node.querySelector('.trend'), entry.trend);
  });
}

/** Whether `code` is a pile on the page. */
export const knows = (code) => piles.has(code);

/** `charger.online`: {chargerId, online, at}. */
export function onOnline(data) {
  replay?.push([onOnline, data]);
  const entry = piles.get(data.chargerId);
  if (!entry) {
    if (!replay) early.push([onOnline, data]);
    return false;
  }
  entry.pile.online = Boolean(data.online);
  if (data.online) entry.pile.lastSeenAt = data.at ?? entry.pile.lastSeenAt;
  for (const connector of entry.pile.connectors ?? []) {
    connector.status = entry.pile.online ? connector.reportedStatus ?? connector.status : 'Offline';
  }
  entry.pile.status = pileStatus(entry.pile);
  updatePile(data.chargerId);
  return true;
}

/** `connector.status`: {chargerId, evseId, connectorId, status, errorCode?, at}. */
export function onConnectorStatus(data) {
  replay?.push([onConnectorStatus, data]);
  const entry = piles.get(data.chargerId);
  if (!entry) {
    if (!replay) early.push([onConnectorStatus, data]);
    return false;
  }
  const connectors = (entry.pile.connectors ??= []);
  let connector = connectors.find((c) => c.evseId === data.evseId && c.connectorId === data.connectorId);
  if (!connector) {
    connector = { evseId: data.evseId, connectorId: data.connectorId };
    connectors.push(connector);
    connectors.sort((a, b) => a.evseId - b.evseId || a.connectorId - b.connectorId);
  }
  connector.reportedStatus = data.status;
  connector.status = entry.pile.online ? data.status : 'Offline';
  connector.errorCode = data.errorCode ?? null;
  connector.statusAt = data.at;
  entry.pile.status = pileStatus(entry.pile);
  updatePile(data.chargerId);
  return true;
}

/** `charger.live`: {chargerId, voltage?, current?, power?, temperature?, soc?, at}. */
export function onLive(data) {
  replay?.push([onLive, data]);
  const entry = piles.get(data.chargerId);
  if (!entry) return false;
  entry.live = { ...(entry.live ?? {}), ...withoutNulls(data), updatedAt: data.at };
  updateReadings(data.chargerId);
  return true;
}

function withoutNulls(data) {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== null && value !== undefined));
}

/** Each pile's readings from `GET /api/v1/chargers/{id}/live`, while that endpoint exists. */
async function loadReadings(codes) {
  if (liveEndpoint === 'missing' || codes.length === 0) {
    for (const code of codes) updateReadings(code);
    return;
  }
  await eachLimited(codes, 3, async (code) => {
    if (liveEndpoint === 'missing') return updateReadings(code);
    try {
      const live = await get(`/api/v1/chargers/${encodeURIComponent(code)}/live`);
      liveEndpoint = 'present';
      const entry = piles.get(code);
      if (entry) entry.live = withoutNulls(live ?? {});
    } catch (e) {
      if (isUnavailable(e) && liveEndpoint !== 'present') liveEndpoint = 'missing';
    }
    updateReadings(code);
  });
}

/** The pile's status as csms combines it (domain/stations/piles.rs `pile_status`). */
function pileStatus(pile) {
  if (!pile.online) return 'Offline';
  const connectors = pile.connectors ?? [];
  const whole = connectors.find(isWhole);
  const wholeStatus = whole?.reportedStatus ?? whole?.status;
  if (wholeStatus === 'Faulted' || wholeStatus === 'Unavailable') return wholeStatus;
  const reported = connectors.filter((c) => !isWhole(c)).map((c) => c.reportedStatus ?? c.status);
  if (reported.length === 0) return 'Unknown';
  if (reported.includes('Available')) return 'Available';
  if (reported.every((s) => s === 'Faulted')) return 'Faulted';
  if (reported.every((s) => s === 'Faulted' || s === 'Unavailable')) return 'Unavailable';
  return 'Occupied';
}

/** 1.6's connector 0: the charger as a whole. */
const isWhole = (c) => c.evseId === 0 && c.connectorId === 0;

function pileNode(code) {
  return list().querySelector(`article.pile[data-pile="${quoted(code)}"]`);
}

/** Puts the stations and piles on the page in the API's order, reusing what is there. */
function render(stations, found) {
  const root = list();
  const keep = new Set();
  for (const station of stations) {
    keep.add(station.code);
    let node = root.querySelector(`.station[data-station="${quoted(station.code)}"]`);
    if (!node) {
      node = el(
        'div',
        { class: 'station', 'data-station': station.code },
        el('h3', {}, el('span', { class: 'station-name' }), ' ', el('small', { class: 'station-place' })),
        el('p', { class: 'station-summary' }),
        el('div', { class: 'piles' }),
      );
    }
    root.append(node);
    node.querySelector('.station-name').textContent = station.name;
    const place = [station.code, station.district, station.address].filter(Boolean).join(' · ');
    node.querySelector('.station-place').textContent = place;
    const stationPiles = found.get(station.code) ?? [];
    if (stationPiles.length === 0) node.querySelector('.station-summary').textContent = 'No piles.';
    const holder = node.querySelector('.piles');
    const codes = new Set(stationPiles.map((p) => p.code));
    for (const pile of stationPiles) {
      holder.append(pileNode(pile.code) ?? newPile(pile.code));
      updatePile(pile.code);
    }
    for (const old of holder.querySelectorAll('article.pile')) if (!codes.has(old.dataset.pile)) old.remove();
  }
  for (const old of root.querySelectorAll('.station')) if (!keep.has(old.dataset.station)) old.remove();
}

function newPile(code) {
  const reading = (name, label) =>
    el('div', { class: 'reading', 'data-reading': name }, el('dt', { text: label }), el('dd', { text: '—' }));
  const node = el(
    'article',
    { class: 'pile', 'data-pile': code, 'data-online': 'false' },
    el(
      'header',
      {},
      el('strong', { class: 'pile-code', text: code }),
      el('span', { class: 'pile-name' }),
      el('span', { class: 'badge pile-online', text: 'offline' }),
    ),
    el('p', { class: 'pile-meta' }),
    el('ul', { class: 'connectors' }),
    el(
      'dl',
      { class: 'readings' },
      reading('power', 'Power'),
      reading('voltage', 'Voltage'),
      reading('current', 'Current'),
      reading('temperature', 'Temp.'),
      reading('soc', 'SoC'),
    ),
    el('p', { class: 'readings-note', hidden: true }),
    el('figure', { class: 'trend', 'data-state': 'loading' }),
  );
  const entry = piles.get(code);
  if (entry?.trend) drawTrend(node.querySelector('.trend'), entry.trend);
  return node;
}

/** Writes the pile's state into its element. */
function updatePile(code) {
  const entry = piles.get(code);
  const node = pileNode(code);
  if (!entry || !node) return;
  const { pile } = entry;
  node.dataset.online = pile.online ? 'true' : 'false';
  node.dataset.status = pile.status ?? pileStatus(pile);
  const badge = node.querySelector('.pile-online');
  badge.textContent = pile.online ? 'online' : 'offline';
  node.querySelector('.pile-name').textContent = pile.name && pile.name !== pile.code ? pile.name : '';
  // How it talks to csms: OCPP unless marked (an MQTT pile speaks through the broker).
  const link = pile.protocol === 'mqtt' ? 'MQTT' : null;
  const facts = [pile.type, pile.maxPowerKw ? fixed(pile.maxPowerKw, 1, 'kW') : null, link, pile.status];
  if (!pile.online && pile.lastSeenAt) facts.push(`last seen ${time(pile.lastSeenAt)}`);
  node.querySelector('.pile-meta').textContent = facts.filter(Boolean).join(' · ');
  const connectors = (pile.connectors ?? []).filter((c) => !isWhole(c));
  node.querySelector('.connectors').replaceChildren(
    ...connectors.map((c) => {
      const status = pile.online ? c.reportedStatus ?? c.status : 'Offline';
      const kind = BUSY.includes(status) ? 'busy' : status.toLowerCase();
      return el(
        'li',
        {
          class: `connector status-${kind}`,
          'data-connector': `${c.evseId}-${c.connectorId}`,
          'data-status': status,
          title: c.statusAt ? `since ${time(c.statusAt)}` : null,
        },
        el('span', { class: 'connector-id', text: c.evseId > 1 ? `${c.evseId}/${c.connectorId}` : `#${c.connectorId}` }),
        ' ',
        el('span', { class: 'connector-status', text: status }),
        c.errorCode && c.errorCode !== 'NoError' ? el('span', { class: 'connector-error', text: ` ${c.errorCode}` }) : null,
      );
    }),
  );
  if (connectors.length === 0) node.querySelector('.connectors').append(el('li', { class: 'connector-none', text: 'No connector reported yet' }));
  updateReadings(code);
  const station = node.closest('.station');
  if (station) {
    const all = station.querySelectorAll('article.pile').length;
    const online = station.querySelectorAll('article.pile[data-online="true"]').length;
    station.querySelector('.station-summary').textContent = `${online} of ${all} piles online`;
  }
}

function updateReadings(code) {
  const entry = piles.get(code);
  const node = pileNode(code);
  if (!entry || !node) return;
  const live = entry.live ?? {};
  const show = {
    power: kw(live.power),
    voltage: fixed(live.voltage, 0, 'V'),
    current: fixed(live.current, 1, 'A'),
    temperature: fixed(live.temperature, 1, '°C'),
    soc: fixed(live.soc, 0, '%'),
  };
  for (const [name, text] of Object.entries(show)) {
    const slot = node.querySelector(`[data-reading="${name}"] dd`);
    if (slot) slot.textContent = text;
  }
  const note = node.querySelector('.readings-note');
  const missing = liveEndpoint === 'missing' && !entry.live;
  node.querySelector('.readings').hidden = missing;
  note.hidden = !missing && !live.updatedAt;
  note.textContent = missing ? 'Live readings unavailable' : live.updatedAt ? `Read ${time(live.updatedAt)}` : '';
}
