//! What operators and admins do with users: find them, disable and re-enable them (a disabled
//! user can neither sign in nor charge: their own tag, and with it their cards, is blocked), and
//! — admins only — change roles.

use super::accounts::{ADMIN, AccountError, OPERATOR, USER, Users};
use super::caller::Identity;
use super::records::UserFilter;
use crate::domain::users::records::User;

/// A user's status as stored.
pub const ACTIVE: &str = "active";

/// A change an operator makes to a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub status: Option<String>,
    pub role: Option<String>,
}

/// Why a staff change was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("status: {0:?} is not active or disabled")]
    Status(String),
    #[error("role: {0:?} is not user, operator or admin")]
    Role(String),
    #[error("only an admin changes roles")]
    NotAdmin,
    #[error("you cannot disable or demote yourself")]
    Yourself,
    #[error("user {0} not found")]
    NotFound(i64),
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl Users {
    /// A page of users, newest first, filtered; and how many match.
    pub async fn list(&self, filter: UserFilter, offset: u64, limit: u64) -> Result<(Vec<User>, u64), AccountError> {
        Ok(self.store().users_page(filter, offset, limit).await?)
    }

    /// The user `id`.
    pub async fn find(&self, id: i64) -> Result<Option<User>, AccountError> {
        Ok(self.store().user(id).await?)
    }

    /// Changes a user's status or role on behalf of `by` (`None`: the operator token, which may
    /// change statuses but not roles).
    pub async fn change(&self, id: i64, change: UserChange, by: Option<&Identity>) -> Result<User, StaffError> {
        if let Some(status) = &change.status
            && status != ACTIVE
            && status != super::accounts::DISABLED
        {
            return Err(StaffError::Status(status.clone()));
        }
        if let Some(role) = &change.role {
            if ![USER, OPERATOR, ADMIN].contains(&role.as_str()) {
                return Err(StaffError::Role(role.clone()));
            }
            if by.is_none_or(|staff| staff.role != ADMIN) {
                return Err(StaffError::NotAdmin);
            }
        }
        if by.is_some_and(|staff| staff.id == id) {
            return Err(StaffError::Yourself);
        }
        let found = self.store().user(id).await.map_err(AccountError::from)?.ok_or(StaffError::NotFound(id))?;
        let mut changed = found;
        if let Some(role) = change.role {
            changed = self.store().set_role(id, &role).await.map_err(AccountError::from)?;
        }
        if let Some(status) = change.status {
            // The user's own tag goes with them: blocked while disabled, and with it their cards.
            let tag_status = if status == ACTIVE { "Accepted" } else { "Blocked" };
            changed = self.store().set_user_status(id, &status, tag_status).await.map_err(AccountError::from)?;
        }
        // This node's requests see the change at once (others' within caller::FRESH_FOR).
        self.identities().forget(id);
        Ok(changed)
    }
}
