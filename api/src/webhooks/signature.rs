//! Standard Webhooks signing: `webhook-signature: v1,<base64 HMAC-SHA256>`
//! over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part
//! of a `whsec_` secret. While a rotated secret still signs, the header
//! holds one signature per secret, separated by spaces (as the standard
//! allows), so receivers can switch secrets without losing a delivery.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Prefix of every webhook secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh random secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key of a secret.
fn key(secret: &str) -> Result<Vec<u8>, anyhow::Error> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .map_err(|e| anyhow::anyhow!("stored webhook secret is not base64: {e}"))
}

/// The `webhook-signature` header value of a message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, anyhow::Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?)
        .map_err(|e| anyhow::anyhow!("HMAC key: {e}"))?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header value signed with each of `secrets`.
pub fn sign_all(
    secrets: &[String],
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, anyhow::Error> {
    let signatures = secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks reference implementations' test suite.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, id, 1614265330, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn several_secrets_give_space_separated_signatures() {
        let (a, b) = (new_secret(), new_secret());
        let both = sign_all(&[a.clone(), b.clone()], "msg_1", 1, "{}").unwrap();
        let one = sign(&a, "msg_1", 1, "{}").unwrap();
        let other = sign(&b, "msg_1", 1, "{}").unwrap();
        assert_eq!(both, format!("{one} {other}"));
        assert_eq!(sign_all(&[a], "msg_1", 1, "{}").unwrap(), one);
    }

    #[test]
    fn secrets_are_random_and_prefixed() {
        let a = new_secret();
        assert!(a.starts_with(SECRET_PREFIX));
        assert_ne!(a, new_secret());
        assert_eq!(key(&a).unwrap().len(), 32);
    }
}
