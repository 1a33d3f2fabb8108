//! One attempt to deliver a webhook event, kept as the subscription's delivery log.

use sea_orm::entity::prelude::*;

/// One attempt: the event (`event_id` is the `webhook-id` header, the same for every
/// attempt of one event), the payload sent, and how the receiver answered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subscription_id: Uuid,
    pub event_id: String,
    pub event_type: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub attempt: i32,
    pub manual: bool,
    pub succeeded: bool,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
