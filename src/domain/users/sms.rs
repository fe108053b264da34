//! Sign-in codes sent by SMS: six digits, valid five minutes, kept only as a keyed hash in the
//! shared store (`kv`, so any node can check them); at most one per phone per minute and ten per
//! day; five wrong tries burn the code; a code signs in once.

use super::keyed_hash;
use super::phone::Phone;
use crate::kv::{Kv, KvError};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// A phone's codes at most one per this, by default.
pub const RESEND_AFTER: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
pub const MAX_PER_DAY: i64 = 10;
pub const MAX_TRIES: i64 = 5;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    Login,
}

impl Purpose {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "register" => Some(Purpose::Register),
            "login" => Some(Purpose::Login),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Login => "login",
        }
    }
}

/// Why a code was not sent or not taken.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("a code was sent to this phone a moment ago: wait a minute")]
    TooSoon,
    #[error("this phone has had {MAX_PER_DAY} codes today")]
    DailyLimit,
    #[error("the code is wrong, or it has expired")]
    WrongCode,
    #[error("too many wrong tries: ask for a new code")]
    Burned,
    #[error("the SMS could not be sent: {0}")]
    Send(String),
    #[error(transparent)]
    Kv(#[from] KvError),
}

/// Sends a text to a phone.
pub trait SmsSender: Send + Sync + fmt::Debug {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// Logs each text instead of sending it (the default: development and the demo).
#[derive(Debug, Default)]
pub struct ConsoleSender;

impl SmsSender for ConsoleSender {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        tracing::info!("SMS to {phone}: {text}");
        Box::pin(async { Ok(()) })
    }
}

/// Sign-in codes.
#[derive(Debug, Clone)]
pub struct SmsCodes {
    kv: Kv,
    sender: Arc<dyn SmsSender>,
    /// The key of the codes' hashes: the same on every node.
    key: Arc<[u8]>,
    resend_after: Duration,
}

impl SmsCodes {
    pub fn new(kv: Kv, sender: Arc<dyn SmsSender>, key: &[u8]) -> Self {
        SmsCodes { kv, sender, key: key.into(), resend_after: RESEND_AFTER }
    }

    /// One code per phone per `interval` at most (instead of a minute).
    pub fn resend_after(self, interval: Duration) -> Self {
        SmsCodes { resend_after: interval, ..self }
    }

    /// Sends a new code for `purpose` to `phone` (replacing an earlier one).
    pub async fn send(&self, phone: &Phone, purpose: Purpose) -> Result<(), SmsError> {
        if !self.resend_after.is_zero()
            && !self.kv.set_new(&format!("sms:sent:{phone}"), "1", self.resend_after).await?
        {
            return Err(SmsError::TooSoon);
        }
        if self.kv.count(&format!("sms:day:{phone}"), DAY).await? > MAX_PER_DAY {
            return Err(SmsError::DailyLimit);
        }
        let code = six_digits();
        let (key, hash) = (self.code_key(phone, purpose), self.hash(phone, purpose, &code));
        self.kv.set(&key, &hash, CODE_TTL).await?;
        self.kv.delete(&self.tries_key(phone, purpose)).await?;
        // The text only: the code is never logged elsewhere.
        let Err(failed) = self.sender.send(phone, &code).await else { return Ok(()) };
        // Not sent, so not kept: the code is forgotten (an earlier one was replaced, as it
        // would have been) and the phone may ask again at once; the day's count stands, which
        // bounds how often a failing gateway is tried.
        self.kv.delete_if(&key, &hash).await?;
        if !self.resend_after.is_zero() {
            self.kv.delete(&format!("sms:sent:{phone}")).await?;
        }
        Err(SmsError::Send(failed))
    }

    /// Takes `code` for `purpose` from `phone`: once, and only within five tries.
    pub async fn take(&self, phone: &Phone, purpose: Purpose, code: &str) -> Result<(), SmsError> {
        let key = self.code_key(phone, purpose);
        let Some(stored) = self.kv.get(&key).await? else { return Err(SmsError::WrongCode) };
        if self.kv.count(&self.tries_key(phone, purpose), CODE_TTL).await? > MAX_TRIES {
            self.kv.delete(&key).await?;
            return Err(SmsError::Burned);
        }
        let given = self.hash(phone, purpose, code.trim());
        if !bool::from(given.as_bytes().ct_eq(stored.as_bytes())) {
            return Err(SmsError::WrongCode);
        }
        // Once: of two taking the same code at once, one deletes it.
        if !self.kv.delete_if(&key, &stored).await? {
            return Err(SmsError::WrongCode);
        }
        Ok(())
    }

    fn code_key(&self, phone: &Phone, purpose: Purpose) -> String {
        format!("sms:code:{}:{phone}", purpose.as_str())
    }

    fn tries_key(&self, phone: &Phone, purpose: Purpose) -> String {
        format!("sms:tries:{}:{phone}", purpose.as_str())
    }

    fn hash(&self, phone: &Phone, purpose: Purpose, code: &str) -> String {
        keyed_hash(&self.key, &[phone.as_str().as_bytes(), purpose.as_str().as_bytes(), code.as_bytes()])
    }
}

/// Six random digits, uniformly (draws beyond the last whole million are thrown back).
fn six_digits() -> String {
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let n = OsRng.next_u32();
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

#[cfg(test)]
#[path = "sms_tests.rs"]
mod tests;
