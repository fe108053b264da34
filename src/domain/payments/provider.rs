//! Payments through a provider: a top-up or an order's payment stored `PENDING`, opened at the
//! provider for a window of `close_after` (where the payer pays comes back as `payUrl`).

use super::calls::CallLog;
use super::gateway::ProviderPayment;
use super::records::{Method, Methods, NewProviderPayment};
use super::{PaymentError, PaymentView, Payments};
use crate::domain::ids::OrderNo;
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::parse_positive;
use crate::domain::orders::number::new_payment_no;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The most one top-up may add, in fen (10,000 yuan).
const MAX_TOP_UP_FEN: Fen = Fen(1_000_000);

/// How provider payments are run.
#[derive(Debug, Clone)]
pub struct ProviderSetup {
    /// Where providers call back and payers reach csms (`payments.notify_base_url`, or the HTTP
    /// listener's address).
    pub public_base: String,
    /// An unpaid payment is closed at its provider after this long; the provider is told the
    /// same window.
    pub close_after: Duration,
    /// How often pending payments are asked after at their provider.
    pub reconcile_every: Duration,
    /// The first wait before a refund is sent again or asked after again (doubling, at most an
    /// hour).
    pub refund_retry: Duration,
    /// Where notifications are kept (the gateways keep their own calls).
    pub log: CallLog,
    /// The methods csms knows (the registry's: `providers::METHODS`), against which a method's
    /// text is read.
    pub methods: Methods,
}

impl Default for ProviderSetup {
    fn default() -> Self {
        ProviderSetup {
            public_base: "http://127.0.0.1:8080".to_owned(),
            close_after: Duration::from_secs(15 * 60),
            reconcile_every: Duration::from_secs(60),
            refund_retry: Duration::from_secs(5),
            log: CallLog::default(),
            methods: Methods::default(),
        }
    }
}

impl Payments {
    /// Adds `amount` (yuan) to the signed-in driver's balance through a provider: the payment is
    /// `PENDING` with its `payUrl` until the provider says it is paid.
    pub async fn top_up(&self, user_id: i64, amount: &str, method: &str) -> Result<PaymentView, PaymentError> {
        let amount_fen = parse_positive(amount, "amount")?;
        if amount_fen > MAX_TOP_UP_FEN {
            return Err(PaymentError::Invalid { field: "amount", message: "at most 10000.00 at a time".into() });
        }
        let methods = self.setup.methods;
        let method = match methods.parse(method) {
            Some(Method::Balance) => {
                return Err(PaymentError::Invalid {
                    field: "method",
                    message: format!("the balance is topped up through {}", methods.listed(false)),
                });
            }
            Some(method) => method,
            None => {
                return Err(PaymentError::Invalid {
                    field: "method",
                    message: format!("{method:?} is not {}", methods.listed(false)),
                });
            }
        };
        self.open_at_provider(user_id, None, method, amount_fen, "csms balance top-up".to_owned()).await
    }

    /// Stores a payment `PENDING`, then opens it at the provider. When the provider cannot
    /// open it the payment is `FAILED` (a notification that comes anyway is still taken).
    pub(super) async fn open_at_provider(
        &self,
        user_id: i64,
        order_no: Option<&OrderNo>,
        method: Method,
        amount_fen: Fen,
        description: String,
    ) -> Result<PaymentView, PaymentError> {
        let gateway = self.gateway(method)?.clone();
        let now = Utc::now();
        let payment_no = new_payment_no(now);
        let expires_at = window_end(now, self.setup.close_after);
        let new = NewProviderPayment {
            payment_no: payment_no.clone(),
            user_id,
            order_no: order_no.cloned(),
            method,
            amount_fen,
            expires_at,
        };
        let stored = self.store.open_provider_payment(new).await?;
        let asked = ProviderPayment {
            payment_no: payment_no.clone(),
            amount_fen,
            description,
            notify_url: self.notify_url(method),
            expires_at,
        };
        match gateway.create(asked).await {
            Ok(opened) => {
                self.store.set_pay_url(&payment_no, &opened.pay_url).await?;
                let mut view = PaymentView::from(stored);
                view.pay_url = Some(opened.pay_url);
                Ok(view)
            }
            Err(e) => {
                tracing::warn!(payment = %payment_no, provider = method.as_str(), error = %e, "payments: the provider did not open the payment");
                self.store.end_pending_payment(&payment_no, super::stored::PaymentState::Failed).await?;
                metrics::counter!(crate::metrics::PAYMENTS, "method" => method.as_str(), "outcome" => "failed")
                    .increment(1);
                Err(PaymentError::Provider(e))
            }
        }
    }

    /// Where `method`'s provider posts its notifications (payments' and refunds').
    pub(super) fn notify_url(&self, method: Method) -> String {
        format!("{}/api/v1/payments/notify/{}", self.setup.public_base, method.as_str())
    }
}

/// The shortest window a provider is told: a minute (WeChat wants `time_expire` a minute ahead
/// at least, Alipay's `timeout_express` is in whole minutes).
const SHORTEST_WINDOW: Duration = Duration::from_secs(60);

/// When a payment opened `now` stops being payable at its provider: `close_after` on (a minute
/// at least). csms closes it unpaid at the same time, and asks after it until then.
pub(super) fn window_end(now: DateTime<Utc>, close_after: Duration) -> DateTime<Utc> {
    let window = chrono::Duration::from_std(Ord::max(close_after, SHORTEST_WINDOW)).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(window).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_payable_for_close_after_and_a_minute_at_least() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T02:00:00Z").unwrap().to_utc();
        assert_eq!((window_end(now, Duration::from_secs(7 * 60)) - now).num_minutes(), 7);
        assert_eq!((window_end(now, Duration::ZERO) - now).num_seconds(), 60);
    }
}
