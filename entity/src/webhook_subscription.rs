//! A webhook subscription: the changes feed delivered by HTTP POST to `url`.

use sea_orm::entity::prelude::*;

/// One subscription. `service_client_id` is the client it delivers for (its scopes and
/// subtree decide what it sees), null for one an administrator made (everything);
/// `cursor` is its position in the changes feed; `secret` signs its deliveries.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscription")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub event_types: Json,
    pub secret: String,
    pub service_client_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    pub cursor: String,
    pub failures: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub lease_until: Option<DateTimeUtc>,
    pub lease_owner: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
