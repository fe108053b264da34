//! `[payments.wechat]`: WeChat Pay's settings, as config/default.toml documents them. Keys are PEM
//! text, bare base64 DER, or the path of a file holding either; private ones are never printed.

use crate::config::{ProviderMode, ProviderSettings, redact};
use serde::Deserialize;
use std::fmt;

/// `[payments.wechat]`: WeChat Pay API v3.
#[derive(Clone, Deserialize)]
pub struct WechatSettings {
    pub mode: ProviderMode,
    /// Empty: `https://api.mch.weixin.qq.com` live, csms's `/sandbox/wechat` in the sandbox.
    pub base_url: String,
    pub mchid: String,
    pub appid: String,
    /// The serial number of the merchant's API certificate.
    pub merchant_serial: String,
    pub merchant_private_key: String,
    /// The APIv3 key (32 characters) that seals notifications' resources.
    pub api_v3_key: String,
    /// The serial of WeChat's platform key (a certificate serial, or `PUB_KEY_ID_…`).
    pub platform_serial: String,
    pub platform_public_key: String,
}

/// Its settings read from the environment as text exactly as written (a merchant id like
/// `1230000109` must not become a number).
pub(super) const TEXT_VARIABLES: [(&str, &str); 8] = [
    ("CSMS__PAYMENTS__WECHAT__BASE_URL", "payments.wechat.base_url"),
    ("CSMS__PAYMENTS__WECHAT__MCHID", "payments.wechat.mchid"),
    ("CSMS__PAYMENTS__WECHAT__APPID", "payments.wechat.appid"),
    ("CSMS__PAYMENTS__WECHAT__MERCHANT_SERIAL", "payments.wechat.merchant_serial"),
    ("CSMS__PAYMENTS__WECHAT__MERCHANT_PRIVATE_KEY", "payments.wechat.merchant_private_key"),
    ("CSMS__PAYMENTS__WECHAT__API_V3_KEY", "payments.wechat.api_v3_key"),
    ("CSMS__PAYMENTS__WECHAT__PLATFORM_SERIAL", "payments.wechat.platform_serial"),
    ("CSMS__PAYMENTS__WECHAT__PLATFORM_PUBLIC_KEY", "payments.wechat.platform_public_key"),
];

impl ProviderSettings for WechatSettings {
    fn mode(&self) -> ProviderMode {
        self.mode
    }

    fn clone_box(&self) -> Box<dyn ProviderSettings> {
        Box::new(self.clone())
    }
}

impl fmt::Debug for WechatSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatSettings")
            .field("mode", &self.mode)
            .field("base_url", &self.base_url)
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("merchant_serial", &self.merchant_serial)
            .field("merchant_private_key", &redact(&self.merchant_private_key))
            .field("api_v3_key", &redact(&self.api_v3_key))
            .field("platform_serial", &self.platform_serial)
            .finish_non_exhaustive()
    }
}
