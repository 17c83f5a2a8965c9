//! Passwords: argon2id hashes (PHC strings), the rules a new password must
//! meet, and one-time passwords for new accounts.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng;

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (hashing cost grows with it).
pub const MAX_LEN: usize = 256;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("a password needs at least {MIN_LEN} characters")]
    TooShort,
    #[error("a password may have at most {MAX_LEN} characters")]
    TooLong,
    #[error("the password must not be the e-mail address")]
    IsEmail,
}

/// Checks a new password against the rules.
pub fn check(password: &str, email: &str) -> Result<(), WeakPassword> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(WeakPassword::TooShort);
    }
    if n > MAX_LEN {
        return Err(WeakPassword::TooLong);
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(WeakPassword::IsEmail);
    }
    Ok(())
}

/// Hashes with argon2id (the crate's defaults: 19 MiB, 2 passes) and a
/// random salt. CPU-heavy: call it from a blocking thread.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the stored PHC string (parameters come from
/// the string). A malformed hash never matches. CPU-heavy, like [`hash`].
pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

/// A hash of nothing anyone knows, verified against when the account does
/// not exist so that the answer takes as long either way.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&one_time()).unwrap_or_default())
}

/// A random one-time password: 20 characters without look-alikes
/// (about 100 bits).
pub fn one_time() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn rules() {
        assert_eq!(check("short", "a@b.c"), Err(WeakPassword::TooShort));
        assert_eq!(check("ops@example.com", "ops@example.com"), Err(WeakPassword::IsEmail));
        assert!(check("a long enough pass", "a@b.c").is_ok());
        assert_eq!(one_time().len(), 20);
        assert_ne!(one_time(), one_time());
    }
}
