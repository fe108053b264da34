//! The store as the payments area's port: each method is the store's own query.

use crate::domain::chargers::records::OperationRecord;
use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::orders::order::Order;
use crate::domain::payments::PaymentStore;
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
use crate::store::Store;
use chrono::DateTime;
use chrono::Utc;

#[async_trait::async_trait]
impl PaymentStore for Store {
    async fn apply_provider_paid(&self, paid: ProviderPaid) -> Result<PaidOutcome, StoreError> {
        Store::apply_provider_paid(self, paid).await
    }

    async fn claim_provider_refund(&self, refund_no: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        Store::claim_provider_refund(self, refund_no, until).await
    }

    async fn closed_provider_payments_open_after(
        &self,
        after: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Payment>, StoreError> {
        Store::closed_provider_payments_open_after(self, after, limit).await
    }

    async fn due_provider_refunds(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Refund>, StoreError> {
        Store::due_provider_refunds(self, now, limit).await
    }

    async fn end_pending_payment(&self, payment_no: &PaymentNo, status: PaymentState) -> Result<bool, StoreError> {
        Store::end_pending_payment(self, payment_no, status).await
    }

    async fn open_provider_payment(&self, new: NewProviderPayment) -> Result<Payment, StoreError> {
        Store::open_provider_payment(self, new).await
    }

    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError> {
        Store::order(self, order_no).await
    }

    async fn pay_order_from_balance(&self, pay: BalancePayment) -> Result<Payment, StoreError> {
        Store::pay_order_from_balance(self, pay).await
    }

    async fn payment(&self, payment_no: &PaymentNo) -> Result<Option<Payment>, StoreError> {
        Store::payment(self, payment_no).await
    }

    async fn payments(&self, user_id: Option<i64>, offset: u64, limit: u64) -> Result<(Vec<Payment>, u64), StoreError> {
        Store::payments(self, user_id, offset, limit).await
    }

    async fn pending_provider_payments(&self, before: DateTime<Utc>, limit: u64) -> Result<Vec<Payment>, StoreError> {
        Store::pending_provider_payments(self, before, limit).await
    }

    async fn provider_calls(&self, payment_no: &PaymentNo, limit: u64) -> Result<Vec<ProviderCall>, StoreError> {
        Store::provider_calls(self, payment_no, limit).await
    }

    async fn provider_refund_done(&self, refund_no: &str) -> Result<bool, StoreError> {
        Store::provider_refund_done(self, refund_no).await
    }

    async fn provider_refund_heard(
        &self,
        refund_no: &str,
        stage: Stage,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Store::provider_refund_heard(self, refund_no, stage, next).await
    }

    async fn provider_refund_later(&self, later: RefundLater) -> Result<(), StoreError> {
        Store::provider_refund_later(self, later).await
    }

    async fn provider_refund_to_balance(&self, refund_no: &str, why: &str) -> Result<bool, StoreError> {
        Store::provider_refund_to_balance(self, refund_no, why).await
    }

    async fn record_provider_call(&self, e: Exchange) -> Result<(), StoreError> {
        Store::record_provider_call(self, e).await
    }

    async fn refund(&self, refund_no: &str) -> Result<Option<Refund>, StoreError> {
        Store::refund(self, refund_no).await
    }

    async fn refund_payment(
        &self,
        part: RefundPart,
        reason: Option<String>,
        operation: OperationRecord,
    ) -> Result<Refund, StoreError> {
        Store::refund_payment(self, part, reason, operation).await
    }

    async fn refundable(&self, payment_no: &PaymentNo) -> Result<Option<(Payment, Refundable)>, StoreError> {
        Store::refundable(self, payment_no).await
    }

    async fn refunds(&self, payment_no: &PaymentNo) -> Result<Vec<Refund>, StoreError> {
        Store::refunds(self, payment_no).await
    }

    async fn set_pay_url(&self, payment_no: &PaymentNo, pay_url: &str) -> Result<(), StoreError> {
        Store::set_pay_url(self, payment_no, pay_url).await
    }
}
