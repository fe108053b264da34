//! An order paid (from the balance or with a provider's money) as the domain decided: one
//! conditional update of the order, shared by both payments.

use super::StoreError;
use super::sql::statement;
use crate::domain::payments::due::PaymentDue;
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

/// Pays order `(order_no, user_id)` by `method` as `due` decided, on `txn`: only while the order
/// reads as it was decided on (its status, money and bill), else `Conflict(Order)` — it changed
/// since it was read (paid already, also by a payment racing this one, or billed again). The
/// order's row is locked (PostgreSQL) before any money moves.
pub(super) async fn pay_order_on(
    txn: &DatabaseTransaction,
    (order_no, user_id): (&str, i64),
    method: &str,
    due: PaymentDue,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "UPDATE orders SET paid_fen = paid_fen + ?, payment_status = 'PAID', method = ?, status = ?, \
               updated_at = ? WHERE order_no = ? AND user_id = ? AND payment_status = 'UNPAID' AND status = ? \
               AND paid_fen = ? AND refunded_fen = ? AND gift_fen = ? AND COALESCE(total_fen, -1) = ?";
    let values = [
        due.owed_fen.into(),
        method.into(),
        due.to.as_str().into(),
        at.into(),
        order_no.into(),
        user_id.into(),
        due.from.as_str().into(),
        due.money.paid_fen.into(),
        due.money.refunded_fen.into(),
        due.money.gift_fen.into(),
        due.bill.total_fen.unwrap_or(-1).into(),
    ];
    if txn.execute_raw(statement(txn.get_database_backend(), sql, values)).await?.rows_affected() == 0 {
        return Err(StoreError::Conflict(Subject::Order));
    }
    Ok(())
}
