//! `/documents`, `/search`, `/me/study-record`, `/study-figures`: the knowledge base.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::documents::{
    self as svc, DocumentFilter, DocumentPatch, DocumentSummary, DocumentView, NewDocument, PeriodTotal, ReadingView,
    StudyFigure, StudyRecord,
};
use crate::services::knowledge::{self, SearchFilter, SearchHit};
use crate::services::pagination::PageRequest;
use crate::services::types::{DocumentKind, DocumentStatus, Visibility};
use crate::state::AppState;

page_dto!(DocumentPage, DocumentSummary);
page_dto!(SearchPage, SearchHit);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/documents", web::get().to(list))
        .route("/documents", web::post().to(create))
        .route("/documents/{id}", web::get().to(get))
        .route("/documents/{id}", web::patch().to(update))
        .route("/documents/{id}", web::delete().to(delete))
        .route("/documents/{id}/publish", web::post().to(publish))
        .route("/documents/{id}/revise", web::post().to(revise))
        .route("/documents/{id}/archive", web::post().to(archive))
        .route("/documents/{id}/revisions", web::get().to(revisions))
        .route("/documents/{id}/reading", web::post().to(reading))
        .route("/search", web::get().to(search))
        .route("/me/study-record", web::get().to(study_record))
        .route("/study-figures", web::get().to(study_figures));
}

/// The knowledge base's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, get, create, update, delete, publish, revise, archive, revisions, reading, search, study_record, study_figures),
    components(schemas(DocumentKind, DocumentStatus, Visibility, PeriodTotal)),
    tags((name = "knowledge base", description = "Documents, revisions, study records and Chinese full-text search"))
)]
pub struct DocumentsApi;

/// Filters of the document list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// Only this kind.
    pub kind: Option<DocumentKind>,
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Only this status (default `published`; editors may list `draft`).
    pub status: Option<DocumentStatus>,
    /// Only documents owned inside this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Issued on or after (YYYY-MM-DD).
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before (YYYY-MM-DD).
    pub issued_to: Option<NaiveDate>,
}

/// Parameters of a search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The query: Chinese and/or Latin words (1–100 characters); every word must match.
    /// Required; must contain at least one searchable word.
    #[param(required = true, min_length = 1, pattern = r"\S", max_length = 100)]
    pub q: Option<String>,
    /// Only this document kind.
    pub kind: Option<DocumentKind>,
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Only documents owned inside this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Issued on or after.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before.
    pub issued_to: Option<NaiveDate>,
}

/// A date range.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day (inclusive).
    pub to: Option<NaiveDate>,
}

/// Parameters of the study figures.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// Root of the subtree.
    pub organization_id: Uuid,
    /// First day (inclusive); must be on or before `to`.
    pub from: NaiveDate,
    /// Last day (inclusive); must be on or after `from`.
    pub to: NaiveDate,
}

/// A study report from the mobile app.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReadingReport {
    /// Seconds spent since the last report (0–86400).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 86400)]
    pub seconds: i64,
    /// Whether the reader finished the document.
    #[serde(default)]
    pub completed: bool,
}

/// List documents.
///
/// Published documents the caller may read (everyone-visible, or shared with a subtree
/// related to theirs), newest first; editors also list drafts with `status=draft`.
/// Items carry the summary (or, when a document has none, the start of its body as
/// plain text, at most 120 characters) and the owning organisation's name, not the
/// body: `GET /documents/{id}` has it.
#[utoipa::path(get, path = "/api/v1/documents", tag = "knowledge base", security(("bearer" = [])),
    params(DocumentQuery, PageParams), responses((status = 200, body = DocumentPage)))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<DocumentQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = DocumentFilter {
        kind: q.kind,
        tag: q.tag.clone(),
        status: q.status,
        organization_id: q.organization_id,
        issued_from: q.issued_from,
        issued_to: q.issued_to,
    };
    Ok(HttpResponse::Ok().json(DocumentPage::from(svc::list_summaries(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Get a document revision.
///
/// Opening a published document records it in the caller's study record.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id")),
    responses((status = 200, body = DocumentView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let doc = svc::open(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, doc.version, &doc))
}

/// Create a draft.
#[utoipa::path(post, path = "/api/v1/documents", tag = "knowledge base", security(("bearer" = [])),
    request_body = NewDocument,
    responses((status = 201, body = DocumentView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewDocument>,
) -> AppResult<HttpResponse> {
    let d = svc::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/documents/{}", d.id), d.version, &d))
}

/// Edit a draft. Needs `If-Match`; published revisions are immutable (409).
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = DocumentPatch,
    responses((status = 200, body = DocumentView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<DocumentPatch>,
) -> AppResult<HttpResponse> {
    let d = svc::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, d.version, &d))
}

/// Delete a draft. Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 204, description = "Deleted"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    svc::delete_draft(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish a draft. The revision it replaces becomes `superseded` and points to it.
/// Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/documents/{id}/publish", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 200, body = DocumentView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let d = svc::publish(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(with_etag(&req, d.version, &d))
}

/// Start a new revision of a published document (a draft copy).
#[utoipa::path(post, path = "/api/v1/documents/{id}/revise", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Published revision id")),
    responses((status = 201, body = DocumentView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn revise(state: web::Data<AppState>, actor: Authenticated, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let d = svc::revise(&state.db, &actor.0, *id).await?;
    Ok(created(format!("/api/v1/documents/{}", d.id), d.version, &d))
}

/// Archive a published document (it leaves search). Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/documents/{id}/archive", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 200, body = DocumentView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let d = svc::archive(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(with_etag(&req, d.version, &d))
}

/// Every revision of a document you may read, oldest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/revisions", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Any revision id")),
    responses((status = 200, body = Vec<DocumentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revisions(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::revisions(&state.db, &actor.0, *id).await?))
}

/// Report study time and completion of a document (mobile app).
///
/// `seconds` is the time studied since the last report. The server credits what it can
/// vouch for: at most the time that passed since the document was opened
/// (`GET /documents/{id}`) or since study time was last credited to you (for any
/// document), and at most the daily limit; `credited_seconds` says what this report
/// counted. Repeating a report credits nothing more.
#[utoipa::path(post, path = "/api/v1/documents/{id}/reading", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id")), request_body = ReadingReport,
    responses((status = 200, body = ReadingView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reading(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<ReadingReport>,
) -> AppResult<HttpResponse> {
    let limits = state.settings.study_limits();
    Ok(HttpResponse::Ok()
        .json(svc::record_reading(&state.db, &actor.0, limits, *id, body.seconds, body.completed).await?))
}

/// Search the knowledge base.
///
/// Ranked full-text search over the published documents you may read. Chinese is
/// segmented (科技创新 matches text without spaces); every word must match. Results carry
/// a highlighted snippet (`<mark>`). `limit` 1–100; `cursor` = `next_cursor`.
#[utoipa::path(get, path = "/api/v1/search", tag = "knowledge base", security(("bearer" = [])),
    params(SearchQuery, PageParams),
    responses((status = 200, body = SearchPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<SearchQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let page = PageRequest::parse(p.limit, None, "limit", "cursor")?;
    let filter = SearchFilter {
        kind: q.kind,
        tag: q.tag.clone(),
        organization_id: q.organization_id,
        issued_from: q.issued_from,
        issued_to: q.issued_to,
    };
    let text = q.q.as_deref().ok_or_else(|| AppError::invalid("q", "is required"))?;
    let paging = knowledge::SearchPaging {
        limit: page.limit,
        cursor: p.cursor.as_deref(),
        with_total: false,
        names: knowledge::InputNames { query: "q", cursor: "cursor" },
    };
    let hits = knowledge::search(&state.db, &actor.0, text, &filter, paging).await?;
    Ok(HttpResponse::Ok().json(SearchPage::from(hits)))
}

/// My study record (学习记录): documents studied and hours per month.
#[utoipa::path(get, path = "/api/v1/me/study-record", tag = "knowledge base", security(("bearer" = [])),
    params(Period), responses((status = 200, body = StudyRecord)))]
pub async fn study_record(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<Period>,
) -> AppResult<HttpResponse> {
    let r = svc::my_study_record(&state.db, &actor.0, state.settings.time_zone, q.from, q.to).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Study figures per organisation of a subtree (org_admins, inspectors, admins).
#[utoipa::path(get, path = "/api/v1/study-figures", tag = "knowledge base", security(("bearer" = [])),
    params(FiguresQuery), responses((status = 200, body = Vec<StudyFigure>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn study_figures(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<FiguresQuery>,
) -> AppResult<HttpResponse> {
    let r = svc::study_figures(&state.db, &actor.0, state.settings.time_zone, q.organization_id, q.from, q.to).await?;
    Ok(HttpResponse::Ok().json(r))
}
