//! PostgreSQL: a GIN index over the title part of the search vector (the lexemes of
//! weight A), so searches rank the few title matches first without reading every
//! matching row's full vector. SQLite's FTS5 filters by column without a new index.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX ix_search_entry_title ON search_entry USING GIN (ts_filter(tsv, '{a}'))",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP INDEX IF EXISTS ix_search_entry_title").await?;
        }
        Ok(())
    }
}
