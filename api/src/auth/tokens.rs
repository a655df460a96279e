//! HS256 access tokens with the algorithm, issuer and audience pinned.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::DomainError;

/// Issuer claim of every token.
pub const ISSUER: &str = "rapport";
/// Audience claim of every token.
pub const AUDIENCE: &str = "rapport-api";
/// Shortest accepted signing secret.
pub const MIN_SECRET_BYTES: usize = 32;

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// User id.
    pub sub: Uuid,
    /// Role name.
    pub role: String,
    /// Department, if any.
    pub dept: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Unique token id.
    pub jti: Uuid,
    /// The user's token version when issued; bumping it revokes every token.
    pub ver: i32,
}

/// Signing and verification keys plus the token lifetime.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Lifetime of an access token in seconds.
    pub ttl_seconds: i64,
}

impl TokenKeys {
    /// Keys from a secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Result<Self, anyhow::Error> {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_BYTES,
            "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        })
    }

    /// Issues a token for a user.
    pub fn issue(
        &self,
        user_id: Uuid,
        role: &str,
        department: Option<&str>,
        token_version: i32,
    ) -> Result<String, DomainError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role: role.to_owned(),
            dept: department.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now + self.ttl_seconds,
            iat: now,
            jti: Uuid::now_v7(),
            ver: token_version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| DomainError::Internal(anyhow::Error::new(e).context("signing a token")))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, DomainError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| DomainError::Unauthorized(format!("invalid access token: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], 60).unwrap()
    }

    #[test]
    fn round_trip() {
        let keys = keys();
        let id = Uuid::now_v7();
        let token = keys.issue(id, "admin", Some("sales"), 3).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, "admin");
        assert_eq!(claims.ver, 3);
    }

    #[test]
    fn short_secrets_and_foreign_keys_are_refused() {
        assert!(TokenKeys::new(b"short", 60).is_err());
        let token = keys().issue(Uuid::now_v7(), "admin", None, 0).unwrap();
        let other = TokenKeys::new(&[8u8; 32], 60).unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = TokenKeys::new(&[7u8; 32], -60).unwrap();
        let token = keys.issue(Uuid::now_v7(), "admin", None, 0).unwrap();
        assert!(keys.verify(&token).is_err());
    }
}
