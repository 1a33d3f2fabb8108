//! Per-request DataLoaders. Each carries the request's [`Actor`] and calls the
//! services' batch functions, which apply the organisation scope, so a list of N items
//! with nested relations costs a constant number of SQL statements.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::gql_error;
use crate::auth::Actor;
use crate::services::{
    organizations::{self, OrganizationView},
    people::{self, PersonView},
    users::{self, RoleAssignmentView, UserView},
};

/// Shared parts of every loader.
#[derive(Clone)]
pub struct LoaderCtx {
    db: DatabaseConnection,
    actor: Actor,
}

/// Organisations by id.
pub struct OrgLoader(LoaderCtx);
/// People by id.
pub struct PersonLoader(LoaderCtx);
/// A person's account, by person id.
pub struct UserByPersonLoader(LoaderCtx);
/// An account's role grants, by account id.
pub struct RolesLoader(LoaderCtx);

impl Loader<Uuid> for OrgLoader {
    type Value = OrganizationView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = organizations::by_ids(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

impl Loader<Uuid> for PersonLoader {
    type Value = PersonView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = people::by_ids(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

impl Loader<Uuid> for UserByPersonLoader {
    type Value = UserView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        users::by_person_ids(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)
    }
}

impl Loader<Uuid> for RolesLoader {
    type Value = Vec<RoleAssignmentView>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        users::roles_of(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)
    }
}

/// The loaders of one request.
pub struct Loaders {
    /// Organisations by id.
    pub orgs: DataLoader<OrgLoader>,
    /// People by id.
    pub people: DataLoader<PersonLoader>,
    /// Accounts by person id.
    pub user_by_person: DataLoader<UserByPersonLoader>,
    /// Role grants by account id.
    pub roles: DataLoader<RolesLoader>,
}

impl Loaders {
    /// Fresh loaders for one request of `actor`.
    pub fn new(db: DatabaseConnection, actor: Actor) -> Self {
        let ctx = LoaderCtx { db, actor };
        Loaders {
            orgs: DataLoader::new(OrgLoader(ctx.clone()), tokio::spawn),
            people: DataLoader::new(PersonLoader(ctx.clone()), tokio::spawn),
            user_by_person: DataLoader::new(UserByPersonLoader(ctx.clone()), tokio::spawn),
            roles: DataLoader::new(RolesLoader(ctx), tokio::spawn),
        }
    }
}
