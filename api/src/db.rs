//! Connecting to SQLite or PostgreSQL, and opening write transactions.
//!
//! SQLite gets WAL, a busy timeout and foreign keys; its write transactions begin
//! `IMMEDIATE` so a read-then-write transaction never fails to upgrade its lock.
//! PostgreSQL sessions get a `statement_timeout`. Both timeouts and the wait for a
//! pooled connection stay below the request timeout ([`Timeouts::for_settings`]), so a
//! slow statement is ended by the database and a request that gives up has already
//! given its connection back; a full pool answers 503 instead of queueing forever.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
    sqlx::postgres::PgConnectOptions,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

/// How long a statement may run and how long a caller waits for a connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// PostgreSQL `statement_timeout`; SQLite's busy timeout.
    pub statement: Duration,
    /// The longest wait for a pooled connection.
    pub acquire: Duration,
}

impl Timeouts {
    /// The timeouts that fit the configured request timeout.
    pub fn for_settings(settings: &crate::config::Settings) -> Self {
        Timeouts { statement: settings.statement_timeout(), acquire: settings.acquire_timeout() }
    }

    /// Generous timeouts for administrative commands (migrations, demo data).
    pub fn admin() -> Self {
        Timeouts { statement: Duration::from_secs(600), acquire: Duration::from_secs(30) }
    }
}

/// Opens a pool on `url` with the settings every backend needs.
pub async fn connect(url: &str, max_connections: u32, timeouts: Timeouts) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    let statement_ms = timeouts.statement.as_millis().to_string();
    opts.max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(timeouts.acquire)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o: SqliteConnectOptions| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(timeouts.statement)
                .foreign_keys(true)
        })
        .map_sqlx_postgres_opts(move |o: PgConnectOptions| o.options([("statement_timeout", statement_ms.as_str())]));
    let mut db = Database::connect(opts).await?;
    db.set_metric_callback(|info| {
        crate::telemetry::on_statement();
        // For trace export (`otlp`): the statement's text (placeholders, never values) and
        // duration, recorded on the span that ran it. Free when nothing listens at DEBUG.
        tracing::debug!(
            target: "dangjian::sql",
            elapsed_us = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX),
            failed = info.failed,
            statement = %info.statement.sql,
            "sql"
        );
    });
    Ok(db)
}

/// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, a plain one elsewhere.
pub async fn write_tx(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}
