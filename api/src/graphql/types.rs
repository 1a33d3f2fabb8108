//! The foundation's relation resolvers (organisations, people, accounts, clients) and
//! the connection helpers every paged field uses. The object types themselves are the
//! services' views; here they only gain the fields that go through the request's
//! DataLoaders.

use async_graphql::{
    ComplexObject, Context, OutputType, Result, SimpleObject,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use super::loaders::Loaders;
use crate::services::{
    self,
    organizations::OrganizationView,
    pagination::{Page, encode_cursor},
    people::{PartyStatusChangeView, PersonView, TransferView},
    service_clients::ServiceClientView,
    users::{RoleAssignmentView, UserView},
};

/// Extra connection fields.
#[derive(SimpleObject)]
pub struct Totals {
    /// Number of items matching the filters (all pages).
    pub total_count: u64,
}

/// A Relay connection over a service page.
pub type Conn<N> = Connection<String, N, Totals>;

/// Builds a Relay connection from a page; the page's items are the nodes.
pub fn connection<T: OutputType>(page: Page<T>, had_cursor: bool, id: impl Fn(&T) -> Uuid) -> Conn<T> {
    let mut conn = Connection::with_additional_fields(
        had_cursor,
        page.next_cursor.is_some(),
        Totals { total_count: page.total.unwrap_or(0) },
    );
    conn.edges.extend(page.items.into_iter().map(|item| Edge::new(encode_cursor(id(&item)), item)));
    conn
}

/// A Relay connection over a page of a sorted list: each edge's cursor carries the
/// item's sort value and id (`key`), so `after` may be any edge's cursor.
pub fn sorted_connection<T: OutputType>(page: Page<T>, had_cursor: bool, key: impl Fn(&T) -> (i64, Uuid)) -> Conn<T> {
    let mut conn = Connection::with_additional_fields(
        had_cursor,
        page.next_cursor.is_some(),
        Totals { total_count: page.total.unwrap_or(0) },
    );
    conn.edges.extend(page.items.into_iter().map(|item| {
        let (k, id) = key(&item);
        Edge::new(crate::services::pagination::encode_sorted_cursor(k, id), item)
    }));
    conn
}

/// Whether the selection asks for `totalCount` (so the count query runs only then).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

#[ComplexObject]
impl OrganizationView {
    /// The parent organisation (null for a root, or when outside your scope).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        let Some(parent) = self.parent_id else { return Ok(None) };
        load_org(ctx, *parent).await
    }
    /// The path from the root down to this organisation (itself last), within your scope.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<OrganizationView>> {
        let ids = services::scope::path_ids(&self.path);
        let found = ctx.data::<Loaders>()?.orgs.load_many(ids.iter().copied()).await?;
        // Root first, following the path; ancestors outside the caller's scope are absent.
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }
    /// Direct children.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<OrganizationView>> {
        let filter = services::organizations::OrganizationFilter { parent_id: Some(*self.id), ..Default::default() };
        org_list(ctx, filter, first, after).await
    }
    /// The current committee (its term not ended by 换届, with members); null when none
    /// (a party group never has one).
    async fn committee(&self, ctx: &Context<'_>) -> Result<Option<services::committees::CommitteeTermView>> {
        super::committees::committee_of(ctx, *self.id).await
    }
    /// Every term (届) of the committee with its members, newest first.
    async fn committee_terms(&self, ctx: &Context<'_>) -> Result<Vec<services::committees::CommitteeTermView>> {
        super::committees::committee_terms_of(ctx, *self.id).await
    }
}

/// An organisation through the request's scoped loader (None when missing or out of scope).
pub(crate) async fn load_org(ctx: &Context<'_>, id: Uuid) -> Result<Option<OrganizationView>> {
    ctx.data::<Loaders>()?.orgs.load_one(id).await
}

/// A person through the request's scoped loader (None when absent, missing or out of scope).
pub(crate) async fn load_person(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<PersonView>> {
    let Some(id) = id else { return Ok(None) };
    ctx.data::<Loaders>()?.people.load_one(id).await
}

#[ComplexObject]
impl PersonView {
    /// Primary organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
    /// The person's login account, if any and visible to you.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<UserView>> {
        ctx.data::<Loaders>()?.user_by_person.load_one(*self.id).await
    }
    /// Transfers between organisations, oldest first.
    async fn transfers(&self, ctx: &Context<'_>) -> Result<Vec<TransferView>> {
        Ok(ctx.data::<Loaders>()?.transfers.load_one(*self.id).await?.unwrap_or_default())
    }
    /// Party-status history (申请入党 → 积极分子 → 发展对象 → 预备党员 → 正式党员, and
    /// corrections), oldest first.
    async fn party_status_history(&self, ctx: &Context<'_>) -> Result<Vec<PartyStatusChangeView>> {
        Ok(ctx.data::<Loaders>()?.party_status_history.load_one(*self.id).await?.unwrap_or_default())
    }
}

#[ComplexObject]
impl TransferView {
    /// Organisation left.
    #[allow(clippy::wrong_self_convention)]
    async fn from_organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.from_organization_id).await
    }
    /// Organisation joined.
    async fn to_organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.to_organization_id).await
    }
}

#[ComplexObject]
impl UserView {
    /// The person the account belongs to.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.person_id).await
    }
    /// Role grants in force.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<RoleAssignmentView>> {
        Ok(ctx.data::<Loaders>()?.roles.load_one(*self.id).await?.unwrap_or_default())
    }
}

#[ComplexObject]
impl RoleAssignmentView {
    /// Subtree root; null = everywhere (or outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        let Some(org) = self.organization_id else { return Ok(None) };
        load_org(ctx, *org).await
    }
}

#[ComplexObject]
impl ServiceClientView {
    /// Subtree root the client may read.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        let Some(org) = self.organization_id else { return Ok(None) };
        load_org(ctx, *org).await
    }
}

/// Lists organisations as a connection (shared by `organizations` and `Organization.children`).
pub(super) async fn org_list(
    ctx: &Context<'_>,
    filter: crate::services::organizations::OrganizationFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<OrganizationView>> {
    let s = super::state(ctx)?;
    let req = super::page(ctx, first, after.as_deref(), wants_total(ctx))?;
    let p = crate::services::organizations::list(&s.db, super::actor(ctx)?, &filter, req)
        .await
        .map_err(super::gql_error)?;
    Ok(connection(p, after.is_some(), |o| *o.id))
}
