//! Which energy readings meter a transaction: the start and end readings among a message's
//! samples, the earliest and latest stored ones, and closing a transaction left open as stale.

use crate::domain::charging::lifecycle;
use crate::domain::charging::transactions::{ACTIVE, ENERGY_REGISTER};
use crate::store::StoreError;
use crate::store::sample_reads::first_reading_where;
use chrono::{DateTime, Utc};
use entity::{meter_sample, transaction};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::str::FromStr;

/// The earliest and latest energy register readings of a transaction, in Wh.
pub(super) async fn first_reading(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>, StoreError> {
    reading(db, id, false).await
}

pub(super) async fn last_reading(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>, StoreError> {
    reading(db, id, true).await
}

async fn reading(db: &impl ConnectionTrait, id: i64, latest: bool) -> Result<Option<i64>, StoreError> {
    Ok(timed_reading(db, id, latest).await?.map(|(_, wh)| wh))
}

/// The earliest (or latest) energy register reading of a transaction: when, and Wh.
pub(super) async fn timed_reading(
    db: &impl ConnectionTrait,
    id: i64,
    latest: bool,
) -> Result<Option<(chrono::DateTime<chrono::Utc>, i64)>, StoreError> {
    let query = energy_readings().filter(of_transaction(id));
    let query = if latest {
        query.order_by_desc(meter_sample::Column::SampledAt).order_by_desc(meter_sample::Column::Id)
    } else {
        query.order_by_asc(meter_sample::Column::SampledAt).order_by_asc(meter_sample::Column::Id)
    };
    let legacy =
        query.one(db).await?.and_then(|s| Some((s.sampled_at, Decimal::from_str(&s.value).ok()?.round().to_i64()?)));
    let compact = first_reading_where(db, id, latest, energy_wh).await?;
    // Both tables may hold readings of a session begun before migration 19: the earlier (or
    // later) wins, and at one time the older table's.
    Ok(match (legacy, compact) {
        (Some(old), Some(new)) if (latest && new.0 > old.0) || (!latest && new.0 < old.0) => Some(new),
        (Some(old), _) => Some(old),
        (None, new) => new,
    })
}

/// The energy register reading in whole Wh of a stored sample that meters a transaction.
fn energy_wh(s: &meter_sample::Model) -> Option<i64> {
    crate::domain::orders::billing::as_sample(&s.clone().into()).energy_wh()
}

/// The samples of transaction `id`, named as the sample key's index has it (see migration 6).
pub(super) fn of_transaction(id: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Expr::cust("COALESCE(transaction_id, 0)").eq(id)
}

/// The stored readings that meter a transaction (as `Sample::energy_wh` picks them).
pub(super) fn energy_readings() -> sea_orm::Select<meter_sample::Entity> {
    meter_sample::Entity::find()
        .filter(meter_sample::Column::Measurand.eq(ENERGY_REGISTER))
        .filter(meter_sample::Column::Unit.eq("Wh"))
        .filter(meter_sample::Column::Phase.is_null())
        .filter(meter_sample::Column::Location.ne("EV"))
}

/// Closes an open transaction on the connector as stale (`lifecycle::close_stale`), given its last
/// energy reading.
pub(super) async fn close_stale(
    db: &impl ConnectionTrait,
    charger_id: &str,
    evse_id: i32,
    connector_id: i32,
    new_start: DateTime<Utc>,
) -> Result<(), StoreError> {
    let open = transaction::Entity::find()
        .filter(transaction::Column::ChargerId.eq(charger_id))
        .filter(transaction::Column::EvseId.eq(evse_id))
        .filter(transaction::Column::ConnectorId.eq(connector_id))
        .filter(transaction::Column::Status.eq(ACTIVE))
        .all(db)
        .await?;
    for stale in open {
        let reading = timed_reading(db, stale.id, true).await?;
        let next = lifecycle::close_stale(&super::state(&stale), reading, new_start);
        super::save(db, stale, next).await?;
    }
    Ok(())
}
