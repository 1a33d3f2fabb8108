//! How many sessions of a kind an organisation of a kind must hold per period.

use sea_orm::entity::prelude::*;

/// One norm: `period` is `month` or `quarter`; unique per (org_kind, session_kind).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_norm")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_kind: String,
    pub session_kind: String,
    pub period: String,
    pub required_count: i32,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
