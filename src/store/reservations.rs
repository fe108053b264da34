//! Reservations stored: each change one conditional statement on the status the domain decided
//! from; a fee taken or given back with its ledger row in the same database transaction; the
//! connector and the driver held by unique keys while a reservation is active.

use super::in_transaction;
use super::ledger::move_balance_on;
use super::rows::Parse;
use super::{Store, StoreError};
use crate::domain::chargers::ReportedStatus;
use crate::domain::chargers::records::Connector;
use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::reservations::records::{Ending, HeldFee, NewReservation};
use crate::domain::reservations::{FeeStatus, Reservation, ReservationStatus, ReservationStore};
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use entity::{order, reservation};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// The key that holds a connector while a reservation is active.
fn connector_key(charger_id: &str, evse_id: i32, connector_id: i32) -> String {
    super::orders::connector_key(charger_id, evse_id, connector_id)
}

impl TryFrom<reservation::Model> for Reservation {
    type Error = StoreError;

    fn try_from(row: reservation::Model) -> Result<Self, StoreError> {
        let corrupt = |what: &str, text: &str| StoreError::Corrupt(format!("reservation {}: {what} {text:?}", row.id));
        Ok(Reservation {
            id: row.id,
            user_id: row.user_id,
            charger_id: ChargerId::parse(row.charger_id.as_str()).map_err(|e| corrupt("charger", &e.to_string()))?,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            id_tag: IdTag::parse(row.id_tag.as_str()).map_err(|e| corrupt("id tag", &e.to_string()))?,
            status: ReservationStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
            fee: Fen(row.fee_fen),
            fee_status: FeeStatus::parse(&row.fee_status).ok_or_else(|| corrupt("fee status", &row.fee_status))?,
            order_no: match row.order_no.as_deref() {
                Some(no) => Some(OrderNo::parse(no).map_err(|e| corrupt("order", &e.to_string()))?),
                None => None,
            },
            ended_by: row.ended_by,
            expires_at: row.expires_at,
            created_at: row.created_at,
            ended_at: row.ended_at,
        })
    }
}

/// Moves `fee` into (`back`) or out of user `user_id`'s balance for reservation `id`, on `txn`.
async fn move_fee(
    txn: &DatabaseTransaction,
    user_id: i64,
    id: i64,
    fee: Fen,
    back: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !fee.is_positive() {
        return Ok(());
    }
    let entry = NewEntry {
        user_id,
        amount_fen: if back { fee } else { Fen(-fee.get()) },
        kind: EntryKind::Reservation,
        reference: Some(format!("reservation:{id}")),
        reason: Some(if back { "reservation fee given back" } else { "reservation fee" }.to_owned()),
        actor: None,
    };
    move_balance_on(txn, entry, at).await.map(|_| ())
}

impl Store {
    /// `connectors` as drivers see them: one an active reservation holds is `Reserved` while its
    /// pile says it is free (an MQTT pile is held in csms; an OCPP pile says `Reserved` itself).
    pub(crate) async fn with_reservations(&self, mut connectors: Vec<Connector>) -> Result<Vec<Connector>, StoreError> {
        // Only a free connector shows a reservation: none free, nothing to read.
        let free = connectors.iter().filter(|c| c.status == ReportedStatus::Available);
        let mut ids: Vec<ChargerId> = free.map(|c| c.charger_id.clone()).collect();
        ids.dedup();
        let held = self.reserved_connectors(&ids).await?;
        for connector in &mut connectors {
            let reserved = held.iter().any(|(charger, evse, id)| {
                *charger == connector.charger_id && *evse == connector.evse_id && *id == connector.connector_id
            });
            if reserved && connector.status == ReportedStatus::Available {
                connector.status = ReportedStatus::Reserved;
            }
        }
        Ok(connectors)
    }

    /// Why a reservation's insert was refused: the driver's active one, else the connector's.
    async fn reservation_refusal(&self, user_id: i64) -> StoreError {
        let held =
            reservation::Entity::find().filter(reservation::Column::ActiveUserId.eq(user_id)).one(self.db()).await;
        match held {
            Ok(Some(_)) => StoreError::Conflict(Subject::Reservation),
            Ok(None) => StoreError::Conflict(Subject::Connector),
            Err(e) => e.into(),
        }
    }
}

#[async_trait::async_trait]
impl ReservationStore for Store {
    async fn create_reservation(&self, new: NewReservation) -> Result<Reservation, StoreError> {
        let user_id = new.user_id;
        let row = reservation::ActiveModel {
            user_id: Set(new.user_id),
            charger_id: Set(new.charger_id.to_string()),
            evse_id: Set(new.evse_id),
            connector_id: Set(new.connector_id),
            id_tag: Set(new.id_tag.to_string()),
            status: Set(ReservationStatus::Active.as_str().to_owned()),
            fee_fen: Set(new.fee.get()),
            fee_status: Set(FeeStatus::Held.as_str().to_owned()),
            order_no: Set(None),
            ended_by: Set(None),
            active_user_id: Set(Some(new.user_id)),
            active_connector: Set(Some(connector_key(new.charger_id.as_str(), new.evse_id, new.connector_id))),
            expires_at: Set(new.expires_at),
            created_at: Set(new.at),
            ended_at: Set(None),
            ..Default::default()
        };
        let (fee, at) = (new.fee, new.at);
        let made = in_transaction(self, |txn| {
            Box::pin(async move {
                let made = reservation::Entity::insert(row).exec_with_returning(txn).await?;
                move_fee(txn, made.user_id, made.id, fee, false, at).await?;
                Ok(made)
            })
        })
        .await;
        match made {
            Ok(made) => made.try_into(),
            Err(StoreError::Duplicate(_)) => Err(self.reservation_refusal(user_id).await),
            Err(e) => Err(e),
        }
    }

    async fn reservation(&self, id: i64) -> Result<Option<Reservation>, StoreError> {
        reservation::Entity::find_by_id(id).one(self.db()).await?.parsed()
    }

    async fn reservations(
        &self,
        user_id: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Reservation>, u64), StoreError> {
        let mut query = reservation::Entity::find();
        if let Some(user_id) = user_id {
            query = query.filter(reservation::Column::UserId.eq(user_id));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(reservation::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((rows.parsed()?, total))
    }

    async fn active_reservation_on(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<Reservation>, StoreError> {
        let key = connector_key(charger_id.as_str(), evse_id, connector_id);
        reservation::Entity::find().filter(reservation::Column::ActiveConnector.eq(key)).one(self.db()).await?.parsed()
    }

    async fn reserved_connectors(&self, charger_ids: &[ChargerId]) -> Result<Vec<(ChargerId, i32, i32)>, StoreError> {
        if charger_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = reservation::Entity::find()
            .filter(reservation::Column::ActiveConnector.is_not_null())
            .filter(reservation::Column::ChargerId.is_in(charger_ids.iter().map(ChargerId::as_str)))
            .all(self.db())
            .await?;
        let found: Vec<Reservation> = rows.parsed()?;
        Ok(found.into_iter().map(|r| (r.charger_id, r.evse_id, r.connector_id)).collect())
    }

    async fn end_reservation(&self, ending: Ending) -> Result<Option<Reservation>, StoreError> {
        let ended = in_transaction(self, |txn| {
            Box::pin(async move {
                let updated = reservation::Entity::update_many()
                    .col_expr(reservation::Column::Status, Expr::value(ending.to.as_str()))
                    .col_expr(reservation::Column::FeeStatus, Expr::value(ending.fee.as_str()))
                    .col_expr(reservation::Column::EndedBy, Expr::value(ending.by.clone()))
                    .col_expr(reservation::Column::EndedAt, Expr::value(ending.at))
                    .col_expr(reservation::Column::ActiveUserId, Expr::value(Option::<i64>::None))
                    .col_expr(reservation::Column::ActiveConnector, Expr::value(Option::<String>::None))
                    .filter(reservation::Column::Id.eq(ending.id))
                    .filter(reservation::Column::Status.eq(ReservationStatus::Active.as_str()))
                    .filter(reservation::Column::FeeStatus.eq(FeeStatus::Held.as_str()))
                    .exec_with_returning(txn)
                    .await?;
                let Some(ended) = updated.into_iter().next() else { return Ok(None) };
                if ending.fee.gives_back() {
                    move_fee(txn, ended.user_id, ended.id, Fen(ended.fee_fen), true, ending.at).await?;
                }
                Ok(Some(ended))
            })
        })
        .await?;
        ended.parsed()
    }

    async fn use_reservation(
        &self,
        id: i64,
        order_no: &OrderNo,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError> {
        let _turn = self.write_turn().await;
        let updated = reservation::Entity::update_many()
            .col_expr(reservation::Column::Status, Expr::value(ReservationStatus::Used.as_str()))
            .col_expr(reservation::Column::OrderNo, Expr::value(order_no.as_str()))
            .col_expr(reservation::Column::EndedAt, Expr::value(at))
            .col_expr(reservation::Column::ActiveUserId, Expr::value(Option::<i64>::None))
            .col_expr(reservation::Column::ActiveConnector, Expr::value(Option::<String>::None))
            .filter(reservation::Column::Id.eq(id))
            .filter(reservation::Column::Status.eq(ReservationStatus::Active.as_str()))
            .exec_with_returning(self.db())
            .await?;
        updated.into_iter().next().parsed()
    }

    async fn settle_reservation_fee(
        &self,
        id: i64,
        to: FeeStatus,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError> {
        let settled = in_transaction(self, |txn| {
            Box::pin(async move {
                let updated = reservation::Entity::update_many()
                    .col_expr(reservation::Column::FeeStatus, Expr::value(to.as_str()))
                    .filter(reservation::Column::Id.eq(id))
                    .filter(reservation::Column::Status.eq(ReservationStatus::Used.as_str()))
                    .filter(reservation::Column::FeeStatus.eq(FeeStatus::Held.as_str()))
                    .exec_with_returning(txn)
                    .await?;
                let Some(settled) = updated.into_iter().next() else { return Ok(None) };
                if to.gives_back() {
                    move_fee(txn, settled.user_id, settled.id, Fen(settled.fee_fen), true, at).await?;
                }
                Ok(Some(settled))
            })
        })
        .await?;
        settled.parsed()
    }

    async fn reservations_due(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Reservation>, StoreError> {
        reservation::Entity::find()
            .filter(reservation::Column::Status.eq(ReservationStatus::Active.as_str()))
            .filter(reservation::Column::ExpiresAt.lte(now))
            .order_by_asc(reservation::Column::ExpiresAt)
            .limit(limit)
            .all(self.db())
            .await?
            .parsed()
    }

    async fn held_fees(&self, limit: u64) -> Result<Vec<HeldFee>, StoreError> {
        let rows = reservation::Entity::find()
            .filter(reservation::Column::Status.eq(ReservationStatus::Used.as_str()))
            .filter(reservation::Column::FeeStatus.eq(FeeStatus::Held.as_str()))
            .order_by_asc(reservation::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        let held: Vec<Reservation> = rows.parsed()?;
        let numbers: Vec<String> = held.iter().filter_map(|r| r.order_no.as_ref().map(|n| n.to_string())).collect();
        let orders = if numbers.is_empty() {
            Vec::new()
        } else {
            order::Entity::find().filter(order::Column::OrderNo.is_in(numbers)).all(self.db()).await?
        };
        Ok(held
            .into_iter()
            .map(|reservation| {
                let of = reservation.order_no.as_ref().and_then(|no| orders.iter().find(|o| o.order_no == no.as_str()));
                HeldFee {
                    order_status: of.map(|o| o.status.clone()),
                    started: of.is_some_and(|o| o.started_at.is_some()),
                    reservation,
                }
            })
            .collect())
    }
}
