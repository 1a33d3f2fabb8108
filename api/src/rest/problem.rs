//! `application/problem+json` (RFC 9457) answers for every [`AppError`], with the
//! same stable `code` GraphQL puts in `extensions.code`.

use actix_web::{HttpResponse, ResponseError, http::StatusCode, http::header};
use serde::Serialize;

use crate::error::{AppError, FieldError};

/// The problem document every REST error answers with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`about:blank`: the status says it).
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// Short summary of the status.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// Stable machine-readable code: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, VALIDATION,
    /// CONFLICT, PRECONDITION_FAILED, PRECONDITION_REQUIRED, TIMEOUT,
    /// UNSUPPORTED_MEDIA_TYPE, NOT_ACCEPTABLE, METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE,
    /// UNKNOWN_PARAMETER (a query parameter the operation does not take),
    /// UNAVAILABLE (retry after `Retry-After`), INTERNAL.
    pub code: &'static str,
    /// Field errors, for VALIDATION (and the unknown names, for UNKNOWN_PARAMETER).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// OAuth2 error name, at the token endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// OAuth2 error description, at the token endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// The REST code and status of an error (stale versions are 412 PRECONDITION_FAILED
/// here, CONFLICT in GraphQL, where there is no If-Match).
fn status_and_code(err: &AppError) -> (StatusCode, &'static str) {
    match err {
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        AppError::InvalidGrant { oauth_error: "invalid_client", .. } => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        AppError::InvalidGrant { .. } => (StatusCode::BAD_REQUEST, "UNAUTHENTICATED"),
        AppError::StaleVersion { .. } => (StatusCode::PRECONDITION_FAILED, "PRECONDITION_FAILED"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, err.code()),
        AppError::NotFound => (StatusCode::NOT_FOUND, err.code()),
        AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, err.code()),
        AppError::Conflict(_) => (StatusCode::CONFLICT, err.code()),
        AppError::PreconditionRequired => (StatusCode::PRECONDITION_REQUIRED, err.code()),
        AppError::Timeout | AppError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, err.code()),
        AppError::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, err.code()),
        AppError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, err.code()),
        AppError::ResyncRequired(_) => (StatusCode::GONE, err.code()),
        AppError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, err.code()),
        AppError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, err.code()),
        AppError::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, err.code()),
        AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, err.code()),
        AppError::UnknownParameters(_) => (StatusCode::BAD_REQUEST, err.code()),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, err.code()),
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        status_and_code(self).0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = status_and_code(self);
        if let AppError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let (error, error_description) = match self {
            AppError::InvalidGrant { oauth_error, message } => (Some(*oauth_error), Some((*message).to_owned())),
            _ => (None, None),
        };
        let body = Problem {
            type_: "about:blank",
            title: crate::i18n::tr(status.canonical_reason().unwrap_or("Error")),
            status: status.as_u16(),
            detail: self.public_message(),
            code,
            errors: self.public_field_errors(),
            error,
            error_description,
        };
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, AppError::Unauthenticated) {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let AppError::MethodNotAllowed { allow, .. } = self {
            resp.insert_header((header::ALLOW, allow.as_str()));
        }
        if let AppError::Busy(seconds) = self {
            resp.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let AppError::RateLimited(quota) = self {
            resp.insert_header((header::RETRY_AFTER, quota.reset.to_string()));
            resp.insert_header((crate::ratelimit::POLICY_HEADER, quota.policy_header()));
            resp.insert_header((crate::ratelimit::STATE_HEADER, quota.state_header()));
        }
        if let AppError::StaleVersion { current, .. } = self {
            // The current ETag, so the client can re-read or retry knowingly.
            resp.insert_header(header::ETag(crate::rest::etag(*current)));
        }
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        resp.body(serde_json::to_string(&body).unwrap_or_default())
    }
}
