// The live feed: csms's server-sent events for operators (`GET /api/v1/events?token=`; the
// token rides in the query because EventSource cannot set headers). The browser reconnects by
// itself after a network error; after an HTTP refusal EventSource gives up without saying why, so
// the feed asks once to learn the status: 401/403 signs out, 404 (no feed on this server) is
// "unavailable" and retried slowly, anything else is retried with a growing pause.

/** The event names the dashboard listens to. */
const NAMES = [
  'connector.status',
  'charger.online',
  'charger.live',
  'alarm.raised',
  'alarm.acknowledged',
  'alarm.cleared',
  'order.started',
  'order.completed',
  'lagged',
];

const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30000;
/** How often a server without the feed is asked again. */
const UNAVAILABLE_PAUSE_MS = 60000;

/**
 * Opens the feed. `on.event(name, data)` for each event, `on.state(state)` as it changes
 * (`connecting`, `open`, `unavailable`, `closed`), `on.unauthorized()` when the token is refused.
 * Returns `stop()`.
 */
export function openFeed(bearer, on) {
  const url = `/api/v1/events?token=${encodeURIComponent(bearer)}`;
  let source = null;
  let stopped = false;
  let timer = null;
  let pause = FIRST_PAUSE_MS;

  const connect = () => {
    timer = null;
    if (stopped) return;
    on.state('connecting');
    source = new EventSource(url);
    source.addEventListener('open', () => {
      pause = FIRST_PAUSE_MS;
      on.state('open');
    });
    for (const name of NAMES) {
      source.addEventListener(name, (message) => {
        let data = null;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        on.event(name, data);
      });
    }
    source.addEventListener('error', () => {
      if (stopped || !source) return;
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        source = null;
        learnWhy();
      } else {
        on.state('connecting');
      }
    });
  };

  const later = (ms) => {
    if (!stopped && timer === null) timer = setTimeout(connect, ms);
  };

  const learnWhy = async () => {
    let status = 0;
    const abort = new AbortController();
    try {
      const response = await fetch(url, {
        headers: { Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: abort.signal,
      });
      status = response.status;
    } catch {
      status = 0;
    } finally {
      abort.abort();
    }
    if (stopped) return;
    if (status === 401 || status === 403) {
      on.state('closed');
      on.unauthorized();
    } else if (status === 404 || status === 405) {
      on.state('unavailable');
      later(UNAVAILABLE_PAUSE_MS);
    } else {
      on.state('connecting');
      later(pause);
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  };

  connect();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    if (source) source.close();
    source = null;
    on.state('closed');
  };
}
