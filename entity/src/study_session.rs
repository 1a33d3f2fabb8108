//! A "first topic" study session (第一议题学习): a meeting whose first agenda item
//! studies the latest important speeches and instructions.

use sea_orm::entity::prelude::*;

/// One session. `kind`, `status`, `checkin_mode` are stored as text and validated by
/// the services; the check-in window is `[checkin_opens_at, checkin_closes_at]`.
/// `checkin_secret` (hex of 32 random bytes) keys the rotating check-in code and is
/// never shown; `latitude`, `longitude`, `radius_m` are the optional geofence (all or
/// none).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "study_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub is_first_topic: bool,
    pub topic: String,
    pub held_at: DateTimeUtc,
    pub place: Option<String>,
    pub host_person_id: Option<Uuid>,
    pub recorder_person_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub minutes: Option<String>,
    pub status: String,
    pub checkin_opens_at: DateTimeUtc,
    pub checkin_closes_at: DateTimeUtc,
    pub checkin_mode: String,
    pub checkin_secret: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub radius_m: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
