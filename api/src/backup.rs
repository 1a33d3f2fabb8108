//! Backups and restores of a whole installation: the database and the attachments,
//! with a manifest of what the copy holds (`dangjian backup <dir>`,
//! `dangjian restore <dir>`).
//!
//! The database copy is taken online and is consistent: SQLite's `VACUUM INTO` (one
//! read transaction; writers carry on), on PostgreSQL `pg_dump` in the custom format
//! inside an exported snapshot, in which the manifest's row counts are taken too, so
//! the counts describe exactly the copy. Attachments are copied after the database, so
//! every attachment the copy names is in the backup (files uploaded meanwhile are
//! copied as well and stay unreferenced).
//!
//! A restore goes into a new, empty database (it refuses one that has tables), copies
//! the attachments back, checks every table's row count against the manifest, applies
//! newer migrations, links audit records the copy held unlinked, invalidates every
//! token issued before (revocations made after the backup stay in force) and verifies
//! the audit chain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail, ensure};
use futures_util::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use sea_orm::{AccessMode, ConnectionTrait, DatabaseBackend, IsolationLevel, Statement, TransactionTrait};
use serde::{Deserialize, Serialize};

use crate::config::Settings;

/// The manifest's file name in a backup folder.
pub const MANIFEST: &str = "manifest.json";
/// The SQLite copy's file name in a backup folder.
pub const SQLITE_FILE: &str = "database.sqlite";
/// The PostgreSQL dump's file name in a backup folder (`pg_dump --format=custom`).
pub const POSTGRES_FILE: &str = "database.pgdump";
/// The attachments' folder in a backup folder.
pub const ATTACHMENTS: &str = "attachments";
/// The backup format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The PostgreSQL client programs a backup or restore runs.
#[derive(Debug, Clone, clap::Args)]
pub struct PgTools {
    /// `pg_dump` to run (PostgreSQL only; its major version must be at least the server's).
    #[arg(long, env = "DANGJIAN_PG_DUMP", default_value = "pg_dump")]
    pub pg_dump: String,
    /// `pg_restore` to run (PostgreSQL only).
    #[arg(long, env = "DANGJIAN_PG_RESTORE", default_value = "pg_restore")]
    pub pg_restore: String,
}

impl Default for PgTools {
    fn default() -> Self {
        PgTools { pg_dump: "pg_dump".into(), pg_restore: "pg_restore".into() }
    }
}

/// What a backup holds (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The backup format ([`FORMAT`]).
    pub format: u32,
    /// When the copy was taken (RFC 3339, UTC).
    pub created_at: String,
    /// `sqlite` or `postgres`: the database the copy came from, and the only kind it
    /// restores into.
    pub backend: String,
    /// The dangjian version that wrote it.
    pub dangjian_version: String,
    /// The last migration applied to the copied database.
    pub migration: Option<String>,
    /// Rows per table in the copy.
    pub tables: BTreeMap<String, i64>,
    /// Attachment files copied.
    pub attachments: u64,
    /// Their bytes in all.
    pub attachment_bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The manifest of the restored backup.
    pub manifest: Manifest,
    /// Attachment files copied into storage.
    pub attachments: u64,
    /// The token epoch now in force (every token issued before is invalid).
    pub token_epoch: i32,
    /// Whether the audit chain verified after the restore.
    pub chain_ok: bool,
    /// Audit records checked.
    pub chain_records: i64,
}

fn backend_name(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "postgres",
        _ => "sqlite",
    }
}

/// The tables of the connected database (its current schema), by name.
async fn table_names(db: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    rows.iter().map(|r| r.try_get::<String>("", "name").map_err(Into::into)).collect()
}

/// Rows per table, read through `db` (a snapshot transaction, for a consistent count).
async fn row_counts(db: &impl ConnectionTrait) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    for table in table_names(db).await? {
        // Names come from the catalogue; quoted as identifiers all the same.
        let sql = format!("SELECT COUNT(*) AS n FROM \"{}\"", table.replace('"', "\"\""));
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .context("COUNT(*) answered no row")?;
        counts.insert(table, row.try_get::<i64>("", "n")?);
    }
    Ok(counts)
}

async fn last_migration(db: &impl ConnectionTrait) -> Option<String> {
    let sql = "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.ok()??;
    row.try_get::<String>("", "version").ok()
}

/// `url` without its password, and the password (for `PGPASSWORD`, so it never shows
/// in a process list).
fn split_password(url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut parsed = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    // Percent-decoded; a `+` in a URL's user part is a plus, not a space.
    let password = parsed.password().map(|p| {
        let encoded = format!("p={}", p.replace('+', "%2B"));
        url::form_urlencoded::parse(encoded.as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    });
    let _ = parsed.set_password(None);
    Ok((parsed.to_string(), password))
}

/// Runs a PostgreSQL client program, its output kept for the error message.
async fn run_pg_tool(program: &str, args: Vec<String>, password: Option<String>) -> anyhow::Result<()> {
    let program = program.to_owned();
    let name = program.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(&name);
        cmd.args(&args);
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        cmd.output().with_context(|| format!("could not run {name} (set --pg-dump / --pg-restore)"))
    })
    .await??;
    if !output.status.success() {
        bail!("{program} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

/// Copies every attachment of `store` into `dir`; returns files and bytes.
async fn save_attachments(store: &Arc<dyn ObjectStore>, dir: &Path) -> anyhow::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut listing = store.list(None);
    while let Some(meta) = listing.next().await {
        let meta = meta?;
        let target = dir.join(meta.location.as_ref());
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let mut file = tokio::fs::File::create(&target).await?;
        let mut body = store.get(&meta.location).await?.into_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await?;
        files += 1;
    }
    Ok((files, bytes))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Takes an online, consistent backup of the configured database and attachment
/// storage into `dir` (created; it must not exist or be empty).
pub async fn backup(settings: &Settings, dir: &Path, tools: &PgTools) -> anyhow::Result<Manifest> {
    if dir.exists() {
        ensure!(std::fs::read_dir(dir)?.next().is_none(), "{} is not empty: back up into a new folder", dir.display());
    }
    std::fs::create_dir_all(dir)?;
    let url = settings.database_url();
    let db = crate::db::connect(&url, 2, crate::db::Timeouts::admin()).await?;
    let backend = db.get_database_backend();
    let (tables, migration) = match backend {
        DatabaseBackend::Postgres => {
            let tx = db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
            let snapshot = tx
                .query_one_raw(Statement::from_string(backend, "SELECT pg_export_snapshot() AS s"))
                .await?
                .context("pg_export_snapshot answered no row")?
                .try_get::<String>("", "s")?;
            let tables = row_counts(&tx).await?;
            let migration = last_migration(&tx).await;
            let (bare_url, password) = split_password(&url)?;
            let file = dir.join(POSTGRES_FILE);
            let args = vec![
                format!("--snapshot={snapshot}"),
                "--format=custom".into(),
                "--no-owner".into(),
                "--no-privileges".into(),
                format!("--file={}", file.display()),
                format!("--dbname={bare_url}"),
            ];
            // The snapshot lives as long as the transaction that exported it.
            let dumped = run_pg_tool(&tools.pg_dump, args, password).await;
            tx.commit().await?;
            dumped?;
            (tables, migration)
        }
        _ => {
            let file = dir.join(SQLITE_FILE);
            let target = file.display().to_string().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{target}'")).await?;
            let copy =
                crate::db::connect(&format!("sqlite://{}?mode=rw", file.display()), 1, crate::db::Timeouts::admin())
                    .await?;
            let tables = row_counts(&copy).await?;
            let migration = last_migration(&copy).await;
            copy.close().await?;
            (tables, migration)
        }
    };
    db.close().await?;
    let store = crate::storage::from_settings(settings)?;
    let (attachments, attachment_bytes) = save_attachments(&store, &dir.join(ATTACHMENTS)).await?;
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        backend: backend_name(backend).into(),
        dangjian_version: env!("CARGO_PKG_VERSION").into(),
        migration,
        tables,
        attachments,
        attachment_bytes,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Restores the backup in `dir` into the configured database (which must be new and
/// empty) and attachment storage; see the module documentation for the steps.
pub async fn restore(settings: &Settings, dir: &Path, tools: &PgTools) -> anyhow::Result<RestoreReport> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST)).with_context(|| format!("{} has no {MANIFEST}", dir.display()))?,
    )?;
    ensure!(
        manifest.format == FORMAT,
        "backup format {} is not {FORMAT}: restore it with the version that wrote it",
        manifest.format
    );
    let url = settings.database_url();
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    ensure!(
        manifest.backend == backend,
        "this backup holds a {} database; DATABASE_URL names a {backend} one",
        manifest.backend
    );
    if backend == "postgres" {
        let db = crate::db::connect(&url, 1, crate::db::Timeouts::admin()).await?;
        let existing = table_names(&db).await?;
        db.close().await?;
        ensure!(
            existing.is_empty(),
            "the target database has tables ({}): restore into a new, empty database",
            existing.len()
        );
        let (bare_url, password) = split_password(&url)?;
        let args = vec![
            "--no-owner".into(),
            "--no-privileges".into(),
            "--exit-on-error".into(),
            "--single-transaction".into(),
            format!("--dbname={bare_url}"),
            dir.join(POSTGRES_FILE).display().to_string(),
        ];
        run_pg_tool(&tools.pg_restore, args, password).await?;
    } else {
        let path = crate::services::epoch::sqlite_path(&url)
            .context("restore needs a SQLite file database (DATABASE_URL sqlite://path)")?;
        ensure!(
            std::fs::metadata(&path).map(|m| m.len() == 0).unwrap_or(true),
            "{} exists: restore into a new database file",
            path.display()
        );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let partial = path.with_extension("restoring");
        std::fs::copy(dir.join(SQLITE_FILE), &partial)?;
        std::fs::rename(&partial, &path)?;
    }
    // Row counts exactly as the backup recorded them, before anything writes.
    let db = crate::db::connect(&url, 1, crate::db::Timeouts::admin()).await?;
    let restored = row_counts(&db).await?;
    db.close().await?;
    for (table, expected) in &manifest.tables {
        let found = restored.get(table).copied();
        ensure!(found == Some(*expected), "table {table}: the backup holds {expected} rows, the restore {found:?}");
    }
    let store = crate::storage::from_settings(settings)?;
    let mut files = Vec::new();
    let root = dir.join(ATTACHMENTS);
    files_under(&root, &mut files)?;
    for file in &files {
        let relative = file.strip_prefix(&root)?.to_str().context("attachment names are UTF-8")?.replace('\\', "/");
        let location = object_store::path::Path::parse(&relative)?;
        store.put(&location, tokio::fs::read(file).await?.into()).await?;
    }
    ensure!(
        files.len() as u64 == manifest.attachments,
        "the backup lists {} attachments, its folder holds {}",
        manifest.attachments,
        files.len()
    );
    // Newer migrations, unlinked audit records, restore detection: as at a server start.
    let db = crate::startup::connect_and_migrate(settings).await?;
    let actor = crate::auth::Actor::system();
    let token_epoch = crate::services::epoch::bump(&db, &actor, "dangjian restore").await?;
    if let Some(path) = crate::services::epoch::watermark_path(&url) {
        crate::services::epoch::save_watermark(&db, &path).await?;
    }
    let chain = crate::services::audit::verify_chain(&db, &actor, None).await?;
    db.close().await?;
    Ok(RestoreReport {
        manifest,
        attachments: files.len() as u64,
        token_epoch,
        chain_ok: chain.ok,
        chain_records: chain.records_checked,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_leaves_the_url_decoded() {
        let (url, password) =
            super::split_password("postgres://dj:p%40ss+w%2Fd@db:5432/dangjian?sslmode=disable").unwrap();
        assert_eq!(url, "postgres://dj@db:5432/dangjian?sslmode=disable");
        assert_eq!(password.as_deref(), Some("p@ss+w/d"));
        let (url, password) = super::split_password("postgres://dj@db/dangjian").unwrap();
        assert_eq!((url.as_str(), password), ("postgres://dj@db/dangjian", None));
    }
}
