//! Who is calling: password hashing, access and refresh tokens, API keys,
//! the login rate limit and the [`Caller`] extractor that every protected
//! handler takes.

pub mod accounts;
pub mod api_keys;
pub mod bootstrap;
pub mod caller;
pub mod password;
pub mod rate_limit;
pub mod refresh;
pub mod tokens;
pub mod user_states;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub use caller::Caller;

/// 32 random bytes, base64url: the secret part of API keys (refresh tokens
/// are derived, see [`tokens::TokenKeys::refresh_token`]).
pub fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// SHA-256 of a high-entropy secret, as stored in place of the secret itself.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}
