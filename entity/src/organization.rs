//! A node of the party organisation tree (党委 / 党总支 / 党支部 / 党小组).

use sea_orm::entity::prelude::*;

/// One organisation. `path` is the materialised path of ids from the root,
/// `/root-id/child-id/.../own-id/`, so a subtree is one range scan.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: String,
    pub path: String,
    pub depth: i32,
    pub sort_order: i32,
    pub established_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
