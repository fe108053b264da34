//! Transactions: their queries with their samples, and the `Recording` in which the charging
//! area records starts, stops and 2.0.1 events (`work`); which readings meter a transaction in
//! `readings`, id tags in `id_tags`.

mod at_start;
mod id_tags;
mod readings;
mod work;

use super::{Store, StoreError};
use crate::domain::charging::ReadingPick;
use crate::domain::charging::lifecycle::TransactionState;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::Sample;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::ToSettle;
use crate::domain::payments::stored::{Payment, PaymentState};
use crate::store::payments::refundable_of;
use crate::store::rows::Parse;
use crate::store::samples::insert_samples;
use chrono::{DateTime, Utc};
use entity::{charger, meter_sample, order, payment, transaction};
use readings::of_transaction;
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

impl Store {
    /// A transaction's earliest stored sample that `pick` takes (when, and what it took).
    pub async fn first_reading(&self, id: i64, pick: ReadingPick) -> Result<Option<(DateTime<Utc>, i64)>, StoreError> {
        readings::timed_reading(self.db(), (id, self.legacy_samples().await?), false, pick).await
    }

    /// A transaction and its samples in time order (both tables': see `sample_reads`).
    pub async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError> {
        let Some(found) = transaction::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        Ok(Some((found.try_into()?, self.samples_of(id).await?)))
    }

    /// A transaction, its samples (as `transaction`) and the rated power of its charger, W: what
    /// billing it reads, the transaction and the charger in one join.
    pub async fn transaction_to_bill(
        &self,
        id: i64,
    ) -> Result<Option<(Transaction, Vec<MeterSample>, Option<i64>)>, StoreError> {
        let on = transaction::Entity::belongs_to(charger::Entity)
            .from(transaction::Column::ChargerId)
            .to(charger::Column::Id)
            .into();
        let found = transaction::Entity::find_by_id(id)
            .join(sea_orm::JoinType::LeftJoin, on)
            .select_also(charger::Entity)
            .one(self.db())
            .await?;
        let Some((found, charger)) = found else { return Ok(None) };
        let rated_power_w = charger.and_then(|c| c.max_power_w);
        Ok(Some((found.try_into()?, self.samples_of(id).await?, rated_power_w)))
    }

    /// The order of transaction `id`, with what billing it reads (as `transaction_to_bill`) and
    /// what settling it reads (its refundable payments, as `refundable_payments`): the order, the
    /// transaction, its charger and the order's payments in one join (a row a payment), then the
    /// samples.
    pub async fn order_to_bill(&self, id: i64) -> Result<Option<ToSettle>, StoreError> {
        let to_transaction = order::Entity::belongs_to(transaction::Entity)
            .from(order::Column::TransactionId)
            .to(transaction::Column::Id);
        let to_charger = transaction::Entity::belongs_to(charger::Entity)
            .from(transaction::Column::ChargerId)
            .to(charger::Column::Id);
        let to_payments = order::Entity::belongs_to(payment::Entity)
            .from(order::Column::OrderNo)
            .to(payment::Column::OrderNo)
            .on_condition(|_, paid| {
                Expr::col((paid, payment::Column::Status)).eq(PaymentState::Succeeded.as_str()).into_condition()
            });
        let mut query = order::Entity::find()
            .filter(order::Column::TransactionId.eq(id))
            .join(JoinType::LeftJoin, to_transaction.into())
            .join(JoinType::LeftJoin, to_charger.into())
            .join(JoinType::LeftJoin, to_payments.into())
            .select_also(transaction::Entity)
            .expr_as(Expr::col((charger::Entity, charger::Column::MaxPowerW)), "rated_power_w");
        for column in payment::Column::iter() {
            query = query.column_as(column, format!("C_{}", column.as_str()));
        }
        let query = query.order_by_desc(payment::Column::Id).into_query();
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(backend.build(&query)).await?;
        let Some(row) = rows.first() else { return Ok(None) };
        // `select_also` names the order's columns `A_…` and the transaction's `B_…`.
        let found: Order = order::Model::from_query_result(row, "A_")?.try_into()?;
        let mut payments = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(paid) = payment::Model::from_query_result_optional(row, "C_")? {
                let paid: Payment = paid.try_into()?;
                payments.extend(refundable_of(&paid).filter(|r| r.left_fen.is_positive()));
            }
        }
        let Some(head) = transaction::Model::from_query_result_optional(row, "B_")? else {
            return Ok(Some((found, None, payments)));
        };
        let rated_power_w: Option<i64> = row.try_get("", "rated_power_w")?;
        Ok(Some((found, Some((head.try_into()?, self.samples_of(id).await?, rated_power_w)), payments)))
    }

    /// Transaction `id` of charger `charger_id`, without its samples.
    pub async fn transaction_of(&self, charger_id: &str, id: i64) -> Result<Option<Transaction>, StoreError> {
        let found = transaction::Entity::find_by_id(id)
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .one(self.db())
            .await?;
        found.parsed()
    }

    /// Stores samples of transaction `of` (id, EVSE, connector) on their own: a copy of samples
    /// stored already adds nothing.
    pub async fn store_samples_of(
        &self,
        charger_id: &str,
        (id, evse_id, connector_id): (i64, i32, i32),
        samples: &[Sample],
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        insert_samples(self.db(), charger_id, Some(id), evse_id, connector_id, samples).await
    }

    /// Writes transaction `id`'s state as decided while its row is as read (`read_at`, its
    /// `updated_at`), in one statement; false when it changed since.
    pub async fn save_if_unchanged(
        &self,
        id: i64,
        read_at: DateTime<Utc>,
        state: &TransactionState,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        work::save_state(self.db(), id, state, Some(read_at)).await
    }

    /// A transaction's samples in time order (both tables': see `sample_reads`).
    async fn samples_of(&self, id: i64) -> Result<Vec<MeterSample>, StoreError> {
        let legacy = match self.legacy_samples().await? {
            true => {
                meter_sample::Entity::find()
                    .filter(of_transaction(id))
                    .order_by_asc(meter_sample::Column::SampledAt)
                    .order_by_asc(meter_sample::Column::Id)
                    .all(self.db())
                    .await?
            }
            false => Vec::new(),
        };
        super::sample_reads::transaction_samples(self.db(), id, legacy).await?.parsed()
    }

    /// Transactions, newest first, of one charger and/or started within `from..to`.
    pub async fn transactions(
        &self,
        charger_id: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Transaction>, StoreError> {
        newest_first(filtered(charger_id, from, to)).all(self.db()).await?.parsed()
    }

    /// The same, `limit` from `offset`, and how many there are.
    pub async fn transactions_page(
        &self,
        (charger_id, from, to): (Option<&str>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Transaction>, u64), StoreError> {
        let query = filtered(charger_id, from, to);
        let total = query.clone().count(self.db()).await?;
        Ok((newest_first(query).offset(offset).limit(limit).all(self.db()).await?.parsed()?, total))
    }
}

/// Transactions of one charger and/or started within `from..to`.
fn filtered(
    charger_id: Option<&str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> sea_orm::Select<transaction::Entity> {
    let mut query = transaction::Entity::find();
    if let Some(charger_id) = charger_id {
        query = query.filter(transaction::Column::ChargerId.eq(charger_id));
    }
    if let Some(from) = from {
        query = query.filter(transaction::Column::StartedAt.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(transaction::Column::StartedAt.lt(to));
    }
    query
}

fn newest_first(query: sea_orm::Select<transaction::Entity>) -> sea_orm::Select<transaction::Entity> {
    query.order_by_desc(transaction::Column::StartedAt).order_by_desc(transaction::Column::Id)
}
