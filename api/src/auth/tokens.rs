//! HS256 access tokens with the algorithm, issuer and audience pinned, and
//! the refresh tokens that go with them, derived from the same secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
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
    /// The sign-in (refresh-token family) the token belongs to: signing
    /// out, or a replayed refresh token, revokes it.
    pub sid: Uuid,
}

/// What an access token is issued for besides its user: the sign-in, and
/// the refresh token issued with it (its id is the access token's `jti`,
/// its creation time the `iat`), so that issuing it again gives the same
/// token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issue {
    /// The refresh-token family.
    pub session_id: Uuid,
    /// The refresh token issued with this access token.
    pub token_id: Uuid,
    /// When, in seconds since the epoch.
    pub issued_at: i64,
}

/// Signing and verification keys plus the token lifetime.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Key of the refresh tokens, derived from the secret.
    refresh_key: [u8; 32],
    /// Lifetime of an access token in seconds.
    pub ttl_seconds: i64,
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], anyhow::Error> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key).map_err(|e| anyhow::anyhow!("HMAC key: {e}"))?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
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
            refresh_key: hmac(secret, &[b"rapport refresh tokens v1"])?,
            ttl_seconds,
        })
    }

    /// Issues an access token for a user. HS256 is deterministic: the same
    /// user state and [`Issue`] give the same token.
    pub fn issue(
        &self,
        user_id: Uuid,
        role: &str,
        department: Option<&str>,
        token_version: i32,
        issue: Issue,
    ) -> Result<String, DomainError> {
        let claims = Claims {
            sub: user_id,
            role: role.to_owned(),
            dept: department.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: issue.issued_at + self.ttl_seconds,
            iat: issue.issued_at,
            jti: issue.token_id,
            ver: token_version,
            sid: issue.session_id,
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

    /// The refresh token whose row has id `token_id`: HMAC-SHA256 of the id
    /// under a key derived from the secret, base64url (43 characters, like
    /// a random one). Only its digest is stored; deriving it rather than
    /// drawing it lets a retry within the grace window be given the same
    /// token again without keeping it in clear. Whoever could derive it
    /// holds the secret, and so could sign access tokens anyway.
    pub fn refresh_token(&self, token_id: Uuid) -> Result<String, DomainError> {
        let mac = hmac(&self.refresh_key, &[b"refresh token ", token_id.as_bytes()])?;
        Ok(URL_SAFE_NO_PAD.encode(mac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], 60).unwrap()
    }

    fn now() -> Issue {
        Issue {
            session_id: Uuid::now_v7(),
            token_id: Uuid::now_v7(),
            issued_at: chrono::Utc::now().timestamp(),
        }
    }

    #[test]
    fn round_trip() {
        let keys = keys();
        let id = Uuid::now_v7();
        let issue = now();
        let token = keys.issue(id, "admin", Some("sales"), 3, issue).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, "admin");
        assert_eq!(claims.ver, 3);
        assert_eq!(claims.sid, issue.session_id);
        assert_eq!(claims.jti, issue.token_id);
        // Issued again for the same sign-in and refresh token: the same token.
        assert_eq!(
            keys.issue(id, "admin", Some("sales"), 3, issue).unwrap(),
            token
        );
    }

    #[test]
    fn short_secrets_and_foreign_keys_are_refused() {
        assert!(TokenKeys::new(b"short", 60).is_err());
        let token = keys()
            .issue(Uuid::now_v7(), "admin", None, 0, now())
            .unwrap();
        let other = TokenKeys::new(&[8u8; 32], 60).unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = TokenKeys::new(&[7u8; 32], -60).unwrap();
        let token = keys.issue(Uuid::now_v7(), "admin", None, 0, now()).unwrap();
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn tokens_without_a_session_are_refused() {
        #[derive(Serialize)]
        struct Old {
            sub: Uuid,
            role: &'static str,
            iss: &'static str,
            aud: &'static str,
            exp: i64,
            iat: i64,
            jti: Uuid,
            ver: i32,
        }
        let now = chrono::Utc::now().timestamp();
        let old = Old {
            sub: Uuid::now_v7(),
            role: "admin",
            iss: ISSUER,
            aud: AUDIENCE,
            exp: now + 60,
            iat: now,
            jti: Uuid::now_v7(),
            ver: 0,
        };
        let token = encode(
            &Header::new(Algorithm::HS256),
            &old,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn refresh_tokens_are_derived_per_row_and_per_secret() {
        let id = Uuid::now_v7();
        let token = keys().refresh_token(id).unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(keys().refresh_token(id).unwrap(), token);
        assert_ne!(keys().refresh_token(Uuid::now_v7()).unwrap(), token);
        let other = TokenKeys::new(&[8u8; 32], 60).unwrap();
        assert_ne!(other.refresh_token(id).unwrap(), token);
    }
}
