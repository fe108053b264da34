//! A third-party payment provider (WeChat Pay, Alipay, UnionPay) as csms uses it: create a
//! payment and get where the payer pays, ask after it, close it, refund it, and check a
//! notification it sent. The gateways themselves arrive with the payments issue; balance
//! payments need none.

use super::records::Method;
use futures_util::future::BoxFuture;

/// A payment to open at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub payment_no: String,
    pub amount_fen: i64,
    pub description: String,
    /// Where the provider calls back (`…/api/v1/payments/notify/{provider}`).
    pub notify_url: String,
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
    Paid { provider_txn_id: String, amount_fen: i64 },
    Closed,
    Failed(String),
}

/// A refund to make at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub payment_no: String,
    pub refund_no: String,
    pub amount_fen: i64,
    pub total_fen: i64,
    pub reason: Option<String>,
}

/// A notification the provider sent, once its signature is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub payment_no: String,
    pub provider_txn_id: String,
    pub amount_fen: i64,
    pub paid: bool,
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider's answer cannot be read: {0}")]
    BadAnswer(String),
}

/// A provider's gateway.
pub trait PaymentGateway: Send + Sync + std::fmt::Debug {
    /// Which method it serves.
    fn method(&self) -> Method;
    fn create(&self, payment: ProviderPayment) -> BoxFuture<'_, Result<Opened, GatewayError>>;
    fn query(&self, payment_no: String) -> BoxFuture<'_, Result<ProviderState, GatewayError>>;
    fn close(&self, payment_no: String) -> BoxFuture<'_, Result<(), GatewayError>>;
    fn refund(&self, refund: ProviderRefund) -> BoxFuture<'_, Result<(), GatewayError>>;
    /// Checks a notification's signature and reads it: `headers` as received, `body` raw.
    fn verify_notification(&self, headers: &[(String, String)], body: &[u8]) -> Result<Notification, GatewayError>;
}
