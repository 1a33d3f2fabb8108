//! `/organizations`: the party organisation tree.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::organizations::{
    self as svc, NewOrganization, OrganizationFilter, OrganizationPatch, OrganizationView,
};
use crate::services::types::OrgKind;
use crate::state::AppState;

page_dto!(OrganizationPage, OrganizationView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations", web::get().to(list))
        .route("/organizations", web::post().to(create))
        .route("/organizations/{id}", web::get().to(get))
        .route("/organizations/{id}", web::patch().to(update))
        .route("/organizations/{id}", web::delete().to(delete))
        .route("/organizations/{id}/move", web::post().to(move_org))
        .route("/organizations/{id}/children", web::get().to(children))
        .route("/organizations/{id}/descendants", web::get().to(descendants))
        .route("/organizations/{id}/ancestors", web::get().to(ancestors));
}

/// Filters of the organisation list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Only direct children of this organisation.
    pub parent_id: Option<Uuid>,
    /// Only organisations strictly below this one.
    pub descendants_of: Option<Uuid>,
    /// Only roots.
    #[serde(default)]
    pub roots: bool,
    /// Only this kind.
    pub kind: Option<OrgKind>,
    /// Name contains this text.
    pub q: Option<String>,
}

/// Body of a move.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MoveRequest {
    /// The new parent.
    pub parent_id: Uuid,
}

/// List organisations.
///
/// Organisations in the caller's scope, in creation order, cursor-paged.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])),
    params(OrganizationQuery, PageParams),
    responses((status = 200, body = OrganizationPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<OrganizationQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = OrganizationFilter {
        parent_id: q.parent_id,
        descendants_of: q.descendants_of,
        roots_only: q.roots,
        kind: q.kind,
        name_contains: q.q.clone(),
    };
    let page = svc::list(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(OrganizationPage::from(page)))
}

/// Get an organisation.
///
/// 404 when it does not exist or is outside the caller's scope (indistinguishable).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = OrganizationView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let org = svc::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, org.version, &org))
}

/// Create an organisation.
///
/// Under a parent the caller manages; the kind must fit under the parent's kind
/// (committee › general branch › branch › group). Roots: administrators only.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])),
    request_body = NewOrganization,
    responses((status = 201, body = OrganizationView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewOrganization>,
) -> AppResult<HttpResponse> {
    let org = svc::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/organizations/{}", org.id), org.version, &org))
}

/// Update an organisation.
///
/// Rename or re-order. Needs `If-Match` with the current ETag (428 without, 412 when stale).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = OrganizationPatch,
    responses((status = 200, body = OrganizationView), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<OrganizationPatch>,
) -> AppResult<HttpResponse> {
    let org = svc::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, org.version, &org))
}

/// Move an organisation.
///
/// Moves it and its whole subtree under a new parent in one transaction. Moving into its
/// own subtree is refused. Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/move", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = MoveRequest,
    responses((status = 200, body = OrganizationView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn move_org(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<MoveRequest>,
) -> AppResult<HttpResponse> {
    let org = svc::move_to(&state.db, &actor.0, *id, if_match(&req)?, body.parent_id).await?;
    Ok(with_etag(&req, org.version, &org))
}

/// Delete an organisation.
///
/// Only when empty (no children, people, role grants, service clients), else 409.
/// Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/organizations/{id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 204, description = "Deleted"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    svc::delete(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Children of an organisation.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/children", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), PageParams),
    responses((status = 200, body = OrganizationPage), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn children(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = OrganizationFilter { parent_id: Some(*id), ..Default::default() };
    Ok(HttpResponse::Ok().json(OrganizationPage::from(svc::list(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Descendants of an organisation (its whole subtree, itself excluded).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/descendants", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), PageParams),
    responses((status = 200, body = OrganizationPage), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn descendants(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = OrganizationFilter { descendants_of: Some(*id), ..Default::default() };
    Ok(HttpResponse::Ok().json(OrganizationPage::from(svc::list(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Ancestors of an organisation: the path from the root down to it (itself last).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/ancestors", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<OrganizationView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn ancestors(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::ancestors(&state.db, &actor.0, *id).await?))
}
