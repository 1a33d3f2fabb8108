//! A person's study clock: up to when study time was credited, and how much today.

use sea_orm::entity::prelude::*;

/// Study time is credited against this clock, so one person is never credited more
/// than the time that really passed (whatever number of documents is open) nor more
/// than the daily limit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_clock")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    pub credited_until: DateTimeUtc,
    pub day: Date,
    pub day_seconds: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
