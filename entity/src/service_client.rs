//! A machine client (HR system, mobile backend) authenticating with client credentials.

use sea_orm::entity::prelude::*;

/// One client. `secret_hash` is the SHA-256 of a 256-bit random secret shown once;
/// `scopes` is a JSON array of scope names; `organization_id` limits it to a subtree.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_client")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Json,
    pub organization_id: Option<Uuid>,
    pub disabled: bool,
    /// Copied into issued tokens; bumped on secret rotation and disabling to revoke them.
    pub token_version: i32,
    pub last_used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// The secret before the last rotation (SHA-256), accepted until
    /// `previous_secret_expires_at`.
    pub previous_secret_hash: Option<String>,
    /// When the previous secret stops working.
    pub previous_secret_expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
