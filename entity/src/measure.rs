//! An implementation measure (贯彻落实措施): an action decided to carry out what was
//! studied, from a session, a supervision item or a campaign.

use sea_orm::entity::prelude::*;

/// One measure. `source_kind` / `source_id` point at its origin (no foreign key: the
/// sources live in several tables); `status` is todo / in_progress / done / cancelled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "measure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub source_kind: String,
    pub source_id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub owner_person_id: Uuid,
    pub due_on: Date,
    pub status: String,
    pub completed_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
