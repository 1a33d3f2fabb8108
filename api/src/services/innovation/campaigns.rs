//! Technology Innovation Year campaigns (科技创新年) with their indicators, and the
//! activities held (exchange meetings, lectures, trainings, promotion meetings, skills
//! competitions, model-worker selections) with participants and their results.
//!
//! An indicator either names a metric the system computes over the campaign's
//! organisation subtree and period (achievements recognised, their benefit, R&D
//! spending, activities held), or carries a typed actual. Campaigns are read with
//! `InnovationRead`; activities and participation with `HonourRead` (HR clients too);
//! both are changed with `InnovationManage`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::achievements::AchievementStatus;
use super::projects::sum_fen;
use super::{PARTICIPANTS, check_version, clean, in_subtree_of, links_of, owners_of_person, set_links, year_bounds};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::pagination::{KeyOrder, Page, PageRequest, keyset};
use crate::services::scope::org_for_write;
use crate::services::scope::{org_ids_query, org_ref_in, subtree};
use crate::services::types::{Id, text_enum};
use entity::{achievement, campaign_indicator, innovation_activity, innovation_campaign, organization, rd_expenditure};

text_enum! {
    /// Status of a campaign.
    CampaignStatus {
        /// Planned, not yet started.
        Planned => "planned",
        /// Running.
        Running => "running",
        /// Closed (final).
        Closed => "closed",
    }
}

text_enum! {
    /// A figure the system computes for an indicator, over the campaign's organisation
    /// subtree and its days `starts_on..=ends_on`.
    IndicatorMetric {
        /// "Five small" achievements recognised (accepted, awarded or promoted), by submission day.
        AchievementsRecognised => "achievements_recognised",
        /// Their economic benefit, in fen.
        AchievementBenefitFen => "achievement_benefit_fen",
        /// R&D expenditure, in fen, by month.
        RdSpendingFen => "rd_spending_fen",
        /// Activities held.
        ActivitiesHeld => "activities_held",
    }
}

text_enum! {
    /// Kind of a campaign activity.
    ActivityKind {
        /// 经验交流会: exchange meeting.
        ExchangeMeeting => "exchange_meeting",
        /// 专题讲座: lecture.
        Lecture => "lecture",
        /// 宣贯培训: training.
        Training => "training",
        /// 成果推广会: promotion meeting.
        PromotionMeeting => "promotion_meeting",
        /// 技能竞赛: skills competition.
        SkillsCompetition => "skills_competition",
        /// 劳模选树: model-worker selection.
        ModelWorkerSelection => "model_worker_selection",
    }
}

/// A campaign indicator with its actual; computed ones carry the figure the system holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Indicator")]
pub struct IndicatorView {
    /// Id.
    pub id: Id,
    /// Name, e.g. 研发经费投入强度.
    pub name: String,
    /// Unit, e.g. 项, 元, %.
    pub unit: String,
    /// Target (in the unit; money in fen).
    pub target: i64,
    /// The computed metric, if the system holds the data.
    pub metric: Option<IndicatorMetric>,
    /// The actual: computed when `metric` is set, else as typed (null when not yet typed).
    pub actual: Option<i64>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A Technology Innovation Year campaign (科技创新年).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Campaign", complex)]
pub struct CampaignView {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation running it.
    pub organization_id: Id,
    /// Year.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Theme.
    pub theme: Option<String>,
    /// Goals (Markdown).
    pub goals: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Status.
    pub status: CampaignStatus,
    /// Indicators with their actuals.
    pub indicators: Vec<IndicatorView>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// An indicator of a new campaign, or one added later.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "IndicatorInput")]
pub struct NewIndicator {
    /// Name (1–100 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 100)]
    pub name: String,
    /// Unit (1–20 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 20)]
    pub unit: String,
    /// Target (non-negative).
    #[schema(minimum = 0)]
    pub target: i64,
    /// A computed metric; without one, type the actual with `actual`.
    pub metric: Option<IndicatorMetric>,
    /// The typed actual (only without a metric: must be absent when `metric` is given).
    pub actual: Option<i64>,
}

/// A new campaign.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateCampaignInput")]
pub struct NewCampaign {
    /// The organisation (one you manage).
    pub organization_id: Id,
    /// Year (2000–2100).
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Theme (1–200 characters when given).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub theme: Option<String>,
    /// Goals (up to 5000 characters).
    #[schema(max_length = 5000)]
    pub goals: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (not before the first).
    pub ends_on: NaiveDate,
    /// Indicators.
    #[serde(default)]
    #[graphql(default)]
    pub indicators: Vec<NewIndicator>,
}

/// Changes to a campaign: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateCampaignInput")]
pub struct CampaignPatch {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Theme (up to 200 characters; empty clears it).
    #[schema(max_length = 200)]
    pub theme: Option<String>,
    /// Goals (up to 5000 characters; empty clears them).
    #[schema(max_length = 5000)]
    pub goals: Option<String>,
    /// Status: planned → running → closed.
    pub status: Option<CampaignStatus>,
}

/// Changes to an indicator: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateIndicatorInput")]
pub struct IndicatorPatch {
    /// Target (non-negative).
    #[schema(minimum = 0)]
    pub target: Option<i64>,
    /// The typed actual (only for indicators without a metric).
    pub actual: Option<i64>,
}

/// A participant of an activity with their result.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    async_graphql::SimpleObject,
    async_graphql::InputObject,
)]
#[graphql(name = "ActivityParticipant", input_name = "ParticipantInput", complex)]
pub struct Participant {
    /// The person's id.
    pub person_id: Id,
    /// Result, e.g. 一等奖, 第二名, 劳动模范 (up to 100 characters).
    #[schema(max_length = 100)]
    pub result: Option<String>,
}

/// A campaign activity with participants and results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Activity", complex)]
pub struct ActivityView {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation holding it.
    pub organization_id: Id,
    /// That organisation's name (REST reads and lists; GraphQL has `organization`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// The campaign, if any.
    pub campaign_id: Option<Id>,
    /// Kind.
    pub kind: ActivityKind,
    /// Title.
    pub title: String,
    /// Day held.
    pub held_on: NaiveDate,
    /// Place.
    pub place: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Participants with their results.
    pub participants: Vec<Participant>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A new activity.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateActivityInput")]
pub struct NewActivity {
    /// The organisation (one you manage).
    pub organization_id: Id,
    /// The campaign, if any (readable).
    pub campaign_id: Option<Id>,
    /// Kind.
    pub kind: ActivityKind,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Day held.
    pub held_on: NaiveDate,
    /// Place (1–200 characters when given).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub place: Option<String>,
    /// Summary (up to 5000 characters).
    #[schema(max_length = 5000)]
    pub summary: Option<String>,
    /// Participants with their results (each person at most once).
    #[serde(default)]
    #[graphql(default)]
    pub participants: Vec<Participant>,
}

/// Changes to an activity: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateActivityInput")]
pub struct ActivityPatch {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Day held.
    pub held_on: Option<NaiveDate>,
    /// Place (up to 200 characters; empty clears it).
    #[schema(max_length = 200)]
    pub place: Option<String>,
    /// Summary (up to 5000 characters; empty clears it).
    #[schema(max_length = 5000)]
    pub summary: Option<String>,
    /// Participants (replaces the list; each person at most once).
    pub participants: Option<Vec<Participant>>,
}

/// Filters of [`list`] and [`activities`].
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this year (campaign year; activity day).
    pub year: Option<i32>,
    /// Activities: only of this campaign.
    pub campaign_id: Option<Uuid>,
    /// Activities: only this kind.
    pub kind: Option<ActivityKind>,
    /// Activities: only with this participant.
    pub person_id: Option<Uuid>,
}

/// Computes a metric over the subtree of `org_path` on days `from..=to`: one statement.
async fn compute_metric<C: ConnectionTrait>(
    db: &C,
    metric: IndicatorMetric,
    org_path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<i64> {
    let orgs = org_ids_query(subtree(org_path));
    let value: Option<i64> = match metric {
        IndicatorMetric::AchievementsRecognised | IndicatorMetric::AchievementBenefitFen => {
            let q = achievement::Entity::find()
                .filter(achievement::Column::OrganizationId.in_subquery(orgs))
                .filter(achievement::Column::SubmittedOn.between(from, to))
                .filter(achievement::Column::Status.is_in(AchievementStatus::RECOGNISED.map(|s| s.as_str())));
            if metric == IndicatorMetric::AchievementsRecognised {
                Some(q.count(db).await? as i64)
            } else {
                q.select_only().column_as(sum_fen(achievement::Column::BenefitFen), "v").into_tuple().one(db).await?
            }
        }
        IndicatorMetric::RdSpendingFen => {
            rd_expenditure::Entity::find()
                .select_only()
                .column_as(sum_fen(rd_expenditure::Column::AmountFen), "v")
                .filter(rd_expenditure::Column::OrganizationId.in_subquery(orgs))
                // Spending is booked on a month's first day: the campaign's first month counts.
                .filter(rd_expenditure::Column::PeriodStart.between(from.with_day(1).unwrap_or(from), to))
                .into_tuple()
                .one(db)
                .await?
        }
        IndicatorMetric::ActivitiesHeld => Some(
            innovation_activity::Entity::find()
                .filter(innovation_activity::Column::OrganizationId.in_subquery(orgs))
                .filter(innovation_activity::Column::HeldOn.between(from, to))
                .count(db)
                .await? as i64,
        ),
    };
    Ok(value.unwrap_or(0))
}

async fn campaign_view<C: ConnectionTrait>(db: &C, m: innovation_campaign::Model) -> AppResult<CampaignView> {
    let org = organization::Entity::find_by_id(m.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    let mut indicators = Vec::new();
    for i in campaign_indicator::Entity::find()
        .filter(campaign_indicator::Column::CampaignId.eq(m.id))
        .order_by_asc(campaign_indicator::Column::Id)
        .all(db)
        .await?
    {
        let metric = i.metric.as_deref().map(IndicatorMetric::from_db).transpose()?;
        let actual = match metric {
            Some(metric) => Some(compute_metric(db, metric, &org.path, m.starts_on, m.ends_on).await?),
            None => i.manual_actual,
        };
        indicators.push(IndicatorView {
            id: i.id.into(),
            name: i.name,
            unit: i.unit,
            target: i.target,
            metric,
            actual,
            version: i.version,
        });
    }
    campaign_from_model(m, indicators)
}

fn campaign_from_model(m: innovation_campaign::Model, indicators: Vec<IndicatorView>) -> AppResult<CampaignView> {
    Ok(CampaignView {
        status: CampaignStatus::from_db(&m.status)?,
        indicators,
        id: m.id.into(),
        organization_id: m.organization_id.into(),
        year: m.year,
        title: m.title,
        theme: m.theme,
        goals: m.goals,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// One campaign with its indicators (computed actuals included).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<CampaignView> {
    let m = innovation_campaign::Entity::find_by_id(id)
        .filter(super::campaign_readable(actor)?)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    campaign_view(db, m).await
}

/// A page of campaigns (without indicators: read one campaign for those), in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &CampaignFilter,
    page: PageRequest,
) -> AppResult<Page<CampaignView>> {
    let mut cond = super::campaign_readable(actor)?;
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, innovation_campaign::Column::OrganizationId, org).await?);
    }
    if let Some(y) = filter.year {
        // The same years as everywhere (2000–2100), so the document's bounds hold here too.
        super::year_bounds(y)?;
        cond = cond.add(innovation_campaign::Column::Year.eq(y));
    }
    let (rows, total) =
        keyset::<_, innovation_campaign::Entity>(db, cond, innovation_campaign::Column::Id, page, KeyOrder::Oldest)
            .await?;
    let items = rows.into_iter().map(|m| campaign_from_model(m, Vec::new())).collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, |c| *c.id, total))
}

fn check_indicator(v: &mut Validator, i: &NewIndicator) {
    v.text(&i.name, "indicators.name", 100)
        .text(&i.unit, "indicators.unit", 20)
        .check(i.target >= 0, "indicators.target", "must not be negative")
        .check(
            i.metric.is_none() || i.actual.is_none(),
            "indicators.actual",
            "computed indicators take no typed actual",
        );
}

async fn insert_indicator<C: ConnectionTrait>(tx: &C, campaign_id: Uuid, i: NewIndicator) -> AppResult<()> {
    let now = crate::services::now();
    campaign_indicator::ActiveModel {
        id: Set(Uuid::now_v7()),
        campaign_id: Set(campaign_id),
        name: Set(i.name.trim().to_owned()),
        unit: Set(i.unit.trim().to_owned()),
        target: Set(i.target),
        metric: Set(i.metric.map(|m| m.as_str().to_owned())),
        manual_actual: Set(i.actual),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Creates a campaign (status planned) with its indicators.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewCampaign) -> AppResult<CampaignView> {
    let mut v = Validator::new();
    v.text(&input.title, "title", 200)
        .opt_text(input.theme.as_deref(), "theme", 200)
        .check(
            input.goals.as_ref().is_none_or(|g| g.chars().count() <= 5000),
            "goals",
            "must be at most 5000 characters",
        )
        .check(input.ends_on >= input.starts_on, "ends_on", "must not be before starts_on")
        .check(year_bounds(input.year).is_ok(), "year", "must be between 2000 and 2100");
    for i in &input.indicators {
        check_indicator(&mut v, i);
    }
    v.finish()?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::InnovationManage).await?;
    let now = crate::services::now();
    let row = innovation_campaign::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        year: Set(input.year),
        title: Set(input.title.trim().to_owned()),
        theme: Set(clean(input.theme)),
        goals: Set(clean(input.goals)),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        status: Set(CampaignStatus::Planned.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    for i in input.indicators {
        insert_indicator(&tx, row.id, i).await?;
    }
    let after = campaign_view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::innovation_campaign::Entity),
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

async fn find_managed<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<innovation_campaign::Model> {
    innovation_campaign::Entity::find_by_id(id)
        .filter(super::campaign_readable(actor)?)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = innovation_campaign::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    org_for_write(db, actor, row.organization_id, Permission::InnovationManage).await?;
    Ok(row)
}

/// Changes a campaign; status moves planned → running → closed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: CampaignPatch,
) -> AppResult<CampaignView> {
    Validator::new()
        .opt_text(patch.title.as_deref(), "title", 200)
        .check(patch.theme.as_ref().is_none_or(|t| t.chars().count() <= 200), "theme", "must be at most 200 characters")
        .check(
            patch.goals.as_ref().is_none_or(|g| g.chars().count() <= 5000),
            "goals",
            "must be at most 5000 characters",
        )
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_managed(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    let before = campaign_view(&tx, row.clone()).await?;
    if let Some(next) = patch.status {
        use CampaignStatus::*;
        if !matches!((before.status, next), (Planned, Running) | (Running, Closed)) {
            return Err(AppError::Conflict(format!(
                "a {} campaign cannot become {}",
                before.status.as_str(),
                next.as_str()
            )));
        }
    }
    let original = row.clone();
    let mut am: innovation_campaign::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.theme {
        am.theme = Set(clean(Some(v)));
    }
    if let Some(v) = patch.goals {
        am.goals = Set(clean(Some(v)));
    }
    if let Some(v) = patch.status {
        am.status = Set(v.as_str().to_owned());
    }
    if crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let after = campaign_view(&tx, am.update(&tx).await?).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::innovation_campaign::Entity),
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

/// Adds an indicator to a campaign.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_indicator(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: Uuid,
    input: NewIndicator,
) -> AppResult<CampaignView> {
    let mut v = Validator::new();
    check_indicator(&mut v, &input);
    v.finish()?;
    let tx = write_tx(db).await?;
    let row = find_managed(&tx, actor, campaign_id).await?;
    let before = campaign_view(&tx, row.clone()).await?;
    insert_indicator(&tx, campaign_id, input).await?;
    let after = campaign_view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::innovation_campaign::Entity),
            campaign_id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes an indicator's target or typed actual (a computed actual cannot be typed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_indicator(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: IndicatorPatch,
) -> AppResult<CampaignView> {
    let mut v = Validator::new();
    v.check(patch.target.is_none_or(|t| t >= 0), "target", "must not be negative");
    v.finish()?;
    let tx = write_tx(db).await?;
    let ind = campaign_indicator::Entity::find_by_id(id).one(&tx).await?.ok_or(AppError::NotFound)?;
    let campaign = find_managed(&tx, actor, ind.campaign_id).await?;
    let ind = campaign_indicator::Entity::find_by_id(id).lock_exclusive().one(&tx).await?.ok_or(AppError::NotFound)?;
    check_version(ind.version, expected_version)?;
    if patch.actual.is_some() && ind.metric.is_some() {
        return Err(AppError::invalid("actual", "this indicator is computed; its actual cannot be typed"));
    }
    let before = campaign_view(&tx, campaign.clone()).await?;
    let original = ind.clone();
    let mut am: campaign_indicator::ActiveModel = ind.into();
    if let Some(t) = patch.target {
        am.target = Set(t);
    }
    if let Some(a) = patch.actual {
        am.manual_actual = Set(Some(a));
    }
    if crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    am.update(&tx).await?;
    let after = campaign_view(&tx, campaign).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::innovation_campaign::Entity),
            *after.id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Activities the actor may read: those of their management scope, and (participation
/// scope) those held by their own organisation or an ancestor for its whole subtree.
fn activity_readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::HonourRead)?;
    let mut cond = Condition::any().add(org_ref_in(innovation_activity::Column::OrganizationId, &scope));
    if let Some(own) = crate::services::scope::addressed_to_caller(innovation_activity::Column::OrganizationId, actor) {
        cond = cond.add(own);
    }
    Ok(sea_orm::Condition::all().add(cond))
}

async fn activity_views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<innovation_activity::Model>,
) -> AppResult<Vec<ActivityView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut people: HashMap<Uuid, Vec<(Uuid, Option<String>)>> = links_of(db, &PARTICIPANTS, &ids).await?;
    rows.into_iter()
        .map(|m| {
            Ok(ActivityView {
                kind: ActivityKind::from_db(&m.kind)?,
                participants: people
                    .remove(&m.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(person_id, result)| Participant { person_id: Id(person_id), result })
                    .collect(),
                id: m.id.into(),
                organization_id: m.organization_id.into(),
                organization_name: None,
                campaign_id: m.campaign_id.map(Id),
                title: m.title,
                held_on: m.held_on,
                place: m.place,
                summary: m.summary,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

async fn activity_view<C: ConnectionTrait>(db: &C, m: innovation_activity::Model) -> AppResult<ActivityView> {
    activity_views(db, vec![m]).await?.pop().ok_or(AppError::NotFound)
}

/// Several activities with their participants by id, skipping those the actor may not
/// read (the changes feed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn activities_by_ids<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<ActivityView>> {
    let rows = innovation_activity::Entity::find()
        .filter(innovation_activity::Column::Id.is_in(crate::services::bucketed(ids.iter().copied())))
        .filter(activity_readable(actor)?)
        .all(db)
        .await?;
    let mut items = activity_views(db, rows).await?;
    with_org_names(db, &mut items).await?;
    Ok(items)
}

/// One activity with its participants.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_activity<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<ActivityView> {
    let m = innovation_activity::Entity::find_by_id(id)
        .filter(activity_readable(actor)?)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut one = activity_view(db, m).await?;
    with_org_names(db, std::slice::from_mut(&mut one)).await?;
    Ok(one)
}

/// A page of activities in scope, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn activities<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &CampaignFilter,
    page: PageRequest,
) -> AppResult<Page<ActivityView>> {
    let mut cond = activity_readable(actor)?;
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, innovation_activity::Column::OrganizationId, org).await?);
    }
    if let Some(y) = filter.year {
        let (from, to) = year_bounds(y)?;
        cond = cond.add(innovation_activity::Column::HeldOn.gte(from)).add(innovation_activity::Column::HeldOn.lt(to));
    }
    if let Some(c) = filter.campaign_id {
        cond = cond.add(innovation_activity::Column::CampaignId.eq(c));
    }
    if let Some(k) = filter.kind {
        cond = cond.add(innovation_activity::Column::Kind.eq(k.as_str()));
    }
    if let Some(p) = filter.person_id {
        cond = cond.add(innovation_activity::Column::Id.in_subquery(owners_of_person(&PARTICIPANTS, p)));
    }
    let (rows, total) =
        keyset::<_, innovation_activity::Entity>(db, cond, innovation_activity::Column::Id, page, KeyOrder::Oldest)
            .await?;
    let mut items = activity_views(db, rows).await?;
    with_org_names(db, &mut items).await?;
    Ok(Page::from_rows(items, page, |a| *a.id, total))
}

/// Fills in the names of the organisations holding `items`: one statement.
async fn with_org_names<C: ConnectionTrait>(db: &C, items: &mut [ActivityView]) -> AppResult<()> {
    let names = crate::services::names::organizations(db, items.iter().map(|a| *a.organization_id)).await?;
    for a in items {
        a.organization_name = names.get(&*a.organization_id).cloned();
    }
    Ok(())
}

async fn check_participants<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    list: &[Participant],
) -> AppResult<Vec<(Uuid, Option<String>)>> {
    let links: Vec<super::PersonLink> =
        list.iter().map(|p| super::PersonLink { person_id: p.person_id, role: p.result.clone() }).collect();
    super::check_people(db, actor, &links, "participants").await
}

/// Records an activity in an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_activity(db: &DatabaseConnection, actor: &Actor, input: NewActivity) -> AppResult<ActivityView> {
    Validator::new()
        .text(&input.title, "title", 200)
        .opt_text(input.place.as_deref(), "place", 200)
        .check(
            input.summary.as_ref().is_none_or(|s| s.chars().count() <= 5000),
            "summary",
            "must be at most 5000 characters",
        )
        .finish()?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::InnovationManage).await?;
    if let Some(c) = input.campaign_id {
        let found =
            innovation_campaign::Entity::find_by_id(*c).filter(super::campaign_readable(actor)?).count(&tx).await?;
        if found == 0 {
            return Err(AppError::invalid("campaign_id", "no such campaign"));
        }
    }
    let participants = check_participants(&tx, actor, &input.participants).await?;
    let now = crate::services::now();
    let row = innovation_activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        campaign_id: Set(input.campaign_id.map(Uuid::from)),
        kind: Set(input.kind.as_str().to_owned()),
        title: Set(input.title.trim().to_owned()),
        held_on: Set(input.held_on),
        place: Set(clean(input.place)),
        summary: Set(clean(input.summary)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    set_links(&tx, &PARTICIPANTS, row.id, &participants).await?;
    let after = activity_view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::innovation_activity::Entity),
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

/// Changes an activity (e.g. records the results of a competition).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_activity(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: ActivityPatch,
) -> AppResult<ActivityView> {
    Validator::new()
        .opt_text(patch.title.as_deref(), "title", 200)
        .check(patch.place.as_ref().is_none_or(|s| s.chars().count() <= 200), "place", "must be at most 200 characters")
        .check(
            patch.summary.as_ref().is_none_or(|s| s.chars().count() <= 5000),
            "summary",
            "must be at most 5000 characters",
        )
        .finish()?;
    let tx = write_tx(db).await?;
    innovation_activity::Entity::find_by_id(id)
        .filter(activity_readable(actor)?)
        .one(&tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = innovation_activity::Entity::find_by_id(id).lock_exclusive().one(&tx).await?.ok_or(AppError::NotFound)?;
    org_for_write(&tx, actor, row.organization_id, Permission::InnovationManage).await?;
    check_version(row.version, expected_version)?;
    let before = activity_view(&tx, row.clone()).await?;
    let participants = match &patch.participants {
        Some(p) => Some(check_participants(&tx, actor, p).await?),
        None => None,
    };
    let original = row.clone();
    let mut am: innovation_activity::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.held_on {
        am.held_on = Set(v);
    }
    if let Some(v) = patch.place {
        am.place = Set(clean(Some(v)));
    }
    if let Some(v) = patch.summary {
        am.summary = Set(clean(Some(v)));
    }
    let stored: Vec<(Uuid, Option<String>)> =
        before.participants.iter().map(|p| (p.person_id.0, p.result.clone())).collect();
    if participants.as_ref().is_none_or(|p| super::same_links(&stored, p)) && crate::services::unchanged(&am, &original)
    {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let row = am.update(&tx).await?;
    if let Some(p) = participants {
        set_links(&tx, &PARTICIPANTS, id, &p).await?;
    }
    let after = activity_view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::innovation_activity::Entity),
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
