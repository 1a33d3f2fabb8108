//! The benchmarks behind `dangjian bench-search`, `dangjian bench-load` and
//! `dangjian bench`: rerunnable measurements of the server on generated data, on SQLite
//! or PostgreSQL. They write to a scratch database only (by default a fresh SQLite file in
//! a temporary folder) and are never part of serving requests.
//!
//! - [`search`]: times the search service in-process over generated Chinese documents;
//! - [`load`]: fills a scratch database in bulk with a realistic dataset (organisation
//!   tree, people, study sessions with attendance, measures, supervision, documents);
//! - [`drive`]: starts the real server as a child process and drives everyday
//!   operations over HTTP (REST and GraphQL) with the external load generator `oha`,
//!   reporting throughput, latency, errors, server CPU and SQL statements per request.
//!
//! May import `services`, `auth`, `startup`, `db` and `config`; nothing imports it but
//! the binary.

pub mod drive;
pub mod load;
pub mod search;
mod server;

use std::path::PathBuf;

use rand::{Rng, SeedableRng, rngs::StdRng};
use uuid::Uuid;

/// Deterministic UUIDv7 ids: a millisecond clock that starts at 2026-01-01T00:00:00Z and
/// advances one millisecond per id, with random bits from a seeded generator. The same
/// seed gives the same ids, and ids sort in the order they were made (as the server's
/// own v7 ids do).
pub struct Ids {
    rng: StdRng,
    millis: u64,
}

impl Ids {
    /// 2026-01-01T00:00:00Z in Unix milliseconds.
    const START_MILLIS: u64 = 1_767_225_600_000;

    /// A generator whose ids depend only on `seed`.
    pub fn new(seed: u64) -> Self {
        Ids { rng: StdRng::seed_from_u64(seed ^ 0x05ee_d1d5), millis: Self::START_MILLIS }
    }

    /// The next id.
    pub fn next_id(&mut self) -> Uuid {
        self.millis += 1;
        let bits: [u8; 10] = self.rng.random();
        uuid::Builder::from_unix_timestamp_millis(self.millis, &bits).into_uuid()
    }
}

/// A scratch database: the given URL, or a fresh SQLite file in a new temporary folder
/// (removed by [`Scratch::cleanup`]).
pub struct Scratch {
    /// The database URL to use.
    pub url: String,
    /// The temporary folder this benchmark made (none when a URL was given).
    pub temp_dir: Option<PathBuf>,
}

impl Scratch {
    /// `url` when given, else a new SQLite file `bench.db` in
    /// `$TMPDIR/dangjian-<purpose>-<pid>/`.
    pub fn new(url: Option<String>, purpose: &str) -> anyhow::Result<Scratch> {
        match url {
            Some(url) => Ok(Scratch { url, temp_dir: None }),
            None => {
                let dir = std::env::temp_dir().join(format!("dangjian-{purpose}-{}", std::process::id()));
                std::fs::create_dir_all(&dir)?;
                let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
                Ok(Scratch { url, temp_dir: Some(dir) })
            }
        }
    }

    /// A folder for files of this run (the server's data folder, its log): inside the
    /// temporary folder, made when needed.
    pub fn work_dir(&mut self, purpose: &str) -> anyhow::Result<PathBuf> {
        let dir = match &self.temp_dir {
            Some(dir) => dir.clone(),
            None => {
                let dir = std::env::temp_dir().join(format!("dangjian-{purpose}-{}", std::process::id()));
                self.temp_dir = Some(dir.clone());
                dir
            }
        };
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Removes the temporary folder, if this benchmark made one.
    pub fn cleanup(&self) {
        if let Some(dir) = &self.temp_dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// The password of the benchmark's administrator `bench`: `--admin-password` (or
/// `DANGJIAN_ADMIN_PASSWORD`), else `DANGJIAN_BENCH_PASSWORD`, else `Bench-Passw0rd!`.
pub fn admin_password(settings: &crate::config::Settings) -> String {
    settings
        .admin_password
        .as_ref()
        .map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned())
        .or_else(|| std::env::var("DANGJIAN_BENCH_PASSWORD").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "Bench-Passw0rd!".to_owned())
}

/// Opens a small pool on the scratch database (no statement time limit) and applies the
/// migrations.
pub async fn connect(url: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
    use migration::MigratorTrait;
    let db = crate::db::connect(url, 4, crate::db::Timeouts::admin()).await?;
    migration::Migrator::up(&db, None).await?;
    Ok(db)
}
