//! What the store keeps of users.

/// A user to create, with their own id tag (created with them).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub phone: String,
    pub nickname: String,
    /// `user`, `operator` or `admin`.
    pub role: String,
    pub id_tag: String,
}

/// A real-name check passed: what is kept of it.
#[derive(Debug, Clone)]
pub struct RealName {
    pub name: String,
    pub id_card_masked: String,
    pub id_card_hash: String,
}

/// A change of a user's profile: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub nickname: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar: Option<Option<String>>,
}
