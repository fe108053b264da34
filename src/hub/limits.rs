//! Open files and the connection cap: at start the soft RLIMIT_NOFILE is raised to the hard limit
//! and shared out — the process's own reserve, then the HTTP API's sockets (at most half of what
//! is left), then a budget of charger sockets, of which a headroom is kept free so that chargers
//! beyond the cap can still be answered 503.
//!
//! Two bounds, each where it can be kept:
//! - `SessionSlots`: connected chargers (upgraded sessions) ≤ the cap, min(`ocpp.max_connections`,
//!   the room the limit leaves). A slot is taken before the database lookup and travels with the
//!   session; an upgrade beyond the cap is refused with 503 and `Retry-After`.
//! - `Bounded`: every socket of a listener, upgraded or still in its HTTP handshake, ≤ its
//!   budget. The slots alone cannot keep this: a flood of handshakes holds descriptors before any
//!   of them reaches the upgrade handler, and once accept(2) meets EMFILE axum's accept loop
//!   sleeps a second per error while the backlog waits (the reported hang). A socket over budget
//!   is accepted — the reserve always has the one descriptor that takes — given a canned 503 in
//!   one non-blocking write, and closed at once: the accept loop never waits.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Descriptors kept for the process itself: standard streams, the runtime's epoll and wakers,
/// signal handling, both listening sockets, log files, DNS look-ups, and files libraries open
/// now and then.
const BASE_FILES: u64 = 64;
/// Per database connection: a SQLite connection holds its database, `-wal` and `-shm` files; a
/// PostgreSQL connection one socket.
const FILES_PER_DATABASE_CONNECTION: u64 = 3;
/// The HTTP API's sockets are at most one part in this of what the process's own reserve leaves;
/// chargers keep the rest, so at least as many. Each charger in use has about one app client (its
/// driver following the order on an event stream), so neither side may starve the other: with a
/// hard limit of 1024 and the default settings, 456 HTTP clients and room for 399 chargers
/// instead of 1024 HTTP clients and none. A limit large enough for `http.max_connections` to be
/// under half (20,000: 1024 of 19,888) leaves the HTTP API its setting, as before.
const HTTP_PARTS: u64 = 2;
/// Charger sockets kept free beyond the cap, to answer refused or not-yet-upgraded connections:
/// an eighth of the charger budget, at least `MIN_HEADROOM`, at most `MAX_HEADROOM` (handshakes
/// last milliseconds; a thousand in flight is plenty).
const MIN_HEADROOM: usize = 16;
const MAX_HEADROOM: usize = 1024;
/// What a refused charger is told to wait before trying again.
const RETRY_AFTER_S: u64 = 30;
/// Refusals are counted and logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// How an open-files limit is shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Sockets of the charger listener, upgraded or not; more are refused as they are accepted.
    pub(crate) sockets: usize,
    /// Connected chargers: the sockets less the headroom.
    pub(crate) room: usize,
    /// Sockets of the HTTP API: `http.max_connections`, lowered to its share of a small limit.
    pub(crate) http: usize,
}

impl Budget {
    /// How an open-files `limit` is shared out, with a database pool of `database_connections`
    /// and up to `http_clients` sockets of the HTTP API: first the process's own reserve, then
    /// the HTTP API's sockets — `http_clients`, at most one part in `HTTP_PARTS` of what the
    /// reserve leaves — and the rest for charger sockets. The HTTP listener is bounded to its
    /// share, so the app's clients can never eat into the chargers' budget.
    pub(crate) fn share(limit: u64, database_connections: u32, http_clients: usize) -> Self {
        let own = BASE_FILES + FILES_PER_DATABASE_CONNECTION * u64::from(database_connections);
        let rest = limit.saturating_sub(own);
        let http = u64::try_from(http_clients).unwrap_or(u64::MAX).min(rest / HTTP_PARTS);
        let sockets = usize::try_from(rest - http).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS);
        let headroom = (sockets / 8).clamp(MIN_HEADROOM, MAX_HEADROOM).min(sockets);
        Budget { sockets, room: sockets - headroom, http: usize::try_from(http).unwrap_or(usize::MAX) }
    }

    /// No limit to share (a platform without RLIMIT_NOFILE).
    fn unlimited(http_clients: usize) -> Self {
        Budget { sockets: Semaphore::MAX_PERMITS, room: Semaphore::MAX_PERMITS, http: http_clients }
    }
}

/// What start-up decided: the charger listener's socket budget, the cap on connected chargers
/// and the HTTP listener's socket budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) sockets: usize,
    /// min(`ocpp.max_connections`, the room the open-files limit leaves).
    pub(crate) cap: usize,
    /// min(`http.max_connections`, the HTTP API's share of the open-files limit).
    pub(crate) http: usize,
}

/// Raises the soft open-files limit to the hard one, logs the room that leaves for chargers
/// and HTTP clients (and warns when either is below its setting), and returns the limits to
/// enforce.
pub(crate) fn open_files(database_connections: u32, http_clients: usize, max_connections: usize) -> Limits {
    let budget = match raise() {
        Some((soft, hard)) => {
            let budget = Budget::share(soft, database_connections, http_clients);
            tracing::info!(
                sockets = budget.sockets,
                headroom = budget.sockets - budget.room,
                "open files: soft limit {soft} (hard {hard}): room for {} chargers and {} HTTP clients",
                budget.room,
                budget.http
            );
            budget
        }
        None => Budget::unlimited(http_clients),
    };
    let cap = max_connections.min(budget.room);
    if cap < max_connections {
        tracing::warn!(
            "open files: room for {} chargers only, below ocpp.max_connections = {max_connections}: the \
             effective cap is {cap} (raise the hard limit: ulimit -Hn, systemd LimitNOFILE=, docker --ulimit)",
            budget.room
        );
    }
    if budget.http < http_clients {
        tracing::warn!(
            "open files: room for {} HTTP clients only, below http.max_connections = {http_clients}: the HTTP API \
             takes at most half of what the process's own reserve leaves, chargers the rest (raise the hard limit: \
             ulimit -Hn, systemd LimitNOFILE=, docker --ulimit)",
            budget.http
        );
    }
    Limits { sockets: budget.sockets, cap, http: budget.http }
}

/// (soft, hard) after raising the soft limit as far as allowed; None without RLIMIT_NOFILE.
#[cfg(unix)]
fn raise() -> Option<(u64, u64)> {
    if !rlimit::Resource::NOFILE.is_supported() {
        return None;
    }
    // Asking for the most: the crate clamps to the hard limit (and to kern.maxfilesperproc on macOS).
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "open files: the soft limit could not be raised");
    }
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok(limits) => Some(limits),
        Err(e) => {
            tracing::warn!(error = %e, "open files: the limit could not be read; chargers are capped by ocpp.max_connections only");
            None
        }
    }
}

#[cfg(not(unix))]
fn raise() -> Option<(u64, u64)> {
    None
}

/// The connected chargers' slots: one per session, taken before the upgrade's database lookup.
#[derive(Debug)]
pub(crate) struct SessionSlots {
    slots: Arc<Semaphore>,
    cap: usize,
    refused: Throttle,
}

impl SessionSlots {
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.min(Semaphore::MAX_PERMITS);
        SessionSlots { slots: Arc::new(Semaphore::new(cap)), cap, refused: Throttle::default() }
    }

    /// A slot for one more session — move it into the session, it frees when dropped — or
    /// none at the cap (the refusal is logged, at most once per `LOG_EVERY`): answer `at_cap()`.
    pub(crate) fn take(&self, charger_id: &str) -> Option<OwnedSemaphorePermit> {
        let slot = self.slots.clone().try_acquire_owned().ok();
        if slot.is_none()
            && let Some(refused) = self.refused.count()
        {
            tracing::info!(charger = %charger_id, refused, cap = self.cap, "refusing chargers with 503: at the connection cap");
        }
        slot
    }
}

/// The answer to a charger beyond the cap; `Connection: close` gives its socket back at once.
pub(crate) fn at_cap() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER_S.to_string()), (header::CONNECTION, "close".to_owned())],
        "at the connection cap, retry later",
    )
        .into_response()
}

/// A listener whose open sockets are bounded: one over the budget is answered 503 and closed as
/// it is accepted, without waiting for anything.
#[derive(Debug)]
pub(crate) struct Bounded {
    listener: TcpListener,
    open: Arc<Semaphore>,
    budget: usize,
    what: &'static str,
    refused: Throttle,
}

/// The whole answer to a socket over budget, written before its request is read.
const OVER_BUDGET: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Type: text/plain\r\n\
Content-Length: 20\r\nConnection: close\r\n\r\ntoo many connections";

impl Bounded {
    /// `listener` with at most `budget` sockets open at once; `what` names it in the log.
    pub(crate) fn new(listener: TcpListener, budget: usize, what: &'static str) -> Self {
        let budget = budget.min(Semaphore::MAX_PERMITS);
        Bounded { listener, open: Arc::new(Semaphore::new(budget)), budget, what, refused: Throttle::default() }
    }
}

impl axum::serve::Listener for Bounded {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            // axum's accept: skips connection errors, logs and sleeps on others (EMFILE, which
            // the budget and the reserve keep away).
            let (stream, addr) = axum::serve::Listener::accept(&mut self.listener).await;
            // Nagle off: an answer (a CALLRESULT, an HTTP response) written right after the last
            // one must not wait for its ACK (up to 40 ms of delayed ACK on the peer's side).
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(listener = %self.what, error = %e, "TCP_NODELAY could not be set");
            }
            match self.open.clone().try_acquire_owned() {
                Ok(permit) => return (Counted { stream, _permit: permit }, addr),
                Err(_) => {
                    // A fresh socket's send buffer is empty: this write completes or fails now.
                    let _ = stream.try_write(OVER_BUDGET);
                    if let Some(refused) = self.refused.count() {
                        tracing::warn!(
                            listener = %self.what,
                            refused,
                            budget = self.budget,
                            "refusing connections with 503: every socket of the budget is open"
                        );
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// An accepted socket holding its place in the listener's budget until it is dropped (after an
/// upgrade it lives inside the WebSocket, so a session's socket counts until the session ends).
#[derive(Debug)]
pub(crate) struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Refusals counted, and reported at most once per `LOG_EVERY`: a refused fleet retrying must
/// not become a flood of log lines.
#[derive(Debug, Default)]
struct Throttle {
    count: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    /// Counts one; when it is time to report, how many were counted since the last report.
    fn count(&self) -> Option<u64> {
        self.count.fetch_add(1, Ordering::Relaxed);
        // Contended: another refusal is deciding right now, this one is counted for later.
        let mut last = self.last.try_lock().ok()?;
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < LOG_EVERY) {
            return None;
        }
        *last = Some(now);
        Some(self.count.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_less_the_reserve_and_headroom_is_the_room_for_chargers() {
        // 64 base + 3 × 16 database + 128 HTTP = 240 reserved.
        assert_eq!(Budget::share(1024, 16, 128), Budget { sockets: 784, room: 784 - 98, http: 128 });
        // The machine's hard limit: the headroom stops at 1024.
        assert_eq!(Budget::share(20_000, 16, 128), Budget { sockets: 19_760, room: 18_736, http: 128 });
        // A small budget keeps at least 16 free, and never more than it has.
        assert_eq!(Budget::share(200, 2, 64), Budget { sockets: 66, room: 50, http: 64 });
        assert_eq!(Budget::share(130, 16, 128), Budget { sockets: 9, room: 0, http: 9 });
        // Below the process's own reserve nothing is left to share.
        assert_eq!(Budget::share(100, 16, 128), Budget { sockets: 0, room: 0, http: 0 });
        // Unlimited stays within what a semaphore can count.
        assert_eq!(Budget::share(u64::MAX, 16, 128).sockets, Semaphore::MAX_PERMITS);
        assert_eq!(Budget::share(u64::MAX, 16, 128).http, 128);
    }

    #[test]
    fn a_hard_limit_of_1024_with_the_default_settings_leaves_half_for_chargers() {
        let defaults = crate::config::Settings::defaults().unwrap();
        let (database, http) = (defaults.database.max_connections, defaults.http.max_connections);
        assert_eq!((database, http), (16, 1024), "the defaults this split was worked out for");
        // 64 base + 3 × 16 database = 112 for the process; of the 912 left, the HTTP API may
        // take half, not its whole 1024.
        assert_eq!(Budget::share(1024, database, http), Budget { sockets: 456, room: 456 - 57, http: 456 });
        // The HTTP API never takes more than the chargers keep, whatever it asks for.
        for limit in [256, 1024, 4096, 8192] {
            let budget = Budget::share(limit, database, usize::MAX);
            assert!(budget.sockets >= budget.http && budget.sockets > 0, "{limit}: {budget:?}");
        }
    }

    #[test]
    fn a_large_limit_leaves_the_http_api_its_setting_and_chargers_the_rest() {
        // 20,000 (this machine's hard limit) less 112 for the process and 1024 for HTTP clients.
        assert_eq!(Budget::share(20_000, 16, 1024), Budget { sockets: 18_864, room: 17_840, http: 1024 });
        assert_eq!(Budget::share(65_536, 16, 1024).http, 1024);
    }

    #[test]
    fn the_bench_fleet_fits_in_the_machines_hard_limit() {
        assert!(Budget::share(20_000, 16, 4096).room >= 10_000);
    }

    #[test]
    fn a_slot_frees_when_its_session_drops_it() {
        let slots = SessionSlots::new(1);
        let first = slots.take("CP-1").unwrap();
        assert!(slots.take("CP-2").is_none());
        drop(first);
        assert!(slots.take("CP-2").is_some());
        let refused = at_cap();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "30");
    }

    #[test]
    fn refusals_are_reported_once_per_interval_with_their_count() {
        let throttle = Throttle::default();
        assert_eq!(throttle.count(), Some(1));
        assert_eq!(throttle.count(), None);
        assert_eq!(throttle.count(), None);
        *throttle.last.lock().unwrap() = Instant::now().checked_sub(LOG_EVERY);
        assert_eq!(throttle.count(), Some(3));
    }

    #[test]
    fn the_canned_answer_is_well_formed() {
        let text = std::str::from_utf8(OVER_BUDGET).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("Retry-After: {RETRY_AFTER_S}")));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }
}
