//! A provider's word that a payment was paid — its notification, or its answer to the
//! reconciliation job's query — applied exactly once, a refund's result likewise
//! (`refunds::refund_notified`), money in anything but yuan refused, and every notification kept.

use super::calls::{Exchange, Operation, form_without_signatures, headers_without_signatures};
use super::due::{PaidTo, ProviderPaid, paid_to};
use super::gateway::{GatewayError, Notice, in_yuan};
use super::records::{Method, PaidOutcome};
use super::{PaymentView, Payments};
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::number::new_number;
use crate::domain::orders::records::SETTLE_ATTEMPTS;
use crate::domain::storage::{StoreError, Subject};
use chrono::Utc;
use std::time::Instant;

/// What a notification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notified {
    /// The payment succeeded now.
    Applied,
    /// It had succeeded already: nothing changed.
    Again,
    /// It says the payment is not paid (yet): nothing to do.
    NotPaid,
    /// The money came for an order that no longer owed it: it is being refunded.
    Refunding,
    /// A refund's result that is not final (taken, or stuck): the refund is asked after.
    UnderWay,
}

impl Notified {
    fn as_str(self) -> &'static str {
        match self {
            Notified::Applied => "ok",
            Notified::Again => "repeated",
            Notified::NotPaid => "not_paid",
            Notified::Refunding => "refunding",
            Notified::UnderWay => "under_way",
        }
    }
}

/// Why a notification changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no provider {0} is configured")]
    UnknownProvider(String),
    #[error("the notification's signature does not verify: {0}")]
    Signature(String),
    #[error("the notification cannot be read: {0}")]
    Unreadable(String),
    #[error("no payment {0} of this provider")]
    UnknownPayment(String),
    #[error("no refund {0} of this provider")]
    UnknownRefund(String),
    /// `number` is the payment's, or the refund's.
    #[error("{number}: the provider says {} fen, csms has {} fen", .notified_fen.get(), .expected_fen.get())]
    AmountMismatch { number: String, notified_fen: Fen, expected_fen: Fen },
    #[error("the money is in {0}, not yuan")]
    Currency(String),
    #[error("the notification could not be applied now: {0}")]
    Unapplied(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NotifyError {
    fn as_str(&self) -> &'static str {
        match self {
            NotifyError::UnknownProvider(_) => "unknown_provider",
            NotifyError::Signature(_) => "bad_signature",
            NotifyError::Unreadable(_) => "unreadable",
            NotifyError::UnknownPayment(_) => "unknown_payment",
            NotifyError::UnknownRefund(_) => "unknown_refund",
            NotifyError::AmountMismatch { .. } => "amount_mismatch",
            NotifyError::Currency(_) => "wrong_currency",
            NotifyError::Unapplied(_) => "unapplied",
            NotifyError::Store(_) => "store_error",
        }
    }
}

impl Payments {
    /// Reads a notification from `provider` (its signature first) and applies it once; every
    /// notification is kept in the call log, whatever came of it.
    pub async fn notify(
        &self,
        provider: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Notified, NotifyError> {
        let started = Instant::now();
        let method = self.setup.methods.parse(provider).filter(|m| *m != Method::Balance);
        let gateway = method.and_then(|m| self.gateways.get(m.as_str()));
        let (Some(method), Some(gateway)) = (method, gateway) else {
            return Err(NotifyError::UnknownProvider(provider.chars().take(32).collect()));
        };
        let mut kept = Exchange::new(method, Operation::Notification, None, started);
        kept.request = described(headers, body, gateway.notice_headers());
        let outcome = match gateway.verify_notification(headers, body) {
            Err(GatewayError::BadSignature) => Err(NotifyError::Signature("bad or missing".into())),
            Err(e) => Err(NotifyError::Unreadable(e.to_string())),
            Ok(Notice::Payment(notice)) => {
                kept.payment_no = Some(notice.payment_no.clone());
                match in_yuan(notice.currency.as_deref()) {
                    Err(_) => Err(NotifyError::Currency(notice.currency.unwrap_or_default())),
                    Ok(()) if !notice.paid => Ok(Notified::NotPaid),
                    Ok(()) => {
                        self.take_paid(method, &notice.payment_no, notice.provider_txn_id, notice.amount_fen).await
                    }
                }
            }
            Ok(Notice::Refund(notice)) => {
                kept.refund_no = Some(notice.refund_no.clone());
                match in_yuan(notice.currency.as_deref()) {
                    Err(_) => Err(NotifyError::Currency(notice.currency.unwrap_or_default())),
                    Ok(()) => {
                        let (payment_no, outcome) = self.refund_notified(method, notice).await;
                        kept.payment_no = payment_no;
                        outcome
                    }
                }
            }
        };
        if let Err(NotifyError::Currency(currency)) = &outcome {
            // The operator must look: the provider or the merchant account is not in yuan.
            tracing::error!(provider = method.as_str(), payment = ?kept.payment_no, refund = ?kept.refund_no, currency = %currency,
                "payments: a notification in another currency than yuan; nothing applied");
            metrics::counter!(crate::metrics::PAYMENTS, "method" => method.as_str(), "outcome" => "wrong_currency")
                .increment(1);
        }
        match &outcome {
            Ok(done) => kept.outcome = done.as_str().to_owned(),
            Err(e) => {
                kept.outcome = e.as_str().to_owned();
                kept.detail = Some(e.to_string());
            }
        }
        self.setup.log.keep(kept).await;
        outcome
    }

    /// Applies a provider's "paid" to its payment of `method`, once.
    pub(super) async fn take_paid(
        &self,
        method: Method,
        payment_no: &str,
        provider_txn_id: String,
        amount_fen: Fen,
    ) -> Result<Notified, NotifyError> {
        // A number that cannot be one names no payment, as an unknown one.
        let Ok(number) = PaymentNo::parse(payment_no) else {
            return Err(NotifyError::UnknownPayment(payment_no.to_owned()));
        };
        let found = self.store.payment(&number).await?.filter(|p| p.method == method.as_str());
        let Some(found) = found else { return Err(NotifyError::UnknownPayment(payment_no.to_owned())) };
        if found.amount_fen != amount_fen {
            let e = NotifyError::AmountMismatch {
                number: payment_no.to_owned(),
                notified_fen: amount_fen,
                expected_fen: found.amount_fen,
            };
            // The operator must look: either the provider or the merchant account is wrong.
            tracing::error!(provider = method.as_str(), error = %e, "payments: a provider's amount differs from the payment; nothing applied");
            return Err(e);
        }
        let mut paid = ProviderPaid {
            payment_no: number.clone(),
            provider_txn_id,
            amount_fen,
            refund_no: new_number('R', Utc::now()),
            to: PaidTo::Refund,
        };
        // Where the money goes, decided on the order as read; read again while it changes.
        let mut attempts = 0;
        let applied = loop {
            let order = match &found.order_no {
                Some(order_no) => self.store.order(order_no).await?,
                None => None,
            };
            paid.to = paid_to(&found, order.as_ref());
            attempts += 1;
            match self.store.apply_provider_paid(paid.clone()).await {
                Err(StoreError::Conflict(Subject::Order)) if attempts < SETTLE_ATTEMPTS => continue,
                other => break other,
            }
        };
        match applied {
            Ok(PaidOutcome::Applied(payment)) => {
                tracing::info!(payment = %payment.payment_no, provider = method.as_str(), purpose = %payment.purpose, "payments: paid");
                self.publish_paid(method, &PaymentView::from(payment));
                Ok(Notified::Applied)
            }
            Ok(PaidOutcome::Again(_)) => Ok(Notified::Again),
            Ok(PaidOutcome::Unwanted { payment, refund }) => {
                tracing::warn!(payment = %payment.payment_no, refund = %refund.refund_no,
                    "payments: paid for an order that owed it no more; refunding it");
                self.publish_paid(method, &PaymentView::from(payment));
                Ok(Notified::Refunding)
            }
            Err(StoreError::NotFound(_)) => Err(NotifyError::UnknownPayment(payment_no.to_owned())),
            Err(e) => Err(e.into()),
        }
    }
}

/// A notification as kept: its content type and the provider's own headers (those starting with
/// `own`; signatures left out), and the body.
fn described(headers: &[(String, String)], body: &[u8], own: Option<&str>) -> String {
    let kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            own.is_some_and(|own| name.starts_with(own)) || name == "content-type"
        })
        .cloned()
        .collect();
    let text = String::from_utf8_lossy(body);
    let body = if text.trim_start().starts_with('{') { text.into_owned() } else { form_without_signatures(&text) };
    format!("{}\n{body}", headers_without_signatures(&kept))
}
