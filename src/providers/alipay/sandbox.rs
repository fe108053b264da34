//! Alipay's stand-in (`/sandbox/alipay/…`): the open API gateway csms calls, one URL told apart
//! by `method` — precreate (payable within its `timeout_express`), query, close, and refunds
//! and their query (`sandbox_refunds`) — each request's `sign` checked with the app's
//! public key and each answer signed with the sandbox's Alipay key, as Alipay does (a request
//! it cannot believe is refused unsigned); and the payer: a `GET` on a payment's pay URL scans
//! its code, a `POST` pays it and sends the signed notification, retried until csms answers
//! `success`.

use super::AlipayKeys;
use crate::domain::ledger::{fen_string, parse_positive};
use crate::providers::alipay::signing::{self as alipay, AlipayError};
use crate::providers::http::Form;
use crate::providers::sandbox::payer::{beijing, deliver, digits};
use crate::providers::sandbox::script::Scripts;
use crate::providers::wechat::signing::nonce;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use dashmap::DashMap;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// How far a request's `timestamp` may be from the sandbox's clock.
const CLOCK_SKEW_MINUTES: i64 = 15;

/// Where a precreated payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// Precreated, its code not scanned: Alipay holds no trade for it yet.
    Created,
    /// Closed before its code was scanned: still no trade, and the code no longer pays.
    Voided,
    /// Scanned, not paid (`WAIT_BUYER_PAY`).
    Waiting,
    /// Paid (`TRADE_SUCCESS`).
    Paid,
    /// Closed unpaid, or refunded in full (`TRADE_CLOSED`).
    Closed,
}

impl Status {
    /// Alipay's `trade_status`, once there is a trade.
    fn trade_status(self) -> Option<&'static str> {
        match self {
            Status::Created | Status::Voided => None,
            Status::Waiting => Some("WAIT_BUYER_PAY"),
            Status::Paid => Some("TRADE_SUCCESS"),
            Status::Closed => Some("TRADE_CLOSED"),
        }
    }
}

/// A payment the sandbox holds.
#[derive(Debug, Clone)]
pub(super) struct Held {
    pub(super) total: i64,
    subject: String,
    notify_url: Option<String>,
    pub(super) status: Status,
    /// Until when the code pays (`timeout_express`), when given.
    pay_until: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    /// Alipay's trade, from the scan on.
    pub(super) trade_no: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    /// Refunds by `out_request_no`, and their sum.
    pub(super) refunds: HashMap<String, i64>,
    pub(super) refunded: i64,
}

impl Held {
    /// Where it stands now: a scanned trade left unpaid past its `timeout_express` is closed.
    fn status(&self) -> Status {
        match self.status {
            Status::Waiting if self.pay_until.is_some_and(|until| Utc::now() > until) => Status::Closed,
            status => status,
        }
    }
}

/// The sandbox's Alipay.
#[derive(Debug, Clone)]
pub struct AlipaySandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    keys: AlipayKeys,
    /// Where payers reach the sandbox (`<this>/sandbox/alipay/pay/{no}`).
    public_base: String,
    pub(super) payments: DashMap<String, Held>,
    pub(super) scripts: Scripts,
    client: reqwest::Client,
}

impl AlipaySandbox {
    pub fn new(keys: AlipayKeys, public_base: &str) -> Result<Self, reqwest::Error> {
        let client = crate::http_client::client(Duration::from_secs(10))?;
        let inner = Inner {
            keys,
            public_base: public_base.trim_end_matches('/').to_owned(),
            payments: DashMap::new(),
            scripts: Scripts::default(),
            client,
        };
        Ok(AlipaySandbox { inner: Arc::new(inner) })
    }

    pub(super) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Checks a request as Alipay's gateway does before it reads the method: this app, a
    /// `sign` that verifies with its public key, UTF-8, a timestamp near the clock.
    fn check(&self, params: &HashMap<String, String>) -> Result<(), Value> {
        let param = |name: &str| params.get(name).map_or("", String::as_str);
        if param("app_id") != self.inner.keys.app_id {
            return Err(invalid("isv.invalid-app-id", "无效的AppID参数"));
        }
        match alipay::verify_request(&self.inner.keys.app.public, params) {
            Ok(()) => {}
            Err(AlipayError::SignType(_)) => return Err(invalid("isv.invalid-signature-type", "无效的签名类型")),
            Err(_) => return Err(invalid("isv.invalid-signature", "验签出错")),
        }
        if !param("charset").eq_ignore_ascii_case("utf-8") {
            return Err(invalid("isv.invalid-charset", "字符集错误"));
        }
        let sent = NaiveDateTime::parse_from_str(param("timestamp"), "%Y-%m-%d %H:%M:%S")
            .ok()
            .and_then(|t| chrono_tz::Asia::Shanghai.from_local_datetime(&t).single())
            .map(|t| t.to_utc());
        match sent {
            Some(sent) if (Utc::now() - sent).num_minutes().abs() <= CLOCK_SKEW_MINUTES => Ok(()),
            _ => Err(invalid("isv.invalid-timestamp", "非法的时间戳参数")),
        }
    }

    /// `response` as the answer to `method`, signed with the sandbox's Alipay key.
    fn signed(&self, method: &str, response: &Value) -> Response {
        let text = match &self.inner.keys.alipay.private {
            Some(key) => alipay::sign_response(key, method, &response.to_string()),
            None => unsigned_text(method, response),
        };
        json_answer(StatusCode::OK, text)
    }

    fn pay_url(&self, no: &str) -> String {
        format!("{}/sandbox/alipay/pay/{no}", self.inner.public_base)
    }

    fn precreate(&self, biz: &Value, notify_url: Option<&String>) -> Value {
        let (Some(no), Some(amount), Some(subject)) =
            (text(biz, "out_trade_no"), text(biz, "total_amount"), text(biz, "subject"))
        else {
            return invalid("isv.missing-parameter", "out_trade_no, total_amount and subject are required");
        };
        let Ok(total) = parse_positive(amount, "total_amount").map(|fen| fen.get()) else {
            return business("ACQ.INVALID_PARAMETER", "total_amount 无效");
        };
        let now = Utc::now();
        if let Some(before) = self.inner.payments.get(no) {
            match before.status {
                Status::Created if before.total == total => {}
                Status::Paid => return business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
                Status::Closed | Status::Voided => return business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
                _ => return business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"),
            }
        } else {
            let held = Held {
                total,
                subject: subject.to_owned(),
                notify_url: notify_url.filter(|u| !u.is_empty()).cloned(),
                status: Status::Created,
                pay_until: text(biz, "timeout_express").and_then(within).map(|d| now + d),
                created: now,
                trade_no: None,
                paid_at: None,
                refunds: HashMap::new(),
                refunded: 0,
            };
            self.inner.payments.insert(no.to_owned(), held);
        }
        json!({"code": "10000", "msg": "Success", "out_trade_no": no, "qr_code": self.pay_url(no)})
    }

    fn query(&self, biz: &Value) -> Value {
        let no = text(biz, "out_trade_no").unwrap_or_default();
        let Some(held) = self.inner.payments.get(no).map(|h| h.clone()) else { return no_trade() };
        let Some(status) = held.status().trade_status() else { return no_trade() };
        let mut answer = json!({"code": "10000", "msg": "Success", "out_trade_no": no, "trade_status": status,
            "total_amount": fen_string(held.total), "trade_no": held.trade_no});
        if let Some(paid_at) = held.paid_at {
            answer["send_pay_date"] = json!(beijing(paid_at, "%Y-%m-%d %H:%M:%S"));
            answer["buyer_pay_amount"] = json!(fen_string(held.total));
        }
        answer
    }

    fn close(&self, biz: &Value) -> Value {
        let no = text(biz, "out_trade_no").unwrap_or_default();
        let Some(mut held) = self.inner.payments.get_mut(no) else { return no_trade() };
        match held.status() {
            Status::Created | Status::Voided => {
                held.status = Status::Voided;
                no_trade()
            }
            Status::Waiting | Status::Closed => {
                held.status = Status::Closed;
                json!({"code": "10000", "msg": "Success", "out_trade_no": no, "trade_no": held.trade_no})
            }
            Status::Paid => business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"),
        }
    }

    /// Sends the payment's notification until csms answers 2xx with `success`.
    async fn notify(self, no: String) {
        let Some(held) = self.inner.payments.get(&no).map(|h| h.clone()) else { return };
        let (Some(url), Some(trade_no), Some(paid_at)) = (&held.notify_url, &held.trade_no, held.paid_at) else {
            return;
        };
        let Some(key) = &self.inner.keys.alipay.private else { return };
        let amount = fen_string(held.total);
        let time = |at| beijing(at, "%Y-%m-%d %H:%M:%S");
        let mut params: BTreeMap<String, String> = [
            ("notify_type", "trade_status_sync"),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("app_id", self.inner.keys.app_id.as_str()),
            ("out_trade_no", no.as_str()),
            ("trade_no", trade_no.as_str()),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", amount.as_str()),
            ("receipt_amount", amount.as_str()),
            ("buyer_pay_amount", amount.as_str()),
            ("subject", held.subject.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.insert("notify_time".into(), time(Utc::now()));
        params.insert("notify_id".into(), nonce().to_lowercase());
        params.insert("gmt_create".into(), time(held.created));
        params.insert("gmt_payment".into(), time(paid_at));
        alipay::sign_notification(key, &mut params);
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
        let what = format!("Alipay {no}");
        let takes = |status: u16, text: &str| (200..300).contains(&status) && text.trim() == "success";
        deliver(&self.inner.client, &what, url, body, takes).await;
    }
}

/// The gateway: the request checked, then answered by its `method`.
pub(super) async fn gateway(State(s): State<AlipaySandbox>, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let params = form.params();
    let method = params.get("method").map_or("", String::as_str);
    if let Err(refused) = s.check(params) {
        return json_answer(StatusCode::OK, unsigned_text(method, &refused));
    }
    let Some(biz) = params.get("biz_content").and_then(|b| serde_json::from_str::<Value>(b).ok()) else {
        return s.signed(method, &invalid("isv.invalid-parameter", "biz_content 不是 JSON"));
    };
    let answer = match method {
        "alipay.trade.precreate" => s.precreate(&biz, params.get("notify_url")),
        "alipay.trade.query" => s.query(&biz),
        "alipay.trade.close" => s.close(&biz),
        "alipay.trade.refund" => s.refund(&biz),
        "alipay.trade.fastpay.refund.query" => s.refund_state(&biz),
        _ => {
            return json_answer(
                StatusCode::OK,
                unsigned_text(method, &invalid("isv.invalid-method", "不存在的方法名")),
            );
        }
    };
    s.signed(method, &answer)
}

/// The payer scans the code: Alipay now holds a trade waiting for payment.
pub(super) async fn scan(State(s): State<AlipaySandbox>, Path(no): Path<String>) -> Response {
    let Some(mut held) = s.inner.payments.get_mut(&no) else { return refused("ACQ.TRADE_NOT_EXIST") };
    let expired = held.pay_until.is_some_and(|until| Utc::now() > until);
    if expired || matches!(held.status, Status::Voided | Status::Closed) {
        return refused("ACQ.TRADE_HAS_CLOSE");
    }
    if held.status == Status::Created {
        held.status = Status::Waiting;
        held.trade_no = Some(trade_no());
    }
    let status = held.status.trade_status();
    let answer = json!({"outTradeNo": no, "totalAmount": fen_string(held.total), "subject": held.subject,
        "tradeStatus": status});
    (StatusCode::OK, axum::Json(answer)).into_response()
}

/// The payer pays: the payment succeeds and its notification goes out.
pub(super) async fn pay(State(s): State<AlipaySandbox>, Path(no): Path<String>) -> Response {
    let Some(mut held) = s.inner.payments.get_mut(&no) else { return refused("ACQ.TRADE_NOT_EXIST") };
    match held.status {
        Status::Created | Status::Waiting if held.pay_until.is_none_or(|until| Utc::now() <= until) => {
            held.status = Status::Paid;
            held.paid_at = Some(Utc::now());
            if held.trade_no.is_none() {
                held.trade_no = Some(trade_no());
            }
        }
        Status::Paid => {}
        _ => return refused("ACQ.TRADE_HAS_CLOSE"),
    }
    let total = held.total;
    drop(held);
    tokio::spawn(s.clone().notify(no.clone()));
    (StatusCode::OK, axum::Json(json!({"paid": true, "outTradeNo": no, "totalAmount": fen_string(total)})))
        .into_response()
}

/// How long `timeout_express` gives (`15m`, `2h`, `1d`; at most 15 days, as Alipay allows).
fn within(text: &str) -> Option<chrono::Duration> {
    let unit = text.chars().last()?;
    let count: i64 = text.strip_suffix(unit)?.parse().ok().filter(|c| (1..=15 * 24 * 60).contains(c))?;
    let minutes = match unit {
        'm' => count,
        'h' => count * 60,
        'd' => count * 24 * 60,
        _ => return None,
    };
    Some(chrono::Duration::minutes(minutes.min(15 * 24 * 60)))
}

/// A new Alipay trade number: the day, then digits.
fn trade_no() -> String {
    format!("{}22001{}", beijing(Utc::now(), "%Y%m%d"), digits(15))
}

pub(super) fn text<'a>(biz: &'a Value, name: &str) -> Option<&'a str> {
    biz[name].as_str().filter(|v| !v.is_empty())
}

/// A request Alipay's gateway refuses (`40002`).
fn invalid(sub_code: &str, sub_msg: &str) -> Value {
    json!({"code": "40002", "msg": "Invalid Arguments", "sub_code": sub_code, "sub_msg": sub_msg})
}

/// A business refusal (`40004`).
pub(super) fn business(sub_code: &str, sub_msg: &str) -> Value {
    json!({"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg})
}

pub(super) fn no_trade() -> Value {
    business("ACQ.TRADE_NOT_EXIST", "交易不存在")
}

/// An answer to `method` without `sign`, as Alipay answers requests it cannot believe.
fn unsigned_text(method: &str, response: &Value) -> String {
    format!(r#"{{"{}":{response}}}"#, alipay::response_member(method))
}

fn json_answer(status: StatusCode, text: String) -> Response {
    (status, [("content-type", "application/json;charset=utf-8")], text).into_response()
}

/// The payer's page refusing.
fn refused(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"code": code}))).into_response()
}
