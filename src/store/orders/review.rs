//! Orders whose meter register an operator must settle: set aside in `REVIEW` (user and
//! connector released, money untouched), and found again.

use super::super::{Store, StoreError};
use super::coalesce;
use crate::domain::orders::records::ReviewHold;
use chrono::Utc;
use entity::order;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// What `REVIEW` is stored as.
const REVIEW: &str = "REVIEW";

impl Store {
    /// Sets a finished order aside for review (see `ReviewHold`) while it is charging or
    /// starting; answers it after, or none when it was not (settled by someone else).
    pub async fn hold_for_review(&self, hold: ReviewHold) -> Result<Option<order::Model>, StoreError> {
        let now = Utc::now();
        let turn = self.write_turn().await;
        let updated = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(REVIEW))
            .col_expr(order::Column::ReviewReason, Expr::value(hold.reason))
            .col_expr(order::Column::EnergyWh, Expr::value(hold.energy_wh))
            .col_expr(order::Column::Anomalies, Expr::value(hold.anomalies))
            .col_expr(order::Column::StartSoc, coalesce(order::Column::StartSoc, hold.start_soc))
            .col_expr(order::Column::EndSoc, Expr::value(hold.end_soc))
            .col_expr(order::Column::StopReason, Expr::value(hold.stop_reason))
            .col_expr(order::Column::StoppedAt, Expr::value(hold.stopped_at))
            .col_expr(order::Column::ChargingEndedAt, coalesce(order::Column::ChargingEndedAt, hold.stopped_at))
            .col_expr(order::Column::ActiveUserId, Expr::value(Option::<i64>::None))
            .col_expr(order::Column::ActiveConnector, Expr::value(Option::<String>::None))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::OrderNo.eq(&hold.order_no))
            .filter(order::Column::Status.is_in(["CHARGING", "STARTING"]))
            .exec_with_returning(self.db())
            .await?;
        drop(turn);
        Ok(updated.into_iter().next())
    }

    /// How many orders of a pile wait for review.
    pub async fn orders_in_review_on(&self, charger_id: &str) -> Result<u64, StoreError> {
        Ok(order::Entity::find()
            .filter(order::Column::ChargerId.eq(charger_id))
            .filter(order::Column::Status.eq(REVIEW))
            .count(self.db())
            .await?)
    }
}
