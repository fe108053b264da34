//! Alipay (open API, `sign_type=RSA2`): a request's parameters sorted by name, `k=v` joined by
//! `&` (empty values and `sign` left out), signed with the app's private key; an answer's
//! `sign` covers the JSON text of its `<method>_response` member exactly as sent, checked with
//! Alipay's public key; a notification's `sign` covers its other parameters, sorted, with `sign`
//! and `sign_type` left out.

use crate::providers::signing::{PrivateKey, PublicKey};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

/// Why an answer or a notification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlipayError {
    #[error("no {0} in the answer")]
    Missing(String),
    #[error("sign_type {0:?} is not RSA2")]
    SignType(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
}

/// The text signed: `params` sorted by name as `k=v&…`, leaving out `sign`, empty values and,
/// for a notification, `sign_type`.
pub fn content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, notification: bool) -> String {
    let sorted: BTreeMap<&str, &str> = params
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && *k != "sign" && !(notification && *k == "sign_type"))
        .collect();
    let pairs: Vec<String> = sorted.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

/// Adds `sign` to a request's parameters (`sign_type` among them, as it is signed too).
pub fn sign_request(key: &PrivateKey, params: &mut BTreeMap<String, String>) {
    let text = content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), false);
    params.insert("sign".into(), key.sign(text.as_bytes()));
}

/// Checks a request's `sign` (the sandbox checks merchants' requests with it).
pub fn verify_request(key: &PublicKey, params: &HashMap<String, String>) -> Result<(), AlipayError> {
    verify(key, params, false)
}

/// Signs a notification's parameters, adding `sign` and `sign_type` (the sandbox plays Alipay).
pub fn sign_notification(key: &PrivateKey, params: &mut BTreeMap<String, String>) {
    let text = content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), true);
    params.insert("sign".into(), key.sign(text.as_bytes()));
    params.insert("sign_type".into(), "RSA2".into());
}

/// Checks a notification's `sign` with Alipay's public key.
pub fn verify_notification(key: &PublicKey, params: &HashMap<String, String>) -> Result<(), AlipayError> {
    verify(key, params, true)
}

/// Checks `sign` (`RSA2` only) over the parameters as `content` gives them.
fn verify(key: &PublicKey, params: &HashMap<String, String>, notification: bool) -> Result<(), AlipayError> {
    let sign = params.get("sign").ok_or_else(|| AlipayError::Missing("sign".into()))?;
    match params.get("sign_type").map(String::as_str) {
        Some("RSA2") => {}
        other => return Err(AlipayError::SignType(other.unwrap_or_default().to_owned())),
    }
    let text = content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), notification);
    key.verify(text.as_bytes(), sign).then_some(()).ok_or(AlipayError::BadSignature)
}

/// The member an answer to `method` carries: `alipay.trade.precreate` → `alipay_trade_precreate_response`.
pub fn response_member(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// Checks an answer to `method` and gives its response member.
pub fn verify_response(key: &PublicKey, method: &str, body: &str) -> Result<serde_json::Value, AlipayError> {
    let members: HashMap<String, &RawValue> =
        serde_json::from_str(body).map_err(|e| AlipayError::NotJson(e.to_string()))?;
    let member = response_member(method);
    let response = members.get(&member).ok_or_else(|| AlipayError::Missing(member.clone()))?;
    let sign = members.get("sign").ok_or_else(|| AlipayError::Missing("sign".into()))?;
    let sign: String = serde_json::from_str(sign.get()).map_err(|e| AlipayError::NotJson(e.to_string()))?;
    if !key.verify(response.get().as_bytes(), &sign) {
        return Err(AlipayError::BadSignature);
    }
    serde_json::from_str(response.get()).map_err(|e| AlipayError::NotJson(e.to_string()))
}

/// An answer to `method` carrying `response` (JSON text), signed (the sandbox plays Alipay).
pub fn sign_response(key: &PrivateKey, method: &str, response: &str) -> String {
    let sign = key.sign(response.as_bytes());
    format!(r#"{{"{}":{response},"sign":"{sign}"}}"#, response_member(method))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::signing::test_keys::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_signed_text_is_sorted_and_leaves_out_sign_empty_values_and_for_notifications_sign_type() {
        // The shape of Alipay's published example of the text to sign.
        let request = [
            ("app_id", "2014072300007148"),
            ("method", "alipay.mobile.public.menu.add"),
            ("charset", "GBK"),
            ("sign_type", "RSA2"),
            ("timestamp", "2014-07-24 03:07:50"),
            ("biz_content", r#"{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}"#),
            ("version", "1.0"),
            ("sign", "ignored"),
            ("notify_url", ""),
        ];
        assert_eq!(
            content(request, false),
            r#"app_id=2014072300007148&biz_content={"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0"#
        );
        assert_eq!(content([("b", "2"), ("a", "1"), ("sign_type", "RSA2"), ("sign", "x")], true), "a=1&b=2");
    }

    #[test]
    fn a_request_signature_matches_openssl_and_verifies() {
        let mut request: BTreeMap<String, String> = [
            ("app_id", "2021000000000000"),
            ("method", "alipay.trade.precreate"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", "2026-12-02 10:00:00"),
            ("version", "1.0"),
            ("biz_content", r#"{"out_trade_no":"P1","total_amount":"12.30","subject":"charging"}"#),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        sign_request(&merchant(), &mut request);
        // printf '%s' '<the sorted text>' | openssl dgst -sha256 -sign merchant_key.pem | base64 -w0
        assert_eq!(request["sign"], include_str!("testdata/alipay_request.sig").trim());
        let received: HashMap<String, String> = request.clone().into_iter().collect();
        assert_eq!(verify_request(&merchant_public(), &received), Ok(()));
        let mut tampered = received.clone();
        tampered.insert("biz_content".into(), received["biz_content"].replace("12.30", "0.01"));
        assert_eq!(verify_request(&merchant_public(), &tampered), Err(AlipayError::BadSignature));
    }

    #[test]
    fn a_notification_verifies_with_alipays_key_and_not_once_changed() {
        let mut sent: BTreeMap<String, String> = [
            ("app_id", "2021000000000000"),
            ("out_trade_no", "P1"),
            ("trade_no", "2026120222001400000000000001"),
            ("total_amount", "12.30"),
            ("trade_status", "TRADE_SUCCESS"),
            ("notify_time", "2026-12-02 10:00:05"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        sign_notification(&provider(), &mut sent);
        let heard: HashMap<String, String> = sent.into_iter().collect();
        assert_eq!(verify_notification(&provider_public(), &heard), Ok(()));
        assert_eq!(verify_notification(&merchant_public(), &heard), Err(AlipayError::BadSignature));
        let mut raised = heard.clone();
        raised.insert("total_amount".into(), "1230.00".into());
        assert_eq!(verify_notification(&provider_public(), &raised), Err(AlipayError::BadSignature));
        let mut rsa1 = heard.clone();
        rsa1.insert("sign_type".into(), "RSA".into());
        assert_eq!(verify_notification(&provider_public(), &rsa1), Err(AlipayError::SignType("RSA".into())));
        assert_eq!(
            verify_notification(&provider_public(), &params(&[("out_trade_no", "P1")])),
            Err(AlipayError::Missing("sign".into()))
        );
    }

    #[test]
    fn an_answer_is_checked_over_its_response_member_exactly_as_sent() {
        let inner = r#"{"code":"10000","msg":"Success","out_trade_no":"P1","qr_code":"https://qr.alipay.com/bax1"}"#;
        let body = sign_response(&provider(), "alipay.trade.precreate", inner);
        let read = verify_response(&provider_public(), "alipay.trade.precreate", &body).unwrap();
        assert_eq!(read["qr_code"], "https://qr.alipay.com/bax1");
        // The same JSON with other spacing is other text: the signature covers the bytes.
        let respaced = body.replace(r#""code":"10000""#, r#""code": "10000""#);
        assert_eq!(
            verify_response(&provider_public(), "alipay.trade.precreate", &respaced),
            Err(AlipayError::BadSignature)
        );
        assert_eq!(
            verify_response(&provider_public(), "alipay.trade.query", &body),
            Err(AlipayError::Missing("alipay_trade_query_response".into()))
        );
    }
}
