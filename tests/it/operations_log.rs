//! `GET /api/v1/operations`: every operator's action — stations, tariffs, piles, users, balances,
//! commands to chargers — is in the operation log with its actor, newest first, found again by
//! actor, charger, action and time, paged; a pile's password never.

use crate::business::{adjust, driver, tariff};
use crate::helpers::{TestApp, spawn_app_with};
use crate::users::code;
use chrono::Utc;
use protocol::OcppVersion;
use serde_json::{Value, json};
use simulators::{Connect, SimCharger};

async fn page(app: &TestApp, query: &str) -> Value {
    let (status, page) = app.operator("GET", &format!("/api/v1/operations{query}"), None).await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn actions(page: &Value) -> Vec<String> {
    page["items"].as_array().into_iter().flatten().map(|o| o["action"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn every_operators_action_is_logged_with_its_actor_and_found_by_actor_charger_action_and_time() {
    let app = spawn_app_with(|s| s.auth.sms_resend_interval_s = 0).await;
    let began = Utc::now();
    let station = json!({"code": "ST-LOG", "name": "Log", "province": "上海", "city": "上海", "district": "黄浦",
        "address": "人民大道", "lng": 121.47, "lat": 31.23});
    assert_eq!(app.operator("POST", "/api/v1/stations", Some(&station)).await.0, 201);
    assert_eq!(app.operator("PUT", "/api/v1/stations/ST-LOG/tariff", Some(&tariff())).await.0, 200);
    let pile = json!({"code": "PILE-LOG", "name": "Pile", "stationCode": "ST-LOG", "type": "AC", "maxPowerKw": 7,
        "password": "a-pile-password-0001"});
    assert_eq!(app.operator("POST", "/api/v1/piles", Some(&pile)).await.0, 201);
    let change = json!({"name": "Log station"});
    assert_eq!(app.operator("PATCH", "/api/v1/stations/ST-LOG", Some(&change)).await.0, 200);
    let connect = Connect::new(&app.ws_url, "PILE-LOG", OcppVersion::V16).password("a-pile-password-0001");
    let mut cp = SimCharger::connect(connect).await.unwrap();
    cp.boot().await.unwrap();
    let serving = tokio::spawn(async move { cp.serve_calls(1, None).await.map(|_| cp) });
    let reset = json!({"type": "Soft"});
    assert_eq!(app.operator("POST", "/api/v1/chargers/PILE-LOG/commands/Reset", Some(&reset)).await.0, 200);
    let _cp = serving.await.unwrap().unwrap();
    let (_, user_id, _) = driver(&app, "13900000601").await;
    assert_eq!(adjust(&app, user_id, "5.00").await.0, 201);

    // An admin signed in acts as themselves.
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_csms"))
        .args(["admin", "create", "--phone", "13700000602"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let login = code(&app, "13700000602", "login").await;
    let ask = json!({"phone": "13700000602", "code": login});
    let (_, signed) = app.request("POST", "/api/v1/auth/login", None, Some(&ask)).await;
    let (admin, admin_id) = (signed["token"].as_str().unwrap().to_owned(), signed["user"]["id"].as_i64().unwrap());
    let disable = json!({"status": "disabled"});
    let (status, _) = app.request("PATCH", &format!("/api/v1/users/{user_id}"), Some(&admin), Some(&disable)).await;
    assert_eq!(status, 200);

    let all = page(&app, "").await;
    assert_eq!(
        actions(&all),
        ["UserChange", "BalanceAdjustment", "Reset", "StationChange", "PileCreate", "TariffPut", "StationCreate"],
        "newest first: {all}"
    );
    let admins = format!("user:{admin_id}");
    assert_eq!(all["items"][0]["actor"], admins.as_str());
    assert_eq!(
        (&all["items"][0]["payload"]["userId"], &all["items"][0]["outcome"]),
        (&json!(user_id), &json!("Applied"))
    );
    assert!(all["items"].as_array().unwrap()[1..].iter().all(|o| o["actor"] == "operator-token"), "{all}");
    let created = &all["items"][4];
    assert_eq!((&created["chargerId"], &created["payload"]["password"]), (&json!("PILE-LOG"), &json!("(set)")));
    assert!(!all.to_string().contains("a-pile-password-0001"), "a password is never logged");

    assert_eq!(actions(&page(&app, &format!("?actor={admins}")).await), ["UserChange"]);
    assert_eq!(actions(&page(&app, "?charger=PILE-LOG").await), ["Reset", "PileCreate"]);
    let tariffs = page(&app, "?action=TariffPut").await;
    assert_eq!(tariffs["items"][0]["payload"]["station"], "ST-LOG", "{tariffs}");
    let from = began.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let window = page(&app, &format!("?from={}&pageSize=2&page=2", from.replace('+', "%2B"))).await;
    assert_eq!((actions(&window), &window["total"]), (vec!["Reset".to_owned(), "StationChange".to_owned()], &json!(7)));
    let before = page(&app, &format!("?to={}", from.replace('+', "%2B"))).await;
    assert_eq!(before["total"], 0, "{before}");

    let (status, body) = app.operator("GET", "/api/v1/operations?from=yesterday", None).await;
    assert_eq!((status, &body["error"]), (400, &json!("bad_request")));
    let (status, _) = app.operator("GET", "/api/v1/operations?who=me", None).await;
    assert_eq!(status, 400);
    let (driver_token, _, _) = driver(&app, "13900000603").await;
    let (status, _) = app.request("GET", "/api/v1/operations", Some(&driver_token), None).await;
    assert_eq!(status, 403);
    app.stop().await;
}
