//! The key-encryption key and the sealed-value format.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Prefix of every sealed value (format version 1).
pub const SEALED_PREFIX: &str = "enc:v1:";
/// Bytes of a master key.
const KEY_BYTES: usize = 32;
/// Bytes of an AES-GCM nonce.
const NONCE_BYTES: usize = 12;

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// An AES-256-GCM key-encryption key and its id (the first 8 hex digits of
/// a SHA-256 of the key, so the id reveals nothing usable).
#[derive(Clone)]
pub struct MasterKey {
    kid: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, anyhow::Error> {
        anyhow::ensure!(
            bytes.len() == KEY_BYTES,
            "a master key is {KEY_BYTES} bytes, this one has {}",
            bytes.len()
        );
        let digest = Sha256::digest([b"rapport master key id:".as_slice(), bytes].concat());
        let kid = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let cipher =
            Aes256Gcm::new_from_slice(bytes).map_err(|e| anyhow::anyhow!("master key: {e}"))?;
        Ok(Self { kid, cipher })
    }

    /// A key from its base64 text (surrounding white space ignored).
    pub fn from_base64(text: &str) -> Result<Self, anyhow::Error> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            anyhow::anyhow!("a master key is base64 of 32 bytes (`openssl rand -base64 32`)")
        })?;
        Self::from_bytes(&bytes)
    }

    /// A new random key and its base64 text.
    pub fn generate() -> Result<(Self, String), anyhow::Error> {
        let bytes: [u8; KEY_BYTES] = rand::random();
        Ok((Self::from_bytes(&bytes)?, STANDARD.encode(bytes)))
    }

    /// The key's id, as written in what it seals.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Seals `plain`: `enc:v1:<kid>:<base64 nonce + ciphertext>` (the key
    /// id is authenticated too).
    pub fn seal(&self, plain: &str) -> Result<String, anyhow::Error> {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: self.kid.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| anyhow::anyhow!("sealing a secret failed"))?;
        Ok(format!(
            "{SEALED_PREFIX}{}:{}",
            self.kid,
            STANDARD.encode([nonce.as_slice(), &sealed].concat())
        ))
    }

    /// Opens a value sealed by [`MasterKey::seal`] with this key.
    pub fn open(&self, stored: &str) -> Result<String, anyhow::Error> {
        let rest = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| anyhow::anyhow!("the stored secret is not sealed"))?;
        let (kid, data) = rest
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("a sealed secret is damaged (no key id)"))?;
        anyhow::ensure!(
            kid == self.kid,
            "a secret is sealed under master key {kid}, but the configured master key is {}: \
             start with the key it was sealed under (RAPPORT_MASTER_KEY or the key file)",
            self.kid
        );
        let data = STANDARD
            .decode(data)
            .map_err(|_| anyhow::anyhow!("a sealed secret is damaged (not base64)"))?;
        anyhow::ensure!(
            data.len() > NONCE_BYTES,
            "a sealed secret is damaged (too short)"
        );
        let (nonce, sealed) = data.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce
            .try_into()
            .map_err(|_| anyhow::anyhow!("a sealed secret is damaged (nonce)"))?;
        let payload = Payload {
            msg: sealed,
            aad: kid.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| anyhow::anyhow!("a sealed secret does not open (damaged or altered)"))?;
        String::from_utf8(plain).map_err(|_| anyhow::anyhow!("a sealed secret is not text"))
    }

    /// Opens `stored` with `self` and seals it again under `new`.
    pub fn reseal(&self, stored: &str, new: &MasterKey) -> Result<String, anyhow::Error> {
        new.seal(&self.open(stored)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_with_random_nonces() {
        let (key, _) = MasterKey::generate().unwrap();
        let a = key.seal("whsec_abc").unwrap();
        let b = key.seal("whsec_abc").unwrap();
        assert!(a.starts_with(&format!("enc:v1:{}:", key.kid())), "{a}");
        assert_ne!(a, b);
        assert!(!a.contains("whsec_"));
        assert_eq!(key.open(&a).unwrap(), "whsec_abc");
    }

    #[test]
    fn refuses_another_key_tampering_and_garbage() {
        let (key, text) = MasterKey::generate().unwrap();
        let (other, _) = MasterKey::generate().unwrap();
        let sealed = key.seal("secret").unwrap();
        let err = other.open(&sealed).unwrap_err().to_string();
        assert!(
            err.contains(key.kid()) && err.contains(other.kid()),
            "{err}"
        );
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(key.open(&String::from_utf8(bytes).unwrap()).is_err());
        assert!(key.open("plain").is_err());
        assert!(key.open(&format!("enc:v1:{}:AAAA", key.kid())).is_err());
        assert_eq!(MasterKey::from_base64(&text).unwrap().kid(), key.kid());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn reseals_under_a_new_key() {
        let (old, _) = MasterKey::generate().unwrap();
        let (new, _) = MasterKey::generate().unwrap();
        let moved = old.reseal(&old.seal("jwt").unwrap(), &new).unwrap();
        assert_eq!(new.open(&moved).unwrap(), "jwt");
        assert!(old.open(&moved).is_err());
    }
}
