//! Id tags (1.6 idTag / 2.0.1 idToken): who may charge.

use crate::domain::charging::records::{CreditStanding, TagStanding};
use crate::domain::ledger::money::Fen;
use crate::domain::order_status::OrderStatus;
use crate::domain::storage::Subject;
use crate::domain::users::records::Card;
use crate::store::rows::Parse;
use crate::store::sql::statement;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::id_tag;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
};

impl Store {
    /// The id tag `tag`.
    pub async fn id_tag(&self, tag: &str) -> Result<Option<Card>, StoreError> {
        id_tag::Entity::find_by_id(tag).one(self.db()).await?.parsed()
    }

    /// Tag `tag` as authorising reads it (see `standing_on`).
    pub async fn tag_standing(&self, tag: &str) -> Result<Option<TagStanding>, StoreError> {
        standing_on(self.db(), tag, false).await
    }

    /// The tags whose group (parent) is `parent`, in the order they were created.
    pub async fn id_tags_of(&self, parent: &str, offset: u64, limit: u64) -> Result<(Vec<Card>, u64), StoreError> {
        let query = id_tag::Entity::find().filter(id_tag::Column::ParentIdTag.eq(parent));
        let total = query.clone().count(self.db()).await?;
        let rows = query
            .order_by_asc(id_tag::Column::CreatedAt)
            .order_by_asc(id_tag::Column::IdTag)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((rows.parsed()?, total))
    }

    /// Removes tag `tag` if its group is `parent`; whether it did.
    pub async fn delete_id_tag_of(&self, tag: &str, parent: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let deleted = id_tag::Entity::delete_many()
            .filter(id_tag::Column::IdTag.eq(tag))
            .filter(id_tag::Column::ParentIdTag.eq(parent))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Creates an id tag; `Conflict` when it exists.
    pub async fn create_id_tag(
        &self,
        tag: &str,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<String>,
    ) -> Result<Card, StoreError> {
        let row = id_tag::ActiveModel {
            id_tag: Set(tag.to_owned()),
            status: Set(status.to_owned()),
            expiry_date: Set(expiry_date),
            parent_id_tag: Set(parent_id_tag),
            created_at: Set(Utc::now()),
        };
        let turn = self.write_turn().await;
        let inserted = id_tag::Entity::insert(row)
            .on_conflict_do_nothing_on([id_tag::Column::IdTag])
            .exec_without_returning(self.db())
            .await?;
        drop(turn);
        match inserted {
            TryInsertResult::Inserted(1) => self.id_tag(tag).await?.ok_or(StoreError::NotFound(Subject::IdTag)),
            _ => Err(StoreError::Conflict(Subject::IdTag)),
        }
    }
}

/// Tag `tag` as authorising reads it (see `TagStanding`), in one statement: with its parent,
/// and the driver it is of (their own tag, else a card under theirs) with their credit. `lock`:
/// the tag's row is locked until `db`'s transaction ends (PostgreSQL; see `Recording::lock_tag`).
pub(super) async fn standing_on(
    db: &impl ConnectionTrait,
    tag: &str,
    lock: bool,
) -> Result<Option<TagStanding>, StoreError> {
    let backend = db.get_database_backend();
    let sql = "SELECT t.id_tag, t.status, t.expiry_date, t.parent_id_tag, t.created_at, \
               p.id_tag AS p_id_tag, p.status AS p_status, p.expiry_date AS p_expiry_date, \
               p.parent_id_tag AS p_parent_id_tag, p.created_at AS p_created_at, \
               u.id AS user_id, u.balance_fen, \
               (SELECT o.status FROM orders o WHERE o.active_user_id = u.id) AS live_status, \
               CAST(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.status = 'COMPLETED' \
                 AND o.payment_status = 'UNPAID') THEN 1 ELSE 0 END AS BIGINT) AS unpaid \
               FROM id_tags t LEFT JOIN id_tags p ON p.id_tag = t.parent_id_tag \
               LEFT JOIN users u ON u.id_tag = COALESCE( \
                 (SELECT own.id_tag FROM users own WHERE own.id_tag = t.id_tag), t.parent_id_tag) \
               WHERE t.id_tag = ?";
    let locked = match lock && backend == DatabaseBackend::Postgres {
        true => format!("{sql} FOR UPDATE OF t"),
        false => sql.to_owned(),
    };
    let Some(row) = db.query_one_raw(statement(backend, &locked, [tag.into()])).await? else {
        return Ok(None);
    };
    let card = |prefix: &str| -> Result<Option<Card>, StoreError> {
        let column = |name: &str| format!("{prefix}{name}");
        let Some(id_tag) = row.try_get::<Option<String>>("", &column("id_tag"))? else { return Ok(None) };
        let whose = format!("id tag {id_tag:?}");
        let parent_id_tag = row.try_get::<Option<String>>("", &column("parent_id_tag"))?;
        Ok(Some(Card {
            id_tag: crate::store::rows::id_tag(id_tag, &whose)?,
            status: row.try_get("", &column("status"))?,
            expiry_date: row.try_get("", &column("expiry_date"))?,
            parent_id_tag: crate::store::rows::maybe_id_tag(parent_id_tag, &whose)?,
            created_at: row.try_get("", &column("created_at"))?,
        }))
    };
    let Some(own) = card("")? else { return Ok(None) };
    let driver = match row.try_get::<Option<i64>>("", "user_id")? {
        Some(user_id) => Some(CreditStanding {
            user_id,
            balance_fen: Fen(row.try_get("", "balance_fen")?),
            live_status: match row.try_get::<Option<String>>("", "live_status")? {
                Some(text) => Some(
                    OrderStatus::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("order status {text:?}")))?,
                ),
                None => None,
            },
            unpaid: row.try_get::<i64>("", "unpaid")? != 0,
        }),
        None => None,
    };
    Ok(Some(TagStanding { card: own, parent: card("p_")?, driver }))
}
