//! WeChat Pay API v3 (Native payments) — one folder: its gateway (`gateway`, `refund`), its
//! signatures (`signing`), its notifications and their answer (`notice`), its settings and keys
//! (`settings`, `keys`) and, with the `sandbox` feature, its stand-in (`sandbox`,
//! `sandbox_refunds`). Registered in `crate::providers::ALL` by `ENTRY`.

mod gateway;
pub mod keys;
pub mod notice;
mod refund;
#[cfg(feature = "sandbox")]
pub mod sandbox;
#[cfg(feature = "sandbox")]
mod sandbox_refunds;
pub mod settings;
pub mod signing;

pub use gateway::{LIVE_BASE, WechatPay};
pub use keys::WechatKeys;
#[cfg(feature = "sandbox")]
pub use sandbox::WechatSandbox;
pub use settings::WechatSettings;

use super::http::{CALL_TIMEOUT, base};
use super::keys::ProviderSetupError;
use super::{Entry, Provider, section};
use crate::config::{ProviderMode, read_section};
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::CallLog;
use crate::domain::payments::gateway::GatewayError;
use crate::domain::payments::records::{Method, ProviderName};
use std::sync::Arc;

/// Its name: its method's stored text, `[payments.wechat]`, `/api/v1/payments/notify/wechat`.
pub const NAME: ProviderName = ProviderName::new("wechat");
/// The method it serves.
pub(crate) const METHOD: Method = Method::Provider(NAME);

/// Wechat in the list of providers.
pub const ENTRY: Entry = Entry {
    name: NAME,
    settings: read_section::<WechatSettings>,
    text_variables: &settings::TEXT_VARIABLES,
    load: |settings| -> Result<Box<dyn Provider>, ProviderSetupError> {
        Ok(Box::new(WechatKeys::load(section(settings, NAME)?)?))
    },
};

impl Provider for WechatKeys {
    fn method(&self) -> Method {
        METHOD
    }

    fn mode(&self) -> ProviderMode {
        self.mode
    }

    fn gateway(&self, local: &str, log: &CallLog) -> Result<Arc<dyn PaymentProvider>, GatewayError> {
        let base = base(&self.base_url, self.mode, LIVE_BASE, local, "/sandbox/wechat");
        Ok(Arc::new(WechatPay::new(self.clone(), &base, CALL_TIMEOUT)?.with_log(log.clone())))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, public_base: &str) -> Result<axum::Router, crate::http_client::SetupError> {
        let sandbox = WechatSandbox::new(self.clone(), public_base).map_err(|e| {
            crate::http_client::SetupError::Client { setting: "payments.wechat (sandbox)", reason: e.to_string() }
        })?;
        Ok(sandbox_router(sandbox))
    }
}

/// The stand-in's routes: its payments (`sandbox`) and refunds (`sandbox_refunds`).
#[cfg(feature = "sandbox")]
fn sandbox_router(sandbox: WechatSandbox) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/sandbox/wechat/v3/pay/transactions/native", post(sandbox::native))
        .route("/sandbox/wechat/v3/pay/transactions/out-trade-no/{no}", get(sandbox::query))
        .route("/sandbox/wechat/v3/pay/transactions/out-trade-no/{no}/close", post(sandbox::close))
        .route("/sandbox/wechat/v3/refund/domestic/refunds", post(sandbox_refunds::refund))
        .route("/sandbox/wechat/v3/refund/domestic/refunds/{no}", get(sandbox_refunds::query))
        .route("/sandbox/wechat/refund-script/{no}", post(sandbox_refunds::script))
        .route("/sandbox/wechat/pay/{no}", post(sandbox::pay))
        .with_state(sandbox)
}
