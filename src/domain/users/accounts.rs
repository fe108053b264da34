//! Accounts: registering and signing in with a code sent by SMS, the token that says who is
//! calling, and the profile.

use super::caller::{Identities, Identity};
use super::id_card::{IdCardError, ResidentId};
use super::phone::{Phone, PhoneError};
use super::real_name::{self, RealNameVerifier};
use super::records::{NewUser, ProfileChange, RealName};
use super::sms::{Purpose, SmsCodes, SmsError};
use super::tokens::{TokenError, Tokens};
use crate::domain::ids::IdTag;
use crate::domain::storage::StoreError;
use crate::domain::storage::Subject;
use crate::domain::users::UserStore;
use crate::domain::users::records::{Card, User};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use std::sync::Arc;
use std::time::Instant;

/// A user's role.
pub const USER: &str = "user";
pub const OPERATOR: &str = "operator";
pub const ADMIN: &str = "admin";
/// A user's status.
pub const DISABLED: &str = "disabled";

/// Why an account call was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error("purpose: {0:?} is not register or login")]
    Purpose(String),
    #[error(transparent)]
    Sms(#[from] SmsError),
    #[error("this phone is registered already")]
    AlreadyRegistered,
    #[error("no user has this phone")]
    NotRegistered,
    #[error("this user is disabled")]
    Disabled,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("realName: 2 to 30 letters")]
    Name,
    #[error(transparent)]
    IdCard(#[from] IdCardError),
    #[error("the name does not match the identity number")]
    Mismatch,
    #[error("the real-name check could not be made: {0}")]
    Verifier(String),
    #[error("the real name is verified already")]
    AlreadyVerified,
    #[error("idTag: {0:?} is not 1 to 20 printable ASCII characters")]
    Card(String),
    #[error("this card is bound already")]
    CardTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user signed in, and their token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub user: User,
}

/// The accounts service.
#[derive(Debug, Clone)]
pub struct Users {
    store: Arc<dyn UserStore>,
    codes: SmsCodes,
    tokens: Tokens,
    verifier: Arc<dyn RealNameVerifier>,
    /// The key of the identity numbers' hashes: the same on every node.
    id_key: Arc<[u8]>,
    /// Who tokens name, recently read (`identity.rs`).
    identities: Arc<Identities>,
}

impl Users {
    pub fn new(
        store: Arc<dyn UserStore>,
        codes: SmsCodes,
        tokens: Tokens,
        verifier: Arc<dyn RealNameVerifier>,
        id_key: &[u8],
    ) -> Self {
        Users { store, codes, tokens, verifier, id_key: id_key.into(), identities: Arc::default() }
    }

    /// Checks and records user `id`'s real name, once: the number passes the local check
    /// (`id_card`, as of today in China), then the verifier; only its masked form and keyed
    /// hash are kept.
    pub async fn verify_real_name(&self, id: i64, name: &str, id_card: &str) -> Result<User, AccountError> {
        let name = real_name::real_name(name).ok_or(AccountError::Name)?;
        let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
        let card = ResidentId::parse(id_card, today)?;
        match self.verifier.verify(&name, &card).await {
            Ok(true) => {}
            Ok(false) => return Err(AccountError::Mismatch),
            Err(e) => return Err(AccountError::Verifier(e)),
        }
        let real = RealName {
            name,
            id_card_masked: card.masked(),
            id_card_hash: real_name::id_card_hash(&self.id_key, &card),
        };
        match self.store.set_real_name(id, real).await {
            Err(StoreError::Conflict(_)) => Err(AccountError::AlreadyVerified),
            other => Ok(other?),
        }
    }

    /// Sends a code for `purpose` (`register` or `login`) to `phone`.
    pub async fn send_code(&self, phone: &str, purpose: &str) -> Result<(), AccountError> {
        let phone = Phone::parse(phone)?;
        let purpose = Purpose::parse(purpose).ok_or_else(|| AccountError::Purpose(purpose.to_owned()))?;
        Ok(self.codes.send(&phone, purpose).await?)
    }

    /// Registers `phone` with a register code: nickname `用户` and the phone's last four
    /// digits, and an id tag of the user's own.
    pub async fn register(&self, phone: &str, code: &str) -> Result<SignedIn, AccountError> {
        let phone = Phone::parse(phone)?;
        // Told before the code is used up.
        if self.store.user_by_phone(phone.as_str()).await?.is_some() {
            return Err(AccountError::AlreadyRegistered);
        }
        self.codes.take(&phone, Purpose::Register, code).await?;
        let user = match self.store.create_user(new_user(&phone, USER)).await {
            Err(StoreError::Conflict(_)) => return Err(AccountError::AlreadyRegistered),
            other => other?,
        };
        self.signed_in(user)
    }

    /// Signs `phone` in with a login code.
    pub async fn login(&self, phone: &str, code: &str) -> Result<SignedIn, AccountError> {
        let phone = Phone::parse(phone)?;
        self.codes.take(&phone, Purpose::Login, code).await?;
        let user = self.store.user_by_phone(phone.as_str()).await?.ok_or(AccountError::NotRegistered)?;
        if user.status == DISABLED {
            return Err(AccountError::Disabled);
        }
        self.signed_in(user)
    }

    /// Who a sign-in token names: a valid token of a user who exists and is not disabled.
    pub async fn identify(&self, token: &str) -> Result<Identity, AccountError> {
        let claims = self.tokens.check(token)?;
        let id = claims.sub.parse::<i64>().map_err(|_| TokenError)?;
        let now = Instant::now();
        let identity = match self.identities.fresh(id, now) {
            Some(known) => known,
            None => {
                let user = self.store.user(id).await?.ok_or(TokenError)?;
                if user.status == DISABLED {
                    return Err(AccountError::Disabled);
                }
                let identity: Identity = (&user).into();
                self.identities.keep(identity.clone(), now);
                identity
            }
        };
        // Signed out since it was issued (on another node: within `FRESH_FOR`).
        if identity.token_version != claims.ver {
            return Err(TokenError.into());
        }
        Ok(identity)
    }

    /// Signs `who` out everywhere: every token issued to them so far is refused from now on.
    pub async fn sign_out(&self, who: &Identity) -> Result<(), AccountError> {
        self.store.raise_token_version(who.id).await?;
        self.identities.forget(who.id);
        Ok(())
    }

    /// The signed-in user as stored now (their balance, their profile).
    pub async fn me(&self, who: &Identity) -> Result<User, AccountError> {
        Ok(self.find(who.id).await?.ok_or(TokenError)?)
    }

    /// Binds an RFID card (its id tag) to `user`: the card's group is the user's own tag, so it
    /// is accepted, blocked or expired with the user's, and its sessions are the user's.
    pub async fn bind_card(&self, user: &Identity, card: &str) -> Result<Card, AccountError> {
        let card = card.trim();
        // 1.6's idTag: at most 20 characters (CiString20Type), printable ASCII.
        if card.is_empty() || card.len() > 20 || !card.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AccountError::Card(card.to_owned()));
        }
        let card = IdTag::parse(card).map_err(|_| AccountError::Card(card.to_owned()))?;
        match self.store.create_id_tag(&card, "Accepted", None, Some(user.id_tag.clone())).await {
            Err(StoreError::Conflict(_)) => Err(AccountError::CardTaken),
            other => Ok(other?),
        }
    }

    /// A page of the cards bound to `user`, and how many there are.
    pub async fn cards(&self, user: &Identity, offset: u64, limit: u64) -> Result<(Vec<Card>, u64), AccountError> {
        Ok(self.store.id_tags_of(&user.id_tag, offset, limit).await?)
    }

    /// Unbinds (and forgets) a card of `user`; `NotFound` when it is not theirs.
    pub async fn unbind_card(&self, user: &Identity, card: &IdTag) -> Result<(), AccountError> {
        if self.store.delete_id_tag_of(card, &user.id_tag).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound(Subject::Card).into())
        }
    }

    /// Changes a user's nickname or avatar.
    pub async fn change_profile(&self, id: i64, change: ProfileChange) -> Result<User, AccountError> {
        Ok(self.store.change_profile(id, change).await?)
    }

    /// The store, for the staff's calls (`staff.rs`).
    pub(super) fn store(&self) -> &dyn UserStore {
        self.store.as_ref()
    }

    pub(super) fn identities(&self) -> &Identities {
        &self.identities
    }

    fn signed_in(&self, user: User) -> Result<SignedIn, AccountError> {
        Ok(SignedIn { token: self.tokens.issue(user.id, &user.role, user.token_version)?, user })
    }
}

/// Makes the user with `phone` an admin, creating them if they are not registered (the first
/// admin, from the command line); whether they were created.
pub async fn make_admin(store: &dyn UserStore, phone: &str) -> Result<(User, bool), AccountError> {
    let phone = Phone::parse(phone)?;
    if let Some(user) = store.user_by_phone(phone.as_str()).await? {
        return Ok((store.set_role(user.id, ADMIN).await?, false));
    }
    Ok((store.create_user(new_user(&phone, ADMIN)).await?, true))
}

/// Whether a role may use the operator API.
pub fn operates(role: &str) -> bool {
    role == OPERATOR || role == ADMIN
}

/// A new user of `phone` with `role`: nickname `用户` and the phone's last four digits, and an
/// id tag of their own.
fn new_user(phone: &Phone, role: &str) -> NewUser {
    NewUser {
        phone: phone.to_string(),
        nickname: format!("用户{}", phone.last_four()),
        role: role.to_owned(),
        id_tag: own_tag(),
    }
}

/// A new user's id tag: `APP` and 17 random upper-case hex digits (20 characters, 1.6's most).
fn own_tag() -> IdTag {
    let mut bytes = [0u8; 9];
    OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    IdTag::generated(format!("APP{}", &hex[..17]))
}
