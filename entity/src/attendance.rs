//! Who was expected at a session and who came.

use sea_orm::entity::prelude::*;

/// One roster entry: `status` is expected / present / late / leave / absent,
/// `method` how it was recorded (`self` check-in or `recorder`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub person_id: Uuid,
    pub status: String,
    pub reason: Option<String>,
    pub checked_in_at: Option<DateTimeUtc>,
    pub method: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::study_session::Entity",
        from = "Column::SessionId",
        to = "super::study_session::Column::Id"
    )]
    Session,
}

impl Related<super::study_session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
