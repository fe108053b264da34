//! The HTTP API: health and readiness, and the operator resources under `/api/v1` (bearer token).

mod audit;
mod auth;
mod chargers;
mod dashboard;
mod error;
mod events;
mod health;
mod membership;
mod monitoring;
mod monitoring_schemas;
mod nearby;
mod openapi;
mod operations;
mod orders;
mod paging;
mod payments;
pub mod pile_qr;
mod piles;
mod provider_payments;
mod reservations;
mod schemas;
mod staff;
mod stations;
mod stats;
mod tariffs;
mod transactions;
mod users;

pub use error::ApiError;

use crate::domain::chargers::Chargers;
use crate::domain::charging::Charging;
use crate::domain::events::DomainEvents;
use crate::domain::ledger::Ledger;
use crate::domain::orders::Orders;
use crate::domain::payments::Payments;
use crate::domain::stations::Stations;
use crate::domain::stats::Stats;
use crate::domain::users::Users;
use crate::hub::Hub;
use axum::Router;
use std::sync::Arc;

/// State shared by the API's handlers.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub chargers: Chargers,
    pub charging: Charging,
    pub users: Users,
    pub stations: Stations,
    pub orders: Orders,
    pub reservations: crate::domain::reservations::Reservations,
    pub membership: crate::domain::membership::Membership,
    pub payments: Payments,
    /// The payment providers that are on: how each wants its notifications answered.
    pub payment_providers: crate::domain::payments::PaymentProviders,
    pub monitoring: crate::domain::monitoring::Monitoring,
    pub audit: crate::domain::audit::Audit,
    pub ledger: Ledger,
    pub stats: Stats,
    pub events: DomainEvents,
    pub hub: Hub,
    /// This node among the others.
    pub cluster: crate::cluster::Cluster,
    pub operator_token: Arc<str>,
    /// Where drivers reach csms (`http.public_base_url`, else the listen address).
    pub public_base: Arc<str>,
    /// Cancelled when csms stops: endless responses (server-sent events) end with it.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Every HTTP route.
pub fn router(state: ApiState) -> Router {
    zero_route_metrics();
    health::router()
        .merge(chargers::router())
        .merge(transactions::router())
        .merge(users::router())
        .merge(stations::router())
        .merge(nearby::router())
        .merge(piles::router())
        .merge(orders::router())
        .merge(reservations::router())
        .merge(membership::router())
        .merge(tariffs::router())
        .merge(operations::router())
        .merge(pile_qr::router())
        .merge(payments::router())
        .merge(provider_payments::router())
        .merge(monitoring::router())
        .merge(events::router())
        .merge(openapi::router())
        .merge(staff::router())
        .merge(dashboard::router())
        .merge(stats::router())
        .merge(audit::router())
        .with_state(state)
        .layer(axum::middleware::from_fn(measured))
}

/// Each documented route's error count and time at zero from the start, and those of `/health`,
/// `/ready` and `/metrics`: an alert on the rate of 5xx answers sees the first one. (A route's
/// other statuses show from its first answer.)
fn zero_route_metrics() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        let documented = openapi::document().paths.paths.into_keys();
        for route in documented.chain(["/health", "/ready", "/metrics"].map(String::from)) {
            metrics::counter!(crate::metrics::HTTP_REQUESTS, "route" => route.clone(), "status" => "500").increment(0);
            drop(metrics::histogram!(crate::metrics::HTTP_REQUEST_DURATION, "route" => route));
        }
    });
}

/// Counts each request by its route's template (never the path itself: no ids in labels) and
/// status, and times it (`csms_http_requests_total`, `csms_http_request_duration_seconds`).
async fn measured(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_str().to_owned();
    metrics::counter!(crate::metrics::HTTP_REQUESTS, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(crate::metrics::HTTP_REQUEST_DURATION, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A JSON request body, or a 400 that says what is wrong with it. A NUL character (`\u0000`)
/// is refused anywhere in it: nothing means one, and PostgreSQL cannot store it.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let bad = |e: serde_json::Error| ApiError::BadRequest(format!("the body is not valid JSON for this request: {e}"));
    let value: serde_json::Value = serde_json::from_slice(body).map_err(bad)?;
    if has_nul(&value) {
        return Err(ApiError::BadRequest("the body holds a NUL character (\\u0000)".into()));
    }
    serde_json::from_value(value).map_err(bad)
}

fn has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(members) => members.iter().any(|(name, value)| name.contains('\0') || has_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// A charger id from a path, parsed once here: one that cannot exist is not found.
fn charger_id(id: String) -> Result<crate::domain::ids::ChargerId, ApiError> {
    crate::domain::ids::ChargerId::parse(id.as_str()).map_err(|_| ApiError::NotFound(format!("charger {id:?}")))
}

/// A user id from a path (`/api/v1/users/{id}…`): one that is not a number is not found.
#[derive(Debug, Clone, Copy)]
pub(super) struct UserId(pub(super) i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for UserId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        id.parse().map(UserId).map_err(|_| ApiError::NotFound(format!("user {id:?}")))
    }
}
