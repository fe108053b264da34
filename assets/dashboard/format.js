// The dashboard's shared helpers: building elements, a section's state, and numbers, times and
// money written as people read them ("—" where a value is missing).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element with attributes (`class`, `text`, anything else as an attribute) and children. */
export function el(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** The same in SVG. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'class') node.setAttribute('class', value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/**
 * Marks a section `loading`, `ready`, `unavailable` (the server has no such endpoint yet: 404)
 * or `error`, with a note people read (none when ready).
 */
export function setSection(section, state, note = '') {
  section.dataset.state = state;
  const slot = section.querySelector('.section-note');
  if (!slot) return;
  const text = note || { loading: 'Loading…', unavailable: 'unavailable', error: 'could not be loaded' }[state] || '';
  slot.textContent = text;
  slot.hidden = text === '';
}

/** A finite number from a number or a decimal string; null otherwise. */
export function num(value) {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** `value` with `digits` decimals in the reader's locale, then `unit`. */
export function fixed(value, digits, unit = '') {
  const n = num(value);
  if (n === null) return '—';
  const text = n.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

/** Watts as kilowatts. */
export function kw(watts) {
  const n = num(watts);
  return n === null ? '—' : fixed(n / 1000, n < 10000 ? 2 : 1, 'kW');
}

/** Watt-hours as kilowatt-hours. */
export function kwh(wh) {
  const n = num(wh);
  return n === null ? '—' : fixed(n / 1000, 2, 'kWh');
}

/** Yuan from a decimal string ("12.30"). */
export function yuan(amount) {
  const n = num(amount);
  return n === null ? '—' : `¥${fixed(n, 2)}`;
}

/** A time: the clock alone when it is today, else the date too. */
export function time(iso) {
  if (!iso) return '—';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '—';
  const today = new Date().toDateString() === at.toDateString();
  return today ? at.toLocaleTimeString() : at.toLocaleString();
}

/** Seconds as `1 h 05 min` or `4 min 09 s`. */
export function duration(seconds) {
  const s = num(seconds);
  if (s === null || s < 0) return '—';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v) => String(v).padStart(2, '0');
  if (h > 0) return `${h} h ${pad(m)} min`;
  return `${m} min ${pad(Math.floor(s % 60))} s`;
}

/** A code such as `charger.online` or `meter_anomaly` as `Charger online`, `Meter anomaly`. */
export function humanise(code) {
  const text = String(code ?? '').replace(/[_.]+/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : '—';
}

/** Runs `work` on each item, at most `limit` at once. */
export async function eachLimited(items, limit, work) {
  const queue = [...items];
  const runners = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length > 0) {
      const item = queue.shift();
      try {
        await work(item);
      } catch (e) {
        console.warn(e);
      }
    }
  });
  await Promise.all(runners);
}
