//! R&D expenditure (研发经费) of an organisation (and optionally a project) in a month; `period_start` is the month's first day.

use sea_orm::entity::prelude::*;

/// R&D expenditure (研发经费) of an organisation (and optionally a project) in a month; `period_start` is the month's first day. Amount in fen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rd_expenditure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub project_id: Option<Uuid>,
    pub period_start: Date,
    pub amount_fen: i64,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
