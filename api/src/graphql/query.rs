//! The GraphQL query root.

use async_graphql::{Context, ID, Object, Result};

use super::types::{Conn, connection, org_list, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    auth::Me,
    organizations::{OrganizationFilter, OrganizationView},
    people::{PersonFilter, PersonView},
    service_clients::ServiceClientView,
    types::{OrgKind, PartyStatus},
    users::{UserFilter, UserView},
};

/// Read operations of the foundation: the caller, organisations, people, accounts, clients.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The caller: account or client, person, roles.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let s = state(ctx)?;
        services::auth::me(&s.db, actor(ctx)?).await.map_err(gql_error)
    }

    /// One organisation; NOT_FOUND when missing or outside your scope.
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> Result<OrganizationView> {
        let s = state(ctx)?;
        services::organizations::get(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Organisations in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only direct children of this organisation.")] parent_id: Option<ID>,
        #[graphql(desc = "Only organisations strictly below this one.")] descendants_of: Option<ID>,
        #[graphql(desc = "Only roots.", default)] roots_only: bool,
        #[graphql(desc = "Only this kind.")] kind: Option<OrgKind>,
        #[graphql(desc = "Name contains this text.")] q: Option<String>,
    ) -> Result<Conn<OrganizationView>> {
        actor(ctx)?;
        let filter = OrganizationFilter {
            parent_id: parent_id.as_ref().map(parse_id).transpose()?,
            descendants_of: descendants_of.as_ref().map(parse_id).transpose()?,
            roots_only,
            kind,
            name_contains: q,
        };
        org_list(ctx, filter, first, after).await
    }

    /// One person; NOT_FOUND when missing or outside your scope.
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<PersonView> {
        let s = state(ctx)?;
        services::people::get(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)
    }

    /// People in your scope, in creation order; people who have left only with `includeEnded`.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only people in this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this party status.")] party_status: Option<PartyStatus>,
        #[graphql(desc = "Name contains, or employee number starts with, this text.")] q: Option<String>,
        #[graphql(desc = "Also people who have left (default: only active people).", default)] include_ended: bool,
    ) -> Result<Conn<PersonView>> {
        actor(ctx)?;
        let s = state(ctx)?;
        let filter = PersonFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            party_status,
            q,
            include_ended,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::people::list(&s.db, actor(ctx)?, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |p| *p.id))
    }

    /// One account.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<UserView> {
        let s = state(ctx)?;
        services::users::get(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Accounts in your scope.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Username contains this text.")] q: Option<String>,
    ) -> Result<Conn<UserView>> {
        let s = state(ctx)?;
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let filter = UserFilter { q, person_id: None };
        let p = services::users::list(&s.db, actor(ctx)?, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |u| *u.id))
    }

    /// One service client (administrators).
    async fn service_client(&self, ctx: &Context<'_>, id: ID) -> Result<ServiceClientView> {
        let s = state(ctx)?;
        services::service_clients::get(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Service clients (administrators).
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn service_clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> Result<Conn<ServiceClientView>> {
        let s = state(ctx)?;
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::service_clients::list(&s.db, actor(ctx)?, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |c| *c.id))
    }
}
