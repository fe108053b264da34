//! What a 1.6 start reads (`Recording::at_start`): the same start stored before, the open
//! transactions on its connector, those of its tag; on PostgreSQL read with the start's insert in
//! one statement, which inserts only when neither of the first two is there.

use crate::domain::charging::AtStart;
use crate::domain::charging::Opened;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::{ACTIVE, StartRecord};
use crate::domain::ids::IdTag;
use crate::domain::units::Wh;
use crate::store::StoreError;
use crate::store::at_once::{AtOnce, insert_from, positional};
use chrono::Utc;
use entity::transaction;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Asterisk, Expr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryTrait};

/// The same start stored before (the same connector, time, meter and tag).
fn same(start: &StartRecord) -> Condition {
    use transaction::Column as C;
    Condition::all()
        .add(C::ChargerId.eq(&start.charger_id))
        .add(C::ConnectorId.eq(start.connector_id))
        .add(C::StartedAt.eq(start.started_at))
        .add(C::MeterStartWh.eq(start.meter_start_wh.get()))
        .add(C::IdTag.eq(&start.id_tag))
}

/// A transaction open on the start's connector (EVSE 0).
fn open_here(start: &StartRecord) -> Condition {
    use transaction::Column as C;
    Condition::all()
        .add(C::ChargerId.eq(&start.charger_id))
        .add(C::ConnectorId.eq(start.connector_id))
        .add(C::EvseId.eq(0))
        .add(C::Status.eq(ACTIVE))
}

/// The rows a start reads: the same start, those open on its connector, and those open of `tag`.
pub(super) fn which(start: &StartRecord, tag: Option<&IdTag>) -> Condition {
    use transaction::Column as C;
    let mut which = Condition::any().add(same(start)).add(open_here(start));
    if let Some(tag) = tag {
        which = which.add(Condition::all().add(C::Status.eq(ACTIVE)).add(C::IdTag.eq(tag)));
    }
    which
}

/// `rows` (by id) sorted by the conditions that found them (the times as stored: to the µs).
pub(super) fn sorted(rows: Vec<Transaction>, start: &StartRecord, tag: Option<&IdTag>) -> AtStart {
    let mut found = AtStart::default();
    for row in rows {
        let on_place = row.charger_id == start.charger_id && row.connector_id == start.connector_id;
        let open = row.status == ACTIVE;
        let same = on_place
            && row.started_at.timestamp_micros() == start.started_at.timestamp_micros()
            && row.meter_start_wh == Some(start.meter_start_wh)
            && row.id_tag.as_deref() == Some(start.id_tag.as_str());
        if same && found.same.is_none() {
            found.same = Some(row.clone());
        }
        if on_place && row.evse_id == 0 && open {
            found.open_here.push(row.clone());
        }
        if open && tag.is_some() && row.id_tag.as_ref() == tag {
            found.open_of_tag.push(row);
        }
    }
    found
}

/// `Recording::at_start_opening` on PostgreSQL, in one statement: the rows read (`found`) and
/// the start inserted (`made`) unless a row is the same start or open on its connector, both
/// seeing the database as the statement began (the tag's lock, taken before, keeps starts of
/// one tag in turn).
pub(super) async fn opening_at_once(
    txn: &DatabaseTransaction,
    start: &StartRecord,
    tag: Option<&IdTag>,
    opened: Opened,
) -> Result<(AtStart, Option<Transaction>), StoreError> {
    let mut at_once = AtOnce::default();
    let found = Query::select().column(Asterisk).from(transaction::Entity).cond_where(which(start, tag)).to_owned();
    at_once.with_query("found", positional(&found));
    let blocking = Query::select()
        .expr(Expr::val(1))
        .from(transaction::Entity)
        .cond_where(Condition::any().add(same(start)).add(open_here(start)))
        .to_owned();
    let (blocking, blocking_values) = positional(&blocking);
    let place = (start.charger_id.as_str(), 0, start.connector_id);
    let insert = transaction::Entity::insert(opened_row(place, opened)).into_query().returning_all().to_owned();
    let from = format!("(SELECT 1) AS one WHERE NOT EXISTS ({blocking})");
    let Some((sql, mut values)) = insert_from(positional(&insert), &from) else {
        return Err(StoreError::Db("a transaction's insert is not of the shape expected".into()));
    };
    values.extend(blocking_values);
    at_once.with("made", &sql, values);
    let main = "SELECT found.*, FALSE AS made FROM found UNION ALL SELECT made.*, TRUE AS made FROM made";
    let rows = txn.query_all_raw(at_once.statement(main, [])).await?;
    let (mut read, mut made) = (Vec::with_capacity(rows.len()), None);
    for row in rows {
        let transaction = Transaction::try_from(transaction::Model::from_query_result(&row, "")?)?;
        match row.try_get::<bool>("", "made")? {
            true => made = Some(transaction),
            false => read.push(transaction),
        }
    }
    read.sort_by_key(|t| t.id);
    Ok((sorted(read, start, tag), made))
}

/// The row of a transaction opened at `(charger, EVSE, connector)` as `opened`.
pub(super) fn opened_row(
    (charger_id, evse_id, connector_id): (&str, i32, i32),
    opened: Opened,
) -> transaction::ActiveModel {
    transaction::ActiveModel {
        charger_id: Set(charger_id.to_owned()),
        evse_id: Set(evse_id),
        connector_id: Set(connector_id),
        charger_transaction_id: Set(opened.charger_transaction_id),
        id_tag: Set(opened.id_tag.map(String::from)),
        started_at: Set(opened.started_at),
        meter_start_wh: Set(opened.meter_start_wh.map(Wh::get)),
        stopped_at: Set(None),
        meter_stop_wh: Set(None),
        energy_wh: Set(None),
        stop_reason: Set(None),
        status: Set(ACTIVE.as_str().to_owned()),
        last_seq_no: Set(None),
        offline: Set(false),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}
