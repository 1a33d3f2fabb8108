//! One step in the trail of a supervision item: a comment, a plan, evidence or a status change.

use sea_orm::entity::prelude::*;

/// One update, kept forever.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_item_update")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub author_person_id: Option<Uuid>,
    pub author_user_id: Option<Uuid>,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub status_from: Option<String>,
    pub status_to: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
