//! The signatures the payment providers use, with nothing of HTTP: RSA keys as the providers hand
//! them out (PEM, PKCS#1 or PKCS#8, or the bare base64 Alipay's key tool prints, or the path of
//! such a file), SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256) in base64, and each provider's
//! rules for what is signed in its own folder (`<provider>/signing.rs`). Gateways sign and verify
//! with these, and so does the sandbox that plays the providers: one implementation for both sides.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

/// The smallest RSA modulus accepted, in bits (the providers issue 2048-bit keys).
const MIN_BITS: usize = 2048;

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: not a PEM file, a path to one, or base64 of a DER key")]
    Unreadable(String),
    #[error("{0}: not an RSA key of at least 2048 bits")]
    NotRsa(String),
}

/// A signing key (the merchant's, or in the sandbox the provider's).
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey<Sha256>,
    public: RsaPublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// A key that checks signatures (the provider's, or in the sandbox the merchant's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: RsaPublicKey,
}

impl PrivateKey {
    /// Reads `text` — PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`), base64 of the DER
    /// without armour, or the path of a file holding either; `what` names it in errors.
    pub fn read(what: &str, text: &str) -> Result<Self, KeyError> {
        let key = decode(
            what,
            text,
            |pem| RsaPrivateKey::from_pkcs8_pem(pem).or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem)).ok(),
            |der| RsaPrivateKey::from_pkcs8_der(der).or_else(|_| RsaPrivateKey::from_pkcs1_der(der)).ok(),
        )?;
        let key = key.ok_or_else(|| KeyError::NotRsa(what.to_owned()))?;
        Self::from_key(what, key)
    }

    /// A new random 2048-bit key (the sandbox's, when none is configured).
    pub fn generate() -> Result<Self, KeyError> {
        let mut rng = argon2::password_hash::rand_core::OsRng;
        let key = RsaPrivateKey::new(&mut rng, MIN_BITS).map_err(|_| KeyError::NotRsa("a new key".into()))?;
        Self::from_key("a new key", key)
    }

    fn from_key(what: &str, key: RsaPrivateKey) -> Result<Self, KeyError> {
        use rsa::traits::PublicKeyParts;
        if key.size() * 8 < MIN_BITS {
            return Err(KeyError::NotRsa(what.to_owned()));
        }
        let public = key.to_public_key();
        Ok(PrivateKey { key: SigningKey::new(key), public })
    }

    /// SHA256withRSA over `message`, in base64. Blinded (a random factor per signature), so its
    /// time says nothing of the key.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut rng = argon2::password_hash::rand_core::OsRng;
        let signature: Signature = self.key.sign_with_rng(&mut rng, message);
        STANDARD.encode(signature.to_bytes())
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey { key: self.public.clone() }
    }

    /// The key as PKCS#8 PEM (tests read a generated key back with it).
    #[cfg(test)]
    fn to_pem(&self) -> Option<String> {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let key: &RsaPrivateKey = self.key.as_ref();
        key.to_pkcs8_pem(LineEnding::LF).ok().map(|pem| pem.to_string())
    }

    /// The key as PKCS#1 DER (tests compare keys with it).
    #[cfg(test)]
    fn to_pkcs1(&self) -> Vec<u8> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key: &RsaPrivateKey = self.key.as_ref();
        key.to_pkcs1_der().map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }
}

impl PublicKey {
    /// Reads `text` — PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`), base64 of the DER without armour,
    /// or the path of a file holding either; `what` names it in errors.
    pub fn read(what: &str, text: &str) -> Result<Self, KeyError> {
        use rsa::traits::PublicKeyParts;
        let key = decode(
            what,
            text,
            |pem| RsaPublicKey::from_public_key_pem(pem).or_else(|_| RsaPublicKey::from_pkcs1_pem(pem)).ok(),
            |der| RsaPublicKey::from_public_key_der(der).or_else(|_| RsaPublicKey::from_pkcs1_der(der)).ok(),
        )?;
        let key = key.filter(|k| k.size() * 8 >= MIN_BITS).ok_or_else(|| KeyError::NotRsa(what.to_owned()))?;
        Ok(PublicKey { key })
    }

    /// Whether `signature` (base64) is SHA256withRSA over `message` by this key's holder.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(raw) = STANDARD.decode(signature.trim()) else { return false };
        let Ok(signature) = Signature::try_from(raw.as_slice()) else { return false };
        VerifyingKey::<Sha256>::new(self.key.clone()).verify(message, &signature).is_ok()
    }

    /// The key as SubjectPublicKeyInfo PEM (tests read a generated key back with it).
    #[cfg(test)]
    fn to_pem(&self) -> Option<String> {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        self.key.to_public_key_pem(LineEnding::LF).ok()
    }
}

/// A key from its text (or file): PEM through `pem`, bare base64 DER through `der`; none when
/// it reads as neither.
fn decode<K>(
    what: &str,
    text: &str,
    pem: impl Fn(&str) -> Option<K>,
    der: impl Fn(&[u8]) -> Option<K>,
) -> Result<Option<K>, KeyError> {
    let text = contents(what, text)?;
    if text.contains("-----BEGIN") {
        return Ok(pem(&text));
    }
    let raw = bare_der(&text).ok_or_else(|| KeyError::Unreadable(what.to_owned()))?;
    Ok(der(&raw))
}

/// The key text itself, or the contents of the file it names.
fn contents(what: &str, text: &str) -> Result<String, KeyError> {
    let trimmed = text.trim();
    if trimmed.contains("-----BEGIN") || bare_der(trimmed).is_some() {
        return Ok(trimmed.to_owned());
    }
    std::fs::read_to_string(trimmed).map_err(|_| KeyError::Unreadable(what.to_owned()))
}

/// Base64 of a DER structure, whitespace allowed (how Alipay's key tool prints keys).
fn bare_der(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.split_whitespace().collect();
    let der = STANDARD.decode(compact).ok()?;
    // A DER SEQUENCE, long enough to be a key: a path never decodes to one.
    (der.len() > 64 && der.first() == Some(&0x30)).then_some(der)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod test_keys {
    //! The test-only keys of `testdata/` (see its README).
    use super::{PrivateKey, PublicKey};

    pub(crate) const MERCHANT_KEY: &str = include_str!("testdata/merchant_key.pem");
    pub(crate) const MERCHANT_PUB: &str = include_str!("testdata/merchant_pub.pem");
    pub(crate) const PROVIDER_KEY: &str = include_str!("testdata/provider_key.pem");
    pub(crate) const PROVIDER_PUB: &str = include_str!("testdata/provider_pub.pem");

    pub(crate) fn merchant() -> PrivateKey {
        PrivateKey::read("merchant key", MERCHANT_KEY).expect("the merchant test key")
    }

    pub(crate) fn merchant_public() -> PublicKey {
        PublicKey::read("merchant public key", MERCHANT_PUB).expect("the merchant test public key")
    }

    pub(crate) fn provider() -> PrivateKey {
        PrivateKey::read("provider key", PROVIDER_KEY).expect("the provider test key")
    }

    pub(crate) fn provider_public() -> PublicKey {
        PublicKey::read("provider public key", PROVIDER_PUB).expect("the provider test public key")
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::*;
    use super::*;

    #[test]
    fn keys_are_read_from_pkcs8_and_pkcs1_pem_bare_base64_and_files() {
        assert_eq!(merchant().public(), merchant_public());
        assert_eq!(provider().public(), provider_public());
        // Alipay's key tool: the DER in base64 on one line, no armour.
        let bare: String = MERCHANT_KEY.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(PrivateKey::read("bare", &bare).unwrap().to_pkcs1(), merchant().to_pkcs1());
        let bare_public: String = MERCHANT_PUB.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(PublicKey::read("bare", &bare_public).unwrap(), merchant_public());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, PROVIDER_KEY).unwrap();
        let from_file = PrivateKey::read("file", path.to_str().unwrap()).unwrap();
        assert_eq!(from_file.public(), provider_public());
    }

    #[test]
    fn what_is_not_a_key_is_refused_by_name() {
        assert_eq!(
            PrivateKey::read("payments.wechat.merchant_private_key", "/no/such/file.pem").unwrap_err(),
            KeyError::Unreadable("payments.wechat.merchant_private_key".into())
        );
        let public_as_private = PrivateKey::read("k", MERCHANT_PUB).unwrap_err();
        assert_eq!(public_as_private, KeyError::NotRsa("k".into()));
    }

    #[test]
    fn a_signature_verifies_with_the_public_key_only_over_the_same_message() {
        let signature = merchant().sign(b"message");
        assert!(merchant_public().verify(b"message", &signature));
        assert!(!merchant_public().verify(b"messagf", &signature));
        assert!(!provider_public().verify(b"message", &signature));
        assert!(!merchant_public().verify(b"message", "not base64!"));
        assert!(!merchant_public().verify(b"message", ""));
    }

    #[test]
    fn a_generated_key_signs_what_its_public_half_verifies() {
        let started = std::time::Instant::now();
        let key = PrivateKey::generate().unwrap();
        let signature = key.sign(b"sandbox");
        assert!(key.public().verify(b"sandbox", &signature));
        let pem = key.to_pem().unwrap();
        assert_eq!(PrivateKey::read("generated", &pem).unwrap().public(), key.public());
        let public_pem = key.public().to_pem().unwrap();
        assert_eq!(PublicKey::read("generated", &public_pem).unwrap(), key.public());
        eprintln!("a 2048-bit key in {:?}", started.elapsed());
    }

    #[test]
    fn signatures_match_openssl() {
        // printf 'csms known answer' | openssl dgst -sha256 -sign merchant_key.pem | base64 -w0
        let expected = include_str!("testdata/known_answer.sig").trim();
        assert_eq!(merchant().sign(b"csms known answer"), expected);
        assert!(merchant_public().verify(b"csms known answer", expected));
    }
}
