//! Users.

use super::{Store, StoreError};
use crate::domain::storage::Subject;
use crate::domain::users::records::UserFilter;
use crate::domain::users::records::{NewUser, ProfileChange, RealName, User};
use crate::store::rows::Parse;
use chrono::Utc;
use entity::{id_tag, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};

impl Store {
    /// Creates a user and their id tag (accepted) in one transaction; `Conflict` when the phone
    /// is registered already (also when two register it at once: the unique key decides).
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let now = Utc::now();
        let tag = id_tag::ActiveModel {
            id_tag: Set(new.id_tag.to_string()),
            status: Set("Accepted".to_owned()),
            expiry_date: Set(None),
            parent_id_tag: Set(None),
            created_at: Set(now),
        };
        let row = user::ActiveModel {
            phone: Set(new.phone),
            nickname: Set(new.nickname),
            avatar: Set(None),
            role: Set(new.role),
            status: Set("active".to_owned()),
            id_tag: Set(new.id_tag.into_string()),
            real_name: Set(None),
            id_card_masked: Set(None),
            id_card_hash: Set(None),
            verified_at: Set(None),
            balance_fen: Set(0),
            token_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let inserted = async {
            id_tag::Entity::insert(tag).exec_without_returning(&txn).await?;
            user::Entity::insert(row).exec_with_returning(&txn).await
        }
        .await;
        match inserted {
            Ok(created) => {
                txn.commit().await?;
                created.try_into()
            }
            Err(e) => {
                let _ = txn.rollback().await;
                match e.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => Err(StoreError::Conflict(Subject::User)),
                    _ => Err(e.into()),
                }
            }
        }
    }

    /// The user `id`.
    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        user::Entity::find_by_id(id).one(self.db()).await?.parsed()
    }

    /// The user whose tag `tag` is: their own, or a card bound to them (its group is their tag).
    pub async fn user_by_id_tag(&self, tag: &str) -> Result<Option<User>, StoreError> {
        if let Some(own) = user::Entity::find().filter(user::Column::IdTag.eq(tag)).one(self.db()).await? {
            return Ok(Some(own.try_into()?));
        }
        let Some(card) = id_tag::Entity::find_by_id(tag).one(self.db()).await? else { return Ok(None) };
        let Some(group) = card.parent_id_tag else { return Ok(None) };
        user::Entity::find().filter(user::Column::IdTag.eq(group)).one(self.db()).await?.parsed()
    }

    /// The user with `phone`.
    pub async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, StoreError> {
        user::Entity::find().filter(user::Column::Phone.eq(phone)).one(self.db()).await?.parsed()
    }

    /// Gives user `id` the role `role`; `NotFound` when there is no such user.
    pub async fn set_role(&self, id: i64, role: &str) -> Result<User, StoreError> {
        let found = user::Entity::find_by_id(id).one(self.db()).await?.ok_or(StoreError::NotFound(Subject::User))?;
        let mut row: user::ActiveModel = found.into();
        row.role = Set(role.to_owned());
        row.updated_at = Set(Utc::now());
        let _turn = self.write_turn().await;
        row.update(self.db()).await?.try_into()
    }

    /// Raises user `id`'s token version (a sign-out: every token issued before is refused);
    /// `NotFound` when there is no such user.
    pub async fn raise_token_version(&self, id: i64) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let raised = user::Entity::update_many()
            .col_expr(user::Column::TokenVersion, Expr::col(user::Column::TokenVersion).add(1))
            .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(user::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if raised.rows_affected == 0 {
            return Err(StoreError::NotFound(Subject::User));
        }
        Ok(())
    }

    /// Records user `id`'s real-name check, once: `Conflict` when it is recorded already.
    pub async fn set_real_name(&self, id: i64, real: RealName) -> Result<User, StoreError> {
        let now = Utc::now();
        let _turn = self.write_turn().await;
        // One conditional update: two checks at once cannot both be recorded.
        let updated = user::Entity::update_many()
            .col_expr(user::Column::RealName, Expr::value(real.name))
            .col_expr(user::Column::IdCardMasked, Expr::value(real.id_card_masked))
            .col_expr(user::Column::IdCardHash, Expr::value(real.id_card_hash))
            .col_expr(user::Column::VerifiedAt, Expr::value(now))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(id))
            .filter(user::Column::VerifiedAt.is_null())
            .exec(self.db())
            .await?;
        if updated.rows_affected == 0 {
            return match self.user(id).await? {
                Some(_) => Err(StoreError::Conflict(Subject::RealName)),
                None => Err(StoreError::NotFound(Subject::User)),
            };
        }
        self.user(id).await?.ok_or(StoreError::NotFound(Subject::User))
    }

    /// Changes a user's profile; `NotFound` when there is no such user.
    pub async fn change_profile(&self, id: i64, change: ProfileChange) -> Result<User, StoreError> {
        let found = user::Entity::find_by_id(id).one(self.db()).await?.ok_or(StoreError::NotFound(Subject::User))?;
        let mut row: user::ActiveModel = found.into();
        if let Some(nickname) = change.nickname {
            row.nickname = Set(nickname);
        }
        if let Some(avatar) = change.avatar {
            row.avatar = Set(avatar);
        }
        row.updated_at = Set(Utc::now());
        let _turn = self.write_turn().await;
        row.update(self.db()).await?.try_into()
    }

    /// A page of users, newest first, and how many match.
    pub async fn users_page(
        &self,
        filter: UserFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<User>, u64), StoreError> {
        let mut query = user::Entity::find();
        if let Some(phone) = filter.phone {
            query = query.filter(user::Column::Phone.eq(phone));
        }
        if let Some(role) = filter.role {
            query = query.filter(user::Column::Role.eq(role));
        }
        if let Some(status) = filter.status {
            query = query.filter(user::Column::Status.eq(status));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(user::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((rows.parsed()?, total))
    }

    /// Sets a user's status and their own tag's, in one transaction.
    pub async fn set_user_status(&self, id: i64, status: &str, tag_status: &str) -> Result<User, StoreError> {
        let found = self.user(id).await?.ok_or(StoreError::NotFound(Subject::User))?;
        let (_turn, txn) = self.begin_write().await?;
        let now = Utc::now();
        let done = async {
            user::Entity::update_many()
                .col_expr(user::Column::Status, Expr::value(status))
                .col_expr(user::Column::UpdatedAt, Expr::value(now))
                .filter(user::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            id_tag::Entity::update_many()
                .col_expr(id_tag::Column::Status, Expr::value(tag_status))
                .filter(id_tag::Column::IdTag.eq(&found.id_tag))
                .exec(&txn)
                .await?;
            Ok::<_, sea_orm::DbErr>(())
        }
        .await;
        match done {
            Ok(()) => txn.commit().await?,
            Err(e) => {
                let _ = txn.rollback().await;
                return Err(e.into());
            }
        }
        self.user(id).await?.ok_or(StoreError::NotFound(Subject::User))
    }
}
