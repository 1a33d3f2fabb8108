//! `/organizations/{id}/committee`, `/organizations/{id}/committee-terms` and
//! `/committee-terms`: committees (党委委员会 / 总支委员会 / 支部委员会), their terms (届)
//! and members.

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{created, if_match, with_etag};
use crate::error::AppResult;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::committees::{
    self as svc, CommitteeMemberPatch, CommitteeMemberView, CommitteeTermPatch, CommitteeTermView, NewCommitteeMember,
    NewCommitteeTerm,
};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{id}/committee", web::get().to(get_committee))
        .route("/organizations/{id}/committee-terms", web::get().to(list_committee_terms))
        .route("/organizations/{id}/committee-terms", web::post().to(start_committee_term))
        .route("/committee-terms/{id}", web::get().to(get_committee_term))
        .route("/committee-terms/{id}", web::patch().to(update_committee_term))
        .route("/committee-terms/{id}/members", web::post().to(add_committee_member))
        .route("/committee-terms/{id}/members/{member_id}", web::get().to(get_committee_member))
        .route("/committee-terms/{id}/members/{member_id}", web::patch().to(update_committee_member))
        .route("/committee-terms/{id}/members/{member_id}", web::delete().to(remove_committee_member));
}

/// The current committee of an organisation.
///
/// Its term not ended by 换届, with every member (those who left have `in_office`
/// false); 404 when the organisation has no committee yet. The ETag covers the members.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/committee", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = CommitteeTermView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_committee(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let t = svc::current(&state.db, &actor.0, state.settings.today(), *id).await?;
    Ok(with_etag(&req, t.version, &t))
}

/// Every term of an organisation's committee with its members, newest first.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/committee-terms", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<CommitteeTermView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_committee_terms(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::terms(&state.db, &actor.0, state.settings.today(), *id).await?))
}

/// Start a new term (换届), with the members elected.
///
/// The current term ends on the new term's first day, in the same transaction.
/// Organisation administrators in scope; a party group has no committee (422 on
/// `organization_id`).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/committee-terms", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    request_body = NewCommitteeTerm,
    responses((status = 201, body = CommitteeTermView, headers(("ETag" = String), ("Location" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn start_committee_term(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NewCommitteeTerm>,
) -> AppResult<HttpResponse> {
    let t = svc::start_term(&state.db, &actor.0, state.settings.today(), *id, body).await?;
    Ok(created(format!("/api/v1/committee-terms/{}", t.id), t.version, &t))
}

/// Get a committee term with its members.
#[utoipa::path(get, path = "/api/v1/committee-terms/{id}", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Term id")),
    responses((status = 200, body = CommitteeTermView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_committee_term(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let t = svc::get_term(&state.db, &actor.0, state.settings.today(), *id).await?;
    Ok(with_etag(&req, t.version, &t))
}

/// Update a committee term (number, a corrected first day, planned end, notes). Needs
/// `If-Match`.
#[utoipa::path(patch, path = "/api/v1/committee-terms/{id}", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Term id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = CommitteeTermPatch,
    responses((status = 200, body = CommitteeTermView, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_committee_term(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<CommitteeTermPatch>,
) -> AppResult<HttpResponse> {
    let t = svc::update_term(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, t.version, &t))
}

/// Add a member to a committee term.
///
/// One position per person at a time, one secretary at a time (422 naming the field).
#[utoipa::path(post, path = "/api/v1/committee-terms/{id}/members", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Term id")),
    request_body = NewCommitteeMember,
    responses((status = 201, body = CommitteeMemberView, headers(("ETag" = String), ("Location" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_committee_member(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NewCommitteeMember>,
) -> AppResult<HttpResponse> {
    let m = svc::add_member(&state.db, &actor.0, state.settings.today(), *id, body).await?;
    Ok(created(format!("/api/v1/committee-terms/{}/members/{}", m.term_id, m.id), m.version, &m))
}

/// Get a member of a committee term.
#[utoipa::path(get, path = "/api/v1/committee-terms/{id}/members/{member_id}", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Term id"), ("member_id" = Uuid, Path, description = "Member id")),
    responses((status = 200, body = CommitteeMemberView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_committee_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (term_id, member_id) = path.into_inner();
    let m = svc::get_member(&state.db, &actor.0, state.settings.today(), Some(term_id), member_id).await?;
    Ok(with_etag(&req, m.version, &m))
}

/// Update a member (position, dates, order); a member who leaves gets `until_on`.
/// Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/committee-terms/{id}/members/{member_id}", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Term id"), ("member_id" = Uuid, Path, description = "Member id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = CommitteeMemberPatch,
    responses((status = 200, body = CommitteeMemberView, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_committee_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<CommitteeMemberPatch>,
) -> AppResult<HttpResponse> {
    let (term_id, member_id) = path.into_inner();
    let today = state.settings.today();
    let m = svc::update_member(&state.db, &actor.0, today, Some(term_id), member_id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, m.version, &m))
}

/// Remove a member entered by mistake (someone who left gets `until_on` instead). Needs
/// `If-Match`.
#[utoipa::path(delete, path = "/api/v1/committee-terms/{id}/members/{member_id}", tag = "committees", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Term id"), ("member_id" = Uuid, Path, description = "Member id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_committee_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (term_id, member_id) = path.into_inner();
    svc::remove_member(&state.db, &actor.0, state.settings.today(), Some(term_id), member_id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The committees part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        get_committee, list_committee_terms, start_committee_term, get_committee_term, update_committee_term,
        add_committee_member, get_committee_member, update_committee_member, remove_committee_member
    ),
    tags((name = "committees", description = "Committees (党委委员会 / 总支委员会 / 支部委员会): terms (届) and members"))
)]
pub struct CommitteesApi;
