//! Each provider's side of the `PaymentGateway`: payments opened, asked after, closed and
//! refunded over the provider's API (refunds asked after too), and its notifications read.

pub mod alipay;
pub mod alipay_notice;
mod alipay_refund;
pub mod unionpay;
mod unionpay_answer;
pub mod unionpay_notice;
mod unionpay_refund;
pub mod wechat;
pub mod wechat_notice;
mod wechat_refund;

pub use alipay::AlipayPay;
pub use unionpay::UnionPay;
pub use wechat::WechatPay;

use super::PaymentGateway;
use super::calls::{CallLog, Exchange, Operation, form_without_signatures};
use super::gateway::GatewayError;
use super::providers::ProviderKeys;
use super::records::Method;
use crate::config::ProviderMode;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a call to a provider may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a gateway calls: `base_url` when set; otherwise the provider's own address when live,
/// or its sandbox on csms's own listener (`local`).
fn base(configured: &str, mode: ProviderMode, live: &str, local: &str, sandbox: &str) -> String {
    match (configured.trim(), mode) {
        ("", ProviderMode::Live) => live.to_owned(),
        ("", ProviderMode::Sandbox) => format!("{}{sandbox}", local.trim_end_matches('/')),
        (configured, _) => configured.to_owned(),
    }
}

/// Every provider's gateway, each keeping its calls in `log`: `local` is csms's own HTTP
/// address, where sandboxes answer.
pub fn all(keys: &ProviderKeys, local: &str, log: &CallLog) -> Result<Vec<Arc<dyn PaymentGateway>>, GatewayError> {
    let (w, a, u) = (&keys.wechat, &keys.alipay, &keys.unionpay);
    let wechat = WechatPay::new(
        w.clone(),
        &base(&w.base_url, w.mode, wechat::LIVE_BASE, local, "/sandbox/wechat"),
        CALL_TIMEOUT,
    )?;
    let alipay_base = base(&a.base_url, a.mode, alipay::LIVE_BASE, local, "/sandbox/alipay/gateway.do");
    let alipay = AlipayPay::new(a.clone(), &alipay_base, CALL_TIMEOUT)?;
    let unionpay_base = base(&u.base_url, u.mode, unionpay::LIVE_BASE, local, "/sandbox/unionpay");
    let unionpay = UnionPay::new(u.clone(), &unionpay_base, CALL_TIMEOUT)?;
    Ok(vec![
        Arc::new(wechat.with_log(log.clone())),
        Arc::new(alipay.with_log(log.clone())),
        Arc::new(unionpay.with_log(log.clone())),
    ])
}

/// What a provider call is about, for the call log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct About<'a> {
    pub operation: Operation,
    pub payment_no: Option<&'a str>,
    pub refund_no: Option<&'a str>,
}

impl<'a> About<'a> {
    pub(crate) fn payment(operation: Operation, payment_no: &'a str) -> Self {
        About { operation, payment_no: Some(payment_no), refund_no: None }
    }

    pub(crate) fn refund(operation: Operation, refund: &'a super::gateway::ProviderRefund) -> Self {
        About { operation, payment_no: Some(&refund.payment_no), refund_no: Some(&refund.refund_no) }
    }
}

/// Keeps one call in `log`: the form sent (signatures left out), the answer when one came, and
/// why it failed when it did.
pub(crate) async fn keep_call(
    log: &CallLog,
    provider: Method,
    about: About<'_>,
    started: Instant,
    form: &str,
    answered: Option<(u16, &str)>,
    failed: Option<(&'static str, String)>,
) {
    let mut kept = Exchange::new(provider, about.operation, about.payment_no, started);
    kept.refund_no = about.refund_no.map(str::to_owned);
    kept.request = form_without_signatures(form);
    if let Some((status, text)) = answered {
        kept.status = Some(status);
        kept.response = Some(text.to_owned());
    }
    if let Some((outcome, detail)) = failed {
        kept.outcome = outcome.to_owned();
        kept.detail = Some(detail);
    }
    log.keep(kept).await;
}

/// A transport error named for `provider`, without the URL (it may carry a payment number).
pub(crate) fn unreachable(provider: &str, e: &reqwest::Error) -> GatewayError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    GatewayError::Unreachable(format!("{provider} {kind}"))
}

/// Posts a form-encoded `form` with `request` (its URL and any header set) to `provider`: the
/// answer's status and text, at most `max` bytes of UTF-8.
pub(crate) async fn post_form(
    request: reqwest::RequestBuilder,
    provider: &str,
    form: String,
    max: usize,
) -> Result<(u16, String), GatewayError> {
    use reqwest::header::{CONTENT_TYPE, USER_AGENT};
    let answer = request
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
        .header(USER_AGENT, concat!("csms/", env!("CARGO_PKG_VERSION")))
        .body(form)
        .send()
        .await
        .map_err(|e| unreachable(provider, &e))?;
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.map_err(|e| unreachable(provider, &e))?;
    if bytes.len() > max {
        return Err(GatewayError::BadAnswer(format!("an answer of {} bytes", bytes.len())));
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| GatewayError::BadAnswer("not UTF-8".into()))?;
    Ok((status, text))
}

/// How a failed call is logged.
pub(crate) fn outcome(e: &GatewayError) -> &'static str {
    match e {
        GatewayError::BadSignature => "bad_signature",
        GatewayError::Refused(_) => "refused",
        GatewayError::Temporary(_) => "temporary",
        GatewayError::NoSuch(_) => "no_such",
        GatewayError::Unreachable(_) => "unreachable",
        GatewayError::BadAnswer(_) => "bad_answer",
        GatewayError::Currency(_) => "wrong_currency",
    }
}

/// Whether an HTTP status says the provider failed for now (5xx, 429), not that it refused.
pub(crate) fn for_now(status: u16) -> bool {
    status >= 500 || status == 429
}

/// A provider's answer that is not a success, by its HTTP `status`: `what` says why.
pub(crate) fn not_ok(status: u16, what: String) -> GatewayError {
    if for_now(status) { GatewayError::Temporary(what) } else { GatewayError::Refused(what) }
}

/// A time in Beijing, as `format` writes it (the providers' clocks).
pub(crate) fn beijing(at: chrono::DateTime<chrono::Utc>, format: &str) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai).format(format).to_string()
}

/// A form-encoded notification (Alipay's, UnionPay's): its parameters by name.
#[derive(Debug, Clone)]
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn params(&self) -> &HashMap<String, String> {
        &self.0
    }

    /// A parameter that must be there, not empty.
    pub fn field(&self, name: &str) -> Result<&str, GatewayError> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| GatewayError::BadAnswer(format!("no {name}")))
    }
}

#[cfg(test)]
pub(crate) mod test_forms {
    //! What the notification tests share: the sandbox's keys, and forms as providers post them.
    use crate::config::Settings;
    use crate::domain::payments::providers::ProviderKeys;
    use std::collections::BTreeMap;

    /// The keys a sandbox makes (the same for the whole process).
    pub(crate) fn sandbox() -> ProviderKeys {
        ProviderKeys::load(&Settings::defaults().expect("defaults").payments).expect("sandbox keys")
    }

    /// `pairs` as a form body, after `change`, signed by `sign`.
    pub(crate) fn form(
        pairs: &[(&str, &str)],
        change: impl FnOnce(&mut BTreeMap<String, String>),
        sign: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> String {
        let mut params: BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        change(&mut params);
        sign(&mut params);
        form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish()
    }
}
