//! `/inspections`, `/supervision-items`, `/supervision-stats`, `/dashboard`: supervision
//! (巡察监督) and rectification (整改), the statistics dashboard and their exports, and
//! the OpenAPI part of the supervision area (audit included).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, audit, created, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::exports::{self, ExportFile, ExportFormat};
use crate::services::supervision::{
    self as svc, EscalationPage, InspectionFilter, InspectionPatch, InspectionStatus, InspectionView, ItemAction,
    ItemCategory, ItemFilter, ItemPatch, ItemStatus, ItemUpdateView, ItemView, NewInspection, NewItem, NewItemUpdate,
    OrgItemStats, Severity,
};
use crate::state::AppState;

page_dto!(InspectionPage, InspectionView);
page_dto!(ItemPage, ItemView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/inspections", web::get().to(list_inspections))
        .route("/inspections", web::post().to(create_inspection))
        .route("/inspections/{id}", web::get().to(get_inspection))
        .route("/inspections/{id}", web::patch().to(update_inspection))
        .route("/supervision-items", web::get().to(list_items))
        .route("/supervision-items", web::post().to(open_item))
        .route("/supervision-items/escalation", web::get().to(escalation))
        .route("/supervision-items/export", web::get().to(export_items))
        .route("/supervision-items/{id}", web::get().to(get_item))
        .route("/supervision-items/{id}", web::patch().to(update_item))
        .route("/supervision-items/{id}/plan", web::put().to(set_plan))
        .route("/supervision-items/{id}/submit", web::post().to(submit))
        .route("/supervision-items/{id}/reject", web::post().to(reject))
        .route("/supervision-items/{id}/verify", web::post().to(verify))
        .route("/supervision-items/{id}/updates", web::get().to(updates))
        .route("/supervision-items/{id}/updates", web::post().to(add_update))
        .route("/supervision-stats", web::get().to(stats));
}

/// Filters of the inspection list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    /// Only inspections of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<InspectionStatus>,
}

/// Filters of the supervision item list and its export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// Only items of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only items of this inspection.
    pub inspection_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<ItemStatus>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only this category.
    pub category: Option<ItemCategory>,
    /// Only overdue (true) or not overdue (false) items.
    pub overdue: Option<bool>,
    /// Only items this person is responsible for.
    pub responsible_person_id: Option<Uuid>,
    /// Order: `due_on` (earliest deadline first) or `-due_on` (latest first); creation
    /// order when absent. A cursor belongs to the order it was made in. (Exports keep
    /// creation order.)
    pub sort: Option<svc::ItemSort>,
}

impl ItemQuery {
    fn filter(&self) -> ItemFilter {
        ItemFilter {
            organization_id: self.organization_id,
            inspection_id: self.inspection_id,
            status: self.status,
            severity: self.severity,
            category: self.category,
            overdue: self.overdue,
            responsible_person_id: self.responsible_person_id,
            sort: self.sort,
            bare: false,
        }
    }
}

/// The file format of an export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv` (UTF-8 with BOM) or `xlsx`.
    pub format: ExportFormat,
}

/// The escalation list's scope and paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EscalationQuery {
    /// Only items of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An organisation subtree.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// The subtree root.
    pub organization_id: Uuid,
}

/// An organisation subtree and a date range (days in the configured time zone, inclusive).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// The subtree root.
    pub organization_id: Uuid,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive): on or after `from`, the range spanning at most 1098 days
    /// (366 × 3); its year (that of the innovation figures) must be 2000–2100.
    #[param(pattern = r"^(20[0-9]{2}|2100)-")]
    pub to: NaiveDate,
}

/// The rectification plan.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// The plan (1–10 000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 10000)]
    pub plan: String,
}

/// A note on a submission or verification.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NoteInput {
    /// Optional note (up to 5000 characters).
    #[schema(max_length = 5000)]
    pub note: Option<String>,
}

/// The reason of a rejection.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RejectInput {
    /// Why the rectification is not accepted (required, 1–5000 characters).
    #[schema(required = true, nullable = false, min_length = 1, pattern = r"\S", max_length = 5000)]
    pub reason: Option<String>,
}

/// A file download with `Content-Disposition: attachment`.
pub(super) fn download(file: ExportFile) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.file_name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(file.bytes)
}

/// List inspections in the caller's scope, cursor-paged in creation order.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "supervision", security(("bearer" = [])),
    params(InspectionQuery, PageParams),
    responses((status = 200, body = InspectionPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_inspections(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<InspectionQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = InspectionFilter { organization_id: q.organization_id, status: q.status };
    Ok(HttpResponse::Ok()
        .json(InspectionPage::from(svc::list_inspections(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Get an inspection (404 when missing or outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Inspection id")),
    responses((status = 200, body = InspectionView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_inspection(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = svc::get_inspection(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Create an inspection of an organisation the caller supervises (inspectors, administrators).
#[utoipa::path(post, path = "/api/v1/inspections", tag = "supervision", security(("bearer" = [])),
    request_body = NewInspection,
    responses((status = 201, body = InspectionView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_inspection(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewInspection>,
) -> AppResult<HttpResponse> {
    let v = svc::create_inspection(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/inspections/{}", v.id), v.version, &v))
}

/// Update an inspection (inspectors in scope, administrators). Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/inspections/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Inspection id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = InspectionPatch,
    responses((status = 200, body = InspectionView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update_inspection(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<InspectionPatch>,
) -> AppResult<HttpResponse> {
    let v = svc::update_inspection(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// List supervision items.
///
/// Items of organisations in the caller's scope, plus those the caller is responsible
/// for; filtered, cursor-paged in creation order. Overdue = due before today
/// (configured time zone) and not verified.
#[utoipa::path(get, path = "/api/v1/supervision-items", tag = "supervision", security(("bearer" = [])),
    params(ItemQuery, PageParams),
    responses((status = 200, body = ItemPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_items(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<ItemQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let page = svc::list_items(&state.db, &actor.0, state.settings.today(), &q.filter(), p.page()?).await?;
    Ok(HttpResponse::Ok().json(ItemPage::from(page)))
}

/// Export the supervision item list (same filters) as CSV or XLSX with Chinese headers.
#[utoipa::path(get, path = "/api/v1/supervision-items/export", tag = "supervision", security(("bearer" = [])),
    params(ItemQuery, FormatQuery),
    responses(
        (status = 200, description = "The file", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn export_items(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<ItemQuery>,
    f: Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let file = exports::items(&state.db, &actor.0, state.settings.today(), &q.filter(), f.format).await?;
    Ok(download(file))
}

/// The escalation list: unverified items that are overdue or of high severity, overdue
/// first, then by severity, then by due date.
#[utoipa::path(get, path = "/api/v1/supervision-items/escalation", tag = "supervision", security(("bearer" = [])),
    params(EscalationQuery),
    responses((status = 200, body = EscalationPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn escalation(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<EscalationQuery>,
) -> AppResult<HttpResponse> {
    let today = state.settings.today();
    let page = svc::escalation(
        &state.db,
        &actor.0,
        today,
        q.organization_id,
        q.limit,
        q.cursor.as_deref(),
        ("limit", "cursor"),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get a supervision item (404 when missing or outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/supervision-items/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id")),
    responses((status = 200, body = ItemView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = svc::get_item(&state.db, &actor.0, state.settings.today(), *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Open a supervision item (inspectors in scope, administrators): status `open`.
#[utoipa::path(post, path = "/api/v1/supervision-items", tag = "supervision", security(("bearer" = [])),
    request_body = NewItem,
    responses((status = 201, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn open_item(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewItem>,
) -> AppResult<HttpResponse> {
    let v = svc::open_item(&state.db, &actor.0, state.settings.today(), body).await?;
    Ok(created(format!("/api/v1/supervision-items/{}", v.id), v.version, &v))
}

/// Change an item's facts (inspectors in scope, administrators) until it is verified. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/supervision-items/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = ItemPatch,
    responses((status = 200, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<ItemPatch>,
) -> AppResult<HttpResponse> {
    let v = svc::update_item(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Write the rectification plan (the responsible organisation's administrators, the
/// responsible person); an open item becomes rectifying. Needs `If-Match`.
#[utoipa::path(put, path = "/api/v1/supervision-items/{id}/plan", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = PlanInput,
    responses((status = 200, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn set_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<PlanInput>,
) -> AppResult<HttpResponse> {
    let v = svc::set_plan(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body.plan).await?;
    Ok(with_etag(&req, v.version, &v))
}

async fn step(
    req: &HttpRequest,
    state: &AppState,
    actor: &Authenticated,
    id: Uuid,
    action: ItemAction,
    text: Option<String>,
) -> AppResult<HttpResponse> {
    let v = svc::transition(&state.db, &actor.0, state.settings.today(), id, if_match(req)?, action, text).await?;
    Ok(with_etag(req, v.version, &v))
}

/// Submit the rectification for verification (rectifying → submitted; the responsible
/// side; needs a plan and evidence). Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/supervision-items/{id}/submit", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = NoteInput,
    responses((status = 200, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NoteInput>,
) -> AppResult<HttpResponse> {
    step(&req, &state, &actor, *id, ItemAction::Submit, body.note).await
}

/// Reject a submission (submitted → rectifying; inspectors; `reason` required). Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/supervision-items/{id}/reject", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = RejectInput,
    responses((status = 200, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reject(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<RejectInput>,
) -> AppResult<HttpResponse> {
    step(&req, &state, &actor, *id, ItemAction::Reject, body.reason).await
}

/// Verify and close the item (submitted → verified, 销号; inspectors). Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/supervision-items/{id}/verify", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = NoteInput,
    responses((status = 200, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NoteInput>,
) -> AppResult<HttpResponse> {
    step(&req, &state, &actor, *id, ItemAction::Verify, body.note).await
}

/// The trail of an item, oldest first.
#[utoipa::path(get, path = "/api/v1/supervision-items/{id}/updates", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id")),
    responses((status = 200, body = Vec<ItemUpdateView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn updates(state: web::Data<AppState>, actor: Authenticated, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::updates(&state.db, &actor.0, *id).await?))
}

/// Post a comment (inspectors, the responsible side) or evidence (the responsible side,
/// while rectifying).
#[utoipa::path(post, path = "/api/v1/supervision-items/{id}/updates", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item id")),
    request_body = NewItemUpdate,
    responses((status = 201, body = ItemUpdateView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_update(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NewItemUpdate>,
) -> AppResult<HttpResponse> {
    let u = svc::add_update(&state.db, &actor.0, state.settings.today(), *id, body).await?;
    Ok(HttpResponse::Created().json(u))
}

/// Per organisation of a subtree: open, overdue, closed on time and closed late items.
#[utoipa::path(get, path = "/api/v1/supervision-stats", tag = "supervision", security(("bearer" = [])),
    params(OrgQuery),
    responses((status = 200, body = Vec<OrgItemStats>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn stats(state: web::Data<AppState>, actor: Authenticated, q: Query<OrgQuery>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(svc::stats_by_org(&state.db, &actor.0, state.settings.today(), q.organization_id).await?))
}

/// The supervision area's part of the OpenAPI document (audit included).
#[derive(OpenApi)]
#[openapi(
    paths(
        list_inspections, get_inspection, create_inspection, update_inspection,
        list_items, export_items, escalation, get_item, open_item, update_item, set_plan, submit, reject, verify,
        updates, add_update, stats,
        audit::list, audit::get, audit::history, audit::verify_chain,
    ),
    components(schemas(ExportFormat, svc::ItemSort)),
    tags(
        (name = "supervision", description = "Inspections (巡察), supervision items and rectification (整改)"),
        (name = "audit", description = "The hash-chained audit trail"),
    )
)]
pub struct SupervisionApi;
