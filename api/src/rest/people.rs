//! `/people`: members and employees, their party-status history and departures.
//! People are never deleted: `DELETE /people/{id}` answers 405; a person who leaves is
//! marked ended with `POST /people/{id}/departure`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::people::{
    self as svc, DepartureInput, NewPerson, PartyStatusChangeView, PartyStatusInput, PersonFilter, PersonPatch,
    PersonUpsert, PersonView, TransferInput, TransferView,
};
use crate::services::types::PartyStatus;
use crate::state::AppState;

page_dto!(PersonPage, PersonView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/people", web::get().to(list))
        .route("/people", web::post().to(create))
        .route("/people/by-employee-no/{employee_no}", web::put().to(upsert))
        .route("/people/{id}", web::get().to(get))
        .route("/people/{id}", web::patch().to(update))
        .route("/people/{id}/transfer", web::post().to(transfer))
        .route("/people/{id}/transfers", web::get().to(transfers))
        .route("/people/{id}/party-status", web::post().to(change_party_status))
        .route("/people/{id}/party-status-history", web::get().to(list_party_status_history))
        .route("/people/{id}/departure", web::post().to(record_departure))
        .route("/people/{id}/departure", web::delete().to(reinstate_person));
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
    /// Also people who have left (default false: only active people).
    #[serde(default)]
    pub include_ended: bool,
}

/// List people.
///
/// People in the caller's scope, cursor-paged; people who have left only with
/// `include_ended=true`. Phone and email are null unless the caller may see personal data.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    params(PersonQuery, PageParams),
    responses((status = 200, body = PersonPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<PersonQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = PersonFilter {
        organization_id: q.organization_id,
        party_status: q.party_status,
        q: q.q.clone(),
        include_ended: q.include_ended,
    };
    Ok(HttpResponse::Ok().json(PersonPage::from(svc::list(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Get a person.
///
/// 404 when missing or outside the caller's scope (indistinguishable). People who have
/// left are still found here (`ended: true`).
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
/// In an organisation the caller manages; the employee number must be unique (409). A
/// party status other than `none` starts the person's party-status history.
#[utoipa::path(post, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    request_body = NewPerson,
    responses((status = 201, body = PersonView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewPerson>,
) -> AppResult<HttpResponse> {
    let p = svc::create_on(&state.db, &actor.0, state.settings.today(), body).await?;
    Ok(created(format!("/api/v1/people/{}", p.id), p.version, &p))
}

/// Create or update a person by employee number.
///
/// The write an HR system makes for each person it holds, without reading first: a new
/// employee number creates the person (201, `Location`), a known one updates them (200;
/// fields left out keep their value). `If-Match` is optional here: without it the
/// update applies to whatever version is current. A person in another organisation than
/// `organization_id` is 409 (record a transfer); a number held outside your scope is 409
/// as in a create. Needs the `people:write` scope for service clients.
#[utoipa::path(put, path = "/api/v1/people/by-employee-no/{employee_no}", tag = "people", security(("bearer" = [])),
    params(("employee_no" = String, Path, description = "Employee number"), ("If-Match" = Option<String>, Header, description = "ETag the update is based on (optional)")),
    request_body = PersonUpsert,
    responses((status = 200, body = PersonView), (status = 201, body = PersonView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upsert(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    employee_no: web::Path<String>,
    JsonBody(body): JsonBody<PersonUpsert>,
) -> AppResult<HttpResponse> {
    let expected = match req.headers().contains_key(actix_web::http::header::IF_MATCH) {
        true => Some(if_match(&req)?),
        false => None,
    };
    let up =
        svc::upsert_by_employee_no(&state.db, &actor.0, state.settings.today(), &employee_no, expected, body).await?;
    let p = up.person;
    Ok(match up.created {
        true => created(format!("/api/v1/people/{}", p.id), p.version, &p),
        false => with_etag(&req, p.version, &p),
    })
}

/// Update a person. Needs `If-Match`.
///
/// `party_status` may only move to the next step of the standard order (effective today,
/// recorded in the history); other changes go through `POST /people/{id}/party-status`.
/// A person who has left keeps their party status until reinstated (409).
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = PersonPatch,
    responses((status = 200, body = PersonView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<PersonPatch>,
) -> AppResult<HttpResponse> {
    let p = svc::update_on(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, p.version, &p))
}

/// Transfer a person (组织关系转接).
///
/// Moves the person to another organisation the caller manages and records the
/// transfer in the history. Needs `If-Match`. A person who has left is 409.
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

/// Change a person's party status.
///
/// Records the change in the person's party-status history. The next step of the
/// standard order (none → applicant → activist → candidate → probationary → full) is a
/// normal change; any other (going back, skipping steps) is a correction and needs a
/// `note`. `effective_on` (default today) may not be in the future nor before the latest
/// entry (422 naming the field). Becoming probationary sets an empty `joined_party_on`.
/// A person who has left is 409. Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/people/{id}/party-status", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = PartyStatusInput,
    responses((status = 200, body = PersonView, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn change_party_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<PartyStatusInput>,
) -> AppResult<HttpResponse> {
    let p = svc::change_party_status(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, p.version, &p))
}

/// Party-status history of a person, oldest first.
#[utoipa::path(get, path = "/api/v1/people/{id}/party-status-history", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, body = Vec<PartyStatusChangeView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_party_status_history(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::party_status_history(&state.db, &actor.0, *id).await?))
}

/// Record a departure (调出, 离职, 退休, 出党, 去世, 停止党籍).
///
/// The person stays, marked ended: the single read still finds them, lists skip them
/// unless `include_ended=true`, and they leave the rosters of planned sessions; past
/// attendance stays. `left_on` (default today) may not be in the future. A person who
/// already left is 409. Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/people/{id}/departure", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = DepartureInput,
    responses((status = 200, body = PersonView, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn record_departure(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<DepartureInput>,
) -> AppResult<HttpResponse> {
    let p = svc::record_departure(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, p.version, &p))
}

/// Reinstate a person (undo a departure recorded by mistake).
///
/// The person is active again. A person who has not left is 409. Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/people/{id}/departure", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 200, body = PersonView, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn reinstate_person(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let p = svc::reinstate(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(with_etag(&req, p.version, &p))
}
