//! A team member of an achievement (the lead is on the achievement itself).

use sea_orm::entity::prelude::*;

/// A team member of an achievement (the lead is on the achievement itself).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "achievement_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub achievement_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    pub role: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
