//! `POST /api/v1/auth/logout`: a driver signs out, and every token issued to them so far is
//! refused — on this node at once, on another node of the system within `FRESH_FOR` — while a
//! new sign-in works again.

use crate::helpers::{TestApp, spawn_app_with, spawn_node};
use crate::users::code;
use serde_json::json;
use std::time::Duration;

async fn sign_in(app: &TestApp, phone: &str, purpose: &str) -> String {
    let given = code(app, phone, purpose).await;
    let path = if purpose == "register" { "/api/v1/auth/register" } else { "/api/v1/auth/login" };
    let (status, signed) = app.request("POST", path, None, Some(&json!({"phone": phone, "code": given}))).await;
    assert!(status == 200 || status == 201, "{signed}");
    signed["token"].as_str().unwrap().to_owned()
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.request("GET", "/api/v1/me", Some(token), None).await.0
}

#[tokio::test]
async fn signing_out_refuses_every_token_issued_before_on_every_node_and_a_new_sign_in_works() {
    // The nodes of one system sign tokens with one secret.
    let settings = |s: &mut csms::config::Settings| {
        s.auth.sms_resend_interval_s = 0;
        s.auth.jwt_secret = "one secret for the whole system, 32+".into();
    };
    let app = spawn_app_with(settings).await;
    let other = spawn_node(&app, settings).await;
    let phone = "13900000701";
    let (phone_app, tablet) = (sign_in(&app, phone, "register").await, sign_in(&app, phone, "login").await);
    assert_eq!((me(&app, &phone_app).await, me(&app, &tablet).await, me(&other, &tablet).await), (200, 200, 200));

    let (status, _) = app.request("POST", "/api/v1/auth/logout", Some(&phone_app), None).await;
    assert_eq!(status, 204);
    assert_eq!((me(&app, &phone_app).await, me(&app, &tablet).await), (401, 401), "refused at once here");
    let deadline = tokio::time::Instant::now() + csms::domain::users::FRESH_FOR + Duration::from_secs(2);
    while me(&other, &tablet).await != 401 {
        assert!(tokio::time::Instant::now() < deadline, "the other node still takes a token signed out");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, _) = app.request("POST", "/api/v1/auth/logout", Some(&tablet), None).await;
    assert_eq!(status, 401, "a token signed out signs nobody out");

    let again = sign_in(&app, phone, "login").await;
    assert_eq!((me(&app, &again).await, me(&other, &again).await), (200, 200));
    let (status, _) = app.request("POST", "/api/v1/auth/logout", None, None).await;
    assert_eq!(status, 401);
    other.stop_node().await;
    app.stop().await;
}
