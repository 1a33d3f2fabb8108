//! Changing a planned session's roster: guests (列席) in, entries out. Who is on a
//! roster in the first place follows the session kind's rule (`services::rosters`).

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use crate::error::AppResult;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::study::{self as svc, GuestInput, RosterEntryView};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/study-sessions/{id}/roster", web::post().to(add_session_guest))
        .route("/study-sessions/{id}/roster/{person_id}", web::delete().to(remove_from_session_roster));
}

/// Add a guest (列席) to a planned session's roster.
///
/// For organisation administrators over the session's organisation (403), for a person
/// they may read (422 on `person_id`). 409 when the person is already on the roster or
/// the session is no longer planned. Guests stay on the roster whatever its rule says.
#[utoipa::path(post, path = "/api/v1/study-sessions/{id}/roster", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    request_body = GuestInput,
    responses((status = 201, body = RosterEntryView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_session_guest(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<GuestInput>,
) -> AppResult<HttpResponse> {
    let entry = svc::add_guest(&state.db, &actor.0, *id, body.person_id.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/study-sessions/{}/attendance", entry.session_id.0),
        ))
        .json(entry))
}

/// Take someone off a planned session's roster.
///
/// A guest, or someone the kind's rule put there who will not be expected. For
/// organisation administrators over the session's organisation (403). 404 when the
/// person is not on the roster; 409 when their attendance is already recorded or the
/// session is no longer planned.
#[utoipa::path(delete, path = "/api/v1/study-sessions/{id}/roster/{person_id}", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id"), ("person_id" = Uuid, Path, description = "Person on the roster")),
    responses((status = 204, description = "Taken off the roster"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_from_session_roster(
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (id, person_id) = path.into_inner();
    svc::remove_entry(&state.db, &actor.0, id, person_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The rosters' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(add_session_guest, remove_from_session_roster))]
pub struct RostersApi;
