//! A knowledge-base document, one row per revision.

use sea_orm::entity::prelude::*;

/// One revision of a document. Revisions of the same document share `lineage_id`;
/// a superseded revision points to its successor with `superseded_by`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lineage_id: Uuid,
    pub revision: i32,
    pub kind: String,
    pub title: String,
    pub issuing_body: Option<String>,
    pub issued_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub organization_id: Uuid,
    pub visibility: String,
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub superseded_by: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
