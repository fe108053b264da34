//! An order paid (from the balance or with a provider's money) as the domain decided: one
//! conditional update of the order, shared by both payments; a balance payment with its debit,
//! its ledger row and its payment row (one statement on PostgreSQL: `at_once`).

use super::at_once::{AtOnce, insert_from, positional, refuse_unless, refused};
use super::in_transaction;
use super::ledger::move_balance_with;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::payments::due::{BalancePayment, PaymentDue};
use crate::domain::payments::records::Method;
use crate::domain::payments::stored::{Payment, PaymentState};
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use entity::payment;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, FromQueryResult, QueryTrait,
    Value,
};

/// The order's update of a payment (see `pay_order_on`), its `?` bound to the values.
fn paying(
    (order_no, user_id): (&str, i64),
    method: &str,
    due: PaymentDue,
    at: DateTime<Utc>,
) -> (&'static str, [Value; 11]) {
    let sql = "UPDATE orders SET paid_fen = paid_fen + ?, payment_status = 'PAID', method = ?, status = ?, \
               updated_at = ? WHERE order_no = ? AND user_id = ? AND payment_status = 'UNPAID' AND status = ? \
               AND paid_fen = ? AND refunded_fen = ? AND gift_fen = ? AND COALESCE(total_fen, -1) = ?";
    let values = [
        due.owed_fen.get().into(),
        method.into(),
        due.to.as_str().into(),
        at.into(),
        order_no.into(),
        user_id.into(),
        due.from.as_str().into(),
        due.money.paid_fen.get().into(),
        due.money.refunded_fen.get().into(),
        due.money.gift_fen.get().into(),
        due.bill.total_fen.map_or(-1, Fen::get).into(),
    ];
    (sql, values)
}

/// Pays order `(order_no, user_id)` by `method` as `due` decided, on `txn`: only while the order
/// reads as it was decided on (its status, money and bill), else `Conflict(Order)` — it changed
/// since it was read (paid already, also by a payment racing this one, or billed again). The
/// order's row is locked (PostgreSQL) before any money moves.
pub(super) async fn pay_order_on(
    txn: &DatabaseTransaction,
    order: (&str, i64),
    method: &str,
    due: PaymentDue,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (sql, values) = paying(order, method, due, at);
    if txn.execute_raw(statement(txn.get_database_backend(), sql, values)).await?.rows_affected() == 0 {
        return Err(StoreError::Conflict(Subject::Order));
    }
    Ok(())
}

/// A succeeded balance payment's row.
pub(super) fn balance_payment_row(
    payment_no: String,
    user_id: i64,
    order_no: Option<String>,
    purpose: &str,
    amount_fen: i64,
    at: DateTime<Utc>,
) -> payment::ActiveModel {
    payment::ActiveModel {
        payment_no: Set(payment_no),
        user_id: Set(user_id),
        order_no: Set(order_no),
        purpose: Set(purpose.to_owned()),
        method: Set(Method::Balance.as_str().to_owned()),
        amount_fen: Set(amount_fen),
        refunded_fen: Set(0),
        status: Set(PaymentState::Succeeded.as_str().to_owned()),
        provider_txn_id: Set(None),
        pay_url: Set(None),
        paid_at: Set(Some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

/// The ledger row of a balance payment.
pub(super) fn paid_from_balance(pay: &BalancePayment) -> NewEntry {
    NewEntry {
        user_id: pay.user_id,
        amount_fen: Fen::ZERO.saturating_sub(pay.due.owed_fen),
        kind: EntryKind::Payment,
        reference: Some(pay.payment_no.to_string()),
        reason: None,
        actor: None,
    }
}

impl Store {
    /// Pays an order from the balance (see `BalancePayment`): `Conflict(Order)` when the order no
    /// longer reads as the payment was decided on (see `pay_order_on`), `Insufficient(Balance)`
    /// when the balance is too low.
    pub async fn pay_order_from_balance(&self, pay: BalancePayment) -> Result<Payment, StoreError> {
        let at = Utc::now();
        if let Some(paid) = self.pay_from_balance_at_once(&pay, at).await? {
            return Payment::try_from(paid);
        }
        in_transaction(self, |txn| {
            Box::pin(async move {
                // The order first: its row is locked (PostgreSQL) before any money moves.
                let due = pay.due;
                pay_order_on(txn, (pay.order_no.as_str(), pay.user_id), "balance", due, at).await?;
                let entry = paid_from_balance(&pay);
                let row = balance_payment_row(
                    pay.payment_no.into_string(),
                    pay.user_id,
                    Some(pay.order_no.into_string()),
                    "order",
                    due.owed_fen.get(),
                    at,
                );
                move_balance_with(txn, entry, at, row).await
            })
        })
        .await
        .and_then(Payment::try_from)
    }

    /// `pay_order_from_balance` on PostgreSQL in one statement (see `at_once`): the order's
    /// update, the debit with its ledger row (only after the order's), the payment. None on another
    /// database, or when it was refused (the balance too low, or its user gone): the transaction's
    /// way tells which.
    pub(super) async fn pay_from_balance_at_once(
        &self,
        pay: &BalancePayment,
        at: DateTime<Utc>,
    ) -> Result<Option<payment::Model>, StoreError> {
        if self.db().get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let row = balance_payment_row(
            pay.payment_no.to_string(),
            pay.user_id,
            Some(pay.order_no.to_string()),
            "order",
            pay.due.owed_fen.get(),
            at,
        );
        let insert = payment::Entity::insert(row).into_query().returning_all().to_owned();
        let Some(insert) = insert_from(positional(&insert), "ledger_row") else { return Ok(None) };
        let mut at_once = AtOnce::default();
        let (sql, values) = paying((pay.order_no.as_str(), pay.user_id), "balance", pay.due, at);
        at_once.with("o", &format!("{sql} RETURNING order_no"), values);
        at_once.balance("", paid_from_balance(pay), at, "?", "EXISTS (SELECT 1 FROM o)");
        at_once.with_query("paid", insert);
        let main = format!(
            "SELECT paid.*, {} AS checked FROM (SELECT 1) AS one LEFT JOIN paid ON TRUE",
            refuse_unless("NOT EXISTS (SELECT 1 FROM o) OR EXISTS (SELECT 1 FROM paid)")
        );
        let _turn = self.write_turn().await;
        let found = match self.db().query_one_raw(at_once.statement(&main, [])).await {
            Ok(found) => found,
            Err(e) if refused(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(found) = found else { return Ok(None) };
        match found.try_get::<Option<i64>>("", "id")? {
            Some(_) => Ok(Some(payment::Model::from_query_result(&found, "")?)),
            None => Err(StoreError::Conflict(Subject::Order)),
        }
    }
}
