//! An order's completion in one statement on PostgreSQL (see `store::at_once`): the order's
//! update, its operation-log entry, and each refund of its settlement — the payment's refunded
//! amount, the balance with its ledger row when the refund goes there, the refund — each made
//! only after the order's.

use super::super::at_once::{AtOnce, insert_from, positional, refuse_unless, refused};
use super::super::operations::operation_row;
use super::super::payments::refund_row_of;
use super::super::{Store, StoreError};
use super::completing;
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::orders::records::Completion;
use crate::domain::payments::refund_routes::RefundPart;
use crate::domain::payments::stored::PaymentState;
use chrono::{DateTime, Utc};
use entity::{operation_log, order, refund};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryTrait};

impl Store {
    /// `complete_order` in one statement, where it can be: on PostgreSQL, without a collection,
    /// and with at most one refund to or from the balance (one statement changes a row once).
    /// None when it cannot be, or was refused (a refund no longer fits its payment, or its
    /// balance did not move): the transaction's way then tells why. Else the order after, or
    /// none when it was not in `done.from` with its money as read.
    pub(in crate::store) async fn complete_at_once(
        &self,
        done: &Completion,
        at: DateTime<Utc>,
    ) -> Result<Option<Option<order::Model>>, StoreError> {
        let moves = done.refunds.iter().filter(|part| part.route.balance_change(part.amount_fen).is_some()).count();
        if self.db().get_database_backend() != DatabaseBackend::Postgres || done.collection.is_some() || moves > 1 {
            return Ok(None);
        }
        let Some(statement) = completion(done, at) else { return Ok(None) };
        let _turn = self.write_turn().await;
        let found = match self.db().query_one_raw(statement).await {
            Ok(found) => found,
            Err(e) if refused(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(found) = found else { return Ok(None) };
        match found.try_get::<Option<i64>>("", "id")? {
            Some(_) => Ok(Some(Some(order::Model::from_query_result(&found, "")?))),
            None => Ok(Some(None)),
        }
    }
}

/// The statement of `complete_at_once` (none when a row's insert is not of the shape
/// `insert_from` takes).
fn completion(done: &Completion, at: DateTime<Utc>) -> Option<sea_orm::Statement> {
    let mut at_once = AtOnce::default();
    at_once.with_query("o", positional(&completing(done, at).into_query().returning_all().to_owned()));
    if let Some(record) = done.operation.clone() {
        let insert = operation_log::Entity::insert(operation_row(record)).into_query().returning_all().to_owned();
        at_once.with_query("op", insert_from(positional(&insert), "o")?);
    }
    let mut made = Vec::with_capacity(done.refunds.len());
    for (n, part) in done.refunds.iter().enumerate() {
        made.push(refund_part(&mut at_once, n, part, at)?);
    }
    let all_made = made.iter().map(|name| format!(" AND EXISTS (SELECT 1 FROM {name})")).collect::<String>();
    let main = format!(
        "SELECT o.*, {} AS checked FROM (SELECT 1) AS one LEFT JOIN o ON TRUE",
        refuse_unless(&format!("NOT EXISTS (SELECT 1 FROM o) OR (TRUE{all_made})"))
    );
    Some(at_once.statement(&main, []))
}

/// Lays out refund `n` of a settlement (as `payments::refund_payment_on` makes it) after the
/// order's update `o`; answers the name of its refund's part.
fn refund_part(at_once: &mut AtOnce, n: usize, part: &RefundPart, at: DateTime<Utc>) -> Option<String> {
    let paid = format!("paid{n}");
    let sql = "UPDATE payments SET refunded_fen = refunded_fen + ?, updated_at = ? \
               WHERE payment_no = ? AND status = ? AND refunded_fen + ? <= amount_fen \
               AND EXISTS (SELECT 1 FROM o) RETURNING user_id";
    let values = [
        part.amount_fen.get().into(),
        at.into(),
        part.payment_no.as_str().into(),
        PaymentState::Succeeded.as_str().into(),
        part.amount_fen.get().into(),
    ];
    at_once.with(&paid, sql, values);
    let mut from = paid.clone();
    if let Some(amount_fen) = part.route.balance_change(part.amount_fen) {
        let entry = NewEntry {
            user_id: 0, // the payer's, read from `paid{n}`
            amount_fen,
            kind: EntryKind::Refund,
            reference: Some(part.refund_no.clone()),
            reason: Some("settlement".to_owned()),
            actor: None,
        };
        let tag = n.to_string();
        let user = format!("(SELECT user_id FROM {paid})");
        at_once.balance(&tag, entry, at, &user, &format!("EXISTS (SELECT 1 FROM {paid})"));
        from = format!("ledger_row{tag}");
    }
    let row = refund_row_of(part, Some("settlement"), at);
    let insert = refund::Entity::insert(row).into_query().returning_all().to_owned();
    let name = format!("refund{n}");
    at_once.with_query(&name, insert_from(positional(&insert), &from)?);
    Some(name)
}
