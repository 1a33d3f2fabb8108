//! An inspection round (巡察) over an organisation subtree.

use sea_orm::entity::prelude::*;

/// One inspection; `status` is planned / in_progress / finished.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub focus: String,
    pub lead_inspector_person_id: Option<Uuid>,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
