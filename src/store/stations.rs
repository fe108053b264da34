//! Queries of stations, their tariffs, their piles (chargers with a station and a pile's
//! fields), and the stations in a latitude/longitude box with their piles and connectors.

use super::rows::{station_of, station_row};
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::chargers::records::{Charger, Connector, Registration};
use crate::domain::stations::{GeoBox, NearbyRow, NewPile, PileSpec, Point, Station};
use crate::domain::storage::Subject;
use crate::store::rows::Parse;
use chrono::{NaiveDate, Utc};
use entity::{charger, connector, station, tariff};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic,
    IntoActiveModel, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, TryInsertResult,
    Value,
};

impl Store {
    /// Creates a station; `Conflict` when its code is taken.
    pub async fn create_station(&self, station: &Station) -> Result<Station, StoreError> {
        let row = station_row(station);
        let code = row.code.clone();
        let turn = self.write_turn().await;
        let inserted = station::Entity::insert(row.into_active_model())
            .on_conflict_do_nothing_on([station::Column::Code])
            .exec_without_returning(self.db())
            .await?;
        drop(turn);
        match inserted {
            TryInsertResult::Inserted(1) => self.station(&code).await?.ok_or(StoreError::NotFound(Subject::Station)),
            _ => Err(StoreError::Conflict(Subject::Station)),
        }
    }

    /// The station `code`.
    pub async fn station(&self, code: &str) -> Result<Option<Station>, StoreError> {
        station::Entity::find_by_id(code).one(self.db()).await?.map(station_of).transpose()
    }

    /// The charger `id`, the station it stands in (if any) and its connectors (by EVSE and
    /// connector), in one read: a row a connector.
    pub async fn charger_in_station(
        &self,
        id: &str,
    ) -> Result<Option<(Charger, Option<Station>, Vec<Connector>)>, StoreError> {
        let stands_in = charger::Entity::belongs_to(station::Entity)
            .from(charger::Column::StationCode)
            .to(station::Column::Code)
            .into();
        let of_charger = connector::Entity::belongs_to(charger::Entity)
            .from(connector::Column::ChargerId)
            .to(charger::Column::Id)
            .into();
        let mut query = charger::Entity::find_by_id(id)
            .join(sea_orm::JoinType::LeftJoin, stands_in)
            .join_rev(sea_orm::JoinType::LeftJoin, of_charger)
            .select_also(station::Entity);
        for column in connector::Column::iter() {
            query = query.column_as(column, format!("C_{}", column.as_str()));
        }
        let query = query.order_by_asc(connector::Column::EvseId).order_by_asc(connector::Column::ConnectorId);
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(backend.build(&query.into_query())).await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let charger = Charger::try_from(charger::Model::from_query_result(first, "A_")?)?;
        let station = station::Model::from_query_result_optional(first, "B_")?.map(station_of).transpose()?;
        let mut connectors = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(found) = connector::Model::from_query_result_optional(row, "C_")? {
                connectors.push(Connector::try_from(found)?);
            }
        }
        Ok(Some((charger, station, connectors)))
    }

    /// Stations by code, `limit` from `offset`, and how many there are.
    pub async fn stations(&self, offset: u64, limit: u64) -> Result<(Vec<Station>, u64), StoreError> {
        let total = station::Entity::find().count(self.db()).await?;
        let rows = station::Entity::find()
            .order_by_asc(station::Column::Code)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((rows.into_iter().map(station_of).collect::<Result<_, _>>()?, total))
    }

    /// Writes every field of a station but its code and creation time; `NotFound`.
    pub async fn update_station(&self, station: &Station) -> Result<Station, StoreError> {
        let row = station_row(station);
        let code = row.code.clone();
        let mut change = row.into_active_model().reset_all();
        change.created_at = sea_orm::ActiveValue::NotSet;
        let (_turn, txn) = self.begin_write().await?;
        let zone_before = station::Entity::find_by_id(code.as_str()).one(&txn).await?.map(|s| s.timezone);
        let updated = station::Entity::update_many()
            .set(change)
            .filter(station::Column::Code.eq(code.as_str()))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            txn.rollback().await?;
            return Err(StoreError::NotFound(Subject::Station));
        }
        let after = station::Entity::find_by_id(code.as_str())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound(Subject::Station))?;
        if zone_before.as_deref() != Some(after.timezone.as_str()) {
            // Its piles' days are cut in the new zone now.
            let piles: Vec<String> = charger::Entity::find()
                .filter(charger::Column::StationCode.eq(code.as_str()))
                .all(&txn)
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
            super::stats_rollup::reset(&txn, Some(&piles)).await?;
        }
        txn.commit().await?;
        station_of(after)
    }

    /// Removes a station and its tariffs; `Conflict` while a charger stands in it, `NotFound`.
    pub async fn delete_station(&self, code: &str) -> Result<(), StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let piles = charger::Entity::find().filter(charger::Column::StationCode.eq(code)).count(&txn).await?;
        if piles > 0 {
            txn.rollback().await?;
            return Err(StoreError::Conflict(Subject::StationPiles));
        }
        tariff::Entity::delete_many().filter(tariff::Column::StationCode.eq(code)).exec(&txn).await?;
        let deleted = station::Entity::delete_by_id(code).exec(&txn).await?;
        if deleted.rows_affected == 0 {
            txn.rollback().await?;
            return Err(StoreError::NotFound(Subject::Station));
        }
        txn.commit().await?;
        Ok(())
    }

    /// Stores a station's tariff for price group `group` (`""`: its own) valid from
    /// `valid_from`, replacing the one of that date.
    pub async fn put_tariff(
        &self,
        code: &str,
        group: &str,
        valid_from: NaiveDate,
        spec: String,
    ) -> Result<(), StoreError> {
        let row = tariff::ActiveModel {
            station_code: Set(code.to_owned()),
            price_group: Set(group.to_owned()),
            valid_from: Set(valid_from),
            spec: Set(spec),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        let _turn = self.write_turn().await;
        tariff::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    tariff::Column::StationCode,
                    tariff::Column::PriceGroup,
                    tariff::Column::ValidFrom,
                ])
                .update_columns([tariff::Column::Spec, tariff::Column::CreatedAt])
                .to_owned(),
            )
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// The station's tariff for price group `group` (`""`: its own) with the latest
    /// `valid_from` on or before `day`. Answers the day it starts and its stored spec (JSON).
    pub async fn tariff_on(
        &self,
        code: &str,
        group: &str,
        day: NaiveDate,
    ) -> Result<Option<(NaiveDate, String)>, StoreError> {
        Ok(tariff::Entity::find()
            .filter(tariff::Column::StationCode.eq(code))
            .filter(tariff::Column::PriceGroup.eq(group))
            .filter(tariff::Column::ValidFrom.lte(day))
            .order_by_desc(tariff::Column::ValidFrom)
            .one(self.db())
            .await?
            .map(|row| (row.valid_from, row.spec)))
    }

    /// The stations in `area`, each with its piles and their connectors, in one statement: a
    /// range on `ix_stations_lat_lng` (latitude, the longitude filtered within the index), each
    /// station's piles by `ix_chargers_station`, and each pile's connectors by the `connectors`
    /// primary key (charger first). Rows come one per connector (`None`s where a station has no
    /// pile or a pile no connector), in no order.
    pub async fn nearby(&self, area: &GeoBox, centre: Point, limit: u64) -> Result<Vec<NearbyRow>, StoreError> {
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(nearby_statement(backend, area, centre, limit)).await?;
        rows.iter()
            .map(|r| {
                Ok(NearbyRow {
                    station_code: r.try_get("", "station_code")?,
                    station_name: r.try_get("", "station_name")?,
                    address: r.try_get("", "address")?,
                    lng: r.try_get("", "lng")?,
                    lat: r.try_get("", "lat")?,
                    station_status: r.try_get("", "station_status")?,
                    pile_code: r.try_get("", "pile_code")?,
                    pile_type: r.try_get("", "pile_type")?,
                    max_power_w: r.try_get("", "max_power_w")?,
                    online_session: r.try_get("", "online_session")?,
                    online_node: r.try_get("", "online_node")?,
                    last_seen_at: r.try_get("", "last_seen_at")?,
                    evse_id: r.try_get("", "evse_id")?,
                    connector_id: r.try_get("", "connector_id")?,
                    connector_status: r.try_get("", "connector_status")?,
                })
            })
            .collect::<Result<_, sea_orm::DbErr>>()
            .map_err(StoreError::from)
    }
}

impl Store {
    /// Piles (chargers) by id, of one station or all, `limit` from `offset`, and how many.
    pub async fn piles(
        &self,
        station: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Charger>, u64), StoreError> {
        let mut query = charger::Entity::find();
        if let Some(station) = station {
            query = query.filter(charger::Column::StationCode.eq(station));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_asc(charger::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((rows.parsed()?, total))
    }

    /// Creates a pile: its charger, registered, with the pile's fields, in the station (checked in
    /// the same transaction). `NotFound("station")`, or `Conflict` when the id is taken.
    pub async fn create_pile(&self, pile: NewPile) -> Result<Charger, StoreError> {
        let now = Utc::now();
        let id = pile.code.clone();
        let mut row = charger::ActiveModel {
            id: Set(pile.code.into_string()),
            registration: Set(Registration::Registered.as_str().to_owned()),
            password_hash: Set(pile.password_hash),
            station_code: Set(Some(pile.station_code.clone())),
            last_seen_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        set_pile_fields(&mut row, pile.spec);
        let (_turn, txn) = self.begin_write().await?;
        if station::Entity::find_by_id(pile.station_code.as_str()).one(&txn).await?.is_none() {
            txn.rollback().await?;
            return Err(StoreError::NotFound(Subject::Station));
        }
        let inserted = charger::Entity::insert(row)
            .on_conflict_do_nothing_on([charger::Column::Id])
            .exec_without_returning(&txn)
            .await?;
        if !matches!(inserted, TryInsertResult::Inserted(1)) {
            txn.rollback().await?;
            return Err(StoreError::Conflict(Subject::Charger));
        }
        let created =
            charger::Entity::find_by_id(id.as_str()).one(&txn).await?.ok_or(StoreError::NotFound(Subject::Charger))?;
        txn.commit().await?;
        created.try_into()
    }

    /// Puts the charger `id` in a station with the pile fields given (the others kept).
    /// `NotFound("station")` or `NotFound("charger")`.
    pub async fn attach_pile(&self, id: &str, station_code: &str, spec: PileSpec) -> Result<Charger, StoreError> {
        let mut row = charger::ActiveModel {
            station_code: Set(Some(station_code.to_owned())),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        set_pile_fields(&mut row, spec);
        let (_turn, txn) = self.begin_write().await?;
        if station::Entity::find_by_id(station_code).one(&txn).await?.is_none() {
            txn.rollback().await?;
            return Err(StoreError::NotFound(Subject::Station));
        }
        let updated = charger::Entity::update_many().set(row).filter(charger::Column::Id.eq(id)).exec(&txn).await?;
        if updated.rows_affected == 0 {
            txn.rollback().await?;
            return Err(StoreError::NotFound(Subject::Charger));
        }
        let attached =
            charger::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound(Subject::Charger))?;
        // Its orders count for this station now, in its zone's days.
        super::stats_rollup::reset(&txn, Some(&[id.to_owned()])).await?;
        txn.commit().await?;
        attached.try_into()
    }
}

/// Sets the pile fields `spec` gives.
fn set_pile_fields(row: &mut charger::ActiveModel, spec: PileSpec) {
    if let Some(name) = spec.name {
        row.name = Set(Some(name));
    }
    if let Some(pile_type) = spec.pile_type {
        row.pile_type = Set(Some(pile_type.as_str().to_owned()));
    }
    if let Some(connector_type) = spec.connector_type {
        row.connector_type = Set(Some(connector_type));
    }
    if let Some(watts) = spec.max_power_w {
        row.max_power_w = Set(Some(watts));
    }
    if let Some(volts) = spec.rated_voltage_v {
        row.rated_voltage_v = Set(Some(volts));
    }
    if let Some(amps) = spec.rated_current_a {
        row.rated_current_a = Set(Some(amps));
    }
    if let Some(protocol) = spec.protocol {
        row.protocol = Set(protocol.as_str().to_owned());
    }
}

/// The statement of `nearby`: the `limit` open stations in the box nearest `centre` (a planar
/// distance, the longitude scaled by the cosine of the centre's latitude: close enough to rank,
/// and SQLite has no trigonometry), then their piles and connectors — one round trip.
fn nearby_statement(backend: sea_orm::DatabaseBackend, area: &GeoBox, centre: Point, limit: u64) -> sea_orm::Statement {
    let longitudes = vec!["lng BETWEEN ? AND ?"; area.lng.len()].join(" OR ");
    let sql = format!(
        "WITH near AS (SELECT code, name, address, lng, lat, status FROM stations \
                       WHERE lat BETWEEN ? AND ? AND ({longitudes}) AND status = 'open' \
                       ORDER BY (lat - ?) * (lat - ?) + (lng - ?) * (lng - ?) * ? LIMIT ?) \
         SELECT s.code AS station_code, s.name AS station_name, s.address, s.lng, s.lat, \
                s.status AS station_status, c.id AS pile_code, c.pile_type, c.max_power_w, \
                c.online_session, c.online_node, c.last_seen_at, k.evse_id, k.connector_id, \
                CASE WHEN k.status = 'Available' AND EXISTS (SELECT 1 FROM reservations r \
                     WHERE r.active_connector = k.charger_id || '/' || k.evse_id || '/' || k.connector_id) \
                     THEN 'Reserved' ELSE k.status END AS connector_status \
         FROM near s \
         LEFT JOIN chargers c ON c.station_code = s.code \
         LEFT JOIN connectors k ON k.charger_id = c.id"
    );
    let mut values: Vec<Value> = vec![area.lat.0.into(), area.lat.1.into()];
    for (west, east) in &area.lng {
        values.extend([Value::from(*west), Value::from(*east)]);
    }
    let squeeze = centre.lat.to_radians().cos().powi(2);
    values.extend([
        Value::from(centre.lat),
        Value::from(centre.lat),
        Value::from(centre.lng),
        Value::from(centre.lng),
        Value::from(squeeze),
        Value::from(i64::try_from(limit).unwrap_or(i64::MAX)),
    ]);
    statement(backend, &sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseSettings;

    /// The plan SQLite makes for `nearby`, one line per step.
    #[tokio::test]
    async fn the_nearby_query_searches_by_the_stations_position_index_and_the_piles_station_index() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("csms.db").display());
        let store =
            Store::connect(&DatabaseSettings { url, max_connections: 1 }).await.unwrap_or_else(|e| panic!("{e}"));
        store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        for centre in [Point { lng: 121.47, lat: 31.23 }, Point { lng: 179.99, lat: -16.5 }] {
            let area = GeoBox::around(centre, 10.0);
            let query = nearby_statement(sea_orm::DatabaseBackend::Sqlite, &area, centre, 20);
            let explain = statement(sea_orm::DatabaseBackend::Sqlite, &format!("EXPLAIN QUERY PLAN {}", query.sql), {
                query.values.map(|v| v.0).unwrap_or_default()
            });
            let plan = store.db().query_all_raw(explain).await.unwrap_or_else(|e| panic!("{e}"));
            let steps: Vec<String> = plan.iter().filter_map(|r| r.try_get::<String>("", "detail").ok()).collect();
            let text = steps.join("\n");
            assert!(text.contains("USING INDEX ix_stations_lat_lng (lat>? AND lat<?)"), "{text}");
            assert!(text.contains("USING INDEX ix_chargers_station (station_code=?)"), "{text}");
            // The connectors' primary key (charger, EVSE, connector), as SQLite names it.
            assert!(text.contains("SEARCH k USING INDEX sqlite_autoindex_connectors_1 (charger_id=?)"), "{text}");
            // Only the few nearest stations (the CTE `near`) are scanned, never a table.
            assert!(steps.iter().filter(|step| step.starts_with("SCAN")).all(|step| step == "SCAN s"), "{text}");
        }
    }
}
