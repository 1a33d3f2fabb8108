//! Typed settings, read from command-line flags or the environment (flags win).
//!
//! Every setting has an environment variable, documented in `dangjian --help` and in
//! the README. [`Settings::check`] refuses unsafe production settings before the
//! server starts.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

/// Reads a secret setting (never shown by `Debug`).
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// Development (lenient, generates a signing key) or production (strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Local use: a signing key is generated and kept in the data folder.
    Development,
    /// Refuses to start without an explicit signing key and with a wildcard CORS list.
    Production,
}

/// Who may open the browser tools (GraphiQL, the OpenAPI docs UI and document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UiAccess {
    /// Anyone who reaches the server (introspection still needs an administrator).
    Public,
    /// Signed-in administrators only: a bearer token or HTTP Basic credentials of an
    /// account with the global `admin` role.
    Admins,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

/// How reported study time is credited (from the settings).
#[derive(Debug, Clone, Copy)]
pub struct StudyLimits {
    /// The most seconds one person is credited per day.
    pub daily_seconds: i64,
    /// The time zone whose calendar day the daily limit counts.
    pub time_zone: chrono_tz::Tz,
}

/// All settings of the server and the administrative commands.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    /// Default: a SQLite file `dangjian.db` in the data folder.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = secret, global = true)]
    pub database_url: Option<SecretString>,

    /// Folder for the default SQLite database and the generated development signing key.
    #[arg(long, env = "DANGJIAN_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Address the HTTP server listens on.
    #[arg(long, env = "DANGJIAN_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,

    /// `development` or `production`.
    #[arg(long, env = "DANGJIAN_ENV", value_enum, default_value = "development", global = true)]
    pub environment: Environment,

    /// Secret for signing access tokens (HS256, at least 32 bytes). Required in production;
    /// in development a random one is generated once and kept in the data folder.
    #[arg(long, env = "DANGJIAN_JWT_SECRET", hide_env_values = true, value_parser = secret, global = true)]
    pub jwt_secret: Option<SecretString>,

    /// `iss` claim of issued tokens (checked on every request).
    #[arg(long, env = "DANGJIAN_JWT_ISSUER", default_value = "dangjian", global = true)]
    pub jwt_issuer: String,

    /// `aud` claim of issued tokens (checked on every request).
    #[arg(long, env = "DANGJIAN_JWT_AUDIENCE", default_value = "dangjian-api", global = true)]
    pub jwt_audience: String,

    /// Access-token lifetime in seconds.
    #[arg(long, env = "DANGJIAN_ACCESS_TOKEN_TTL", default_value_t = 900, global = true)]
    pub access_token_ttl: i64,

    /// Refresh-token lifetime in seconds.
    #[arg(long, env = "DANGJIAN_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_ttl: i64,

    /// Password of the `admin` account created on first start (else one is generated and printed once).
    #[arg(long, env = "DANGJIAN_ADMIN_PASSWORD", hide_env_values = true, value_parser = secret, global = true)]
    pub admin_password: Option<SecretString>,

    /// Failed logins in a row that lock an account.
    #[arg(long, env = "DANGJIAN_LOCKOUT_THRESHOLD", default_value_t = 5, global = true)]
    pub lockout_threshold: i32,

    /// How long a locked account stays locked, in seconds.
    #[arg(long, env = "DANGJIAN_LOCKOUT_SECONDS", default_value_t = 900, global = true)]
    pub lockout_seconds: i64,

    /// `human` or `json` log lines.
    #[arg(long, env = "DANGJIAN_LOG_FORMAT", value_enum, default_value = "human", global = true)]
    pub log_format: LogFormat,

    /// Log filter (tracing `EnvFilter` syntax).
    #[arg(long, env = "DANGJIAN_LOG", default_value = "info,sqlx=warn,sea_orm=warn", global = true)]
    pub log_filter: String,

    /// Largest accepted request body in bytes (every route, GraphQL included).
    #[arg(long, env = "DANGJIAN_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Longest a request may take, in seconds, before it is answered 503.
    #[arg(long, env = "DANGJIAN_REQUEST_TIMEOUT", default_value_t = 30, global = true)]
    pub request_timeout_secs: u64,

    /// Browser origins allowed by CORS, comma-separated; empty = CORS closed.
    #[arg(long, env = "DANGJIAN_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// How long a request waits for a free database connection before it is answered
    /// 503 with `Retry-After`, in milliseconds (at most a third of the request timeout).
    #[arg(long, env = "DANGJIAN_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 1000, global = true)]
    pub db_acquire_timeout_ms: u64,

    /// Requests one replica works on at once (health, readiness and metrics not
    /// counted); beyond it a request is answered 503 with `Retry-After` at once instead
    /// of queueing. 0 = no cap.
    #[arg(long, env = "DANGJIAN_MAX_IN_FLIGHT", default_value_t = 512, global = true)]
    pub max_in_flight: usize,

    /// Seconds a request body may pause without a byte arriving before the request is
    /// answered 408 (a body still arriving when the request timeout ends is 408 too).
    #[arg(long, env = "DANGJIAN_BODY_IDLE_TIMEOUT", default_value_t = 10, global = true)]
    pub body_idle_timeout_secs: u64,

    /// Seconds a server told to stop (SIGTERM) keeps serving while `/readyz` answers 503,
    /// so that load balancers take it out of rotation before it stops accepting; then the
    /// requests in flight finish (up to 30 s). Ctrl-C (SIGINT) skips the wait.
    #[arg(long, env = "DANGJIAN_SHUTDOWN_DRAIN_SECS", default_value_t = 5, global = true)]
    pub shutdown_drain_secs: u64,

    /// Database connection pool size.
    #[arg(long, env = "DANGJIAN_DB_MAX_CONNECTIONS", default_value_t = 10, global = true)]
    pub db_max_connections: u32,

    /// Maximum GraphQL query depth (15 lets the standard introspection query of GraphiQL
    /// and client generators through; complexity bounds the cost).
    #[arg(long, env = "DANGJIAN_GRAPHQL_MAX_DEPTH", default_value_t = 15, global = true)]
    pub graphql_max_depth: usize,

    /// Maximum GraphQL query complexity (each field counts 1, lists multiply by page size).
    #[arg(long, env = "DANGJIAN_GRAPHQL_MAX_COMPLEXITY", default_value_t = 20_000, global = true)]
    pub graphql_max_complexity: usize,

    /// Maximum number of aliased fields in one GraphQL document.
    #[arg(long, env = "DANGJIAN_GRAPHQL_MAX_ALIASES", default_value_t = 30, global = true)]
    pub graphql_max_aliases: usize,

    /// Attachment storage: `file:///path` or `s3://bucket/prefix` (needs the `s3` build
    /// feature). Default: the folder `files` in the data folder.
    #[arg(long, env = "DANGJIAN_STORAGE_URL", global = true)]
    pub storage_url: Option<String>,

    /// Largest accepted attachment, in bytes.
    #[arg(long, env = "DANGJIAN_MAX_UPLOAD_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    pub max_upload_bytes: usize,

    /// Time zone in which calendar dates (due dates, "today", periods) are judged.
    #[arg(long, env = "DANGJIAN_TIME_ZONE", default_value = "Asia/Shanghai", global = true)]
    pub time_zone: chrono_tz::Tz,

    /// Threads that hash and check passwords (argon2id); at most this many run at once
    /// (default: one per core).
    #[arg(long, env = "DANGJIAN_PASSWORD_THREADS", global = true)]
    pub password_threads: Option<usize>,

    /// How long a login waits for a free password thread before it is answered 503 with
    /// `Retry-After`, in milliseconds.
    #[arg(long, env = "DANGJIAN_PASSWORD_WAIT_MS", default_value_t = 1000, global = true)]
    pub password_wait_ms: u64,

    /// argon2id memory cost in KiB (default: OWASP's minimum, 19 MiB). Stored hashes
    /// weaker than the configured cost are replaced at the next successful login.
    #[arg(long, env = "DANGJIAN_ARGON2_MEMORY_KIB", default_value_t = 19 * 1024, global = true)]
    pub argon2_memory_kib: u32,

    /// argon2id iterations.
    #[arg(long, env = "DANGJIAN_ARGON2_ITERATIONS", default_value_t = 2, global = true)]
    pub argon2_iterations: u32,

    /// argon2id lanes.
    #[arg(long, env = "DANGJIAN_ARGON2_PARALLELISM", default_value_t = 1, global = true)]
    pub argon2_parallelism: u32,

    /// Deepest nesting of `{`, `[` and `(` a GraphQL document may have; checked before
    /// the document is parsed.
    #[arg(long, env = "DANGJIAN_GRAPHQL_MAX_NESTING", default_value_t = 32, global = true)]
    pub graphql_max_nesting: usize,

    /// Most tokens (names, values, punctuation) a GraphQL document may have; checked
    /// before the document is parsed.
    #[arg(long, env = "DANGJIAN_GRAPHQL_MAX_TOKENS", default_value_t = 5_000, global = true)]
    pub graphql_max_tokens: usize,

    /// Most fields (`__typename` included) one selection set may list.
    #[arg(long, env = "DANGJIAN_GRAPHQL_MAX_FIELDS_PER_SELECTION", default_value_t = 64, global = true)]
    pub graphql_max_fields_per_selection: usize,

    /// Most study time one person is credited per day, in seconds (the server also
    /// never credits more than the time that really passed).
    #[arg(long, env = "DANGJIAN_STUDY_DAILY_LIMIT", default_value_t = 4 * 3600, global = true)]
    pub study_daily_limit_secs: i64,

    /// Who may open GraphiQL, the docs UI and the OpenAPI document: `public` or `admins`
    /// (default: `public` in development, `admins` in production).
    #[arg(long, env = "DANGJIAN_UI_ACCESS", value_enum, global = true)]
    pub ui_access: Option<UiAccess>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "DANGJIAN_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Bearer token that opens the Prometheus metrics at `/metrics` (at least 16
    /// characters); without it `/metrics` answers 404.
    #[arg(long, env = "DANGJIAN_METRICS_TOKEN", hide_env_values = true, value_parser = secret, global = true)]
    pub metrics_token: Option<SecretString>,

    /// A second address (e.g. `127.0.0.1:9100` or a management network's) that serves
    /// `/metrics` only, without a token: for a Prometheus that may reach it while clients
    /// may not. Unset: no second listener.
    #[arg(long, env = "DANGJIAN_METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,

    /// Answer every request with an `X-SQL-Statements` header: how many SQL statements it
    /// ran (transaction control not counted). For tests and the benchmark.
    #[arg(long, env = "DANGJIAN_STATEMENT_HEADER", default_value_t = false, global = true)]
    pub statement_header: bool,

    /// How long a replica may serve a cached account, service client or grant list
    /// before it reads it again (seconds; 0 = always read). Changes made through this
    /// replica take effect at once; changes made through another replica (a disabled
    /// account, a revoked grant) within this bound.
    #[arg(long, env = "DANGJIAN_AUTH_CACHE_SECS", default_value_t = 5, global = true)]
    pub auth_cache_secs: u64,

    /// Requests a service client may make per minute on this replica (a burst of that
    /// many, refilled evenly over the minute); beyond it 429 with `Retry-After`. 0 = no limit.
    #[arg(long, env = "DANGJIAN_RATE_LIMIT_CLIENT", default_value_t = 1200, global = true)]
    pub rate_limit_client: u32,

    /// Requests an account may make per minute on this replica, as for clients. 0 = no limit.
    #[arg(long, env = "DANGJIAN_RATE_LIMIT_ACCOUNT", default_value_t = 600, global = true)]
    pub rate_limit_account: u32,

    /// Token requests (sign-ins, refreshes, client credentials) one source address may make
    /// per minute on this replica. Behind a load balancer every request comes from its
    /// address: raise this or limit at the balancer. 0 = no limit.
    #[arg(long, env = "DANGJIAN_RATE_LIMIT_TOKEN", default_value_t = 300, global = true)]
    pub rate_limit_token: u32,

    /// How long a service client's previous secret keeps working after its secret is
    /// rotated (seconds; a rotation may ask for less, down to 0), so the integration can
    /// switch without an outage.
    #[arg(long, env = "DANGJIAN_CLIENT_SECRET_GRACE_SECS", default_value_t = 86_400, global = true)]
    pub client_secret_grace_secs: i64,

    /// Webhook targets allowed although they are private, loopback or link-local:
    /// host names, addresses or networks (`10.1.0.0/16`), comma-separated. Others are
    /// refused (server-side request forgery).
    #[arg(long, env = "DANGJIAN_WEBHOOK_ALLOW", value_delimiter = ',', global = true)]
    pub webhook_allow: Vec<String>,

    /// Seconds a webhook delivery may take in all, 1–45 (connecting: at most 5).
    #[arg(long, env = "DANGJIAN_WEBHOOK_TIMEOUT_SECS", default_value_t = 15, global = true)]
    pub webhook_timeout_secs: u64,

    /// Failed webhook deliveries in a row after which a subscription is disabled.
    #[arg(long, env = "DANGJIAN_WEBHOOK_MAX_FAILURES", default_value_t = 12, global = true)]
    pub webhook_max_failures: i32,

    /// The first retry of a failed webhook delivery waits about this many seconds, each
    /// next one twice as long (with ±50 % jitter), at most an hour.
    #[arg(long, env = "DANGJIAN_WEBHOOK_RETRY_SECS", default_value_t = 10, global = true)]
    pub webhook_retry_secs: u64,
}

/// The longest a service client's replaced secret may keep working: 30 days.
pub const MAX_CLIENT_SECRET_GRACE_SECS: i64 = 30 * 24 * 3600;

impl Settings {
    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url
            .as_ref()
            .map(|u| u.expose_secret().to_owned())
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("dangjian.db").display()))
    }

    /// How reported study time is credited.
    pub fn study_limits(&self) -> StudyLimits {
        StudyLimits { daily_seconds: self.study_daily_limit_secs, time_zone: self.time_zone }
    }

    /// Who may open the browser tools.
    pub fn ui_access(&self) -> UiAccess {
        self.ui_access.unwrap_or(match self.environment {
            Environment::Development => UiAccess::Public,
            Environment::Production => UiAccess::Admins,
        })
    }

    /// How long one SQL statement may run (PostgreSQL `statement_timeout`, SQLite busy
    /// timeout), and how long a request waits for a pooled connection: both well below
    /// the request timeout, so a request that times out has already given its
    /// connection back.
    pub fn statement_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis((self.request_timeout_secs.max(1) * 1000 * 3 / 4).max(500))
    }

    /// How long a request waits for a free database connection before it is answered 503.
    pub fn acquire_timeout(&self) -> std::time::Duration {
        let third = self.request_timeout_secs.max(1) * 1000 / 3;
        std::time::Duration::from_millis(self.db_acquire_timeout_ms.clamp(50, third.max(50)))
    }

    /// Today's date in the configured time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.time_zone).date_naive()
    }

    /// Refuses settings that are unsafe or meaningless; production is strict.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.access_token_ttl > 0, "DANGJIAN_ACCESS_TOKEN_TTL must be positive");
        anyhow::ensure!(self.refresh_token_ttl > 0, "DANGJIAN_REFRESH_TOKEN_TTL must be positive");
        anyhow::ensure!(
            (0..=MAX_CLIENT_SECRET_GRACE_SECS).contains(&self.client_secret_grace_secs),
            "DANGJIAN_CLIENT_SECRET_GRACE_SECS must be between 0 and 2592000 (30 days)"
        );
        anyhow::ensure!(
            (1..=45).contains(&self.webhook_timeout_secs),
            "DANGJIAN_WEBHOOK_TIMEOUT_SECS must be between 1 and 45"
        );
        anyhow::ensure!(self.webhook_max_failures >= 1, "DANGJIAN_WEBHOOK_MAX_FAILURES must be at least 1");
        anyhow::ensure!(self.lockout_threshold > 0, "DANGJIAN_LOCKOUT_THRESHOLD must be positive");
        anyhow::ensure!(self.request_timeout_secs > 0, "DANGJIAN_REQUEST_TIMEOUT must be positive");
        anyhow::ensure!(self.body_idle_timeout_secs > 0, "DANGJIAN_BODY_IDLE_TIMEOUT must be positive");
        anyhow::ensure!(self.study_daily_limit_secs > 0, "DANGJIAN_STUDY_DAILY_LIMIT must be positive");
        argon2::Params::new(self.argon2_memory_kib, self.argon2_iterations, self.argon2_parallelism, None)
            .map_err(|e| anyhow::anyhow!("DANGJIAN_ARGON2_* parameters refused: {e}"))?;
        if let Some(token) = &self.metrics_token {
            anyhow::ensure!(token.expose_secret().len() >= 16, "DANGJIAN_METRICS_TOKEN must be at least 16 characters");
        }
        if let Some(secret) = &self.jwt_secret {
            anyhow::ensure!(secret.expose_secret().len() >= 32, "DANGJIAN_JWT_SECRET must be at least 32 bytes");
        }
        if self.environment == Environment::Production {
            let secret = self.jwt_secret.as_ref().map(|s| s.expose_secret()).ok_or_else(|| {
                anyhow::anyhow!("production mode needs DANGJIAN_JWT_SECRET (at least 32 random bytes)")
            })?;
            let bits = crate::strength::estimated_entropy_bits(secret);
            anyhow::ensure!(
                bits >= crate::strength::MIN_SECRET_ENTROPY_BITS && !crate::strength::is_trivial(secret),
                "DANGJIAN_JWT_SECRET looks guessable (about {bits:.0} bits of entropy; at least \
                 {min:.0} needed): use e.g. `openssl rand -base64 48`",
                min = crate::strength::MIN_SECRET_ENTROPY_BITS
            );
            anyhow::ensure!(
                self.argon2_memory_kib >= 19 * 1024 && self.argon2_iterations >= 2,
                "production mode refuses argon2 parameters below OWASP's minimum (19456 KiB, 2 iterations)"
            );
            anyhow::ensure!(
                !self.cors_origins.iter().any(|o| o.trim() == "*"),
                "production mode refuses a wildcard in DANGJIAN_CORS_ORIGINS"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Settings {
        let mut all = vec!["dangjian"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("arguments parse").settings
    }

    #[test]
    fn production_refuses_unsafe_settings() {
        let secret = "--jwt-secret=Qm9vdHN0cmFwLXNlY3JldC1mb3ItdGVzdHMtb25seS1YN2pLcTl2";
        assert!(parse(&["--environment=production"]).check().is_err(), "no secret");
        assert!(parse(&["--environment=production", "--jwt-secret=short"]).check().is_err(), "short secret");
        let repeated = format!("--jwt-secret={}", "a".repeat(40));
        assert!(parse(&["--environment=production", &repeated]).check().is_err(), "one repeated letter");
        let sequence = "--jwt-secret=0123456789abcdef0123456789abcdef";
        assert!(parse(&["--environment=production", sequence]).check().is_err(), "a sequence");
        assert!(parse(&[&repeated]).check().is_ok(), "development only warns");
        let weak_hash = ["--environment=production", secret, "--argon2-memory-kib=1024"];
        assert!(parse(&weak_hash).check().is_err(), "argon2 below OWASP's minimum");
        assert!(parse(&["--environment=production", secret, "--cors-origins=*"]).check().is_err(), "wildcard CORS");
        assert!(parse(&["--environment=production", secret]).check().is_ok());
        assert!(parse(&["--access-token-ttl=0"]).check().is_err());
    }

    #[test]
    fn secrets_are_not_shown_by_debug() {
        let s = parse(&[
            "--jwt-secret=Qm9vdHN0cmFwLXNlY3JldC1mb3ItdGVzdHMtb25seS1YN2pLcTl2",
            "--database-url=postgres://u:pw@h/db",
        ]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("Qm9vdHN0cmFw") && !shown.contains("pw@h"), "{shown}");
        assert_eq!(s.database_url(), "postgres://u:pw@h/db");
    }

    #[test]
    fn default_database_is_a_sqlite_file_in_the_data_folder() {
        let s = parse(&["--data-dir=/tmp/dj"]);
        assert_eq!(s.database_url(), "sqlite:///tmp/dj/dangjian.db?mode=rwc");
    }
}
