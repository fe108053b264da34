//! Payments through a provider: a top-up or an order's payment stored `PENDING`, opened at the
//! provider (where the payer pays comes back as `payUrl`), and refunds sent back to it.

use super::calls::CallLog;
use super::gateway::{GatewayError, ProviderPayment, ProviderRefund};
use super::records::{Method, NewProviderPayment, PENDING};
use super::{PaymentError, PaymentView, Payments, RefundView};
use crate::domain::ledger::parse_positive;
use crate::domain::orders::number::new_number;
use chrono::Utc;
use entity::refund;
use std::time::Duration;

/// How long a sender holds a refund it is sending (longer than a provider call may take).
const SENDING: chrono::Duration = chrono::Duration::seconds(120);

/// The most one top-up may add, in fen (10,000 yuan).
const MAX_TOP_UP_FEN: i64 = 1_000_000;

/// How provider payments are run.
#[derive(Debug, Clone)]
pub struct ProviderSetup {
    /// Where providers call back and payers reach csms (`payments.notify_base_url`, or the HTTP
    /// listener's address).
    pub public_base: String,
    /// An unpaid payment is closed at its provider after this long.
    pub close_after: Duration,
    /// How often pending payments are asked after at their provider.
    pub reconcile_every: Duration,
    /// Where notifications are kept (the gateways keep their own calls).
    pub log: CallLog,
}

impl Default for ProviderSetup {
    fn default() -> Self {
        ProviderSetup {
            public_base: "http://127.0.0.1:8080".to_owned(),
            close_after: Duration::from_secs(15 * 60),
            reconcile_every: Duration::from_secs(60),
            log: CallLog::default(),
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
        let method = match Method::parse(method) {
            Some(Method::Balance) => {
                return Err(PaymentError::Invalid {
                    field: "method",
                    message: "the balance is topped up through wechat, alipay or unionpay".into(),
                });
            }
            Some(method) => method,
            None => {
                return Err(PaymentError::Invalid {
                    field: "method",
                    message: format!("{method:?} is not wechat, alipay or unionpay"),
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
        order_no: Option<&str>,
        method: Method,
        amount_fen: i64,
        description: String,
    ) -> Result<PaymentView, PaymentError> {
        let gateway = self.gateway(method)?.clone();
        let payment_no = new_number('P', Utc::now());
        let new = NewProviderPayment {
            payment_no: payment_no.clone(),
            user_id,
            order_no: order_no.map(str::to_owned),
            method,
            amount_fen,
        };
        let stored = self.store.open_provider_payment(new).await?;
        let asked = ProviderPayment {
            payment_no: payment_no.clone(),
            amount_fen,
            description,
            notify_url: format!("{}/api/v1/payments/notify/{}", self.setup.public_base, method.as_str()),
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
                self.store.end_pending_payment(&payment_no, super::records::FAILED).await?;
                metrics::counter!(crate::metrics::PAYMENTS, "method" => method.as_str(), "outcome" => "failed")
                    .increment(1);
                Err(PaymentError::Provider(e))
            }
        }
    }

    /// Sends a `PENDING` refund to the provider that took the payment: `SUCCEEDED` when it takes
    /// it; tried again later (same refund number) when it cannot be asked; to the payer's
    /// balance instead when it refuses for good. Answers the refund as it is then.
    pub(super) async fn send_refund(&self, pending: refund::Model) -> Result<refund::Model, PaymentError> {
        let refund_no = pending.refund_no.clone();
        if !self.store.claim_provider_refund(&refund_no, Utc::now() + SENDING).await? {
            // Another sender has it (the refund job, another node).
            return Ok(pending);
        }
        let paid = self.store.payment(&pending.payment_no).await?;
        let paid = paid.ok_or_else(|| PaymentError::NotFound(pending.payment_no.clone()))?;
        let method = Method::parse(&paid.method).ok_or(PaymentError::MethodUnavailable("this method's"))?;
        let asked = ProviderRefund {
            payment_no: paid.payment_no.clone(),
            refund_no: refund_no.clone(),
            amount_fen: pending.amount_fen,
            total_fen: paid.amount_fen,
            reason: pending.reason.clone(),
        };
        let answer = match self.gateways.get(method.as_str()) {
            Some(gateway) => gateway.refund(asked).await,
            None => Err(GatewayError::Unreachable(format!("{} is not configured", method.as_str()))),
        };
        match answer {
            Ok(()) => {
                self.store.provider_refund_done(&refund_no).await?;
            }
            Err(GatewayError::Refused(why)) => {
                tracing::error!(refund = %refund_no, payment = %paid.payment_no, provider = method.as_str(), reason = %why,
                    "payments: the provider refused a refund for good; it goes to the payer's balance instead");
                self.store.provider_refund_to_balance(&refund_no, &why).await?;
            }
            Err(e) => {
                let wait = retry_wait(pending.attempts);
                tracing::warn!(refund = %refund_no, provider = method.as_str(), error = %e, retry_in_s = wait.num_seconds(),
                    "payments: a refund could not be sent; it is sent again later");
                self.store.provider_refund_later(&refund_no, Utc::now() + wait).await?;
            }
        }
        let now = self.store.refunds(&paid.payment_no).await?.into_iter().find(|r| r.refund_no == refund_no);
        let now = now.unwrap_or(pending);
        if now.status != PENDING {
            self.publish(paid.user_id, "refund.made", &RefundView::from(now.clone()));
        }
        Ok(now)
    }
}

/// How long before a refund that could not be sent is sent again: 5 s, doubling, at most an hour.
fn retry_wait(attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.clamp(0, 10)).unwrap_or(0);
    chrono::Duration::seconds(Ord::min(5 * 2_i64.pow(doublings), 3600))
}

#[cfg(test)]
mod tests {
    use super::retry_wait;

    #[test]
    fn a_refund_is_sent_again_after_a_wait_that_doubles_up_to_an_hour() {
        let waits: Vec<i64> = [0, 1, 2, 9, 10, 50].into_iter().map(|n| retry_wait(n).num_seconds()).collect();
        assert_eq!(waits, [5, 10, 20, 2560, 3600, 3600]);
    }
}
