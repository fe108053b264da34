//! Sign-in tokens: JWTs signed with HS256 (`jsonwebtoken`), valid seven days; signing in again
//! gives a new one.

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a token is valid.
pub const TOKEN_DAYS: i64 = 7;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// `user`, `operator` or `admin` when it was issued.
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    /// The user's token version when it was issued (0 in tokens made before there were any).
    #[serde(default)]
    pub ver: i64,
}

/// Why a token is refused (never more than that is told).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token is invalid or has expired")]
pub struct TokenError;

/// Issues and checks tokens with one secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: Arc<EncodingKey>,
    decoding: Arc<DecodingKey>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

impl Tokens {
    /// Tokens signed with `secret` (not empty).
    pub fn new(secret: &[u8]) -> Result<Self, TokenError> {
        Ok(Tokens {
            encoding: Arc::new(EncodingKey::from_secret(secret).map_err(|_| TokenError)?),
            decoding: Arc::new(DecodingKey::from_secret(secret).map_err(|_| TokenError)?),
        })
    }

    /// A token for user `id` with `role`, at their token version `ver`.
    pub fn issue(&self, id: i64, role: &str, ver: i64) -> Result<String, TokenError> {
        let now = Utc::now();
        let claims = Claims {
            sub: id.to_string(),
            role: role.to_owned(),
            iat: now.timestamp(),
            exp: (now + Duration::days(TOKEN_DAYS)).timestamp(),
            ver,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|_| TokenError)
    }

    /// What a valid, unexpired HS256 token says.
    pub fn check(&self, token: &str) -> Result<Claims, TokenError> {
        let validation = Validation::new(Algorithm::HS256);
        decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims).map_err(|_| TokenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_says_who_and_what_role_for_seven_days() {
        let tokens = Tokens::new(b"a secret of thirty-two bytes....").unwrap();
        let token = tokens.issue(42, "user", 3).unwrap();
        let claims = tokens.check(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role.as_str(), claims.ver), ("42", "user", 3));
        assert_eq!(claims.exp - claims.iat, 7 * 24 * 3600);
    }

    #[test]
    fn a_token_of_another_secret_a_changed_one_or_an_expired_one_is_refused() {
        let tokens = Tokens::new(b"one secret").unwrap();
        let token = tokens.issue(42, "user", 0).unwrap();
        assert_eq!(Tokens::new(b"another secret").unwrap().check(&token), Err(TokenError));
        assert!(Tokens::new(b"").is_err());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert_eq!(tokens.check(&parts.join(".")), Err(TokenError));
        let now = Utc::now().timestamp();
        let old = Claims { sub: "42".into(), role: "admin".into(), iat: now - 8 * 86_400, exp: now - 86_400, ver: 0 };
        let expired =
            encode(&Header::new(Algorithm::HS256), &old, &EncodingKey::from_secret(b"one secret").unwrap()).unwrap();
        assert_eq!(tokens.check(&expired), Err(TokenError));
        assert_eq!(tokens.check("not.a.token"), Err(TokenError));
    }
}
