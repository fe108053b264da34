//! The SMS gateway and the real-name provider over HTTP: a small axum server on 127.0.0.1 plays
//! each, csms is pointed at it through its settings, and the API is driven as a driver would.

use crate::helpers::{TestApp, spawn_app_configured, spawn_app_with};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use csms::config::{RealNameVerifierKind, SmsSenderKind};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PHONE: &str = "13912345678";
const ID_CARD: &str = "11010519491231002X";

/// A request the fake service received.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// What the fake service answers, and after how long.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

#[derive(Debug, Clone, Default)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Arc<Mutex<Option<Reply>>>,
}

/// A service on 127.0.0.1 that records every request and answers as told (204 until told).
struct Fake {
    base: String,
    shared: Shared,
}

impl Fake {
    async fn start() -> Fake {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new().fallback(answer).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Fake { base, shared }
    }

    fn answer(&self, status: u16, body: &str) {
        self.answer_after(status, body, Duration::ZERO);
    }

    fn answer_after(&self, status: u16, body: &str, delay: Duration) {
        *self.shared.reply.lock().unwrap() = Some(Reply { status, body: body.to_owned(), delay });
    }

    fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

async fn answer(State(shared): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let seen = Seen {
        path: uri.to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    shared.seen.lock().unwrap().push(seen);
    let reply = shared.reply.lock().unwrap().clone();
    let reply = reply.unwrap_or(Reply { status: 204, body: String::new(), delay: Duration::ZERO });
    tokio::time::sleep(reply.delay).await;
    (StatusCode::from_u16(reply.status).unwrap(), reply.body)
}

/// csms sending codes through the gateway `fake` plays, with a bearer token.
async fn app_with_gateway(fake: &Fake) -> TestApp {
    let url = format!("{}/send/{{phone}}?sign=csms", fake.base);
    spawn_app_configured(|s| {
        s.sms.sender = SmsSenderKind::Http;
        s.sms.url = url;
        s.sms.bearer_token = "gw-secret-1".into();
        s.sms.timeout_ms = 500;
    })
    .await
}

async fn ask_code(app: &TestApp, purpose: &str) -> (u16, Value) {
    app.request("POST", "/api/v1/auth/sms-code", None, Some(&json!({"phone": PHONE, "purpose": purpose}))).await
}

async fn register(app: &TestApp, code: &str) -> (u16, Value) {
    app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": PHONE, "code": code}))).await
}

#[tokio::test]
async fn a_code_asked_for_over_the_api_reaches_the_gateway_as_json_with_the_token_and_registers() {
    let fake = Fake::start().await;
    let app = app_with_gateway(&fake).await;
    let (status, body) = ask_code(&app, "register").await;
    assert_eq!(status, 204, "{body}");

    let seen = fake.seen();
    let [sent] = &seen[..] else { panic!("one request to the gateway: {seen:?}") };
    assert_eq!(sent.path, format!("/send/{PHONE}?sign=csms"));
    assert_eq!(sent.authorization.as_deref(), Some("Bearer gw-secret-1"));
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
    assert_eq!(sent.body["phone"], json!(PHONE));
    let code = sent.body["text"].as_str().unwrap_or_default().to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{}", sent.body);
    assert_eq!(sent.body.as_object().map(|o| o.len()), Some(2), "{}", sent.body);
    assert!(app.outbox.last_to(PHONE).is_none(), "the configured sender, not the test's outbox");

    let (status, signed) = register(&app, &code).await;
    assert_eq!((status, signed["user"]["phone"].as_str()), (201, Some(PHONE)), "{signed}");
    app.stop().await;
}

#[tokio::test]
async fn a_gateway_answering_500_fails_the_request_with_502_and_the_code_is_not_kept() {
    let fake = Fake::start().await;
    fake.answer(500, "quota exceeded for Bearer gw-secret-1");
    let app = app_with_gateway(&fake).await;
    let (status, body) = ask_code(&app, "register").await;
    assert_eq!((status, body["error"].as_str()), (502, Some("sms_failed")), "{body}");
    // Neither the gateway's answer nor the token reaches the client.
    let said = body.to_string();
    assert!(!said.contains("quota") && !said.contains("gw-secret"), "{said}");

    // Had the text gone out after all, its code would not sign up: nothing was kept as sent.
    let lost = fake.seen()[0].body["text"].as_str().unwrap_or_default().to_owned();
    let (status, body) = register(&app, &lost).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("wrong_code")), "{body}");

    // The gateway is back: the phone may ask again at once (no 429), and that code works.
    fake.answer(200, r#"{"ok": true}"#);
    let (status, body) = ask_code(&app, "register").await;
    assert_eq!(status, 204, "{body}");
    let code = fake.seen()[1].body["text"].as_str().unwrap_or_default().to_owned();
    let (status, body) = register(&app, &code).await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_gateway_slower_than_its_timeout_fails_the_request_with_502() {
    let fake = Fake::start().await;
    fake.answer_after(200, "", Duration::from_secs(3));
    let app = app_with_gateway(&fake).await;
    let started = std::time::Instant::now();
    let (status, body) = ask_code(&app, "login").await;
    assert_eq!((status, body["error"].as_str()), (502, Some("sms_failed")), "{body}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    app.stop().await;
}

#[tokio::test]
async fn the_provider_refuses_a_name_that_does_not_match_and_records_one_that_does() {
    let fake = Fake::start().await;
    let url = format!("{}/v1/id-check", fake.base);
    let app = spawn_app_with(|s| {
        s.real_name.verifier = RealNameVerifierKind::Http;
        s.real_name.url = url;
        s.real_name.bearer_token = "rn-secret-2".into();
    })
    .await;
    let (_, body) = ask_code(&app, "register").await;
    assert_eq!(body, Value::Null);
    let code = app.outbox.last_to(PHONE).unwrap();
    let (_, signed) = register(&app, &code).await;
    let token = signed["token"].as_str().unwrap_or_default().to_owned();
    let check = |name: &str, card: &str| json!({"realName": name, "idCard": card});

    // A number that fails the local check never reaches the provider.
    let (status, _) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check("李雷", "110105194912310021"))).await;
    assert_eq!(status, 400);
    assert!(fake.seen().is_empty());

    fake.answer(200, r#"{"match": false, "requestId": "r-1"}"#);
    let (status, body) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check("韩梅梅", ID_CARD))).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("real_name_mismatch")), "{body}");
    let seen = fake.seen();
    let [asked] = &seen[..] else { panic!("one request to the provider: {seen:?}") };
    assert_eq!(asked.path, "/v1/id-check");
    assert_eq!(asked.authorization.as_deref(), Some("Bearer rn-secret-2"));
    assert_eq!(asked.body, json!({"name": "韩梅梅", "idCard": ID_CARD}));
    let (_, me) = app.request("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((me["realNameVerified"].as_bool(), &me["idCard"]), (Some(false), &Value::Null), "{me}");

    // An answer that is not {"match": bool}, or an error status, is no answer: 502, and the
    // number is in no reply.
    for (status, body) in [(200, r#"{"match": "yes"}"#), (500, "no such card 11010519491231002X")] {
        fake.answer(status, body);
        let (status, body) =
            app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check("李雷", ID_CARD))).await;
        assert_eq!((status, body["error"].as_str()), (502, Some("verifier_failed")), "{body}");
        assert!(!body.to_string().contains("19491231"), "{body}");
    }

    fake.answer(200, r#"{"match": true}"#);
    let (status, me) =
        app.request("POST", "/api/v1/me/real-name", Some(&token), Some(&check(" 李雷 ", "11010519491231002x"))).await;
    assert_eq!((status, me["realNameVerified"].as_bool()), (200, Some(true)), "{me}");
    // The provider was sent the number as checked: upper-case, whole.
    assert_eq!(fake.seen().last().map(|s| s.body.clone()), Some(json!({"name": "李雷", "idCard": ID_CARD})));
    let stored = app.store.user_by_phone(PHONE).await.unwrap().unwrap();
    assert_eq!(stored.real_name.as_deref(), Some("李雷"));
    app.stop().await;
}

#[tokio::test]
async fn csms_does_not_start_with_an_http_sender_or_verifier_and_no_http_url_naming_the_setting() {
    use csms::config::Settings;
    use csms::startup::Application;
    let mut settings = Settings::defaults().unwrap();
    settings.ocpp.listen = "127.0.0.1:0".parse().unwrap();
    settings.http.listen = "127.0.0.1:0".parse().unwrap();
    settings.sms.sender = SmsSenderKind::Http;
    settings.sms.url = "ftp://sms.example/{phone}".into();
    let said = Application::build(settings.clone()).await.map(|_| ()).unwrap_err().to_string();
    assert_eq!(said, "sms.url: not an http:// or https:// URL with a host");
    settings.sms.url = String::new();
    let said = Application::build(settings.clone()).await.map(|_| ()).unwrap_err().to_string();
    assert_eq!(said, "sms.url: empty, but sms.sender is \"http\"");
    settings.sms.sender = SmsSenderKind::Console;
    settings.real_name.verifier = RealNameVerifierKind::Http;
    settings.real_name.url = "verify.example/check".into();
    let said = Application::build(settings).await.map(|_| ()).unwrap_err().to_string();
    assert_eq!(said, "real_name.url: not an http:// or https:// URL with a host");
}
