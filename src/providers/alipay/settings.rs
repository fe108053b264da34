//! `[payments.alipay]`: Alipay's settings, as config/default.toml documents them. Keys are PEM
//! text, bare base64 DER, or the path of a file holding either; private ones are never printed.

use crate::config::{ProviderMode, ProviderSettings, redact};
use serde::Deserialize;
use std::fmt;

/// `[payments.alipay]`: the Alipay open API.
#[derive(Clone, Deserialize)]
pub struct AlipaySettings {
    pub mode: ProviderMode,
    /// Empty: `https://openapi.alipay.com/gateway.do` live, csms's `/sandbox/alipay/gateway.do`
    /// in the sandbox.
    pub base_url: String,
    pub app_id: String,
    pub app_private_key: String,
    pub alipay_public_key: String,
}

/// Its settings read from the environment as text exactly as written (a merchant id like
/// `1230000109` must not become a number).
pub(super) const TEXT_VARIABLES: [(&str, &str); 4] = [
    ("CSMS__PAYMENTS__ALIPAY__BASE_URL", "payments.alipay.base_url"),
    ("CSMS__PAYMENTS__ALIPAY__APP_ID", "payments.alipay.app_id"),
    ("CSMS__PAYMENTS__ALIPAY__APP_PRIVATE_KEY", "payments.alipay.app_private_key"),
    ("CSMS__PAYMENTS__ALIPAY__ALIPAY_PUBLIC_KEY", "payments.alipay.alipay_public_key"),
];

impl ProviderSettings for AlipaySettings {
    fn mode(&self) -> ProviderMode {
        self.mode
    }

    fn clone_box(&self) -> Box<dyn ProviderSettings> {
        Box::new(self.clone())
    }
}

impl fmt::Debug for AlipaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlipaySettings")
            .field("mode", &self.mode)
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("app_private_key", &redact(&self.app_private_key))
            .finish_non_exhaustive()
    }
}
