//! Campaigns (科技创新年) in the GraphQL schema: the yearly campaign with its indicators, and its activities.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::super::types::{Conn, connection, load_org, wants_total};
use super::super::{actor, gql_error, page, parse_id, state};
use super::opt_id;
use crate::services::innovation::campaigns::{
    self, ActivityKind, ActivityPatch, ActivityView, CampaignPatch, CampaignView, IndicatorPatch, NewActivity,
    NewCampaign, NewIndicator,
};
use crate::services::organizations::OrganizationView;

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

/// Read operations on campaigns.
#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
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
}

/// Write operations on campaigns.
#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
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
}
