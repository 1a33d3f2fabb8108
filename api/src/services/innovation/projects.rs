//! Research projects (科研项目) with their team, the party group built on them
//! (党小组建在项目上), milestones judged on_track / at_risk / late, and R&D
//! expenditure (研发经费) by month.
//!
//! Status: proposed → active → completed → accepted (验收), each step dated. Readable
//! with `InnovationRead` over the project's organisation, changed with
//! `InnovationManage` there.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Func, SimpleExpr},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    PROJECT_TEAM, PersonLink, check_people, check_version, clean, ensure_persons, in_subtree_of, links_of,
    non_negative, person_links, set_links, year_bounds,
};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::pagination::{KeyOrder, Page, PageRequest, keyset};
use crate::services::scope::org_for_write;
use crate::services::scope::org_ref_in;
use crate::services::types::{Id, OrgKind, text_enum};
use entity::{project_milestone, rd_expenditure, research_project};

text_enum! {
    /// Level of a research project.
    ProjectLevel {
        /// 国家重点研发计划: national key R&D programme.
        NationalKey => "national_key",
        /// 省部级: provincial or ministerial.
        Provincial => "provincial",
        /// 地市级: municipal.
        Municipal => "municipal",
        /// 集团重大: major group project.
        GroupMajor => "group_major",
        /// 公司级: company project.
        Company => "company",
    }
}

text_enum! {
    /// Status of a research project.
    ProjectStatus {
        /// 立项申请: proposed.
        Proposed => "proposed",
        /// 在研: active.
        Active => "active",
        /// 结题: completed, waiting for acceptance.
        Completed => "completed",
        /// 验收: accepted (final).
        Accepted => "accepted",
    }
}

impl ProjectStatus {
    /// The allowed changes: one step forward at a time.
    pub fn may_become(self, next: ProjectStatus) -> bool {
        use ProjectStatus::*;
        matches!((self, next), (Proposed, Active) | (Active, Completed) | (Completed, Accepted))
    }
}

text_enum! {
    /// How a milestone stands.
    MilestoneStatus {
        /// Reached on or before the planned day, or not yet due and not close.
        OnTrack => "on_track",
        /// Not reached and due within the next 14 days (or today).
        AtRisk => "at_risk",
        /// Reached after the planned day, or not reached and past it.
        Late => "late",
    }
}

/// Days before the planned day from which an open milestone is at risk.
pub const AT_RISK_DAYS: i64 = 14;

/// A milestone's status on `today`: reached → on_track when `actual ≤ planned`, else
/// late; open → late after the planned day, at_risk from 14 days before it up to the
/// day itself, on_track before that.
pub fn milestone_status(planned: NaiveDate, actual: Option<NaiveDate>, today: NaiveDate) -> MilestoneStatus {
    match actual {
        Some(a) if a <= planned => MilestoneStatus::OnTrack,
        Some(_) => MilestoneStatus::Late,
        None if today > planned => MilestoneStatus::Late,
        None if (planned - today).num_days() <= AT_RISK_DAYS => MilestoneStatus::AtRisk,
        None => MilestoneStatus::OnTrack,
    }
}

/// A milestone of a research project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Milestone")]
pub struct MilestoneView {
    /// Id.
    pub id: Id,
    /// The project.
    pub project_id: Id,
    /// Title.
    pub title: String,
    /// Planned day.
    pub planned_on: NaiveDate,
    /// Day reached.
    pub actual_on: Option<NaiveDate>,
    /// on_track / at_risk / late, judged today (configured time zone).
    pub status: MilestoneStatus,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl MilestoneView {
    fn from_model(m: project_milestone::Model, today: NaiveDate) -> Self {
        MilestoneView {
            status: milestone_status(m.planned_on, m.actual_on, today),
            id: m.id.into(),
            project_id: m.project_id.into(),
            title: m.title,
            planned_on: m.planned_on,
            actual_on: m.actual_on,
            version: m.version,
        }
    }
}

/// A research project (科研项目) with its team, party group, milestones and spending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ResearchProject", complex)]
pub struct ProjectView {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation running it.
    pub organization_id: Id,
    /// That organisation's name (REST reads and lists; GraphQL has `organization`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// The party group built on the project (an organisation of kind group).
    pub party_group_id: Option<Id>,
    /// Project code (unique).
    pub code: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: ProjectLevel,
    /// Leader (person id).
    pub leader_id: Option<Id>,
    /// The leader's name (REST reads and lists; GraphQL has `leader`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_name: Option<String>,
    /// Team members besides the leader.
    pub members: Vec<PersonLink>,
    /// Budget in fen.
    pub budget_fen: i64,
    /// R&D expenditure booked on the project so far, in fen.
    pub spent_fen: i64,
    /// Status.
    pub status: ProjectStatus,
    /// Day proposed.
    pub proposed_on: NaiveDate,
    /// Day it became active.
    pub started_on: Option<NaiveDate>,
    /// Day it was completed.
    pub completed_on: Option<NaiveDate>,
    /// Day it was accepted (验收).
    pub accepted_on: Option<NaiveDate>,
    /// Milestones by planned day.
    pub milestones: Vec<MilestoneView>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A new research project.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateResearchProjectInput")]
pub struct NewProject {
    /// The organisation running it (one you manage).
    pub organization_id: Id,
    /// The party group built on it: an organisation of kind group you manage.
    pub party_group_id: Option<Id>,
    /// Code (1–50 characters, unique).
    #[schema(min_length = 1, pattern = r"\S", max_length = 50)]
    pub code: String,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Level.
    pub level: ProjectLevel,
    /// Leader (person id).
    pub leader_id: Option<Id>,
    /// Team members besides the leader (each person at most once).
    #[serde(default)]
    #[graphql(default)]
    pub members: Vec<PersonLink>,
    /// Budget in fen (non-negative).
    #[serde(default)]
    #[graphql(default)]
    #[schema(minimum = 0)]
    pub budget_fen: i64,
    /// Day proposed.
    pub proposed_on: NaiveDate,
}

/// Changes to a research project: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateResearchProjectInput")]
pub struct ProjectPatch {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Level.
    pub level: Option<ProjectLevel>,
    /// Leader.
    pub leader_id: Option<Id>,
    /// Team (replaces the list; each person at most once).
    pub members: Option<Vec<PersonLink>>,
    /// Budget in fen (non-negative).
    #[schema(minimum = 0)]
    pub budget_fen: Option<i64>,
    /// Party group (an organisation of kind group).
    pub party_group_id: Option<Id>,
    /// Next status (one step: proposed → active → completed → accepted).
    pub status: Option<ProjectStatus>,
    /// Day of the status change (default today): given only with `status`, and not
    /// before the day of the previous step.
    pub status_on: Option<NaiveDate>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Only projects of this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this level.
    pub level: Option<ProjectLevel>,
    /// Only this status.
    pub status: Option<ProjectStatus>,
}

/// A new milestone.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "MilestoneInput")]
pub struct NewMilestone {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Planned day.
    pub planned_on: NaiveDate,
    /// Day reached, if already.
    pub actual_on: Option<NaiveDate>,
}

/// Changes to a milestone: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateMilestoneInput")]
pub struct MilestonePatch {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Planned day.
    pub planned_on: Option<NaiveDate>,
    /// Day reached.
    pub actual_on: Option<NaiveDate>,
}

/// One month's R&D expenditure (研发经费) of an organisation, optionally booked on a
/// project, in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "RdExpenditure")]
pub struct ExpenditureView {
    /// Id.
    pub id: Id,
    /// The organisation that spent it.
    pub organization_id: Id,
    /// The project, if booked on one.
    pub project_id: Option<Id>,
    /// First day of the month.
    pub period_start: NaiveDate,
    /// Amount in fen.
    pub amount_fen: i64,
    /// Note.
    pub note: Option<String>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version (removing the entry needs it; the ETag over REST).
    pub version: i32,
}

impl From<rd_expenditure::Model> for ExpenditureView {
    fn from(m: rd_expenditure::Model) -> Self {
        ExpenditureView {
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            project_id: m.project_id.map(Id),
            period_start: m.period_start,
            amount_fen: m.amount_fen,
            note: m.note,
            version: m.version,
            created_at: m.created_at,
        }
    }
}

/// A month's R&D expenditure to book.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "RdExpenditureInput")]
pub struct NewExpenditure {
    /// The organisation (one you manage); required without `project_id`; for a project
    /// entry, the project's organisation (the default).
    pub organization_id: Option<Id>,
    /// The project, if any.
    pub project_id: Option<Id>,
    /// First day of the month.
    #[schema(pattern = r"-01$")]
    pub period_start: NaiveDate,
    /// Amount in fen (non-negative).
    #[schema(minimum = 0)]
    pub amount_fen: i64,
    /// Note (1–200 characters when given).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub note: Option<String>,
}

/// Filters of [`expenditures`].
#[derive(Debug, Clone, Default)]
pub struct ExpenditureFilter {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this project.
    pub project_id: Option<Uuid>,
    /// Only months of this year.
    pub year: Option<i32>,
}

fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::InnovationRead)?;
    Ok(org_ref_in(research_project::Column::OrganizationId, &scope))
}

/// Builds the views of a page: team, milestones and spending in one statement each.
async fn views<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    rows: Vec<research_project::Model>,
) -> AppResult<Vec<ProjectView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut team = links_of(db, &PROJECT_TEAM, &ids).await?;
    let mut milestones: HashMap<Uuid, Vec<MilestoneView>> = HashMap::new();
    let mut spent: HashMap<Uuid, i64> = HashMap::new();
    if !ids.is_empty() {
        for m in project_milestone::Entity::find()
            .filter(project_milestone::Column::ProjectId.is_in(ids.clone()))
            .order_by_asc(project_milestone::Column::PlannedOn)
            .order_by_asc(project_milestone::Column::Id)
            .all(db)
            .await?
        {
            milestones.entry(m.project_id).or_default().push(MilestoneView::from_model(m, today));
        }
        let sums: Vec<(Uuid, i64)> = rd_expenditure::Entity::find()
            .select_only()
            .column(rd_expenditure::Column::ProjectId)
            .column_as(sum_fen(rd_expenditure::Column::AmountFen), "spent")
            .filter(rd_expenditure::Column::ProjectId.is_in(ids))
            .group_by(rd_expenditure::Column::ProjectId)
            .into_tuple()
            .all(db)
            .await?;
        spent.extend(sums);
    }
    rows.into_iter()
        .map(|m| {
            Ok(ProjectView {
                level: ProjectLevel::from_db(&m.level)?,
                status: ProjectStatus::from_db(&m.status)?,
                members: person_links(team.remove(&m.id).unwrap_or_default()),
                milestones: milestones.remove(&m.id).unwrap_or_default(),
                spent_fen: spent.get(&m.id).copied().unwrap_or(0),
                id: m.id.into(),
                organization_id: m.organization_id.into(),
                organization_name: None,
                party_group_id: m.party_group_id.map(Id),
                code: m.code,
                title: m.title,
                leader_id: m.leader_person_id.map(Id),
                leader_name: None,
                budget_fen: m.budget_fen,
                proposed_on: m.proposed_on,
                started_on: m.started_on,
                completed_on: m.completed_on,
                accepted_on: m.accepted_on,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

/// `CAST(COALESCE(SUM(col), 0) AS BIGINT)`: a sum of fen that is an integer on both databases.
pub(crate) fn sum_fen(col: impl sea_orm::sea_query::IntoColumnRef) -> SimpleExpr {
    let sum: SimpleExpr = Func::sum(Expr::col(col)).into();
    let zero: SimpleExpr = Expr::val(0i64);
    Func::cast_as(Func::coalesce([sum, zero]), "BIGINT").into()
}

async fn view<C: ConnectionTrait>(db: &C, today: NaiveDate, row: research_project::Model) -> AppResult<ProjectView> {
    views(db, today, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Loads a readable project (NOT_FOUND otherwise).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_readable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<research_project::Model> {
    research_project::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

/// Loads and locks a project the actor manages: NOT_FOUND when not readable,
/// FORBIDDEN when readable but not managed.
async fn find_managed<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<research_project::Model> {
    find_readable(db, actor, id).await?;
    let row = research_project::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    org_for_write(db, actor, row.organization_id, Permission::InnovationManage).await?;
    Ok(row)
}

/// One project.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, today: NaiveDate, id: Uuid) -> AppResult<ProjectView> {
    let row = find_readable(db, actor, id).await?;
    let mut one = view(db, today, row).await?;
    with_names(db, std::slice::from_mut(&mut one)).await?;
    Ok(one)
}

/// Fills in the names of the organisations and leaders of `items`: two statements
/// whatever their number.
async fn with_names<C: ConnectionTrait>(db: &C, items: &mut [ProjectView]) -> AppResult<()> {
    let orgs = crate::services::names::organizations(db, items.iter().map(|p| *p.organization_id)).await?;
    let people = crate::services::names::people(db, items.iter().filter_map(|p| p.leader_id.map(|l| *l))).await?;
    for p in items {
        p.organization_name = orgs.get(&*p.organization_id).cloned();
        p.leader_name = p.leader_id.and_then(|l| people.get(&*l).cloned());
    }
    Ok(())
}

/// A page of readable projects, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ProjectFilter,
    page: PageRequest,
) -> AppResult<Page<ProjectView>> {
    let mut cond = Condition::all().add(readable(actor)?);
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, research_project::Column::OrganizationId, org).await?);
    }
    if let Some(l) = filter.level {
        cond = cond.add(research_project::Column::Level.eq(l.as_str()));
    }
    if let Some(s) = filter.status {
        cond = cond.add(research_project::Column::Status.eq(s.as_str()));
    }
    let (rows, total) =
        keyset::<_, research_project::Entity>(db, cond, research_project::Column::Id, page, KeyOrder::Oldest).await?;
    let mut items = views(db, today, rows).await?;
    with_names(db, &mut items).await?;
    Ok(Page::from_rows(items, page, |p| *p.id, total))
}

async fn check_party_group<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<()> {
    let org = org_for_write(db, actor, id, Permission::InnovationManage)
        .await
        .map_err(|_| AppError::invalid("party_group_id", "no such party group in your scope"))?;
    if OrgKind::from_db(&org.kind)? != OrgKind::Group {
        return Err(AppError::invalid("party_group_id", "must be an organisation of kind group"));
    }
    Ok(())
}

fn validate(code: Option<&str>, title: Option<&str>, budget: Option<i64>) -> AppResult<()> {
    let mut v = Validator::new();
    v.opt_text(code, "code", 50).opt_text(title, "title", 200);
    non_negative(&mut v, budget, "budget_fen");
    v.finish()
}

/// Creates a project (status proposed) in an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    input: NewProject,
) -> AppResult<ProjectView> {
    validate(Some(&input.code), Some(&input.title), Some(input.budget_fen))?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::InnovationManage).await?;
    if let Some(g) = input.party_group_id {
        check_party_group(&tx, actor, *g).await?;
    }
    if let Some(l) = input.leader_id {
        ensure_persons(&tx, actor, vec![*l], "leader_id").await?;
    }
    let members = check_people(&tx, actor, &input.members, "members").await?;
    let now = crate::services::now();
    let row = research_project::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        party_group_id: Set(input.party_group_id.map(Uuid::from)),
        code: Set(input.code.trim().to_owned()),
        title: Set(input.title.trim().to_owned()),
        level: Set(input.level.as_str().to_owned()),
        leader_person_id: Set(input.leader_id.map(Uuid::from)),
        budget_fen: Set(input.budget_fen),
        status: Set(ProjectStatus::Proposed.as_str().to_owned()),
        proposed_on: Set(input.proposed_on),
        started_on: Set(None),
        completed_on: Set(None),
        accepted_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    set_links(&tx, &PROJECT_TEAM, row.id, &members).await?;
    let after = view(&tx, today, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::research_project::Entity),
            *after.id,
            Some(org.id),
            None,
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a project; a status change moves one step and records its day.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    patch: ProjectPatch,
) -> AppResult<ProjectView> {
    validate(None, patch.title.as_deref(), patch.budget_fen)?;
    let tx = write_tx(db).await?;
    let row = find_managed(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    let before = view(&tx, today, row.clone()).await?;
    if let Some(g) = patch.party_group_id {
        check_party_group(&tx, actor, *g).await?;
    }
    if let Some(l) = patch.leader_id {
        ensure_persons(&tx, actor, vec![*l], "leader_id").await?;
    }
    let members = match &patch.members {
        Some(m) => Some(check_people(&tx, actor, m, "members").await?),
        None => None,
    };
    let original = row.clone();
    let mut am: research_project::ActiveModel = row.into();
    if let Some(next) = patch.status {
        if !before.status.may_become(next) {
            return Err(AppError::Conflict(format!(
                "a {} project cannot become {}",
                before.status.as_str(),
                next.as_str()
            )));
        }
        let on = patch.status_on.unwrap_or(today);
        let previous = [Some(before.proposed_on), before.started_on, before.completed_on].into_iter().flatten().max();
        if previous.is_some_and(|p| on < p) {
            return Err(AppError::invalid("status_on", "must not be before the previous step"));
        }
        am.status = Set(next.as_str().to_owned());
        match next {
            ProjectStatus::Active => am.started_on = Set(Some(on)),
            ProjectStatus::Completed => am.completed_on = Set(Some(on)),
            ProjectStatus::Accepted => am.accepted_on = Set(Some(on)),
            ProjectStatus::Proposed => {}
        }
    } else if patch.status_on.is_some() {
        return Err(AppError::invalid("status_on", "given only with a status change"));
    }
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.level {
        am.level = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.leader_id {
        am.leader_person_id = Set(Some(*v));
    }
    if let Some(v) = patch.budget_fen {
        am.budget_fen = Set(v);
    }
    if let Some(v) = patch.party_group_id {
        am.party_group_id = Set(Some(*v));
    }
    let stored: Vec<(Uuid, Option<String>)> = before.members.iter().map(|m| (m.person_id.0, m.role.clone())).collect();
    if members.as_ref().is_none_or(|m| super::same_links(&stored, m)) && crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let row = am.update(&tx).await?;
    if let Some(m) = members {
        set_links(&tx, &PROJECT_TEAM, id, &m).await?;
    }
    let after = view(&tx, today, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::research_project::Entity),
            id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Adds a milestone to a project the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_milestone(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    project_id: Uuid,
    input: NewMilestone,
) -> AppResult<MilestoneView> {
    Validator::new().text(&input.title, "title", 200).finish()?;
    let tx = write_tx(db).await?;
    let project = find_managed(&tx, actor, project_id).await?;
    let now = crate::services::now();
    let row = project_milestone::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        title: Set(input.title.trim().to_owned()),
        planned_on: Set(input.planned_on),
        actual_on: Set(input.actual_on),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let after = MilestoneView::from_model(row, today);
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::project_milestone::Entity),
            *after.id,
            Some(project.organization_id),
            None,
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn find_milestone<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(project_milestone::Model, research_project::Model)> {
    let m = project_milestone::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let project = find_managed(db, actor, m.project_id).await?;
    let m = project_milestone::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    Ok((m, project))
}

/// Changes a milestone (e.g. records the day it was reached).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_milestone(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    patch: MilestonePatch,
) -> AppResult<MilestoneView> {
    Validator::new().opt_text(patch.title.as_deref(), "title", 200).finish()?;
    let tx = write_tx(db).await?;
    let (row, project) = find_milestone(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    let before = MilestoneView::from_model(row.clone(), today);
    let original = row.clone();
    let mut am: project_milestone::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.planned_on {
        am.planned_on = Set(v);
    }
    if let Some(v) = patch.actual_on {
        am.actual_on = Set(Some(v));
    }
    if crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let after = MilestoneView::from_model(am.update(&tx).await?, today);
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::project_milestone::Entity),
            id,
            Some(project.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Books R&D expenditure for a month.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_expenditure(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewExpenditure,
) -> AppResult<ExpenditureView> {
    let mut v = Validator::new();
    non_negative(&mut v, Some(input.amount_fen), "amount_fen");
    v.check(input.period_start.day() == 1, "period_start", "must be the first day of a month")
        .opt_text(input.note.as_deref(), "note", 200)
        .check(
            input.organization_id.is_some() || input.project_id.is_some(),
            "organization_id",
            "required without a project",
        );
    v.finish()?;
    let tx = write_tx(db).await?;
    let org_id = match input.project_id {
        Some(p) => {
            let project = find_managed(&tx, actor, *p).await?;
            if input.organization_id.is_some_and(|o| o != project.organization_id) {
                return Err(AppError::invalid("organization_id", "must be the project's organisation"));
            }
            project.organization_id
        }
        None => *input.organization_id.ok_or_else(|| AppError::invalid("organization_id", "required"))?,
    };
    let org = org_for_write(&tx, actor, org_id, Permission::InnovationManage).await?;
    let now = crate::services::now();
    let row = rd_expenditure::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        project_id: Set(input.project_id.map(Uuid::from)),
        period_start: Set(input.period_start),
        amount_fen: Set(input.amount_fen),
        note: Set(clean(input.note)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let after = ExpenditureView::from(row);
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::rd_expenditure::Entity),
            *after.id,
            Some(org.id),
            None,
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A page of R&D expenditure entries in scope, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn expenditures<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &ExpenditureFilter,
    page: PageRequest,
) -> AppResult<Page<ExpenditureView>> {
    let scope = actor.require(Permission::InnovationRead)?;
    let mut cond = Condition::all().add(org_ref_in(rd_expenditure::Column::OrganizationId, &scope));
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, rd_expenditure::Column::OrganizationId, org).await?);
    }
    if let Some(p) = filter.project_id {
        cond = cond.add(rd_expenditure::Column::ProjectId.eq(p));
    }
    if let Some(y) = filter.year {
        let (from, to) = year_bounds(y)?;
        cond = cond.add(rd_expenditure::Column::PeriodStart.gte(from)).add(rd_expenditure::Column::PeriodStart.lt(to));
    }
    let (rows, total) =
        keyset::<_, rd_expenditure::Entity>(db, cond, rd_expenditure::Column::Id, page, KeyOrder::Oldest).await?;
    Ok(Page::from_rows(rows.into_iter().map(ExpenditureView::from).collect(), page, |e| *e.id, total))
}

/// Removes a wrongly booked expenditure entry (administrators in scope).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_expenditure(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
) -> AppResult<()> {
    let scope = actor.require(Permission::InnovationRead)?;
    let tx = write_tx(db).await?;
    let row = rd_expenditure::Entity::find_by_id(id)
        .filter(org_ref_in(rd_expenditure::Column::OrganizationId, &scope))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(AppError::NotFound)?;
    org_for_write(&tx, actor, row.organization_id, Permission::InnovationManage).await?;
    check_version(row.version, expected_version)?;
    let before = ExpenditureView::from(row);
    rd_expenditure::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "delete",
            crate::services::audit::entity_name(entity::rd_expenditure::Entity),
            id,
            Some(*before.organization_id),
            Some(&before),
            None,
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn milestone_status_at_boundaries() {
        let planned = d("2026-06-30");
        assert_eq!(milestone_status(planned, Some(d("2026-06-30")), d("2026-12-01")), MilestoneStatus::OnTrack);
        assert_eq!(milestone_status(planned, Some(d("2026-07-01")), d("2026-12-01")), MilestoneStatus::Late);
        assert_eq!(milestone_status(planned, None, d("2026-06-30")), MilestoneStatus::AtRisk);
        assert_eq!(milestone_status(planned, None, d("2026-07-01")), MilestoneStatus::Late);
        assert_eq!(milestone_status(planned, None, d("2026-06-16")), MilestoneStatus::AtRisk);
        assert_eq!(milestone_status(planned, None, d("2026-06-15")), MilestoneStatus::OnTrack);
    }

    #[test]
    fn project_steps_forward_only() {
        use ProjectStatus::*;
        for from in ProjectStatus::ALL {
            for to in ProjectStatus::ALL {
                let ok = matches!((from, to), (Proposed, Active) | (Active, Completed) | (Completed, Accepted));
                assert_eq!(from.may_become(*to), ok);
            }
        }
    }
}
