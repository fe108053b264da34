//! Signing up and in with a code sent by SMS, over the real HTTP API.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const PHONE: &str = "13912345678";

pub(crate) async fn code(app: &TestApp, phone: &str, purpose: &str) -> String {
    let (status, body) =
        app.request("POST", "/api/v1/auth/sms-code", None, Some(&json!({"phone": phone, "purpose": purpose}))).await;
    assert_eq!(status, 204, "{body}");
    app.outbox.last_to(phone).expect("a text to the phone")
}

#[tokio::test]
async fn a_driver_registers_signs_in_and_sees_and_changes_only_their_own_profile() {
    // Codes for sign-up and sign-in follow each other at once here.
    let app = spawn_app_with(|s| s.auth.sms_resend_interval_s = 0).await;
    let first = code(&app, PHONE, "register").await;
    let (status, signed) =
        app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": PHONE, "code": first}))).await;
    assert_eq!(status, 201, "{signed}");
    let user = &signed["user"];
    assert_eq!(
        (user["phone"].as_str(), user["nickname"].as_str(), user["role"].as_str()),
        (Some(PHONE), Some("用户5678"), Some("user"))
    );
    let tag = user["idTag"].as_str().unwrap_or_default();
    assert!(tag.starts_with("APP") && tag.len() == 20, "{tag}");
    // The user's tag may charge.
    assert_eq!(app.store.id_tag(tag).await.unwrap().map(|t| t.status), Some("Accepted".to_owned()));

    // The code signs up once; the phone is registered now.
    let (status, body) =
        app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": PHONE, "code": first}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("already_registered")));

    let login = code(&app, PHONE, "login").await;
    let (status, signed_in) =
        app.request("POST", "/api/v1/auth/login", None, Some(&json!({"phone": PHONE, "code": login}))).await;
    assert_eq!(status, 200, "{signed_in}");
    let token = signed_in["token"].as_str().unwrap_or_default().to_owned();
    let (status, me) = app.request("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, &me["id"]), (200, &user["id"]));

    let change = json!({"nickname": "  Li Lei ", "avatar": "https://example.com/a.png"});
    let (status, changed) = app.request("PATCH", "/api/v1/me", Some(&token), Some(&change)).await;
    assert_eq!(
        (status, changed["nickname"].as_str(), changed["avatar"].as_str()),
        (200, Some("Li Lei"), Some("https://example.com/a.png"))
    );
    let (status, cleared) = app.request("PATCH", "/api/v1/me", Some(&token), Some(&json!({"avatar": null}))).await;
    assert_eq!((status, &cleared["avatar"]), (200, &Value::Null));

    for bad in [None, Some("not-a-token"), Some(&app_operator_token()[..])] {
        let (status, body) = app.request("GET", "/api/v1/me", bad, None).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "{bad:?}");
    }
    app.stop().await;
}

fn app_operator_token() -> String {
    crate::helpers::OPERATOR_TOKEN.to_owned()
}

#[tokio::test]
async fn codes_are_refused_for_bad_phones_too_often_wrongly_and_for_unknown_users() {
    let app = spawn_app().await;
    let ask = |phone: &str, purpose: &str| json!({"phone": phone, "purpose": purpose});
    let (status, body) = app.request("POST", "/api/v1/auth/sms-code", None, Some(&ask("12345678901", "login"))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_phone")));
    let (status, _) = app.request("POST", "/api/v1/auth/sms-code", None, Some(&ask(PHONE, "reset"))).await;
    assert_eq!(status, 400);

    let login = code(&app, PHONE, "login").await;
    let (status, body) = app.request("POST", "/api/v1/auth/sms-code", None, Some(&ask(PHONE, "login"))).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("code_sent_recently")));
    let wrong = if login == "000000" { "000001" } else { "000000" };
    let (status, body) =
        app.request("POST", "/api/v1/auth/login", None, Some(&json!({"phone": PHONE, "code": wrong}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("wrong_code")));
    // The right code, but nobody registered this phone.
    let (status, body) =
        app.request("POST", "/api/v1/auth/login", None, Some(&json!({"phone": PHONE, "code": login}))).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_registered")));
    app.stop().await;
}

#[tokio::test]
async fn an_admin_made_on_the_command_line_uses_the_operator_api_with_their_token_and_a_driver_cannot() {
    let app = spawn_app_with(|s| s.auth.sms_resend_interval_s = 0).await;
    // `csms admin create --phone …` against the test's own database.
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_csms"))
        .args(["admin", "create", "--phone", "13700000001"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running csms admin create");
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(
        made.status.success() && said.contains("13700000001 created"),
        "{said} {}",
        String::from_utf8_lossy(&made.stderr)
    );

    let sign_in = async |phone: &str| {
        let login = code(&app, phone, "login").await;
        let (_, body) =
            app.request("POST", "/api/v1/auth/login", None, Some(&json!({"phone": phone, "code": login}))).await;
        body["token"].as_str().unwrap_or_default().to_owned()
    };
    let admin = sign_in("13700000001").await;
    let (status, _) = app.request("GET", "/api/v1/chargers", Some(&admin), None).await;
    assert_eq!(status, 200);

    let first = code(&app, PHONE, "register").await;
    let (_, driver) =
        app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": PHONE, "code": first}))).await;
    let driver = driver["token"].as_str().unwrap_or_default().to_owned();
    let (status, body) = app.request("GET", "/api/v1/chargers", Some(&driver), None).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    app.stop().await;
}

#[tokio::test]
async fn a_real_name_is_checked_once_and_the_number_is_never_answered_whole() {
    let app = spawn_app().await;
    let first = code(&app, PHONE, "register").await;
    let (_, signed) =
        app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": PHONE, "code": first}))).await;
    let token = signed["token"].as_str().unwrap_or_default().to_owned();
    let check = |name: &str, card: &str| json!({"realName": name, "idCard": card});

    let (status, body) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check("李雷", "110105194912310021"))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_id_card")), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("check character")), "{body}");
    let (status, body) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check("李", "11010519491231002X"))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_name")));

    let (status, me) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check(" 李雷 ", "11010519491231002x"))).await;
    assert_eq!(
        (status, me["realNameVerified"].as_bool(), me["idCard"].as_str()),
        (200, Some(true), Some("1101**********002X"))
    );
    assert!(!me.to_string().contains("19491231"), "{me}");
    let stored = app.store.user_by_phone(PHONE).await.unwrap().unwrap();
    assert_eq!(stored.real_name.as_deref(), Some("李雷"));
    assert!(stored.id_card_hash.is_some_and(|h| h.len() == 64 && !h.contains("19491231")));

    let (status, body) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check("韩梅梅", "11010519491231002X"))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("already_verified")));
    let (status, me) = app.request("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, me["idCard"].as_str()), (200, Some("1101**********002X")));
    app.stop().await;
}

#[tokio::test]
async fn a_card_bound_to_a_driver_is_authorised_as_theirs_and_only_they_can_unbind_it() {
    use protocol::{OcppVersion, v16};
    use simulators::{Connect, SimCharger};
    let app = spawn_app_with(|s| s.auth.sms_resend_interval_s = 0).await;
    let (mut tokens, mut ids) = (Vec::new(), Vec::new());
    for phone in [PHONE, "13600000002"] {
        let first = code(&app, phone, "register").await;
        let (_, signed) =
            app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": phone, "code": first}))).await;
        tokens.push((signed["token"].as_str().unwrap_or_default().to_owned(), signed["user"]["idTag"].clone()));
        ids.push(signed["user"]["id"].as_i64().unwrap_or_default());
    }
    let [(mine, my_tag), (theirs, _)] = &tokens[..] else { panic!("two drivers") };

    let (status, card) =
        app.request("POST", "/api/v1/me/cards", Some(mine), Some(&json!({"idTag": "04A1B2C3D4"}))).await;
    assert_eq!((status, card["idTag"].as_str(), card["status"].as_str()), (201, Some("04A1B2C3D4"), Some("Accepted")));
    let (status, body) =
        app.request("POST", "/api/v1/me/cards", Some(theirs), Some(&json!({"idTag": "04A1B2C3D4"}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("card_taken")));
    let (status, body) =
        app.request("POST", "/api/v1/me/cards", Some(mine), Some(&json!({"idTag": "a card with spaces"}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_card")));

    // A charger sees the card as the driver's: refused while their balance is empty (no credit),
    // then accepted, in the group of the driver's own tag.
    app.register("CP-CARD", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-CARD", OcppVersion::V16)).await.unwrap();
    let answer = cp.call(v16::AuthorizeRequest { id_tag: "04A1B2C3D4".into() }).await.unwrap();
    assert_eq!(answer.id_tag_info.status, v16::AuthorizationStatus::Blocked);
    let credit = json!({"amount": "20.00", "reason": "top-up at the desk"});
    let (status, _) =
        app.operator("POST", &format!("/api/v1/users/{}/balance-adjustments", ids[0]), Some(&credit)).await;
    assert_eq!(status, 201);
    let answer = cp.call(v16::AuthorizeRequest { id_tag: "04A1B2C3D4".into() }).await.unwrap();
    assert_eq!(answer.id_tag_info.status, v16::AuthorizationStatus::Accepted);
    assert_eq!(answer.id_tag_info.parent_id_tag.as_deref(), my_tag.as_str());

    let (status, listed) = app.request("GET", "/api/v1/me/cards", Some(theirs), None).await;
    assert_eq!((status, &listed["items"], &listed["total"]), (200, &json!([]), &json!(0)));
    let (status, listed) = app.request("GET", "/api/v1/me/cards", Some(mine), None).await;
    assert_eq!((status, &listed["items"][0]["idTag"], &listed["total"]), (200, &json!("04A1B2C3D4"), &json!(1)));
    let (status, _) = app.request("DELETE", "/api/v1/me/cards/04A1B2C3D4", Some(theirs), None).await;
    assert_eq!(status, 404);
    let (status, _) = app.request("DELETE", "/api/v1/me/cards/04A1B2C3D4", Some(mine), None).await;
    assert_eq!(status, 204);
    let answer = cp.call(v16::AuthorizeRequest { id_tag: "04A1B2C3D4".into() }).await.unwrap();
    assert_eq!(answer.id_tag_info.status, v16::AuthorizationStatus::Invalid);
    app.stop().await;
}
