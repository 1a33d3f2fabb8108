//! Webhook subscriptions in the GraphQL schema (`services::webhooks`).

use async_graphql::{Context, ID, Object, Result};

use super::{actor, gql_error, parse_id, state};
use crate::services::{
    self,
    pagination::PageRequest,
    webhooks::{DeliveryView, NewWebhook, WebhookPatch, WebhookView, WebhookWithSecret},
};

/// Read operations of webhooks.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Webhook subscriptions (administrators: all; a service client: its own), in
    /// creation order: `first` (1–100, default 20) after the cursor `after`.
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        after: Option<String>,
    ) -> Result<Vec<WebhookView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let page = PageRequest::parse(first, after.as_deref(), "first", "after").map_err(gql_error)?;
        Ok(services::webhooks::list(&s.db, a, page).await.map_err(gql_error)?.items)
    }

    /// One webhook subscription.
    async fn webhook_subscription(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::webhooks::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
    }

    /// The delivery log of a subscription, newest first: `first` (1–100, default 20)
    /// attempts older than `before`.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        id: ID,
        first: Option<u64>,
        before: Option<i64>,
    ) -> Result<Vec<DeliveryView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return Err(gql_error(crate::error::AppError::invalid("first", "must be between 1 and 100")));
        }
        services::webhooks::deliveries(&s.db, a, parse_id(&id)?, first, before).await.map_err(gql_error)
    }
}

/// Write operations of webhooks.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Subscribes a URL to the changes made from now on (signed POSTs, Standard
    /// Webhooks); the answer holds the signing secret, shown this once.
    async fn create_webhook_subscription(&self, ctx: &Context<'_>, input: NewWebhook) -> Result<WebhookWithSecret> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::webhooks::create(&s.db, a, &s.webhooks, input).await.map_err(gql_error)
    }

    /// Changes, pauses (`disabled: true`) or resumes a subscription.
    async fn update_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: WebhookPatch,
    ) -> Result<WebhookView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::webhooks::update(&s.db, a, &s.webhooks, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Deletes a subscription with its delivery log.
    async fn delete_webhook_subscription(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<bool> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::webhooks::delete(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?;
        Ok(true)
    }

    /// Sends a logged event again now, with the same `webhook-id`.
    async fn redeliver_webhook(&self, ctx: &Context<'_>, id: ID, delivery_id: i64) -> Result<DeliveryView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::webhooks::redeliver(&s.db, a, &s.webhooks, parse_id(&id)?, delivery_id).await.map_err(gql_error)
    }
}
