//! `/compliance/...` and `/meeting-norms`: meeting compliance of an organisation
//! subtree (first-topic gaps, required versus held meetings) and the meeting norms.

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::OpenApi;

use super::problem::Problem;
use super::study::RangeQuery;
use super::{if_match, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonList};
use crate::services::compliance::{self, FirstTopicGap, MeetingComplianceRow, NormInput, NormView};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/compliance/first-topic", web::get().to(first_topic))
        .route("/compliance/meetings", web::get().to(meetings))
        .route("/meeting-norms", web::get().to(norms))
        .route("/meeting-norms", web::put().to(set_norms));
}

/// Committee sessions held without the first topic.
///
/// Party committee, central group and branch committee sessions of the subtree held on
/// a day `from..=to`, grouped by organisation.
#[utoipa::path(get, path = "/api/v1/compliance/first-topic", tag = "compliance", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, body = Vec<FirstTopicGap>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn first_topic(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let tz = state.settings.time_zone;
    Ok(HttpResponse::Ok()
        .json(compliance::first_topic_gaps(&state.db, &actor.0, tz, q.organization_id, q.from, q.to).await?))
}

/// Required versus held meetings.
///
/// For every organisation of the subtree a meeting norm applies to, and every whole
/// month or quarter overlapping `from..=to`.
#[utoipa::path(get, path = "/api/v1/compliance/meetings", tag = "compliance", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, body = Vec<MeetingComplianceRow>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn meetings(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let tz = state.settings.time_zone;
    Ok(HttpResponse::Ok().json(compliance::meetings(&state.db, &actor.0, tz, q.organization_id, q.from, q.to).await?))
}

/// The meeting norms in force.
#[utoipa::path(get, path = "/api/v1/meeting-norms", tag = "compliance", security(("bearer" = [])),
    responses((status = 200, body = Vec<NormView>, headers(("ETag" = String, description = "Version of the whole set"))),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn norms(req: HttpRequest, state: web::Data<AppState>, actor: Authenticated) -> AppResult<HttpResponse> {
    let norms = compliance::norms(&state.db, &actor.0).await?;
    Ok(with_etag(&req, compliance::norms_version(&norms), &norms))
}

/// Create or replace meeting norms (administrators).
///
/// Each entry is keyed by (org_kind, session_kind); returns every norm in force.
/// At most 100 entries at once.
/// `If-Match` carries the ETag of `GET /meeting-norms` (the version of the whole set).
#[utoipa::path(put, path = "/api/v1/meeting-norms", tag = "compliance", security(("bearer" = [])),
    params(("If-Match" = String, Header, description = "ETag of the set of norms")),
    request_body = Vec<NormInput>,
    responses((status = 200, body = Vec<NormView>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn set_norms(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonList(body): JsonList<NormInput>,
) -> AppResult<HttpResponse> {
    let norms = compliance::set_norms(&state.db, &actor.0, if_match(&req)?, body).await?;
    Ok(with_etag(&req, compliance::norms_version(&norms), &norms))
}

/// The compliance part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(first_topic, meetings, norms, set_norms),
    tags((name = "compliance", description = "Compliance reports and meeting norms"))
)]
pub struct ComplianceApi;
