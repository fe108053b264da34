//! The real-name provider over HTTP (`real_name.verifier = "http"`): a name and a number that
//! passed the local check are POSTed as JSON `{"name": "…", "idCard": "<18 characters>"}` to
//! `real_name.url`, which answers `{"match": true}` or `{"match": false}`. The number goes to
//! that URL only and appears in no log and no error.

use super::id_card::ResidentId;
use super::real_name::RealNameVerifier;
use crate::config::RealNameSettings;
use crate::http_client::{JsonEndpoint, SetupError};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

/// What the provider is sent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Query<'a> {
    name: &'a str,
    id_card: &'a str,
}

/// What the provider answers (other fields are ignored; `match` must be a boolean).
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(rename = "match")]
    matches: bool,
}

/// Whether the provider's answer says the name and number belong together.
fn parse_answer(body: &[u8]) -> Result<bool, String> {
    serde_json::from_slice::<Answer>(body)
        .map(|a| a.matches)
        // serde's message may quote the answer: said without it.
        .map_err(|_| "the answer is not {\"match\": true|false}".to_owned())
}

/// Checks names against numbers with an HTTP provider.
#[derive(Debug, Clone)]
pub struct HttpRealNameVerifier {
    endpoint: JsonEndpoint,
}

impl HttpRealNameVerifier {
    /// The provider of the `[real_name]` settings; an error names the setting that is wrong.
    pub fn new(settings: &RealNameSettings) -> Result<Self, SetupError> {
        let endpoint = JsonEndpoint::new(
            "real_name.url",
            "real_name.verifier is \"http\"",
            &settings.url,
            &settings.bearer_token,
            settings.timeout(),
        )?;
        Ok(HttpRealNameVerifier { endpoint })
    }
}

impl RealNameVerifier for HttpRealNameVerifier {
    fn verify<'a>(
        &'a self,
        name: &'a str,
        id: &'a ResidentId,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async move {
            let number = id.expose();
            let query = Query { name, id_card: number };
            // A provider that quotes the number back in an error has it blotted out (also in
            // lower case, as a driver may have typed the check character `x`).
            let lower = number.to_ascii_lowercase();
            let answer = self
                .endpoint
                .post(self.endpoint.url(), &query, &[number, &lower])
                .await
                .map_err(|e| format!("the real-name provider: {e}"))?;
            parse_answer(&answer).map_err(|e| format!("the real-name provider: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RealNameVerifierKind;

    #[test]
    fn only_a_boolean_match_is_an_answer() {
        assert_eq!(parse_answer(br#"{"match": true}"#), Ok(true));
        assert_eq!(parse_answer(br#"{"match": false, "requestId": "r-1"}"#), Ok(false));
        for bad in [&br#"{"match": "true"}"#[..], br#"{"matched": true}"#, b"true", b"", b"<html>", br#"{"match": 1}"#]
        {
            assert_eq!(parse_answer(bad), Err("the answer is not {\"match\": true|false}".to_owned()));
        }
    }

    #[test]
    fn the_provider_is_sent_the_name_and_the_whole_number() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let id = ResidentId::parse("11010519491231002X", today).unwrap();
        let json = serde_json::to_value(Query { name: "李雷", id_card: id.expose() }).unwrap();
        assert_eq!(json, serde_json::json!({"name": "李雷", "idCard": "11010519491231002X"}));
    }

    #[test]
    fn a_verifier_needs_an_http_url_and_hides_its_token() {
        let mut settings = RealNameSettings {
            verifier: RealNameVerifierKind::Http,
            url: "https://verify.example/check".into(),
            bearer_token: "hunter2".into(),
            timeout_ms: 100,
        };
        let verifier = HttpRealNameVerifier::new(&settings).unwrap();
        assert!(!format!("{verifier:?}").contains("hunter2"));
        settings.url = String::new();
        let said = HttpRealNameVerifier::new(&settings).unwrap_err().to_string();
        assert_eq!(said, "real_name.url: empty, but real_name.verifier is \"http\"");
    }
}
