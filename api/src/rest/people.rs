//! `/people`: members and employees.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::people::{
    self as svc, NewPerson, PersonFilter, PersonPatch, PersonView, TransferInput, TransferView,
};
use crate::services::types::PartyStatus;
use crate::state::AppState;

page_dto!(PersonPage, PersonView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/people", web::get().to(list))
        .route("/people", web::post().to(create))
        .route("/people/{id}", web::get().to(get))
        .route("/people/{id}", web::patch().to(update))
        .route("/people/{id}/transfer", web::post().to(transfer))
        .route("/people/{id}/transfers", web::get().to(transfers));
}

/// Filters of the people list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// Only people in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this party status.
    pub party_status: Option<PartyStatus>,
    /// Name contains, or employee number starts with, this text (up to 50 characters).
    #[param(max_length = 50)]
    pub q: Option<String>,
}

/// List people.
///
/// People in the caller's scope, cursor-paged. Phone and email are null unless the caller
/// may see personal data.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    params(PersonQuery, PageParams),
    responses((status = 200, body = PersonPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<PersonQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = PersonFilter { organization_id: q.organization_id, party_status: q.party_status, q: q.q.clone() };
    Ok(HttpResponse::Ok().json(PersonPage::from(svc::list(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Get a person.
///
/// 404 when missing or outside the caller's scope (indistinguishable).
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, body = PersonView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let p = svc::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, p.version, &p))
}

/// Create a person.
///
/// In an organisation the caller manages; the employee number must be unique (409).
#[utoipa::path(post, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    request_body = NewPerson,
    responses((status = 201, body = PersonView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewPerson>,
) -> AppResult<HttpResponse> {
    let p = svc::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/people/{}", p.id), p.version, &p))
}

/// Update a person. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = PersonPatch,
    responses((status = 200, body = PersonView), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<PersonPatch>,
) -> AppResult<HttpResponse> {
    let p = svc::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, p.version, &p))
}

/// Transfer a person (组织关系转接).
///
/// Moves the person to another organisation the caller manages and records the
/// transfer in the history. Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/people/{id}/transfer", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = TransferInput,
    responses((status = 200, body = PersonView), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn transfer(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<TransferInput>,
) -> AppResult<HttpResponse> {
    let p = svc::transfer(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, p.version, &p))
}

/// Transfer history of a person, oldest first.
#[utoipa::path(get, path = "/api/v1/people/{id}/transfers", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, body = Vec<TransferView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn transfers(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::transfers(&state.db, &actor.0, *id).await?))
}
