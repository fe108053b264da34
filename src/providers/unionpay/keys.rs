//! UnionPay's identifiers and keys as csms holds them once started: read from
//! `[payments.unionpay]` when live, made up where unset in the sandbox (see `providers::keys`).

use super::UnionPaySettings;
use crate::config::ProviderMode;
use crate::providers::keys::{Made, Pair, ProviderSetupError, own, text, theirs};

/// The sandbox's made keys: the merchant's signing key, UnionPay's.
static MADE: [Made; 2] = [const { Made::new() }; 2];

/// UnionPay, as configured.
#[derive(Debug, Clone)]
pub struct UnionPayKeys {
    pub mode: ProviderMode,
    pub base_url: String,
    pub mer_id: String,
    pub sign_cert_id: String,
    pub merchant: Pair,
    /// UnionPay's verification key; its private half only in the sandbox.
    pub unionpay: Pair,
}

impl UnionPayKeys {
    /// Reads (live) or makes (sandbox) UnionPay's keys.
    pub fn load(u: &UnionPaySettings) -> Result<Self, ProviderSetupError> {
        Ok(UnionPayKeys {
            mode: u.mode,
            base_url: u.base_url.trim().to_owned(),
            mer_id: text(u.mode, "payments.unionpay.mer_id", &u.mer_id, "777290058110048")?,
            sign_cert_id: text(u.mode, "payments.unionpay.sign_cert_id", &u.sign_cert_id, "69629715588")?,
            merchant: own(u.mode, "payments.unionpay.sign_private_key", &u.sign_private_key, &MADE[0])?,
            unionpay: theirs(u.mode, "payments.unionpay.verify_public_key", &u.verify_public_key, &MADE[1])?,
        })
    }
}
