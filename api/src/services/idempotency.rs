//! Idempotency keys: a POST retried with the same `Idempotency-Key` and body within a
//! day gets the first answer again instead of doing the work twice (phones retry on
//! bad networks). The key is claimed in the database before the request runs, so two
//! replicas receiving the same retry at once do not both run it: the second is told
//! the first is still in progress.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use entity::idempotency_key;

/// How long a stored answer is replayed.
pub const RETENTION_HOURS: i64 = 24;

/// The longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// Content type, if any.
    pub content_type: Option<String>,
    /// Headers worth replaying (`Location`, `ETag`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What a claim on a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its earlier use expired or was abandoned): run the request.
    Fresh,
    /// The key was used with the same request: answer this again.
    Replay(StoredAnswer),
    /// The first request with this key is still running.
    InProgress,
    /// The key was used with another request (method, path or body).
    Mismatch,
}

#[derive(Serialize, Deserialize)]
struct HeaderList(Vec<(String, String)>);

/// Checks a key's syntax: 1 to 255 visible ASCII characters.
pub fn validate_key(key: &str) -> AppResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
    }
    Ok(())
}

/// Claims `key` for `principal`'s request. `abandon_after`: a claim whose request has
/// not finished by then (its server died) may be taken over.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    db: &DatabaseConnection,
    principal: &str,
    key: &str,
    method: &str,
    path: &str,
    body_hash: &str,
    abandon_after: std::time::Duration,
) -> AppResult<Claim> {
    let now = super::now();
    let expired = now - Duration::hours(RETENTION_HOURS);
    // Expired keys of everyone go now and then; this caller's expired use of this key always.
    if rand::random::<u8>() < 4 {
        idempotency_key::Entity::delete_many().filter(idempotency_key::Column::CreatedAt.lt(expired)).exec(db).await?;
    }
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Principal.eq(principal))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::CreatedAt.lt(expired))
        .exec(db)
        .await?;
    let fresh = idempotency_key::ActiveModel {
        principal: Set(principal.to_owned()),
        key: Set(key.to_owned()),
        method: Set(method.to_owned()),
        path: Set(path.to_owned()),
        body_hash: Set(body_hash.to_owned()),
        status: Set(None),
        content_type: Set(None),
        headers: Set(None),
        body: Set(None),
        created_at: Set(now),
    };
    match fresh.insert(db).await {
        Ok(_) => return Ok(Claim::Fresh),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
        Err(err) => return Err(err.into()),
    }
    let Some(row) = idempotency_key::Entity::find_by_id((principal.to_owned(), key.to_owned())).one(db).await? else {
        // Deleted meanwhile (expired): the caller may retry.
        return Ok(Claim::InProgress);
    };
    if row.method != method || row.path != path || row.body_hash != body_hash {
        return Ok(Claim::Mismatch);
    }
    match row.status {
        Some(status) => {
            let headers =
                row.headers.and_then(|h| serde_json::from_value::<HeaderList>(h).ok()).map(|h| h.0).unwrap_or_default();
            Ok(Claim::Replay(StoredAnswer {
                status: u16::try_from(status).unwrap_or(500),
                content_type: row.content_type,
                headers,
                body: row.body.unwrap_or_default(),
            }))
        }
        None => {
            let abandoned = now - Duration::from_std(abandon_after).unwrap_or(Duration::minutes(1));
            // Take over a claim whose request never finished, if nobody else did first.
            let taken = idempotency_key::Entity::update_many()
                .col_expr(idempotency_key::Column::CreatedAt, sea_orm::sea_query::Expr::value(now))
                .filter(idempotency_key::Column::Principal.eq(principal))
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::Status.is_null())
                .filter(idempotency_key::Column::CreatedAt.lt(abandoned))
                .exec(db)
                .await?
                .rows_affected
                > 0;
            Ok(if taken { Claim::Fresh } else { Claim::InProgress })
        }
    }
}

/// Stores the answer of a claimed key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn complete(db: &DatabaseConnection, principal: &str, key: &str, answer: StoredAnswer) -> AppResult<()> {
    let headers = serde_json::to_value(HeaderList(answer.headers)).map_err(AppError::internal)?;
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Status, sea_orm::sea_query::Expr::value(i32::from(answer.status)))
        .col_expr(idempotency_key::Column::ContentType, sea_orm::sea_query::Expr::value(answer.content_type))
        .col_expr(idempotency_key::Column::Headers, sea_orm::sea_query::Expr::value(headers))
        .col_expr(idempotency_key::Column::Body, sea_orm::sea_query::Expr::value(answer.body))
        .filter(idempotency_key::Column::Principal.eq(principal))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a claimed key up (the request failed in a way worth retrying).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn release(db: &DatabaseConnection, principal: &str, key: &str) -> AppResult<()> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Principal.eq(principal))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::Status.is_null())
        .exec(db)
        .await?;
    Ok(())
}
