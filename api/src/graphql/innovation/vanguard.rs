//! Vanguard units in the GraphQL schema: party-member pioneer posts, teams and commando units.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::super::types::{Conn, connection, load_org, wants_total};
use super::super::{actor, gql_error, page, parse_id, state};
use super::opt_id;
use crate::services::innovation::vanguard::{self, NewVanguardUnit, VanguardKind, VanguardUnitPatch, VanguardUnitView};
use crate::services::organizations::OrganizationView;

#[ComplexObject]
impl VanguardUnitView {
    /// The organisation (null when outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
}

/// Read operations on vanguard.
#[derive(Default)]
pub struct VanguardQuery;

#[Object]
impl VanguardQuery {
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
}

/// Write operations on vanguard.
#[derive(Default)]
pub struct VanguardMutation;

#[Object]
impl VanguardMutation {
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
