//! Alarms: raised at most once per pile and type while active (the unique `active_key` decides,
//! also between csms nodes), acknowledged, cleared.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::charging::ACTIVE;
use crate::domain::monitoring::AlarmView;
use crate::domain::monitoring::records::{AlarmFilter, NewAlarm};
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use entity::alarm;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};

/// `<charger>/<kind>`, or `/<kind>` for a platform alarm (no charger id is empty).
fn active_key(charger_id: Option<&str>, kind: &str) -> String {
    format!("{}/{kind}", charger_id.unwrap_or_default())
}

impl Store {
    /// Raises an alarm unless one of its type is active for the pile: the new alarm, or none.
    pub async fn raise_alarm(&self, new: NewAlarm) -> Result<Option<AlarmView>, StoreError> {
        let row = alarm::ActiveModel {
            active_key: Set(Some(active_key(new.charger_id.as_deref(), new.kind))),
            charger_id: Set(new.charger_id.map(String::from)),
            kind: Set(new.kind.to_owned()),
            level: Set(new.level.to_owned()),
            status: Set("raised".to_owned()),
            message: Set(super::storable(&new.message.chars().take(256).collect::<String>())),
            value: Set(new.value.map(|v| v.chars().take(64).collect())),
            raised_at: Set(new.at),
            acknowledged_at: Set(None),
            acknowledged_by: Set(None),
            cleared_at: Set(None),
            ..Default::default()
        };
        match alarm::Entity::insert(row).exec_with_returning(self.db()).await {
            Ok(made) => Ok(Some(made.into())),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Clears the pile's (none: the platform's) active alarm of `kind`: the cleared alarm, or
    /// none when none was active.
    pub async fn clear_alarm(
        &self,
        charger_id: Option<&str>,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<AlarmView>, StoreError> {
        let key = active_key(charger_id, kind);
        let Some(found) = alarm::Entity::find().filter(alarm::Column::ActiveKey.eq(&key)).one(self.db()).await? else {
            return Ok(None);
        };
        let sql =
            "UPDATE alarms SET status = 'cleared', cleared_at = ?, active_key = NULL WHERE id = ? AND active_key = ?";
        let values = [at.into(), found.id.into(), key.into()];
        let backend = self.db().get_database_backend();
        if self.db().execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
            // Cleared by another node meanwhile.
            return Ok(None);
        }
        Ok(alarm::Entity::find_by_id(found.id).one(self.db()).await?.map(AlarmView::from))
    }

    /// Acknowledges a raised alarm (`by` whom); an alarm acknowledged or cleared already stays
    /// as it is. `NotFound` for no such alarm.
    pub async fn acknowledge_alarm(
        &self,
        id: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(AlarmView, bool), StoreError> {
        let sql = "UPDATE alarms SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? \
                   WHERE id = ? AND status = 'raised'";
        let values = [at.into(), by.chars().take(64).collect::<String>().into(), id.into()];
        let backend = self.db().get_database_backend();
        let changed = self.db().execute_raw(statement(backend, sql, values)).await?.rows_affected() == 1;
        let found = alarm::Entity::find_by_id(id).one(self.db()).await?.ok_or(StoreError::NotFound(Subject::Alarm))?;
        Ok((found.into(), changed))
    }

    /// A page of alarms, newest first, and the number in all.
    pub async fn alarms(
        &self,
        filter: &AlarmFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AlarmView>, u64), StoreError> {
        let mut query = alarm::Entity::find();
        query = match filter.active {
            Some(true) => query.filter(alarm::Column::ActiveKey.is_not_null()),
            Some(false) => query.filter(alarm::Column::ActiveKey.is_null()),
            None => query,
        };
        if let Some(charger) = &filter.charger_id {
            query = query.filter(alarm::Column::ChargerId.eq(charger));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(alarm::Column::Kind.eq(kind));
        }
        if let Some(level) = &filter.level {
            query = query.filter(alarm::Column::Level.eq(level));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(alarm::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((super::rows::all(rows), total))
    }

    /// The pile's active alarms.
    pub async fn active_alarms_of(&self, charger_id: &str) -> Result<Vec<AlarmView>, StoreError> {
        Ok(super::rows::all(
            alarm::Entity::find()
                .filter(alarm::Column::ChargerId.eq(charger_id))
                .filter(alarm::Column::ActiveKey.is_not_null())
                .all(self.db())
                .await?,
        ))
    }

    /// Transactions in progress.
    pub async fn active_transaction_count(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) AS n FROM transactions WHERE status = ?";
        let backend = self.db().get_database_backend();
        let row = self.db().query_one_raw(statement(backend, sql, [ACTIVE.into()])).await?;
        Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
    }

    /// Active alarms counted by type and level.
    pub async fn active_alarm_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = "SELECT kind, level, COUNT(*) AS n FROM alarms WHERE active_key IS NOT NULL GROUP BY kind, level";
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(statement(backend, sql, [])).await?;
        rows.iter().map(|r| Ok((r.try_get("", "kind")?, r.try_get("", "level")?, r.try_get("", "n")?))).collect()
    }
}
