//! Password hashing with argon2id, run on the blocking pool so request workers never stall.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::{AppError, AppResult, Validator};

/// The minimum password length accepted anywhere.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks a new password's strength; names the field on failure.
pub fn validate_new(password: &str, field: &str) -> AppResult<()> {
    let long_enough = password.chars().count() >= MIN_PASSWORD_LEN;
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    Validator::new()
        .check(long_enough, field, &format!("must be at least {MIN_PASSWORD_LEN} characters"))
        .check(password.chars().count() <= 256, field, "must be at most 256 characters")
        .check(classes >= 3, field, "must mix at least three of: lower case, upper case, digits, symbols")
        .finish()
}

/// Hashes a password (argon2id, random salt) off the async workers.
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Verifies a password against a stored hash off the async workers. `None` as the hash
/// still spends the same work (against a dummy hash) so unknown users take as long.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let dummy;
        let hash_text = match &stored {
            Some(h) => h.as_str(),
            None => {
                dummy = dummy_hash();
                dummy.as_str()
            }
        };
        let parsed = PasswordHash::new(hash_text)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && stored.is_some())
    })
    .await
    .map_err(AppError::internal)?
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            Argon2::default().hash_password(b"dummy-password-for-timing").map(|h| h.to_string()).unwrap_or_default()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("Correct-Horse-1".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Correct-Horse-1".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("wrong".into(), Some(h)).await.unwrap());
        assert!(!verify("dummy-password-for-timing".into(), None).await.unwrap());
    }

    #[test]
    fn weak_passwords_are_refused_with_the_field_name() {
        let err = validate_new("short", "password").unwrap_err();
        assert!(matches!(err, AppError::Validation(ref v) if v[0].field == "password"));
        assert!(validate_new("alllowercaseletters", "password").is_err());
        assert!(validate_new("Good-Enough-42", "password").is_ok());
    }
}
