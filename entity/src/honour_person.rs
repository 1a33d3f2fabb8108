//! A person credited with an honour (inventor, winner, drafter).

use sea_orm::entity::prelude::*;

/// A person credited with an honour (inventor, winner, drafter).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "honour_person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub honour_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    pub role: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
