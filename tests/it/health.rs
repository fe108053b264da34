//! `/health` answers while the process runs; `/ready` while the database answers too.

use crate::helpers::spawn_app;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_are_reported_as_json() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await, (200, json!({"status": "ok"})));
    assert_eq!(app.get("/ready").await, (200, json!({"status": "ready", "database": "ok"})));
    app.stop().await;
}
