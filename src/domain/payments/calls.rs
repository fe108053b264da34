//! The record of every exchange with a payment provider — each call csms made and each
//! notification it received: the request and the answer, the outcome, how long it took — kept
//! for the operator (`GET /api/v1/payments/{no}/calls`). Signatures are left out: a WeChat
//! `Authorization` or an Alipay `sign` could be replayed while fresh. Keys never appear in a
//! request, so nothing else needs hiding.

use super::records::Method;
use crate::domain::payments::PaymentStore;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

/// What a logged exchange was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Query,
    Close,
    Refund,
    RefundQuery,
    Notification,
}

impl Operation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Query => "query",
            Operation::Close => "close",
            Operation::Refund => "refund",
            Operation::RefundQuery => "refund_query",
            Operation::Notification => "notification",
        }
    }
}

/// One exchange with a provider, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub provider: Method,
    pub operation: Operation,
    pub payment_no: Option<String>,
    pub refund_no: Option<String>,
    /// What was sent (or received, for a notification), signatures left out.
    pub request: String,
    /// The HTTP status of the provider's answer (none when it never came).
    pub status: Option<u16>,
    pub response: Option<String>,
    /// `ok`, or why not: `refused`, `unreachable`, `bad_signature`, `bad_answer`, ….
    pub outcome: String,
    pub detail: Option<String>,
    pub elapsed_ms: i64,
    pub at: DateTime<Utc>,
}

impl Exchange {
    /// An exchange about `payment_no` that began at `started`.
    pub fn new(provider: Method, operation: Operation, payment_no: Option<&str>, started: Instant) -> Self {
        Exchange {
            provider,
            operation,
            payment_no: payment_no.map(str::to_owned),
            refund_no: None,
            request: String::new(),
            status: None,
            response: None,
            outcome: "ok".to_owned(),
            detail: None,
            elapsed_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            at: Utc::now(),
        }
    }
}

/// Where exchanges are kept: the database, or nowhere (a gateway tried on its own).
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    store: Option<Arc<dyn PaymentStore>>,
}

impl CallLog {
    pub fn new(store: impl PaymentStore + 'static) -> Self {
        let store: Arc<dyn PaymentStore> = Arc::new(store);
        CallLog { store: Some(store) }
    }

    /// Keeps `exchange`; a failure to keep it is logged, never the caller's failure.
    pub async fn keep(&self, exchange: Exchange) {
        let Some(store) = &self.store else { return };
        let (provider, operation) = (exchange.provider.as_str(), exchange.operation.as_str());
        if let Err(e) = store.record_provider_call(exchange).await {
            tracing::warn!(provider, operation, error = %e, "payments: a provider exchange could not be kept");
        }
    }
}

/// Names whose values are signatures (and, of a header, any name ending in `-signature`).
const SIGNATURES: [&str; 3] = ["sign", "signature", "authorization"];
/// What stands for a signature.
pub const LEFT_OUT: &str = "(left out)";

/// A form-encoded body with its signatures left out.
pub fn form_without_signatures(body: &str) -> String {
    let pairs = form_urlencoded::parse(body.as_bytes()).map(|(k, v)| {
        let hidden = SIGNATURES.iter().any(|s| k.eq_ignore_ascii_case(s));
        (k, if hidden { LEFT_OUT.into() } else { v })
    });
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// Headers as `name: value` lines, signatures left out.
pub fn headers_without_signatures(headers: &[(String, String)]) -> String {
    let mut lines = String::new();
    for (name, value) in headers {
        let hidden = SIGNATURES.iter().any(|s| name.eq_ignore_ascii_case(s))
            || name.to_ascii_lowercase().ends_with("-signature");
        lines.push_str(name);
        lines.push_str(": ");
        lines.push_str(if hidden { LEFT_OUT } else { value });
        lines.push('\n');
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_keeps_every_parameter_but_its_signature() {
        let kept = form_without_signatures("app_id=2021&sign=QUJD%2B&total_amount=12.30&sign_type=RSA2");
        assert_eq!(kept, "app_id=2021&sign=%28left+out%29&total_amount=12.30&sign_type=RSA2");
        assert_eq!(form_without_signatures("signature=x&txnAmt=1"), "signature=%28left+out%29&txnAmt=1");
    }

    #[test]
    fn headers_keep_their_names_and_lose_their_signatures() {
        let headers = [
            ("Wechatpay-Serial".to_owned(), "5157F09E".to_owned()),
            ("Wechatpay-Signature".to_owned(), "c2lnbmF0dXJl".to_owned()),
        ];
        assert_eq!(
            headers_without_signatures(&headers),
            "Wechatpay-Serial: 5157F09E\nWechatpay-Signature: (left out)\n"
        );
    }
}
