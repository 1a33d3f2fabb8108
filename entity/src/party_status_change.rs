//! A person's dated party-status history (申请入党 → 积极分子 → 发展对象 → 预备党员 → 正式党员).

use sea_orm::entity::prelude::*;

/// One change of a person's party status, kept forever. The person's current status
/// is the one of their latest entry (by `effective_on`, then by id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "party_status_change")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    /// The status before this change (null for a person's first entry).
    pub previous_status: Option<String>,
    /// The status from `effective_on` on.
    pub status: String,
    pub effective_on: Date,
    pub note: Option<String>,
    /// Whether the change is a correction rather than the next step of the standard order.
    pub is_correction: bool,
    /// The account that recorded it (null for the system and for migrated rows).
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
