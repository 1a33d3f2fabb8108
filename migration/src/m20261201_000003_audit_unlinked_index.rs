//! A partial index of the audit records not yet linked into the chain (`seq IS NULL`).
//!
//! The chainer asks "is anything pending?" several times a second. The unique index on
//! `seq` could answer, but PostgreSQL's statistics still counted the unlinked rows of the
//! last write burst long after they were linked, so it scanned the whole table instead
//! (12 ms per poll at 26,000 records, growing with the log). This index holds only the
//! pending records: empty when the chain is up to date, whatever the log's size.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial indexes: the same statement on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_audit_event_unlinked ON audit_event (id) WHERE seq IS NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX ix_audit_event_unlinked").await?;
        Ok(())
    }
}
