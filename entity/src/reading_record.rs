//! A person's study record of one document (学习记录).

use sea_orm::entity::prelude::*;

/// First and last read, time spent and completion of one document by one person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reading_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub person_id: Uuid,
    pub first_read_at: DateTimeUtc,
    pub last_read_at: DateTimeUtc,
    pub seconds_spent: i64,
    pub completed: bool,
    pub completed_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
