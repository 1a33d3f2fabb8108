//! A party member or employee known to the system.

use sea_orm::entity::prelude::*;

/// One person. `employee_no` is the key HR systems match on; `phone` and `email`
/// are personal data whose visibility the services decide. A person who left keeps
/// their row (`left_on` set): people are never deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub employee_no: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub party_status: String,
    pub joined_party_on: Option<Date>,
    pub position: Option<String>,
    pub is_leadership: bool,
    pub is_tech_backbone: bool,
    pub is_model_worker: bool,
    /// The day the person left (调出, 离职, 退休, 出党, 去世, 停止党籍); null while active.
    pub left_on: Option<Date>,
    /// How the person left (`services::people::DepartureKind`); null while active.
    pub departure_kind: Option<String>,
    /// Why the person left; null while active.
    pub departure_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
