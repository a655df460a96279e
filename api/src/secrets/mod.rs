//! Secrets at rest: webhook secrets, the generated token secret and stored
//! replies that carry a secret are kept sealed with AES-256-GCM under a
//! key-encryption key ([`MasterKey`]), so that a copy of the database alone
//! is not enough to sign webhooks or forge tokens.
//!
//! A sealed value reads `enc:v1:<key id>:<base64 of nonce and ciphertext>`;
//! the key id tells which master key sealed it, so `rapport rotate-keys`
//! can re-seal everything under a new one.

mod master_key;
pub mod source;

pub use master_key::{MasterKey, SEALED_PREFIX, is_sealed};
