//! The hash chain over the audit trail: every `audit_event` gets a gap-free sequence
//! number, the previous record's hash and its own hash; a single-row head table holds
//! the last sequence and hash and serialises appends (its row is updated first in every
//! writing transaction, which takes the row lock on PostgreSQL; SQLite write
//! transactions hold the database write lock).
//!
//! Records written before this migration keep a null sequence here; the server chains
//! them in id order when it starts (`services::audit::chain_backlog`, run right after the
//! migrations), before any new record is appended.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash the first record links to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [big_integer_null("seq"), string_null("prev_hash"), string_null("hash")] {
            let mut col = col;
            manager.alter_table(Table::alter().table("audit_event").add_column(&mut col).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create().name("ux_audit_event_seq").table("audit_event").col("seq").unique().to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_audit_event_action").table("audit_event").col("action").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_chain_head")
                    .col(integer("id").primary_key())
                    .col(big_integer("seq"))
                    .col(string("hash"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_chain_head")
                    .columns(["id", "seq", "hash"])
                    .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("audit_chain_head").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_audit_event_action").table("audit_event").to_owned()).await?;
        manager.drop_index(Index::drop().name("ux_audit_event_seq").table("audit_event").to_owned()).await?;
        for col in ["hash", "prev_hash", "seq"] {
            manager.alter_table(Table::alter().table("audit_event").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
