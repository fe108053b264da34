// A small trend chart per pile, drawn here in SVG (no library): power (kW, the filled area, left
// scale) and temperature (°C, the line, right scale) over the last six hours in 5-minute buckets,
// from `GET /api/v1/chargers/{id}/trend`. A bucket without a value leaves a gap.

import { get, isUnavailable, query } from './api.js';
import { el, fixed, num, svg } from './format.js';

const HOURS = 6;
export const TREND_REFRESH_MS = 5 * 60 * 1000;
/** Whether the trend endpoint exists here: unknown until asked. */
let endpoint = 'unknown';

const WIDTH = 300;
const HEIGHT = 80;
const PAD = { top: 6, right: 4, bottom: 14, left: 4 };

/** The pile's trend: { state: 'ready' | 'unavailable' | 'error', points, from, to, message }. */
export async function loadTrend(code) {
  const to = new Date();
  const from = new Date(to.getTime() - HOURS * 3600 * 1000);
  if (endpoint === 'missing') return { state: 'unavailable', points: [], from, to };
  try {
    const path = `/api/v1/chargers/${encodeURIComponent(code)}/trend?${query({
      from: from.toISOString(),
      to: to.toISOString(),
      bucket: '5m',
    })}`;
    const answer = await get(path);
    endpoint = 'present';
    return { state: 'ready', points: answer?.points ?? [], from, to };
  } catch (e) {
    if (isUnavailable(e)) {
      if (endpoint !== 'present') endpoint = 'missing';
      return { state: 'unavailable', points: [], from, to };
    }
    return { state: 'error', points: [], from, to, message: e.message };
  }
}

/** Draws `trend` into `figure` (a `<figure class="trend">`). */
export function drawTrend(figure, trend) {
  if (!figure) return;
  figure.dataset.state = trend.state;
  if (trend.state !== 'ready') {
    const text = trend.state === 'unavailable' ? 'Trend unavailable' : `Trend: ${trend.message ?? 'could not be loaded'}`;
    figure.replaceChildren(el('figcaption', { class: 'trend-note', text }));
    return;
  }
  const points = trend.points
    .map((p) => ({ at: new Date(p.at).getTime(), power: num(p.power), temperature: num(p.temperature) }))
    .filter((p) => Number.isFinite(p.at))
    .sort((a, b) => a.at - b.at);
  const powers = points.map((p) => p.power).filter((v) => v !== null);
  const temperatures = points.map((p) => p.temperature).filter((v) => v !== null);
  if (powers.length === 0 && temperatures.length === 0) {
    figure.replaceChildren(el('figcaption', { class: 'trend-note', text: `No readings in the last ${HOURS} hours` }));
    return;
  }
  const start = trend.from.getTime();
  const end = trend.to.getTime();
  const x = (at) => PAD.left + ((at - start) / Math.max(end - start, 1)) * (WIDTH - PAD.left - PAD.right);
  const scale = (values) => {
    const top = Math.max(...values, 0);
    const bottom = Math.min(...values, 0);
    const span = top - bottom || 1;
    return { top, bottom, y: (v) => PAD.top + (1 - (v - bottom) / span) * (HEIGHT - PAD.top - PAD.bottom) };
  };
  const power = scale(powers.length ? powers : [0]);
  const temperature = scale(temperatures.length ? temperatures : [0]);
  const base = power.y(Math.max(power.bottom, 0));

  const chart = svg(
    'svg',
    {
      class: 'trend-chart',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `Power and temperature over the last ${HOURS} hours`,
    },
    svg('line', { class: 'trend-axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: base, y2: base }),
    runs(points, 'power').map((run) =>
      svg('path', { class: 'trend-power', d: area(run, x, power.y, base) }),
    ),
    runs(points, 'temperature').map((run) =>
      svg('path', { class: 'trend-temperature', d: line(run, x, temperature.y, 'temperature') }),
    ),
  );
  const latest = (name) => [...points].reverse().find((p) => p[name] !== null)?.[name] ?? null;
  const caption = el(
    'figcaption',
    { class: 'trend-legend' },
    el('span', { class: 'key key-power', text: `Power max ${fixed(power.top / 1000, 1, 'kW')}` }),
    el('span', { class: 'key key-temperature', text: `Temp. ${fixed(latest('temperature'), 0, '°C')}` }),
    el('span', { class: 'trend-span', text: `last ${HOURS} h` }),
  );
  figure.replaceChildren(chart, caption);
}

/** The stretches of `points` where `name` has a value, split at the gaps. */
function runs(points, name) {
  const found = [];
  let current = [];
  for (const p of points) {
    if (p[name] === null) {
      if (current.length) found.push(current);
      current = [];
    } else current.push(p);
  }
  if (current.length) found.push(current);
  return found;
}

function line(run, x, y, name) {
  const steps = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p[name]).toFixed(1)}`);
  // A lone point still shows: a short dash.
  if (run.length === 1) steps.push(`h2`);
  return steps.join(' ');
}

function area(run, x, y, base) {
  const top = line(run, x, y, 'power');
  const last = x(run[run.length - 1].at) + (run.length === 1 ? 2 : 0);
  return `${top} L${last.toFixed(1)},${base.toFixed(1)} L${x(run[0].at).toFixed(1)},${base.toFixed(1)} Z`;
}
