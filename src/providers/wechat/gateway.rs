//! WeChat Pay API v3 as csms calls it: Native payments (the driver scans `code_url`) payable
//! until their `time_expire`, asked after, closed and refunded (`refund`). Every request
//! is signed with the merchant's key (`Authorization`);
//! every answer with a body must carry WeChat's signature, checked with the platform key before
//! a word of it is believed.

use super::WechatKeys;
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::money::Fen;
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::{CallLog, Exchange, Operation};
use crate::domain::payments::gateway::{
    Ack, GatewayError, Notice, Opened, ProviderPayment, ProviderRefund, ProviderState, RefundOutcome, Refused, in_yuan,
};
use crate::domain::payments::records::Method;
use crate::providers::http::{About, outcome};
use crate::providers::wechat::signing::{Authorization, Request, Signed, WechatError, nonce};
use futures_util::future::BoxFuture;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// WeChat Pay's API.
pub const LIVE_BASE: &str = "https://api.mch.weixin.qq.com";
/// The longest answer read.
const MAX_ANSWER: usize = 256 * 1024;

/// The WeChat Pay gateway.
#[derive(Debug, Clone)]
pub struct WechatPay {
    keys: WechatKeys,
    base: String,
    client: reqwest::Client,
    log: CallLog,
}

impl WechatPay {
    /// Calls `base` (WeChat's, or the sandbox's) with `keys`, each call within `timeout`.
    pub fn new(keys: WechatKeys, base: &str, timeout: Duration) -> Result<Self, GatewayError> {
        let client = crate::http_client::client(timeout).map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        Ok(WechatPay { keys, base: base.trim_end_matches('/').to_owned(), client, log: CallLog::default() })
    }

    /// Keeps every exchange in `log`.
    pub fn with_log(mut self, log: CallLog) -> Self {
        self.log = log;
        self
    }

    /// Sends a signed request and keeps the exchange in the call log; answers the body, its
    /// signature checked when the answer is a success with a body.
    pub(super) async fn call(
        &self,
        about: About<'_>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, GatewayError> {
        let started = Instant::now();
        let body = body.map(Value::to_string).unwrap_or_default();
        let (status, text, result) = self.exchange(method.clone(), path, &body).await;
        let mut kept = Exchange::new(super::METHOD, about.operation, about.payment_no, started);
        kept.refund_no = about.refund_no.map(str::to_owned);
        kept.request = if body.is_empty() { format!("{method} {path}") } else { format!("{method} {path}\n{body}") };
        kept.status = status;
        kept.response = text;
        if let Err(e) = &result {
            kept.outcome = outcome(e).to_owned();
            kept.detail = Some(e.to_string());
        }
        self.log.keep(kept).await;
        result
    }

    /// One request and its answer: the status and the text when they came, and what they mean.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &str,
    ) -> (Option<u16>, Option<String>, Result<Value, GatewayError>) {
        let now = chrono::Utc::now().timestamp();
        let Some(merchant) = self.keys.merchant.private.as_ref() else {
            return (None, None, Err(GatewayError::Refused("no merchant key".into())));
        };
        let request = Request { method: method.as_str(), path, body };
        let auth = Authorization::sign(merchant, &self.keys.mchid, &self.keys.merchant_serial, request, now, &nonce());
        let mut call = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(AUTHORIZATION, auth.header())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("csms/", env!("CARGO_PKG_VERSION")));
        if !body.is_empty() {
            call = call.header(CONTENT_TYPE, "application/json").body(body.to_owned());
        }
        let answer = match call.send().await {
            Ok(answer) => answer,
            Err(e) => return (None, None, Err(crate::providers::http::unreachable("WeChat Pay", &e))),
        };
        let status = answer.status().as_u16();
        let signed = Signed::from_headers(|name| header(answer.headers(), name));
        let bytes = match answer.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return (Some(status), None, Err(crate::providers::http::unreachable("WeChat Pay", &e))),
        };
        if bytes.len() > MAX_ANSWER {
            return (Some(status), None, Err(GatewayError::BadAnswer(format!("an answer of {} bytes", bytes.len()))));
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return (Some(status), None, Err(GatewayError::BadAnswer("not UTF-8".into())));
        };
        (Some(status), Some(text.to_owned()), self.read(status, signed, text))
    }

    /// What an answer means: a success's body once its signature verifies, or why not — for
    /// now (HTTP 5xx or 429, `SYSTEM_ERROR`, `FREQUENCY_LIMITED`, 403 `NOT_ENOUGH` — the
    /// merchant's refund account short —: the same request may be made
    /// again), no such payment or refund (404 `ORDER_NOT_EXIST`, `RESOURCE_NOT_EXISTS`), or
    /// refused.
    fn read(&self, status: u16, signed: Result<Signed, WechatError>, text: &str) -> Result<Value, GatewayError> {
        let ok = (200..300).contains(&status);
        if ok && !text.is_empty() {
            signed?.verify(
                &self.keys.platform.public,
                &self.keys.platform_serial,
                text,
                chrono::Utc::now().timestamp(),
            )?;
        }
        if ok {
            return if text.is_empty() {
                Ok(Value::Null)
            } else {
                serde_json::from_str(text).map_err(|e| GatewayError::BadAnswer(e.to_string()))
            };
        }
        // An error's body may be a proxy's page rather than WeChat's JSON.
        let json: Value = serde_json::from_str(text).unwrap_or_default();
        let code = json["code"].as_str().unwrap_or("HTTP_ERROR");
        let what = format!("HTTP {status} {code}: {}", json["message"].as_str().unwrap_or_default());
        Err(match code {
            // The merchant's refund account short for now is not the payer's refusal.
            "SYSTEM_ERROR" | "FREQUENCY_LIMITED" => GatewayError::Temporary(what),
            "NOT_ENOUGH" if status == 403 => GatewayError::Temporary(what),
            "ORDER_NOT_EXIST" | "RESOURCE_NOT_EXISTS" if status == 404 => GatewayError::NoSuch(what),
            _ => crate::providers::http::not_ok(status, what),
        })
    }

    /// Opens a Native payment: where the payer pays is its `code_url`.
    pub async fn open(&self, payment: &ProviderPayment) -> Result<Opened, GatewayError> {
        let body = json!({
            "appid": self.keys.appid, "mchid": self.keys.mchid, "description": payment.description,
            "out_trade_no": payment.payment_no, "notify_url": payment.notify_url,
            "time_expire": time_expire(payment.expires_at),
            "amount": {"total": payment.amount_fen.get(), "currency": "CNY"},
        });
        let about = About::payment(Operation::Create, &payment.payment_no);
        let answer = self.call(about, reqwest::Method::POST, "/v3/pay/transactions/native", Some(&body)).await?;
        let code_url = answer["code_url"].as_str().ok_or_else(|| GatewayError::BadAnswer("no code_url".into()))?;
        Ok(Opened { pay_url: code_url.to_owned() })
    }

    /// The payment's state at WeChat.
    pub async fn state(&self, payment_no: &str) -> Result<ProviderState, GatewayError> {
        let path =
            format!("/v3/pay/transactions/out-trade-no/{}?mchid={}", segment(payment_no), segment(&self.keys.mchid));
        let answer = self.call(About::payment(Operation::Query, payment_no), reqwest::Method::GET, &path, None).await?;
        if answer["mchid"] != self.keys.mchid.as_str() || answer["out_trade_no"] != payment_no {
            return Err(GatewayError::BadAnswer("the answer is about another payment".into()));
        }
        in_yuan(answer["amount"]["currency"].as_str())?;
        Ok(match answer["trade_state"].as_str().unwrap_or_default() {
            "SUCCESS" | "REFUND" => ProviderState::Paid {
                provider_txn_id: answer["transaction_id"].as_str().unwrap_or_default().to_owned(),
                amount_fen: answer["amount"]["total"]
                    .as_i64()
                    .map(Fen)
                    .ok_or_else(|| GatewayError::BadAnswer("no amount".into()))?,
            },
            "NOTPAY" | "USERPAYING" => ProviderState::Pending,
            "CLOSED" | "REVOKED" => ProviderState::Closed,
            other => ProviderState::Failed(other.to_owned()),
        })
    }

    /// Closes an unpaid payment.
    pub async fn shut(&self, payment_no: &str) -> Result<(), GatewayError> {
        let path = format!("/v3/pay/transactions/out-trade-no/{}/close", segment(payment_no));
        let about = About::payment(Operation::Close, payment_no);
        self.call(about, reqwest::Method::POST, &path, Some(&json!({"mchid": self.keys.mchid}))).await.map(drop)
    }
}

impl PaymentProvider for WechatPay {
    fn method(&self) -> Method {
        super::METHOD
    }
    fn create(&self, payment: ProviderPayment) -> BoxFuture<'_, Result<Opened, GatewayError>> {
        Box::pin(async move { self.open(&payment).await })
    }
    fn query(&self, payment_no: PaymentNo) -> BoxFuture<'_, Result<ProviderState, GatewayError>> {
        Box::pin(async move { self.state(&payment_no).await })
    }
    fn close(&self, payment_no: PaymentNo) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move { self.shut(&payment_no).await })
    }
    fn refund(&self, refund: ProviderRefund) -> BoxFuture<'_, RefundOutcome> {
        Box::pin(async move { self.give_back(&refund).await })
    }
    fn refund_state(&self, refund: ProviderRefund) -> BoxFuture<'_, RefundOutcome> {
        Box::pin(async move { self.refund_now(&refund).await })
    }
    fn verify_notification(&self, headers: &[(String, String)], body: &[u8]) -> Result<Notice, GatewayError> {
        let look_up = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        super::notice::read(&self.keys, look_up, body, chrono::Utc::now().timestamp())
    }
    fn acknowledge(&self, refused: Option<&Refused>) -> Ack {
        super::notice::ack(refused)
    }

    fn notice_headers(&self) -> Option<&'static str> {
        Some("wechatpay-")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `time_expire`: RFC 3339 to the second, in Beijing time (`2026-12-02T10:15:00+08:00`).
fn time_expire(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A path segment, percent-encoded.
pub(super) fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_expire_is_rfc_3339_to_the_second_in_beijing_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T16:50:00.250Z").unwrap().to_utc();
        assert_eq!(time_expire(at), "2026-12-03T00:50:00+08:00");
    }
}
