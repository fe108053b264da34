//! Alipay's open API (face-to-face precreate, RSA2) — one folder: its gateway (`gateway`, `refund`), its
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

pub use gateway::{AlipayPay, LIVE_BASE};
pub use keys::AlipayKeys;
#[cfg(feature = "sandbox")]
pub use sandbox::AlipaySandbox;
pub use settings::AlipaySettings;

use super::http::{CALL_TIMEOUT, base};
use super::keys::ProviderSetupError;
use super::{Entry, Provider, section};
use crate::config::{ProviderMode, read_section};
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::CallLog;
use crate::domain::payments::gateway::GatewayError;
use crate::domain::payments::records::{Method, ProviderName};
use std::sync::Arc;

/// Its name: its method's stored text, `[payments.alipay]`, `/api/v1/payments/notify/alipay`.
pub const NAME: ProviderName = ProviderName::new("alipay");
/// The method it serves.
pub(crate) const METHOD: Method = Method::Provider(NAME);

/// Alipay in the list of providers.
pub const ENTRY: Entry = Entry {
    name: NAME,
    settings: read_section::<AlipaySettings>,
    text_variables: &settings::TEXT_VARIABLES,
    load: |settings| -> Result<Box<dyn Provider>, ProviderSetupError> {
        Ok(Box::new(AlipayKeys::load(section(settings, NAME)?)?))
    },
};

impl Provider for AlipayKeys {
    fn method(&self) -> Method {
        METHOD
    }

    fn mode(&self) -> ProviderMode {
        self.mode
    }

    fn gateway(&self, local: &str, log: &CallLog) -> Result<Arc<dyn PaymentProvider>, GatewayError> {
        let base = base(&self.base_url, self.mode, LIVE_BASE, local, "/sandbox/alipay/gateway.do");
        Ok(Arc::new(AlipayPay::new(self.clone(), &base, CALL_TIMEOUT)?.with_log(log.clone())))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, public_base: &str) -> Result<axum::Router, crate::http_client::SetupError> {
        let sandbox = AlipaySandbox::new(self.clone(), public_base).map_err(|e| {
            crate::http_client::SetupError::Client { setting: "payments.alipay (sandbox)", reason: e.to_string() }
        })?;
        Ok(sandbox_router(sandbox))
    }
}

/// The stand-in's routes: its payments (`sandbox`) and refunds (`sandbox_refunds`).
#[cfg(feature = "sandbox")]
fn sandbox_router(sandbox: AlipaySandbox) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/sandbox/alipay/gateway.do", post(sandbox::gateway))
        .route("/sandbox/alipay/pay/{no}", get(sandbox::scan).post(sandbox::pay))
        .route("/sandbox/alipay/refund-script/{no}", post(sandbox_refunds::script))
        .with_state(sandbox)
}
