//! A progress update on a measure, optionally changing its status.

use sea_orm::entity::prelude::*;

/// One update, kept forever.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "measure_update")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub measure_id: Uuid,
    pub author_person_id: Option<Uuid>,
    pub author_user_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub status_from: Option<String>,
    pub status_to: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
