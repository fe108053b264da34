//! The payments' background work: pending payments asked after at their provider (a lost
//! notification recovered, an unpaid one closed after `close_after`), and closed ones until
//! their window at the provider has passed (money paid into them after all is found) — every
//! `reconcile_every` and once at start, for payments a restart left pending — and refunds sent
//! back to providers, or asked after, when due.

use super::gateway::ProviderState;
use super::records::Method;
use super::stored::PaymentState;
use super::{NotifyError, Payments};
use crate::domain::nodes::{Job, Nodes};
use crate::domain::payments::stored::Payment;
use chrono::Utc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Payments asked after, and refunds sent, per round.
const ROUND: u64 = 200;
/// How often due refunds are looked for.
const REFUND_EVERY: Duration = Duration::from_secs(1);
/// How long after its window a closed payment is still asked after: the provider's clock may
/// be behind csms's, and a payment made at the window's last moment takes a while to settle.
const AFTER_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

impl Payments {
    /// Runs the payments' background work until `stop`, each part while this node holds its
    /// lease (one node of a cluster asks the providers).
    pub async fn run_jobs(self, nodes: Nodes, stop: CancellationToken) {
        let mut reconcile = tokio::time::interval(self.setup.reconcile_every);
        reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut refunds = tokio::time::interval(REFUND_EVERY);
        refunds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                // The first tick is at once: what a restart left pending is looked at now.
                _ = reconcile.tick() => if nodes.runs(Job::Payments) { self.reconcile().await },
                _ = refunds.tick() => if nodes.runs(Job::Refunds) { self.send_due_refunds().await },
            }
        }
    }

    /// Asks after each pending provider payment (see the module's note).
    pub async fn reconcile(&self) {
        // One the payer is still paying is left alone for a moment: its notification is due.
        let settle = chrono::Duration::from_std(Ord::min(self.setup.reconcile_every, Duration::from_secs(30)))
            .unwrap_or_default();
        let pending = match self.store.pending_provider_payments(Utc::now() - settle, ROUND).await {
            Ok(pending) => pending,
            Err(e) => {
                tracing::warn!(error = %e, "payments: pending payments could not be read");
                return;
            }
        };
        for payment in pending {
            if let Err(e) = self.reconcile_one(&payment).await {
                tracing::warn!(payment = %payment.payment_no, error = %e, "payments: reconciliation failed; tried again next round");
            }
        }
        let closed = match self.store.closed_provider_payments_open_after(Utc::now() - AFTER_WINDOW, ROUND).await {
            Ok(closed) => closed,
            Err(e) => {
                tracing::warn!(error = %e, "payments: closed payments could not be read");
                return;
            }
        };
        for payment in closed {
            if let Err(e) = self.ask_after_closed(&payment).await {
                tracing::warn!(payment = %payment.payment_no, error = %e, "payments: a closed payment could not be asked after; asked again next round");
            }
        }
    }

    /// Asks after a payment csms closed whose window at its provider is still open: money paid
    /// into it after all is taken as any late payment is (given back through the provider when
    /// its order owes it no more).
    async fn ask_after_closed(&self, payment: &Payment) -> Result<(), NotifyError> {
        let Some(method) = self.setup.methods.parse(&payment.method).filter(|m| *m != Method::Balance) else {
            return Ok(());
        };
        let Some(gateway) = self.gateways.get(method.as_str()) else { return Ok(()) };
        match gateway.query(payment.payment_no.clone()).await {
            Ok(ProviderState::Paid { provider_txn_id, amount_fen }) => {
                let done = self.take_paid(method, &payment.payment_no, provider_txn_id, amount_fen).await?;
                tracing::warn!(payment = %payment.payment_no, outcome = ?done, "payments: money came into a payment csms had closed");
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(NotifyError::Unreadable(e.to_string())),
        }
    }

    async fn reconcile_one(&self, payment: &Payment) -> Result<(), NotifyError> {
        let Some(method) = self.setup.methods.parse(&payment.method).filter(|m| *m != Method::Balance) else {
            return Ok(());
        };
        let Some(gateway) = self.gateways.get(method.as_str()) else { return Ok(()) };
        let state = match gateway.query(payment.payment_no.clone()).await {
            Ok(state) => state,
            Err(e) => return Err(NotifyError::Unreadable(e.to_string())),
        };
        let no = &payment.payment_no;
        match state {
            ProviderState::Paid { provider_txn_id, amount_fen } => {
                let done = self.take_paid(method, no, provider_txn_id, amount_fen).await?;
                tracing::info!(payment = %no, outcome = ?done, "payments: a payment found paid by asking its provider");
            }
            ProviderState::Closed => {
                self.store.end_pending_payment(no, PaymentState::Closed).await?;
            }
            ProviderState::Failed(why) => {
                tracing::info!(payment = %no, state = %why, "payments: the provider says the payment failed");
                self.store.end_pending_payment(no, PaymentState::Failed).await?;
            }
            ProviderState::Pending => {
                let age = (Utc::now() - payment.created_at).to_std().unwrap_or_default();
                if age >= self.setup.close_after {
                    // Closed at the provider first: once it says so, nobody can pay it.
                    match gateway.close(no.clone()).await {
                        Ok(()) => {
                            self.store.end_pending_payment(no, PaymentState::Closed).await?;
                            metrics::counter!(crate::metrics::PAYMENTS, "method" => method.as_str(), "outcome" => "closed")
                                .increment(1);
                            tracing::info!(payment = %no, "payments: an unpaid payment closed");
                        }
                        Err(e) => return Err(NotifyError::Unreadable(e.to_string())),
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends each refund due back to its provider, or asks after it.
    pub async fn send_due_refunds(&self) {
        let due = match self.store.due_provider_refunds(Utc::now(), ROUND).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "payments: due refunds could not be read");
                return;
            }
        };
        for refund in due {
            let refund_no = refund.refund_no.clone();
            if let Err(e) = self.advance_refund(refund).await {
                tracing::warn!(refund = %refund_no, error = %e, "payments: a due refund could not be sent or asked after");
            }
        }
    }
}
