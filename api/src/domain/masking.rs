//! Masking of personal data for roles that read customers without PII
//! (analysts): names become initials, e-mails and phones keep a hint of
//! their shape, company and external id are withheld, and free text about
//! the person (interaction notes, workflow comments) is left out.

/// What a masked value reads as when nothing of it may be shown.
pub const WITHHELD: &str = "***";

/// Replaces a present value by [`WITHHELD`].
pub fn withhold(value: Option<String>) -> Option<String> {
    value.map(|_| WITHHELD.to_owned())
}

/// `jane@example.com` -> `j***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => WITHHELD.to_owned(),
    }
}

/// Keeps the last two digits: `+44 20 7946 0958` -> `***58`.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("***{tail}")
}

/// Initials: `Jane van Doe` -> `J. V. D.`.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|part| part.chars().next())
        .flat_map(char::to_uppercase)
        .map(|c| format!("{c}."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_email("jane@example.com"), "j***@example.com");
        assert_eq!(mask_email("broken"), "***");
        assert_eq!(mask_phone("+44 20 7946 0958"), "***58");
        assert_eq!(mask_phone("7"), "***7");
        assert_eq!(mask_name("Jane van Doe"), "J. V. D.");
    }
}
