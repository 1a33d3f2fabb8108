//! "Five small" achievements (五小创新创效) in the GraphQL schema: submission, review, award.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::super::loaders::Loaders;
use super::super::types::{Conn, connection, load_org, load_person, wants_total};
use super::super::{actor, gql_error, page, parse_id, state};
use super::opt_id;
use crate::services::attachments::AttachmentView;
use crate::services::innovation::achievements::{
    self, AchievementCategory, AchievementPatch, AchievementReview, AchievementStatus, AchievementView, NewAchievement,
};
use crate::services::organizations::OrganizationView;
use crate::services::people::PersonView;

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

/// Read operations on achievements.
#[derive(Default)]
pub struct AchievementQuery;

#[Object]
impl AchievementQuery {
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
}

/// Write operations on achievements.
#[derive(Default)]
pub struct AchievementMutation;

#[Object]
impl AchievementMutation {
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
}
