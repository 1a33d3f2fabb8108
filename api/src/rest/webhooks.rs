//! `/webhook-subscriptions`: the changes feed pushed by signed HTTP POST
//! (`services::webhooks`), for administrators and service clients.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, if_match, page_dto, with_etag};
use crate::error::{AppError, AppResult};
use crate::http::extract::{Authenticated, JsonBody, Query};
use crate::services::webhooks::{self as svc, DeliveryView, NewWebhook, WebhookPatch, WebhookView, WebhookWithSecret};
use crate::state::AppState;

page_dto!(WebhookPage, WebhookView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhook-subscriptions", web::get().to(list))
        .route("/webhook-subscriptions", web::post().to(create))
        .route("/webhook-subscriptions/{id}", web::get().to(get))
        .route("/webhook-subscriptions/{id}", web::patch().to(update))
        .route("/webhook-subscriptions/{id}", web::delete().to(delete))
        .route("/webhook-subscriptions/{id}/deliveries", web::get().to(deliveries))
        .route("/webhook-subscriptions/{id}/deliveries/{delivery_id}/redeliver", web::post().to(redeliver));
}

/// List webhook subscriptions (administrators: all; a service client: its own).
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions", tag = "webhooks", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = WebhookPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, actor: Authenticated, p: Query<PageParams>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(WebhookPage::from(svc::list(&state.db, &actor.0, p.page()?).await?)))
}

/// Get a webhook subscription.
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 200, body = WebhookView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let w = svc::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, w.version, &w))
}

/// Subscribe to changes.
///
/// Sends every change made from now on of the `event_types` (default all) that the
/// subscriber may read (a service client: within its scopes and subtree) to `url` by
/// signed POST (Standard Webhooks). The answer holds the signing secret, shown this once.
/// The URL must resolve to public addresses unless the server allows otherwise (422
/// naming `url`).
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions", tag = "webhooks", security(("bearer" = [])),
    request_body = NewWebhook,
    responses((status = 201, body = WebhookWithSecret), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewWebhook>,
) -> AppResult<HttpResponse> {
    let w = svc::create(&state.db, &actor.0, &state.webhooks, body).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/webhook-subscriptions/{}", w.subscription.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(w))
}

/// Change, pause or resume a webhook subscription. Needs `If-Match`.
///
/// Resuming (`disabled: false`) clears the failure count and retries at once from where
/// deliveries stopped.
#[utoipa::path(patch, path = "/api/v1/webhook-subscriptions/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = WebhookPatch,
    responses((status = 200, body = WebhookView), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<WebhookPatch>,
) -> AppResult<HttpResponse> {
    let w = svc::update(&state.db, &actor.0, &state.webhooks, *id, if_match(&req)?, body).await?;
    Ok(with_etag(&req, w.version, &w))
}

/// Delete a webhook subscription with its delivery log. Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/webhook-subscriptions/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id"), ("If-Match" = String, Header, description = "Current ETag")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    svc::delete(&state.db, &actor.0, *id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Where a page of the delivery log starts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Attempts to return, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Only attempts older than this one (the last id of the previous page).
    pub before: Option<i64>,
}

/// The delivery log of a subscription, newest first (the last 1,000 attempts).
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id"), DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn deliveries(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    q: Query<DeliveryQuery>,
) -> AppResult<HttpResponse> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 100"));
    }
    Ok(HttpResponse::Ok().json(svc::deliveries(&state.db, &actor.0, *id, limit, q.before).await?))
}

/// Send a logged event again now, with the same `webhook-id` (receivers deduplicate by
/// it); the attempt is logged as manual.
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id"), ("delivery_id" = i64, Path, description = "A logged attempt of the event")),
    responses((status = 200, body = DeliveryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn redeliver(
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(Uuid, i64)>,
) -> AppResult<HttpResponse> {
    let (id, delivery) = path.into_inner();
    Ok(HttpResponse::Ok().json(svc::redeliver(&state.db, &actor.0, &state.webhooks, id, delivery).await?))
}

/// The webhooks' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, get, create, update, delete, deliveries, redeliver),
    tags((name = "webhooks", description = "The changes feed pushed by signed HTTP POST"))
)]
pub struct WebhooksApi;
