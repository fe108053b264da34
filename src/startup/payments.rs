//! The payments service as `startup` builds it: the providers that are on, their gateways (each
//! call logged), and what the payments' background work needs.

use super::StartupError;
use crate::config::Settings;
use crate::domain::events::DomainEvents;
use crate::domain::monitoring::Alarms;
use crate::domain::payments::calls::CallLog;
use crate::domain::payments::{PaymentProviders, Payments, ProviderSetup};
use crate::http_client::SetupError;
use crate::providers::keys::public_base;
use crate::providers::{self, Providers};
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The payments service and the providers that are on, notified at `payments.notify_base_url`
/// (else at csms's own `http_addr`).
pub(super) fn payments(
    settings: &Settings,
    http_addr: SocketAddr,
    providers: &Providers,
    store: &Store,
    (events, alarms): (&DomainEvents, Alarms),
) -> Result<(Payments, PaymentProviders), StartupError> {
    let call_log = CallLog::new(store.clone());
    let public = public_base(&settings.payments.notify_base_url, http_addr);
    let gateways = providers
        .gateways(&public_base("", http_addr), &call_log)
        .map_err(|e| SetupError::Client { setting: "payments", reason: e.to_string() })?;
    let setup = ProviderSetup {
        public_base: public,
        close_after: Duration::from_secs(settings.payments.close_after_minutes.saturating_mul(60)),
        reconcile_every: Duration::from_secs(settings.payments.reconcile_interval_s.max(1)),
        refund_retry: Duration::from_secs(settings.payments.refund_retry_s.max(1)),
        log: call_log,
        methods: providers::METHODS,
    };
    let payment_providers = PaymentProviders::new(gateways.clone());
    let payments = Payments::new(Arc::new(store.clone()), gateways, events.clone(), alarms, setup);
    Ok((payments, payment_providers))
}
