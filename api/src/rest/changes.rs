//! `/changes`: the changes feed for integrators (see `services::changes`).

use actix_web::{HttpResponse, http::header, web};
use serde::Deserialize;
use utoipa::OpenApi;

use super::problem::Problem;
use crate::error::AppResult;
use crate::http::extract::{Authenticated, Query};
use crate::services::changes::{self, ChangeEntry, ChangeKind, ChangePage, ChangeType};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/changes", web::get().to(list)).route("/changes/cursor", web::get().to(cursor));
}

/// Where to read the changes feed from.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The cursor to continue after (`next_cursor` of the last page, or the cursor
    /// `GET /changes/cursor` gave before a full read); absent: from the beginning.
    pub after: Option<String>,
    /// Records to read, 1–1000 (default 100); a page may hold fewer entries.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Only these types, comma-separated (`organization,person,role_assignment,honour,
    /// achievement,activity,attendance`); default all.
    pub types: Option<String>,
}

/// The changes feed.
///
/// Every create, update, transfer, status change, departure and delete of the objects of
/// the types asked for, in commit order, after the cursor: the object as you may read it
/// now (`upsert`), a `tombstone` for a deleted one, `left_scope` for one you may no longer
/// read. Keep `next_cursor` and ask again with it; `has_more` says whether to ask at
/// once. A cursor from before a restore of the database answers 410 `RESYNC_REQUIRED`:
/// export again. Entries are kept as long as the audit trail.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangePage),
        (status = 410, description = "The cursor cannot be continued (RESYNC_REQUIRED)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, actor: Authenticated, q: Query<ChangesQuery>) -> AppResult<HttpResponse> {
    let types = match q.types.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Vec::new(),
        Some(list) => list.split(',').map(|t| ChangeType::parse(t.trim(), "types")).collect::<AppResult<Vec<_>>>()?,
    };
    let page = changes::page(&state.db, &actor.0, q.after.as_deref(), q.limit, &types).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(page))
}

/// Where the feed is now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChangesCursor {
    /// The cursor of the latest change: continue the feed after it.
    pub cursor: String,
}

/// The cursor of the latest change.
///
/// Take it before a full read of the data (lists), then follow the feed after it: no
/// change is missed between the two (one made during the read shows in both, and
/// applying it again is harmless).
#[utoipa::path(get, path = "/api/v1/changes/cursor", tag = "changes", security(("bearer" = [])),
    responses((status = 200, body = ChangesCursor)))]
pub async fn cursor(state: web::Data<AppState>, _actor: Authenticated) -> AppResult<HttpResponse> {
    let cursor = changes::current_cursor(&state.db).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(ChangesCursor { cursor }))
}

/// The changes feed's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, cursor),
    components(schemas(ChangeEntry, ChangeKind, ChangeType)),
    tags((name = "changes", description = "The changes feed for integrators"))
)]
pub struct ChangesApi;
