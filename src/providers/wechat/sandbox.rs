//! WeChat Pay's stand-in (`/sandbox/wechat/…`): the API v3 routes csms calls — Native order
//! (payable until its `time_expire`), query, close, refund and refund query
//! (`sandbox_refunds`) — each request's `Authorization` checked with the merchant's public key
//! and each answer signed with the sandbox's platform key, as WeChat does; and the payer: a
//! `POST` to a payment's pay URL pays it and sends the notification, its resource sealed with
//! the APIv3 key and the whole signed, retried while csms does not answer 2xx.

use super::WechatKeys;
use crate::providers::sandbox::script::{Course, Scripts};
use crate::providers::wechat::signing::{Authorization, Request, Signed, nonce, seal};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Notification attempts, and the first wait between them (doubling).
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// A payment the sandbox holds.
#[derive(Debug, Clone)]
pub(super) struct Held {
    pub(super) total: i64,
    notify_url: String,
    pub(super) state: &'static str,
    pub(super) transaction_id: Option<String>,
    /// Until when it can be paid (`time_expire`), when given.
    expires: Option<DateTime<Utc>>,
    pub(super) refunded: i64,
}

impl Held {
    /// Its `trade_state` now: one left unpaid past its `time_expire` is closed.
    fn state(&self) -> &'static str {
        match self.state {
            "NOTPAY" if self.expires.is_some_and(|until| Utc::now() > until) => "CLOSED",
            state => state,
        }
    }
}

/// A refund the sandbox made.
#[derive(Debug, Clone)]
pub(super) struct Made {
    pub(super) payment_no: String,
    pub(super) refund_id: String,
    pub(super) amount: i64,
    pub(super) total: i64,
    pub(super) course: Course,
    pub(super) created: DateTime<Utc>,
}

/// The sandbox's WeChat.
#[derive(Debug, Clone)]
pub struct WechatSandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) keys: WechatKeys,
    /// Where payers reach the sandbox (`<this>/sandbox/wechat/pay/{no}`).
    public_base: String,
    pub(super) payments: DashMap<String, Held>,
    /// Refunds made, by `out_refund_no`: asked again, one is answered again, not made twice.
    pub(super) refunds: DashMap<String, Made>,
    pub(super) scripts: Scripts,
    client: reqwest::Client,
}

impl WechatSandbox {
    pub fn new(keys: WechatKeys, public_base: &str) -> Result<Self, reqwest::Error> {
        let client = crate::http_client::client(Duration::from_secs(10))?;
        let inner = Inner {
            keys,
            public_base: public_base.trim_end_matches('/').to_owned(),
            payments: DashMap::new(),
            refunds: DashMap::new(),
            scripts: Scripts::default(),
            client,
        };
        Ok(WechatSandbox { inner: Arc::new(inner) })
    }

    pub(super) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Checks a merchant request's signature: the path as WeChat's gateway sees it (the
    /// sandbox's prefix taken off).
    pub(super) fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
        let keys = &self.inner.keys;
        let full = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        let path = full.strip_prefix("/sandbox/wechat").unwrap_or(full);
        let header = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let body = std::str::from_utf8(body)
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "PARAM_ERROR", "the body is not UTF-8"))?;
        let auth = Authorization::parse(header)
            .map_err(|e| Refusal::new(StatusCode::UNAUTHORIZED, "SIGN_ERROR", &e.to_string()))?;
        if auth.mchid != keys.mchid || auth.serial_no != keys.merchant_serial {
            return Err(Refusal::new(StatusCode::UNAUTHORIZED, "SIGN_ERROR", "unknown merchant or certificate serial"));
        }
        let request = Request { method: method.as_str(), path, body };
        auth.verify(&keys.merchant.public, request, now())
            .map_err(|e| Refusal::new(StatusCode::UNAUTHORIZED, "SIGN_ERROR", &e.to_string()))
    }

    /// An answer signed with the platform key.
    pub(super) fn answer(&self, status: StatusCode, body: &Value) -> Response {
        let text = body.to_string();
        let mut response = (status, [("content-type", "application/json")], text.clone()).into_response();
        if let Some(platform) = &self.inner.keys.platform.private {
            let signed = Signed::sign(platform, &self.inner.keys.platform_serial, &text, now(), &nonce());
            for (name, value) in signed.headers() {
                if let Ok(value) = HeaderValue::from_str(value) {
                    response.headers_mut().insert(name, value);
                }
            }
        }
        response
    }

    fn transaction(&self, no: &str, held: &Held) -> Value {
        let keys = &self.inner.keys;
        let mut t = json!({"appid": keys.appid, "mchid": keys.mchid, "out_trade_no": no, "trade_state": held.state(),
            "amount": {"total": held.total, "currency": "CNY"}});
        if let Some(id) = &held.transaction_id {
            t["transaction_id"] = json!(id);
            t["amount"]["payer_total"] = json!(held.total);
        }
        t
    }

    /// Sends the payment's notification.
    async fn notify(self, no: String) {
        let Some(held) = self.inner.payments.get(&no).map(|h| h.clone()) else { return };
        let resource = self.transaction(&no, &held);
        let what = format!("payment {no}");
        self.send_notice(&what, &held.notify_url, ("TRANSACTION.SUCCESS", "支付成功", "transaction"), &resource).await;
    }

    /// Sends a notification of `event` (its type, summary and resource type) with `resource`
    /// sealed, signed, until csms answers 2xx (or the attempts run out).
    pub(super) async fn send_notice(
        &self,
        what: &str,
        url: &str,
        (event_type, summary, original_type): (&str, &str, &str),
        resource: &Value,
    ) {
        let keys = &self.inner.keys;
        let sealing_nonce: String = nonce().chars().take(12).collect();
        let Ok(sealed) = seal(&keys.api_v3_key, &sealing_nonce, original_type, resource.to_string().as_bytes()) else {
            return;
        };
        let body = json!({
            "id": format!("EV-{}", nonce()), "create_time": chrono::Utc::now().to_rfc3339(),
            "resource_type": "encrypt-resource", "event_type": event_type, "summary": summary,
            "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM", "ciphertext": sealed,
                "associated_data": original_type, "nonce": sealing_nonce},
        })
        .to_string();
        let Some(platform) = &keys.platform.private else { return };
        let mut wait = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            let signed = Signed::sign(platform, &keys.platform_serial, &body, now(), &nonce());
            let mut post = self.inner.client.post(url).header("content-type", "application/json");
            for (name, value) in signed.headers() {
                post = post.header(name, value);
            }
            match post.body(body.clone()).send().await {
                Ok(answer) if answer.status().is_success() => return,
                Ok(answer) => {
                    tracing::info!(what, attempt, status = %answer.status(), "sandbox WeChat: notification refused");
                }
                Err(e) => tracing::info!(what, attempt, error = %e, "sandbox WeChat: notification not delivered"),
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
}

pub(super) async fn native(
    State(s): State<WechatSandbox>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = s.check(&method, &uri, &headers, &body) {
        return refused.into_response();
    }
    let Ok(order) = serde_json::from_slice::<Value>(&body) else {
        return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "the body is not JSON");
    };
    let keys = &s.inner.keys;
    let (Some(no), Some(total), Some(notify_url)) =
        (order["out_trade_no"].as_str(), order["amount"]["total"].as_i64(), order["notify_url"].as_str())
    else {
        return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "out_trade_no, amount.total and notify_url are required");
    };
    if order["appid"] != keys.appid.as_str() || order["mchid"] != keys.mchid.as_str() {
        return fail(StatusCode::BAD_REQUEST, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match");
    }
    if total <= 0 {
        return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "amount.total must be positive");
    }
    let expires = match order["time_expire"].as_str().map(DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(until)) => Some(until.to_utc()),
        Some(Err(_)) => return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "time_expire is not RFC 3339"),
    };
    let held =
        Held { total, notify_url: notify_url.to_owned(), state: "NOTPAY", transaction_id: None, expires, refunded: 0 };
    if let Some(before) = s.inner.payments.get(no)
        && (before.total != total || before.state != "NOTPAY")
    {
        return fail(StatusCode::FORBIDDEN, "OUT_TRADE_NO_USED", "this out_trade_no was used for another payment");
    }
    s.inner.payments.insert(no.to_owned(), held);
    let code_url = format!("{}/sandbox/wechat/pay/{no}", s.inner.public_base);
    s.answer(StatusCode::OK, &json!({"code_url": code_url}))
}

pub(super) async fn query(
    State(s): State<WechatSandbox>,
    Path(no): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = s.check(&method, &uri, &headers, b"") {
        return refused.into_response();
    }
    match s.inner.payments.get(&no).map(|h| h.clone()) {
        Some(held) => s.answer(StatusCode::OK, &s.transaction(&no, &held)),
        None => fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "no such order"),
    }
}

pub(super) async fn close(
    State(s): State<WechatSandbox>,
    Path(no): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = s.check(&method, &uri, &headers, &body) {
        return refused.into_response();
    }
    match s.inner.payments.get_mut(&no) {
        Some(mut held) if held.state() == "NOTPAY" || held.state() == "CLOSED" => {
            held.state = "CLOSED";
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) => fail(StatusCode::BAD_REQUEST, "ORDERPAID", "the order is paid"),
        None => fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "no such order"),
    }
}

/// The payer pays: the payment succeeds and its notification goes out.
pub(super) async fn pay(State(s): State<WechatSandbox>, Path(no): Path<String>) -> Response {
    let Some(mut held) = s.inner.payments.get_mut(&no) else {
        return fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "no such order");
    };
    match held.state() {
        "NOTPAY" => {
            held.state = "SUCCESS";
            held.transaction_id = Some(format!("4200{}", &nonce()[..24]));
        }
        "SUCCESS" => {}
        other => return fail(StatusCode::BAD_REQUEST, "ORDER_CLOSED", &format!("the order is {other}")),
    }
    let total = held.total;
    drop(held);
    tokio::spawn(s.clone().notify(no.clone()));
    (StatusCode::OK, axum::Json(json!({"paid": true, "outTradeNo": no, "total": total}))).into_response()
}

/// A refusal, answered in WeChat's error shape.
#[derive(Debug)]
pub(super) struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: &str) -> Self {
        Refusal { status, code, message: message.to_owned() }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        fail(self.status, self.code, &self.message)
    }
}

/// WeChat's error answer.
pub(super) fn fail(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"code": code, "message": message}))).into_response()
}

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
