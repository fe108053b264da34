//! WeChat Pay API v3 as csms calls it: Native payments (the driver scans `code_url`), asked
//! after, closed and refunded. Every request is signed with the merchant's key (`Authorization`);
//! every answer with a body must carry WeChat's signature, checked with the platform key before
//! a word of it is believed.

use super::super::PaymentGateway;
use super::super::calls::{CallLog, Exchange, Operation};
use super::super::gateway::{GatewayError, Notification, Opened, ProviderPayment, ProviderRefund, ProviderState};
use super::super::providers::WechatKeys;
use super::super::records::Method;
use super::super::signing::wechat::{Authorization, Request, Signed, WechatError, nonce};
use super::{About, outcome};
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
    async fn call(
        &self,
        about: About<'_>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, GatewayError> {
        let started = Instant::now();
        let body = body.map(Value::to_string).unwrap_or_default();
        let (status, text, result) = self.exchange(method.clone(), path, &body).await;
        let mut kept = Exchange::new(Method::Wechat, about.operation, about.payment_no, started);
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
            Err(e) => return (None, None, Err(super::unreachable("WeChat Pay", &e))),
        };
        let status = answer.status().as_u16();
        let signed = Signed::from_headers(|name| header(answer.headers(), name));
        let bytes = match answer.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return (Some(status), None, Err(super::unreachable("WeChat Pay", &e))),
        };
        if bytes.len() > MAX_ANSWER {
            return (Some(status), None, Err(GatewayError::BadAnswer(format!("an answer of {} bytes", bytes.len()))));
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return (Some(status), None, Err(GatewayError::BadAnswer("not UTF-8".into())));
        };
        (Some(status), Some(text.to_owned()), self.read(status, signed, text))
    }

    /// What an answer means: a success's body once its signature verifies, or why not.
    fn read(&self, status: u16, signed: Result<Signed, WechatError>, text: &str) -> Result<Value, GatewayError> {
        if (200..300).contains(&status) && !text.is_empty() {
            signed?.verify(
                &self.keys.platform.public,
                &self.keys.platform_serial,
                text,
                chrono::Utc::now().timestamp(),
            )?;
        }
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(text).map_err(|e| GatewayError::BadAnswer(e.to_string()))?
        };
        if !(200..300).contains(&status) {
            let code = json["code"].as_str().unwrap_or("HTTP_ERROR");
            let message = json["message"].as_str().unwrap_or_default();
            return Err(GatewayError::Refused(format!("HTTP {status} {code}: {message}")));
        }
        Ok(json)
    }

    /// Opens a Native payment: where the payer pays is its `code_url`.
    pub async fn open(&self, payment: &ProviderPayment) -> Result<Opened, GatewayError> {
        let body = json!({
            "appid": self.keys.appid, "mchid": self.keys.mchid, "description": payment.description,
            "out_trade_no": payment.payment_no, "notify_url": payment.notify_url,
            "amount": {"total": payment.amount_fen, "currency": "CNY"},
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
        Ok(match answer["trade_state"].as_str().unwrap_or_default() {
            "SUCCESS" | "REFUND" => ProviderState::Paid {
                provider_txn_id: answer["transaction_id"].as_str().unwrap_or_default().to_owned(),
                amount_fen: answer["amount"]["total"]
                    .as_i64()
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

    /// Refunds part or all of a paid payment.
    pub async fn give_back(&self, refund: &ProviderRefund) -> Result<(), GatewayError> {
        let mut body = json!({
            "out_trade_no": refund.payment_no, "out_refund_no": refund.refund_no,
            "amount": {"refund": refund.amount_fen, "total": refund.total_fen, "currency": "CNY"},
        });
        if let Some(reason) = &refund.reason {
            body["reason"] = json!(reason);
        }
        let about = About {
            operation: Operation::Refund,
            payment_no: Some(&refund.payment_no),
            refund_no: Some(&refund.refund_no),
        };
        let answer = self.call(about, reqwest::Method::POST, "/v3/refund/domestic/refunds", Some(&body)).await?;
        match answer["status"].as_str().unwrap_or_default() {
            "SUCCESS" | "PROCESSING" => Ok(()),
            other => Err(GatewayError::Refused(format!("the refund is {other}"))),
        }
    }
}

impl PaymentGateway for WechatPay {
    fn method(&self) -> Method {
        Method::Wechat
    }
    fn create(&self, payment: ProviderPayment) -> BoxFuture<'_, Result<Opened, GatewayError>> {
        Box::pin(async move { self.open(&payment).await })
    }
    fn query(&self, payment_no: String) -> BoxFuture<'_, Result<ProviderState, GatewayError>> {
        Box::pin(async move { self.state(&payment_no).await })
    }
    fn close(&self, payment_no: String) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move { self.shut(&payment_no).await })
    }
    fn refund(&self, refund: ProviderRefund) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move { self.give_back(&refund).await })
    }
    fn verify_notification(&self, headers: &[(String, String)], body: &[u8]) -> Result<Notification, GatewayError> {
        let look_up = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        super::wechat_notice::read(&self.keys, look_up, body, chrono::Utc::now().timestamp())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A path segment, percent-encoded.
fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
