//! A target a campaign tracks.

use sea_orm::entity::prelude::*;

/// A target a campaign tracks. `metric` names a figure the system computes (then `manual_actual` is unused); without it the actual is typed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_indicator")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub name: String,
    pub unit: String,
    pub target: i64,
    pub metric: Option<String>,
    pub manual_actual: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
