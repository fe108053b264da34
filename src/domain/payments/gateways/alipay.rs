//! Alipay's open API as csms calls it: face-to-face precreate (the driver scans `qr_code`),
//! query, close and refund. Every request is one form `POST` to the gateway URL — the common
//! parameters and the JSON `biz_content`, signed RSA2 with the app's key; every answer's `sign`
//! over its `<method>_response` member is checked with Alipay's key before a word of it is
//! believed.

use super::super::PaymentGateway;
use super::super::calls::{CallLog, Operation};
use super::super::gateway::{GatewayError, Notification, Opened, ProviderPayment, ProviderRefund, ProviderState};
use super::super::providers::AlipayKeys;
use super::super::records::Method;
use super::super::signing::PublicKey;
use super::super::signing::alipay::{self, AlipayError};
use super::{About, keep_call, outcome};
use crate::domain::ledger::{fen_string, to_fen};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use reqwest::header::ACCEPT;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Alipay's gateway. `base` is always the whole gateway URL, not a host: this one live,
/// `<csms>/sandbox/alipay/gateway.do` in the sandbox (`payments.alipay.base_url`).
pub const LIVE_BASE: &str = "https://openapi.alipay.com/gateway.do";
/// The longest answer read.
const MAX_ANSWER: usize = 256 * 1024;
/// How long a precreated payment can be paid (`timeout_express`): csms closes an unpaid one
/// after `payments.close_after_minutes`, 15 by default.
const PAY_WITHIN: &str = "15m";
/// Alipay's `code` for a call that did what it was asked.
const SUCCESS: &str = "10000";
/// Alipay holds no trade for `out_trade_no` (`code` 40004).
const NO_TRADE: &str = "ACQ.TRADE_NOT_EXIST";

/// The Alipay gateway.
#[derive(Debug, Clone)]
pub struct AlipayPay {
    keys: AlipayKeys,
    /// The gateway URL every method is posted to.
    url: String,
    client: reqwest::Client,
    log: CallLog,
}

/// Alipay's answer: the HTTP status and its text.
#[derive(Debug)]
struct Exchange {
    status: u16,
    answer: String,
}

impl AlipayPay {
    /// Calls the gateway URL `base` (Alipay's `LIVE_BASE`, or the sandbox's) with `keys`, each
    /// call within `timeout`.
    pub fn new(keys: AlipayKeys, base: &str, timeout: Duration) -> Result<Self, GatewayError> {
        let client = crate::http_client::client(timeout).map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        Ok(AlipayPay { keys, url: base.trim().to_owned(), client, log: CallLog::default() })
    }

    /// Keeps every call in `log`.
    pub fn with_log(mut self, log: CallLog) -> Self {
        self.log = log;
        self
    }

    /// The signed form calling `method` with `biz` at `now`; `notify_url` only for methods
    /// that notify.
    fn form(
        &self,
        method: &str,
        biz: &Value,
        notify_url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, GatewayError> {
        let key = self.keys.app.private.as_ref().ok_or_else(|| GatewayError::Refused("no app private key".into()))?;
        let mut params: BTreeMap<String, String> = [
            ("app_id", self.keys.app_id.as_str()),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.insert("timestamp".into(), timestamp(now));
        params.insert("biz_content".into(), biz.to_string());
        if let Some(url) = notify_url {
            params.insert("notify_url".into(), url.to_owned());
        }
        alipay::sign_request(key, &mut params);
        Ok(form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish())
    }

    /// Posts a signed form to Alipay: the status and the answer as text.
    async fn call(&self, form: String) -> Result<Exchange, GatewayError> {
        let request = self.client.post(&self.url).header(ACCEPT, "application/json");
        let (status, answer) = super::post_form(request, "Alipay", form, MAX_ANSWER).await?;
        Ok(Exchange { status, answer })
    }

    /// Calls `method` and gives its response member once Alipay's signature over it verifies,
    /// whatever its `code`; the call is kept in the call log.
    async fn invoke(
        &self,
        about: About<'_>,
        method: &str,
        biz: Value,
        notify_url: Option<&str>,
    ) -> Result<Value, GatewayError> {
        let started = Instant::now();
        let form = self.form(method, &biz, notify_url, Utc::now())?;
        let exchanged = self.call(form.clone()).await;
        let read = match &exchanged {
            Ok(exchange) => read_answer(&self.keys.alipay.public, method, exchange),
            Err(e) => Err(e.clone()),
        };
        let failed = match &read {
            Err(e) => Some((outcome(e), e.to_string())),
            Ok(answer) if answer["code"] != SUCCESS => Some(("refused", refusal(answer))),
            Ok(_) => None,
        };
        let answered = exchanged.as_ref().ok().map(|e| (e.status, e.answer.as_str()));
        keep_call(&self.log, Method::Alipay, about, started, &form, answered, failed).await;
        read
    }

    /// Precreates a payment: where the payer pays is its `qr_code`.
    pub async fn open(&self, payment: &ProviderPayment) -> Result<Opened, GatewayError> {
        let biz = json!({
            "out_trade_no": payment.payment_no, "total_amount": fen_string(payment.amount_fen),
            "subject": payment.description, "timeout_express": PAY_WITHIN,
        });
        let answer = succeeded(
            self.invoke(
                About::payment(Operation::Create, &payment.payment_no),
                "alipay.trade.precreate",
                biz,
                Some(&payment.notify_url),
            )
            .await?,
        )?;
        if answer["out_trade_no"] != payment.payment_no.as_str() {
            return Err(GatewayError::BadAnswer("the answer is about another payment".into()));
        }
        let qr_code = answer["qr_code"].as_str().ok_or_else(|| GatewayError::BadAnswer("no qr_code".into()))?;
        Ok(Opened { pay_url: qr_code.to_owned() })
    }

    /// The payment's state at Alipay.
    pub async fn state(&self, payment_no: &str) -> Result<ProviderState, GatewayError> {
        let answer = self
            .invoke(
                About::payment(Operation::Query, payment_no),
                "alipay.trade.query",
                json!({"out_trade_no": payment_no}),
                None,
            )
            .await?;
        // A precreated trade exists at Alipay only once the payer scans its code: until then
        // the query answers that there is no such trade — a payment waiting for its payer. A
        // payment whose precreate never reached Alipay reads the same, and ends the same way:
        // csms closes it after `close_after_minutes` (closing it succeeds, see `shut`).
        if sub_code(&answer) == NO_TRADE {
            return Ok(ProviderState::Pending);
        }
        let answer = succeeded(answer)?;
        if answer["out_trade_no"] != payment_no {
            return Err(GatewayError::BadAnswer("the answer is about another payment".into()));
        }
        Ok(match answer["trade_status"].as_str().unwrap_or_default() {
            "WAIT_BUYER_PAY" => ProviderState::Pending,
            // TRADE_FINISHED: paid, and past the time refunds are taken.
            "TRADE_SUCCESS" | "TRADE_FINISHED" => ProviderState::Paid {
                provider_txn_id: text(&answer, "trade_no")?.to_owned(),
                amount_fen: amount_fen(text(&answer, "total_amount")?)?,
            },
            // Closed unpaid — or paid and then refunded in full, which csms knows already.
            "TRADE_CLOSED" => ProviderState::Closed,
            other => ProviderState::Failed(other.to_owned()),
        })
    }

    /// Closes an unpaid payment.
    pub async fn shut(&self, payment_no: &str) -> Result<(), GatewayError> {
        let answer = self
            .invoke(
                About::payment(Operation::Close, payment_no),
                "alipay.trade.close",
                json!({"out_trade_no": payment_no}),
                None,
            )
            .await?;
        // No trade: its code was never scanned (or never made), so there is nothing to close;
        // the code itself stops working `PAY_WITHIN` after the precreate. A payment made on it
        // before then still comes by notification, as any late payment does.
        if sub_code(&answer) == NO_TRADE {
            return Ok(());
        }
        succeeded(answer).map(drop)
    }

    /// Refunds part or all of a paid payment; `refund_no` is Alipay's `out_request_no`, so a
    /// refund sent twice is made once.
    pub async fn give_back(&self, refund: &ProviderRefund) -> Result<(), GatewayError> {
        let mut biz = json!({
            "out_trade_no": refund.payment_no, "out_request_no": refund.refund_no,
            "refund_amount": fen_string(refund.amount_fen),
        });
        if let Some(reason) = &refund.reason {
            biz["refund_reason"] = json!(reason);
        }
        let about = About {
            operation: Operation::Refund,
            payment_no: Some(&refund.payment_no),
            refund_no: Some(&refund.refund_no),
        };
        succeeded(self.invoke(about, "alipay.trade.refund", biz, None).await?).map(drop)
    }
}

impl PaymentGateway for AlipayPay {
    fn method(&self) -> Method {
        Method::Alipay
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
    fn verify_notification(&self, _headers: &[(String, String)], body: &[u8]) -> Result<Notification, GatewayError> {
        super::alipay_notice::read(&self.keys, body)
    }
}

/// The response member of an answer to `method`, believed only once its `sign` verifies with
/// Alipay's `key`. Alipay leaves `sign` off when it cannot tie a request to an app or its
/// signature fails: such an answer is taken as the refusal it says it is, never as a success.
fn read_answer(key: &PublicKey, method: &str, exchange: &Exchange) -> Result<Value, GatewayError> {
    if !(200..300).contains(&exchange.status) {
        return Err(GatewayError::Refused(format!("HTTP {}", exchange.status)));
    }
    match alipay::verify_response(key, method, &exchange.answer) {
        Ok(response) => Ok(response),
        Err(AlipayError::Missing(what)) if what == "sign" => {
            let answer: Value =
                serde_json::from_str(&exchange.answer).map_err(|e| GatewayError::BadAnswer(e.to_string()))?;
            let response = &answer[alipay::response_member(method)];
            if response["code"] == SUCCESS {
                tracing::warn!(method, "an unsigned Alipay answer claimed success");
                return Err(GatewayError::BadSignature);
            }
            Err(GatewayError::Refused(refusal(response)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer when its `code` says Alipay did what it was asked; a refusal otherwise.
fn succeeded(answer: Value) -> Result<Value, GatewayError> {
    if answer["code"] == SUCCESS { Ok(answer) } else { Err(GatewayError::Refused(refusal(&answer))) }
}

fn sub_code(answer: &Value) -> &str {
    answer["sub_code"].as_str().unwrap_or_default()
}

/// A refusal as Alipay words it: `40004 ACQ.TRADE_NOT_EXIST: 交易不存在`.
fn refusal(answer: &Value) -> String {
    let code = answer["code"].as_str().unwrap_or("no code");
    match answer["sub_code"].as_str() {
        Some(sub_code) => format!("{code} {sub_code}: {}", answer["sub_msg"].as_str().unwrap_or_default()),
        None => format!("{code}: {}", answer["msg"].as_str().unwrap_or_default()),
    }
}

fn text<'a>(answer: &'a Value, name: &str) -> Result<&'a str, GatewayError> {
    answer[name].as_str().filter(|v| !v.is_empty()).ok_or_else(|| GatewayError::BadAnswer(format!("no {name}")))
}

/// An amount in yuan as Alipay writes it (`"12.30"`), in whole fen.
fn amount_fen(text: &str) -> Result<i64, GatewayError> {
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let amount = Decimal::from_str(text)
        .ok()
        .filter(|_| plain)
        .ok_or_else(|| GatewayError::BadAnswer(format!("{text:?} is not an amount")))?;
    to_fen(amount, "total_amount").map_err(|e| GatewayError::BadAnswer(e.to_string()))
}

/// `timestamp` as Alipay wants it: Beijing time, `yyyy-MM-dd HH:mm:ss`.
fn timestamp(now: DateTime<Utc>) -> String {
    now.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
#[path = "alipay_tests.rs"]
mod tests;
