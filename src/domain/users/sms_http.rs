//! The SMS gateway over HTTP (`sms.sender = "http"`): each text is POSTed as JSON
//! `{"phone": "13800138000", "text": "…"}` to `sms.url` (its `{phone}` filled in), with the
//! bearer token when one is set; any 2xx answer means sent.

use super::phone::Phone;
use super::sms::SmsSender;
use crate::config::SmsSettings;
use crate::http_client::{JsonEndpoint, SetupError};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// What the gateway is sent.
#[derive(Debug, Serialize)]
struct Message<'a> {
    phone: &'a str,
    text: &'a str,
}

/// Sends texts through an HTTP gateway.
#[derive(Debug, Clone)]
pub struct HttpSmsSender {
    endpoint: JsonEndpoint,
}

impl HttpSmsSender {
    /// The gateway of the `[sms]` settings; an error names the setting that is wrong.
    pub fn new(settings: &SmsSettings) -> Result<Self, SetupError> {
        let endpoint = JsonEndpoint::new(
            "sms.url",
            "sms.sender is \"http\"",
            &settings.url,
            &settings.bearer_token,
            settings.timeout(),
        )?;
        Ok(HttpSmsSender { endpoint })
    }
}

impl SmsSender for HttpSmsSender {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let url = self.endpoint.url_with("phone", phone.as_str());
            let message = Message { phone: phone.as_str(), text };
            // The text (the code) is blotted out of a quoted answer too: it is logged nowhere.
            match self.endpoint.post(&url, &message, &[text]).await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("the SMS gateway: {e}")),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmsSenderKind;

    fn settings(url: &str) -> SmsSettings {
        SmsSettings { sender: SmsSenderKind::Http, url: url.into(), bearer_token: "t0ken".into(), timeout_ms: 100 }
    }

    #[test]
    fn the_gateway_is_sent_the_phone_and_the_text_as_json() {
        let message = Message { phone: "13800138000", text: "123456" };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json, serde_json::json!({"phone": "13800138000", "text": "123456"}));
    }

    #[test]
    fn a_sender_needs_an_http_url_and_says_which_setting_is_wrong() {
        assert!(HttpSmsSender::new(&settings("https://sms.example/{phone}")).is_ok());
        let said = HttpSmsSender::new(&settings("")).unwrap_err().to_string();
        assert_eq!(said, "sms.url: empty, but sms.sender is \"http\"");
        let said = HttpSmsSender::new(&settings("smtp://mail")).unwrap_err().to_string();
        assert!(said.starts_with("sms.url: "), "{said}");
    }

    #[tokio::test]
    async fn an_unreachable_gateway_is_an_error_that_holds_neither_token_nor_code() {
        // Port 9 (discard) on localhost: nothing listens there in a test.
        let sender = HttpSmsSender::new(&settings("http://127.0.0.1:9/{phone}")).unwrap();
        let phone = Phone::parse("13800138000").unwrap();
        let said = sender.send(&phone, "654321").await.unwrap_err();
        assert!(said.starts_with("the SMS gateway: no answer: "), "{said}");
        assert!(!said.contains("t0ken") && !said.contains("654321") && !said.contains("127.0.0.1"), "{said}");
    }
}
