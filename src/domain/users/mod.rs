//! Drivers and staff: who they are (a mainland mobile number), the codes they sign in with, and
//! the real-name check of a resident identity card.

pub mod accounts;
pub mod caller;
pub mod id_card;
pub mod phone;
mod port;
pub mod real_name;
pub mod real_name_http;
pub mod records;
pub mod sms;
pub mod sms_http;
pub mod staff;
pub mod tokens;

pub use accounts::{AccountError, SignedIn, Users};
pub use caller::{FRESH_FOR, Identity};
pub use id_card::{IdCardError, ResidentId};
pub use phone::{Phone, PhoneError};
pub use port::UserStore;
pub use real_name::{LocalCheck, RealNameVerifier};
pub use real_name_http::HttpRealNameVerifier;
pub use sms::{ConsoleSender, Purpose, SmsCodes, SmsError, SmsSender};
pub use sms_http::HttpSmsSender;
pub use tokens::{Claims, TokenError, Tokens};

use sha2::{Digest, Sha256};

/// Hex SHA-256 over `key` and `parts`, each preceded by its length (no two lists of parts give
/// the same input): how codes and identity numbers are kept.
fn keyed_hash(key: &[u8], parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for part in std::iter::once(key).chain(parts.iter().copied()) {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
