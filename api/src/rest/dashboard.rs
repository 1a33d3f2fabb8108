//! `/dashboard`: the statistics dashboard of an organisation subtree and period, and
//! its CSV / XLSX export.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

use super::problem::Problem;
use super::supervision::{DashboardQuery, FormatQuery, download};
use crate::error::AppResult;
use crate::http::extract::Authenticated;
use crate::http::extract::Query;
use crate::services::{
    dashboard::{self, Dashboard},
    exports,
};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(get_dashboard)).route("/dashboard/export", web::get().to(export_dashboard));
}

/// The statistics dashboard of an organisation subtree and period.
///
/// First-topic sessions held and attendance, measures due in the period done on time
/// and overdue, supervision items opened in the period by status and overdue.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_dashboard(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<DashboardQuery>,
) -> AppResult<HttpResponse> {
    let s = &state.settings;
    let d = dashboard::dashboard(&state.db, &actor.0, s.time_zone, s.today(), q.organization_id, q.from, q.to).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Export the dashboard as CSV or XLSX (columns 类别, 指标, 数值).
#[utoipa::path(get, path = "/api/v1/dashboard/export", tag = "dashboard", security(("bearer" = [])),
    params(DashboardQuery, FormatQuery),
    responses(
        (status = 200, description = "The file", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export_dashboard(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<DashboardQuery>,
    f: Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let s = &state.settings;
    let file =
        exports::dashboard(&state.db, &actor.0, s.time_zone, s.today(), q.organization_id, q.from, q.to, f.format)
            .await?;
    Ok(download(file))
}

/// The dashboard part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_dashboard, export_dashboard),
    tags((name = "dashboard", description = "The statistics dashboard and its exports"))
)]
pub struct DashboardApi;
