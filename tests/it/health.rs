//! `/health` answers while the process runs; `/ready` while the database answers too, and Redis
//! when csms uses it; `/metrics` in Prometheus' text format, with the metrics csms exports.

use crate::helpers::spawn_app;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_are_reported_as_json() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await, (200, json!({"status": "ok"})));
    let redis = if std::env::var("REDIS_URL").is_ok() { "ok" } else { "unused" };
    assert_eq!(app.get("/ready").await, (200, json!({"status": "ready", "database": "ok", "redis": redis})));
    app.stop().await;
}
