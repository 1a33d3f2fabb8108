//! The figures a group reports for a year (科技创新年 statistics), for an organisation
//! subtree: "participated in N major group projects; won N technology awards, of which
//! N provincial and N industry; holds N intellectual-property rights, of which N
//! international patents and N invention patents; led or took part in N standards, of
//! which N national and N industry", plus "five small" achievements and their benefit,
//! R&D spending and its growth, projects by level and status, activities by kind and
//! the people who won awards.
//!
//! Every figure is counted in SQL with grouped statements (a fixed number, whatever the
//! size of the subtree). Definitions:
//! - achievements count by the day submitted; "recognised" = accepted, awarded or promoted;
//! - projects count when under way in the year: proposed before it ends and not accepted
//!   before it begins;
//! - awards and standards count by their day within the year;
//! - intellectual property held = granted patents and software copyrights dated on or
//!   before the year's last day;
//! - R&D spending counts months from January up to the year's end (for the current year:
//!   up to today's month) and is compared with the same months of the previous year;
//! - award winners = people credited on an award of the year, or with a result in an
//!   activity of the year.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, Query, UnionType},
};
use serde::Serialize;
use uuid::Uuid;

use super::achievements::{AchievementCategory, AchievementStatus};
use super::campaigns::ActivityKind;
use super::honours::{AwardLevel, HonourKind, PatentRegion, PatentStatus, PatentType, StandardLevel, StandardRole};
use super::projects::{ProjectLevel, ProjectStatus, sum_fen};
use super::year_bounds;
use crate::auth::{Actor, Permission};
use crate::error::AppResult;
use crate::services::scope::find_in_scope;
use crate::services::scope::{org_ids_query, org_ref_in, subtree};
use crate::services::types::Id;
use entity::{achievement, honour, innovation_activity, person, rd_expenditure, research_project};

/// A count under a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(concrete(name = "AchievementCategoryCount", params(AchievementCategory)))]
#[graphql(concrete(name = "AchievementStatusCount", params(AchievementStatus)))]
#[graphql(concrete(name = "ProjectLevelCount", params(ProjectLevel)))]
#[graphql(concrete(name = "ProjectStatusCount", params(ProjectStatus)))]
#[graphql(concrete(name = "AwardLevelCount", params(AwardLevel)))]
#[graphql(concrete(name = "StandardLevelCount", params(StandardLevel)))]
#[graphql(concrete(name = "ActivityKindCount", params(ActivityKind)))]
pub struct Count<K: async_graphql::OutputType> {
    /// The key.
    pub key: K,
    /// How many.
    pub count: i64,
}

/// "Five small" figures of the year (by submission day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct AchievementFigures {
    /// Submitted in the year (any status).
    pub submitted: i64,
    /// Recognised: accepted, awarded or promoted.
    pub recognised: i64,
    /// Rejected.
    pub rejected: i64,
    /// Economic benefit of the recognised ones, in fen.
    pub benefit_fen: i64,
    /// Rewards paid, in fen.
    pub reward_fen: i64,
    /// Recognised ones by category.
    pub by_category: Vec<Count<AchievementCategory>>,
    /// Submitted ones by status.
    pub by_status: Vec<Count<AchievementStatus>>,
}

/// Research-project figures of the year (projects under way in it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct ProjectFigures {
    /// Projects under way.
    pub total: i64,
    /// Major group projects (集团重大) under way: "participated in N major group projects".
    pub group_major: i64,
    /// By level.
    pub by_level: Vec<Count<ProjectLevel>>,
    /// By current status.
    pub by_status: Vec<Count<ProjectStatus>>,
}

/// Award figures of the year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct AwardFigures {
    /// Technology awards won.
    pub total: i64,
    /// Of which national.
    pub national: i64,
    /// Of which provincial or ministerial.
    pub provincial: i64,
    /// Of which industry.
    pub industry: i64,
    /// By level.
    pub by_level: Vec<Count<AwardLevel>>,
}

/// Intellectual property held at the year's end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct IpFigures {
    /// Intellectual-property rights held (granted patents + software copyrights).
    pub total: i64,
    /// Granted patents.
    pub patents: i64,
    /// Of which international.
    pub international_patents: i64,
    /// Of which invention patents.
    pub invention_patents: i64,
    /// Of which utility models.
    pub utility_models: i64,
    /// Of which designs.
    pub designs: i64,
    /// Software copyrights.
    pub software_copyrights: i64,
}

/// Standards of the year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct StandardFigures {
    /// Standards led or taken part in.
    pub total: i64,
    /// Of which led (hosted, 主持).
    pub hosted: i64,
    /// Of which national.
    pub national: i64,
    /// Of which industry.
    pub industry: i64,
    /// By level.
    pub by_level: Vec<Count<StandardLevel>>,
}

/// R&D expenditure and its growth.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct SpendingFigures {
    /// Months counted: January up to this day's month.
    pub through: NaiveDate,
    /// Spending in those months, in fen.
    pub amount_fen: i64,
    /// Spending in the same months of the previous year, in fen.
    pub previous_amount_fen: i64,
    /// Growth over the previous year in basis points (1/100 of a percent), rounded;
    /// null when the previous year spent nothing.
    pub growth_basis_points: Option<i64>,
}

/// Activity figures of the year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct ActivityFigures {
    /// Activities held.
    pub total: i64,
    /// By kind.
    pub by_kind: Vec<Count<ActivityKind>>,
}

/// Every figure of an organisation subtree's innovation year (see the REST
/// `/innovation-statistics` for the definitions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(complex)]
pub struct InnovationStatistics {
    /// The subtree's root.
    pub organization_id: Id,
    /// The year.
    pub year: i32,
    /// "Five small" achievements (by submission day).
    pub achievements: AchievementFigures,
    /// Research projects under way in the year.
    pub projects: ProjectFigures,
    /// Technology awards of the year.
    pub awards: AwardFigures,
    /// Intellectual property held at the year's end.
    pub intellectual_property: IpFigures,
    /// Standards of the year.
    pub standards: StandardFigures,
    /// R&D expenditure and growth over the same months of the previous year.
    pub rd_spending: SpendingFigures,
    /// Campaign activities.
    pub activities: ActivityFigures,
    /// How many people won awards (distinct).
    pub award_winner_count: i64,
    /// Who won awards: the ids of the people among them you may read.
    pub award_winner_ids: Vec<Id>,
}

fn counts<K: Ord + Copy + async_graphql::OutputType>(map: BTreeMap<K, i64>) -> Vec<Count<K>> {
    map.into_iter().map(|(key, count)| Count { key, count }).collect()
}

/// Growth in basis points, rounded half away from zero; None without a base.
pub fn growth_basis_points(current: i64, previous: i64) -> Option<i64> {
    if previous == 0 {
        return None;
    }
    let num = (i128::from(current) - i128::from(previous)) * 10_000;
    let den = i128::from(previous);
    let q = num / den;
    let r = num % den;
    let rounded = if (r.abs() * 2) >= den.abs() { q + num.signum() * den.signum() } else { q };
    i64::try_from(rounded).ok()
}

/// The subtree and year every part of the statistics counts over.
struct Period<'a> {
    /// Materialised path of the subtree's root.
    path: &'a str,
    /// The year.
    year: i32,
    /// First day of the year.
    start: NaiveDate,
    /// First day of the next year.
    end: NaiveDate,
}

impl Period<'_> {
    /// `SELECT id FROM organization` of the subtree (a subquery for `IN`).
    fn orgs(&self) -> sea_orm::sea_query::SelectStatement {
        org_ids_query(subtree(self.path))
    }
}

/// The innovation statistics of `organization_id`'s subtree for `year` (NOT_FOUND when
/// the organisation is outside the caller's `InnovationRead` scope). `today` bounds the
/// spending comparison of the current year. Ten statements, whatever the data.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn statistics<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Uuid,
    year: i32,
) -> AppResult<InnovationStatistics> {
    let scope = actor.require(Permission::InnovationRead)?;
    let (start, end) = year_bounds(year)?;
    let org = find_in_scope(db, &scope, organization_id).await?;
    let p = Period { path: &org.path, year, start, end };
    let (awards, standards) = award_and_standard_figures(db, &p).await?;
    let (award_winner_count, award_winner_ids) = award_winners(db, actor, &p).await?;
    Ok(InnovationStatistics {
        organization_id: org.id.into(),
        year,
        achievements: achievement_figures(db, &p).await?,
        projects: project_figures(db, &p).await?,
        awards,
        intellectual_property: ip_figures(db, &p).await?,
        standards,
        rd_spending: rd_spending(db, &p, today).await?,
        activities: activity_figures(db, &p).await?,
        award_winner_count,
        award_winner_ids: award_winner_ids.into_iter().map(Id).collect(),
    })
}

/// "Five small" achievements submitted in the year: by status, with benefit and reward
/// sums, and the recognised ones by category (two statements).
async fn achievement_figures<C: ConnectionTrait>(db: &C, p: &Period<'_>) -> AppResult<AchievementFigures> {
    let mut achievements = AchievementFigures::default();
    let rows: Vec<(String, i64, i64, i64)> = achievement::Entity::find()
        .select_only()
        .column(achievement::Column::Status)
        .column_as(Expr::col(achievement::Column::Id).count(), "n")
        .column_as(sum_fen(achievement::Column::BenefitFen), "benefit")
        .column_as(sum_fen(achievement::Column::RewardFen), "reward")
        .filter(achievement::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(achievement::Column::SubmittedOn.gte(p.start))
        .filter(achievement::Column::SubmittedOn.lt(p.end))
        .group_by(achievement::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_status = BTreeMap::new();
    for (status, n, benefit, reward) in rows {
        let status = AchievementStatus::from_db(&status)?;
        achievements.submitted += n;
        achievements.reward_fen += reward;
        if status.is_recognised() {
            achievements.recognised += n;
            achievements.benefit_fen += benefit;
        }
        if status == AchievementStatus::Rejected {
            achievements.rejected += n;
        }
        by_status.insert(status, n);
    }
    achievements.by_status = counts(by_status);
    let rows: Vec<(String, i64)> = achievement::Entity::find()
        .select_only()
        .column(achievement::Column::Category)
        .column_as(Expr::col(achievement::Column::Id).count(), "n")
        .filter(achievement::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(achievement::Column::SubmittedOn.gte(p.start))
        .filter(achievement::Column::SubmittedOn.lt(p.end))
        .filter(achievement::Column::Status.is_in(AchievementStatus::RECOGNISED.map(|s| s.as_str())))
        .group_by(achievement::Column::Category)
        .into_tuple()
        .all(db)
        .await?;
    achievements.by_category = counts(
        rows.into_iter()
            .map(|(c, n)| Ok((AchievementCategory::from_db(&c)?, n)))
            .collect::<AppResult<BTreeMap<_, _>>>()?,
    );
    Ok(achievements)
}

/// Projects under way in the year: by level and status (one statement).
async fn project_figures<C: ConnectionTrait>(db: &C, p: &Period<'_>) -> AppResult<ProjectFigures> {
    let mut projects = ProjectFigures::default();
    let rows: Vec<(String, String, i64)> = research_project::Entity::find()
        .select_only()
        .column(research_project::Column::Level)
        .column(research_project::Column::Status)
        .column_as(Expr::col(research_project::Column::Id).count(), "n")
        .filter(research_project::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(research_project::Column::ProposedOn.lt(p.end))
        .filter(
            Condition::any()
                .add(research_project::Column::AcceptedOn.is_null())
                .add(research_project::Column::AcceptedOn.gte(p.start)),
        )
        .group_by(research_project::Column::Level)
        .group_by(research_project::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let (mut by_level, mut by_status) = (BTreeMap::new(), BTreeMap::new());
    for (level, status, n) in rows {
        let level = ProjectLevel::from_db(&level)?;
        projects.total += n;
        if level == ProjectLevel::GroupMajor {
            projects.group_major += n;
        }
        *by_level.entry(level).or_insert(0) += n;
        *by_status.entry(ProjectStatus::from_db(&status)?).or_insert(0) += n;
    }
    projects.by_level = counts(by_level);
    projects.by_status = counts(by_status);
    Ok(projects)
}

/// Awards won and standards published in the year (one statement).
async fn award_and_standard_figures<C: ConnectionTrait>(
    db: &C,
    p: &Period<'_>,
) -> AppResult<(AwardFigures, StandardFigures)> {
    let mut awards = AwardFigures::default();
    let mut standards = StandardFigures::default();
    let rows: Vec<(String, Option<String>, Option<String>, i64)> = honour::Entity::find()
        .select_only()
        .column(honour::Column::Kind)
        .column(honour::Column::Level)
        .column(honour::Column::StandardRole)
        .column_as(Expr::col(honour::Column::Id).count(), "n")
        .filter(honour::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(honour::Column::Kind.is_in([HonourKind::Award.as_str(), HonourKind::Standard.as_str()]))
        .filter(honour::Column::DatedOn.gte(p.start))
        .filter(honour::Column::DatedOn.lt(p.end))
        .group_by(honour::Column::Kind)
        .group_by(honour::Column::Level)
        .group_by(honour::Column::StandardRole)
        .into_tuple()
        .all(db)
        .await?;
    let (mut award_levels, mut standard_levels) = (BTreeMap::new(), BTreeMap::new());
    for (kind, level, role, n) in rows {
        let level = level.unwrap_or_default();
        if HonourKind::from_db(&kind)? == HonourKind::Award {
            let level = AwardLevel::from_db(&level)?;
            awards.total += n;
            match level {
                AwardLevel::National => awards.national += n,
                AwardLevel::Provincial => awards.provincial += n,
                AwardLevel::Industry => awards.industry += n,
                AwardLevel::Group | AwardLevel::Company => {}
            }
            *award_levels.entry(level).or_insert(0) += n;
        } else {
            let level = StandardLevel::from_db(&level)?;
            standards.total += n;
            match level {
                StandardLevel::National => standards.national += n,
                StandardLevel::Industry => standards.industry += n,
                StandardLevel::Group | StandardLevel::Enterprise => {}
            }
            if role.as_deref().map(StandardRole::from_db).transpose()? == Some(StandardRole::Hosted) {
                standards.hosted += n;
            }
            *standard_levels.entry(level).or_insert(0) += n;
        }
    }
    awards.by_level = counts(award_levels);
    standards.by_level = counts(standard_levels);
    Ok((awards, standards))
}

/// Intellectual property held at the year's end: granted patents and software
/// copyrights (one statement).
async fn ip_figures<C: ConnectionTrait>(db: &C, p: &Period<'_>) -> AppResult<IpFigures> {
    let mut ip = IpFigures::default();
    let rows: Vec<(String, Option<String>, Option<String>, i64)> = honour::Entity::find()
        .select_only()
        .column(honour::Column::Kind)
        .column(honour::Column::PatentType)
        .column(honour::Column::Region)
        .column_as(Expr::col(honour::Column::Id).count(), "n")
        .filter(honour::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(honour::Column::DatedOn.lt(p.end))
        .filter(
            Condition::any().add(honour::Column::Kind.eq(HonourKind::SoftwareCopyright.as_str())).add(
                Condition::all()
                    .add(honour::Column::Kind.eq(HonourKind::Patent.as_str()))
                    .add(honour::Column::PatentStatus.eq(PatentStatus::Granted.as_str())),
            ),
        )
        .group_by(honour::Column::Kind)
        .group_by(honour::Column::PatentType)
        .group_by(honour::Column::Region)
        .into_tuple()
        .all(db)
        .await?;
    for (kind, patent_type, region, n) in rows {
        ip.total += n;
        if HonourKind::from_db(&kind)? == HonourKind::SoftwareCopyright {
            ip.software_copyrights += n;
            continue;
        }
        ip.patents += n;
        match patent_type.as_deref().map(PatentType::from_db).transpose()? {
            Some(PatentType::Invention) => ip.invention_patents += n,
            Some(PatentType::UtilityModel) => ip.utility_models += n,
            Some(PatentType::Design) => ip.designs += n,
            None => {}
        }
        if region.as_deref().map(PatentRegion::from_db).transpose()? == Some(PatentRegion::International) {
            ip.international_patents += n;
        }
    }
    Ok(ip)
}

/// R&D spending from January up to `through` (today in the current year), against the
/// same months a year before (two statements).
async fn rd_spending<C: ConnectionTrait>(db: &C, p: &Period<'_>, today: NaiveDate) -> AppResult<SpendingFigures> {
    let last_day = p.end.pred_opt().unwrap_or(p.end);
    let through = if today.year() == p.year { Ord::min(today, last_day) } else { last_day };
    let spent = |from: NaiveDate, to: NaiveDate| {
        rd_expenditure::Entity::find()
            .select_only()
            .column_as(sum_fen(rd_expenditure::Column::AmountFen), "v")
            .filter(rd_expenditure::Column::OrganizationId.in_subquery(p.orgs()))
            .filter(rd_expenditure::Column::PeriodStart.gte(from))
            .filter(rd_expenditure::Column::PeriodStart.lte(to))
            .into_tuple::<i64>()
    };
    let amount_fen = spent(p.start, through).one(db).await?.unwrap_or(0);
    let previous_start = year_bounds(p.year - 1).map(|(s, _)| s).unwrap_or(p.start);
    // Spending is booked per month (`period_start` is a month's first day): compare the
    // same months, whatever the day (29 February has no counterpart a year earlier).
    let previous_through = NaiveDate::from_ymd_opt(p.year - 1, through.month(), 1).unwrap_or(previous_start);
    let previous_amount_fen = spent(previous_start, previous_through).one(db).await?.unwrap_or(0);
    Ok(SpendingFigures {
        through,
        amount_fen,
        previous_amount_fen,
        growth_basis_points: growth_basis_points(amount_fen, previous_amount_fen),
    })
}

/// Activities held in the year, by kind (one statement).
async fn activity_figures<C: ConnectionTrait>(db: &C, p: &Period<'_>) -> AppResult<ActivityFigures> {
    let rows: Vec<(String, i64)> = innovation_activity::Entity::find()
        .select_only()
        .column(innovation_activity::Column::Kind)
        .column_as(Expr::col(innovation_activity::Column::Id).count(), "n")
        .filter(innovation_activity::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(innovation_activity::Column::HeldOn.gte(p.start))
        .filter(innovation_activity::Column::HeldOn.lt(p.end))
        .group_by(innovation_activity::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let by_kind =
        rows.into_iter().map(|(k, n)| Ok((ActivityKind::from_db(&k)?, n))).collect::<AppResult<BTreeMap<_, _>>>()?;
    Ok(ActivityFigures { total: by_kind.values().sum(), by_kind: counts(by_kind) })
}

/// Award winners: credited on an award of the year, or with a result in an activity of
/// the year (one UNION statement, distinct), counted all and named where the caller may
/// read them (one more statement).
async fn award_winners<C: ConnectionTrait>(db: &C, actor: &Actor, p: &Period<'_>) -> AppResult<(i64, Vec<Uuid>)> {
    let award_ids = honour::Entity::find()
        .select_only()
        .column(honour::Column::Id)
        .filter(honour::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(honour::Column::Kind.eq(HonourKind::Award.as_str()))
        .filter(honour::Column::DatedOn.gte(p.start))
        .filter(honour::Column::DatedOn.lt(p.end))
        .into_query();
    let activity_ids = innovation_activity::Entity::find()
        .select_only()
        .column(innovation_activity::Column::Id)
        .filter(innovation_activity::Column::OrganizationId.in_subquery(p.orgs()))
        .filter(innovation_activity::Column::HeldOn.gte(p.start))
        .filter(innovation_activity::Column::HeldOn.lt(p.end))
        .into_query();
    let mut winners = Query::select()
        .column(Alias::new("person_id"))
        .from(Alias::new("honour_person"))
        .and_where(Expr::col(Alias::new("honour_id")).in_subquery(award_ids))
        .to_owned();
    winners.union(
        UnionType::Distinct,
        Query::select()
            .column(Alias::new("person_id"))
            .from(Alias::new("activity_participant"))
            .and_where(Expr::col(Alias::new("activity_id")).in_subquery(activity_ids))
            .and_where(Expr::col(Alias::new("result")).is_not_null())
            .to_owned(),
    );
    let mut award_winner_ids = Vec::new();
    for row in db.query_all(&winners).await? {
        award_winner_ids.push(row.try_get::<Uuid>("", "person_id")?);
    }
    // Everyone counts; only the people the caller may read are named.
    let award_winner_count = award_winner_ids.len() as i64;
    let award_winner_ids: Vec<Uuid> = if award_winner_ids.is_empty() {
        award_winner_ids
    } else {
        person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::Id.is_in(award_winner_ids))
            .filter(org_ref_in(person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
            .order_by_asc(person::Column::Id)
            .into_tuple()
            .all(db)
            .await?
    };
    Ok((award_winner_count, award_winner_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_rounds_half_away_from_zero_and_needs_a_base() {
        assert_eq!(growth_basis_points(110, 100), Some(1000));
        assert_eq!(growth_basis_points(90, 100), Some(-1000));
        assert_eq!(growth_basis_points(1, 3), Some(-6667));
        assert_eq!(growth_basis_points(2, 3), Some(-3333));
        assert_eq!(growth_basis_points(5, 0), None);
        assert_eq!(growth_basis_points(i64::MAX, 1), None);
    }
}
