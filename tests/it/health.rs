//! `/health` answers while the process runs; `/ready` while the database answers too (and says
//! whether Redis answers and how the cluster looks); `/metrics` in Prometheus' text format, with the metrics csms exports.

use crate::helpers::spawn_app;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_are_reported_as_json() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await, (200, json!({"status": "ok"})));
    let (redis, cluster) = if std::env::var("REDIS_URL").is_ok() { ("ok", "ok") } else { ("unused", "single") };
    let ready = json!({"status": "ready", "database": "ok", "redis": redis, "cluster": cluster});
    assert_eq!(app.get("/ready").await, (200, ready));
    app.stop().await;
}
