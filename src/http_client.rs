//! Calling other services over HTTP(S) (the SMS gateway, the real-name provider): one way to
//! build the client (rustls on ring, installed once as the process's provider), to check a
//! configured URL at start, and to POST JSON and read the answer within bounds — with errors
//! that say what happened and never carry the URL, the bearer token or what the caller hides.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::AUTHORIZATION;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// At most this much of an error answer's body is quoted in the error.
pub const QUOTED_BYTES: usize = 200;
/// A successful answer larger than this is refused (we expect a few bytes of JSON).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Encoded in a value put into a URL: everything but RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Makes ring the process's rustls provider, once (later calls, and a provider installed
/// before, are left as they are). sqlx uses ring too; without this, a reqwest built without
/// its own provider would panic at its first client.
pub fn install_crypto_provider() {
    // Err only when a provider is installed already: that one stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why an endpoint could not be set up (at start).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{setting}: empty, but {chosen}")]
    EmptyUrl { setting: &'static str, chosen: &'static str },
    #[error("{setting}: not an http:// or https:// URL with a host")]
    NotHttp { setting: &'static str },
    #[error("the HTTP client for {setting} cannot be built: {reason}")]
    Client { setting: &'static str, reason: String },
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no answer: {0}")]
    Transport(String),
    #[error("answered HTTP {status}: {body:?}")]
    Status { status: u16, body: String },
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

/// A client whose every request ends within `timeout` (connecting included), which follows
/// no redirect (what we send goes to the configured URL only) and uses ring for TLS.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// A service that takes JSON POSTs at a URL (a template: `{name}` placeholders are filled per
/// call), with an optional bearer token. `Debug` shows neither the token nor the URL's query.
#[derive(Clone)]
pub struct JsonEndpoint {
    client: reqwest::Client,
    url: String,
    bearer_token: Option<String>,
}

impl fmt::Debug for JsonEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.url.split_once('?').map_or(self.url.clone(), |(base, _)| format!("{base}?…"));
        f.debug_struct("JsonEndpoint")
            .field("url", &shown)
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl JsonEndpoint {
    /// Checks `url` (the setting named `setting`; `chosen` says why it is needed) with every
    /// `{placeholder}` filled in, and builds the client.
    pub fn new(
        setting: &'static str,
        chosen: &'static str,
        url: &str,
        bearer_token: &str,
        timeout: Duration,
    ) -> Result<Self, SetupError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(SetupError::EmptyUrl { setting, chosen });
        }
        let sample = fill_placeholders(url, "0");
        let parsed = reqwest::Url::parse(&sample).map_err(|_| SetupError::NotHttp { setting })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
            return Err(SetupError::NotHttp { setting });
        }
        let client = client(timeout).map_err(|e| SetupError::Client { setting, reason: describe(&e) })?;
        let bearer_token = (!bearer_token.is_empty()).then(|| bearer_token.to_owned());
        Ok(JsonEndpoint { client, url: url.to_owned(), bearer_token })
    }

    /// The URL with `{name}` replaced by `value`, percent-encoded.
    pub fn url_with(&self, name: &str, value: &str) -> String {
        fill(&self.url, name, value)
    }

    /// The URL as configured (for a service without placeholders).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` as JSON to `url`; a 2xx answer's body (at most `MAX_ANSWER_BYTES`), else
    /// an error quoting at most `QUOTED_BYTES` of the answer, with the token and each of
    /// `hide` blotted out of the quote.
    pub async fn post(&self, url: &str, body: &impl Serialize, hide: &[&str]) -> Result<Vec<u8>, CallError> {
        let mut request = self.client.post(url).json(body);
        if let Some(token) = &self.bearer_token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let mut response = request.send().await.map_err(|e| CallError::Transport(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let quoted = read_at_most(&mut response, QUOTED_BYTES).await.unwrap_or_default();
            let mut body = String::from_utf8_lossy(&quoted).into_owned();
            for secret in self.bearer_token.iter().map(String::as_str).chain(hide.iter().copied()) {
                if !secret.is_empty() {
                    body = body.replace(secret, "(hidden)");
                }
            }
            return Err(CallError::Status { status: status.as_u16(), body });
        }
        let answer =
            read_at_most(&mut response, MAX_ANSWER_BYTES + 1).await.map_err(|e| CallError::Transport(describe(&e)))?;
        if answer.len() > MAX_ANSWER_BYTES {
            return Err(CallError::TooLarge);
        }
        Ok(answer)
    }
}

/// At most `limit` bytes of the answer's body (the rest is left unread).
async fn read_at_most(response: &mut reqwest::Response, limit: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while body.len() < limit {
        let Some(chunk) = response.chunk().await? else { break };
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(body)
}

/// `template` with `{name}` replaced by `value`, percent-encoded.
pub fn fill(template: &str, name: &str, value: &str) -> String {
    template.replace(&format!("{{{name}}}"), &utf8_percent_encode(value, COMPONENT).to_string())
}

/// `template` with every `{…}` replaced by `value` (to check a template as a URL).
fn fill_placeholders(template: &str, value: &str) -> String {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        filled.push_str(&rest[..open]);
        filled.push_str(value);
        rest = &rest[open + close + 1..];
    }
    filled.push_str(rest);
    filled
}

/// What went wrong, from the error and its sources, without the URL (it may carry a key).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else if error.is_builder() {
        "cannot build the request"
    } else {
        "the exchange failed"
    };
    let mut said = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !said.ends_with(&text) {
            said.push_str(": ");
            said.push_str(&text);
        }
        source = cause.source();
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_percent_encoded_into_its_placeholder_only() {
        let template = "https://sms.example/send/{phone}?to={phone}&sign={sign}";
        assert_eq!(
            fill(template, "phone", "13800138000"),
            "https://sms.example/send/13800138000?to=13800138000&sign={sign}"
        );
        assert_eq!(fill("http://h/{phone}", "phone", "+86 138/0?&"), "http://h/%2B86%20138%2F0%3F%26");
        assert_eq!(fill("http://h/x", "phone", "1"), "http://h/x");
    }

    #[test]
    fn every_placeholder_is_filled_to_check_the_url() {
        assert_eq!(fill_placeholders("http://h/{phone}/{x}?a={y}", "0"), "http://h/0/0?a=0");
        assert_eq!(fill_placeholders("http://h/{open", "0"), "http://h/{open");
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_taken() {
        let new = |url: &str| JsonEndpoint::new("sms.url", "sms.sender is \"http\"", url, "", Duration::from_secs(1));
        assert!(new("https://sms.example/send/{phone}").is_ok());
        assert!(new("http://127.0.0.1:9/x").is_ok());
        for bad in ["ftp://sms.example/", "sms.example/send", "http://", "file:///etc/passwd", "not a url"] {
            let said = new(bad).map(|_| ()).unwrap_err().to_string();
            assert_eq!(said, "sms.url: not an http:// or https:// URL with a host", "{bad}");
        }
        let said = new("  ").map(|_| ()).unwrap_err().to_string();
        assert_eq!(said, "sms.url: empty, but sms.sender is \"http\"");
    }

    #[test]
    fn the_token_and_the_query_are_not_debug_printed() {
        let endpoint =
            JsonEndpoint::new("x.url", "", "https://h.example/p?key=hunter2", "hunter2", Duration::from_secs(1))
                .unwrap();
        let printed = format!("{endpoint:?}");
        assert!(!printed.contains("hunter2") && printed.contains("https://h.example/p?…"), "{printed}");
    }
}
