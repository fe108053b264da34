//! What the payments area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/payments.rs`); `startup` hands the store in.

use crate::domain::chargers::records::OperationRecord;
use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::orders::order::Order;
use crate::domain::payments::calls::Exchange;
use crate::domain::payments::due::BalancePayment;
use crate::domain::payments::due::ProviderPaid;
use crate::domain::payments::records::NewProviderPayment;
use crate::domain::payments::records::PaidOutcome;
use crate::domain::payments::records::ProviderCall;
use crate::domain::payments::records::RefundLater;
use crate::domain::payments::records::Stage;
use crate::domain::payments::refund_routes::RefundPart;
use crate::domain::payments::refund_routes::Refundable;
use crate::domain::payments::stored::Payment;
use crate::domain::payments::stored::PaymentState;
use crate::domain::payments::stored::Refund;
use crate::domain::storage::StoreError;
use chrono::DateTime;
use chrono::Utc;

/// The payments area's persistence port: payments and refunds, at the balance or a provider,
/// each applied once with its ledger rows. The store implements it.
#[async_trait::async_trait]
pub trait PaymentStore: Send + Sync + std::fmt::Debug {
    /// Applies a provider's "paid" once (see `PaidOutcome`): `NotFound` for no such provider
    /// payment, `Conflict("amount")` when the amount is not the payment's.
    async fn apply_provider_paid(&self, paid: ProviderPaid) -> Result<PaidOutcome, StoreError>;

    /// Takes a due refund until `until` (a lease: one sender at a time, also across csms
    /// nodes); whether it was due and is now ours.
    async fn claim_provider_refund(&self, refund_no: &str, until: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Provider payments `CLOSED` whose window at the provider lasts beyond `after`: money may
    /// still come into them. Soonest to end first.
    async fn closed_provider_payments_open_after(
        &self,
        after: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Payment>, StoreError>;

    /// Refunds back to a provider due now (`PENDING`, their next try passed), oldest first.
    async fn due_provider_refunds(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Refund>, StoreError>;

    /// Ends a payment still pending as `status` (closed, failed); whether it was pending.
    async fn end_pending_payment(&self, payment_no: &PaymentNo, status: PaymentState) -> Result<bool, StoreError>;

    /// Stores a provider payment `PENDING`, before the provider hears of it (so that its
    /// notification always finds it).
    async fn open_provider_payment(&self, new: NewProviderPayment) -> Result<Payment, StoreError>;

    /// The order `order_no`.
    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError>;

    /// Pays an order from the balance (see `BalancePayment`): `Conflict(Order)` when the order
    /// no longer reads as the payment was decided on (paid already, also by a payment racing this
    /// one, or billed again), `Insufficient(Balance)` when the balance is too low.
    async fn pay_order_from_balance(&self, pay: BalancePayment) -> Result<Payment, StoreError>;

    /// The payment `payment_no`.
    async fn payment(&self, payment_no: &PaymentNo) -> Result<Option<Payment>, StoreError>;

    /// Payments, newest first, of one user or of everyone: a page and the number in all.
    async fn payments(&self, user_id: Option<i64>, offset: u64, limit: u64) -> Result<(Vec<Payment>, u64), StoreError>;

    /// Provider payments still `PENDING` that were opened before `before`, oldest first.
    async fn pending_provider_payments(&self, before: DateTime<Utc>, limit: u64) -> Result<Vec<Payment>, StoreError>;

    /// A payment's exchanges with its provider, oldest first (at most `limit`).
    async fn provider_calls(&self, payment_no: &PaymentNo, limit: u64) -> Result<Vec<ProviderCall>, StoreError>;

    /// The provider paid the refund back: it is `SUCCEEDED`. Whether it was pending (and is
    /// ended by this call).
    async fn provider_refund_done(&self, refund_no: &str) -> Result<bool, StoreError>;

    /// The provider says where a pending refund stands (its notification): kept, and the refund
    /// due at `next` (asked after then). Whether it was pending.
    async fn provider_refund_heard(
        &self,
        refund_no: &str,
        stage: Stage,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// A try that did not end the refund (see `RefundLater`).
    async fn provider_refund_later(&self, later: RefundLater) -> Result<(), StoreError>;

    /// The provider refused the refund for good, or it failed there: it is `FAILED`, and its
    /// money goes to the payer's balance instead (`destination` `balance`), with its ledger row,
    /// so that what is owed is never lost. Whether it was pending (and is ended by this call).
    async fn provider_refund_to_balance(&self, refund_no: &str, why: &str) -> Result<bool, StoreError>;

    /// Keeps one exchange.
    async fn record_provider_call(&self, e: Exchange) -> Result<(), StoreError>;

    /// The refund `refund_no`.
    async fn refund(&self, refund_no: &str) -> Result<Option<Refund>, StoreError>;

    /// An operator's refund of (part of) a payment (see `refund_on`), with its entry in the
    /// operation log, in one transaction.
    async fn refund_payment(
        &self,
        part: RefundPart,
        reason: Option<String>,
        operation: OperationRecord,
    ) -> Result<Refund, StoreError>;

    /// A payment's refundable state: the succeeded payment with what it has left, if any.
    async fn refundable(&self, payment_no: &PaymentNo) -> Result<Option<(Payment, Refundable)>, StoreError>;

    /// A payment's refunds, oldest first.
    async fn refunds(&self, payment_no: &PaymentNo) -> Result<Vec<Refund>, StoreError>;

    /// Keeps where the payer pays a pending payment.
    async fn set_pay_url(&self, payment_no: &PaymentNo, pay_url: &str) -> Result<(), StoreError>;
}
