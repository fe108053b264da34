//! Membership stored: the ladder (replaced whole), drivers' price groups and the levels the
//! nightly recompute found, and one row per recompute day.

use super::in_transaction;
use super::{Store, StoreError};
use crate::domain::ledger::money::Fen;
use crate::domain::membership::{Basis, Level, MemberRecord, MembershipStore, Standing};
use chrono::{DateTime, Utc};
use entity::{member_level, membership_run, order, user};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};

#[derive(Debug, FromQueryResult)]
struct Spent {
    user_id: i64,
    energy_wh: Option<i64>,
    spend_fen: Option<i64>,
}

fn level_of(row: member_level::Model) -> Result<Level, StoreError> {
    let basis = Basis::parse(&row.basis)
        .ok_or_else(|| StoreError::Corrupt(format!("member level {}: basis {:?}", row.name, row.basis)))?;
    let pct = |value: i32| std::cmp::Ord::min(u8::try_from(value).unwrap_or(0), 100);
    Ok(Level {
        basis,
        threshold: row.threshold,
        energy_pct: pct(row.energy_discount_pct),
        service_pct: pct(row.service_discount_pct),
        name: row.name,
    })
}

#[async_trait::async_trait]
impl MembershipStore for Store {
    async fn member_levels(&self) -> Result<Vec<Level>, StoreError> {
        let rows = member_level::Entity::find().order_by_asc(member_level::Column::Rank).all(self.db()).await?;
        rows.into_iter().map(level_of).collect()
    }

    async fn replace_member_levels(&self, levels: Vec<Level>) -> Result<(), StoreError> {
        in_transaction(self, |txn| {
            Box::pin(async move {
                member_level::Entity::delete_many().exec(txn).await?;
                for (rank, level) in levels.into_iter().enumerate() {
                    let row = member_level::ActiveModel {
                        name: Set(level.name),
                        rank: Set(i32::try_from(rank).unwrap_or(i32::MAX)),
                        basis: Set(level.basis.as_str().to_owned()),
                        threshold: Set(level.threshold),
                        energy_discount_pct: Set(i32::from(level.energy_pct)),
                        service_discount_pct: Set(i32::from(level.service_pct)),
                    };
                    member_level::Entity::insert(row).exec_without_returning(txn).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn member_of(&self, user_id: i64) -> Result<Option<MemberRecord>, StoreError> {
        Ok(user::Entity::find_by_id(user_id).one(self.db()).await?.map(|u| MemberRecord {
            price_group: u.price_group,
            level: u.member_level,
            energy_wh: u.member_energy_wh,
            spend: Fen(u.member_spend_fen),
            computed_at: u.member_computed_at,
        }))
    }

    async fn set_price_group(&self, user_id: i64, group: Option<&str>) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = user::Entity::update_many()
            .col_expr(user::Column::PriceGroup, Expr::value(group.map(str::to_owned)))
            .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(user::Column::Id.eq(user_id))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected > 0)
    }

    async fn spent_since(
        &self,
        since: DateTime<Utc>,
        user_id: Option<i64>,
    ) -> Result<Vec<(i64, i64, Fen)>, StoreError> {
        let mut query = order::Entity::find()
            .select_only()
            .column(order::Column::UserId)
            .column_as(order::Column::EnergyWh.sum().cast_as("BIGINT"), "energy_wh")
            .column_as(order::Column::TotalFen.sum().cast_as("BIGINT"), "spend_fen")
            .filter(order::Column::Status.eq("COMPLETED"))
            .filter(order::Column::CompletedAt.gte(since))
            .group_by(order::Column::UserId);
        if let Some(user_id) = user_id {
            query = query.filter(order::Column::UserId.eq(user_id));
        }
        let rows = query.into_model::<Spent>().all(self.db()).await?;
        Ok(rows.into_iter().map(|r| (r.user_id, r.energy_wh.unwrap_or(0), Fen(r.spend_fen.unwrap_or(0)))).collect())
    }

    async fn store_standings(&self, standings: Vec<Standing>, at: DateTime<Utc>) -> Result<(), StoreError> {
        in_transaction(self, |txn| {
            Box::pin(async move {
                user::Entity::update_many()
                    .col_expr(user::Column::MemberLevel, Expr::value(Option::<String>::None))
                    .col_expr(user::Column::MemberEnergyWh, Expr::value(0i64))
                    .col_expr(user::Column::MemberSpendFen, Expr::value(0i64))
                    .col_expr(user::Column::MemberComputedAt, Expr::value(at))
                    .exec(txn)
                    .await?;
                for standing in standings {
                    user::Entity::update_many()
                        .col_expr(user::Column::MemberLevel, Expr::value(standing.level))
                        .col_expr(user::Column::MemberEnergyWh, Expr::value(standing.energy_wh))
                        .col_expr(user::Column::MemberSpendFen, Expr::value(standing.spend.get()))
                        .filter(user::Column::Id.eq(standing.user_id))
                        .exec(txn)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn claim_membership_run(&self, day: &str, node: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let row = membership_run::ActiveModel { day: Set(day.to_owned()), node: Set(node.to_owned()), at: Set(at) };
        let _turn = self.write_turn().await;
        let inserted = membership_run::Entity::insert(row)
            .on_conflict(OnConflict::column(membership_run::Column::Day).do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await?;
        Ok(inserted > 0)
    }
}
