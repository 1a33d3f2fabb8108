//! GraphQL object, input and enum types: thin wrappers over the services' views;
//! every relation resolves through the request's DataLoaders.

use async_graphql::{
    ComplexObject, Context, Enum, ID, Object, Result, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::loaders::Loaders;
use super::parse_id;
use crate::services::{
    self,
    organizations::OrganizationView,
    pagination::{Page, encode_cursor},
    people::{PersonView, TransferView},
    service_clients::{ServiceClientView, ServiceClientWithSecret},
    users::{RoleAssignmentView, UserView},
};

pub use crate::services::types::OrgKind;

pub use crate::services::types::PartyStatus;

/// A role.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::auth::Role")]
pub enum Role {
    /// Everything.
    Admin,
    /// Manages an organisation subtree.
    OrgAdmin,
    /// Reads everything in scope; runs supervision.
    Inspector,
    /// A party member.
    Member,
    /// Read-only service client.
    HrReader,
}

/// Extra connection fields.
#[derive(SimpleObject)]
pub struct Totals {
    /// Number of items matching the filters (all pages).
    pub total_count: u64,
}

/// A Relay connection over a service page.
pub type Conn<N> = Connection<String, N, Totals>;

/// Builds a Relay connection from a page.
pub fn connection<T, N: async_graphql::OutputType>(
    page: Page<T>,
    had_cursor: bool,
    id: impl Fn(&T) -> Uuid,
    wrap: impl Fn(T) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(
        had_cursor,
        page.next_cursor.is_some(),
        Totals { total_count: page.total.unwrap_or(0) },
    );
    conn.edges.extend(page.items.into_iter().map(|item| Edge::new(encode_cursor(id(&item)), wrap(item))));
    conn
}

/// Whether the selection asks for `totalCount` (so the count query runs only then).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// A node of the party organisation tree.
pub struct Organization(pub OrganizationView);

#[Object]
impl Organization {
    /// Id (UUID v7).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short name.
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    /// Kind in the party hierarchy.
    async fn kind(&self) -> OrgKind {
        self.0.kind
    }
    /// Materialised path of ids from the root.
    async fn path(&self) -> &str {
        &self.0.path
    }
    /// Depth below the root (root = 0).
    async fn depth(&self) -> i32 {
        self.0.depth
    }
    /// Order among siblings.
    async fn sort_order(&self) -> i32 {
        self.0.sort_order
    }
    /// Date established.
    async fn established_on(&self) -> Option<NaiveDate> {
        self.0.established_on
    }
    /// Created at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed at (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Optimistic-concurrency version: pass it as `expectedVersion` when changing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Parent id.
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.map(|p| ID(p.to_string()))
    }
    /// The parent organisation (null for a root, or when outside your scope).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(parent) = self.0.parent_id else { return Ok(None) };
        Ok(ctx.data::<Loaders>()?.orgs.load_one(parent).await?.map(Organization))
    }
    /// The path from the root down to this organisation (itself last), within your scope.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let ids = services::scope::path_ids(&self.0.path);
        let found = ctx.data::<Loaders>()?.orgs.load_many(ids.iter().copied()).await?;
        // Root first, following the path; ancestors outside the caller's scope are absent.
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).map(Organization).collect())
    }
    /// Direct children.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Organization>> {
        let filter = services::organizations::OrganizationFilter { parent_id: Some(self.0.id), ..Default::default() };
        org_list(ctx, filter, first, after).await
    }
}

/// A UUID as a GraphQL ID.
pub(crate) fn gid(id: Uuid) -> ID {
    ID(id.to_string())
}

/// An organisation through the request's scoped loader (None when missing or out of scope).
pub(crate) async fn load_org(ctx: &Context<'_>, id: Uuid) -> Result<Option<Organization>> {
    Ok(ctx.data::<Loaders>()?.orgs.load_one(id).await?.map(Organization))
}

/// A person through the request's scoped loader (None when absent, missing or out of scope).
pub(crate) async fn load_person(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Person>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx.data::<Loaders>()?.people.load_one(id).await?.map(Person))
}

/// A party member or employee.
pub struct Person(pub PersonView);

#[Object]
impl Person {
    /// Id (UUID v7).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Employee number (the key HR systems match on).
    async fn employee_no(&self) -> &str {
        &self.0.employee_no
    }
    /// Phone: null unless you may see this person's personal data.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// E-mail: null unless you may see this person's personal data.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Party status.
    async fn party_status(&self) -> PartyStatus {
        self.0.party_status
    }
    /// Date joined the party.
    async fn joined_party_on(&self) -> Option<NaiveDate> {
        self.0.joined_party_on
    }
    /// Position or job title.
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }
    /// Leadership-team member (班子成员).
    async fn is_leadership(&self) -> bool {
        self.0.is_leadership
    }
    /// Technical backbone (科技骨干).
    async fn is_tech_backbone(&self) -> bool {
        self.0.is_tech_backbone
    }
    /// Model worker (劳模).
    async fn is_model_worker(&self) -> bool {
        self.0.is_model_worker
    }
    /// Created at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed at (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Primary organisation id.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }
    /// Primary organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(ctx.data::<Loaders>()?.orgs.load_one(self.0.organization_id).await?.map(Organization))
    }
    /// The person's login account, if any and visible to you.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(ctx.data::<Loaders>()?.user_by_person.load_one(self.0.id).await?.map(User))
    }
    /// Transfers between organisations, oldest first.
    async fn transfers(&self, ctx: &Context<'_>) -> Result<Vec<Transfer>> {
        let rows = ctx.data::<Loaders>()?.transfers.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Transfer).collect())
    }
}

/// A recorded transfer between organisations (组织关系转接).
pub struct Transfer(pub TransferView);

#[Object]
impl Transfer {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Organisation left (id).
    async fn from_organization_id(&self) -> ID {
        ID(self.0.from_organization_id.to_string())
    }
    /// Organisation joined (id).
    async fn to_organization_id(&self) -> ID {
        ID(self.0.to_organization_id.to_string())
    }
    /// Organisation left.
    #[allow(clippy::wrong_self_convention)]
    async fn from_organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(ctx.data::<Loaders>()?.orgs.load_one(self.0.from_organization_id).await?.map(Organization))
    }
    /// Organisation joined.
    async fn to_organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(ctx.data::<Loaders>()?.orgs.load_one(self.0.to_organization_id).await?.map(Organization))
    }
    /// Effective date.
    async fn effective_on(&self) -> NaiveDate {
        self.0.effective_on
    }
    /// Reason.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Recorded at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A login account.
pub struct User(pub UserView);

#[Object]
impl User {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Login name.
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// Disabled accounts cannot log in.
    async fn disabled(&self) -> bool {
        self.0.disabled
    }
    /// Locked after failed logins until this instant.
    async fn locked_until(&self) -> Option<DateTime<Utc>> {
        self.0.locked_until
    }
    /// Last successful login.
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }
    /// Created at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The person the account belongs to.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(pid) = self.0.person_id else { return Ok(None) };
        Ok(ctx.data::<Loaders>()?.people.load_one(pid).await?.map(Person))
    }
    /// Role grants in force.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<RoleAssignment>> {
        let roles = ctx.data::<Loaders>()?.roles.load_one(self.0.id).await?.unwrap_or_default();
        Ok(roles.into_iter().map(RoleAssignment).collect())
    }
}

/// A role grant: a role, global or over an organisation subtree.
pub struct RoleAssignment(pub RoleAssignmentView);

#[Object]
impl RoleAssignment {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// The account holding it (id).
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    /// Subtree root id; null = everywhere.
    async fn organization_id(&self) -> Option<ID> {
        self.0.organization_id.map(|o| ID(o.to_string()))
    }
    /// Subtree root; null = everywhere (or outside your scope).
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(org) = self.0.organization_id else { return Ok(None) };
        Ok(ctx.data::<Loaders>()?.orgs.load_one(org).await?.map(Organization))
    }
    /// Granted at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A machine client (HR system, mobile backend).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ServiceClient {
    /// Internal id.
    pub id: ID,
    /// Public client id for the `client_credentials` grant.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Subtree root id the client may read; null = everything.
    pub organization_id: Option<ID>,
    /// Disabled clients get no tokens.
    pub disabled: bool,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

#[ComplexObject]
impl ServiceClient {
    /// Subtree root the client may read.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(id) = &self.organization_id else { return Ok(None) };
        Ok(ctx.data::<Loaders>()?.orgs.load_one(parse_id(id)?).await?.map(Organization))
    }
}

impl From<ServiceClientView> for ServiceClient {
    fn from(c: ServiceClientView) -> Self {
        ServiceClient {
            id: ID(c.id.to_string()),
            client_id: c.client_id,
            name: c.name,
            scopes: c.scopes,
            organization_id: c.organization_id.map(|o| ID(o.to_string())),
            disabled: c.disabled,
            last_used_at: c.last_used_at,
            created_at: c.created_at,
            version: c.version,
        }
    }
}

/// A created or re-keyed client with its secret, shown this once.
#[derive(SimpleObject)]
pub struct ServiceClientSecret {
    /// The client.
    pub client: ServiceClient,
    /// The secret: store it now, it is never shown again.
    pub client_secret: String,
}

impl From<ServiceClientWithSecret> for ServiceClientSecret {
    fn from(c: ServiceClientWithSecret) -> Self {
        ServiceClientSecret { client: c.client.into(), client_secret: c.client_secret }
    }
}

/// The caller: account or service client, person and role grants.
pub struct Me(pub services::auth::Me);

#[Object]
impl Me {
    /// `user` or `client`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The account, for users.
    async fn user(&self) -> Option<User> {
        self.0.user.clone().map(User)
    }
    /// The caller's person, if the account belongs to one.
    async fn person(&self) -> Option<Person> {
        self.0.person.clone().map(Person)
    }
    /// The client, for service clients.
    async fn client(&self) -> Option<ServiceClient> {
        self.0.client.clone().map(ServiceClient::from)
    }
    /// Role grants in force.
    async fn roles(&self) -> Vec<RoleAssignment> {
        self.0.roles.iter().cloned().map(RoleAssignment).collect()
    }
}

/// Lists organisations as a connection (shared by `organizations` and `Organization.children`).
pub(super) async fn org_list(
    ctx: &Context<'_>,
    filter: crate::services::organizations::OrganizationFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Organization>> {
    let s = super::state(ctx)?;
    let req = super::page(ctx, first, after.as_deref(), wants_total(ctx))?;
    let p = crate::services::organizations::list(&s.db, super::actor(ctx)?, &filter, req)
        .await
        .map_err(super::gql_error)?;
    Ok(connection(p, after.is_some(), |o| o.id, Organization))
}
