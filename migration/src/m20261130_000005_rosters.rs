//! Rosters by session kind: guests (列席) on a roster, kept whatever the rule says;
//! wrong check-in codes counted per roster entry (self check-in stops at a limit).
//! (Resyncing planned rosters uses the existing `study_session (organization_id,
//! held_at)` and `attendance (person_id)` indexes.)

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("attendance").add_column(boolean("guest").default(false)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table("attendance").add_column(integer("checkin_failures").default(0)).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("attendance").drop_column("checkin_failures").to_owned()).await?;
        manager.alter_table(Table::alter().table("attendance").drop_column("guest").to_owned()).await?;
        Ok(())
    }
}
