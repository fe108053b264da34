//! Alipay's open API as csms calls it: face-to-face precreate (the driver scans `qr_code`,
//! within its `timeout_express`), query, close, and refunds (`refund`). Every request is
//! one form `POST` to the gateway URL — the common
//! parameters and the JSON `biz_content`, signed RSA2 with the app's key; every answer's `sign`
//! over its `<method>_response` member is checked with Alipay's key before a word of it is
//! believed.

use super::AlipayKeys;
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::to_fen;
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::{CallLog, Operation};
use crate::domain::payments::gateway::{
    Ack, GatewayError, Notice, Opened, ProviderPayment, ProviderRefund, ProviderState, RefundOutcome, Refused, in_yuan,
};
use crate::domain::payments::records::Method;
use crate::providers::alipay::signing::{self as alipay, AlipayError};
use crate::providers::http::{About, keep_call, outcome};
use crate::providers::signing::PublicKey;
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
/// Alipay's `code` for a call that did what it was asked.
const SUCCESS: &str = "10000";
/// Alipay's `code` for its service unavailable for now.
const UNAVAILABLE: &str = "20000";
/// Alipay holds no trade for `out_trade_no` (`code` 40004).
const NO_TRADE: &str = "ACQ.TRADE_NOT_EXIST";
/// Alipay failed for now; the same request may be made again (`code` 40004).
const SYSTEM_ERROR: &str = "ACQ.SYSTEM_ERROR";
/// The merchant's Alipay balance cannot cover a refund now.
const SELLER_BALANCE_NOT_ENOUGH: &str = "ACQ.SELLER_BALANCE_NOT_ENOUGH";

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
pub(super) struct Exchange {
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
        let (status, answer) = crate::providers::http::post_form(request, "Alipay", form, MAX_ANSWER).await?;
        Ok(Exchange { status, answer })
    }

    /// Calls `method` and gives its response member once Alipay's signature over it verifies,
    /// whatever its `code`; the call is kept in the call log.
    pub(super) async fn invoke(
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
            Ok(answer) => succeeded(answer.clone()).err().map(|e| (outcome(&e), e.to_string())),
        };
        let answered = exchanged.as_ref().ok().map(|e| (e.status, e.answer.as_str()));
        keep_call(&self.log, super::METHOD, about, started, &form, answered, failed).await;
        read
    }

    /// Precreates a payment: where the payer pays is its `qr_code`.
    pub async fn open(&self, payment: &ProviderPayment) -> Result<Opened, GatewayError> {
        let biz = json!({
            "out_trade_no": payment.payment_no, "total_amount": payment.amount_fen.to_string(),
            "subject": payment.description, "timeout_express": pay_within(payment.expires_at, Utc::now()),
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
        in_yuan(answer["trans_currency"].as_str())?;
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
        // the code itself stops working at its `timeout_express`. A payment made on it
        // before then still comes by notification, as any late payment does.
        if sub_code(&answer) == NO_TRADE {
            return Ok(());
        }
        succeeded(answer).map(drop)
    }
}

impl PaymentProvider for AlipayPay {
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
    fn verify_notification(&self, _headers: &[(String, String)], body: &[u8]) -> Result<Notice, GatewayError> {
        super::notice::read(&self.keys, body)
    }
    fn acknowledge(&self, refused: Option<&Refused>) -> Ack {
        super::notice::ack(refused)
    }
}

/// The response member of an answer to `method`, believed only once its `sign` verifies with
/// Alipay's `key`. Alipay leaves `sign` off when it cannot tie a request to an app or its
/// signature fails: such an answer is taken as the refusal it says it is, never as a success.
fn read_answer(key: &PublicKey, method: &str, exchange: &Exchange) -> Result<Value, GatewayError> {
    if !(200..300).contains(&exchange.status) {
        return Err(crate::providers::http::not_ok(exchange.status, format!("HTTP {}", exchange.status)));
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
            succeeded(response.clone())
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer when its `code` says Alipay did what it was asked; otherwise why not: failed for
/// now (`20000`, `ACQ.SYSTEM_ERROR`, `ACQ.SELLER_BALANCE_NOT_ENOUGH`), no such trade, or refused.
pub(super) fn succeeded(answer: Value) -> Result<Value, GatewayError> {
    if answer["code"] == SUCCESS {
        return Ok(answer);
    }
    let why = refusal(&answer);
    Err(match sub_code(&answer) {
        _ if answer["code"] == UNAVAILABLE => GatewayError::Temporary(why),
        // The merchant's account short for now is not a refusal of the refund.
        SYSTEM_ERROR | SELLER_BALANCE_NOT_ENOUGH => GatewayError::Temporary(why),
        NO_TRADE => GatewayError::NoSuch(why),
        _ => GatewayError::Refused(why),
    })
}

/// `timeout_express` for a payment payable until `until`: whole minutes from `now`, rounded up,
/// one at least (Alipay takes `1m` to `15d`).
fn pay_within(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (until - now).num_seconds().max(1);
    format!("{}m", ((seconds + 59) / 60).min(15 * 24 * 60))
}

pub(super) fn sub_code(answer: &Value) -> &str {
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

pub(super) fn text<'a>(answer: &'a Value, name: &str) -> Result<&'a str, GatewayError> {
    answer[name].as_str().filter(|v| !v.is_empty()).ok_or_else(|| GatewayError::BadAnswer(format!("no {name}")))
}

/// An amount in yuan as Alipay writes it (`"12.30"`), in whole fen.
pub(super) fn amount_fen(text: &str) -> Result<Fen, GatewayError> {
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
#[path = "gateway_tests.rs"]
mod tests;
