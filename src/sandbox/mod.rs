//! Stand-ins for the payment providers, served by csms itself under `/sandbox/{provider}/…` for
//! each provider whose `payments.<provider>.mode` is `sandbox`: the same API as the provider, the
//! merchant's signatures checked and its own answers and notifications signed as the provider
//! does, so that the gateways' code runs unchanged against them. Payments live in memory (one
//! node's), which is what a sandbox needs.

pub mod alipay;
mod alipay_refunds;
mod payer;
mod script;
pub mod unionpay;
mod unionpay_refunds;
pub mod wechat;
mod wechat_refunds;

pub use alipay::AlipaySandbox;
pub use unionpay::UnionPaySandbox;
pub use wechat::WechatSandbox;

use crate::config::ProviderMode;
use crate::domain::payments::providers::ProviderKeys;
use crate::http_client::SetupError;
use axum::Router;

/// The routes of every provider in sandbox mode (none for a live one), answering payers at
/// `public_base` (csms's address as payers and providers reach it).
pub fn router(keys: &ProviderKeys, public_base: &str) -> Result<Router, SetupError> {
    let mut routes = Router::new();
    if keys.wechat.mode == ProviderMode::Sandbox {
        let sandbox = WechatSandbox::new(keys.wechat.clone(), public_base)
            .map_err(|e| SetupError::Client { setting: "payments.wechat (sandbox)", reason: e.to_string() })?;
        routes = routes.merge(sandbox.router());
    }
    if keys.alipay.mode == ProviderMode::Sandbox {
        let sandbox = AlipaySandbox::new(keys.alipay.clone(), public_base)
            .map_err(|e| SetupError::Client { setting: "payments.alipay (sandbox)", reason: e.to_string() })?;
        routes = routes.merge(sandbox.router());
    }
    if keys.unionpay.mode == ProviderMode::Sandbox {
        let sandbox = UnionPaySandbox::new(keys.unionpay.clone(), public_base)
            .map_err(|e| SetupError::Client { setting: "payments.unionpay (sandbox)", reason: e.to_string() })?;
        routes = routes.merge(sandbox.router());
    }
    Ok(routes)
}
