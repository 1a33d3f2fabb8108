//! Committees (党委委员会 / 总支委员会 / 支部委员会) in the GraphQL schema: terms (届) and
//! their members, `Organization.committee` and `Organization.committeeTerms`. The objects
//! and inputs are `services::committees`' own; this module holds the roots and the
//! relations.

use async_graphql::{ComplexObject, Context, ID, Object, Result};
use uuid::Uuid;

use super::loaders::Loaders;
use super::{actor, gql_error, parse_id, state};
use crate::services::{
    self,
    committees::{
        CommitteeMemberPatch, CommitteeMemberView, CommitteeTermPatch, CommitteeTermView, NewCommitteeMember,
        NewCommitteeTerm,
    },
    organizations::OrganizationView,
    people::PersonView,
};

#[ComplexObject]
impl CommitteeTermView {
    /// The organisation whose committee this is.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        ctx.data::<Loaders>()?.orgs.load_one(self.organization_id.0).await
    }
}

#[ComplexObject]
impl CommitteeMemberView {
    /// The person (null when outside your scope of people).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        ctx.data::<Loaders>()?.people.load_one(self.person_id.0).await
    }
}

/// `Organization.committee`: the organisation's current committee (batched).
pub(crate) async fn committee_of(ctx: &Context<'_>, organization_id: Uuid) -> Result<Option<CommitteeTermView>> {
    ctx.data::<Loaders>()?.committees.load_one(organization_id).await
}

/// `Organization.committeeTerms`: every term of the organisation's committee (batched).
pub(crate) async fn committee_terms_of(ctx: &Context<'_>, organization_id: Uuid) -> Result<Vec<CommitteeTermView>> {
    Ok(ctx.data::<Loaders>()?.committee_terms.load_one(organization_id).await?.unwrap_or_default())
}

/// Read operations on committees.
#[derive(Default)]
pub struct CommitteeQuery;

#[Object]
impl CommitteeQuery {
    /// One committee term with its members; NOT_FOUND when missing or outside your scope.
    async fn committee_term(&self, ctx: &Context<'_>, id: ID) -> Result<CommitteeTermView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::committees::get_term(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)
    }
}

/// Write operations on committees.
#[derive(Default)]
pub struct CommitteeMutation;

#[Object]
impl CommitteeMutation {
    /// Starts a new term of an organisation's committee (换届), with the members elected;
    /// the current term ends on the new term's first day.
    async fn start_committee_term(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        input: NewCommitteeTerm,
    ) -> Result<CommitteeTermView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::committees::start_term(&s.db, a, s.today, parse_id(&organization_id)?, input).await.map_err(gql_error)
    }
    /// Changes a committee term (number, a corrected first day, planned end, notes).
    async fn update_committee_term(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: CommitteeTermPatch,
    ) -> Result<CommitteeTermView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::committees::update_term(&s.db, a, s.today, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }
    /// Adds a member to a committee term.
    async fn add_committee_member(
        &self,
        ctx: &Context<'_>,
        term_id: ID,
        input: NewCommitteeMember,
    ) -> Result<CommitteeMemberView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::committees::add_member(&s.db, a, s.today, parse_id(&term_id)?, input).await.map_err(gql_error)
    }
    /// Changes a member (position, dates, order); a member who leaves gets `untilOn`.
    async fn update_committee_member(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: CommitteeMemberPatch,
    ) -> Result<CommitteeMemberView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::committees::update_member(&s.db, a, s.today, None, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }
    /// Removes a member entered by mistake; returns its id.
    async fn remove_committee_member(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::committees::remove_member(&s.db, a, s.today, None, parse_id(&id)?, expected_version)
            .await
            .map_err(gql_error)?;
        Ok(id)
    }
}
