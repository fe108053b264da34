//! Orders whose meter register an operator must settle: set aside in `REVIEW` (user and
//! connector released, money untouched), and found again; and orders billed again from their
//! transaction's real stop.

use super::super::payments::refund_payment_on;
use super::super::{Store, StoreError, in_transaction};
use super::{coalesce, collect, refunded_with, same};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::OrderStatus;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::{Rebill, ReviewHold, Settled};
use crate::domain::units::Wh;
use crate::store::rows::Parse;
use chrono::Utc;
use entity::order;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// What `REVIEW` is stored as.
const REVIEW: &str = "REVIEW";

impl Store {
    /// Sets a finished order aside for review (see `ReviewHold`) while it is charging or
    /// starting; answers it after, or none when it was not (settled by someone else).
    pub async fn hold_for_review(&self, hold: ReviewHold) -> Result<Option<Order>, StoreError> {
        let now = Utc::now();
        let update = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(REVIEW))
            .col_expr(order::Column::ReviewReason, Expr::value(hold.reason.as_str()))
            .col_expr(order::Column::EnergyWh, Expr::value(hold.energy_wh.map(Wh::get)))
            .col_expr(order::Column::Anomalies, Expr::value(hold.anomalies))
            .col_expr(order::Column::StartSoc, coalesce(order::Column::StartSoc, hold.start_soc))
            .col_expr(order::Column::EndSoc, Expr::value(hold.end_soc))
            .col_expr(order::Column::StopReason, Expr::value(hold.stop_reason))
            .col_expr(order::Column::StoppedAt, Expr::value(hold.stopped_at))
            .col_expr(order::Column::ChargingEndedAt, coalesce(order::Column::ChargingEndedAt, hold.stopped_at))
            .col_expr(order::Column::ActiveUserId, Expr::value(Option::<i64>::None))
            .col_expr(order::Column::ActiveConnector, Expr::value(Option::<String>::None))
            .col_expr(order::Column::StatsDue, Expr::value(true))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::OrderNo.eq(&hold.order_no))
            .filter(order::Column::Status.is_in(["CHARGING", "STARTING"]));
        let _turn = self.write_turn().await;
        let after = update.exec_with_returning(self.db()).await?.into_iter().next();
        Parse::parsed(after)
    }

    /// Bills a completed order again (see `Rebill`) and settles the difference, in one
    /// transaction, while its revisions and its money are those read.
    pub async fn rebill_order(&self, rebill: Rebill) -> Result<Settled, StoreError> {
        let order_no = rebill.order_no.clone();
        let at = Utc::now();
        let applied = in_transaction(self, |txn| {
            Box::pin(async move {
                let read = Func::coalesce([Expr::col(order::Column::Revisions), Expr::val("")]);
                let updated = order::Entity::update_many()
                    .col_expr(order::Column::Revisions, Expr::value(rebill.revisions.clone()))
                    .col_expr(order::Column::EnergyWh, Expr::value(rebill.energy_wh.get()))
                    .col_expr(order::Column::EnergyFeeFen, Expr::value(rebill.energy_fee_fen.get()))
                    .col_expr(order::Column::ServiceFeeFen, Expr::value(rebill.service_fee_fen.get()))
                    .col_expr(order::Column::TotalFen, Expr::value(rebill.total_fen.get()))
                    .col_expr(order::Column::Lines, Expr::value(rebill.lines.clone()))
                    .col_expr(order::Column::Anomalies, Expr::value(rebill.anomalies.clone()))
                    .col_expr(order::Column::EndSoc, Expr::value(rebill.end_soc))
                    .col_expr(order::Column::StopReason, Expr::value(rebill.stop_reason.clone()))
                    .col_expr(order::Column::StoppedAt, Expr::value(rebill.stopped_at))
                    .col_expr(order::Column::PaymentStatus, Expr::value(rebill.payment_status.as_str()))
                    .col_expr(order::Column::StatsDue, Expr::value(true))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::OrderNo.eq(&rebill.order_no))
                    .filter(order::Column::Status.eq("COMPLETED"))
                    .filter(Expr::expr(read).eq(Expr::val(rebill.revisions_read.clone().unwrap_or_default())))
                    .filter(same(order::Column::TotalFen, rebill.bill_read.total_fen.map(Fen::get)))
                    .filter(same(order::Column::OccupancyFeeFen, rebill.bill_read.occupancy_fee_fen.map(Fen::get)))
                    .col_expr(order::Column::RefundedFen, refunded_with(&rebill.refunds))
                    .filter(order::Column::PaidFen.eq(rebill.read.paid_fen.get()))
                    .filter(order::Column::RefundedFen.eq(rebill.read.refunded_fen.get()))
                    .exec_with_returning(txn)
                    .await?;
                let Some(after) = updated.into_iter().next() else { return Ok(None) };
                for part in &rebill.refunds {
                    refund_payment_on(txn, part, Some("billed again"), at).await?;
                }
                match &rebill.collection {
                    Some(collection) => {
                        collect(txn, &rebill.order_no, rebill.user_id, collection, at).await?;
                        super::order_in(txn, &rebill.order_no).await
                    }
                    None => Ok(Some(after)),
                }
            })
        })
        .await?;
        self.settled(&order_no, applied, &[OrderStatus::Completed]).await
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
