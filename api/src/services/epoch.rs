//! The token key epoch: restores that keep revocations.
//!
//! A backup holds the refresh tokens and token versions of its day. Restored as it
//! is, every logout, password change and revocation made after the backup would be
//! undone. So every access token (claim `ep`) and every refresh token carries the
//! epoch it was issued in, and a token of another epoch is refused; the epoch is
//! bumped whenever the database may have gone back in time, which invalidates every
//! token issued before: everyone signs in again, and nothing revoked comes back.
//!
//! The epoch is bumped
//! - by `dangjian invalidate-tokens` (the last step of the documented restore);
//! - at start-up, when the database's physical identity changed (PostgreSQL: the
//!   database's oid, and where the server lets us read them, the cluster's system
//!   identifier and timeline; a `pg_restore` into a new database, a base-backup or
//!   point-in-time restore and a failover all change one of them);
//! - at start-up, when a SQLite database has seen fewer revocations than the server
//!   last saw in it (the server keeps that count in a file beside the database: a
//!   copy of an older file put back in place is caught).

use std::path::{Path, PathBuf};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, Statement,
    sea_query::{Expr, ExprTrait, Query},
};

use super::audit::{self, Change};
use crate::auth::Actor;
use crate::db::write_tx;
use crate::error::{AppError, AppResult};
use entity::auth_epoch;

/// The id of the single epoch row.
const ROW: i32 = 1;

async fn row<C: ConnectionTrait>(db: &C) -> AppResult<auth_epoch::Model> {
    auth_epoch::Entity::find_by_id(ROW)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the auth_epoch row is missing")))
}

/// The epoch tokens are issued in now.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current<C: ConnectionTrait>(db: &C) -> AppResult<i32> {
    Ok(row(db).await?.epoch)
}

/// A condition true only while `epoch` is the current one: added to the lookups that
/// turn a token into an actor, so the check costs no statement of its own.
pub fn is_current(epoch: i32) -> sea_orm::sea_query::SimpleExpr {
    let current = Query::select()
        .column(auth_epoch::Column::Epoch)
        .from(auth_epoch::Entity)
        .and_where(auth_epoch::Column::Id.eq(ROW))
        .to_owned();
    Expr::val(epoch).in_subquery(current)
}

/// Counts a revocation (logout, revoked tokens, a disabled account or client, a new
/// secret), in the revoking transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn note_revocation<C: ConnectionTrait>(tx: &C) -> AppResult<()> {
    auth_epoch::Entity::update_many()
        .col_expr(auth_epoch::Column::Revocations, Expr::col(auth_epoch::Column::Revocations).add(1))
        .filter(auth_epoch::Column::Id.eq(ROW))
        .exec(tx)
        .await?;
    Ok(())
}

/// Starts a new epoch: every token issued before stops working. Audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn bump(db: &DatabaseConnection, actor: &Actor, reason: &str) -> AppResult<i32> {
    let tx = write_tx(db).await?;
    auth_epoch::Entity::update_many()
        .col_expr(auth_epoch::Column::Epoch, Expr::col(auth_epoch::Column::Epoch).add(1))
        .col_expr(auth_epoch::Column::BumpedAt, Expr::value(super::now()))
        .filter(auth_epoch::Column::Id.eq(ROW))
        .exec(&tx)
        .await?;
    let epoch = current(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change {
            action: "invalidate_tokens",
            entity: crate::services::audit::entity_name(entity::auth_epoch::Entity),
            entity_id: uuid::Uuid::nil(),
            organization_id: None,
            before: None,
            after: Some(serde_json::json!({"epoch": epoch, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(epoch, reason, "token epoch bumped: every token issued before is invalid");
    Ok(epoch)
}

/// The physical identity of a PostgreSQL database: its oid, and the cluster's system
/// identifier and timeline where the role may read them. `None` on SQLite.
async fn fingerprint(db: &DatabaseConnection) -> AppResult<Option<String>> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for sql in [
        "SELECT CAST(oid AS TEXT) FROM pg_database WHERE datname = current_database()",
        "SELECT CAST(system_identifier AS TEXT) FROM pg_control_system()",
        "SELECT CAST(timeline_id AS TEXT) FROM pg_control_checkpoint()",
    ] {
        // The control functions need pg_monitor or superuser; without them the oid alone
        // still catches a restore into a new database.
        match db.query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql)).await {
            Ok(Some(r)) => parts.push(r.try_get_by_index::<String>(0)?),
            Ok(None) => parts.push(String::new()),
            Err(err) => {
                tracing::debug!(error = %err, "part of the database fingerprint is not readable");
                parts.push(String::new());
            }
        }
    }
    Ok(Some(parts.join(":")))
}

/// The file beside a SQLite database that keeps the revocation count the server last
/// saw in it. `None` for PostgreSQL and in-memory databases.
pub fn watermark_path(database_url: &str) -> Option<PathBuf> {
    let path = sqlite_path(database_url)?;
    let mut name = path.file_name()?.to_os_string();
    name.push(".revocations");
    Some(path.with_file_name(name))
}

/// The file of a SQLite database URL (`sqlite://path?...`); `None` for other databases
/// and in-memory ones.
pub fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let path = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(Path::new(path).to_path_buf())
}

fn read_watermark(path: &Path) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Records the database's current revocation count beside it (SQLite), so a restored
/// older copy is recognised at the next start. Returns the count.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_watermark(db: &DatabaseConnection, path: &Path) -> AppResult<i64> {
    let revocations = row(db).await?.revocations;
    if read_watermark(path).is_none_or(|seen| seen < revocations) {
        let tmp = path.with_extension("revocations.tmp");
        std::fs::write(&tmp, revocations.to_string()).map_err(AppError::internal)?;
        std::fs::rename(&tmp, path).map_err(AppError::internal)?;
    }
    Ok(revocations)
}

/// Run at start-up: bumps the epoch when the database looks restored (see the module
/// documentation), and records what this start saw. Returns the reason when it bumped.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_restore(db: &DatabaseConnection, database_url: &str) -> AppResult<Option<String>> {
    let stored = row(db).await?;
    let mut reason = None;
    if let Some(live) = fingerprint(db).await? {
        match &stored.fingerprint {
            Some(seen) if *seen != live => {
                reason = Some(format!("the database's physical identity changed ({seen} → {live}): restored or moved"));
            }
            _ => {}
        }
        auth_epoch::Entity::update_many()
            .col_expr(auth_epoch::Column::Fingerprint, Expr::value(live))
            .filter(auth_epoch::Column::Id.eq(ROW))
            .exec(db)
            .await?;
    }
    if let Some(path) = watermark_path(database_url)
        && let Some(seen) = read_watermark(&path).filter(|seen| *seen > stored.revocations)
    {
        reason = Some(format!(
            "the database has seen {} revocations, the server last saw {seen}: an older copy was restored",
            stored.revocations
        ));
        // Carry the count forward so the next start does not bump again.
        auth_epoch::Entity::update_many()
            .col_expr(auth_epoch::Column::Revocations, Expr::value(seen))
            .filter(auth_epoch::Column::Id.eq(ROW))
            .exec(db)
            .await?;
    }
    if let Some(r) = &reason {
        bump(db, &Actor::system(), r).await?;
    }
    if let Some(path) = watermark_path(database_url) {
        save_watermark(db, &path).await?;
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_sits_beside_sqlite_files_only() {
        assert_eq!(
            watermark_path("sqlite:///srv/dj/dangjian.db?mode=rwc"),
            Some(PathBuf::from("/srv/dj/dangjian.db.revocations"))
        );
        assert_eq!(watermark_path("sqlite://data/x.db"), Some(PathBuf::from("data/x.db.revocations")));
        assert_eq!(watermark_path("sqlite::memory:"), None);
        assert_eq!(watermark_path("postgres://u@h/db"), None);
    }
}
