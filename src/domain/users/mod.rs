//! Drivers and staff: who they are (a mainland mobile number), and the real-name check of a
//! resident identity card.

pub mod id_card;
pub mod phone;

pub use id_card::{IdCardError, ResidentId};
pub use phone::{Phone, PhoneError};
