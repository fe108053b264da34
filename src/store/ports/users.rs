//! The store as the users area's port: each method is the store's own query.

use crate::domain::ids::IdTag;
use crate::domain::storage::StoreError;
use crate::domain::users::UserStore;
use crate::domain::users::records::Card;
use crate::domain::users::records::NewUser;
use crate::domain::users::records::ProfileChange;
use crate::domain::users::records::RealName;
use crate::domain::users::records::User;
use crate::domain::users::records::UserFilter;
use crate::store::Store;
use chrono::DateTime;
use chrono::Utc;

#[async_trait::async_trait]
impl UserStore for Store {
    async fn change_profile(&self, id: i64, change: ProfileChange) -> Result<User, StoreError> {
        Store::change_profile(self, id, change).await
    }

    async fn create_id_tag(
        &self,
        tag: &IdTag,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<IdTag>,
    ) -> Result<Card, StoreError> {
        Store::create_id_tag(self, tag, status, expiry_date, parent_id_tag.map(String::from)).await
    }

    async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        Store::create_user(self, new).await
    }

    async fn delete_id_tag_of(&self, tag: &IdTag, parent: &IdTag) -> Result<bool, StoreError> {
        Store::delete_id_tag_of(self, tag, parent).await
    }

    async fn id_tags_of(&self, parent: &IdTag, offset: u64, limit: u64) -> Result<(Vec<Card>, u64), StoreError> {
        Store::id_tags_of(self, parent, offset, limit).await
    }

    async fn set_real_name(&self, id: i64, real: RealName) -> Result<User, StoreError> {
        Store::set_real_name(self, id, real).await
    }

    async fn set_role(&self, id: i64, role: &str) -> Result<User, StoreError> {
        Store::set_role(self, id, role).await
    }

    async fn raise_token_version(&self, id: i64) -> Result<(), StoreError> {
        Store::raise_token_version(self, id).await
    }

    async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        Store::user(self, id).await
    }

    async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, StoreError> {
        Store::user_by_phone(self, phone).await
    }

    async fn users_page(&self, filter: UserFilter, offset: u64, limit: u64) -> Result<(Vec<User>, u64), StoreError> {
        Store::users_page(self, filter, offset, limit).await
    }

    async fn set_user_status(&self, id: i64, status: &str, tag_status: &str) -> Result<User, StoreError> {
        Store::set_user_status(self, id, status, tag_status).await
    }
}
