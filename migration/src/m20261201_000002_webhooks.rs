//! Webhooks: subscriptions to the changes feed delivered by HTTP POST, and their
//! delivery log.
//!
//! A subscription is a consumer of the changes feed with a cursor of its own (`cursor`,
//! a feed cursor): the audit records the changes wrote in their own transactions are the
//! outbox. A replica takes a due subscription by a lease (`lease_until`, `lease_owner`,
//! set by a conditional update, so one replica delivers it at a time); `failures` counts
//! failed attempts in a row and `next_attempt_at` is when to try again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_subscription")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("url"))
                    .col(json("event_types"))
                    .col(string("secret"))
                    .col(uuid_null("service_client_id"))
                    .col(uuid_null("created_by"))
                    .col(boolean("disabled").default(false))
                    .col(string_null("disabled_reason"))
                    .col(string("cursor"))
                    .col(integer("failures").default(0))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(string_null("lease_owner"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_subscription", "service_client_id")
                            .to("service_client", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_subscription_due")
                    .table("webhook_subscription")
                    .col("disabled")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_subscription_client")
                    .table("webhook_subscription")
                    .col("service_client_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_delivery")
                    .col(big_pk_auto("id"))
                    .col(uuid("subscription_id"))
                    .col(string("event_id"))
                    .col(string("event_type"))
                    .col(text("payload"))
                    .col(integer("attempt"))
                    .col(boolean("manual").default(false))
                    .col(boolean("succeeded"))
                    .col(integer_null("status_code"))
                    .col(string_null("error"))
                    .col(integer("duration_ms"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_delivery", "subscription_id")
                            .to("webhook_subscription", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_delivery_subscription_id")
                    .table("webhook_delivery")
                    .col("subscription_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("webhook_delivery").to_owned()).await?;
        manager.drop_table(Table::drop().table("webhook_subscription").to_owned()).await?;
        Ok(())
    }
}
