//! Drivers and staff: who they are (a mainland mobile number), the codes they sign in with, and
//! the real-name check of a resident identity card.

pub mod accounts;
pub mod id_card;
pub mod phone;
pub mod real_name;
pub mod records;
pub mod sms;
pub mod tokens;

pub use accounts::{AccountError, SignedIn, Users};
pub use id_card::{IdCardError, ResidentId};
pub use phone::{Phone, PhoneError};
pub use real_name::{LocalCheck, RealNameVerifier};
pub use sms::{ConsoleSender, Purpose, SmsCodes, SmsError, SmsSender};
pub use tokens::{Claims, TokenError, Tokens};
