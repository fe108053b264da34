//! Payments', refunds' and provider calls' rows into the domain's records.

use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::money::Fen;
use crate::domain::payments::records::ProviderCall;
use crate::domain::payments::stored::{Payment, PaymentState, Refund, RefundState};
use crate::domain::storage::StoreError;
use entity::{payment, provider_call, refund};

impl From<provider_call::Model> for ProviderCall {
    fn from(row: provider_call::Model) -> Self {
        ProviderCall {
            id: row.id,
            provider: row.provider,
            operation: row.operation,
            payment_no: row.payment_no,
            refund_no: row.refund_no,
            request: row.request,
            status: row.status,
            response: row.response,
            outcome: row.outcome,
            detail: row.detail,
            elapsed_ms: row.elapsed_ms,
            created_at: row.created_at,
        }
    }
}

impl TryFrom<payment::Model> for Payment {
    type Error = StoreError;

    /// A state the domain does not know is a corrupt row.
    fn try_from(row: payment::Model) -> Result<Self, StoreError> {
        let corrupt =
            |what: &str, text: &str| StoreError::Corrupt(format!("payment {}: {what} {text:?}", row.payment_no));
        let status = PaymentState::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
        let payment_no = PaymentNo::parse(row.payment_no.as_str()).map_err(|e| corrupt("number", &e.to_string()))?;
        let order_no = match row.order_no.as_deref() {
            Some(no) => Some(OrderNo::parse(no).map_err(|e| corrupt("order number", &e.to_string()))?),
            None => None,
        };
        Ok(Payment {
            id: row.id,
            payment_no,
            user_id: row.user_id,
            order_no,
            purpose: row.purpose,
            method: row.method,
            amount_fen: Fen(row.amount_fen),
            refunded_fen: Fen(row.refunded_fen),
            status,
            provider_txn_id: row.provider_txn_id,
            pay_url: row.pay_url,
            paid_at: row.paid_at,
            expires_at: row.expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<refund::Model> for Refund {
    type Error = StoreError;

    /// A state the domain does not know is a corrupt row.
    fn try_from(row: refund::Model) -> Result<Self, StoreError> {
        let corrupt =
            |what: &str, text: &str| StoreError::Corrupt(format!("refund {}: {what} {text:?}", row.refund_no));
        let status = RefundState::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
        let payment_no =
            PaymentNo::parse(row.payment_no.as_str()).map_err(|e| corrupt("payment number", &e.to_string()))?;
        Ok(Refund {
            id: row.id,
            refund_no: row.refund_no,
            payment_no,
            amount_fen: Fen(row.amount_fen),
            destination: row.destination,
            status,
            reason: row.reason,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            provider_status: row.provider_status,
            queries: row.queries,
            created_at: row.created_at,
            updated_at: row.updated_at,
            actor: row.actor,
            after_settlement: row.after_settlement,
        })
    }
}
