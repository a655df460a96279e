//! argon2id password hashing at OWASP parameters (m = 19 MiB, t = 2, p = 1).

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::domain::{DomainError, FieldError};

/// Shortest accepted password.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password (argon2 cost grows with length).
pub const MAX_LENGTH: usize = 128;

/// Memory one hash or check takes, in KiB (the OWASP minimum for argon2id).
pub const MEMORY_KIB: u32 = 19 * 1024;

/// Memory all concurrent hashes and checks may take together.
const MEMORY_BUDGET_KIB: u32 = 256 * 1024;

/// How many hashes or checks may run at once: the memory budget over the
/// memory each takes (13 at the parameters above), so a flood of logins
/// cannot exhaust the machine's memory.
pub const CONCURRENT: usize = (MEMORY_BUDGET_KIB / MEMORY_KIB) as usize;

fn hasher() -> Result<Argon2<'static>, anyhow::Error> {
    let params = Params::new(MEMORY_KIB, 2, 1, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks the password policy.
pub fn check_policy(field: &str, password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        Err(FieldError::new(
            field,
            format!("must be at least {MIN_LENGTH} characters"),
        ))
    } else if length > MAX_LENGTH {
        Err(FieldError::new(
            field,
            format!("must be at most {MAX_LENGTH} characters"),
        ))
    } else {
        Ok(())
    }
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> Result<String, DomainError> {
    let hash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// Verifies a password against a stored PHC string (constant time in argon2).
pub fn verify(password: &str, stored: &str) -> Result<bool, DomainError> {
    Ok(hasher()?
        .verify_password(password.as_bytes(), stored)
        .is_ok())
}

/// A random password for generated accounts: 24 URL-safe characters.
pub fn generate() -> String {
    use base64::Engine;
    let bytes: [u8; 18] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &stored).unwrap());
        assert!(!verify("wrong horse battery", &stored).unwrap());
        assert!(!verify("x", "not a phc string").unwrap());
    }

    #[test]
    fn policy_bounds() {
        assert!(check_policy("password", "short").is_err());
        assert!(check_policy("password", &"x".repeat(129)).is_err());
        assert!(check_policy("password", "twelve chars").is_ok());
        assert_eq!(generate().len(), 24);
    }
}
