//! The WebSocket upgrade (OCPP-J §3): the charger id is the percent-decoded last path segment;
//! an unknown charger is refused with 404 before upgrading (unless auto-registration is on); a
//! charger with a password must give it by HTTP Basic auth (security profile 1) or get 401; the
//! subprotocol is the server's preferred one among those offered. A password verified once is
//! recognised on reconnection without argon2 (`credentials`). Beyond the connection cap a charger
//! is refused with 503 before any database lookup (`limits`).

use super::{Hub, limits, session};
use crate::domain::chargers::records::Registration;
use crate::domain::ids::ChargerId;
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use protocol::OcppVersion;

/// Per-connection WebSocket buffers: tungstenite's 128 KiB default costs ~138 KB per idle
/// connection (DESIGN pitfalls); 4 KiB holds a typical frame.
const BUFFER_BYTES: usize = 4096;

/// The charger listener's routes.
pub fn router(hub: Hub) -> Router {
    Router::new().route("/ocpp/{charger_id}", get(upgrade)).with_state(hub)
}

async fn upgrade(
    State(hub): State<Hub>,
    Path(charger_id): Path<String>,
    headers: HeaderMap,
    mut ws: WebSocketUpgrade,
) -> Response {
    // OCPP's identity (see `ChargerId`): 1 to 48 characters, no ':' (it ends the Basic auth
    // user), no control characters (a percent-encoded NUL could not even be looked up in
    // PostgreSQL). Parsed once here: the session and everything it calls hold the checked id.
    let Ok(charger_id) = ChargerId::parse(charger_id) else {
        return (StatusCode::BAD_REQUEST, "invalid charger identity").into_response();
    };
    // Taken before the lookup, so a fleet beyond the cap costs no query; it moves into the
    // session and frees when the session ends, or when this request ends without one.
    let Some(slot) = hub.inner.connections.take(&charger_id) else {
        return limits::at_cap();
    };
    let registration = match hub.inner.chargers.find(&charger_id).await {
        // An MQTT pile speaks through the broker only: a WebSocket in its name is no pile of ours.
        Ok(Some(charger)) if charger.protocol == crate::domain::chargers::PileProtocol::Mqtt => {
            tracing::info!(charger = %charger_id, "refused: an MQTT pile does not connect over OCPP");
            return (StatusCode::NOT_FOUND, "unknown charger").into_response();
        }
        Ok(Some(charger)) => {
            if let Some(hash) = charger.password_hash
                && !authorized(&hub, &charger_id, &hash, &headers).await
            {
                tracing::info!(charger = %charger_id, "refused: wrong or missing Basic credentials");
                return unauthorized();
            }
            charger.registration
        }
        Ok(None) if hub.inner.chargers.auto_register() => {
            if let Err(e) = hub.inner.chargers.register_pending(&charger_id).await {
                tracing::error!(charger = %charger_id, error = %e, "auto-registration failed");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            tracing::info!(charger = %charger_id, "auto-registered as pending");
            Registration::Pending
        }
        Ok(None) => {
            tracing::info!(charger = %charger_id, "refused: unknown charger");
            return (StatusCode::NOT_FOUND, "unknown charger").into_response();
        }
        Err(e) => {
            tracing::error!(charger = %charger_id, error = %e, "charger lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };

    let offered: Vec<String> = ws.requested_protocols().filter_map(|p| p.to_str().ok()).map(str::to_owned).collect();
    let version = OcppVersion::negotiate(offered.iter().map(String::as_str), &hub.inner.preference);
    if let Some(version) = version {
        ws.set_selected_protocol(HeaderValue::from_static(version.subprotocol()));
    }
    let max_frame = hub.inner.settings.max_frame_bytes;
    let sessions = hub.inner.sessions.clone();
    // Before the upgrade is answered: the session is registered as soon as it starts.
    let epoch = hub.inner.cluster.next_epoch().await;
    ws.read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_message_size(max_frame)
        .max_frame_size(max_frame)
        .on_upgrade(move |socket| {
            sessions.track_future(async move {
                let _slot = slot;
                session::run(socket, hub, charger_id, version, registration, epoch).await;
            })
        })
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"csms\"")], "unauthorized").into_response()
}

/// Whether the request carries `Basic <charger_id>:<password>` matching the stored hash.
async fn authorized(hub: &Hub, charger_id: &str, hash: &str, headers: &HeaderMap) -> bool {
    let Some(credentials) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
    else {
        return false;
    };
    let Some((user, password)) = credentials.split_once(':') else {
        return false;
    };
    if user != charger_id {
        return false;
    }
    let verified = &hub.inner.credentials;
    if verified.known_anywhere(charger_id, hash, password).await {
        login("remembered");
        return true;
    }
    // argon2 takes tens of milliseconds on purpose: keep it off the async workers, and let it
    // have at most half the cores, so that a flood of wrong passwords (or a whole fleet
    // reconnecting) cannot starve the connected chargers.
    // The permit goes with the work: a client that hangs up does not free it early.
    let Ok(permit) = hub.inner.hashing.clone().acquire_owned().await else { return false };
    let (stored, given) = (hash.to_owned(), password.to_owned());
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        PasswordHash::new(&stored)
            .map(|parsed| Argon2::default().verify_password(given.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    // A wrong password leaves the entry: the charger's own password stays valid.
    if ok {
        verified.remember(charger_id, hash, password).await;
    }
    login(if ok { "verified" } else { "refused" });
    ok
}

/// Counts a password check (`csms_charger_logins_total`).
fn login(outcome: &'static str) {
    metrics::counter!(crate::metrics::CHARGER_LOGINS, "outcome" => outcome).increment(1);
}
