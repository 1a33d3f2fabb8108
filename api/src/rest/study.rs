//! `/study-sessions`, `/attendance-rates`, `/me/attendance` and
//! `/me/upcoming-sessions`: "first topic" study (第一议题学习), attendance, check-in
//! and statements, and the study area's part of the OpenAPI document.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::study::{
    self as svc, AttendanceCounts, AttendanceRateReport, AttendanceStatus, AttendanceView, BulkAttendance,
    BulkAttendanceResult, CheckInCode, CheckInInput, MarkAttendance, MyAttendance, NewSession, SessionFilter,
    SessionKind, SessionPatch, SessionStatus, SessionSummary, SessionView, StatementInput, StatementView,
};
use crate::state::AppState;

page_dto!(SessionPage, SessionSummary);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/study-sessions", web::get().to(list))
        .route("/study-sessions", web::post().to(create))
        .route("/study-sessions/{id}", web::get().to(get))
        .route("/study-sessions/{id}", web::patch().to(update))
        .route("/study-sessions/{id}/attendance", web::get().to(attendance))
        .route("/study-sessions/{id}/attendance/bulk", web::post().to(mark_attendance_bulk))
        .route("/study-sessions/{id}/attendance/{person_id}", web::put().to(mark_attendance))
        .route("/study-sessions/{id}/attendance-counts", web::get().to(get_attendance_counts))
        .route("/study-sessions/{id}/check-in", web::post().to(check_in))
        .route("/study-sessions/{id}/check-in-code", web::get().to(get_check_in_code))
        .route("/me/attendance", web::get().to(get_my_attendance))
        .route("/me/upcoming-sessions", web::get().to(list_my_upcoming_sessions))
        .route("/study-sessions/{id}/statements", web::get().to(statements))
        .route("/study-sessions/{id}/statements", web::post().to(create_statement))
        .route("/study-sessions/{id}/statements/{statement_id}", web::patch().to(update_statement))
        .route("/attendance-rates", web::get().to(attendance_rate));
}

/// Filters of the session list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// Only sessions of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<SessionKind>,
    /// Only this status.
    pub status: Option<SessionStatus>,
    /// Only sessions with (true) or without (false) the first topic.
    pub is_first_topic: Option<bool>,
    /// Held at or after this instant (RFC 3339).
    pub held_from: Option<DateTime<Utc>>,
    /// Held before this instant (RFC 3339).
    pub held_before: Option<DateTime<Utc>>,
    /// Order: `held_at` (earliest meeting first) or `-held_at` (latest first); creation
    /// order when absent. A cursor belongs to the order it was made in.
    pub sort: Option<svc::SessionSort>,
}

/// Filter of a roster.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Only entries with this status (`expected`: nothing recorded yet; after the
    /// session was held, the unmarked).
    pub status: Option<AttendanceStatus>,
}

/// The period of "my party life" (days in the configured time zone, inclusive).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyAttendanceQuery {
    /// First day (default: the first of January of `to`'s year).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (default: today); the range may span at most 1830 days.
    pub to: Option<NaiveDate>,
}

/// How many upcoming sessions.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UpcomingQuery {
    /// At most this many, 1–50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// An organisation subtree and a date range (days in the configured time zone, inclusive).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// The subtree root.
    pub organization_id: Uuid,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive): on or after `from`. The range may span at most 1830 days
    /// (366 × 5) for attendance rates and at most 1098 days (366 × 3) for compliance
    /// reports.
    pub to: NaiveDate,
}

/// List study sessions.
///
/// Sessions in the caller's scope, plus (for members) those whose roster they are on;
/// cursor-paged in creation order.
#[utoipa::path(get, path = "/api/v1/study-sessions", tag = "study", security(("bearer" = [])),
    params(SessionQuery, PageParams),
    responses((status = 200, body = SessionPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<SessionQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = SessionFilter {
        organization_id: q.organization_id,
        kind: q.kind,
        status: q.status,
        is_first_topic: q.is_first_topic,
        held_from: q.held_from,
        held_before: q.held_before,
        sort: q.sort,
        bare: false,
    };
    let page = svc::list(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok()
        .json(SessionPage { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Get a study session.
///
/// 404 when missing or outside the caller's scope (indistinguishable).
#[utoipa::path(get, path = "/api/v1/study-sessions/{id}", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, body = SessionView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let s = svc::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, s.version, &s))
}

/// Plan a study session.
///
/// In an organisation the caller manages. The roster follows the kind's rule (see the
/// README's table: the branch with its party groups for a general meeting or lecture,
/// the committee in office for a committee meeting, ...); the check-in window defaults
/// to 30 minutes before `held_at` until 2 hours after. Times lie in the years 2000–2100.
#[utoipa::path(post, path = "/api/v1/study-sessions", tag = "study", security(("bearer" = [])),
    request_body = NewSession,
    responses((status = 201, body = SessionView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewSession>,
) -> AppResult<HttpResponse> {
    let s = svc::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/study-sessions/{}", s.id), s.version, &s))
}

/// Update a study session. Needs `If-Match`.
///
/// Status moves only from `planned` to `held` or `cancelled` (409 otherwise).
#[utoipa::path(patch, path = "/api/v1/study-sessions/{id}", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = SessionPatch,
    responses((status = 200, body = SessionView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<SessionPatch>,
) -> AppResult<HttpResponse> {
    let s = svc::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, s.version, &s))
}

/// The roster of a session, with each person's attendance.
///
/// `status=expected` lists the people nothing was recorded for (after the session was
/// held: the unmarked).
#[utoipa::path(get, path = "/api/v1/study-sessions/{id}/attendance", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id"), RosterQuery),
    responses((status = 200, body = Vec<AttendanceView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn attendance(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    q: Query<RosterQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::attendance(&state.db, &actor.0, *id, q.status).await?))
}

/// Attendance counts of a session.
///
/// Present, late, leave (excused, apart from absence), absent, expected; of a held
/// session the people nothing was recorded for are also counted as `unmarked`. Rate =
/// (present + late) / (roster − leave): unmarked people count as not attended.
#[utoipa::path(get, path = "/api/v1/study-sessions/{id}/attendance-counts", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, body = AttendanceCounts), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_attendance_counts(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::session_attendance_counts(&state.db, &actor.0, *id).await?))
}

/// Mark many people's attendance at once.
///
/// `entries` (at most 500, each person once) and/or `rest`: everyone not listed who is
/// still `expected` becomes `present` or `absent`. One transaction; no `If-Match` (the
/// last mark wins). For the session's recorder or an organisation administrator in
/// scope (403 otherwise). A person not on the roster is 422 naming
/// `entries[i].person_id`. Answers the roster and its counts afterwards.
#[utoipa::path(post, path = "/api/v1/study-sessions/{id}/attendance/bulk", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    request_body = BulkAttendance,
    responses((status = 200, body = BulkAttendanceResult), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn mark_attendance_bulk(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<BulkAttendance>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::mark_attendance_bulk(&state.db, &actor.0, *id, body).await?))
}

/// The current check-in code of a session.
///
/// For sessions in check-in mode `code`: a 6-digit code that changes every 30 seconds
/// (the previous one is still accepted), and `qr_payload` for a QR code. Only for the
/// host, the recorder or an organisation administrator in scope (403); another mode
/// or a cancelled session is 409. The code is never cached.
#[utoipa::path(get, path = "/api/v1/study-sessions/{id}/check-in-code", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, body = CheckInCode), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn get_check_in_code(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let code = svc::check_in_code(&state.db, &actor.0, *id).await?;
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::CACHE_CONTROL, "no-store")).json(code))
}

/// My party life: my attendance over a period.
///
/// Totals (attended = present + late, missed = absent, on leave, unmarked) and per
/// month (configured time zone) over the sessions whose roster I am on that started in
/// the period and were not cancelled, and a page of the entries, latest first
/// (`limit`, `cursor`). 403 for accounts that are not a person.
#[utoipa::path(get, path = "/api/v1/me/attendance", tag = "study", security(("bearer" = [])),
    params(MyAttendanceQuery, PageParams),
    responses((status = 200, body = MyAttendance), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn get_my_attendance(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<MyAttendanceQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let tz = state.settings.time_zone;
    Ok(HttpResponse::Ok().json(svc::my_attendance(&state.db, &actor.0, tz, q.from, q.to, p.page()?).await?))
}

/// My upcoming sessions.
///
/// Planned sessions whose roster I am on that start now or later, or whose check-in is
/// still open, soonest first. 403 for accounts that are not a person.
#[utoipa::path(get, path = "/api/v1/me/upcoming-sessions", tag = "study", security(("bearer" = [])),
    params(UpcomingQuery),
    responses((status = 200, body = Vec<SessionSummary>), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_my_upcoming_sessions(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<UpcomingQuery>,
) -> AppResult<HttpResponse> {
    let sessions = svc::my_upcoming_sessions(&state.db, &actor.0, q.limit, "limit").await?;
    Ok(HttpResponse::Ok().json(sessions.into_iter().map(SessionSummary::from).collect::<Vec<_>>()))
}

/// Mark a person's attendance.
///
/// For the session's recorder or an organisation administrator in scope (403
/// otherwise). `leave` needs a reason. `If-Match` carries the entry's ETag (from the
/// roster, `GET /study-sessions/{id}/attendance`).
#[utoipa::path(put, path = "/api/v1/study-sessions/{id}/attendance/{person_id}", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id"), ("person_id" = Uuid, Path, description = "Person on the roster"),
        ("If-Match" = String, Header, description = "ETag of the roster entry")),
    request_body = MarkAttendance,
    responses((status = 200, body = AttendanceView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn mark_attendance(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<MarkAttendance>,
) -> AppResult<HttpResponse> {
    let (id, person_id) = path.into_inner();
    let a = svc::mark_attendance(&state.db, &actor.0, id, person_id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, a.version, &a))
}

/// Check in (the caller).
///
/// Only for people on the roster (403), not at sessions in check-in mode
/// `recorder_only` (403), only inside the check-in window (422 naming
/// `check_in_window`), only once (409). In mode `code` the body carries the code the
/// host shows (wrong or expired: 422 naming `code`); with a geofence, `latitude` and
/// `longitude` within its radius (422 naming `latitude`, saying how far). The body may
/// be empty for a session in mode `open` without a geofence. Later than `held_at` + 15
/// minutes is `late`.
#[utoipa::path(post, path = "/api/v1/study-sessions/{id}/check-in", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    request_body(content = CheckInInput, description = "The code and the position; may be empty"),
    responses((status = 200, body = AttendanceView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn check_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let input: CheckInInput = if body.iter().all(u8::is_ascii_whitespace) {
        CheckInInput::default()
    } else if crate::http::extract::is_json(&req) {
        crate::http::extract::parse_json(&body)?
    } else {
        return Err(AppError::UnsupportedMediaType("send the body as application/json".into()));
    };
    let a = svc::check_in(&state.db, &actor.0, *id, state.settings.time_zone, input).await?;
    Ok(with_etag(&req, a.version, &a))
}

/// Statements of a session (联学联议): leadership-team members first, then in order written.
#[utoipa::path(get, path = "/api/v1/study-sessions/{id}/statements", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, body = Vec<StatementView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn statements(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::statements(&state.db, &actor.0, *id).await?))
}

/// Write a statement (the caller's own; only for people on the roster).
#[utoipa::path(post, path = "/api/v1/study-sessions/{id}/statements", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    request_body = StatementInput,
    responses((status = 201, body = StatementView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_statement(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<StatementInput>,
) -> AppResult<HttpResponse> {
    let s = svc::create_statement(&state.db, &actor.0, *id, body).await?;
    Ok(created(format!("/api/v1/study-sessions/{}/statements/{}", s.session_id, s.id), s.version, &s))
}

/// Edit your own statement. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/study-sessions/{id}/statements/{statement_id}", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id"), ("statement_id" = Uuid, Path, description = "Statement id"),
        ("If-Match" = String, Header, description = "Current ETag")),
    request_body = StatementInput,
    responses((status = 200, body = StatementView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update_statement(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<StatementInput>,
) -> AppResult<HttpResponse> {
    let (id, statement_id) = path.into_inner();
    let s = svc::update_statement(&state.db, &actor.0, id, statement_id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, s.version, &s))
}

/// Attendance rate of an organisation subtree in a period.
///
/// Over held sessions whose `held_at` falls on a day `from..=to` (configured time zone).
/// Rate = (present + late) / (roster − leave); null when nobody was expected.
#[utoipa::path(get, path = "/api/v1/attendance-rates", tag = "study", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, body = AttendanceRateReport), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn attendance_rate(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let tz = state.settings.time_zone;
    Ok(HttpResponse::Ok().json(svc::attendance_rate(&state.db, &actor.0, tz, q.organization_id, q.from, q.to).await?))
}

/// The study area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list, get, create, update, attendance, mark_attendance, check_in, statements, create_statement,
        update_statement, attendance_rate, get_attendance_counts, mark_attendance_bulk, get_check_in_code,
        get_my_attendance, list_my_upcoming_sessions,
    ),
    // Query-parameter enums are not collected from `params(...)`: named here.
    components(schemas(svc::SessionSort, svc::AttendanceStatus)),
    tags(
        (name = "study", description = "First-topic study sessions (第一议题学习), attendance, statements"),
    )
)]
pub struct StudyApi;
