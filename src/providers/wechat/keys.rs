//! WeChat Pay's identifiers and keys as csms holds them once started: read from
//! `[payments.wechat]` when live, made up where unset in the sandbox (see `providers::keys`).

use super::WechatSettings;
use crate::config::ProviderMode;
use crate::providers::keys::{Made, Pair, ProviderSetupError, own, text, theirs};

/// The sandbox's made keys: the merchant's, WeChat's platform key.
static MADE: [Made; 2] = [const { Made::new() }; 2];

/// WeChat Pay, as configured.
#[derive(Debug, Clone)]
pub struct WechatKeys {
    pub mode: ProviderMode,
    pub base_url: String,
    pub mchid: String,
    pub appid: String,
    pub merchant_serial: String,
    /// The merchant's key (always with its private half).
    pub merchant: Pair,
    pub api_v3_key: String,
    pub platform_serial: String,
    /// WeChat's platform key; its private half only in the sandbox.
    pub platform: Pair,
}

impl WechatKeys {
    /// Reads (live) or makes (sandbox) WeChat Pay's keys.
    pub fn load(w: &WechatSettings) -> Result<Self, ProviderSetupError> {
        let api_v3_key = text(w.mode, "payments.wechat.api_v3_key", &w.api_v3_key, "csms-sandbox-apiv3-key-32-chars!")?;
        if api_v3_key.len() != 32 {
            return Err(ProviderSetupError::ApiV3Key);
        }
        Ok(WechatKeys {
            mode: w.mode,
            base_url: w.base_url.trim().to_owned(),
            mchid: text(w.mode, "payments.wechat.mchid", &w.mchid, "1900000001")?,
            appid: text(w.mode, "payments.wechat.appid", &w.appid, "wxcsmssandbox00001")?,
            merchant_serial: text(
                w.mode,
                "payments.wechat.merchant_serial",
                &w.merchant_serial,
                "CSMS-SANDBOX-MERCHANT",
            )?,
            merchant: own(w.mode, "payments.wechat.merchant_private_key", &w.merchant_private_key, &MADE[0])?,
            api_v3_key,
            platform_serial: text(
                w.mode,
                "payments.wechat.platform_serial",
                &w.platform_serial,
                "PUB_KEY_ID_CSMS_SANDBOX",
            )?,
            platform: theirs(w.mode, "payments.wechat.platform_public_key", &w.platform_public_key, &MADE[1])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PaymentSettings, Settings};
    use crate::providers::alipay::{AlipayKeys, AlipaySettings};
    use crate::providers::signing::test_keys::{MERCHANT_KEY, PROVIDER_PUB};
    use crate::providers::unionpay::{UnionPayKeys, UnionPaySettings};

    fn settings() -> PaymentSettings {
        Settings::defaults().expect("the embedded defaults").payments
    }

    /// Every provider's keys, as the sandboxes make them.
    struct ProviderKeys {
        wechat: WechatKeys,
        alipay: AlipayKeys,
        unionpay: UnionPayKeys,
    }

    impl ProviderKeys {
        fn load(s: &PaymentSettings) -> Result<Self, ProviderSetupError> {
            Ok(ProviderKeys {
                wechat: WechatKeys::load(s.section::<WechatSettings>().expect("wechat"))?,
                alipay: AlipayKeys::load(s.section::<AlipaySettings>().expect("alipay"))?,
                unionpay: UnionPayKeys::load(s.section::<UnionPaySettings>().expect("unionpay"))?,
            })
        }
    }

    #[test]
    fn sandboxes_need_nothing_configured_and_hold_both_sides_keys() {
        let keys = ProviderKeys::load(&settings()).unwrap();
        let w = &keys.wechat;
        assert!(w.merchant.private.is_some() && w.platform.private.is_some());
        let signature = w.platform.private.as_ref().unwrap().sign(b"notification");
        assert!(w.platform.public.verify(b"notification", &signature));
        assert_ne!(w.platform.public, w.merchant.public, "each side has its own key");
        assert_eq!(w.api_v3_key.len(), 32);
        assert_ne!(keys.alipay.app.public, keys.unionpay.merchant.public);
    }

    #[test]
    fn a_live_provider_refuses_to_start_naming_what_is_missing_or_unreadable() {
        let mut all = settings();
        let s = all.section_mut::<WechatSettings>().expect("wechat");
        s.mode = ProviderMode::Live;
        assert_eq!(WechatKeys::load(s).unwrap_err(), ProviderSetupError::Missing("payments.wechat.api_v3_key"));
        s.api_v3_key = "too short".into();
        assert_eq!(WechatKeys::load(s).unwrap_err(), ProviderSetupError::ApiV3Key);
        s.api_v3_key = "0123456789abcdef0123456789ABCDEF".into();
        assert_eq!(WechatKeys::load(s).unwrap_err(), ProviderSetupError::Missing("payments.wechat.mchid"));
        (s.mchid, s.appid, s.merchant_serial) = ("1230000109".into(), "wx1".into(), "5157F09E".into());
        s.merchant_private_key = "/no/such/key.pem".into();
        assert!(matches!(
            WechatKeys::load(s).unwrap_err(),
            ProviderSetupError::Key("payments.wechat.merchant_private_key", _)
        ));
        s.merchant_private_key = MERCHANT_KEY.into();
        assert_eq!(WechatKeys::load(s).unwrap_err(), ProviderSetupError::Missing("payments.wechat.platform_serial"));
        s.platform_serial = "PUB_KEY_ID_1".into();
        assert_eq!(
            WechatKeys::load(s).unwrap_err(),
            ProviderSetupError::Missing("payments.wechat.platform_public_key")
        );
        s.platform_public_key = PROVIDER_PUB.into();
        let keys = WechatKeys::load(s).unwrap();
        assert!(keys.platform.private.is_none(), "live: WeChat's private key is WeChat's");
    }
}
