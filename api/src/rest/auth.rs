//! `/auth/token` (OAuth2 token endpoint: password, refresh_token, client_credentials),
//! `/auth/logout`, `/me` and `/me/password`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use base64::Engine;
use serde::Deserialize;

use super::problem::Problem;
use crate::error::{AppError, AppResult};
use crate::http::extract::{Authenticated, JsonBody, admit};
use crate::services::{
    self,
    auth::{Me, TokenResponse},
};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/token", web::post().to(token))
        .route("/auth/logout", web::post().to(logout))
        .route("/me", web::get().to(me))
        .route("/me/password", web::post().to(change_password));
}

/// A token request (RFC 6749), as JSON or `application/x-www-form-urlencoded`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// `password`, `refresh_token` or `client_credentials`.
    #[schema(pattern = r"^(password|refresh_token|client_credentials)$")]
    pub grant_type: String,
    /// For `password`: required and non-empty.
    pub username: Option<String>,
    /// For `password`: required and non-empty.
    pub password: Option<String>,
    /// For `refresh_token`: required and non-empty.
    pub refresh_token: Option<String>,
    /// For `client_credentials`: required and non-empty unless sent by HTTP Basic.
    pub client_id: Option<String>,
    /// For `client_credentials`: required and non-empty unless sent by HTTP Basic.
    pub client_secret: Option<String>,
}

/// A logout request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LogoutRequest {
    /// The refresh token whose family (this login on this device) is revoked.
    pub refresh_token: String,
}

/// A password change by the account holder.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    /// The current password.
    pub current_password: String,
    /// The new password: 12–256 characters (any characters, spaces included); not a
    /// common or breached password, not a repeated or sequential run, not built on the
    /// username or the service's name.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

fn required(value: Option<String>, field: &str) -> AppResult<String> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| AppError::invalid(field, "is required for this grant type"))
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn parse_token_request(req: &HttpRequest, body: &[u8]) -> AppResult<TokenRequest> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => crate::http::extract::parse_json(body),
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body)
            .map_err(|e| crate::http::extract::json_error_to_validation(&e.to_string())),
        _ => Err(AppError::UnsupportedMediaType("send application/json or application/x-www-form-urlencoded".into())),
    }
}

/// Issue tokens.
///
/// OAuth2 token endpoint. Grants: `password` (username, password), `refresh_token`
/// (rotates the token; reusing an old one revokes the whole login), `client_credentials`
/// (client_id and client_secret in the body or HTTP Basic; no refresh token).
/// Failures never reveal whether an account exists; repeated failures lock the account.
#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 400, description = "Invalid grant", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid client", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing field", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many token requests from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn token(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    // Before anything costly (parsing, password hashing): the source address's quota.
    let address = req.peer_addr().map(|a| a.ip());
    admit(&req, state.rate_limits.check_token(address), &address.map(|a| a.to_string()).unwrap_or_default())?;
    let input = parse_token_request(&req, &body)?;
    let s = &state;
    let answer = match input.grant_type.as_str() {
        "password" => {
            let username = required(input.username, "username")?;
            let password = required(input.password, "password")?;
            services::auth::password_grant(&s.db, &s.keys, &s.policy, &username, password).await?
        }
        "refresh_token" => {
            let token = required(input.refresh_token, "refresh_token")?;
            services::auth::refresh_grant(&s.db, &s.keys, &s.policy, &token).await?
        }
        "client_credentials" => {
            let (id, secret) = match basic_credentials(&req) {
                Some(pair) => pair,
                None => (required(input.client_id, "client_id")?, required(input.client_secret, "client_secret")?),
            };
            services::auth::client_credentials_grant(&s.db, &s.keys, &id, &secret).await?
        }
        _ => {
            return Err(AppError::invalid(
                "grant_type",
                "unsupported; use password, refresh_token or client_credentials",
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer))
}

/// Log out.
///
/// Revokes the refresh token and every token rotated from the same login. Always 204,
/// whether or not the token existed.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth", request_body = LogoutRequest,
    responses((status = 204, description = "Revoked"))
)]
pub async fn logout(state: web::Data<AppState>, JsonBody(body): JsonBody<LogoutRequest>) -> AppResult<HttpResponse> {
    services::auth::logout(&state.db, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller.
///
/// The account or service client behind the token, its person and its role grants.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(state: web::Data<AppState>, actor: Authenticated) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(services::auth::me(&state.db, &actor.0).await?))
}

/// Change my password.
///
/// Checks the current password, sets the new one and signs the account out everywhere.
#[utoipa::path(
    post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; log in again"),
        (status = 422, description = "Wrong current password or weak new one", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    services::users::change_own_password(&state.db, &actor.0, &state.policy, body.current_password, body.new_password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
