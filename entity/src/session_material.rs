//! A document studied in a session. `document_id` is a plain UUID without a foreign
//! key: the documents table belongs to the knowledge-base area.

use sea_orm::entity::prelude::*;

/// One (session, document) pair.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_material")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: Uuid,
    pub created_at: DateTimeUtc,
    /// Place in the listed order, from 0.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
