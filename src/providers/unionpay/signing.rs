//! UnionPay online payments, version 5.1.0 (`signMethod=01`): the parameters sorted by name as
//! `k=v&…` (`signature` and empty values left out); the lower-case hex SHA-256 of that text is
//! signed with SHA256withRSA and sent in base64 as `signature`. Requests are signed with the
//! merchant's signing key, answers and notifications checked with UnionPay's verification key.

use crate::providers::signing::{PrivateKey, PublicKey, hex};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnionPayError {
    #[error("no signature")]
    Missing,
    #[error("signMethod {0:?} is not 01 (RSA-SHA256)")]
    SignMethod(String),
    #[error("the signature does not verify")]
    BadSignature,
}

/// The text whose digest is signed.
pub fn content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let sorted: BTreeMap<&str, &str> = params.into_iter().filter(|(k, v)| !v.is_empty() && *k != "signature").collect();
    let pairs: Vec<String> = sorted.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

/// What is signed: the lower-case hex SHA-256 of `content`.
pub fn digest(content: &str) -> String {
    hex(&Sha256::digest(content.as_bytes()))
}

/// Adds `signature` (and `signMethod=01`) to `params`.
pub fn sign(key: &PrivateKey, params: &mut BTreeMap<String, String>) {
    params.insert("signMethod".into(), "01".into());
    let text = content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    params.insert("signature".into(), key.sign(digest(&text).as_bytes()));
}

/// Checks `params`' `signature` with `key`.
pub fn verify(key: &PublicKey, params: &HashMap<String, String>) -> Result<(), UnionPayError> {
    let signature = params.get("signature").filter(|s| !s.is_empty()).ok_or(UnionPayError::Missing)?;
    match params.get("signMethod").map(String::as_str) {
        Some("01") => {}
        other => return Err(UnionPayError::SignMethod(other.unwrap_or_default().to_owned())),
    }
    let text = content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    key.verify(digest(&text).as_bytes(), signature).then_some(()).ok_or(UnionPayError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::signing::test_keys::*;

    fn consume() -> BTreeMap<String, String> {
        [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("txnType", "01"),
            ("txnSubType", "01"),
            ("bizType", "000201"),
            ("channelType", "08"),
            ("accessType", "0"),
            ("merId", "777290058110048"),
            ("orderId", "P1"),
            ("txnTime", "20261202100000"),
            ("txnAmt", "1230"),
            ("currencyCode", "156"),
            ("backUrl", "https://csms.example/api/v1/payments/notify/unionpay"),
            ("reqReserved", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn the_digest_of_the_sorted_text_is_what_is_signed() {
        let text = content([("txnAmt", "1"), ("merId", "7"), ("signature", "x"), ("reqReserved", "")]);
        assert_eq!(text, "merId=7&txnAmt=1");
        // printf '%s' 'merId=7&txnAmt=1' | sha256sum
        assert_eq!(digest(&text), "802a756bb1c48259c029e3f80f17bf9df180808041cc83fa276d6de4703a6425");
    }

    #[test]
    fn a_request_signature_matches_openssl_and_verifies() {
        let mut request = consume();
        sign(&merchant(), &mut request);
        // printf '%s' "$(printf '%s' '<sorted text>' | sha256sum | cut -c1-64)" |
        //   openssl dgst -sha256 -sign merchant_key.pem | base64 -w0
        assert_eq!(request["signature"], include_str!("testdata/unionpay_request.sig").trim());
        let received: HashMap<String, String> = request.into_iter().collect();
        assert_eq!(verify(&merchant_public(), &received), Ok(()));
        let mut tampered = received.clone();
        tampered.insert("txnAmt".into(), "1".into());
        assert_eq!(verify(&merchant_public(), &tampered), Err(UnionPayError::BadSignature));
        let mut unsigned = received.clone();
        unsigned.remove("signature");
        assert_eq!(verify(&merchant_public(), &unsigned), Err(UnionPayError::Missing));
        let mut sm3 = received;
        sm3.insert("signMethod".into(), "02".into());
        assert_eq!(verify(&merchant_public(), &sm3), Err(UnionPayError::SignMethod("02".into())));
    }
}
