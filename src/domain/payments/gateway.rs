//! The `PaymentProvider` port: a third-party payment provider as the payments service needs it —
//! open a payment (with its window) and get where the payer pays, ask after it, close it, refund
//! it and ask after the refund, read a notification it sent (checked, in domain types) and say
//! how it is answered. Balance payments need none. The adapters are in `crate::providers`.

use super::records::Method;
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::money::Fen;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

/// A payment to open at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub payment_no: PaymentNo,
    pub amount_fen: Fen,
    pub description: String,
    /// Where the provider calls back (`…/api/v1/payments/notify/{provider}`).
    pub notify_url: String,
    /// Until when the payer may pay: the window the provider is told (WeChat `time_expire`,
    /// Alipay `timeout_express`, UnionPay `payTimeout`).
    pub expires_at: DateTime<Utc>,
}

/// What the provider answered to a new payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Where the payer pays (WeChat's `code_url`, Alipay's `qr_code`, UnionPay's form).
    pub pay_url: String,
}

/// A payment's state at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderState {
    Pending,
    Paid { provider_txn_id: String, amount_fen: Fen },
    Closed,
    Failed(String),
}

/// A refund to make at the provider, or to ask after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub payment_no: PaymentNo,
    pub refund_no: String,
    pub amount_fen: Fen,
    pub total_fen: Fen,
    pub reason: Option<String>,
    /// Where the provider posts the refund's result (WeChat's `notify_url`, UnionPay's
    /// `backUrl`; Alipay's refund answers its result).
    pub notify_url: String,
}

/// What a provider said of a refund, sent or asked after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Paid back: done.
    Succeeded,
    /// Taken and under way (WeChat `PROCESSING`; UnionPay `00`/`05`, whose result follows): its
    /// result comes by notification, or by asking after it.
    Processing,
    /// Taken, but stuck (WeChat `ABNORMAL`: the payer's card or account cannot take it): not
    /// final — the operator must act at the provider, which then finishes it.
    Abnormal,
    /// Refused, failed or closed for good: the money does not go back this way.
    Failed(String),
    /// Asked after, the provider holds no such refund: it was never taken, and is to be sent.
    Unknown,
    /// No word for now — unreachable, HTTP 5xx or 429, a system error, an answer that cannot
    /// be believed: ask again later.
    Later(GatewayError),
}

impl RefundOutcome {
    /// A refund request that failed: refused for good, or no word for now.
    pub fn of_sending(e: GatewayError) -> Self {
        match e {
            GatewayError::Refused(why) | GatewayError::NoSuch(why) => RefundOutcome::Failed(why),
            other => RefundOutcome::Later(other),
        }
    }

    /// A refund query that failed: no such refund, or no word for now (a refused query says
    /// nothing of the refund).
    pub fn of_asking(e: GatewayError) -> Self {
        match e {
            GatewayError::NoSuch(_) => RefundOutcome::Unknown,
            other => RefundOutcome::Later(other),
        }
    }
}

/// A payment notification the provider sent, once its signature is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub payment_no: String,
    pub provider_txn_id: String,
    pub amount_fen: Fen,
    pub paid: bool,
    /// The currency as the provider wrote it, when it wrote one (see `in_yuan`).
    pub currency: Option<String>,
}

/// A refund's result the provider sent (WeChat `REFUND.*`, UnionPay's to a refund's `backUrl`),
/// once its signature is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundNotice {
    pub refund_no: String,
    pub amount_fen: Fen,
    pub outcome: RefundOutcome,
    /// The currency as the provider wrote it, when it wrote one (see `in_yuan`).
    pub currency: Option<String>,
}

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Payment(Notification),
    Refund(RefundNotice),
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the provider refused: {0}")]
    Refused(String),
    /// Nothing was done, and the same request may be made again: HTTP 5xx or 429, WeChat
    /// `SYSTEM_ERROR`, Alipay `ACQ.SYSTEM_ERROR`, UnionPay `03`/`04`.
    #[error("the provider failed for now: {0}")]
    Temporary(String),
    #[error("the provider holds no such payment or refund: {0}")]
    NoSuch(String),
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider's answer cannot be read: {0}")]
    BadAnswer(String),
    /// Money in another currency than yuan.
    #[error("the currency is {0}, not CNY")]
    Currency(String),
}

/// csms takes yuan only: `Currency` unless `currency` (when the provider gives one) is `CNY`, or
/// UnionPay's `156`. Every notification is checked, and every answer that says a payment is paid.
pub fn in_yuan(currency: Option<&str>) -> Result<(), GatewayError> {
    match currency {
        None | Some("CNY" | "156") => Ok(()),
        Some(other) => Err(GatewayError::Currency(other.chars().take(16).collect())),
    }
}

/// The answer a provider expects to its notification: its HTTP status, its body and the body's
/// type (none for an empty body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: String,
}

impl Ack {
    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Self {
        Ack { status, content_type: Some("text/plain; charset=utf-8"), body: body.to_owned() }
    }

    /// What a notification csms cannot place with any provider is told: `fail`.
    pub fn unknown(refused: &Refused) -> Self {
        Ack::text(refused.status, "fail")
    }
}

/// Why a notification was not taken, as its provider is to be told: the HTTP status csms chose
/// and what went wrong (the provider decides whether to say it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

/// A payment provider, as the payments service uses it.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// Which method it serves.
    fn method(&self) -> Method;
    fn create(&self, payment: ProviderPayment) -> BoxFuture<'_, Result<Opened, GatewayError>>;
    fn query(&self, payment_no: PaymentNo) -> BoxFuture<'_, Result<ProviderState, GatewayError>>;
    fn close(&self, payment_no: PaymentNo) -> BoxFuture<'_, Result<(), GatewayError>>;
    /// Asks for the refund (its number is the provider's idempotency key: sent again, it is
    /// made once).
    fn refund(&self, refund: ProviderRefund) -> BoxFuture<'_, RefundOutcome>;
    /// Asks after a refund sent before.
    fn refund_state(&self, refund: ProviderRefund) -> BoxFuture<'_, RefundOutcome>;
    /// Checks a notification's signature and reads it: `headers` as received, `body` raw.
    fn verify_notification(&self, headers: &[(String, String)], body: &[u8]) -> Result<Notice, GatewayError>;
    /// How a notification is answered: taken (`None`), or refused.
    fn acknowledge(&self, refused: Option<&Refused>) -> Ack;
    /// The prefix (lowercase) of its own headers a notification carries, kept in the call log
    /// beside its content type (signatures left out); none: only the content type.
    fn notice_headers(&self) -> Option<&'static str> {
        None
    }
}

/// The providers that are on, by their method's name: asked by the API how to answer a
/// provider's notification.
#[derive(Debug, Clone, Default)]
pub struct PaymentProviders(std::sync::Arc<Vec<std::sync::Arc<dyn PaymentProvider>>>);

impl PaymentProviders {
    pub fn new(providers: Vec<std::sync::Arc<dyn PaymentProvider>>) -> Self {
        PaymentProviders(std::sync::Arc::new(providers))
    }

    /// The provider whose method is named `name`, when it is on.
    pub fn get(&self, name: &str) -> Option<&std::sync::Arc<dyn PaymentProvider>> {
        self.0.iter().find(|p| p.method().as_str() == name)
    }
}
