//! The innovation area of the GraphQL schema (科技创新年): "five small" achievements
//! and their review, research projects with milestones and R&D spending, honours,
//! campaigns with indicators, activities, vanguard units and the yearly statistics.
//! Thin wrappers over `services::innovation`; people and organisations resolve through
//! the request's DataLoaders, nested lists come with each page (constant statements).

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::documents::Attachment;
use super::loaders::Loaders;
use super::types::{Conn, Organization, Person, connection, gid, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::innovation::{PersonLink, achievements, campaigns, honours, projects, statistics, vanguard};

fn opt_id(id: Option<ID>) -> Result<Option<Uuid>> {
    id.as_ref().map(parse_id).transpose()
}

async fn load_people(ctx: &Context<'_>, ids: impl Iterator<Item = Uuid>) -> Result<Vec<Person>> {
    let ids: Vec<Uuid> = ids.collect();
    let found = ctx.data::<Loaders>()?.people.load_many(ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).map(Person).collect())
}

pub use crate::services::innovation::achievements::AchievementCategory;

pub use crate::services::innovation::achievements::AchievementStatus;

pub use crate::services::innovation::projects::ProjectLevel;

pub use crate::services::innovation::projects::ProjectStatus;

pub use crate::services::innovation::projects::MilestoneStatus;

pub use crate::services::innovation::honours::HonourKind;

pub use crate::services::innovation::honours::PatentType;

pub use crate::services::innovation::honours::PatentRegion;

pub use crate::services::innovation::honours::PatentStatus;

pub use crate::services::innovation::honours::AwardLevel;

pub use crate::services::innovation::honours::StandardLevel;

pub use crate::services::innovation::honours::StandardRole;

pub use crate::services::innovation::campaigns::CampaignStatus;

pub use crate::services::innovation::campaigns::IndicatorMetric;

pub use crate::services::innovation::campaigns::ActivityKind;

pub use crate::services::innovation::vanguard::VanguardKind;

/// A person linked to an object (team member, inventor, winner, unit member).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PersonRole {
    /// The person's id.
    pub person_id: ID,
    /// Role, e.g. 第一发明人, 队长.
    pub role: Option<String>,
}

#[ComplexObject]
impl PersonRole {
    /// The person (null when outside your scope).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(parse_id(&self.person_id)?)).await
    }
}

impl From<PersonLink> for PersonRole {
    fn from(l: PersonLink) -> Self {
        PersonRole { person_id: gid(l.person_id), role: l.role }
    }
}

/// A person linked to an object, as input.
#[derive(InputObject)]
pub struct PersonRoleInput {
    /// The person's id.
    pub person_id: ID,
    /// Role (up to 100 characters).
    pub role: Option<String>,
}

fn links(input: Vec<PersonRoleInput>) -> Result<Vec<PersonLink>> {
    input.into_iter().map(|l| Ok(PersonLink { person_id: parse_id(&l.person_id)?, role: l.role })).collect()
}

fn opt_links(input: Option<Vec<PersonRoleInput>>) -> Result<Option<Vec<PersonLink>>> {
    input.map(links).transpose()
}

/// A participant of an activity with their result.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ActivityParticipant {
    /// The person's id.
    pub person_id: ID,
    /// Result, e.g. 一等奖, 劳动模范.
    pub result: Option<String>,
}

#[ComplexObject]
impl ActivityParticipant {
    /// The person (null when outside your scope).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(parse_id(&self.person_id)?)).await
    }
}

/// A participant, as input.
#[derive(InputObject)]
pub struct ParticipantInput {
    /// The person's id.
    pub person_id: ID,
    /// Result (up to 100 characters).
    pub result: Option<String>,
}

fn participants(input: Vec<ParticipantInput>) -> Result<Vec<campaigns::Participant>> {
    input
        .into_iter()
        .map(|p| Ok(campaigns::Participant { person_id: parse_id(&p.person_id)?, result: p.result }))
        .collect()
}

/// A "five small" innovation achievement (五小创新创效). Money in fen.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Achievement {
    /// Id (UUID v7).
    pub id: ID,
    /// The organisation it belongs to.
    pub organization_id: ID,
    /// The campaign it was submitted to, if any.
    pub campaign_id: Option<ID>,
    /// Category.
    pub category: AchievementCategory,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Team lead (person id).
    pub lead_id: ID,
    /// Team members besides the lead.
    pub members: Vec<PersonRole>,
    /// Who submitted it (person id), if a person.
    pub submitted_by_id: Option<ID>,
    /// Day of submission (configured time zone); the year it counts in.
    pub submitted_on: NaiveDate,
    /// Economic benefit in fen (元 × 100).
    pub benefit_fen: i64,
    /// Reward in fen, once awarded.
    pub reward_fen: Option<i64>,
    /// Review status.
    pub status: AchievementStatus,
    /// The reviewer (person id) of the last review step.
    pub reviewer_id: Option<ID>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Day it was accepted or rejected.
    pub decided_on: Option<NaiveDate>,
    /// Day it was awarded.
    pub awarded_on: Option<NaiveDate>,
    /// Day it was promoted.
    pub promoted_on: Option<NaiveDate>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<achievements::AchievementView> for Achievement {
    fn from(v: achievements::AchievementView) -> Self {
        Achievement {
            id: gid(v.id),
            organization_id: gid(v.organization_id),
            campaign_id: v.campaign_id.map(gid),
            category: v.category,
            title: v.title,
            description: v.description,
            lead_id: gid(v.lead_id),
            members: v.members.into_iter().map(PersonRole::from).collect(),
            submitted_by_id: v.submitted_by_id.map(gid),
            submitted_on: v.submitted_on,
            benefit_fen: v.benefit_fen,
            reward_fen: v.reward_fen,
            status: v.status,
            reviewer_id: v.reviewer_id.map(gid),
            rejection_reason: v.rejection_reason,
            decided_on: v.decided_on,
            awarded_on: v.awarded_on,
            promoted_on: v.promoted_on,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

#[ComplexObject]
impl Achievement {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, parse_id(&self.organization_id)?).await
    }
    /// The team lead.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(parse_id(&self.lead_id)?)).await
    }
    /// Attachments (drawings, benefit calculations), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        let id = parse_id(&self.id)?;
        let rows = ctx.data::<Loaders>()?.achievement_attachments.load_one(id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Attachment).collect())
    }
}

/// A milestone of a research project.
#[derive(SimpleObject)]
pub struct Milestone {
    /// Id.
    pub id: ID,
    /// The project.
    pub project_id: ID,
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

impl From<projects::MilestoneView> for Milestone {
    fn from(v: projects::MilestoneView) -> Self {
        Milestone {
            id: gid(v.id),
            project_id: gid(v.project_id),
            title: v.title,
            planned_on: v.planned_on,
            actual_on: v.actual_on,
            status: v.status,
            version: v.version,
        }
    }
}

/// A research project (科研项目) with its team, party group, milestones and spending.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ResearchProject {
    /// Id (UUID v7).
    pub id: ID,
    /// The organisation running it.
    pub organization_id: ID,
    /// The party group built on the project (an organisation of kind group).
    pub party_group_id: Option<ID>,
    /// Project code (unique).
    pub code: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: ProjectLevel,
    /// Leader (person id).
    pub leader_id: Option<ID>,
    /// Team members besides the leader.
    pub members: Vec<PersonRole>,
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
    pub milestones: Vec<Milestone>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<projects::ProjectView> for ResearchProject {
    fn from(v: projects::ProjectView) -> Self {
        ResearchProject {
            id: gid(v.id),
            organization_id: gid(v.organization_id),
            party_group_id: v.party_group_id.map(gid),
            code: v.code,
            title: v.title,
            level: v.level,
            leader_id: v.leader_id.map(gid),
            members: v.members.into_iter().map(PersonRole::from).collect(),
            budget_fen: v.budget_fen,
            spent_fen: v.spent_fen,
            status: v.status,
            proposed_on: v.proposed_on,
            started_on: v.started_on,
            completed_on: v.completed_on,
            accepted_on: v.accepted_on,
            milestones: v.milestones.into_iter().map(Milestone::from).collect(),
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

#[ComplexObject]
impl ResearchProject {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, parse_id(&self.organization_id)?).await
    }
    /// The party group built on the project.
    async fn party_group(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(g) = opt_id(self.party_group_id.clone())? else { return Ok(None) };
        load_org(ctx, g).await
    }
    /// The leader.
    async fn leader(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, opt_id(self.leader_id.clone())?).await
    }
}

/// One month's R&D expenditure (研发经费), in fen.
#[derive(SimpleObject)]
pub struct RdExpenditure {
    /// Id.
    pub id: ID,
    /// The organisation that spent it.
    pub organization_id: ID,
    /// The project, if booked on one.
    pub project_id: Option<ID>,
    /// First day of the month.
    pub period_start: NaiveDate,
    /// Amount in fen.
    pub amount_fen: i64,
    /// Note.
    pub note: Option<String>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version (removing the entry needs it).
    pub version: i32,
}

impl From<projects::ExpenditureView> for RdExpenditure {
    fn from(v: projects::ExpenditureView) -> Self {
        RdExpenditure {
            id: gid(v.id),
            organization_id: gid(v.organization_id),
            project_id: v.project_id.map(gid),
            period_start: v.period_start,
            amount_fen: v.amount_fen,
            note: v.note,
            created_at: v.created_at,
            version: v.version,
        }
    }
}

/// A patent, software copyright, award or standard.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Honour {
    /// Id (UUID v7).
    pub id: ID,
    /// Kind.
    pub kind: HonourKind,
    /// The organisation holding it.
    pub organization_id: ID,
    /// The project it came from, if any.
    pub project_id: Option<ID>,
    /// Title (patent title, software name, award name, standard name).
    pub title: String,
    /// Number (patent number, registration number, certificate or standard number).
    pub number: Option<String>,
    /// Grant, registration, award or publication day.
    pub dated_on: NaiveDate,
    /// Patents: type.
    pub patent_type: Option<PatentType>,
    /// Patents: domestic or international.
    pub region: Option<PatentRegion>,
    /// Patents: legal status.
    pub patent_status: Option<PatentStatus>,
    /// Awards: level.
    pub award_level: Option<AwardLevel>,
    /// Awards: rank, e.g. 一等奖.
    pub award_rank: Option<String>,
    /// Standards: level.
    pub standard_level: Option<StandardLevel>,
    /// Standards: hosted or took part.
    pub standard_role: Option<StandardRole>,
    /// People credited (inventors, winners, drafters).
    pub people: Vec<PersonRole>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<honours::HonourView> for Honour {
    fn from(v: honours::HonourView) -> Self {
        Honour {
            id: gid(v.id),
            kind: v.kind,
            organization_id: gid(v.organization_id),
            project_id: v.project_id.map(gid),
            title: v.title,
            number: v.number,
            dated_on: v.dated_on,
            patent_type: v.patent_type,
            region: v.region,
            patent_status: v.patent_status,
            award_level: v.award_level,
            award_rank: v.award_rank,
            standard_level: v.standard_level,
            standard_role: v.standard_role,
            people: v.people.into_iter().map(PersonRole::from).collect(),
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

#[ComplexObject]
impl Honour {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, parse_id(&self.organization_id)?).await
    }
}

/// A campaign indicator; computed ones carry the figure the system holds.
#[derive(SimpleObject)]
pub struct Indicator {
    /// Id.
    pub id: ID,
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

impl From<campaigns::IndicatorView> for Indicator {
    fn from(v: campaigns::IndicatorView) -> Self {
        Indicator {
            id: gid(v.id),
            name: v.name,
            unit: v.unit,
            target: v.target,
            metric: v.metric,
            actual: v.actual,
            version: v.version,
        }
    }
}

/// A Technology Innovation Year campaign (科技创新年).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Campaign {
    /// Id (UUID v7).
    pub id: ID,
    /// The organisation running it.
    pub organization_id: ID,
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
    pub indicators: Vec<Indicator>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<campaigns::CampaignView> for Campaign {
    fn from(v: campaigns::CampaignView) -> Self {
        Campaign {
            id: gid(v.id),
            organization_id: gid(v.organization_id),
            year: v.year,
            title: v.title,
            theme: v.theme,
            goals: v.goals,
            starts_on: v.starts_on,
            ends_on: v.ends_on,
            status: v.status,
            indicators: v.indicators.into_iter().map(Indicator::from).collect(),
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

#[ComplexObject]
impl Campaign {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, parse_id(&self.organization_id)?).await
    }
}

/// A campaign activity with participants and results.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Activity {
    /// Id (UUID v7).
    pub id: ID,
    /// The organisation holding it.
    pub organization_id: ID,
    /// The campaign, if any.
    pub campaign_id: Option<ID>,
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
    pub participants: Vec<ActivityParticipant>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<campaigns::ActivityView> for Activity {
    fn from(v: campaigns::ActivityView) -> Self {
        Activity {
            id: gid(v.id),
            organization_id: gid(v.organization_id),
            campaign_id: v.campaign_id.map(gid),
            kind: v.kind,
            title: v.title,
            held_on: v.held_on,
            place: v.place,
            summary: v.summary,
            participants: v
                .participants
                .into_iter()
                .map(|p| ActivityParticipant { person_id: gid(p.person_id), result: p.result })
                .collect(),
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

#[ComplexObject]
impl Activity {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, parse_id(&self.organization_id)?).await
    }
}

/// A commando team (党员突击队) or demonstration post (党员示范岗).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct VanguardUnit {
    /// Id (UUID v7).
    pub id: ID,
    /// Kind.
    pub kind: VanguardKind,
    /// The organisation.
    pub organization_id: ID,
    /// The project it serves, if any.
    pub project_id: Option<ID>,
    /// Name.
    pub name: String,
    /// Day established.
    pub established_on: NaiveDate,
    /// Day it ends (or ended), if set.
    pub ends_on: Option<NaiveDate>,
    /// Members with their roles (e.g. 队长).
    pub members: Vec<PersonRole>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<vanguard::VanguardUnitView> for VanguardUnit {
    fn from(v: vanguard::VanguardUnitView) -> Self {
        VanguardUnit {
            id: gid(v.id),
            kind: v.kind,
            organization_id: gid(v.organization_id),
            project_id: v.project_id.map(gid),
            name: v.name,
            established_on: v.established_on,
            ends_on: v.ends_on,
            members: v.members.into_iter().map(PersonRole::from).collect(),
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

#[ComplexObject]
impl VanguardUnit {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, parse_id(&self.organization_id)?).await
    }
}

/// A new "five small" achievement.
#[derive(InputObject)]
pub struct SubmitAchievementInput {
    /// The organisation (one you may submit or manage in).
    pub organization_id: ID,
    /// The campaign, if any (must be readable).
    pub campaign_id: Option<ID>,
    /// Category.
    pub category: AchievementCategory,
    /// Title (1–200 characters).
    pub title: String,
    /// Description (up to 5000 characters).
    pub description: Option<String>,
    /// Team lead (person id); defaults to you. Members must be the lead or on the team.
    pub lead_id: Option<ID>,
    /// Team members besides the lead.
    #[graphql(default)]
    pub members: Vec<PersonRoleInput>,
    /// Economic benefit in fen (non-negative).
    #[graphql(default)]
    pub benefit_fen: i64,
}

impl SubmitAchievementInput {
    fn into_service(self) -> Result<achievements::NewAchievement> {
        Ok(achievements::NewAchievement {
            organization_id: parse_id(&self.organization_id)?,
            campaign_id: opt_id(self.campaign_id)?,
            category: self.category,
            title: self.title,
            description: self.description,
            lead_id: opt_id(self.lead_id)?,
            members: links(self.members)?,
            benefit_fen: self.benefit_fen,
        })
    }
}

/// Changes to a submitted achievement (only the fields given change).
#[derive(InputObject)]
pub struct UpdateAchievementInput {
    /// Category.
    pub category: Option<AchievementCategory>,
    /// Title.
    pub title: Option<String>,
    /// Description (empty clears it).
    pub description: Option<String>,
    /// Team members besides the lead (replaces the list).
    pub members: Option<Vec<PersonRoleInput>>,
    /// Economic benefit in fen.
    pub benefit_fen: Option<i64>,
}

impl UpdateAchievementInput {
    fn into_service(self) -> Result<achievements::AchievementPatch> {
        Ok(achievements::AchievementPatch {
            category: self.category,
            title: self.title,
            description: self.description,
            members: opt_links(self.members)?,
            benefit_fen: self.benefit_fen,
        })
    }
}

/// One workflow step.
#[derive(InputObject)]
pub struct ReviewAchievementInput {
    /// The new status (an allowed transition; others are CONFLICT).
    pub status: AchievementStatus,
    /// Reason, required when rejecting (1–1000 characters).
    pub reason: Option<String>,
    /// Reward in fen, when awarding (non-negative).
    pub reward_fen: Option<i64>,
}

impl ReviewAchievementInput {
    fn into_service(self) -> Result<achievements::AchievementReview> {
        Ok(achievements::AchievementReview { status: self.status, reason: self.reason, reward_fen: self.reward_fen })
    }
}

/// A new research project.
#[derive(InputObject)]
pub struct CreateResearchProjectInput {
    /// The organisation running it (one you manage).
    pub organization_id: ID,
    /// The party group built on it: an organisation of kind group you manage.
    pub party_group_id: Option<ID>,
    /// Code (1–50 characters, unique).
    pub code: String,
    /// Title (1–200 characters).
    pub title: String,
    /// Level.
    pub level: ProjectLevel,
    /// Leader (person id).
    pub leader_id: Option<ID>,
    /// Team members besides the leader.
    #[graphql(default)]
    pub members: Vec<PersonRoleInput>,
    /// Budget in fen (non-negative).
    #[graphql(default)]
    pub budget_fen: i64,
    /// Day proposed.
    pub proposed_on: NaiveDate,
}

impl CreateResearchProjectInput {
    fn into_service(self) -> Result<projects::NewProject> {
        Ok(projects::NewProject {
            organization_id: parse_id(&self.organization_id)?,
            party_group_id: opt_id(self.party_group_id)?,
            code: self.code,
            title: self.title,
            level: self.level,
            leader_id: opt_id(self.leader_id)?,
            members: links(self.members)?,
            budget_fen: self.budget_fen,
            proposed_on: self.proposed_on,
        })
    }
}

/// Changes to a research project (only the fields given change).
#[derive(InputObject)]
pub struct UpdateResearchProjectInput {
    /// Title.
    pub title: Option<String>,
    /// Level.
    pub level: Option<ProjectLevel>,
    /// Leader.
    pub leader_id: Option<ID>,
    /// Team (replaces the list).
    pub members: Option<Vec<PersonRoleInput>>,
    /// Budget in fen.
    pub budget_fen: Option<i64>,
    /// Party group (an organisation of kind group).
    pub party_group_id: Option<ID>,
    /// Next status (one step: proposed → active → completed → accepted).
    pub status: Option<ProjectStatus>,
    /// Day of the status change (default today).
    pub status_on: Option<NaiveDate>,
}

impl UpdateResearchProjectInput {
    fn into_service(self) -> Result<projects::ProjectPatch> {
        Ok(projects::ProjectPatch {
            title: self.title,
            level: self.level,
            leader_id: opt_id(self.leader_id)?,
            members: opt_links(self.members)?,
            budget_fen: self.budget_fen,
            party_group_id: opt_id(self.party_group_id)?,
            status: self.status,
            status_on: self.status_on,
        })
    }
}

/// A new milestone.
#[derive(InputObject)]
pub struct MilestoneInput {
    /// Title (1–200 characters).
    pub title: String,
    /// Planned day.
    pub planned_on: NaiveDate,
    /// Day reached, if already.
    pub actual_on: Option<NaiveDate>,
}

impl MilestoneInput {
    fn into_service(self) -> projects::NewMilestone {
        projects::NewMilestone { title: self.title, planned_on: self.planned_on, actual_on: self.actual_on }
    }
}

/// Changes to a milestone.
#[derive(InputObject)]
pub struct UpdateMilestoneInput {
    /// Title.
    pub title: Option<String>,
    /// Planned day.
    pub planned_on: Option<NaiveDate>,
    /// Day reached.
    pub actual_on: Option<NaiveDate>,
}

impl UpdateMilestoneInput {
    fn into_service(self) -> projects::MilestonePatch {
        projects::MilestonePatch { title: self.title, planned_on: self.planned_on, actual_on: self.actual_on }
    }
}

/// A month's R&D expenditure.
#[derive(InputObject)]
pub struct RdExpenditureInput {
    /// The organisation (one you manage); for a project entry, the project's organisation by default.
    pub organization_id: Option<ID>,
    /// The project, if any.
    pub project_id: Option<ID>,
    /// First day of the month.
    pub period_start: NaiveDate,
    /// Amount in fen (non-negative).
    pub amount_fen: i64,
    /// Note (up to 200 characters).
    pub note: Option<String>,
}

impl RdExpenditureInput {
    fn into_service(self) -> Result<projects::NewExpenditure> {
        Ok(projects::NewExpenditure {
            organization_id: opt_id(self.organization_id)?,
            project_id: opt_id(self.project_id)?,
            period_start: self.period_start,
            amount_fen: self.amount_fen,
            note: self.note,
        })
    }
}

/// A new patent, software copyright, award or standard.
#[derive(InputObject)]
pub struct CreateHonourInput {
    /// Kind.
    pub kind: HonourKind,
    /// The organisation (one you manage).
    pub organization_id: ID,
    /// The project, if any (readable).
    pub project_id: Option<ID>,
    /// Title (1–200 characters).
    pub title: String,
    /// Number (up to 100 characters).
    pub number: Option<String>,
    /// Grant, registration, award or publication day.
    pub dated_on: NaiveDate,
    /// Patents: type.
    pub patent_type: Option<PatentType>,
    /// Patents: region.
    pub region: Option<PatentRegion>,
    /// Patents: status.
    pub patent_status: Option<PatentStatus>,
    /// Awards: level.
    pub award_level: Option<AwardLevel>,
    /// Awards: rank (up to 50 characters).
    pub award_rank: Option<String>,
    /// Standards: level.
    pub standard_level: Option<StandardLevel>,
    /// Standards: role.
    pub standard_role: Option<StandardRole>,
    /// People credited.
    #[graphql(default)]
    pub people: Vec<PersonRoleInput>,
}

impl CreateHonourInput {
    fn into_service(self) -> Result<honours::NewHonour> {
        Ok(honours::NewHonour {
            kind: self.kind,
            organization_id: parse_id(&self.organization_id)?,
            project_id: opt_id(self.project_id)?,
            title: self.title,
            number: self.number,
            dated_on: self.dated_on,
            patent_type: self.patent_type,
            region: self.region,
            patent_status: self.patent_status,
            award_level: self.award_level,
            award_rank: self.award_rank,
            standard_level: self.standard_level,
            standard_role: self.standard_role,
            people: links(self.people)?,
        })
    }
}

/// Changes to an honour (only the fields given change).
#[derive(InputObject)]
pub struct UpdateHonourInput {
    /// Title.
    pub title: Option<String>,
    /// Number (empty clears it).
    pub number: Option<String>,
    /// Day.
    pub dated_on: Option<NaiveDate>,
    /// Patents: status.
    pub patent_status: Option<PatentStatus>,
    /// Awards: rank.
    pub award_rank: Option<String>,
    /// People credited (replaces the list).
    pub people: Option<Vec<PersonRoleInput>>,
}

impl UpdateHonourInput {
    fn into_service(self) -> Result<honours::HonourPatch> {
        Ok(honours::HonourPatch {
            title: self.title,
            number: self.number,
            dated_on: self.dated_on,
            patent_status: self.patent_status,
            award_rank: self.award_rank,
            people: opt_links(self.people)?,
        })
    }
}

/// A campaign indicator.
#[derive(InputObject)]
pub struct IndicatorInput {
    /// Name (1–100 characters).
    pub name: String,
    /// Unit (1–20 characters).
    pub unit: String,
    /// Target (non-negative).
    pub target: i64,
    /// A computed metric; without one, type the actual with `actual`.
    pub metric: Option<IndicatorMetric>,
    /// The typed actual (only without a metric).
    pub actual: Option<i64>,
}

impl IndicatorInput {
    fn into_service(self) -> campaigns::NewIndicator {
        campaigns::NewIndicator {
            name: self.name,
            unit: self.unit,
            target: self.target,
            metric: self.metric,
            actual: self.actual,
        }
    }
}

/// A new campaign.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// The organisation (one you manage).
    pub organization_id: ID,
    /// Year (2000–2100).
    pub year: i32,
    /// Title (1–200 characters).
    pub title: String,
    /// Theme (up to 200 characters).
    pub theme: Option<String>,
    /// Goals (up to 5000 characters).
    pub goals: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (not before the first).
    pub ends_on: NaiveDate,
    /// Indicators.
    #[graphql(default)]
    pub indicators: Vec<IndicatorInput>,
}

impl CreateCampaignInput {
    fn into_service(self) -> Result<campaigns::NewCampaign> {
        Ok(campaigns::NewCampaign {
            organization_id: parse_id(&self.organization_id)?,
            year: self.year,
            title: self.title,
            theme: self.theme,
            goals: self.goals,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            indicators: self.indicators.into_iter().map(IndicatorInput::into_service).collect(),
        })
    }
}

/// Changes to a campaign.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    /// Title.
    pub title: Option<String>,
    /// Theme (empty clears it).
    pub theme: Option<String>,
    /// Goals (empty clears them).
    pub goals: Option<String>,
    /// Status: planned → running → closed.
    pub status: Option<CampaignStatus>,
}

impl UpdateCampaignInput {
    fn into_service(self) -> campaigns::CampaignPatch {
        campaigns::CampaignPatch { title: self.title, theme: self.theme, goals: self.goals, status: self.status }
    }
}

/// Changes to an indicator.
#[derive(InputObject)]
pub struct UpdateIndicatorInput {
    /// Target.
    pub target: Option<i64>,
    /// The typed actual (only for indicators without a metric).
    pub actual: Option<i64>,
}

impl UpdateIndicatorInput {
    fn into_service(self) -> campaigns::IndicatorPatch {
        campaigns::IndicatorPatch { target: self.target, actual: self.actual }
    }
}

/// A new activity.
#[derive(InputObject)]
pub struct CreateActivityInput {
    /// The organisation (one you manage).
    pub organization_id: ID,
    /// The campaign, if any (readable).
    pub campaign_id: Option<ID>,
    /// Kind.
    pub kind: ActivityKind,
    /// Title (1–200 characters).
    pub title: String,
    /// Day held.
    pub held_on: NaiveDate,
    /// Place (up to 200 characters).
    pub place: Option<String>,
    /// Summary (up to 5000 characters).
    pub summary: Option<String>,
    /// Participants with their results.
    #[graphql(default)]
    pub participants: Vec<ParticipantInput>,
}

impl CreateActivityInput {
    fn into_service(self) -> Result<campaigns::NewActivity> {
        Ok(campaigns::NewActivity {
            organization_id: parse_id(&self.organization_id)?,
            campaign_id: opt_id(self.campaign_id)?,
            kind: self.kind,
            title: self.title,
            held_on: self.held_on,
            place: self.place,
            summary: self.summary,
            participants: participants(self.participants)?,
        })
    }
}

/// Changes to an activity.
#[derive(InputObject)]
pub struct UpdateActivityInput {
    /// Title.
    pub title: Option<String>,
    /// Day held.
    pub held_on: Option<NaiveDate>,
    /// Place (empty clears it).
    pub place: Option<String>,
    /// Summary (empty clears it).
    pub summary: Option<String>,
    /// Participants (replaces the list).
    pub participants: Option<Vec<ParticipantInput>>,
}

impl UpdateActivityInput {
    fn into_service(self) -> Result<campaigns::ActivityPatch> {
        Ok(campaigns::ActivityPatch {
            title: self.title,
            held_on: self.held_on,
            place: self.place,
            summary: self.summary,
            participants: self.participants.map(participants).transpose()?,
        })
    }
}

/// A new vanguard unit.
#[derive(InputObject)]
pub struct CreateVanguardUnitInput {
    /// Kind.
    pub kind: VanguardKind,
    /// The organisation (one you manage).
    pub organization_id: ID,
    /// The project, if any (readable).
    pub project_id: Option<ID>,
    /// Name (1–200 characters).
    pub name: String,
    /// Day established.
    pub established_on: NaiveDate,
    /// Day it ends (not before it is established).
    pub ends_on: Option<NaiveDate>,
    /// Members.
    #[graphql(default)]
    pub members: Vec<PersonRoleInput>,
}

impl CreateVanguardUnitInput {
    fn into_service(self) -> Result<vanguard::NewVanguardUnit> {
        Ok(vanguard::NewVanguardUnit {
            kind: self.kind,
            organization_id: parse_id(&self.organization_id)?,
            project_id: opt_id(self.project_id)?,
            name: self.name,
            established_on: self.established_on,
            ends_on: self.ends_on,
            members: links(self.members)?,
        })
    }
}

/// Changes to a vanguard unit.
#[derive(InputObject)]
pub struct UpdateVanguardUnitInput {
    /// Name.
    pub name: Option<String>,
    /// Day it ends.
    pub ends_on: Option<NaiveDate>,
    /// Members (replaces the list).
    pub members: Option<Vec<PersonRoleInput>>,
}

impl UpdateVanguardUnitInput {
    fn into_service(self) -> Result<vanguard::VanguardUnitPatch> {
        Ok(vanguard::VanguardUnitPatch { name: self.name, ends_on: self.ends_on, members: opt_links(self.members)? })
    }
}

/// A count by AchievementCategory.
#[derive(SimpleObject)]
pub struct AchievementCategoryCount {
    /// The key.
    pub key: AchievementCategory,
    /// How many.
    pub count: i64,
}

/// A count by AchievementStatus.
#[derive(SimpleObject)]
pub struct AchievementStatusCount {
    /// The key.
    pub key: AchievementStatus,
    /// How many.
    pub count: i64,
}

/// A count by ProjectLevel.
#[derive(SimpleObject)]
pub struct ProjectLevelCount {
    /// The key.
    pub key: ProjectLevel,
    /// How many.
    pub count: i64,
}

/// A count by ProjectStatus.
#[derive(SimpleObject)]
pub struct ProjectStatusCount {
    /// The key.
    pub key: ProjectStatus,
    /// How many.
    pub count: i64,
}

/// A count by AwardLevel.
#[derive(SimpleObject)]
pub struct AwardLevelCount {
    /// The key.
    pub key: AwardLevel,
    /// How many.
    pub count: i64,
}

/// A count by StandardLevel.
#[derive(SimpleObject)]
pub struct StandardLevelCount {
    /// The key.
    pub key: StandardLevel,
    /// How many.
    pub count: i64,
}

/// A count by ActivityKind.
#[derive(SimpleObject)]
pub struct ActivityKindCount {
    /// The key.
    pub key: ActivityKind,
    /// How many.
    pub count: i64,
}

/// AchievementFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "AchievementFigures")]
pub struct AchievementFiguresNode {
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
    pub by_category: Vec<AchievementCategoryCount>,
    /// Submitted ones by status.
    pub by_status: Vec<AchievementStatusCount>,
}

impl From<statistics::AchievementFigures> for AchievementFiguresNode {
    fn from(v: statistics::AchievementFigures) -> Self {
        AchievementFiguresNode {
            submitted: v.submitted,
            recognised: v.recognised,
            rejected: v.rejected,
            benefit_fen: v.benefit_fen,
            reward_fen: v.reward_fen,
            by_category: v
                .by_category
                .into_iter()
                .map(|c| AchievementCategoryCount { key: c.key, count: c.count })
                .collect(),
            by_status: v.by_status.into_iter().map(|c| AchievementStatusCount { key: c.key, count: c.count }).collect(),
        }
    }
}

/// ProjectFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "ProjectFigures")]
pub struct ProjectFiguresNode {
    /// Projects under way.
    pub total: i64,
    /// Major group projects (集团重大) under way: "participated in N major group projects".
    pub group_major: i64,
    /// By level.
    pub by_level: Vec<ProjectLevelCount>,
    /// By current status.
    pub by_status: Vec<ProjectStatusCount>,
}

impl From<statistics::ProjectFigures> for ProjectFiguresNode {
    fn from(v: statistics::ProjectFigures) -> Self {
        ProjectFiguresNode {
            total: v.total,
            group_major: v.group_major,
            by_level: v.by_level.into_iter().map(|c| ProjectLevelCount { key: c.key, count: c.count }).collect(),
            by_status: v.by_status.into_iter().map(|c| ProjectStatusCount { key: c.key, count: c.count }).collect(),
        }
    }
}

/// AwardFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "AwardFigures")]
pub struct AwardFiguresNode {
    /// Technology awards won.
    pub total: i64,
    /// Of which national.
    pub national: i64,
    /// Of which provincial or ministerial.
    pub provincial: i64,
    /// Of which industry.
    pub industry: i64,
    /// By level.
    pub by_level: Vec<AwardLevelCount>,
}

impl From<statistics::AwardFigures> for AwardFiguresNode {
    fn from(v: statistics::AwardFigures) -> Self {
        AwardFiguresNode {
            total: v.total,
            national: v.national,
            provincial: v.provincial,
            industry: v.industry,
            by_level: v.by_level.into_iter().map(|c| AwardLevelCount { key: c.key, count: c.count }).collect(),
        }
    }
}

/// IpFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "IpFigures")]
pub struct IpFiguresNode {
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

impl From<statistics::IpFigures> for IpFiguresNode {
    fn from(v: statistics::IpFigures) -> Self {
        IpFiguresNode {
            total: v.total,
            patents: v.patents,
            international_patents: v.international_patents,
            invention_patents: v.invention_patents,
            utility_models: v.utility_models,
            designs: v.designs,
            software_copyrights: v.software_copyrights,
        }
    }
}

/// StandardFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "StandardFigures")]
pub struct StandardFiguresNode {
    /// Standards led or taken part in.
    pub total: i64,
    /// Of which led (hosted, 主持).
    pub hosted: i64,
    /// Of which national.
    pub national: i64,
    /// Of which industry.
    pub industry: i64,
    /// By level.
    pub by_level: Vec<StandardLevelCount>,
}

impl From<statistics::StandardFigures> for StandardFiguresNode {
    fn from(v: statistics::StandardFigures) -> Self {
        StandardFiguresNode {
            total: v.total,
            hosted: v.hosted,
            national: v.national,
            industry: v.industry,
            by_level: v.by_level.into_iter().map(|c| StandardLevelCount { key: c.key, count: c.count }).collect(),
        }
    }
}

/// SpendingFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "SpendingFigures")]
pub struct SpendingFiguresNode {
    /// Months counted: January up to this day's month.
    pub through: NaiveDate,
    /// Spending in those months, in fen.
    pub amount_fen: i64,
    /// Spending in the same months of the previous year, in fen.
    pub previous_amount_fen: i64,
    /// Growth over the previous year in basis points (1/100 of a percent), rounded; null when the previous year spent nothing.
    pub growth_basis_points: Option<i64>,
}

impl From<statistics::SpendingFigures> for SpendingFiguresNode {
    fn from(v: statistics::SpendingFigures) -> Self {
        SpendingFiguresNode {
            through: v.through,
            amount_fen: v.amount_fen,
            previous_amount_fen: v.previous_amount_fen,
            growth_basis_points: v.growth_basis_points,
        }
    }
}

/// ActivityFigures of the innovation statistics.
#[derive(SimpleObject)]
#[graphql(name = "ActivityFigures")]
pub struct ActivityFiguresNode {
    /// Activities held.
    pub total: i64,
    /// By kind.
    pub by_kind: Vec<ActivityKindCount>,
}

impl From<statistics::ActivityFigures> for ActivityFiguresNode {
    fn from(v: statistics::ActivityFigures) -> Self {
        ActivityFiguresNode {
            total: v.total,
            by_kind: v.by_kind.into_iter().map(|c| ActivityKindCount { key: c.key, count: c.count }).collect(),
        }
    }
}

/// Every figure of an organisation subtree's innovation year (see the REST
/// `/innovation-statistics` for the definitions).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct InnovationStatistics {
    /// The subtree's root.
    pub organization_id: ID,
    /// The year.
    pub year: i32,
    /// "Five small" achievements (by submission day).
    pub achievements: AchievementFiguresNode,
    /// Research projects under way in the year.
    pub projects: ProjectFiguresNode,
    /// Technology awards of the year.
    pub awards: AwardFiguresNode,
    /// Intellectual property held at the year's end.
    pub intellectual_property: IpFiguresNode,
    /// Standards of the year.
    pub standards: StandardFiguresNode,
    /// R&D expenditure and growth over the same months of the previous year.
    pub rd_spending: SpendingFiguresNode,
    /// Campaign activities.
    pub activities: ActivityFiguresNode,
    /// How many people won awards (distinct).
    pub award_winner_count: i64,
    /// Ids of the people who won awards.
    pub award_winner_ids: Vec<ID>,
}

#[ComplexObject]
impl InnovationStatistics {
    /// The people who won awards (those in your scope).
    async fn award_winners(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        let ids = self.award_winner_ids.iter().map(parse_id).collect::<Result<Vec<_>>>()?;
        load_people(ctx, ids.into_iter()).await
    }
}

impl From<statistics::InnovationStatistics> for InnovationStatistics {
    fn from(v: statistics::InnovationStatistics) -> Self {
        InnovationStatistics {
            organization_id: gid(v.organization_id),
            year: v.year,
            achievements: v.achievements.into(),
            projects: v.projects.into(),
            awards: v.awards.into(),
            intellectual_property: v.intellectual_property.into(),
            standards: v.standards.into(),
            rd_spending: v.rd_spending.into(),
            activities: v.activities.into(),
            award_winner_count: v.award_winner_count,
            award_winner_ids: v.award_winner_ids.into_iter().map(gid).collect(),
        }
    }
}

/// Read operations of the innovation area.
#[derive(Default)]
pub struct InnovationQuery;

#[Object]
impl InnovationQuery {
    /// One "five small" achievement; NOT_FOUND when missing or outside your scope.
    async fn achievement(&self, ctx: &Context<'_>, id: ID) -> Result<Achievement> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(achievements::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?.into())
    }

    /// "Five small" achievements in your scope (and those you are on), in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn achievements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this campaign.")] campaign_id: Option<ID>,
        #[graphql(desc = "Only this category.")] category: Option<AchievementCategory>,
        #[graphql(desc = "Only this status.")] status: Option<AchievementStatus>,
        #[graphql(desc = "Only submitted in this year.")] year: Option<i32>,
        #[graphql(desc = "Only those this person leads, submitted or is on.")] person_id: Option<ID>,
    ) -> Result<Conn<Achievement>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = achievements::AchievementFilter {
            organization_id: opt_id(organization_id)?,
            campaign_id: opt_id(campaign_id)?,
            category,
            status,
            year,
            person_id: opt_id(person_id)?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = achievements::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, Achievement::from))
    }

    /// One research project.
    async fn research_project(&self, ctx: &Context<'_>, id: ID) -> Result<ResearchProject> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(projects::get(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)?.into())
    }

    /// Research projects in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn research_projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this level.")] level: Option<ProjectLevel>,
        #[graphql(desc = "Only this status.")] status: Option<ProjectStatus>,
    ) -> Result<Conn<ResearchProject>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = projects::ProjectFilter { organization_id: opt_id(organization_id)?, level, status };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = projects::list(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, ResearchProject::from))
    }

    /// R&D expenditure entries in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn rd_expenditures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this project.")] project_id: Option<ID>,
        #[graphql(desc = "Only months of this year.")] year: Option<i32>,
    ) -> Result<Conn<RdExpenditure>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = projects::ExpenditureFilter {
            organization_id: opt_id(organization_id)?,
            project_id: opt_id(project_id)?,
            year,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = projects::expenditures(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, RdExpenditure::from))
    }

    /// One honour.
    async fn honour(&self, ctx: &Context<'_>, id: ID) -> Result<Honour> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(honours::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?.into())
    }

    /// Patents, software copyrights, awards and standards in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn honours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this kind.")] kind: Option<HonourKind>,
        #[graphql(desc = "Only dated in this year.")] year: Option<i32>,
        #[graphql(desc = "Only of this project.")] project_id: Option<ID>,
        #[graphql(desc = "Only crediting this person.")] person_id: Option<ID>,
    ) -> Result<Conn<Honour>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = honours::HonourFilter {
            organization_id: opt_id(organization_id)?,
            kind,
            year,
            project_id: opt_id(project_id)?,
            person_id: opt_id(person_id)?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = honours::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, Honour::from))
    }

    /// One campaign with its indicators (computed actuals included).
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Campaign> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(campaigns::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?.into())
    }

    /// Campaigns in your scope (indicators: query one campaign), in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this year.")] year: Option<i32>,
    ) -> Result<Conn<Campaign>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter =
            campaigns::CampaignFilter { organization_id: opt_id(organization_id)?, year, ..Default::default() };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = campaigns::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, Campaign::from))
    }

    /// One activity.
    async fn activity(&self, ctx: &Context<'_>, id: ID) -> Result<Activity> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(campaigns::get_activity(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?.into())
    }

    /// Campaign activities in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only held in this year.")] year: Option<i32>,
        #[graphql(desc = "Only of this campaign.")] campaign_id: Option<ID>,
        #[graphql(desc = "Only this kind.")] kind: Option<ActivityKind>,
        #[graphql(desc = "Only with this participant.")] person_id: Option<ID>,
    ) -> Result<Conn<Activity>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = campaigns::CampaignFilter {
            organization_id: opt_id(organization_id)?,
            year,
            campaign_id: opt_id(campaign_id)?,
            kind,
            person_id: opt_id(person_id)?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = campaigns::activities(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, Activity::from))
    }

    /// One vanguard unit.
    async fn vanguard_unit(&self, ctx: &Context<'_>, id: ID) -> Result<VanguardUnit> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(vanguard::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?.into())
    }

    /// Vanguard units in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn vanguard_units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this kind.")] kind: Option<VanguardKind>,
        #[graphql(desc = "Only serving this project.")] project_id: Option<ID>,
    ) -> Result<Conn<VanguardUnit>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = vanguard::VanguardFilter {
            organization_id: opt_id(organization_id)?,
            kind,
            project_id: opt_id(project_id)?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = vanguard::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| v.id, VanguardUnit::from))
    }

    /// The innovation statistics of an organisation subtree for a year; NOT_FOUND when
    /// the organisation is outside your scope.
    async fn innovation_statistics(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        year: i32,
    ) -> Result<InnovationStatistics> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v =
            statistics::statistics(&s.db, a, s.today, parse_id(&organization_id)?, year).await.map_err(gql_error)?;
        Ok(v.into())
    }
}

/// Write operations of the innovation area. Changes take the object's current
/// `version` as `expectedVersion` (a stale one is CONFLICT).
#[derive(Default)]
pub struct InnovationMutation;

#[Object]
impl InnovationMutation {
    /// Submits a "five small" achievement (members: for a team they lead or are on).
    async fn submit_achievement(&self, ctx: &Context<'_>, input: SubmitAchievementInput) -> Result<Achievement> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(achievements::submit(&s.db, a, s.today, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Changes a submitted achievement (submitter, lead or an administrator in scope).
    async fn update_achievement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateAchievementInput,
    ) -> Result<Achievement> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = achievements::update(&s.db, a, parse_id(&id)?, expected_version, input.into_service()?)
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Takes a workflow step: SUBMITTED → UNDER_REVIEW → ACCEPTED | REJECTED (with a
    /// reason); ACCEPTED → AWARDED (with the reward) → PROMOTED. Administrators in scope,
    /// never on their own achievement (FORBIDDEN); other steps are CONFLICT.
    async fn review_achievement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ReviewAchievementInput,
    ) -> Result<Achievement> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = achievements::review(&s.db, a, s.today, parse_id(&id)?, expected_version, input.into_service()?)
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Creates a research project (status PROPOSED).
    async fn create_research_project(
        &self,
        ctx: &Context<'_>,
        input: CreateResearchProjectInput,
    ) -> Result<ResearchProject> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(projects::create(&s.db, a, s.today, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Changes a research project; a status change moves one step, dated `statusOn`.
    async fn update_research_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateResearchProjectInput,
    ) -> Result<ResearchProject> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = projects::update(&s.db, a, s.today, parse_id(&id)?, expected_version, input.into_service()?)
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Adds a milestone to a research project.
    async fn add_milestone(&self, ctx: &Context<'_>, project_id: ID, input: MilestoneInput) -> Result<Milestone> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = projects::add_milestone(&s.db, a, s.today, parse_id(&project_id)?, input.into_service())
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Changes a milestone, e.g. records the day it was reached.
    async fn update_milestone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateMilestoneInput,
    ) -> Result<Milestone> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = projects::update_milestone(&s.db, a, s.today, parse_id(&id)?, expected_version, input.into_service())
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Books a month's R&D expenditure.
    async fn add_rd_expenditure(&self, ctx: &Context<'_>, input: RdExpenditureInput) -> Result<RdExpenditure> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(projects::add_expenditure(&s.db, a, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Removes an R&D expenditure entry booked by mistake; returns its id.
    async fn delete_rd_expenditure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The entry's current version.")] expected_version: i32,
    ) -> Result<ID> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::delete_expenditure(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?;
        Ok(id)
    }

    /// Records a patent, software copyright, award or standard.
    async fn create_honour(&self, ctx: &Context<'_>, input: CreateHonourInput) -> Result<Honour> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(honours::create(&s.db, a, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Changes an honour.
    async fn update_honour(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateHonourInput,
    ) -> Result<Honour> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = honours::update(&s.db, a, parse_id(&id)?, expected_version, input.into_service()?)
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Deletes an honour recorded by mistake; returns its id.
    async fn delete_honour(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        honours::delete(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?;
        Ok(id)
    }

    /// Creates a campaign (status PLANNED) with its indicators.
    async fn create_campaign(&self, ctx: &Context<'_>, input: CreateCampaignInput) -> Result<Campaign> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(campaigns::create(&s.db, a, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Changes a campaign; status moves PLANNED → RUNNING → CLOSED.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateCampaignInput,
    ) -> Result<Campaign> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = campaigns::update(&s.db, a, parse_id(&id)?, expected_version, input.into_service())
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Adds an indicator to a campaign; returns the campaign.
    async fn add_indicator(&self, ctx: &Context<'_>, campaign_id: ID, input: IndicatorInput) -> Result<Campaign> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = campaigns::add_indicator(&s.db, a, parse_id(&campaign_id)?, input.into_service())
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Changes an indicator's target or typed actual; returns the campaign.
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateIndicatorInput,
    ) -> Result<Campaign> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = campaigns::update_indicator(&s.db, a, parse_id(&id)?, expected_version, input.into_service())
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Records an activity with its participants.
    async fn create_activity(&self, ctx: &Context<'_>, input: CreateActivityInput) -> Result<Activity> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(campaigns::create_activity(&s.db, a, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Changes an activity, e.g. records results.
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateActivityInput,
    ) -> Result<Activity> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = campaigns::update_activity(&s.db, a, parse_id(&id)?, expected_version, input.into_service()?)
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }

    /// Creates a vanguard unit.
    async fn create_vanguard_unit(&self, ctx: &Context<'_>, input: CreateVanguardUnitInput) -> Result<VanguardUnit> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(vanguard::create(&s.db, a, input.into_service()?).await.map_err(gql_error)?.into())
    }

    /// Changes a vanguard unit.
    async fn update_vanguard_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateVanguardUnitInput,
    ) -> Result<VanguardUnit> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = vanguard::update(&s.db, a, parse_id(&id)?, expected_version, input.into_service()?)
            .await
            .map_err(gql_error)?;
        Ok(v.into())
    }
}
