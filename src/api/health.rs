//! `GET /health` (the process answers), `GET /ready` (it can reach its database and, when used, Redis) and `GET
//! /metrics` (Prometheus' text format).

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
            tracing::warn!(error = %e, "not ready: Redis unreachable");
            "unreachable"
        }
    };
    let ready = database == "ok" && redis != "unreachable";
    let (status, word) = if ready { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "not ready") };
    (status, Json(json!({"status": word, "database": database, "redis": redis})))
}
