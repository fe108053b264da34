//! Refunds back to a provider, followed to their end. A `PENDING` refund is sent under its refund
//! number (the provider's idempotency key); one whose answer never came, or that the provider
//! took and has under way (WeChat `PROCESSING`, UnionPay `00`/`05`), is asked after — and sent
//! again only when the provider holds no such refund — with a wait that doubles from
//! `refund_retry` up to an hour, until the provider's word ends it: its answer, its notification
//! (`refund_notified`) or a query, whichever comes first (one conditional update decides). It
//! ends `SUCCEEDED`, or `FAILED` with its money on the payer's balance instead when the provider
//! refuses it for good or it fails there (`refund.made` or `refund.failed` to the driver). A
//! refund WeChat calls `ABNORMAL` stays pending and raises `refund_abnormal` for the operator.

use super::gateway::{GatewayError, ProviderRefund, RefundNotice, RefundOutcome};
use super::notify::{Notified, NotifyError};
use super::records::{Method, RefundLater, Stage};
use super::stored::RefundState;
use super::{PaymentError, Payments, RefundView};
use crate::domain::ids::ChargerId;
use crate::domain::monitoring::records::AlarmFilter;
use crate::domain::monitoring::rules::AlarmKind;
use crate::domain::payments::stored::Payment;
use crate::domain::payments::stored::Refund;
use chrono::Utc;
use std::time::Duration;

/// How long a sender holds a refund it is sending or asking after (longer than its calls take).
const SENDING: chrono::Duration = chrono::Duration::seconds(120);
/// The longest wait between two tries of a refund.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// What one try of a refund did.
#[derive(Debug, Clone, Copy, Default)]
struct Tried {
    sent: bool,
    asked: bool,
}

impl Payments {
    /// Sends a due `PENDING` refund to the provider that took its payment — or, once sent, asks
    /// after it — and applies what the provider said. Answers the refund as it is then.
    pub(super) async fn advance_refund(&self, pending: Refund) -> Result<Refund, PaymentError> {
        let refund_no = pending.refund_no.clone();
        if !self.store.claim_provider_refund(&refund_no, Utc::now() + SENDING).await? {
            // Another sender has it (the refund job, another node).
            return Ok(pending);
        }
        let paid = self.store.payment(&pending.payment_no).await?;
        let paid = paid.ok_or_else(|| PaymentError::NotFound(pending.payment_no.to_string()))?;
        let method = self.setup.methods.parse(&paid.method).ok_or(PaymentError::MethodUnavailable("this method's"))?;
        let asked = ProviderRefund {
            payment_no: paid.payment_no.clone(),
            refund_no: refund_no.clone(),
            amount_fen: pending.amount_fen,
            total_fen: paid.amount_fen,
            reason: pending.reason.clone(),
            notify_url: self.notify_url(method),
        };
        let mut tried = Tried::default();
        let outcome = match self.gateways.get(method.as_str()) {
            None => {
                // Counted as a sending, so that the wait grows until the provider is configured.
                tried.sent = true;
                RefundOutcome::Later(GatewayError::Unreachable(format!("{} is not configured", method.as_str())))
            }
            Some(gateway) => {
                let mut outcome = RefundOutcome::Unknown;
                if Stage::parse(pending.provider_status.as_deref()) != Stage::ToSend {
                    tried.asked = true;
                    outcome = gateway.refund_state(asked.clone()).await;
                }
                if outcome == RefundOutcome::Unknown {
                    // Never taken: sent (again) now, under the same number.
                    tried.sent = true;
                    outcome = gateway.refund(asked).await;
                }
                outcome
            }
        };
        self.apply_refund_outcome(&pending, &paid, method, outcome, tried).await?;
        Ok(self.store.refund(&refund_no).await?.unwrap_or(pending))
    }

    /// Applies what the provider said of `pending` after a try.
    async fn apply_refund_outcome(
        &self,
        pending: &Refund,
        paid: &Payment,
        method: Method,
        outcome: RefundOutcome,
        tried: Tried,
    ) -> Result<(), PaymentError> {
        let stage = match outcome {
            RefundOutcome::Succeeded => return self.refund_succeeded(pending, paid).await,
            RefundOutcome::Failed(why) => return self.refund_failed(pending, paid, method, &why).await,
            RefundOutcome::Processing => Stage::Processing,
            RefundOutcome::Abnormal => {
                self.raise_abnormal(pending, paid, method).await;
                Stage::Abnormal
            }
            RefundOutcome::Unknown => Stage::ToSend,
            RefundOutcome::Later(e) => {
                tracing::warn!(refund = %pending.refund_no, provider = method.as_str(), error = %e,
                    "payments: no word on a refund from its provider for now; it is tried again later");
                // Sent without an answer: it may have been taken, so it is asked after first.
                if tried.sent { Stage::Sent } else { Stage::parse(pending.provider_status.as_deref()) }
            }
        };
        let next = Utc::now() + self.next_try(pending);
        let later =
            RefundLater { refund_no: pending.refund_no.clone(), stage, next, sent: tried.sent, asked: tried.asked };
        Ok(self.store.provider_refund_later(later).await?)
    }

    /// The provider paid it back: `SUCCEEDED`, told to the driver once (by whoever ends it).
    async fn refund_succeeded(&self, pending: &Refund, paid: &Payment) -> Result<(), PaymentError> {
        if self.store.provider_refund_done(&pending.refund_no).await? {
            tracing::info!(refund = %pending.refund_no, payment = %paid.payment_no, "payments: refunded by the provider");
            self.tell_refund(paid.user_id, &pending.refund_no, "refund.made").await?;
        }
        self.clear_abnormal(pending, paid).await;
        Ok(())
    }

    /// The provider refused it for good, or it failed there: `FAILED`, its money on the payer's
    /// balance instead (with its ledger row), told to the driver once.
    async fn refund_failed(
        &self,
        pending: &Refund,
        paid: &Payment,
        method: Method,
        why: &str,
    ) -> Result<(), PaymentError> {
        if self.store.provider_refund_to_balance(&pending.refund_no, why).await? {
            tracing::error!(refund = %pending.refund_no, payment = %paid.payment_no, provider = method.as_str(), reason = %why,
                "payments: the provider did not refund it; its money went to the payer's balance instead");
            self.tell_refund(paid.user_id, &pending.refund_no, "refund.failed").await?;
        }
        self.clear_abnormal(pending, paid).await;
        Ok(())
    }

    async fn tell_refund(&self, user_id: i64, refund_no: &str, name: &'static str) -> Result<(), PaymentError> {
        if let Some(now) = self.store.refund(refund_no).await? {
            self.publish(user_id, name, &RefundView::from(now));
        }
        Ok(())
    }

    /// Applies a refund's result the provider posted (its signature checked): the refund's
    /// payment (for the call log), and what came of it.
    pub(super) async fn refund_notified(
        &self,
        method: Method,
        notice: RefundNotice,
    ) -> (Option<String>, Result<Notified, NotifyError>) {
        let no = notice.refund_no.clone();
        let found = match self.store.refund(&no).await {
            Ok(Some(found)) => found,
            Ok(None) => return (None, Err(NotifyError::UnknownRefund(no))),
            Err(e) => return (None, Err(e.into())),
        };
        let paid = match self.store.payment(&found.payment_no).await {
            Ok(paid) => paid.filter(|p| p.method == method.as_str()),
            Err(e) => return (Some(found.payment_no.into_string()), Err(e.into())),
        };
        let Some(paid) = paid else {
            return (Some(found.payment_no.into_string()), Err(NotifyError::UnknownRefund(no)));
        };
        (Some(paid.payment_no.to_string()), self.apply_refund_notice(&found, &paid, method, notice).await)
    }

    async fn apply_refund_notice(
        &self,
        found: &Refund,
        paid: &Payment,
        method: Method,
        notice: RefundNotice,
    ) -> Result<Notified, NotifyError> {
        if notice.amount_fen != found.amount_fen {
            let e = NotifyError::AmountMismatch {
                number: found.refund_no.clone(),
                notified_fen: notice.amount_fen,
                expected_fen: found.amount_fen,
            };
            tracing::error!(provider = method.as_str(), error = %e, "payments: a provider's refund amount differs from the refund; nothing applied");
            return Err(e);
        }
        if found.status != RefundState::Pending {
            if found.destination == "balance" && notice.outcome == RefundOutcome::Succeeded {
                // Given to the balance after the provider refused it, now refunded there as well:
                // the driver got it twice. Only an operator can take it back; the alarm says so.
                tracing::error!(refund = %found.refund_no, provider = method.as_str(),
                    "payments: the provider says it refunded a refund whose money went to the balance; the operator must look");
                let message = format!(
                    "refund {} went to the balance when {} refused it, and {} now says it refunded it too: paid twice",
                    found.refund_no,
                    method.as_str(),
                    method.as_str()
                );
                let raised =
                    self.alarms.raise_platform(AlarmKind::RefundAbnormal, message, found.refund_no.clone()).await;
                if let Err(e) = raised {
                    tracing::warn!(refund = %found.refund_no, error = %e, "payments: refund_abnormal could not be raised");
                }
            }
            return Ok(Notified::Again);
        }
        // Not applied for now: the provider is answered so and sends it again.
        let failure = |e: PaymentError| match e {
            PaymentError::Store(e) => NotifyError::Store(e),
            other => NotifyError::Unapplied(other.to_string()),
        };
        let (stage, next) = match notice.outcome {
            RefundOutcome::Succeeded => {
                self.refund_succeeded(found, paid).await.map_err(failure)?;
                return Ok(Notified::Applied);
            }
            RefundOutcome::Failed(why) => {
                self.refund_failed(found, paid, method, &why).await.map_err(failure)?;
                return Ok(Notified::Applied);
            }
            RefundOutcome::Abnormal => {
                self.raise_abnormal(found, paid, method).await;
                (Stage::Abnormal, Utc::now() + self.next_try(found))
            }
            // Taken, not done: asked after at once.
            _ => (Stage::Processing, Utc::now()),
        };
        self.store.provider_refund_heard(&found.refund_no, stage, next).await?;
        Ok(Notified::UnderWay)
    }

    /// How long before `refund` is tried again, after the tries it had.
    fn next_try(&self, refund: &Refund) -> chrono::Duration {
        let wait = retry_wait(self.setup.refund_retry, refund.attempts.saturating_add(refund.queries));
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    }

    /// The pile the refund's order was charged at; none for a top-up's (its alarm is the
    /// platform's).
    async fn pile_of(&self, paid: &Payment) -> Option<ChargerId> {
        let order_no = paid.order_no.as_ref()?;
        match self.store.order(order_no).await {
            Ok(order) => order.map(|o| o.charger_id),
            Err(e) => {
                tracing::warn!(order = %order_no, error = %e, "payments: a refund's order could not be read");
                None
            }
        }
    }

    /// Raises `refund_abnormal` for the operator (once while it is active).
    async fn raise_abnormal(&self, refund: &Refund, paid: &Payment, method: Method) {
        let pile = self.pile_of(paid).await;
        let message = format!(
            "refund {} of {} yuan (payment {}) is ABNORMAL at {}: the payer's account cannot take it; \
             finish it in the provider's merchant platform",
            refund.refund_no,
            refund.amount_fen,
            paid.payment_no,
            method.as_str()
        );
        let value = refund.refund_no.clone();
        let raised = match &pile {
            Some(pile) => self.alarms.raise(pile, AlarmKind::RefundAbnormal, message, value).await,
            None => self.alarms.raise_platform(AlarmKind::RefundAbnormal, message, value).await,
        };
        match raised {
            Ok(true) => {}
            Ok(false) => {
                // Active already: this refund's, or another's of the same pile (one per pile).
                if self.abnormal_alarm(pile.as_deref()).await.is_some_and(|value| value != refund.refund_no) {
                    tracing::warn!(refund = %refund.refund_no, pile = ?pile,
                        "payments: a refund is ABNORMAL at its provider; another refund's refund_abnormal alarm is active for the same pile");
                }
            }
            Err(e) => {
                tracing::warn!(refund = %refund.refund_no, error = %e, "payments: refund_abnormal could not be raised")
            }
        }
    }

    /// Clears this refund's `refund_abnormal` once it ended (another refund's stays).
    async fn clear_abnormal(&self, refund: &Refund, paid: &Payment) {
        if Stage::parse(refund.provider_status.as_deref()) != Stage::Abnormal {
            return;
        }
        let pile = self.pile_of(paid).await;
        if self.abnormal_alarm(pile.as_deref()).await.as_deref() != Some(refund.refund_no.as_str()) {
            return;
        }
        let cleared = match &pile {
            Some(pile) => self.alarms.clear(pile, AlarmKind::RefundAbnormal).await,
            None => self.alarms.clear_platform(AlarmKind::RefundAbnormal).await,
        };
        if let Err(e) = cleared {
            tracing::warn!(refund = %refund.refund_no, error = %e, "payments: refund_abnormal could not be cleared");
        }
    }

    /// The refund named by the pile's (none: the platform's) active `refund_abnormal`, if one
    /// is active.
    async fn abnormal_alarm(&self, pile: Option<&str>) -> Option<String> {
        let filter = AlarmFilter {
            active: Some(true),
            charger_id: pile.map(str::to_owned),
            kind: Some(AlarmKind::RefundAbnormal.as_str().to_owned()),
            level: None,
        };
        // A platform alarm has no pile; at most one of each kind is active per pile and platform.
        let (found, _) = self.alarms.list(filter, 0, 100).await.ok()?;
        found.into_iter().find(|a| a.charger_id.as_deref() == pile).and_then(|a| a.value)
    }
}

/// How long before a refund is tried again after `tries` tries: `first`, doubling, at most an
/// hour.
pub(super) fn retry_wait(first: Duration, tries: i32) -> Duration {
    let doublings = u32::try_from(tries.clamp(0, 20)).unwrap_or(0);
    Ord::min(first.saturating_mul(2_u32.saturating_pow(doublings)), LONGEST_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_is_tried_again_after_a_wait_that_doubles_up_to_an_hour() {
        let first = Duration::from_secs(5);
        let waits: Vec<u64> = [0, 1, 2, 9, 10, 50, -1].into_iter().map(|n| retry_wait(first, n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 2560, 3600, 3600, 5]);
    }
}
