//! The GraphQL mutation root. Changes carry `expectedVersion`; a stale one is CONFLICT.

use async_graphql::{Context, ID, Object, Result};

use super::{actor, gql_error, parse_id, state};
use crate::services::{
    self,
    organizations::{NewOrganization, OrganizationPatch, OrganizationView},
    people::{DepartureInput, NewPerson, PartyStatusInput, PersonPatch, PersonUpsert, PersonView, TransferInput},
    service_clients::{NewServiceClient, RotateSecret, ServiceClientPatch, ServiceClientView, ServiceClientWithSecret},
    users::{NewRoleAssignment, NewUser, RoleAssignmentView, UserView},
};

/// What `upsertPerson` did.
#[derive(async_graphql::SimpleObject)]
pub struct UpsertedPerson {
    /// The person as they are now.
    pub person: PersonView,
    /// Whether the person was created (else updated, or already as given).
    pub created: bool,
}

/// Write operations of the foundation.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Creates an organisation under a parent you manage.
    async fn create_organization(&self, ctx: &Context<'_>, input: NewOrganization) -> Result<OrganizationView> {
        actor(ctx)?;
        let s = state(ctx)?;
        services::organizations::create(&s.db, actor(ctx)?, input).await.map_err(gql_error)
    }

    /// Renames or re-orders an organisation.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: OrganizationPatch,
    ) -> Result<OrganizationView> {
        let s = state(ctx)?;
        let org = services::organizations::update(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)?;
        Ok(org)
    }

    /// Moves an organisation and its subtree under a new parent.
    async fn move_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        parent_id: ID,
    ) -> Result<OrganizationView> {
        actor(ctx)?;
        let s = state(ctx)?;
        let org = services::organizations::move_to(
            &s.db,
            actor(ctx)?,
            parse_id(&id)?,
            expected_version,
            parse_id(&parent_id)?,
        )
        .await
        .map_err(gql_error)?;
        Ok(org)
    }

    /// Deletes an empty organisation; returns its id.
    async fn delete_organization(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let s = state(ctx)?;
        services::organizations::delete(&s.db, actor(ctx)?, parse_id(&id)?, expected_version)
            .await
            .map_err(gql_error)?;
        Ok(id)
    }

    /// Creates a person in an organisation you manage.
    async fn create_person(&self, ctx: &Context<'_>, input: NewPerson) -> Result<PersonView> {
        actor(ctx)?;
        let s = state(ctx)?;
        services::people::create_on(&s.db, actor(ctx)?, s.today, input).await.map_err(gql_error)
    }

    /// Creates or updates the person with this employee number: the write an HR system
    /// makes for each person it holds. Fields left out keep their value on an existing
    /// person; `expectedVersion` (optional) makes the update conditional. A person in
    /// another organisation is a CONFLICT (record a transfer). Service clients need the
    /// `people:write` scope.
    async fn upsert_person(
        &self,
        ctx: &Context<'_>,
        employee_no: String,
        expected_version: Option<i32>,
        input: PersonUpsert,
    ) -> Result<UpsertedPerson> {
        let s = state(ctx)?;
        let up =
            services::people::upsert_by_employee_no(&s.db, actor(ctx)?, s.today, &employee_no, expected_version, input)
                .await
                .map_err(gql_error)?;
        Ok(UpsertedPerson { person: up.person, created: up.created })
    }

    /// Updates a person you manage. `partyStatus` may only move to the next step of the
    /// standard order (effective today); use `changePartyStatus` for other changes.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: PersonPatch,
    ) -> Result<PersonView> {
        let s = state(ctx)?;
        let p = services::people::update_on(&s.db, actor(ctx)?, s.today, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)?;
        Ok(p)
    }

    /// Changes a person's party status and records it in the history: the next step of
    /// the standard order, or a correction with a note.
    async fn change_party_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: PartyStatusInput,
    ) -> Result<PersonView> {
        let s = state(ctx)?;
        services::people::change_party_status(&s.db, actor(ctx)?, s.today, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Records that a person left (调出, 离职, 退休, 出党, 去世, 停止党籍); the person stays, marked ended.
    async fn record_departure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: DepartureInput,
    ) -> Result<PersonView> {
        let s = state(ctx)?;
        services::people::record_departure(&s.db, actor(ctx)?, s.today, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Undoes a departure recorded by mistake: the person is active again.
    async fn reinstate_person(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<PersonView> {
        let s = state(ctx)?;
        services::people::reinstate(&s.db, actor(ctx)?, parse_id(&id)?, expected_version).await.map_err(gql_error)
    }

    /// Transfers a person to another organisation, keeping the history.
    async fn transfer_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: TransferInput,
    ) -> Result<PersonView> {
        actor(ctx)?;
        let s = state(ctx)?;
        let p = services::people::transfer(&s.db, actor(ctx)?, s.today, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)?;
        Ok(p)
    }

    /// Creates an account for a person.
    async fn create_user(&self, ctx: &Context<'_>, input: NewUser) -> Result<UserView> {
        actor(ctx)?;
        let s = state(ctx)?;
        services::users::create(&s.db, actor(ctx)?, &s.policy.passwords, input).await.map_err(gql_error)
    }

    /// Disables (revoking its tokens) or re-enables an account.
    async fn set_user_disabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        disabled: bool,
    ) -> Result<UserView> {
        let s = state(ctx)?;
        let u = services::users::set_disabled(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, disabled)
            .await
            .map_err(gql_error)?;
        Ok(u)
    }

    /// Sets a new password for an account; revokes its tokens.
    async fn reset_user_password(&self, ctx: &Context<'_>, id: ID, password: String) -> Result<UserView> {
        let s = state(ctx)?;
        let u = services::users::reset_password(&s.db, actor(ctx)?, &s.policy.passwords, parse_id(&id)?, password)
            .await
            .map_err(gql_error)?;
        Ok(u)
    }

    /// Revokes every token of an account.
    async fn revoke_user_tokens(&self, ctx: &Context<'_>, id: ID) -> Result<UserView> {
        let s = state(ctx)?;
        services::users::revoke_tokens(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Changes your own password; signs you out everywhere.
    async fn change_my_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let s = state(ctx)?;
        services::users::change_own_password(&s.db, actor(ctx)?, &s.policy, current_password, new_password)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Grants a role (org_admins: org_admin or member, inside their subtree).
    async fn assign_role(&self, ctx: &Context<'_>, input: NewRoleAssignment) -> Result<RoleAssignmentView> {
        actor(ctx)?;
        let s = state(ctx)?;
        services::users::assign_role(&s.db, actor(ctx)?, input).await.map_err(gql_error)
    }

    /// Revokes a role grant; returns its id.
    async fn revoke_role(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let s = state(ctx)?;
        services::users::revoke_role(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)?;
        Ok(id)
    }

    /// Creates a service client; the answer holds its secret, shown once.
    async fn create_service_client(
        &self,
        ctx: &Context<'_>,
        input: NewServiceClient,
    ) -> Result<ServiceClientWithSecret> {
        actor(ctx)?;
        let s = state(ctx)?;
        services::service_clients::create(&s.db, actor(ctx)?, input).await.map_err(gql_error)
    }

    /// Renames, re-scopes, disables or re-enables a service client.
    async fn update_service_client(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ServiceClientPatch,
    ) -> Result<ServiceClientView> {
        let s = state(ctx)?;
        services::service_clients::update(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Replaces a service client's secret. The replaced one keeps working for
    /// `input.graceSeconds` (default: the server's setting, 24 hours; 0 ends it at once);
    /// tokens already issued stay valid until they expire unless `input.revokeTokens`.
    async fn rotate_service_client_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: Option<RotateSecret>,
    ) -> Result<ServiceClientWithSecret> {
        let s = state(ctx)?;
        let grace = s.policy.client_secret_grace_secs;
        services::service_clients::rotate_secret(&s.db, actor(ctx)?, grace, parse_id(&id)?, input.unwrap_or_default())
            .await
            .map_err(gql_error)
    }
}
