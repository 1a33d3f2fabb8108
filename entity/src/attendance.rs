//! Who was expected at a session and who came.

use sea_orm::entity::prelude::*;

/// One roster entry: `status` is expected / present / late / leave / absent,
/// `method` how it was recorded (`code`: check-in with the rotating code, `self`:
/// check-in without one, `recorder`); `latitude`, `longitude` the position a check-in
/// was made from, when one was sent.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
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
    /// A guest (列席) added by the organiser, kept whatever the roster rule says.
    pub guest: bool,
    /// Wrong check-in codes entered so far (self check-in stops at a limit).
    pub checkin_failures: i32,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
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
    #[sea_orm(belongs_to = "super::person::Entity", from = "Column::PersonId", to = "super::person::Column::Id")]
    Person,
}

impl Related<super::study_session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
