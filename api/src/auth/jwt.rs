//! Access tokens: short-lived HS256 JWTs with a pinned algorithm and checked
//! iss / aud / exp / nbf and token type.

use std::path::Path;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{Environment, Settings};

/// The only token type accepted as an access token.
pub const ACCESS_TOKEN_TYPE: &str = "access";

/// Whose token it is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A user account's.
    User,
    /// A service client's.
    Client,
}

impl TokenKind {
    /// `user` or `client`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::User => "user",
            TokenKind::Client => "client",
        }
    }
}

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Subject: a user-account id or a service-client id.
    pub sub: Uuid,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
    /// Unique token id.
    pub jti: Uuid,
    /// Token type: always `access`.
    pub typ: String,
    /// `user` or `client`.
    pub kind: TokenKind,
    /// The account's token version when issued (users only).
    pub tv: i32,
    /// The key epoch the token was issued in (`services::epoch`); tokens from before
    /// epochs existed count as epoch 1.
    #[serde(default = "first_epoch")]
    pub ep: i32,
}

fn first_epoch() -> i32 {
    1
}

/// How far in the future an `iat` may lie (clock skew between replicas).
pub const MAX_CLOCK_SKEW_SECS: i64 = 30;

/// Signing and verification keys plus the claims policy.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: i64,
}

impl JwtKeys {
    /// Builds keys from a secret.
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        }
    }

    /// Loads the configured secret, or in development the generated one from the data folder
    /// (created with owner-only permissions on first use).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let secret = match &settings.jwt_secret {
            Some(s) => secrecy::ExposeSecret::expose_secret(s).as_bytes().to_vec(),
            None if settings.environment == Environment::Production => {
                anyhow::bail!("production mode needs DANGJIAN_JWT_SECRET")
            }
            None => dev_secret(&settings.data_dir)?,
        };
        Ok(Self::new(&secret, &settings.jwt_issuer, &settings.jwt_audience, settings.access_token_ttl))
    }

    /// Lifetime of issued tokens in seconds.
    pub fn ttl(&self) -> i64 {
        self.ttl
    }

    /// Issues an access token for `sub`.
    pub fn issue(&self, sub: Uuid, kind: TokenKind, token_version: i32, epoch: i32) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            exp: now + self.ttl,
            nbf: now,
            iat: now,
            jti: Uuid::now_v7(),
            typ: ACCESS_TOKEN_TYPE.into(),
            kind,
            tv: token_version,
            ep: epoch,
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// Verifies signature, algorithm, iss, aud, exp, nbf, type, and that `iat` is not
    /// in the future (beyond [`MAX_CLOCK_SKEW_SECS`]) nor claims a lifetime longer than
    /// ours; `None` when anything fails.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let now = chrono::Utc::now().timestamp();
        let c = data.claims;
        let sane_times = c.iat <= now + MAX_CLOCK_SKEW_SECS && c.exp - c.iat <= self.ttl && c.nbf >= c.iat;
        (c.typ == ACCESS_TOKEN_TYPE && sane_times).then_some(c)
    }
}

fn dev_secret(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let trimmed = existing.trim();
        anyhow::ensure!(trimmed.len() >= 32, "{} is too short; delete it to regenerate", path.display());
        return Ok(trimmed.as_bytes().to_vec());
    }
    std::fs::create_dir_all(dir)?;
    let bytes: [u8; 48] = rand::random();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &secret)?;
    tracing::warn!(path = %path.display(), "generated a development signing key; set DANGJIAN_JWT_SECRET in production");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    std::fs::write(path, content)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef", "dangjian", "dangjian-api", 60)
    }

    #[test]
    fn round_trip() {
        let k = keys();
        let id = Uuid::now_v7();
        let t = k.issue(id, TokenKind::User, 3, 1).unwrap();
        let c = k.verify(&t).unwrap();
        assert_eq!((c.sub, c.tv, c.kind), (id, 3, TokenKind::User));
    }

    #[test]
    fn other_audience_issuer_or_key_is_refused() {
        let t = JwtKeys::new(b"0123456789abcdef0123456789abcdef", "dangjian", "other", 60)
            .issue(Uuid::now_v7(), TokenKind::User, 0, 1)
            .unwrap();
        assert!(keys().verify(&t).is_none());
        let t = JwtKeys::new(b"0123456789abcdef0123456789abcdef", "evil", "dangjian-api", 60)
            .issue(Uuid::now_v7(), TokenKind::User, 0, 1)
            .unwrap();
        assert!(keys().verify(&t).is_none());
        let t = JwtKeys::new(b"another-secret-another-secret-xx", "dangjian", "dangjian-api", 60)
            .issue(Uuid::now_v7(), TokenKind::User, 0, 1)
            .unwrap();
        assert!(keys().verify(&t).is_none());
    }

    #[test]
    fn an_iat_in_the_future_is_refused() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let forge = |iat: i64| {
            let claims = Claims {
                iss: "dangjian".into(),
                aud: "dangjian-api".into(),
                sub: Uuid::now_v7(),
                exp: iat + 60,
                nbf: iat.min(now),
                iat,
                jti: Uuid::now_v7(),
                typ: ACCESS_TOKEN_TYPE.into(),
                kind: TokenKind::User,
                tv: 0,
                ep: 1,
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap()
        };
        assert!(k.verify(&forge(now)).is_some());
        assert!(k.verify(&forge(now + 10)).is_none(), "nbf before iat");
        assert!(k.verify(&forge(now + 10 * 365 * 86_400)).is_none(), "ten years ahead");
    }

    #[test]
    fn expired_is_refused() {
        let t = JwtKeys::new(b"0123456789abcdef0123456789abcdef", "dangjian", "dangjian-api", -60)
            .issue(Uuid::now_v7(), TokenKind::User, 0, 1)
            .unwrap();
        assert!(keys().verify(&t).is_none());
    }
}
