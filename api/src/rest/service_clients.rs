//! `/service-clients`: machine clients (administrators only).

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody, parse_json};
use crate::services::service_clients::{
    self as svc, NewServiceClient, RotateSecret, ServiceClientPatch, ServiceClientView, ServiceClientWithSecret,
};
use crate::state::AppState;

page_dto!(ServiceClientPage, ServiceClientView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/service-clients", web::get().to(list))
        .route("/service-clients", web::post().to(create))
        .route("/service-clients/{id}", web::get().to(get))
        .route("/service-clients/{id}", web::patch().to(update))
        .route("/service-clients/{id}/secret", web::post().to(rotate_secret));
}

/// List service clients.
#[utoipa::path(get, path = "/api/v1/service-clients", tag = "service-clients", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = ServiceClientPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, actor: Authenticated, p: Query<PageParams>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ServiceClientPage::from(svc::list(&state.db, &actor.0, p.page()?).await?)))
}

/// Get a service client.
#[utoipa::path(get, path = "/api/v1/service-clients/{id}", tag = "service-clients", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id (internal)")),
    responses((status = 200, body = ServiceClientView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let c = svc::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, c.version, &c))
}

/// Create a service client.
///
/// The answer holds the secret; it is stored hashed and never shown again.
#[utoipa::path(post, path = "/api/v1/service-clients", tag = "service-clients", security(("bearer" = [])),
    request_body = NewServiceClient,
    responses((status = 201, body = ServiceClientWithSecret), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewServiceClient>,
) -> AppResult<HttpResponse> {
    let c = svc::create(&state.db, &actor.0, body).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/service-clients/{}", c.client.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(c))
}

/// Rename, re-scope, disable or re-enable a service client. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/service-clients/{id}", tag = "service-clients", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id (internal)"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = ServiceClientPatch,
    responses((status = 200, body = ServiceClientView), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<ServiceClientPatch>,
) -> AppResult<HttpResponse> {
    let c = svc::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, c.version, &c))
}

/// Replace a service client's secret.
///
/// The new secret works at once; the replaced one keeps working for `grace_seconds`
/// (default `DANGJIAN_CLIENT_SECRET_GRACE_SECS`, 24 hours; 0 ends it at once), so the
/// integration can switch without an outage. Tokens already issued stay valid until
/// they expire unless `revoke_tokens` is true (a leaked secret). The body is optional.
#[utoipa::path(post, path = "/api/v1/service-clients/{id}/secret", tag = "service-clients", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id (internal)")),
    request_body(content = Option<RotateSecret>, content_type = "application/json"),
    responses((status = 200, body = ServiceClientWithSecret), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let input: RotateSecret =
        if body.iter().all(u8::is_ascii_whitespace) { RotateSecret::default() } else { parse_json(&body)? };
    let grace = state.policy.client_secret_grace_secs;
    let c = svc::rotate_secret(&state.db, &actor.0, grace, *id, input).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(c))
}
