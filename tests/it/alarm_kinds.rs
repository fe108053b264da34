//! `GET /api/v1/alarms/kinds`: every registered alarm kind with its level, title and the unit of
//! its value (a snapshot: a kind renamed, dropped or retitled shows here), for operators only;
//! the `type` filter of `GET /api/v1/alarms` takes exactly these kinds, and the OpenAPI
//! document's enum of alarm types is the same list.

use crate::helpers::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn operators_read_every_alarm_kind_with_its_level_and_title_and_the_type_filter_takes_only_those() {
    let app = spawn_app().await;
    let (status, kinds) = app.operator("GET", "/api/v1/alarms/kinds", None).await;
    assert_eq!(status, 200, "{kinds}");
    insta::assert_json_snapshot!("alarm_kinds", kinds);
    assert_eq!(app.get("/api/v1/alarms/kinds").await.0, 401, "operators only");

    let types: Vec<&str> = kinds.as_array().unwrap().iter().filter_map(|k| k["type"].as_str()).collect();
    for kind in &types {
        let (status, page) = app.operator("GET", &format!("/api/v1/alarms?type={kind}"), None).await;
        assert_eq!((status, &page["total"]), (200, &Value::from(0)), "{kind}: {page}");
    }
    let (status, refused) = app.operator("GET", "/api/v1/alarms?type=smoke", None).await;
    assert_eq!((status, &refused["error"]), (400, &Value::from("bad_request")), "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(types.iter().all(|kind| message.contains(kind)), "the known kinds are named: {message}");

    let (status, doc) = app.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = doc["components"]["schemas"]["AlarmType"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(listed, types, "the OpenAPI enum is the registered list");
    app.stop().await;
}
