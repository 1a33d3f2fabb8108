//! `/achievements`, `/research-projects`, `/milestones`, `/rd-expenditures`, `/honours`,
//! `/campaigns`, `/indicators`, `/activities`, `/vanguard-units` and
//! `/innovation-statistics`: the Technology Innovation Year (科技创新年), and its part of
//! the OpenAPI document.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::innovation::{
    achievements::{
        self, AchievementCategory, AchievementFilter, AchievementPatch, AchievementReview, AchievementStatus,
        AchievementView, NewAchievement,
    },
    campaigns::{
        self, ActivityKind, ActivityPatch, ActivityView, CampaignFilter, CampaignPatch, CampaignView, IndicatorPatch,
        NewActivity, NewCampaign, NewIndicator,
    },
    honours::{self, HonourFilter, HonourKind, HonourPatch, HonourView, NewHonour},
    projects::{
        self, ExpenditureFilter, ExpenditureView, MilestonePatch, MilestoneView, NewExpenditure, NewMilestone,
        NewProject, ProjectFilter, ProjectLevel, ProjectPatch, ProjectStatus, ProjectView,
    },
    statistics::{self, InnovationStatistics},
    vanguard::{self, NewVanguardUnit, VanguardFilter, VanguardKind, VanguardUnitPatch, VanguardUnitView},
};
use crate::state::AppState;

page_dto!(AchievementPage, AchievementView);
page_dto!(ProjectPage, ProjectView);
page_dto!(ExpenditurePage, ExpenditureView);
page_dto!(HonourPage, HonourView);
page_dto!(CampaignPage, CampaignView);
page_dto!(ActivityPage, ActivityView);
page_dto!(VanguardUnitPage, VanguardUnitView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/achievements", web::get().to(list_achievements))
        .route("/achievements", web::post().to(submit_achievement))
        .route("/achievements/{id}", web::get().to(get_achievement))
        .route("/achievements/{id}", web::patch().to(update_achievement))
        .route("/achievements/{id}/review", web::post().to(review_achievement))
        .route("/research-projects", web::get().to(list_projects))
        .route("/research-projects", web::post().to(create_project))
        .route("/research-projects/{id}", web::get().to(get_project))
        .route("/research-projects/{id}", web::patch().to(update_project))
        .route("/research-projects/{id}/milestones", web::post().to(add_milestone))
        .route("/milestones/{id}", web::patch().to(update_milestone))
        .route("/rd-expenditures", web::get().to(list_expenditures))
        .route("/rd-expenditures", web::post().to(add_expenditure))
        .route("/rd-expenditures/{id}", web::delete().to(delete_expenditure))
        .route("/honours", web::get().to(list_honours))
        .route("/honours", web::post().to(create_honour))
        .route("/honours/{id}", web::get().to(get_honour))
        .route("/honours/{id}", web::patch().to(update_honour))
        .route("/honours/{id}", web::delete().to(delete_honour))
        .route("/campaigns", web::get().to(list_campaigns))
        .route("/campaigns", web::post().to(create_campaign))
        .route("/campaigns/{id}", web::get().to(get_campaign))
        .route("/campaigns/{id}", web::patch().to(update_campaign))
        .route("/campaigns/{id}/indicators", web::post().to(add_indicator))
        .route("/indicators/{id}", web::patch().to(update_indicator))
        .route("/activities", web::get().to(list_activities))
        .route("/activities", web::post().to(create_activity))
        .route("/activities/{id}", web::get().to(get_activity))
        .route("/activities/{id}", web::patch().to(update_activity))
        .route("/vanguard-units", web::get().to(list_units))
        .route("/vanguard-units", web::post().to(create_unit))
        .route("/vanguard-units/{id}", web::get().to(get_unit))
        .route("/vanguard-units/{id}", web::patch().to(update_unit))
        .route("/innovation-statistics", web::get().to(get_statistics));
}

/// Filters of the achievement list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AchievementQuery {
    /// Only achievements of this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this campaign.
    pub campaign_id: Option<Uuid>,
    /// Only this category.
    pub category: Option<AchievementCategory>,
    /// Only this status.
    pub status: Option<AchievementStatus>,
    /// Only submitted in this year (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Only those this person leads, submitted or is on the team of.
    pub person_id: Option<Uuid>,
}

/// Filters of the project list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Only projects of this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this level.
    pub level: Option<ProjectLevel>,
    /// Only this status.
    pub status: Option<ProjectStatus>,
}

/// Filters of the R&D expenditure list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpenditureQuery {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this project.
    pub project_id: Option<Uuid>,
    /// Only months of this year (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

/// Filters of the honour list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HonourQuery {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<HonourKind>,
    /// Only dated in this year (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Only of this project.
    pub project_id: Option<Uuid>,
    /// Only crediting this person.
    pub person_id: Option<Uuid>,
}

/// Filters of the campaign and activity lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this year (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Activities: only of this campaign.
    pub campaign_id: Option<Uuid>,
    /// Activities: only this kind.
    pub kind: Option<ActivityKind>,
    /// Activities: only with this participant.
    pub person_id: Option<Uuid>,
}

/// Filters of the vanguard-unit list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VanguardQuery {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<VanguardKind>,
    /// Only serving this project.
    pub project_id: Option<Uuid>,
}

/// An organisation subtree and a year.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// The subtree root.
    pub organization_id: Uuid,
    /// The year (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
}

/// List "five small" achievements (五小创新创效): those of organisations in your scope, and those you lead, submitted or are on the team of.
#[utoipa::path(get, path = "/api/v1/achievements", tag = "innovation", security(("bearer" = [])),
    params(AchievementQuery, PageParams),
    responses((status = 200, body = AchievementPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_achievements(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<AchievementQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = AchievementFilter {
        organization_id: q.organization_id,
        campaign_id: q.campaign_id,
        category: q.category,
        status: q.status,
        year: q.year,
        person_id: q.person_id,
    };
    let page = achievements::list(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(AchievementPage::from(page)))
}

/// Get an achievement.
#[utoipa::path(get, path = "/api/v1/achievements/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, body = AchievementView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_achievement(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = achievements::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Submit an achievement. Members submit in their own organisation for a team they lead or are on (the lead defaults to the caller); administrators for anyone in scope. Money in fen.
#[utoipa::path(post, path = "/api/v1/achievements", tag = "innovation", security(("bearer" = [])),
    request_body = NewAchievement,
    responses((status = 201, body = AchievementView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn submit_achievement(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewAchievement>,
) -> AppResult<HttpResponse> {
    let v = achievements::submit(&state.db, &actor.0, state.settings.today(), body).await?;
    Ok(created(format!("/api/v1/achievements/{}", v.id), v.version, &v))
}

/// Change a submitted achievement (its submitter, lead or an administrator in scope). Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/achievements/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = AchievementPatch,
    responses((status = 200, body = AchievementView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_achievement(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<AchievementPatch>,
) -> AppResult<HttpResponse> {
    let v = achievements::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Take a workflow step on an achievement. Needs `If-Match`.
///
/// submitted → under_review → accepted | rejected (with `reason`); accepted → awarded
/// (with `reward_fen`) → promoted. Administrators in scope only, never on an achievement
/// they submitted, lead or are on the team of (403); other steps are 409.
#[utoipa::path(post, path = "/api/v1/achievements/{id}/review", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = AchievementReview,
    responses((status = 200, body = AchievementView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn review_achievement(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<AchievementReview>,
) -> AppResult<HttpResponse> {
    let v = achievements::review(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// List research projects in your scope, with team, milestones (on_track / at_risk / late) and spending.
#[utoipa::path(get, path = "/api/v1/research-projects", tag = "innovation", security(("bearer" = [])),
    params(ProjectQuery, PageParams),
    responses((status = 200, body = ProjectPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_projects(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<ProjectQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = ProjectFilter { organization_id: q.organization_id, level: q.level, status: q.status };
    let page = projects::list(&state.db, &actor.0, state.settings.today(), &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(ProjectPage::from(page)))
}

/// Get a research project.
#[utoipa::path(get, path = "/api/v1/research-projects/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, body = ProjectView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_project(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = projects::get(&state.db, &actor.0, state.settings.today(), *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Create a research project (status proposed), optionally with the party group built on it (an organisation of kind group).
#[utoipa::path(post, path = "/api/v1/research-projects", tag = "innovation", security(("bearer" = [])),
    request_body = NewProject,
    responses((status = 201, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_project(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewProject>,
) -> AppResult<HttpResponse> {
    let v = projects::create(&state.db, &actor.0, state.settings.today(), body).await?;
    Ok(created(format!("/api/v1/research-projects/{}", v.id), v.version, &v))
}

/// Change a research project; `status` moves one step (proposed → active → completed → accepted), dated `status_on` (default today). Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/research-projects/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = ProjectPatch,
    responses((status = 200, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_project(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<ProjectPatch>,
) -> AppResult<HttpResponse> {
    let v = projects::update(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Add a milestone to a research project (administrators in scope).
#[utoipa::path(post, path = "/api/v1/research-projects/{id}/milestones", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = NewMilestone,
    responses((status = 201, body = MilestoneView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_milestone(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NewMilestone>,
) -> AppResult<HttpResponse> {
    let m = projects::add_milestone(&state.db, &actor.0, state.settings.today(), *id, body).await?;
    Ok(HttpResponse::Created().insert_header(("ETag", super::etag(m.version).to_string())).json(m))
}

/// Change a milestone, e.g. record the day it was reached. Needs `If-Match` (`"v<version>"`).
#[utoipa::path(patch, path = "/api/v1/milestones/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Milestone id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = MilestonePatch,
    responses((status = 200, body = MilestoneView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update_milestone(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<MilestonePatch>,
) -> AppResult<HttpResponse> {
    let m = projects::update_milestone(&state.db, &actor.0, state.settings.today(), *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, m.version, &m))
}

/// List R&D expenditure entries (研发经费) in your scope. Amounts in fen.
#[utoipa::path(get, path = "/api/v1/rd-expenditures", tag = "innovation", security(("bearer" = [])),
    params(ExpenditureQuery, PageParams),
    responses((status = 200, body = ExpenditurePage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_expenditures(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<ExpenditureQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = ExpenditureFilter { organization_id: q.organization_id, project_id: q.project_id, year: q.year };
    let page = projects::expenditures(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(ExpenditurePage::from(page)))
}

/// Book a month's R&D expenditure of an organisation or project (administrators in scope).
#[utoipa::path(post, path = "/api/v1/rd-expenditures", tag = "innovation", security(("bearer" = [])),
    request_body = NewExpenditure,
    responses((status = 201, body = ExpenditureView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_expenditure(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewExpenditure>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(projects::add_expenditure(&state.db, &actor.0, body).await?))
}

/// Remove an R&D expenditure entry booked by mistake (administrators in scope).
#[utoipa::path(delete, path = "/api/v1/rd-expenditures/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Entry id"), ("If-Match" = String, Header, description = "The entry's ETag")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_expenditure(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    projects::delete_expenditure(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List intellectual property and honours (patents, software copyrights, awards, standards) in your scope.
#[utoipa::path(get, path = "/api/v1/honours", tag = "innovation", security(("bearer" = [])),
    params(HonourQuery, PageParams),
    responses((status = 200, body = HonourPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_honours(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<HonourQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = HonourFilter {
        organization_id: q.organization_id,
        kind: q.kind,
        year: q.year,
        project_id: q.project_id,
        person_id: q.person_id,
    };
    let page = honours::list(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(HonourPage::from(page)))
}

/// Get an honour.
#[utoipa::path(get, path = "/api/v1/honours/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, body = HonourView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_honour(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = honours::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Record a patent, software copyright, award or standard (administrators in scope).
#[utoipa::path(post, path = "/api/v1/honours", tag = "innovation", security(("bearer" = [])),
    request_body = NewHonour,
    responses((status = 201, body = HonourView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_honour(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewHonour>,
) -> AppResult<HttpResponse> {
    let v = honours::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/honours/{}", v.id), v.version, &v))
}

/// Change an honour (administrators in scope). Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/honours/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = HonourPatch,
    responses((status = 200, body = HonourView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_honour(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<HonourPatch>,
) -> AppResult<HttpResponse> {
    let v = honours::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Delete an honour recorded by mistake (administrators in scope). Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/honours/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_honour(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    honours::delete(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List Technology Innovation Year campaigns (科技创新年) in your scope (indicators: read one campaign).
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "innovation", security(("bearer" = [])),
    params(CampaignQuery, PageParams),
    responses((status = 200, body = CampaignPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<CampaignQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = CampaignFilter { organization_id: q.organization_id, year: q.year, ..Default::default() };
    let page = campaigns::list(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(CampaignPage::from(page)))
}

/// Get a campaign with its indicators; computed indicators carry the figure the system holds.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, body = CampaignView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_campaign(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = campaigns::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Create a campaign (status planned) with indicators (administrators in scope).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "innovation", security(("bearer" = [])),
    request_body = NewCampaign,
    responses((status = 201, body = CampaignView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_campaign(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewCampaign>,
) -> AppResult<HttpResponse> {
    let v = campaigns::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/campaigns/{}", v.id), v.version, &v))
}

/// Change a campaign; `status` moves planned → running → closed. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = CampaignPatch,
    responses((status = 200, body = CampaignView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_campaign(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<CampaignPatch>,
) -> AppResult<HttpResponse> {
    let v = campaigns::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Add an indicator to a campaign; returns the campaign.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/indicators", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    request_body = NewIndicator,
    responses((status = 201, body = CampaignView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_indicator(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<NewIndicator>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(campaigns::add_indicator(&state.db, &actor.0, *id, body).await?))
}

/// Change an indicator's target or typed actual; returns the campaign. Needs `If-Match`
/// with the indicator's version (`"v<version>"`).
#[utoipa::path(patch, path = "/api/v1/indicators/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Indicator id"), ("If-Match" = String, Header, description = "The indicator's ETag")),
    request_body = IndicatorPatch,
    responses((status = 200, body = CampaignView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_indicator(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<IndicatorPatch>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(campaigns::update_indicator(&state.db, &actor.0, *id, if_match(&req)?, body).await?))
}

/// List campaign activities with participants and results (HR clients too).
#[utoipa::path(get, path = "/api/v1/activities", tag = "innovation", security(("bearer" = [])),
    params(CampaignQuery, PageParams),
    responses((status = 200, body = ActivityPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_activities(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<CampaignQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = CampaignFilter {
        organization_id: q.organization_id,
        year: q.year,
        campaign_id: q.campaign_id,
        kind: q.kind,
        person_id: q.person_id,
    };
    let page = campaigns::activities(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(ActivityPage::from(page)))
}

/// Get an activity.
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, body = ActivityView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = campaigns::get_activity(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Record an activity with its participants (administrators in scope).
#[utoipa::path(post, path = "/api/v1/activities", tag = "innovation", security(("bearer" = [])),
    request_body = NewActivity,
    responses((status = 201, body = ActivityView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_activity(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewActivity>,
) -> AppResult<HttpResponse> {
    let v = campaigns::create_activity(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/activities/{}", v.id), v.version, &v))
}

/// Change an activity, e.g. record results. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/activities/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = ActivityPatch,
    responses((status = 200, body = ActivityView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<ActivityPatch>,
) -> AppResult<HttpResponse> {
    let v = campaigns::update_activity(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// List vanguard units (党员突击队, 党员示范岗) in your scope.
#[utoipa::path(get, path = "/api/v1/vanguard-units", tag = "innovation", security(("bearer" = [])),
    params(VanguardQuery, PageParams),
    responses((status = 200, body = VanguardUnitPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_units(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<VanguardQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = VanguardFilter { organization_id: q.organization_id, kind: q.kind, project_id: q.project_id };
    let page = vanguard::list(&state.db, &actor.0, &filter, p.page()?).await?;
    Ok(HttpResponse::Ok().json(VanguardUnitPage::from(page)))
}

/// Get a vanguard unit.
#[utoipa::path(get, path = "/api/v1/vanguard-units/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, body = VanguardUnitView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_unit(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = vanguard::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// Create a vanguard unit (administrators in scope).
#[utoipa::path(post, path = "/api/v1/vanguard-units", tag = "innovation", security(("bearer" = [])),
    request_body = NewVanguardUnit,
    responses((status = 201, body = VanguardUnitView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_unit(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewVanguardUnit>,
) -> AppResult<HttpResponse> {
    let v = vanguard::create(&state.db, &actor.0, body).await?;
    Ok(created(format!("/api/v1/vanguard-units/{}", v.id), v.version, &v))
}

/// Change a vanguard unit. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/vanguard-units/{id}", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = VanguardUnitPatch,
    responses((status = 200, body = VanguardUnitView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_unit(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<VanguardUnitPatch>,
) -> AppResult<HttpResponse> {
    let v = vanguard::update(&state.db, &actor.0, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, v.version, &v))
}

/// The innovation statistics of an organisation subtree for a year: every figure of the
/// yearly report (projects, awards, intellectual property, standards), "five small"
/// achievements and benefit, R&D spending and growth, projects by level and status,
/// activities by kind and award winners. Counted in SQL.
#[utoipa::path(get, path = "/api/v1/innovation-statistics", tag = "innovation", security(("bearer" = [])),
    params(StatisticsQuery),
    responses((status = 200, body = InnovationStatistics), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn get_statistics(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<StatisticsQuery>,
) -> AppResult<HttpResponse> {
    let s = statistics::statistics(&state.db, &actor.0, state.settings.today(), q.organization_id, q.year).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The innovation area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_achievements, get_achievement, submit_achievement, update_achievement, review_achievement,
        list_projects, get_project, create_project, update_project, add_milestone, update_milestone,
        list_expenditures, add_expenditure, delete_expenditure,
        list_honours, get_honour, create_honour, update_honour, delete_honour,
        list_campaigns, get_campaign, create_campaign, update_campaign, add_indicator, update_indicator,
        list_activities, get_activity, create_activity, update_activity,
        list_units, get_unit, create_unit, update_unit, get_statistics,
    ),
    tags((name = "innovation", description = "Technology Innovation Year (科技创新年): five-small achievements, research projects, honours, campaigns, activities, vanguard units, statistics")),
)]
pub struct InnovationApi;
