//! A transaction's stored readings, earliest or latest first, as the domain picks them (see
//! `charging::recording::energy_wh`): both sample tables.

use crate::domain::charging::ReadingPick;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::transactions::ENERGY_REGISTER;
use crate::store::StoreError;
use crate::store::sample_reads::first_reading_where;
use chrono::{DateTime, Utc};
use entity::meter_sample;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// The earliest (or `latest`) sample of transaction `id` that `pick` takes: when, and what it
/// took. `legacy`: `meter_samples` holds samples (see `Store::legacy_samples`).
pub(super) async fn timed_reading(
    db: &impl ConnectionTrait,
    (id, legacy): (i64, bool),
    latest: bool,
    pick: ReadingPick,
) -> Result<Option<(DateTime<Utc>, i64)>, StoreError> {
    let take = |s: &meter_sample::Model| MeterSample::try_from(s.clone()).ok().and_then(|s| pick(&s));
    let compact = first_reading_where(db, id, latest, take).await?;
    if !legacy {
        return Ok(compact);
    }
    let query = register_rows().filter(of_transaction(id));
    let query = if latest {
        query.order_by_desc(meter_sample::Column::SampledAt).order_by_desc(meter_sample::Column::Id)
    } else {
        query.order_by_asc(meter_sample::Column::SampledAt).order_by_asc(meter_sample::Column::Id)
    };
    let legacy = query.one(db).await?.and_then(|s| Some((s.sampled_at, take(&s)?)));
    // Both tables may hold readings of a session begun before migration 19: the earlier (or
    // later) wins, and at one time the older table's.
    Ok(match (legacy, compact) {
        (Some(old), Some(new)) if (latest && new.0 > old.0) || (!latest && new.0 < old.0) => Some(new),
        (Some(old), _) => Some(old),
        (None, new) => new,
    })
}

/// The samples of transaction `id`, named as the sample key's index has it (see migration 6).
pub(super) fn of_transaction(id: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Expr::cust("COALESCE(transaction_id, 0)").eq(id)
}

/// The rows of the older sample table that hold a transaction's energy register readings (as
/// `Sample::energy_wh` takes them, narrowed here for the index; `pick` decides).
fn register_rows() -> sea_orm::Select<meter_sample::Entity> {
    meter_sample::Entity::find()
        .filter(meter_sample::Column::Measurand.eq(ENERGY_REGISTER))
        .filter(meter_sample::Column::Unit.eq("Wh"))
        .filter(meter_sample::Column::Phase.is_null())
        .filter(meter_sample::Column::Location.ne("EV"))
}
