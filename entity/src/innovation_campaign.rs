//! A yearly Technology Innovation Year campaign (科技创新年) run by an organisation; `status` is planned / running / closed.

use sea_orm::entity::prelude::*;

/// A yearly Technology Innovation Year campaign (科技创新年) run by an organisation; `status` is planned / running / closed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "innovation_campaign")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub title: String,
    pub theme: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub goals: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
