// The dashboard's start: the sign-in or the dashboard; the live feed wired to each part; and the
// refreshes that keep the page right — every 3 s while the feed is not open (a server without
// it, or a broken connection), and every 30 s for what the feed does not carry (energy so far,
// today's figures).

import { forget, token, who, whenUnauthorized } from './api.js';
import { onAlarmEvent, reloadAlarms } from './alarms.js';
import { openFeed } from './events.js';
import * as piles from './piles.js';
import * as sessions from './sessions.js';
import { setupSignin } from './signin.js';
import { reloadStats } from './stats.js';

const POLL_MS = 3000;
const SLOW_MS = 30000;
const TICK_MS = 5000;
const TREND_CHECK_MS = 60000;
const NOTICE_KEY = 'csms.dashboard.notice';

let feed = 'closed';
let stopFeed = null;
const timers = [];

/** `work` never runs twice at once; asked again while running, it runs once more after. */
function singleFlight(work) {
  let running = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await work();
        } catch (e) {
          console.warn(e);
        }
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  };
}

const reloadPiles = singleFlight(() => piles.reloadPiles());
const reloadPilesWithLive = singleFlight(() => piles.reloadPiles({ withLive: true }));
const reloadAlarmsOnce = singleFlight(reloadAlarms);
const reloadSessionsOnce = singleFlight(sessions.reloadSessions);
const reloadStatsOnce = singleFlight(reloadStats);

function reloadAll() {
  return Promise.allSettled([reloadPilesWithLive(), reloadAlarmsOnce(), reloadSessionsOnce(), reloadStatsOnce()]);
}

function start() {
  setupSignin(showDashboard);
  document.getElementById('signout').addEventListener('click', () => signOut());
  whenUnauthorized(() => signOut('Your sign-in has expired or was revoked: sign in again.'));
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  if (token()) showDashboard();
  else showSignin(notice ?? '');
}

function showSignin(message) {
  document.getElementById('dashboard').hidden = true;
  document.getElementById('signin').hidden = false;
  document.getElementById('signout').hidden = true;
  document.getElementById('who').textContent = '';
  const said = document.getElementById('signin-message');
  said.textContent = message;
  said.dataset.kind = 'info';
  showFeed('signed-out');
  document.getElementById('token-input').focus();
}

function showDashboard() {
  document.getElementById('signin').hidden = true;
  document.getElementById('dashboard').hidden = false;
  document.getElementById('signout').hidden = false;
  document.getElementById('who').textContent = who();
  reloadAll();
  stopFeed = openFeed(token(), {
    state: onFeedState,
    event: onEvent,
    unauthorized: () => signOut('Your sign-in has expired or was revoked: sign in again.'),
  });
  timers.push(
    setInterval(poll, POLL_MS),
    setInterval(() => Promise.allSettled([reloadPiles(), reloadSessionsOnce(), reloadStatsOnce()]), SLOW_MS),
    setInterval(sessions.render, TICK_MS),
    setInterval(() => piles.refreshTrends(), TREND_CHECK_MS),
  );
}

/** Forgets the token and starts the page afresh: nothing of the session stays on screen. */
function signOut(notice = '') {
  if (stopFeed) stopFeed();
  stopFeed = null;
  for (const timer of timers.splice(0)) clearInterval(timer);
  forget();
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  window.location.reload();
}

/** Without the feed, the page asks for what it shows every few seconds. */
function poll() {
  if (feed === 'open') return;
  reloadPiles();
  reloadAlarmsOnce();
  reloadSessionsOnce();
}

function onFeedState(state) {
  const was = feed;
  feed = state;
  showFeed(state);
  // Events may have been missed while it was closed (or before it first opened).
  if (state === 'open' && was !== 'open') {
    reloadPiles();
    reloadAlarmsOnce();
    reloadSessionsOnce();
  }
}

function showFeed(state) {
  const badge = document.getElementById('live-status');
  badge.dataset.state = state;
  badge.textContent =
    {
      open: 'live',
      connecting: 'reconnecting…',
      unavailable: 'live feed unavailable · refreshing every 3 s',
      closed: 'offline',
    }[state] ?? '';
  badge.hidden = state === 'signed-out';
}

function onEvent(name, data) {
  switch (name) {
    case 'connector.status':
      if (!piles.onConnectorStatus(data)) reloadPiles();
      break;
    case 'charger.online':
      if (!piles.onOnline(data)) reloadPiles();
      break;
    case 'charger.live':
      piles.onLive(data);
      sessions.onLive(data);
      break;
    case 'alarm.raised':
    case 'alarm.acknowledged':
    case 'alarm.cleared':
      onAlarmEvent(name, data);
      break;
    case 'order.started':
    case 'order.completed':
      sessions.onOrderEvent(name, data);
      if (name === 'order.completed') reloadStatsOnce();
      break;
    case 'lagged':
      reloadAll();
      break;
    default:
      break;
  }
}

start();
