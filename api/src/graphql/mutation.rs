//! The GraphQL mutation root. Changes carry `expectedVersion`; a stale one is CONFLICT.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;

use super::types::{
    OrgKind, Organization, PartyStatus, Person, Role, RoleAssignment, ServiceClient, ServiceClientSecret, User,
};
use super::{actor, gql_error, parse_id, state};
use crate::services::{
    self,
    organizations::{NewOrganization, OrganizationPatch},
    people::{NewPerson, PersonPatch, TransferInput},
    service_clients::{NewServiceClient, ServiceClientPatch},
    users::{NewRoleAssignment, NewUser},
};

/// Write operations of the foundation.
#[derive(Default)]
pub struct CoreMutation;

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Parent; omit only for a new root committee (administrators).
    pub parent_id: Option<ID>,
    /// Full name (1–100 characters).
    pub name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Kind; must fit under the parent's kind.
    pub kind: OrgKind,
    /// Order among siblings.
    pub sort_order: Option<i32>,
    /// Date established.
    pub established_on: Option<NaiveDate>,
}

/// Changes to an organisation (only the fields given change).
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// Full name.
    pub name: Option<String>,
    /// Short name (empty clears it).
    pub short_name: Option<String>,
    /// Order among siblings.
    pub sort_order: Option<i32>,
    /// Date established.
    pub established_on: Option<NaiveDate>,
}

/// A new person.
#[derive(InputObject)]
pub struct CreatePersonInput {
    /// Primary organisation.
    pub organization_id: ID,
    /// Name.
    pub name: String,
    /// Employee number (unique).
    pub employee_no: String,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Party status (default NONE).
    pub party_status: Option<PartyStatus>,
    /// Date joined the party.
    pub joined_party_on: Option<NaiveDate>,
    /// Position.
    pub position: Option<String>,
    /// Leadership-team member.
    #[graphql(default)]
    pub is_leadership: bool,
    /// Technical backbone.
    #[graphql(default)]
    pub is_tech_backbone: bool,
    /// Model worker.
    #[graphql(default)]
    pub is_model_worker: bool,
}

/// Changes to a person (only the fields given change).
#[derive(InputObject)]
pub struct UpdatePersonInput {
    /// Name.
    pub name: Option<String>,
    /// Employee number.
    pub employee_no: Option<String>,
    /// Phone (empty clears it).
    pub phone: Option<String>,
    /// E-mail (empty clears it).
    pub email: Option<String>,
    /// Party status.
    pub party_status: Option<PartyStatus>,
    /// Date joined the party.
    pub joined_party_on: Option<NaiveDate>,
    /// Position (empty clears it).
    pub position: Option<String>,
    /// Leadership-team member.
    pub is_leadership: Option<bool>,
    /// Technical backbone.
    pub is_tech_backbone: Option<bool>,
    /// Model worker.
    pub is_model_worker: Option<bool>,
}

/// A transfer to another organisation.
#[derive(InputObject)]
pub struct TransferPersonInput {
    /// The receiving organisation.
    pub to_organization_id: ID,
    /// Effective date (default today).
    pub effective_on: Option<NaiveDate>,
    /// Reason.
    pub reason: Option<String>,
}

/// A new account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Login name.
    pub username: String,
    /// Initial password.
    pub password: String,
    /// The person the account is for.
    pub person_id: Option<ID>,
}

/// A role grant.
#[derive(InputObject)]
pub struct AssignRoleInput {
    /// The account.
    pub user_id: ID,
    /// The role.
    pub role: Role,
    /// Subtree root; omit for a global grant (administrators).
    pub organization_id: Option<ID>,
}

/// A new service client.
#[derive(InputObject)]
pub struct CreateServiceClientInput {
    /// Display name.
    pub name: String,
    /// Scopes: organizations:read, people:read, personal_data.
    pub scopes: Vec<String>,
    /// Subtree the client may read; omit for everything.
    pub organization_id: Option<ID>,
}

/// Changes to a service client.
#[derive(InputObject)]
pub struct UpdateServiceClientInput {
    /// Name.
    pub name: Option<String>,
    /// Scopes (replace the old ones).
    pub scopes: Option<Vec<String>>,
    /// Disable or re-enable.
    pub disabled: Option<bool>,
}

fn opt_id(id: Option<ID>) -> Result<Option<uuid::Uuid>> {
    id.as_ref().map(parse_id).transpose()
}

#[Object]
impl CoreMutation {
    /// Creates an organisation under a parent you manage.
    async fn create_organization(&self, ctx: &Context<'_>, input: CreateOrganizationInput) -> Result<Organization> {
        actor(ctx)?;
        let s = state(ctx)?;
        let new = NewOrganization {
            parent_id: opt_id(input.parent_id)?,
            name: input.name,
            short_name: input.short_name,
            kind: input.kind,
            sort_order: input.sort_order,
            established_on: input.established_on,
        };
        Ok(Organization(services::organizations::create(&s.db, actor(ctx)?, new).await.map_err(gql_error)?))
    }

    /// Renames or re-orders an organisation.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateOrganizationInput,
    ) -> Result<Organization> {
        let s = state(ctx)?;
        let patch = OrganizationPatch {
            name: input.name,
            short_name: input.short_name,
            sort_order: input.sort_order,
            established_on: input.established_on,
        };
        let org = services::organizations::update(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, patch)
            .await
            .map_err(gql_error)?;
        Ok(Organization(org))
    }

    /// Moves an organisation and its subtree under a new parent.
    async fn move_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        parent_id: ID,
    ) -> Result<Organization> {
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
        Ok(Organization(org))
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
    async fn create_person(&self, ctx: &Context<'_>, input: CreatePersonInput) -> Result<Person> {
        actor(ctx)?;
        let s = state(ctx)?;
        let new = NewPerson {
            organization_id: parse_id(&input.organization_id)?,
            name: input.name,
            employee_no: input.employee_no,
            phone: input.phone,
            email: input.email,
            party_status: input.party_status,
            joined_party_on: input.joined_party_on,
            position: input.position,
            is_leadership: input.is_leadership,
            is_tech_backbone: input.is_tech_backbone,
            is_model_worker: input.is_model_worker,
        };
        Ok(Person(services::people::create(&s.db, actor(ctx)?, new).await.map_err(gql_error)?))
    }

    /// Updates a person you manage.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdatePersonInput,
    ) -> Result<Person> {
        let s = state(ctx)?;
        let patch = PersonPatch {
            name: input.name,
            employee_no: input.employee_no,
            phone: input.phone,
            email: input.email,
            party_status: input.party_status,
            joined_party_on: input.joined_party_on,
            position: input.position,
            is_leadership: input.is_leadership,
            is_tech_backbone: input.is_tech_backbone,
            is_model_worker: input.is_model_worker,
        };
        let p = services::people::update(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, patch)
            .await
            .map_err(gql_error)?;
        Ok(Person(p))
    }

    /// Transfers a person to another organisation, keeping the history.
    async fn transfer_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: TransferPersonInput,
    ) -> Result<Person> {
        actor(ctx)?;
        let s = state(ctx)?;
        let t = TransferInput {
            to_organization_id: parse_id(&input.to_organization_id)?,
            effective_on: input.effective_on,
            reason: input.reason,
        };
        let p = services::people::transfer(&s.db, actor(ctx)?, s.today, parse_id(&id)?, expected_version, t)
            .await
            .map_err(gql_error)?;
        Ok(Person(p))
    }

    /// Creates an account for a person.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        actor(ctx)?;
        let s = state(ctx)?;
        let new = NewUser { username: input.username, password: input.password, person_id: opt_id(input.person_id)? };
        Ok(User(services::users::create(&s.db, actor(ctx)?, &s.policy.passwords, new).await.map_err(gql_error)?))
    }

    /// Disables (revoking its tokens) or re-enables an account.
    async fn set_user_disabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        disabled: bool,
    ) -> Result<User> {
        let s = state(ctx)?;
        let u = services::users::set_disabled(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, disabled)
            .await
            .map_err(gql_error)?;
        Ok(User(u))
    }

    /// Sets a new password for an account; revokes its tokens.
    async fn reset_user_password(&self, ctx: &Context<'_>, id: ID, password: String) -> Result<User> {
        let s = state(ctx)?;
        let u = services::users::reset_password(&s.db, actor(ctx)?, &s.policy.passwords, parse_id(&id)?, password)
            .await
            .map_err(gql_error)?;
        Ok(User(u))
    }

    /// Revokes every token of an account.
    async fn revoke_user_tokens(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let s = state(ctx)?;
        Ok(User(services::users::revoke_tokens(&s.db, actor(ctx)?, parse_id(&id)?).await.map_err(gql_error)?))
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
    async fn assign_role(&self, ctx: &Context<'_>, input: AssignRoleInput) -> Result<RoleAssignment> {
        actor(ctx)?;
        let s = state(ctx)?;
        let new = NewRoleAssignment {
            user_id: parse_id(&input.user_id)?,
            role: input.role.into(),
            organization_id: opt_id(input.organization_id)?,
        };
        Ok(RoleAssignment(services::users::assign_role(&s.db, actor(ctx)?, new).await.map_err(gql_error)?))
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
        input: CreateServiceClientInput,
    ) -> Result<ServiceClientSecret> {
        actor(ctx)?;
        let s = state(ctx)?;
        let new = NewServiceClient {
            name: input.name,
            scopes: input.scopes,
            organization_id: opt_id(input.organization_id)?,
        };
        Ok(services::service_clients::create(&s.db, actor(ctx)?, new).await.map_err(gql_error)?.into())
    }

    /// Renames, re-scopes, disables or re-enables a service client.
    async fn update_service_client(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateServiceClientInput,
    ) -> Result<ServiceClient> {
        let s = state(ctx)?;
        let patch = ServiceClientPatch { name: input.name, scopes: input.scopes, disabled: input.disabled };
        let c = services::service_clients::update(&s.db, actor(ctx)?, parse_id(&id)?, expected_version, patch)
            .await
            .map_err(gql_error)?;
        Ok(c.into())
    }

    /// Replaces a service client's secret.
    async fn rotate_service_client_secret(&self, ctx: &Context<'_>, id: ID) -> Result<ServiceClientSecret> {
        let s = state(ctx)?;
        Ok(services::service_clients::rotate_secret(&s.db, actor(ctx)?, parse_id(&id)?)
            .await
            .map_err(gql_error)?
            .into())
    }
}
