//! Request extractors: the authenticated [`Actor`] behind a bearer token, and the
//! request id.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use tracing_actix_web::RequestId;

use crate::auth::Actor;
use crate::error::AppError;
use crate::services;
use crate::startup::AppState;

/// The caller, resolved from `Authorization: Bearer ...`; UNAUTHENTICATED otherwise.
pub struct Authenticated(pub Actor);

/// The bearer token of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The request id the tracing middleware assigned.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.to_string())
}

/// Resolves the caller of `req`, `None` when no valid token was presented.
pub async fn optional_actor(req: &HttpRequest) -> Result<Option<Actor>, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
    let Some(token) = bearer(req) else { return Ok(None) };
    services::auth::resolve_actor(&state.db, &state.keys, &token, request_id(req)).await
}

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { optional_actor(&req).await?.map(Authenticated).ok_or(AppError::Unauthenticated) })
    }
}

/// A JSON request body: `Content-Type: application/json` required (else 415), the
/// configured size limit applies (else 413), and a malformed body is a VALIDATION error
/// naming the offending field.
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        let bytes = web::Bytes::from_request(req, payload);
        let limit = req.app_data::<web::Data<AppState>>().map(|s| s.settings.max_body_bytes).unwrap_or(1 << 20);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType("send the body as application/json".into()));
            }
            let bytes = bytes.await.map_err(|_| AppError::PayloadTooLarge(limit))?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// Deserialises JSON, naming the failing field by its path.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() { "body".to_owned() } else { path };
        let inner = e.into_inner().to_string();
        let message = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        let field = if field == "body" {
            crate::rest::json_error_to_validation(&message).field_name().unwrap_or_else(|| "body".to_owned())
        } else {
            field
        };
        AppError::invalid(field, message)
    })
}
