//! The innovation area of the GraphQL schema (科技创新年): the query and mutation roots
//! over `services::innovation` ("five small" achievements and their review, research
//! projects with milestones and R&D spending, honours, campaigns with indicators,
//! activities, vanguard units and the yearly statistics), and the relation fields of
//! its views. The object and input types are the services' own views and inputs;
//! people, organisations and attachments resolve through the request's DataLoaders,
//! nested lists come with each page (constant statements).

use async_graphql::{ComplexObject, Context, ID, Object, Result};
use uuid::Uuid;

use super::loaders::Loaders;
use super::types::{Conn, connection, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::attachments::AttachmentView;
use crate::services::innovation::{
    PersonLink,
    achievements::{
        self, AchievementCategory, AchievementPatch, AchievementReview, AchievementStatus, AchievementView,
        NewAchievement,
    },
    campaigns::{
        self, ActivityKind, ActivityPatch, ActivityView, CampaignPatch, CampaignView, IndicatorPatch, NewActivity,
        NewCampaign, NewIndicator, Participant,
    },
    honours::{self, HonourKind, HonourPatch, HonourView, NewHonour},
    projects::{
        self, ExpenditureView, MilestonePatch, MilestoneView, NewExpenditure, NewMilestone, NewProject, ProjectLevel,
        ProjectPatch, ProjectStatus, ProjectView,
    },
    statistics::{self, InnovationStatistics},
    vanguard::{self, NewVanguardUnit, VanguardKind, VanguardUnitPatch, VanguardUnitView},
};
use crate::services::organizations::OrganizationView;
use crate::services::people::PersonView;

/// An optional id argument of a root field (malformed: NOT_FOUND).
fn opt_id(id: Option<ID>) -> Result<Option<Uuid>> {
    id.as_ref().map(parse_id).transpose()
}

/// People by id through the request's loader, in the order given (those outside your
/// scope are left out).
async fn load_people(ctx: &Context<'_>, ids: impl Iterator<Item = Uuid>) -> Result<Vec<PersonView>> {
    let ids: Vec<Uuid> = ids.collect();
    let found = ctx.data::<Loaders>()?.people.load_many(ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

#[ComplexObject]
impl PersonLink {
    /// The person (null when outside your scope).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(*self.person_id)).await
    }
}

#[ComplexObject]
impl Participant {
    /// The person (null when outside your scope).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(*self.person_id)).await
    }
}

#[ComplexObject]
impl AchievementView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
    /// The team lead.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(*self.lead_id)).await
    }
    /// Attachments (drawings, benefit calculations), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<AttachmentView>> {
        Ok(ctx.data::<Loaders>()?.achievement_attachments.load_one(*self.id).await?.unwrap_or_default())
    }
}

#[ComplexObject]
impl ProjectView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
    /// The party group built on the project.
    async fn party_group(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        let Some(g) = self.party_group_id else { return Ok(None) };
        load_org(ctx, *g).await
    }
    /// The leader.
    async fn leader(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.leader_id.map(Uuid::from)).await
    }
}

#[ComplexObject]
impl HonourView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
}

#[ComplexObject]
impl CampaignView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
}

#[ComplexObject]
impl ActivityView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
}

#[ComplexObject]
impl VanguardUnitView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
}

#[ComplexObject]
impl InnovationStatistics {
    /// The people who won awards (those in your scope).
    async fn award_winners(&self, ctx: &Context<'_>) -> Result<Vec<PersonView>> {
        load_people(ctx, self.award_winner_ids.iter().map(|id| id.0)).await
    }
}

/// Read operations of the innovation area.
#[derive(Default)]
pub struct InnovationQuery;

#[Object]
impl InnovationQuery {
    /// One "five small" achievement; NOT_FOUND when missing or outside your scope.
    async fn achievement(&self, ctx: &Context<'_>, id: ID) -> Result<AchievementView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        achievements::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<AchievementView>> {
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
        Ok(connection(p, after.is_some(), |v| *v.id))
    }

    /// One research project.
    async fn research_project(&self, ctx: &Context<'_>, id: ID) -> Result<ProjectView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::get(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<ProjectView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = projects::ProjectFilter { organization_id: opt_id(organization_id)?, level, status };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = projects::list(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| *v.id))
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
    ) -> Result<Conn<ExpenditureView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = projects::ExpenditureFilter {
            organization_id: opt_id(organization_id)?,
            project_id: opt_id(project_id)?,
            year,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = projects::expenditures(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| *v.id))
    }

    /// One honour.
    async fn honour(&self, ctx: &Context<'_>, id: ID) -> Result<HonourView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        honours::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<HonourView>> {
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
        Ok(connection(p, after.is_some(), |v| *v.id))
    }

    /// One campaign with its indicators (computed actuals included).
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> Result<CampaignView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<CampaignView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter =
            campaigns::CampaignFilter { organization_id: opt_id(organization_id)?, year, ..Default::default() };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = campaigns::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| *v.id))
    }

    /// One activity.
    async fn activity(&self, ctx: &Context<'_>, id: ID) -> Result<ActivityView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::get_activity(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<ActivityView>> {
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
        Ok(connection(p, after.is_some(), |v| *v.id))
    }

    /// One vanguard unit.
    async fn vanguard_unit(&self, ctx: &Context<'_>, id: ID) -> Result<VanguardUnitView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        vanguard::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<VanguardUnitView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = vanguard::VanguardFilter {
            organization_id: opt_id(organization_id)?,
            kind,
            project_id: opt_id(project_id)?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = vanguard::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |v| *v.id))
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
        statistics::statistics(&s.db, a, s.today, parse_id(&organization_id)?, year).await.map_err(gql_error)
    }
}

/// Write operations of the innovation area. Changes take the object's current
/// `version` as `expectedVersion` (a stale one is CONFLICT).
#[derive(Default)]
pub struct InnovationMutation;

#[Object]
impl InnovationMutation {
    /// Submits a "five small" achievement (members: for a team they lead or are on).
    async fn submit_achievement(&self, ctx: &Context<'_>, input: NewAchievement) -> Result<AchievementView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        achievements::submit(&s.db, a, s.today, input).await.map_err(gql_error)
    }

    /// Changes a submitted achievement (submitter, lead or an administrator in scope).
    async fn update_achievement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: AchievementPatch,
    ) -> Result<AchievementView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        achievements::update(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Takes a workflow step: SUBMITTED → UNDER_REVIEW → ACCEPTED | REJECTED (with a
    /// reason); ACCEPTED → AWARDED (with the reward) → PROMOTED. Administrators in scope,
    /// never on their own achievement (FORBIDDEN); other steps are CONFLICT.
    async fn review_achievement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: AchievementReview,
    ) -> Result<AchievementView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        achievements::review(&s.db, a, s.today, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Creates a research project (status PROPOSED).
    async fn create_research_project(&self, ctx: &Context<'_>, input: NewProject) -> Result<ProjectView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::create(&s.db, a, s.today, input).await.map_err(gql_error)
    }

    /// Changes a research project; a status change moves one step, dated `statusOn`.
    async fn update_research_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ProjectPatch,
    ) -> Result<ProjectView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::update(&s.db, a, s.today, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Adds a milestone to a research project.
    async fn add_milestone(&self, ctx: &Context<'_>, project_id: ID, input: NewMilestone) -> Result<MilestoneView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::add_milestone(&s.db, a, s.today, parse_id(&project_id)?, input).await.map_err(gql_error)
    }

    /// Changes a milestone, e.g. records the day it was reached.
    async fn update_milestone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: MilestonePatch,
    ) -> Result<MilestoneView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::update_milestone(&s.db, a, s.today, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Books a month's R&D expenditure.
    async fn add_rd_expenditure(&self, ctx: &Context<'_>, input: NewExpenditure) -> Result<ExpenditureView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        projects::add_expenditure(&s.db, a, input).await.map_err(gql_error)
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
    async fn create_honour(&self, ctx: &Context<'_>, input: NewHonour) -> Result<HonourView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        honours::create(&s.db, a, input).await.map_err(gql_error)
    }

    /// Changes an honour.
    async fn update_honour(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: HonourPatch,
    ) -> Result<HonourView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        honours::update(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Deletes an honour recorded by mistake; returns its id.
    async fn delete_honour(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        honours::delete(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?;
        Ok(id)
    }

    /// Creates a campaign (status PLANNED) with its indicators.
    async fn create_campaign(&self, ctx: &Context<'_>, input: NewCampaign) -> Result<CampaignView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::create(&s.db, a, input).await.map_err(gql_error)
    }

    /// Changes a campaign; status moves PLANNED → RUNNING → CLOSED.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: CampaignPatch,
    ) -> Result<CampaignView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::update(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Adds an indicator to a campaign; returns the campaign.
    async fn add_indicator(&self, ctx: &Context<'_>, campaign_id: ID, input: NewIndicator) -> Result<CampaignView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::add_indicator(&s.db, a, parse_id(&campaign_id)?, input).await.map_err(gql_error)
    }

    /// Changes an indicator's target or typed actual; returns the campaign.
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: IndicatorPatch,
    ) -> Result<CampaignView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::update_indicator(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Records an activity with its participants.
    async fn create_activity(&self, ctx: &Context<'_>, input: NewActivity) -> Result<ActivityView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::create_activity(&s.db, a, input).await.map_err(gql_error)
    }

    /// Changes an activity, e.g. records results.
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ActivityPatch,
    ) -> Result<ActivityView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        campaigns::update_activity(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Creates a vanguard unit.
    async fn create_vanguard_unit(&self, ctx: &Context<'_>, input: NewVanguardUnit) -> Result<VanguardUnitView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        vanguard::create(&s.db, a, input).await.map_err(gql_error)
    }

    /// Changes a vanguard unit.
    async fn update_vanguard_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: VanguardUnitPatch,
    ) -> Result<VanguardUnitView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        vanguard::update(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }
}
