//! One error type for the whole service, with stable machine-readable codes.
//!
//! Services return [`AppError`]; `rest::problem` maps it once to
//! `application/problem+json` and `graphql` maps it once to `extensions.code`.
//! Internal errors are logged with their cause and answered generically, so no SQL,
//! stack trace or panic message reaches a client.

use sea_orm::{DbErr, SqlErr};

/// A field-level validation failure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The offending input field, in the transport's naming (snake_case).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Everything a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid credentials were presented.
    #[error("authentication required")]
    Unauthenticated,
    /// Credentials at the token endpoint were refused (OAuth2 `invalid_grant` / `invalid_client`).
    #[error("{message}")]
    InvalidGrant {
        /// OAuth2 error name.
        oauth_error: &'static str,
        /// Human text; never says whether the user exists.
        message: &'static str,
    },
    /// Authenticated, but the role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist or is outside the caller's scope (indistinguishable).
    #[error("resource not found")]
    NotFound,
    /// Input failed validation.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// The change conflicts with the current state (duplicate key, non-empty organisation, ...).
    #[error("{0}")]
    Conflict(String),
    /// The expected version does not match the stored one.
    #[error("the object was changed by someone else (expected version {expected}, current {current})")]
    StaleVersion {
        /// The version the caller based its change on.
        expected: i32,
        /// The stored version.
        current: i32,
    },
    /// An update came without the version it is based on (REST `If-Match`).
    #[error("this update needs If-Match with the current ETag")]
    PreconditionRequired,
    /// The server is saturated (password-hashing threads or database connections all
    /// busy): try again after the given number of seconds.
    #[error("the server is busy; retry in {0} s")]
    Busy(u64),
    /// A changes-feed cursor this server cannot continue from (REST 410, code
    /// `RESYNC_REQUIRED`): export again and follow the feed from the export's cursor.
    #[error("{0}")]
    ResyncRequired(String),
    /// The caller is over its request quota (`crate::http::ratelimit`): REST 429 with
    /// `Retry-After` and the `RateLimit` headers, GraphQL `RATE_LIMITED`.
    #[error("too many requests; retry in {} s", .0.reset)]
    RateLimited(QuotaState),
    /// The request took longer than the configured limit.
    #[error("the request timed out")]
    Timeout,
    /// The client did not send its request body in time (it stalled, or trickled past
    /// the request timeout): REST 408, the client's fault, not the server's.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// The request body has a content type this endpoint does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The client accepts no media type this endpoint can answer with (`Accept`).
    #[error("{0}")]
    NotAcceptable(String),
    /// The operation is not allowed with this HTTP method (e.g. a GraphQL mutation over
    /// GET, or DELETE on a list).
    #[error("{message}")]
    MethodNotAllowed {
        /// What to do instead.
        message: String,
        /// The methods the resource takes (the `Allow` header), e.g. `GET, HEAD, POST`.
        allow: String,
    },
    /// The request names query parameters the operation does not take.
    #[error("unknown query parameter: {}", .0.join(", "))]
    UnknownParameters(Vec<String>),
    /// The request body is larger than the configured limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Anything else; the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The stable code shared by REST (`code`) and GraphQL (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated | AppError::InvalidGrant { .. } => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::Validation(_) => "VALIDATION",
            AppError::Conflict(_) | AppError::StaleVersion { .. } => "CONFLICT",
            AppError::PreconditionRequired => "PRECONDITION_REQUIRED",
            AppError::Timeout => "TIMEOUT",
            AppError::RequestTimeout => "REQUEST_TIMEOUT",
            AppError::Busy(_) => "UNAVAILABLE",
            AppError::RateLimited(_) => "RATE_LIMITED",
            AppError::ResyncRequired(_) => "RESYNC_REQUIRED",
            AppError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            AppError::UnknownParameters(_) => "UNKNOWN_PARAMETER",
            AppError::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            AppError::NotAcceptable(_) => "NOT_ACCEPTABLE",
            AppError::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// A validation error on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// The field a VALIDATION error names first, if any.
    pub fn field_name(&self) -> Option<String> {
        match self {
            AppError::Validation(v) => v.first().map(|f| f.field.clone()),
            _ => None,
        }
    }

    /// A permission refusal.
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    /// Wraps an unexpected failure.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    /// The text a client may see, in the request's language (`crate::i18n`): generic
    /// for internal errors.
    pub fn public_message(&self) -> String {
        use crate::i18n::tr;
        match self {
            AppError::Validation(errors) => {
                let parts: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, tr(&e.message))).collect();
                format!("{}: {}", tr("invalid input"), parts.join("; "))
            }
            AppError::InvalidGrant { message, .. } => tr(message),
            AppError::UnknownParameters(names) => format!("{}: {}", tr("unknown query parameter"), names.join(", ")),
            other => tr(&other.to_string()),
        }
    }

    /// The field errors of a VALIDATION error, their messages in the request's language.
    pub fn public_field_errors(&self) -> Vec<FieldError> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .map(|e| FieldError { field: e.field.clone(), message: crate::i18n::tr(&e.message) })
                .collect(),
            AppError::UnknownParameters(names) => names
                .iter()
                .map(|name| FieldError {
                    field: name.clone(),
                    message: crate::i18n::tr("is not a parameter of this operation"),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Whether the database aborted the statement because of a concurrent transaction
/// (PostgreSQL deadlock or serialization failure; SQLite busy after the timeout).
fn is_concurrency_failure(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    match runtime {
        sea_orm::RuntimeErr::SqlxError(e) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => {
                matches!(db.code().as_deref(), Some("40P01") | Some("40001") | Some("5") | Some("517"))
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether the database could not be reached or the connection broke (the request
/// may succeed when retried: 503, not 500).
fn is_connection_failure(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Conn(_) => return true,
        DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    match runtime {
        sea_orm::RuntimeErr::SqlxError(e) => match e.as_ref() {
            sea_orm::sqlx::Error::Io(_)
            | sea_orm::sqlx::Error::PoolTimedOut
            | sea_orm::sqlx::Error::PoolClosed
            | sea_orm::sqlx::Error::WorkerCrashed => true,
            // PostgreSQL: connection exceptions (08…), the server shutting down or not
            // accepting connections yet (57P01–57P03).
            sea_orm::sqlx::Error::Database(db) => {
                db.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
            }
            _ => false,
        },
        _ => false,
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if matches!(err, DbErr::ConnectionAcquire(_)) {
            tracing::warn!(error = %err, "no database connection free in time");
            return AppError::Busy(1);
        }
        if is_connection_failure(&err) {
            tracing::warn!(error = %err, "database unreachable");
            return AppError::Busy(1);
        }
        if is_concurrency_failure(&err) {
            tracing::warn!(error = %err, "transaction aborted by a concurrent change");
            return AppError::Conflict("a concurrent change got in the way; please retry".into());
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("a record with the same unique value already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                AppError::Conflict("the change refers to a record that does not exist or is still referenced".into())
            }
            _ => AppError::Internal(err.into()),
        }
    }
}

/// Result alias used across the crate.
pub type AppResult<T> = Result<T, AppError>;

/// Collects validation failures so every bad field is reported at once.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    /// Starts an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure on `field` when `ok` is false.
    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError { field: field.into(), message: message.into() });
        }
        self
    }

    /// Checks a required text: trimmed non-empty and at most `max` characters.
    pub fn text(&mut self, value: &str, field: &str, max: usize) -> &mut Self {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.check(false, field, "must not be empty")
        } else {
            self.check(trimmed.chars().count() <= max, field, &format!("must be at most {max} characters"))
        }
    }

    /// Checks an optional text the same way (absent is fine, empty is not).
    pub fn opt_text(&mut self, value: Option<&str>, field: &str, max: usize) -> &mut Self {
        match value {
            Some(v) => self.text(v, field, max),
            None => self,
        }
    }

    /// Ends the collection: `Err(Validation)` when anything failed.
    pub fn finish(&mut self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Validation(std::mem::take(&mut self.0))) }
    }
}

/// Where a request stood against its quota when it was counted: the `RateLimit` and
/// `RateLimit-Policy` headers of its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaState {
    /// The policy's name: `client`, `account` or `token`.
    pub policy: &'static str,
    /// Requests per window.
    pub quota: u32,
    /// The window, seconds.
    pub window: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the quota is whole again (refused: until the next request may pass).
    pub reset: u64,
}

impl QuotaState {
    /// The `RateLimit-Policy` header value.
    pub fn policy_header(&self) -> String {
        format!("\"{}\";q={};w={}", self.policy, self.quota, self.window)
    }

    /// The `RateLimit` header value.
    pub fn state_header(&self) -> String {
        format!("\"{}\";r={};t={}", self.policy, self.remaining, self.reset)
    }
}
