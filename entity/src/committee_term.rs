//! A term (届) of an organisation's committee (党委委员会 / 总支委员会 / 支部委员会).

use sea_orm::entity::prelude::*;

/// One term. The term in office has `ended_on` null (at most one per organisation);
/// 换届 sets it to the next term's `started_on`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_term")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// 第N届.
    pub number: i32,
    pub started_on: Date,
    /// Planned end.
    pub ends_on: Option<Date>,
    /// Actual end (set by 换届).
    pub ended_on: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
