//! `GET /health` (the process answers), `GET /ready` (it can reach its database, and is not
//! stopping; it also says whether Redis answers and how the cluster looks) and `GET /metrics`
//! (Prometheus' text format).
//!
//! Redis unreachable does not make a node unready: each node keeps serving its own chargers
//! (only what crosses between nodes waits for Redis), and a load balancer that took every node
//! out at once would cut them all off. It shows as `redis: unreachable`, `cluster: degraded`.

use super::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready)).route("/metrics", get(metrics))
}

async fn metrics() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], crate::metrics::render())
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn ready(State(state): State<ApiState>) -> (StatusCode, Json<Value>) {
    let database = match state.chargers.database_ready().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            "unreachable"
        }
    };
    let redis = match state.monitoring.cache_ready().await {
        None => "unused",
        Some(Ok(())) => "ok",
        Some(Err(e)) => {
            tracing::warn!(error = %e, "Redis unreachable: only what crosses between nodes waits for it");
            "unreachable"
        }
    };
    let cluster = match state.cluster.health() {
        // Seen at once, not at the next look at the leases.
        _ if redis == "unreachable" => "degraded",
        health => health.as_str(),
    };
    let draining = state.cluster.draining();
    let (status, word) = match (database, draining) {
        ("ok", false) => (StatusCode::OK, "ready"),
        (_, true) => (StatusCode::SERVICE_UNAVAILABLE, "draining"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "not ready"),
    };
    (status, Json(json!({"status": word, "database": database, "redis": redis, "cluster": cluster})))
}
