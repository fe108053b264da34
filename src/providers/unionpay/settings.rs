//! `[payments.unionpay]`: UnionPay's settings, as config/default.toml documents them. Keys are PEM
//! text, bare base64 DER, or the path of a file holding either; private ones are never printed.

use crate::config::{ProviderMode, ProviderSettings, redact};
use serde::Deserialize;
use std::fmt;

/// `[payments.unionpay]`: UnionPay online payments, version 5.1.0.
#[derive(Clone, Deserialize)]
pub struct UnionPaySettings {
    pub mode: ProviderMode,
    /// Empty: `https://gateway.95516.com` live, csms's `/sandbox/unionpay` in the sandbox.
    pub base_url: String,
    pub mer_id: String,
    /// The serial of the merchant's signing certificate, sent as `certId`.
    pub sign_cert_id: String,
    pub sign_private_key: String,
    /// UnionPay's key that signs its answers and notifications.
    pub verify_public_key: String,
}

/// Its settings read from the environment as text exactly as written (a merchant id like
/// `1230000109` must not become a number).
pub(super) const TEXT_VARIABLES: [(&str, &str); 5] = [
    ("CSMS__PAYMENTS__UNIONPAY__BASE_URL", "payments.unionpay.base_url"),
    ("CSMS__PAYMENTS__UNIONPAY__MER_ID", "payments.unionpay.mer_id"),
    ("CSMS__PAYMENTS__UNIONPAY__SIGN_CERT_ID", "payments.unionpay.sign_cert_id"),
    ("CSMS__PAYMENTS__UNIONPAY__SIGN_PRIVATE_KEY", "payments.unionpay.sign_private_key"),
    ("CSMS__PAYMENTS__UNIONPAY__VERIFY_PUBLIC_KEY", "payments.unionpay.verify_public_key"),
];

impl ProviderSettings for UnionPaySettings {
    fn mode(&self) -> ProviderMode {
        self.mode
    }

    fn clone_box(&self) -> Box<dyn ProviderSettings> {
        Box::new(self.clone())
    }
}

impl fmt::Debug for UnionPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnionPaySettings")
            .field("mode", &self.mode)
            .field("base_url", &self.base_url)
            .field("mer_id", &self.mer_id)
            .field("sign_cert_id", &self.sign_cert_id)
            .field("sign_private_key", &redact(&self.sign_private_key))
            .finish_non_exhaustive()
    }
}
