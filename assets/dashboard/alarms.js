// Active alarms (raised or acknowledged, not yet cleared) with an Acknowledge button: loaded from
// `GET /api/v1/alarms?active=true`, then kept by the live feed (`alarm.raised`,
// `alarm.acknowledged`, `alarm.cleared`), so a new alarm shows without a reload. Unacknowledged
// ones come first, high before medium, newest first. Each is titled, and its value given its unit,
// as `GET /api/v1/alarms/kinds` says: the server's list of kinds is the only one.

import { ApiError, get, isUnavailable, post, query } from './api.js';
import { el, fixed, humanise, setSection, time } from './format.js';

/** id → alarm. */
const alarms = new Map();
/** While a reload is under way, the events that arrive meanwhile: applied again on its answer. */
let replay = null;
/** type → its kind (`title`, `level`, `unit`), once `GET /api/v1/alarms/kinds` answered. */
let kinds = new Map();
/** The kinds' request while it is under way or once it succeeded (a failure is asked again). */
let kindsAsked = null;

const section = () => document.getElementById('alarms');
const list = () => document.getElementById('alarm-list');

/** Reads the alarm kinds unless they were read; never fails (alarms then show their type as is). */
function loadKinds() {
  kindsAsked ??= get('/api/v1/alarms/kinds')
    .then((list) => {
      kinds = new Map((Array.isArray(list) ? list : []).map((kind) => [kind.type, kind]));
    })
    .catch((e) => {
      kindsAsked = null;
      console.warn(e);
    });
  return kindsAsked;
}

/** Reads the active alarms again. */
export async function reloadAlarms() {
  replay = [];
  const kindsRead = loadKinds();
  let page;
  try {
    page = await get(`/api/v1/alarms?${query({ active: 'true', pageSize: 100 })}`);
    await kindsRead;
  } catch (e) {
    replay = null;
    setSection(section(), isUnavailable(e) ? 'unavailable' : 'error', isUnavailable(e) ? '' : e.message);
    return;
  }
  // What the feed said after the list was read is newer than it is.
  const missed = replay;
  replay = null;
  alarms.clear();
  for (const alarm of page?.items ?? []) alarms.set(String(alarm.id), alarm);
  for (const [name, alarm] of missed) apply(name, alarm);
  render();
  setSection(section(), 'ready');
}

/** `alarm.raised`, `alarm.acknowledged` or `alarm.cleared` with the alarm as data. */
export function onAlarmEvent(name, alarm) {
  if (!alarm || alarm.id === undefined) return;
  replay?.push([name, alarm]);
  const fresh = apply(name, alarm);
  render(fresh && name === 'alarm.raised' ? String(alarm.id) : null);
}

/** Takes the event into the list; whether the alarm is new to it. */
function apply(name, alarm) {
  const key = String(alarm.id);
  const fresh = !alarms.has(key);
  if (name === 'alarm.cleared' || alarm.status === 'cleared') alarms.delete(key);
  else alarms.set(key, alarm);
  return fresh;
}

const rank = (a) => (a.status === 'raised' ? 0 : 1) * 2 + (a.level === 'high' ? 0 : 1);

/** Puts the alarms on the page in order, reusing each one's element; `flash`: the new one. */
function render(flash = null) {
  const root = list();
  const sorted = [...alarms.values()].sort(
    (a, b) => rank(a) - rank(b) || String(b.raisedAt).localeCompare(String(a.raisedAt)),
  );
  const keep = new Set();
  for (const alarm of sorted) {
    const key = String(alarm.id);
    keep.add(key);
    let node = root.querySelector(`li.alarm[data-alarm-id="${CSS.escape(key)}"]`);
    if (!node) node = newAlarm(key);
    fill(node, alarm);
    root.append(node);
    if (key === flash) {
      node.classList.add('fresh');
      setTimeout(() => node.classList.remove('fresh'), 4000);
    }
  }
  for (const old of root.querySelectorAll('li.alarm')) if (!keep.has(old.dataset.alarmId)) old.remove();
  const raised = sorted.filter((a) => a.status === 'raised').length;
  const count = raised === sorted.length ? `${raised} new` : `${raised} new of ${sorted.length}`;
  document.getElementById('alarm-count').textContent = sorted.length ? count : '';
  document.title = raised ? `(${raised}) csms dashboard` : 'csms dashboard';
  const empty = document.getElementById('alarms-empty');
  if (empty) empty.hidden = sorted.length > 0;
}

function newAlarm(key) {
  const node = el(
    'li',
    { class: 'alarm', 'data-alarm-id': key },
    el(
      'div',
      { class: 'alarm-head' },
      el('span', { class: 'badge alarm-level' }),
      el('strong', { class: 'alarm-type' }),
      el('span', { class: 'alarm-charger' }),
      el('span', { class: 'badge alarm-status' }),
    ),
    el('p', { class: 'alarm-message' }),
    el('p', { class: 'alarm-meta' }),
    el('p', { class: 'alarm-error', role: 'alert', hidden: true }),
    el('button', { class: 'alarm-ack', type: 'button', text: 'Acknowledge' }),
  );
  node.querySelector('.alarm-ack').addEventListener('click', () => acknowledge(key, node));
  return node;
}

function fill(node, alarm) {
  node.dataset.charger = alarm.chargerId ?? '';
  node.dataset.type = alarm.type ?? '';
  node.dataset.level = alarm.level ?? '';
  node.dataset.status = alarm.status ?? '';
  node.querySelector('.alarm-level').textContent = alarm.level ?? '';
  const kind = kinds.get(alarm.type);
  node.querySelector('.alarm-type').textContent = kind?.title ?? humanise(alarm.type);
  node.querySelector('.alarm-charger').textContent = alarm.chargerId ?? 'platform';
  node.querySelector('.alarm-status').textContent = alarm.status ?? '';
  const value = alarm.value === undefined || alarm.value === null ? '' : ` (${fixed(alarm.value, 1, kind?.unit ?? '')})`;
  node.querySelector('.alarm-message').textContent = `${alarm.message ?? ''}${value}`;
  const meta = [`raised ${time(alarm.raisedAt)}`];
  if (alarm.acknowledgedAt) {
    meta.push(`acknowledged ${time(alarm.acknowledgedAt)}${alarm.acknowledgedBy ? ` by ${alarm.acknowledgedBy}` : ''}`);
  }
  node.querySelector('.alarm-meta').textContent = meta.join(' · ');
  const button = node.querySelector('.alarm-ack');
  button.hidden = alarm.status !== 'raised';
}

async function acknowledge(key, node) {
  const button = node.querySelector('.alarm-ack');
  const error = node.querySelector('.alarm-error');
  button.disabled = true;
  error.hidden = true;
  try {
    const alarm = await post(`/api/v1/alarms/${encodeURIComponent(key)}/ack`, {});
    onAlarmEvent('alarm.acknowledged', alarm ?? { ...alarms.get(key), status: 'acknowledged' });
  } catch (e) {
    error.textContent = isUnavailable(e) && e.code !== 'not_found'
      ? 'Acknowledging is unavailable on this server.'
      : `Not acknowledged: ${e instanceof ApiError ? e.message : e}`;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}
