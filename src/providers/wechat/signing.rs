//! WeChat Pay API v3: the merchant signs each request (`Authorization: WECHATPAY2-SHA256-RSA2048
//! mchid=…,nonce_str=…,signature=…,timestamp=…,serial_no=…` over `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n`);
//! WeChat signs its answers and notifications (`Wechatpay-Timestamp`, `-Nonce`, `-Signature`,
//! `-Serial` over `TIMESTAMP\nNONCE\nBODY\n`, checked with its platform public key, whose serial
//! must be the one configured, and refused when the time is more than 5 minutes off); a
//! notification's `resource` is sealed with the merchant's APIv3 key (AEAD_AES_256_GCM).

use crate::providers::signing::{PrivateKey, PublicKey};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The scheme named in `Authorization`.
pub const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";
/// How far a signed answer's time may be from ours, in seconds.
pub const MAX_SKEW_S: i64 = 300;

/// Why a signature or a sealed resource was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    #[error("the Authorization header cannot be read: {0}")]
    BadAuthorization(String),
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the serial {0:?} is not the configured one")]
    WrongSerial(String),
    #[error("the signature's time is more than 5 minutes off")]
    Stale,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the APIv3 key must be 32 bytes")]
    BadKey,
    #[error("the resource cannot be opened: {0}")]
    Sealed(&'static str),
}

/// A fresh nonce: 32 random upper-case hex digits (a request's `nonce_str`, an answer's
/// `Wechatpay-Nonce`).
pub fn nonce() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut random = [0u8; 16];
    OsRng.fill_bytes(&mut random);
    crate::providers::signing::hex(&random).to_uppercase()
}

/// The text a request's signature covers; `path` with its query, as sent.
pub fn request_message(method: &str, path: &str, timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The text an answer's or a notification's signature covers.
pub fn answer_message(timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{timestamp}\n{nonce}\n{body}\n")
}

/// A merchant request's `Authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce_str: String,
    pub signature: String,
    pub timestamp: i64,
    pub serial_no: String,
}

/// What a merchant request is: its method, path with query, and body (empty for a GET).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a str,
}

impl Authorization {
    /// Signs `request` as merchant `mchid` with the key of certificate `serial_no`.
    pub fn sign(
        key: &PrivateKey,
        mchid: &str,
        serial_no: &str,
        request: Request<'_>,
        timestamp: i64,
        nonce: &str,
    ) -> Self {
        let message = request_message(request.method, request.path, timestamp, nonce, request.body);
        Authorization {
            mchid: mchid.to_owned(),
            nonce_str: nonce.to_owned(),
            signature: key.sign(message.as_bytes()),
            timestamp,
            serial_no: serial_no.to_owned(),
        }
    }

    /// The header's value.
    pub fn header(&self) -> String {
        format!(
            r#"{SCHEMA} mchid="{}",nonce_str="{}",signature="{}",timestamp="{}",serial_no="{}""#,
            self.mchid, self.nonce_str, self.signature, self.timestamp, self.serial_no
        )
    }

    /// Reads a header's value (the sandbox checks merchants' requests with it).
    pub fn parse(header: &str) -> Result<Self, WechatError> {
        let bad = |why: &str| WechatError::BadAuthorization(why.to_owned());
        let rest = header.trim().strip_prefix(SCHEMA).ok_or_else(|| bad("not WECHATPAY2-SHA256-RSA2048"))?;
        let (mut mchid, mut nonce, mut signature, mut timestamp, mut serial) = (None, None, None, None, None);
        for part in rest.trim().split(',') {
            let (name, value) = part.trim().split_once('=').ok_or_else(|| bad("a part without '='"))?;
            let value = value
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| bad("an unquoted value"))?;
            let slot = match name.trim() {
                "mchid" => &mut mchid,
                "nonce_str" => &mut nonce,
                "signature" => &mut signature,
                "timestamp" => &mut timestamp,
                "serial_no" => &mut serial,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        let timestamp = timestamp.and_then(|t| t.parse().ok()).ok_or_else(|| bad("no timestamp"))?;
        Ok(Authorization {
            mchid: mchid.ok_or_else(|| bad("no mchid"))?,
            nonce_str: nonce.ok_or_else(|| bad("no nonce_str"))?,
            signature: signature.ok_or_else(|| bad("no signature"))?,
            timestamp,
            serial_no: serial.ok_or_else(|| bad("no serial_no"))?,
        })
    }

    /// Whether it signs `request` with the key `key`, within `MAX_SKEW_S` of `now`.
    pub fn verify(&self, key: &PublicKey, request: Request<'_>, now: i64) -> Result<(), WechatError> {
        if (now - self.timestamp).abs() > MAX_SKEW_S {
            return Err(WechatError::Stale);
        }
        let message = request_message(request.method, request.path, self.timestamp, &self.nonce_str, request.body);
        key.verify(message.as_bytes(), &self.signature).then_some(()).ok_or(WechatError::BadSignature)
    }
}

/// The `Wechatpay-*` headers of a signed answer or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl Signed {
    /// WeChat's signature over `body` (the sandbox plays WeChat with it).
    pub fn sign(key: &PrivateKey, serial: &str, body: &str, timestamp: i64, nonce: &str) -> Self {
        Signed {
            timestamp: timestamp.to_string(),
            nonce: nonce.to_owned(),
            signature: key.sign(answer_message(timestamp, nonce, body).as_bytes()),
            serial: serial.to_owned(),
        }
    }

    /// The headers as named on the wire.
    pub fn headers(&self) -> [(&'static str, &str); 4] {
        [
            ("Wechatpay-Timestamp", &self.timestamp),
            ("Wechatpay-Nonce", &self.nonce),
            ("Wechatpay-Signature", &self.signature),
            ("Wechatpay-Serial", &self.serial),
        ]
    }

    /// Reads the headers from `get` (a case-insensitive look-up).
    pub fn from_headers<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, WechatError> {
        let read = |name: &'static str| get(name).map(str::to_owned).ok_or(WechatError::Missing(name));
        Ok(Signed {
            timestamp: read("Wechatpay-Timestamp")?,
            nonce: read("Wechatpay-Nonce")?,
            signature: read("Wechatpay-Signature")?,
            serial: read("Wechatpay-Serial")?,
        })
    }

    /// Checks that WeChat's key `key`, of serial `serial`, signed `body` within `MAX_SKEW_S` of
    /// `now` (seconds).
    pub fn verify(&self, key: &PublicKey, serial: &str, body: &str, now: i64) -> Result<(), WechatError> {
        if self.serial != serial {
            return Err(WechatError::WrongSerial(self.serial.clone()));
        }
        let timestamp: i64 = self.timestamp.trim().parse().map_err(|_| WechatError::Stale)?;
        if (now - timestamp).abs() > MAX_SKEW_S {
            return Err(WechatError::Stale);
        }
        let message = answer_message(timestamp, &self.nonce, body);
        key.verify(message.as_bytes(), &self.signature).then_some(()).ok_or(WechatError::BadSignature)
    }
}

/// The resource's nonce: 12 characters, used as bytes.
fn nonce_of(nonce: &str) -> Result<Nonce<aes_gcm::aead::consts::U12>, WechatError> {
    let bytes: [u8; 12] = nonce.as_bytes().try_into().map_err(|_| WechatError::Sealed("the nonce is not 12 bytes"))?;
    Ok(Nonce::from(bytes))
}

fn cipher(api_v3_key: &str) -> Result<Aes256Gcm, WechatError> {
    Aes256Gcm::new_from_slice(api_v3_key.as_bytes()).map_err(|_| WechatError::BadKey)
}

/// Opens a notification's `resource.ciphertext` (base64 of the ciphertext and its 16-byte tag)
/// with the APIv3 key, its `nonce` (12 characters) and `associated_data`.
pub fn open(api_v3_key: &str, nonce: &str, associated_data: &str, ciphertext: &str) -> Result<Vec<u8>, WechatError> {
    let cipher = cipher(api_v3_key)?;
    let nonce = nonce_of(nonce)?;
    let sealed = STANDARD.decode(ciphertext.trim()).map_err(|_| WechatError::Sealed("the ciphertext is not base64"))?;
    let payload = Payload { msg: &sealed, aad: associated_data.as_bytes() };
    cipher.decrypt(&nonce, payload).map_err(|_| WechatError::Sealed("the tag does not match"))
}

/// Seals `plaintext` as WeChat does a notification's resource (the sandbox's side of `open`).
pub fn seal(api_v3_key: &str, nonce: &str, associated_data: &str, plaintext: &[u8]) -> Result<String, WechatError> {
    let cipher = cipher(api_v3_key)?;
    let nonce = nonce_of(nonce)?;
    let payload = Payload { msg: plaintext, aad: associated_data.as_bytes() };
    let sealed = cipher.encrypt(&nonce, payload).map_err(|_| WechatError::Sealed("sealing failed"))?;
    Ok(STANDARD.encode(sealed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::signing::test_keys::*;

    const NOW: i64 = 1_764_633_600;
    const ORDER: Request<'_> = Request {
        method: "POST",
        path: "/v3/pay/transactions/native",
        body: r#"{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"P1","amount":{"total":100}}"#,
    };

    #[test]
    fn a_request_is_signed_over_method_path_time_nonce_and_body_each_on_its_line() {
        assert_eq!(
            request_message(
                "GET",
                "/v3/pay/transactions/out-trade-no/P1?mchid=1230000109",
                1554208460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                ""
            ),
            "GET\n/v3/pay/transactions/out-trade-no/P1?mchid=1230000109\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
        );
        assert_eq!(
            answer_message(1554209980, "c5ac7061fccab6bf3e254dcf98995b8c", "{}"),
            "1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{}\n"
        );
    }

    #[test]
    fn the_authorization_header_reads_back_and_verifies() {
        let signed =
            Authorization::sign(&merchant(), "1230000109", "5157F09EFDC096DE15EBE81A47057A72", ORDER, NOW, "N0NCE");
        let header = signed.header();
        assert!(
            header.starts_with(r#"WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="N0NCE",signature=""#),
            "{header}"
        );
        let read = Authorization::parse(&header).unwrap();
        assert_eq!(read, signed);
        assert_eq!(read.verify(&merchant_public(), ORDER, NOW + 10), Ok(()));
        let tampered = Request { body: &ORDER.body.replace("100", "1"), ..ORDER };
        assert_eq!(read.verify(&merchant_public(), tampered, NOW), Err(WechatError::BadSignature));
        assert_eq!(read.verify(&merchant_public(), ORDER, NOW + MAX_SKEW_S + 1), Err(WechatError::Stale));
        assert!(Authorization::parse("Basic abc").is_err());
        assert!(Authorization::parse(&header.replace("timestamp", "time")).is_err());
    }

    #[test]
    fn the_request_signature_matches_openssl() {
        // printf 'POST\n/v3/pay/transactions/native\n1764633600\nN0NCE\n<body>\n' |
        //   openssl dgst -sha256 -sign merchant_key.pem | base64 -w0
        let signed = Authorization::sign(&merchant(), "1230000109", "S", ORDER, NOW, "N0NCE");
        assert_eq!(signed.signature, include_str!("testdata/wechat_request.sig").trim());
    }

    #[test]
    fn a_notification_verifies_only_with_the_platform_key_its_serial_and_in_time() {
        let body = r#"{"id":"EV-2018022511223320873","resource":{}}"#;
        let signed = Signed::sign(&provider(), "PUB_KEY_ID_1", body, NOW, "fdasflkja484w");
        let heard = Signed::from_headers(|name| {
            signed.headers().into_iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
        })
        .unwrap();
        assert_eq!(heard.verify(&provider_public(), "PUB_KEY_ID_1", body, NOW - 60), Ok(()));
        assert_eq!(
            heard.verify(&provider_public(), "PUB_KEY_ID_2", body, NOW),
            Err(WechatError::WrongSerial("PUB_KEY_ID_1".into()))
        );
        assert_eq!(heard.verify(&provider_public(), "PUB_KEY_ID_1", body, NOW + 301), Err(WechatError::Stale));
        assert_eq!(heard.verify(&merchant_public(), "PUB_KEY_ID_1", body, NOW), Err(WechatError::BadSignature));
        assert_eq!(
            heard.verify(&provider_public(), "PUB_KEY_ID_1", &body.replace("22", "23"), NOW),
            Err(WechatError::BadSignature)
        );
        assert_eq!(Signed::from_headers(|_| None), Err(WechatError::Missing("Wechatpay-Timestamp")));
    }

    #[test]
    fn a_resource_opens_as_python_cryptography_sealed_it() {
        // AESGCM(b"0123456789abcdef0123456789ABCDEF").encrypt(b"fdasflkja484", b'{"out_trade_no":"P1"}', b"transaction")
        let sealed = include_str!("testdata/wechat_resource.b64").trim();
        let key = "0123456789abcdef0123456789ABCDEF";
        assert_eq!(open(key, "fdasflkja484", "transaction", sealed).unwrap(), br#"{"out_trade_no":"P1"}"#);
        assert_eq!(seal(key, "fdasflkja484", "transaction", br#"{"out_trade_no":"P1"}"#).unwrap(), sealed);
        assert_eq!(open(key, "fdasflkja484", "refund", sealed), Err(WechatError::Sealed("the tag does not match")));
        assert_eq!(open("short", "fdasflkja484", "transaction", sealed), Err(WechatError::BadKey));
        assert_eq!(open(key, "short", "transaction", sealed), Err(WechatError::Sealed("the nonce is not 12 bytes")));
    }
}
