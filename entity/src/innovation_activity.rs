//! An event of a campaign (exchange meeting, lecture, training, promotion meeting, skills competition, model-worker selection).

use sea_orm::entity::prelude::*;

/// An event of a campaign (exchange meeting, lecture, training, promotion meeting, skills competition, model-worker selection).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "innovation_activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub held_on: Date,
    pub place: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
