//! Intellectual property or an honour: `kind` patent / software_copyright / award / standard; the kind-specific columns (patent type, region, status, level, rank, standard role) are null where they do not apply.

use sea_orm::entity::prelude::*;

/// Intellectual property or an honour: `kind` patent / software_copyright / award / standard; the kind-specific columns (patent type, region, status, level, rank, standard role) are null where they do not apply. `dated_on` is the grant, registration, award or publication date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "honour")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub organization_id: Uuid,
    pub project_id: Option<Uuid>,
    pub title: String,
    pub number: Option<String>,
    pub patent_type: Option<String>,
    pub region: Option<String>,
    pub patent_status: Option<String>,
    pub level: Option<String>,
    pub award_rank: Option<String>,
    pub standard_role: Option<String>,
    pub dated_on: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
