//! `/measures` and `/me/measures`: implementation measures (贯彻落实措施) and their
//! progress updates.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::measures::{
    self as svc, MeasureFilter, MeasurePatch, MeasureStatus, MeasureUpdateView, MeasureView, NewMeasure,
    NewMeasureUpdate, SourceKind,
};
use crate::state::AppState;

page_dto!(MeasurePage, MeasureView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/measures", web::get().to(list))
        .route("/measures", web::post().to(create))
        .route("/measures/{id}", web::get().to(get))
        .route("/measures/{id}", web::patch().to(update))
        .route("/measures/{id}", web::delete().to(delete))
        .route("/measures/{id}/updates", web::get().to(updates))
        .route("/measures/{id}/updates", web::post().to(add_update))
        .route("/me/measures", web::get().to(mine));
}

/// Filters of the measure list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeasureQuery {
    /// Only measures of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this owner (person id).
    pub owner_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<MeasureStatus>,
    /// Only overdue (true) or not overdue (false) measures.
    pub overdue: Option<bool>,
    /// Only this kind of source.
    pub source_kind: Option<SourceKind>,
    /// Only this source.
    pub source_id: Option<Uuid>,
    /// Order: `due_on` (earliest deadline first) or `-due_on` (latest first); creation
    /// order when absent. A cursor belongs to the order it was made in.
    pub sort: Option<svc::MeasureSort>,
}

/// Filters of the caller's own measures.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyMeasureQuery {
    /// Only this status.
    pub status: Option<MeasureStatus>,
    /// Only overdue (true) or not overdue (false) measures.
    pub overdue: Option<bool>,
    /// Order: `due_on` (earliest deadline first) or `-due_on` (latest first); creation
    /// order when absent. A cursor belongs to the order it was made in.
    pub sort: Option<svc::MeasureSort>,
}

/// List measures.
///
/// Measures of organisations in the caller's scope, plus the caller's own; cursor-paged.
/// Items carry the owner's name (`owner_name`).
/// Overdue = due before today (configured time zone) and not done or cancelled.
#[utoipa::path(get, path = "/api/v1/measures", tag = "measures", security(("bearer" = [])),
    params(MeasureQuery, PageParams),
    responses((status = 200, body = MeasurePage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<MeasureQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = MeasureFilter {
        organization_id: q.organization_id,
        owner_id: q.owner_id,
        status: q.status,
        overdue: q.overdue,
        source_kind: q.source_kind,
        source_id: q.source_id,
        sort: q.sort,
    };
    let page = svc::list(&state.db, &actor.0, state.settings.today(), &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(MeasurePage::from(page)))
}

/// My measures (for the mobile app): measures the caller owns.
#[utoipa::path(get, path = "/api/v1/me/measures", tag = "measures", security(("bearer" = [])),
    params(MyMeasureQuery, PageParams),
    responses((status = 200, body = MeasurePage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn mine(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<MyMeasureQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = MeasureFilter { status: q.status, overdue: q.overdue, sort: q.sort, ..Default::default() };
    let page = svc::mine(&state.db, &actor.0, state.settings.today(), &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(MeasurePage::from(page)))
}

/// Get a measure.
#[utoipa::path(get, path = "/api/v1/measures/{id}", tag = "measures", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Measure id")),
    responses((status = 200, body = MeasureView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let m = svc::get(&state.db, &actor.0, state.settings.today(), *id).await?;
    Ok(with_etag(&req, m.version, &m))
}

/// Create a measure (organisation administrators, in an organisation they manage).
#[utoipa::path(post, path = "/api/v1/measures", tag = "measures", security(("bearer" = [])),
    request_body = NewMeasure,
    responses((status = 201, body = MeasureView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewMeasure>,
) -> AppResult<HttpResponse> {
    let m = svc::create(&state.db, &actor.0, state.settings.today(), body).await?;
    Ok(created(format!("/api/v1/measures/{}", m.id), m.version, &m))
}

/// Update a measure. Needs `If-Match`.
///
/// Administrators in scope change any field; the owner only the status. Status moves
/// todo → in_progress | cancelled, in_progress → done | cancelled | todo (409 otherwise).
#[utoipa::path(patch, path = "/api/v1/measures/{id}", tag = "measures", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Measure id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = MeasurePatch,
    responses((status = 200, body = MeasureView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<MeasurePatch>,
) -> AppResult<HttpResponse> {
    let m = svc::update(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, m.version, &m))
}

/// Delete a measure with its updates (administrators in scope). Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/measures/{id}", tag = "measures", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Measure id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    svc::delete(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Progress updates of a measure, oldest first.
///
/// Each update carries its author's name and the metadata of its attachments (the
/// evidence: file name, content type, size, download URL), so a phone shows the trail
/// without a request per update.
#[utoipa::path(get, path = "/api/v1/measures/{id}/updates", tag = "measures", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Measure id")),
    responses((status = 200, body = Vec<MeasureUpdateView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn updates(state: web::Data<AppState>, actor: Authenticated, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::updates(&state.db, &actor.0, *id).await?))
}

/// Post a progress update (owner or administrator), optionally changing the status.
#[utoipa::path(post, path = "/api/v1/measures/{id}/updates", tag = "measures", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Measure id")),
    request_body = NewMeasureUpdate,
    responses((status = 201, body = MeasureUpdateView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_update(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NewMeasureUpdate>,
) -> AppResult<HttpResponse> {
    let u = svc::add_update(&state.db, &actor.0, state.settings.today(), *id, body).await?;
    Ok(HttpResponse::Created().json(u))
}

/// The measures part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, get, create, update, delete, updates, add_update, mine),
    // Query-parameter enums are not collected from `params(...)`: named here.
    components(schemas(svc::MeasureSort)),
    tags((name = "measures", description = "Implementation measures (贯彻落实措施)"))
)]
pub struct MeasuresApi;
