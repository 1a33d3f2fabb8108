//! A member of a committee term in a position (书记, 副书记, 组织委员, ...).

use sea_orm::entity::prelude::*;

/// One membership: a person in a position from `from_on` until `until_on` (exclusive;
/// null = to the end of the term).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub term_id: Uuid,
    pub person_id: Uuid,
    pub position: String,
    pub from_on: Date,
    pub until_on: Option<Date>,
    pub sort_order: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
