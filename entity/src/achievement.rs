//! A "five small" innovation achievement (五小创新创效).

use sea_orm::entity::prelude::*;

/// A "five small" innovation achievement (五小创新创效). Money in fen; `status` is submitted / under_review / accepted / rejected / awarded / promoted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "achievement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub category: String,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub lead_person_id: Uuid,
    pub submitted_by_person_id: Option<Uuid>,
    pub submitted_by_user_id: Option<Uuid>,
    pub submitted_on: Date,
    pub benefit_fen: i64,
    pub reward_fen: Option<i64>,
    pub status: String,
    pub reviewer_person_id: Option<Uuid>,
    pub reviewer_user_id: Option<Uuid>,
    pub rejection_reason: Option<String>,
    pub decided_on: Option<Date>,
    pub awarded_on: Option<Date>,
    pub promoted_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
