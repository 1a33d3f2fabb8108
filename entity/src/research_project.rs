//! A research project; `party_group_id` is the party group built on it (党小组建在项目上).

use sea_orm::entity::prelude::*;

/// A research project; `party_group_id` is the party group built on it (党小组建在项目上). Budget in fen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "research_project")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub party_group_id: Option<Uuid>,
    pub code: String,
    pub title: String,
    pub level: String,
    pub leader_person_id: Option<Uuid>,
    pub budget_fen: i64,
    pub status: String,
    pub proposed_on: Date,
    pub started_on: Option<Date>,
    pub completed_on: Option<Date>,
    pub accepted_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
