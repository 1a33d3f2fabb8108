//! The single row of the token key epoch.

use sea_orm::entity::prelude::*;

/// Every access and refresh token carries the epoch it was issued in; bumping the
/// epoch (after a restore) invalidates every token issued before. `revocations`
/// counts revocations (a restored copy has fewer than the server last saw);
/// `fingerprint` identifies the physical database the row was last seen in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_epoch")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub epoch: i32,
    pub revocations: i64,
    pub fingerprint: Option<String>,
    pub bumped_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
