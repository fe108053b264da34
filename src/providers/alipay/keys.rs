//! Alipay's identifiers and keys as csms holds them once started: read from `[payments.alipay]`
//! when live, made up where unset in the sandbox (see `providers::keys`).

use super::AlipaySettings;
use crate::config::ProviderMode;
use crate::providers::keys::{Made, Pair, ProviderSetupError, own, text, theirs};

/// The sandbox's made keys: the app's, Alipay's.
static MADE: [Made; 2] = [const { Made::new() }; 2];

/// Alipay, as configured.
#[derive(Debug, Clone)]
pub struct AlipayKeys {
    pub mode: ProviderMode,
    pub base_url: String,
    pub app_id: String,
    pub app: Pair,
    /// Alipay's key; its private half only in the sandbox.
    pub alipay: Pair,
}

impl AlipayKeys {
    /// Reads (live) or makes (sandbox) Alipay's keys.
    pub fn load(a: &AlipaySettings) -> Result<Self, ProviderSetupError> {
        Ok(AlipayKeys {
            mode: a.mode,
            base_url: a.base_url.trim().to_owned(),
            app_id: text(a.mode, "payments.alipay.app_id", &a.app_id, "2021000000000000")?,
            app: own(a.mode, "payments.alipay.app_private_key", &a.app_private_key, &MADE[0])?,
            alipay: theirs(a.mode, "payments.alipay.alipay_public_key", &a.alipay_public_key, &MADE[1])?,
        })
    }
}
