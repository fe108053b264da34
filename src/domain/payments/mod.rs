//! Payments: one record per attempt (`paymentNo` unique), from the balance at once or through a
//! provider's `PaymentProvider` (each in `src/providers/`), paid on its word; refunds never
//! more than paid minus already refunded, whatever the concurrency, back where the money came
//! from — followed at the provider to their end (`refunds`).

pub mod calls;
pub mod due;
pub mod gateway;
mod jobs;
pub mod method;
mod notify;
mod port;
mod provider;
pub mod records;
pub mod refund_routes;
mod refunds;
pub mod stored;

pub use notify::{Notified, NotifyError};
pub use provider::ProviderSetup;

pub use gateway::{PaymentProvider, PaymentProviders};
pub use port::PaymentStore;

use crate::domain::chargers::records::OperationRecord;
use crate::domain::events::{DomainEvents, UserEvent};
use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::{MoneyError, parse_positive};
use crate::domain::monitoring::Alarms;
use crate::domain::orders::Scope;
use crate::domain::orders::number::{new_number, new_payment_no};
use crate::domain::orders::status::OrderStatus;
use crate::domain::payments::stored::Payment;
use crate::domain::payments::stored::Refund;
use crate::domain::payments::stored::RefundState;
use crate::domain::storage::StoreError;
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use due::{BalancePayment, payment_due};
use gateway::GatewayError;
use records::{Destination, Method};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// A payment as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub payment_no: String,
    pub user_id: i64,
    pub order_no: Option<String>,
    pub purpose: String,
    pub method: String,
    pub amount: String,
    pub refunded_amount: String,
    pub status: String,
    pub pay_url: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Payment> for PaymentView {
    fn from(p: Payment) -> Self {
        PaymentView {
            payment_no: p.payment_no.into_string(),
            user_id: p.user_id,
            order_no: p.order_no.map(String::from),
            purpose: p.purpose,
            method: p.method,
            amount: p.amount_fen.to_string(),
            refunded_amount: p.refunded_fen.to_string(),
            status: p.status.as_str().to_owned(),
            pay_url: p.pay_url,
            paid_at: p.paid_at,
            created_at: p.created_at,
        }
    }
}

/// A refund as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    pub refund_no: String,
    pub payment_no: String,
    pub amount: String,
    pub destination: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Refund> for RefundView {
    fn from(r: Refund) -> Self {
        RefundView {
            refund_no: r.refund_no,
            payment_no: r.payment_no.into_string(),
            amount: r.amount_fen.to_string(),
            destination: r.destination,
            status: r.status.as_str().to_owned(),
            reason: r.reason,
            created_at: r.created_at,
        }
    }
}

/// Why a payment or refund was refused.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("order {0} not found")]
    NoOrder(String),
    #[error("payment {0} not found")]
    NotFound(String),
    #[error("the order owes nothing now: {0}")]
    NothingOwed(OrderStatus),
    #[error("the balance is too low")]
    InsufficientBalance,
    #[error("{0} payments are not configured on this server")]
    MethodUnavailable(&'static str),
    #[error("the refund is more than what is left to refund of the payment")]
    RefundTooLarge,
    #[error("the payment provider: {0}")]
    Provider(GatewayError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PaymentError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Insufficient(Subject::Balance) => PaymentError::InsufficientBalance,
            StoreError::Insufficient(_) => PaymentError::RefundTooLarge,
            other => PaymentError::Store(other),
        }
    }
}

/// The payments service.
#[derive(Debug, Clone)]
pub struct Payments {
    store: Arc<dyn PaymentStore>,
    gateways: Arc<HashMap<&'static str, Arc<dyn PaymentProvider>>>,
    events: DomainEvents,
    /// Where a refund stuck at its provider is raised for the operator.
    alarms: Alarms,
    setup: Arc<ProviderSetup>,
}

impl Payments {
    /// Balance payments, and provider payments through `gateways` as `setup` says.
    pub fn new(
        store: Arc<dyn PaymentStore>,
        gateways: Vec<Arc<dyn PaymentProvider>>,
        events: DomainEvents,
        alarms: Alarms,
        setup: ProviderSetup,
    ) -> Self {
        let gateways = gateways.into_iter().map(|g| (g.method().as_str(), g)).collect();
        Payments { store, gateways: Arc::new(gateways), events, alarms, setup: Arc::new(setup) }
    }

    /// The gateway of `method`, when configured.
    fn gateway(&self, method: Method) -> Result<&Arc<dyn PaymentProvider>, PaymentError> {
        self.gateways.get(method.as_str()).ok_or(PaymentError::MethodUnavailable(method.as_str()))
    }

    /// Pays what an order owes now — a prepaid order's amount before it starts, or a completed
    /// order's unpaid bill — by `method`.
    pub async fn pay_order(&self, user_id: i64, order_no: &OrderNo, method: &str) -> Result<PaymentView, PaymentError> {
        let methods = self.setup.methods;
        let method = methods.parse(method).ok_or_else(|| PaymentError::Invalid {
            field: "method",
            message: format!("{method:?} is not {}", methods.listed(true)),
        })?;
        let order = self.store.order(order_no).await?.filter(|o| o.user_id == user_id);
        let order = order.ok_or_else(|| PaymentError::NoOrder(order_no.to_string()))?;
        let Some(due) = payment_due(&order) else { return Err(PaymentError::NothingOwed(order.status)) };
        if method != Method::Balance {
            // Paid when the provider says so (its notification, or the reconciliation job).
            let description = format!("csms charging order {order_no}");
            return self.open_at_provider(user_id, Some(order_no), method, due.owed_fen, description).await;
        }
        let pay = BalancePayment { payment_no: new_payment_no(Utc::now()), user_id, order_no: order_no.clone(), due };
        let paid = match self.store.pay_order_from_balance(pay).await {
            Ok(paid) => paid,
            Err(StoreError::Conflict(Subject::Order)) => return Err(PaymentError::NothingOwed(order.status)),
            Err(e) => return Err(e.into()),
        };
        let view = PaymentView::from(paid);
        self.publish_paid(method, &view);
        Ok(view)
    }

    /// The payment `payment_no` as `scope` may see it.
    pub async fn payment(
        &self,
        scope: Scope,
        payment_no: &PaymentNo,
    ) -> Result<(PaymentView, Vec<RefundView>), PaymentError> {
        let found = self.store.payment(payment_no).await?;
        let found = match (found, scope) {
            (Some(p), Scope::Operator) => p,
            (Some(p), Scope::User(id)) if p.user_id == id => p,
            _ => return Err(PaymentError::NotFound(payment_no.to_string())),
        };
        let refunds = self.store.refunds(payment_no).await?.into_iter().map(RefundView::from).collect();
        Ok((found.into(), refunds))
    }

    /// A page of payments, newest first: a driver's own, or all for an operator.
    pub async fn list(&self, scope: Scope, offset: u64, limit: u64) -> Result<(Vec<PaymentView>, u64), PaymentError> {
        let user = match scope {
            Scope::User(id) => Some(id),
            Scope::Operator => None,
        };
        let (rows, total) = self.store.payments(user, offset, limit).await?;
        Ok((rows.into_iter().map(PaymentView::from).collect(), total))
    }

    /// Refunds `amount` of a payment (an operator's decision, `actor`'s): never more than paid
    /// minus already refunded, also when refunds race; back to the balance, or through the
    /// provider that took the money; written to the operation log with the refund.
    pub async fn refund(
        &self,
        payment_no: &PaymentNo,
        amount: &str,
        reason: Option<String>,
        actor: &str,
    ) -> Result<RefundView, PaymentError> {
        let amount_fen = parse_positive(amount, "amount")?;
        if reason.as_ref().is_some_and(|r| r.chars().count() > 256) {
            return Err(PaymentError::Invalid { field: "reason", message: "at most 256 characters".into() });
        }
        let (found, refundable) =
            self.store.refundable(payment_no).await?.ok_or_else(|| PaymentError::NotFound(payment_no.to_string()))?;
        if refundable.method != Method::Balance {
            // Its provider must be there to send it to.
            self.gateway(refundable.method)?;
        }
        let refund_no = new_number('R', Utc::now());
        // An operator's refund goes back where the money came from.
        let part =
            refund_routes::spread(amount_fen, std::slice::from_ref(&refundable), &refund_no, Destination::Original)
                .map_err(|_| PaymentError::RefundTooLarge)?
                .into_iter()
                .next()
                .ok_or_else(|| PaymentError::Invalid { field: "amount", message: "must be more than zero".into() })?;
        let charger_id = match &found.order_no {
            Some(order_no) => self.store.order(order_no).await?.map(|o| o.charger_id),
            None => None,
        };
        let operation = OperationRecord {
            at: Utc::now(),
            actor: actor.to_owned(),
            charger_id,
            action: "Refund".to_owned(),
            payload: serde_json::json!({
                "paymentNo": payment_no,
                "orderNo": found.order_no,
                "refundNo": part.refund_no,
                "amount": amount,
                "reason": reason,
            }),
            outcome: "Applied",
            response: None,
            error: None,
            duration_ms: 0,
            node: None,
        };
        let made = match self.store.refund_payment(part, reason, operation).await {
            Ok(made) => made,
            Err(StoreError::NotFound(_)) => return Err(PaymentError::NotFound(payment_no.to_string())),
            Err(e) => return Err(e.into()),
        };
        if made.status == RefundState::Pending {
            // Back to a provider: sent now, then followed by the refund job to its end, which
            // the driver is told of.
            return Ok(RefundView::from(self.advance_refund(made).await?));
        }
        let view = RefundView::from(made);
        self.publish(found.user_id, "refund.made", &view);
        Ok(view)
    }

    /// A payment's exchanges with its provider, oldest first (operators).
    pub async fn calls(&self, payment_no: &PaymentNo, limit: u64) -> Result<Vec<records::ProviderCall>, PaymentError> {
        Ok(self.store.provider_calls(payment_no, limit).await?)
    }

    fn publish(&self, user_id: i64, name: &'static str, view: &impl Serialize) {
        let data = serde_json::to_value(view).unwrap_or_default();
        self.events.publish(UserEvent { user_id, name, data });
    }

    /// Tells the payer their payment by `method` succeeded, and counts it
    /// (`csms_payments_total{outcome="succeeded"}`).
    fn publish_paid(&self, method: Method, view: &PaymentView) {
        metrics::counter!(crate::metrics::PAYMENTS, "method" => method.as_str(), "outcome" => "succeeded").increment(1);
        self.publish(view.user_id, "payment.succeeded", view);
    }
}
