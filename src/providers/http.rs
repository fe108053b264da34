//! What the providers' gateways share: where they call, the call log they keep, form posts,
//! transport errors named for the provider, Beijing time and form-encoded notifications.

use crate::config::ProviderMode;
use crate::domain::payments::calls::{CallLog, Exchange, Operation, form_without_signatures};
use crate::domain::payments::gateway::GatewayError;
use crate::domain::payments::records::Method;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a call to a provider may take.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a gateway calls: `base_url` when set; otherwise the provider's own address when live,
/// or its sandbox on csms's own listener (`local`).
pub(crate) fn base(configured: &str, mode: ProviderMode, live: &str, local: &str, sandbox: &str) -> String {
    match (configured.trim(), mode) {
        ("", ProviderMode::Live) => live.to_owned(),
        ("", _) => format!("{}{sandbox}", local.trim_end_matches('/')),
        (configured, _) => configured.to_owned(),
    }
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

    pub(crate) fn refund(operation: Operation, refund: &'a crate::domain::payments::gateway::ProviderRefund) -> Self {
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
    use crate::providers::{alipay::AlipayKeys, unionpay::UnionPayKeys};
    use std::collections::BTreeMap;

    /// The keys the sandboxes make, of the providers that post forms.
    pub(crate) struct SandboxKeys {
        pub(crate) alipay: AlipayKeys,
        pub(crate) unionpay: UnionPayKeys,
    }

    /// The keys a sandbox makes (the same for the whole process).
    pub(crate) fn sandbox() -> SandboxKeys {
        let payments = Settings::defaults().expect("defaults").payments;
        SandboxKeys {
            alipay: AlipayKeys::load(payments.section::<crate::providers::alipay::AlipaySettings>().expect("alipay"))
                .expect("sandbox keys"),
            unionpay: UnionPayKeys::load(
                payments.section::<crate::providers::unionpay::UnionPaySettings>().expect("unionpay"),
            )
            .expect("sandbox keys"),
        }
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
