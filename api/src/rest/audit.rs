//! `/audit-events`, `/audit-history` and `/audit-chain/verify`: the hash-chained audit
//! trail (administrators everything, inspectors their scope, others nothing).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::Problem;
use crate::error::{AppError, AppResult};
use crate::http::extract::Authenticated;
use crate::http::extract::Query;
use crate::services::audit::{
    self as svc, AuditEventView, AuditFilter, AuditPageRequest, ChainAnchor, ChainReport, HistoryEntry,
};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit-events", web::get().to(list))
        .route("/audit-events/{id}", web::get().to(get))
        .route("/audit-history/{entity}/{id}", web::get().to(history))
        .route("/audit-chain/verify", web::get().to(verify_chain));
}

/// Filters and paging of the audit list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this entity name (e.g. `supervision_item`; 1–64 characters).
    #[param(min_length = 1, pattern = r"\S", max_length = 64)]
    pub entity: Option<String>,
    /// Only this object.
    pub entity_id: Option<Uuid>,
    /// Only this actor (account or service-client id).
    pub actor_id: Option<Uuid>,
    /// Only objects of this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this action (e.g. `create`, `update`, `verify`; 1–64 characters).
    #[param(min_length = 1, pattern = r"\S", max_length = 64)]
    pub action: Option<String>,
    /// At or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339); must not be before `from`.
    pub to: Option<DateTime<Utc>>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of audit records, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// The records.
    pub items: Vec<AuditEventView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// List audit records, newest first (administrators: all; inspectors: their scope).
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, actor: Authenticated, q: Query<AuditQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = AuditPageRequest::parse(q.limit, q.cursor.as_deref(), "limit", "cursor")?;
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        organization_id: q.organization_id,
        action: q.action,
        from: q.from,
        to: q.to,
    };
    let p = svc::list(&state.db, &actor.0, &filter, page).await?;
    Ok(HttpResponse::Ok().json(AuditPage { items: p.items, next_cursor: p.next_cursor }))
}

/// Get one audit record (404 when missing or outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/audit-events/{id}", tag = "audit", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Audit record id")),
    responses((status = 200, body = AuditEventView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, actor: Authenticated, id: web::Path<i64>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::get(&state.db, &actor.0, *id).await?))
}

/// Every version of a record, oldest first, with who changed which fields.
#[utoipa::path(get, path = "/api/v1/audit-history/{entity}/{id}", tag = "audit", security(("bearer" = [])),
    params(("entity" = String, Path, description = "Entity name, e.g. supervision_item (1–64 characters)", min_length = 1, max_length = 64), ("id" = Uuid, Path, description = "Object id")),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn history(
    state: web::Data<AppState>,
    actor: Authenticated,
    path: web::Path<(String, Uuid)>,
) -> AppResult<HttpResponse> {
    let (entity, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(svc::history(&state.db, &actor.0, &entity, id).await?))
}

/// An anchor from an earlier verification (both or neither).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnchorQuery {
    /// `head_sequence` of an earlier report (at least 1; give it with `anchor_hash`).
    #[param(minimum = 1)]
    pub anchor_sequence: Option<i64>,
    /// `head_hash` of that report: 64 hex digits (give it with `anchor_sequence`).
    #[param(pattern = r"^[0-9A-Fa-f]{64}$")]
    pub anchor_hash: Option<String>,
}

/// Verify the audit hash chain (administrators): reports the first broken link.
///
/// Note `head_sequence` and `head_hash` of a report outside the database; passing them
/// later as `anchor_sequence` / `anchor_hash` also catches a rewrite of the whole chain.
#[utoipa::path(get, path = "/api/v1/audit-chain/verify", tag = "audit", security(("bearer" = [])),
    params(AnchorQuery),
    responses((status = 200, body = ChainReport), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn verify_chain(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<AnchorQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let anchor = match (q.anchor_sequence, q.anchor_hash) {
        (Some(sequence), Some(hash)) => Some(ChainAnchor { sequence, hash }),
        (None, None) => None,
        _ => return Err(AppError::invalid("anchor_hash", "give anchor_sequence and anchor_hash together")),
    };
    Ok(HttpResponse::Ok().json(svc::verify_chain(&state.db, &actor.0, anchor.as_ref()).await?))
}
