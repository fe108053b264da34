//! The accounts service as `startup` builds it: sign-in codes, tokens and real-name checks.

use super::StartupError;
use crate::config::Settings;
use crate::domain::users::{RealNameVerifier, SmsCodes, SmsSender, Tokens, Users};
use crate::kv::Kv;
use crate::store::Store;
use std::sync::Arc;

/// The accounts service: sign-in codes in Redis when `redis.url` is set (else in process), sent
/// through `sms`, tokens signed with `auth.jwt_secret` (random per process when empty), and
/// real names checked by `verifier`.
pub(super) fn users(
    settings: &Settings,
    store: &Store,
    kv: Kv,
    sms: Arc<dyn SmsSender>,
    verifier: Arc<dyn RealNameVerifier>,
) -> Result<Users, StartupError> {
    use sha2::{Digest, Sha256};
    let secret = if settings.auth.jwt_secret.is_empty() {
        tracing::warn!("auth.jwt_secret is empty: a random one is used, and tokens end with this process");
        let mut random = [0u8; 32];
        argon2::password_hash::rand_core::RngCore::fill_bytes(
            &mut argon2::password_hash::rand_core::OsRng,
            &mut random,
        );
        random.to_vec()
    } else {
        settings.auth.jwt_secret.as_bytes().to_vec()
    };
    let tokens = Tokens::new(&secret).map_err(|_| StartupError::Secret)?;
    // The codes' key: derived, so that a token's secret is never what hashes a code.
    let code_key = Sha256::new().chain_update(b"csms sms codes\0").chain_update(&secret).finalize();
    let codes = SmsCodes::new(kv, sms, &code_key)
        .resend_after(std::time::Duration::from_secs(settings.auth.sms_resend_interval_s));
    let id_key = Sha256::new().chain_update(b"csms id cards\0").chain_update(&secret).finalize();
    Ok(Users::new(std::sync::Arc::new(store.clone()), codes, tokens, verifier, &id_key))
}
