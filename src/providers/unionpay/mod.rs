//! UnionPay online payments 5.1.0 — one folder: its gateway (`gateway`, `refund`, `answer`), its
//! signatures (`signing`), its notifications and their answer (`notice`), its settings and keys
//! (`settings`, `keys`) and, with the `sandbox` feature, its stand-in (`sandbox`,
//! `sandbox_refunds`). Registered in `crate::providers::ALL` by `ENTRY`.

mod answer;
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

pub use gateway::{LIVE_BASE, UnionPay};
pub use keys::UnionPayKeys;
#[cfg(feature = "sandbox")]
pub use sandbox::UnionPaySandbox;
pub use settings::UnionPaySettings;

use super::http::{CALL_TIMEOUT, base};
use super::keys::ProviderSetupError;
use super::{Entry, Provider, section};
use crate::config::{ProviderMode, read_section};
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::CallLog;
use crate::domain::payments::gateway::GatewayError;
use crate::domain::payments::records::{Method, ProviderName};
use std::sync::Arc;

/// Its name: its method's stored text, `[payments.unionpay]`, `/api/v1/payments/notify/unionpay`.
pub const NAME: ProviderName = ProviderName::new("unionpay");
/// The method it serves.
pub(crate) const METHOD: Method = Method::Provider(NAME);

/// UnionPay in the list of providers.
pub const ENTRY: Entry = Entry {
    name: NAME,
    settings: read_section::<UnionPaySettings>,
    text_variables: &settings::TEXT_VARIABLES,
    load: |settings| -> Result<Box<dyn Provider>, ProviderSetupError> {
        Ok(Box::new(UnionPayKeys::load(section(settings, NAME)?)?))
    },
};

impl Provider for UnionPayKeys {
    fn method(&self) -> Method {
        METHOD
    }

    fn mode(&self) -> ProviderMode {
        self.mode
    }

    fn gateway(&self, local: &str, log: &CallLog) -> Result<Arc<dyn PaymentProvider>, GatewayError> {
        let base = base(&self.base_url, self.mode, LIVE_BASE, local, "/sandbox/unionpay");
        Ok(Arc::new(UnionPay::new(self.clone(), &base, CALL_TIMEOUT)?.with_log(log.clone())))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, public_base: &str) -> Result<axum::Router, crate::http_client::SetupError> {
        let sandbox = UnionPaySandbox::new(self.clone(), public_base).map_err(|e| {
            crate::http_client::SetupError::Client { setting: "payments.unionpay (sandbox)", reason: e.to_string() }
        })?;
        Ok(sandbox_router(sandbox))
    }
}

/// The stand-in's routes: its payments (`sandbox`) and refunds (`sandbox_refunds`).
#[cfg(feature = "sandbox")]
fn sandbox_router(sandbox: UnionPaySandbox) -> axum::Router {
    use axum::routing::post;
    axum::Router::new()
        .route("/sandbox/unionpay/gateway/api/backTransReq.do", post(sandbox::back_trans))
        .route("/sandbox/unionpay/gateway/api/queryTrans.do", post(sandbox::query_trans))
        .route("/sandbox/unionpay/pay/{no}", post(sandbox::pay))
        .route("/sandbox/unionpay/refund-script/{no}", post(sandbox_refunds::script))
        .with_state(sandbox)
}
