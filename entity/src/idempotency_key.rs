//! Stored first answers of POST requests sent with an `Idempotency-Key`.

use sea_orm::entity::prelude::*;

/// One key of one caller: the request it was first used with (method, path, body
/// hash) and, once finished, the answer (`status` null while the first request runs).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub principal: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub method: String,
    pub path: String,
    pub body_hash: String,
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub headers: Option<Json>,
    pub body: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
