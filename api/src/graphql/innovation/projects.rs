//! Research projects in the GraphQL schema: projects with their party groups, milestones and R&D spending.

use async_graphql::{ComplexObject, Context, ID, Object, Result};
use uuid::Uuid;

use super::super::types::{Conn, connection, load_org, load_person, wants_total};
use super::super::{actor, gql_error, page, parse_id, state};
use super::opt_id;
use crate::services::innovation::projects::{
    self, ExpenditureView, MilestonePatch, MilestoneView, NewExpenditure, NewMilestone, NewProject, ProjectLevel,
    ProjectPatch, ProjectStatus, ProjectView,
};
use crate::services::organizations::OrganizationView;
use crate::services::people::PersonView;

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

/// Read operations on projects.
#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
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
}

/// Write operations on projects.
#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
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
}
