//! What the users area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/users.rs`); `startup` hands the store in.

use crate::domain::ids::IdTag;
use crate::domain::storage::StoreError;
use crate::domain::users::records::Card;
use crate::domain::users::records::NewUser;
use crate::domain::users::records::ProfileChange;
use crate::domain::users::records::RealName;
use crate::domain::users::records::User;
use crate::domain::users::records::UserFilter;
use chrono::DateTime;
use chrono::Utc;

/// The users area's persistence port: users, their cards, real names and roles. The store
/// implements it.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync + std::fmt::Debug {
    /// Changes a user's profile; `NotFound` when there is no such user.
    async fn change_profile(&self, id: i64, change: ProfileChange) -> Result<User, StoreError>;

    /// Creates an id tag; `Conflict` when it exists.
    async fn create_id_tag(
        &self,
        tag: &IdTag,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<IdTag>,
    ) -> Result<Card, StoreError>;

    /// Creates a user and their id tag (accepted) in one transaction; `Conflict` when the phone
    /// is registered already (also when two register it at once: the unique key decides).
    async fn create_user(&self, new: NewUser) -> Result<User, StoreError>;

    /// Removes tag `tag` if its group is `parent`; whether it did.
    async fn delete_id_tag_of(&self, tag: &IdTag, parent: &IdTag) -> Result<bool, StoreError>;

    /// The tags whose group (parent) is `parent`, in the order they were created.
    async fn id_tags_of(&self, parent: &IdTag, offset: u64, limit: u64) -> Result<(Vec<Card>, u64), StoreError>;

    /// Records user `id`'s real-name check, once: `Conflict` when it is recorded already.
    async fn set_real_name(&self, id: i64, real: RealName) -> Result<User, StoreError>;

    /// Gives user `id` the role `role`; `NotFound` when there is no such user.
    async fn set_role(&self, id: i64, role: &str) -> Result<User, StoreError>;

    /// Raises user `id`'s token version (a sign-out); `NotFound` when there is no such user.
    async fn raise_token_version(&self, id: i64) -> Result<(), StoreError>;

    /// The user `id`.
    async fn user(&self, id: i64) -> Result<Option<User>, StoreError>;

    /// The user with `phone`.
    async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, StoreError>;

    /// A page of users, newest first, and how many match.
    async fn users_page(&self, filter: UserFilter, offset: u64, limit: u64) -> Result<(Vec<User>, u64), StoreError>;

    /// Sets a user's status and their own tag's, in one transaction.
    async fn set_user_status(&self, id: i64, status: &str, tag_status: &str) -> Result<User, StoreError>;
}
