//! Honours in the GraphQL schema: patents, awards and standards.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::super::types::{Conn, connection, load_org, wants_total};
use super::super::{actor, gql_error, page, parse_id, state};
use super::opt_id;
use crate::services::innovation::honours::{self, HonourKind, HonourPatch, HonourView, NewHonour};
use crate::services::organizations::OrganizationView;

#[ComplexObject]
impl HonourView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
}

/// Read operations on honours.
#[derive(Default)]
pub struct HonourQuery;

#[Object]
impl HonourQuery {
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
}

/// Write operations on honours.
#[derive(Default)]
pub struct HonourMutation;

#[Object]
impl HonourMutation {
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
}
