//! Queries of chargers, their connectors, status history and reported events.

use super::{Presence, Store, StoreError};
use crate::domain::chargers::records::{BootRecord, Charger, ChargerChange, Connector, NewCharger, StatusRecord};
use crate::domain::ids::ChargerId;
use crate::domain::storage::Subject;
use crate::store::rows::Parse;
use chrono::{DateTime, Utc};
use entity::{charger, charger_event, connector, status_history};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};

impl Store {
    /// The charger called `id`.
    pub async fn charger(&self, id: &str) -> Result<Option<Charger>, StoreError> {
        charger::Entity::find_by_id(id).one(self.db()).await?.parsed()
    }

    /// Every charger, by id.
    pub async fn chargers(&self) -> Result<Vec<Charger>, StoreError> {
        charger::Entity::find().order_by_asc(charger::Column::Id).all(self.db()).await?.parsed()
    }

    /// Every charger that has ever been heard from, with when it was last (for the offline
    /// check as monitoring starts).
    pub async fn chargers_last_seen(&self) -> Result<Vec<(ChargerId, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(String, DateTime<Utc>)> = charger::Entity::find()
            .select_only()
            .column(charger::Column::Id)
            .column(charger::Column::LastSeenAt)
            .filter(charger::Column::LastSeenAt.is_not_null())
            .into_tuple()
            .all(self.db())
            .await?;
        rows.into_iter().map(|(id, at)| Ok((super::rows::charger_id(id, "charger")?, at))).collect()
    }

    /// Creates a charger; `Conflict` when the id is taken.
    pub async fn create_charger(&self, new: NewCharger) -> Result<Charger, StoreError> {
        let now = Utc::now();
        let id = new.id.clone();
        let row = charger::ActiveModel {
            id: Set(new.id.into_string()),
            registration: Set(new.registration.as_str().to_owned()),
            password_hash: Set(new.password_hash),
            ocpp_version: Set(None),
            vendor: Set(None),
            model: Set(None),
            serial_number: Set(None),
            charge_box_serial_number: Set(None),
            firmware_version: Set(None),
            iccid: Set(None),
            imsi: Set(None),
            meter_type: Set(None),
            meter_serial_number: Set(None),
            boot_reason: Set(None),
            last_boot_at: Set(None),
            // Not seen until it connects (the offline check passes over it until then).
            last_seen_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let turn = self.write_turn().await;
        let inserted = charger::Entity::insert(row)
            .on_conflict_do_nothing_on([charger::Column::Id])
            .exec_without_returning(self.db())
            .await?;
        drop(turn);
        match inserted {
            TryInsertResult::Inserted(1) => self.charger(&id).await?.ok_or(StoreError::NotFound(Subject::Charger)),
            _ => Err(StoreError::Conflict(Subject::Charger)),
        }
    }
}

impl Store {
    /// Changes a charger; `NotFound` when there is none.
    pub async fn change_charger(&self, id: &str, change: ChargerChange) -> Result<Charger, StoreError> {
        let found =
            charger::Entity::find_by_id(id).one(self.db()).await?.ok_or(StoreError::NotFound(Subject::Charger))?;
        let mut row: charger::ActiveModel = found.into();
        if let Some(registration) = change.registration {
            row.registration = Set(registration.as_str().to_owned());
        }
        if let Some(hash) = change.password_hash {
            row.password_hash = Set(hash);
        }
        row.updated_at = Set(Utc::now());
        let turn = self.write_turn().await;
        let updated = sea_orm::ActiveModelTrait::update(row, self.db()).await?;
        drop(turn);
        updated.try_into()
    }
}

/// Stores what the charger said at boot.
pub(super) async fn record_boot_on(
    db: &impl ConnectionTrait,
    id: &str,
    boot: BootRecord,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = charger::ActiveModel {
        id: Set(id.to_owned()),
        ocpp_version: Set(Some(boot.ocpp_version)),
        vendor: Set(Some(boot.vendor)),
        model: Set(Some(boot.model)),
        serial_number: Set(boot.serial_number),
        charge_box_serial_number: Set(boot.charge_box_serial_number),
        firmware_version: Set(boot.firmware_version),
        iccid: Set(boot.iccid),
        imsi: Set(boot.imsi),
        meter_type: Set(boot.meter_type),
        meter_serial_number: Set(boot.meter_serial_number),
        boot_reason: Set(boot.reason),
        last_boot_at: Set(Some(at)),
        last_seen_at: Set(Some(at)),
        updated_at: Set(at),
        ..Default::default()
    };
    let updated = charger::Entity::update_many().set(row).filter(charger::Column::Id.eq(id)).exec(db).await?;
    if updated.rows_affected == 0 {
        return Err(StoreError::NotFound(Subject::Charger));
    }
    Ok(())
}

/// Stores a connector's status as its current state and in its history.
pub(super) async fn record_status_on(
    txn: &impl ConnectionTrait,
    charger_id: &str,
    report: StatusRecord,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let current = connector::ActiveModel {
        charger_id: Set(charger_id.to_owned()),
        evse_id: Set(report.evse_id),
        connector_id: Set(report.connector_id),
        status: Set(report.status.as_str().to_owned()),
        error_code: Set(report.error_code.clone()),
        info: Set(report.info.clone()),
        vendor_id: Set(report.vendor_id.clone()),
        vendor_error_code: Set(report.vendor_error_code.clone()),
        status_at: Set(report.at),
        updated_at: Set(now),
    };
    connector::Entity::insert(current)
        .on_conflict(
            OnConflict::columns([
                connector::Column::ChargerId,
                connector::Column::EvseId,
                connector::Column::ConnectorId,
            ])
            .update_columns([
                connector::Column::Status,
                connector::Column::ErrorCode,
                connector::Column::Info,
                connector::Column::VendorId,
                connector::Column::VendorErrorCode,
                connector::Column::StatusAt,
                connector::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let history = status_history::ActiveModel {
        charger_id: Set(charger_id.to_owned()),
        evse_id: Set(report.evse_id),
        connector_id: Set(report.connector_id),
        status: Set(report.status.as_str().to_owned()),
        error_code: Set(report.error_code),
        info: Set(report.info),
        vendor_error_code: Set(report.vendor_error_code),
        status_at: Set(report.at),
        received_at: Set(now),
        ..Default::default()
    };
    status_history::Entity::insert(history).exec_without_returning(txn).await?;
    Ok(())
}

impl Store {
    /// The current status of every connector of a charger.
    pub async fn connectors(&self, charger_id: &str) -> Result<Vec<Connector>, StoreError> {
        connector::Entity::find()
            .filter(connector::Column::ChargerId.eq(charger_id))
            .order_by_asc(connector::Column::EvseId)
            .order_by_asc(connector::Column::ConnectorId)
            .all(self.db())
            .await?
            .parsed()
    }

    /// Stores an event a charger reported, as it sent it.
    pub async fn record_event(
        &self,
        charger_id: &str,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        record_event_on(self.db(), charger_id, kind, payload).await
    }
}

/// Stores an event a charger reported.
pub(super) async fn record_event_on(
    db: &impl ConnectionTrait,
    charger_id: &str,
    kind: &str,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    let row = charger_event::ActiveModel {
        charger_id: Set(charger_id.to_owned()),
        kind: Set(kind.to_owned()),
        payload: Set(payload),
        received_at: Set(Utc::now()),
        ..Default::default()
    };
    charger_event::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

impl Store {
    /// The events a charger reported, oldest first.
    pub async fn events(&self, charger_id: &str) -> Result<Vec<charger_event::Model>, StoreError> {
        Ok(charger_event::Entity::find()
            .filter(charger_event::Column::ChargerId.eq(charger_id))
            .order_by_asc(charger_event::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Records when chargers were last seen, all in one statement (of one text whatever the
    /// number of chargers: the pairs travel as one JSON parameter), so that SQLite's write turn
    /// is held for one statement, not one per charger.
    pub async fn touch_chargers(&self, seen: &[(ChargerId, DateTime<Utc>)]) -> Result<(), StoreError> {
        if seen.is_empty() {
            return Ok(());
        }
        // Times as sqlx writes a `DateTime<Utc>` to SQLite, so that both read back alike.
        let pairs: Vec<(&str, String)> = seen
            .iter()
            .map(|(id, at)| (id.as_str(), at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)))
            .collect();
        let json = serde_json::to_string(&pairs).map_err(|e| StoreError::Commit(e.to_string()))?;
        let backend = self.db().get_database_backend();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE chargers SET last_seen_at = (e ->> 1)::timestamptz \
                 FROM jsonb_array_elements($1::jsonb) AS e WHERE chargers.id = e ->> 0"
            }
            _ => {
                "UPDATE chargers SET last_seen_at = j.value ->> 1 FROM json_each(?) AS j WHERE chargers.id = j.value ->> 0"
            }
        };
        let _turn = self.write_turn().await;
        self.db().execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [json.into()])).await?;
        Ok(())
    }
}

impl Store {
    /// Chargers by id, `limit` from `offset`, and how many there are.
    pub async fn chargers_page(&self, offset: u64, limit: u64) -> Result<(Vec<Charger>, u64), StoreError> {
        let total = charger::Entity::find().count(self.db()).await?;
        let rows = charger::Entity::find()
            .order_by_asc(charger::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((rows.parsed()?, total))
    }

    /// The connectors of the chargers `ids`, in one query.
    pub async fn connectors_of(&self, ids: &[ChargerId]) -> Result<Vec<Connector>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        connector::Entity::find()
            .filter(connector::Column::ChargerId.is_in(ids.iter().map(ChargerId::as_str)))
            .order_by_asc(connector::Column::ChargerId)
            .order_by_asc(connector::Column::EvseId)
            .order_by_asc(connector::Column::ConnectorId)
            .all(self.db())
            .await?
            .parsed()
    }
}

/// Marks a charger connected on `presence`'s connection, seen `at`, unless a connection with a
/// newer epoch holds it (a stale owner never overwrites a newer one; the same connection may
/// write itself again).
pub(super) async fn record_online_on(
    db: &impl ConnectionTrait,
    id: &str,
    presence: &Presence,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = charger::ActiveModel {
        online_session: Set(Some(presence.token.clone())),
        online_node: Set(Some(presence.node.clone())),
        online_epoch: Set(presence.epoch),
        ocpp_version: Set(Some(presence.version.clone())),
        last_seen_at: Set(Some(at)),
        ..Default::default()
    };
    charger::Entity::update_many()
        .set(row)
        .filter(charger::Column::Id.eq(id))
        .filter(charger::Column::OnlineEpoch.lte(presence.epoch))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a charger disconnected if it is still on the connection `token` (a newer connection,
/// here or on another node, keeps it online).
pub(super) async fn record_offline_on(db: &impl ConnectionTrait, id: &str, token: &str) -> Result<(), StoreError> {
    let row = charger::ActiveModel { online_session: Set(None), online_node: Set(None), ..Default::default() };
    charger::Entity::update_many()
        .set(row)
        .filter(charger::Column::Id.eq(id))
        .filter(charger::Column::OnlineSession.eq(token))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
#[path = "presence_tests.rs"]
mod presence_tests;
