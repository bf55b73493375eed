//! Encryption of stored module settings (API keys) and the policies for the server's
//! `SECRET_KEY` and for account passwords.

use std::fmt;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// blake3 key-derivation context: changing it makes every stored setting unreadable.
const KEY_CONTEXT: &str = "misp-modules-stack module settings v1";

/// Length of an XChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 24;

/// Encrypts and decrypts module settings with a key derived from the server's secret.
///
/// Every value gets a fresh random nonce; the associated data is `module\0key`, so a
/// ciphertext copied to another (module, key) row does not decrypt.
#[derive(Clone)]
pub struct SettingsCipher {
    aead: XChaCha20Poly1305,
}

/// A ciphertext did not authenticate (other secret, other row, or corrupted data), or
/// the nonce has the wrong length. Carries nothing about the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored value cannot be decrypted with the current secret")]
pub struct DecryptError;

impl SettingsCipher {
    /// Derives the settings key from the server secret (`SECRET_KEY`). Check the secret
    /// with [`check_secret_key`] first.
    pub fn from_secret(secret: &str) -> SettingsCipher {
        let key = blake3::derive_key(KEY_CONTEXT, secret.as_bytes());
        SettingsCipher {
            aead: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// Encrypts `value` for the row (`module`, `key`); returns (nonce, ciphertext).
    pub fn encrypt(&self, module: &str, key: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(module, key);
        // Encryption with XChaCha20-Poly1305 fails only for messages beyond 256 GiB.
        let ciphertext = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: value.as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        (nonce.to_vec(), ciphertext)
    }

    /// Decrypts the row (`module`, `key`).
    pub fn decrypt(
        &self,
        module: &str,
        key: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<String, DecryptError> {
        if nonce.len() != NONCE_LEN {
            return Err(DecryptError);
        }
        let aad = associated_data(module, key);
        let plain = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }
}

impl fmt::Debug for SettingsCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SettingsCipher { .. }")
    }
}

fn associated_data(module: &str, key: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(module.len() + key.len() + 1);
    aad.extend_from_slice(module.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key.as_bytes());
    aad
}

fn all_one_character(value: &str) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => true,
    }
}

/// Refuses a missing, short or placeholder `SECRET_KEY`.
pub fn check_secret_key(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("SECRET_KEY is empty");
    }
    if value.chars().count() < 32 {
        return Err("SECRET_KEY must be at least 32 characters long");
    }
    let lower = value.to_lowercase();
    const PLACEHOLDERS: [&str; 5] = ["change", "secret-key", "your-", "example", "placeholder"];
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return Err("SECRET_KEY looks like a placeholder; generate a random value");
    }
    if all_one_character(value) {
        return Err("SECRET_KEY is one character repeated; generate a random value");
    }
    Ok(())
}

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest accepted password, in characters.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Common passwords and placeholders, lowercase; compared case-insensitively.
const COMMON_PASSWORDS: &[&str] = &[
    "password1234",
    "password12345",
    "password123456",
    "password1234567",
    "password12345678",
    "password123!",
    "password1234!",
    "passwordpassword",
    "your-password",
    "your_password",
    "yourpassword",
    "your-password-here",
    "yourpasswordhere",
    "changeme",
    "changemenow",
    "changemeplease",
    "changeme1234",
    "changeme123456",
    "pleasechangeme",
    "change-me-please",
    "adminadmin12",
    "adminpassword",
    "admin-password",
    "administrator",
    "administrator1",
    "admin1234567",
    "admin12345678",
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456123456",
    "111111111111",
    "000000000000",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyuiopasdf",
    "1q2w3e4r5t6y",
    "iloveyou1234",
    "letmein12345",
    "letmeinplease",
    "welcome12345",
    "welcome123456",
    "trustno1trustno1",
    "correcthorsebatterystaple",
    "mispmodules123",
    "misp-modules123",
    "placeholder1",
    "example-password",
    "examplepassword",
];

/// Words whose use as the whole password, optionally followed by digits and punctuation
/// ("Admin2024!!!!", "changeme-123456"), is refused.
const COMMON_STEMS: &[&str] = &[
    "password",
    "passw0rd",
    "changeme",
    "change-me",
    "admin",
    "administrator",
    "letmein",
    "welcome",
    "qwerty",
    "qwertyuiop",
    "secret",
    "default",
    "example",
    "placeholder",
    "your-password",
    "yourpassword",
    "misp",
    "mispmodules",
    "misp-modules",
    "root",
    "test",
];

/// The password policy for every account: 12 to 256 characters, not a common password or
/// placeholder, not one character repeated. No composition rules; the password is used
/// exactly as typed.
pub fn check_password(value: &str) -> Result<(), &'static str> {
    let chars = value.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err("the password must be at least 12 characters long");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err("the password must be at most 256 characters long");
    }
    if all_one_character(value) {
        return Err("the password is one character repeated");
    }
    let lower = value.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("the password is too common; choose another one");
    }
    if lower.contains("changeme")
        || lower.contains("your-password")
        || lower.contains("placeholder")
    {
        return Err("the password looks like a placeholder; choose another one");
    }
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if stem.is_empty() && is_digit_run(&lower) {
        return Err("the password is too common; choose another one");
    }
    if COMMON_STEMS.iter().any(|word| is_repetition_of(stem, word)) {
        return Err("the password is too common; choose another one");
    }
    Ok(())
}

/// The policy for the first administrator's password (from the environment at first run):
/// the general policy, and it must not contain the word "admin".
pub fn check_admin_password(value: &str) -> Result<(), &'static str> {
    check_password(value)?;
    if value.to_lowercase().contains("admin") {
        return Err("the administrator password must not contain the word \"admin\"");
    }
    Ok(())
}

/// `value` is `word` written one or more times ("adminadmin").
fn is_repetition_of(value: &str, word: &str) -> bool {
    !value.is_empty()
        && value.len().is_multiple_of(word.len())
        && value == word.repeat(value.len() / word.len())
}

/// Digits counting up or down by one ("123456789012", "987654321098"), or digits and
/// punctuation with a single repeated digit.
fn is_digit_run(value: &str) -> bool {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() < 2 {
        return true;
    }
    let step = |a: u32, b: u32, up: bool| {
        if up {
            (a + 1) % 10 == b
        } else {
            (b + 1) % 10 == a
        }
    };
    digits.windows(2).all(|w| step(w[0], w[1], true))
        || digits.windows(2).all(|w| step(w[0], w[1], false))
        || digits.windows(2).all(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_policy() {
        assert!(check_secret_key("").is_err());
        assert!(check_secret_key("short-but-random-7Hq").is_err());
        assert!(check_secret_key(&"a".repeat(64)).is_err());
        assert!(check_secret_key("please-CHANGE-this-value-to-something-long").is_err());
        assert!(check_secret_key("my-secret-key-that-is-long-enough-0123").is_err());
        assert!(check_secret_key("your-own-long-random-value-goes-here-000").is_err());
        assert!(check_secret_key("an-Example-value-that-is-long-enough-123").is_err());
        assert!(check_secret_key("PLACEHOLDER-placeholder-placeholder-xx").is_err());
        assert!(check_secret_key("r8Vx2LqP0w3nZk9TfYb7HcJ4mS1dGe6A").is_ok());
    }

    #[test]
    fn password_policy() {
        assert!(check_password("").is_err());
        assert!(check_password("elevenchars").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
        assert!(check_password(&"é".repeat(255).replacen('é', "a", 1)).is_ok());
        assert!(check_password("aaaaaaaaaaaaaaaa").is_err());
        for common in [
            "password1234",
            "Password1234",
            "PASSWORD1234",
            "your-password",
            "changemechangeme",
            "ChangeMe2024!",
            "admin1234567",
            "Admin2024!!!!",
            "adminadminadmin",
            "administrator",
            "123456789012",
            "098765432109",
            "qwertyuiop12",
            "this-is-a-placeholder",
        ] {
            assert!(check_password(common).is_err(), "{common} accepted");
        }
        // No composition rules: a long lowercase passphrase is fine.
        assert!(check_password("velvet tractor summer orbit").is_ok());
        assert!(check_password("n4Xq-81vz-KpTe").is_ok());
        // Exactly 12 characters, and leading/trailing spaces are kept as typed.
        assert!(check_password(" gT7r lq9Zp ").is_ok());
    }

    #[test]
    fn admin_password_policy() {
        assert!(check_admin_password("velvet tractor summer orbit").is_ok());
        assert!(check_admin_password("my-ADMIN-is-strong-9f2").is_err());
        assert!(check_admin_password("short").is_err());
    }

    #[test]
    fn cipher_round_trip_and_binding() {
        let cipher = SettingsCipher::from_secret("r8Vx2LqP0w3nZk9TfYb7HcJ4mS1dGe6A");
        let (nonce, ct) = cipher.encrypt("virustotal", "apikey", "SENTINEL-123");
        assert_eq!(nonce.len(), NONCE_LEN);
        assert!(!ct.windows(12).any(|w| w == b"SENTINEL-123"));
        assert_eq!(
            cipher.decrypt("virustotal", "apikey", &nonce, &ct).unwrap(),
            "SENTINEL-123"
        );
        // Bound to its row.
        assert!(cipher.decrypt("virustotal", "other", &nonce, &ct).is_err());
        assert!(cipher.decrypt("shodan", "apikey", &nonce, &ct).is_err());
        // Fresh nonce per value.
        let (nonce2, ct2) = cipher.encrypt("virustotal", "apikey", "SENTINEL-123");
        assert_ne!(nonce, nonce2);
        assert_ne!(ct, ct2);
        // Another secret cannot decrypt.
        let other = SettingsCipher::from_secret("Q1w9Zr4Lk2Xv8Pn5Tb7Hy3Jc6Md0Gs2F");
        assert!(other.decrypt("virustotal", "apikey", &nonce, &ct).is_err());
        // Bad nonce length is an error, not a panic.
        assert!(
            cipher
                .decrypt("virustotal", "apikey", &nonce[..10], &ct)
                .is_err()
        );
        // Debug shows nothing.
        assert_eq!(format!("{cipher:?}"), "SettingsCipher { .. }");
    }
}
