//! Security hardening:
//! - `reading_record.opened_at` and `study_clock`: study time the server can vouch for
//!   (credited from server-side timestamps, never more than the time that passed, at
//!   most a daily limit per person);
//! - `auth_epoch` and `refresh_token.epoch`: a key epoch every token carries, bumped
//!   when the database is restored, so revocations made after a backup survive it;
//! - `audit_event.source_address`, `user_agent`, `acting_role`: where a change came
//!   from and in which role;
//! - `idempotency_key`: the first answer to a POST with an `Idempotency-Key`, replayed
//!   for a retry with the same key and body (across replicas: the key is unique).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reading_record")
                    .add_column(timestamp_with_time_zone_null("opened_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("study_clock")
                    .col(pk_uuid("person_id"))
                    .col(timestamp_with_time_zone("credited_until"))
                    .col(date("day"))
                    .col(big_integer("day_seconds"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("auth_epoch")
                    .col(integer("id").primary_key())
                    .col(integer("epoch"))
                    .col(big_integer("revocations"))
                    .col(string_null("fingerprint"))
                    .col(timestamp_with_time_zone_null("bumped_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("auth_epoch")
                    .columns(["id", "epoch", "revocations"])
                    .values_panic([1.into(), 1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("refresh_token").add_column(integer("epoch").default(1)).to_owned())
            .await?;
        // SQLite adds one column per statement.
        for col in [string_null("source_address"), string_null("user_agent"), string_null("acting_role")] {
            let mut col = col;
            manager.alter_table(Table::alter().table("audit_event").add_column(&mut col).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("idempotency_key")
                    .col(string("principal"))
                    .col(string("key"))
                    .col(string("method"))
                    .col(string("path"))
                    .col(string("body_hash"))
                    .col(integer_null("status"))
                    .col(string_null("content_type"))
                    .col(json_null("headers"))
                    .col(blob_null("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("principal").col("key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_key_created_at")
                    .table("idempotency_key")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("idempotency_key").to_owned()).await?;
        for col in ["acting_role", "user_agent", "source_address"] {
            manager.alter_table(Table::alter().table("audit_event").drop_column(col).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("refresh_token").drop_column("epoch").to_owned()).await?;
        manager.drop_table(Table::drop().table("auth_epoch").to_owned()).await?;
        manager.drop_table(Table::drop().table("study_clock").to_owned()).await?;
        manager.alter_table(Table::alter().table("reading_record").drop_column("opened_at").to_owned()).await?;
        Ok(())
    }
}
