//! Secret rotation with overlap: a service client's previous secret keeps working until
//! `previous_secret_expires_at` (`previous_secret_hash`, SHA-256 like `secret_hash`), so
//! an integration can switch to a new secret without an outage.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for mut col in
            [string_null("previous_secret_hash"), timestamp_with_time_zone_null("previous_secret_expires_at")]
        {
            manager.alter_table(Table::alter().table("service_client").add_column(&mut col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["previous_secret_expires_at", "previous_secret_hash"] {
            manager.alter_table(Table::alter().table("service_client").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
