//! A supervision item (巡察发现问题): a problem an organisation must rectify (整改).

use sea_orm::entity::prelude::*;

/// One item; `status` is open / rectifying / submitted / verified.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub inspection_id: Option<Uuid>,
    pub organization_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub category: String,
    pub severity: String,
    pub responsible_person_id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    pub rectification_plan: Option<String>,
    pub due_on: Date,
    pub status: String,
    pub opened_on: Date,
    pub closed_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
