//! The `dangjian` binary: parses the command line and calls the library.

use clap::{Parser, Subcommand, ValueEnum};
use dangjian::config::{LogFormat, Settings};
use migration::{Migrator, MigratorTrait};

/// mimalloc: per-thread free lists that return memory after bursts, instead of the
/// system allocator's arenas (a quarter of the CPU under load was spent there).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// dangjian: the party-building knowledge base API (REST + GraphQL).
///
/// Every setting can also be given as the environment variable shown in brackets.
#[derive(Debug, Parser)]
#[command(name = "dangjian", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (the default): migrations are applied and, on an empty
    /// database, the `admin` account is created.
    Serve,
    /// Apply, revert or list database migrations.
    Migrate {
        /// What to do.
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Create a global administrator account (if the username is free).
    CreateAdmin {
        /// Username of the new administrator.
        #[arg(long, default_value = "admin")]
        username: String,
        /// Password; generated and printed when omitted.
        #[arg(long, env = "DANGJIAN_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Load the demo organisation (idempotent); prints the demo logins.
    SeedDemo,
    /// Invalidate every access and refresh token issued so far (everyone signs in
    /// again). The last step of restoring a backup: revocations made after the backup
    /// stay in force. The server also does this by itself when it recognises a restore.
    InvalidateTokens,
    /// Back up the database and the attachments, online and consistently, into a new
    /// folder: SQLite by `VACUUM INTO`, PostgreSQL by `pg_dump` in one snapshot, with a
    /// manifest of row counts.
    Backup {
        /// The folder to create (it must not exist, or be empty).
        dir: std::path::PathBuf,
        #[command(flatten)]
        tools: dangjian::backup::PgTools,
    },
    /// Restore a backup into a new, empty database and the attachment storage, check
    /// the row counts, invalidate every token issued before and verify the audit chain.
    Restore {
        /// The backup folder.
        dir: std::path::PathBuf,
        #[command(flatten)]
        tools: dangjian::backup::PgTools,
    },
    /// Benchmark search: load generated Chinese documents into a scratch database
    /// (default: a temporary SQLite file) and report latency percentiles.
    BenchSearch {
        /// Documents to generate.
        #[arg(long, default_value_t = 20_000)]
        docs: usize,
        /// Searches to time.
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
    /// Load the load benchmark's dataset in bulk into a scratch database (default: a new
    /// SQLite file in a temporary folder) with the administrator `bench` (password:
    /// `--admin-password`, else DANGJIAN_BENCH_PASSWORD, else `Bench-Passw0rd!`).
    BenchLoad {
        #[command(flatten)]
        sizes: dangjian::bench::load::Sizes,
    },
    /// Load benchmark: load the dataset (unless --skip-load), start the server as a child
    /// process and drive everyday operations over REST and GraphQL with `oha`; prints a
    /// Markdown table (throughput, latency, errors, server CPU and SQL per request).
    Bench {
        #[command(flatten)]
        sizes: dangjian::bench::load::Sizes,
        #[command(flatten)]
        options: dangjian::bench::drive::Options,
    },
    /// Print the OpenAPI document (JSON).
    Openapi,
    /// Print the GraphQL schema (SDL).
    GraphqlSchema,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migration.
    Down,
    /// List migrations and whether they are applied.
    Status,
}

/// mimalloc gives a freed page back to the system only when, `MIMALLOC_PURGE_DELAY` ms
/// later (10 by default), the thread that freed it allocates again; password threads
/// and idle workers may not for hours, so the memory of a burst of logins stayed with
/// the process (measured: 132 MiB a minute after a 200-login flood, against 82 MiB with
/// the delay at 0). mimalloc reads its options when the process starts, so the server
/// sets the variable and executes itself again, once, keeping its process id and
/// arguments. A `MIMALLOC_PURGE_DELAY` set by the operator is left as it is.
fn return_freed_memory_promptly() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else { return };
        let err =
            std::process::Command::new(exe).args(std::env::args_os().skip(1)).env("MIMALLOC_PURGE_DELAY", "0").exec();
        // `exec` returns only when it failed: carry on with mimalloc's defaults.
        eprintln!("could not restart with MIMALLOC_PURGE_DELAY=0 ({err}); freed memory may stay with the process");
    }
}

/// Log lines to stderr (human or JSON), and with the `otlp` feature and an OTLP endpoint
/// configured, trace export; the returned handle flushes the export at exit.
fn init_tracing(settings: &Settings) -> Tracing {
    use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let lines = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).boxed(),
        LogFormat::Human => tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed(),
    }
    .with_filter(filter);
    let registry = tracing_subscriber::registry().with(lines);
    #[cfg(feature = "otlp")]
    {
        match dangjian::telemetry::otlp::layer() {
            Ok(Some((layer, export))) => {
                registry.with(layer).init();
                tracing::info!("exporting traces over OTLP");
                return Tracing { export: Some(export) };
            }
            Ok(None) => {}
            Err(err) => eprintln!("trace export not started: {err:#}"),
        }
    }
    registry.init();
    Tracing {
        #[cfg(feature = "otlp")]
        export: None,
    }
}

/// What `init_tracing` started that must be finished at exit.
struct Tracing {
    /// The trace exporter, when one runs.
    #[cfg(feature = "otlp")]
    export: Option<dangjian::telemetry::otlp::Export>,
}

impl Tracing {
    /// Sends the trace spans still buffered.
    fn finish(self) {
        #[cfg(feature = "otlp")]
        if let Some(export) = self.export {
            export.shutdown();
        }
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            println!("{}", dangjian::rest::openapi().to_pretty_json()?);
        }
        Command::GraphqlSchema => {
            print!("{}", dangjian::graphql::sdl(&settings));
        }
        Command::Serve => {
            return_freed_memory_promptly();
            let tracing = init_tracing(&settings);
            let served = serve(settings).await;
            tracing.finish();
            served?;
        }
        Command::Migrate { action } => {
            let _tracing = init_tracing(&settings);
            if settings.database_url.is_none() {
                std::fs::create_dir_all(&settings.data_dir)?;
            }
            let db = dangjian::db::connect(&settings.database_url(), 2, dangjian::db::Timeouts::admin()).await?;
            match action {
                MigrateAction::Up => Migrator::up(&db, None).await?,
                MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
                MigrateAction::Status => {
                    for m in Migrator::get_migration_with_status(&db).await? {
                        println!("{}\t{}", m.name(), m.status());
                    }
                }
            }
        }
        Command::CreateAdmin { username, password } => {
            let _tracing = init_tracing(&settings);
            let db = dangjian::startup::connect_and_migrate(&settings).await?;
            let passwords = dangjian::startup::password_pool(&settings)?;
            match dangjian::services::auth::ensure_admin(&db, &passwords, &username, password).await? {
                None => println!("an account named {username} already exists; nothing changed"),
                Some(Some(generated)) => println!("created administrator {username} with password: {generated}"),
                Some(None) => println!("created administrator {username}"),
            }
        }
        Command::BenchSearch { docs, queries } => {
            let _tracing = init_tracing(&settings);
            let tmp = std::env::temp_dir().join(format!("dangjian-bench-{}", std::process::id()));
            let url = match &settings.database_url {
                Some(_) => settings.database_url(),
                None => {
                    std::fs::create_dir_all(&tmp)?;
                    format!("sqlite://{}?mode=rwc", tmp.join("bench.db").display())
                }
            };
            let db = dangjian::db::connect(&url, 4, dangjian::db::Timeouts::admin()).await?;
            Migrator::up(&db, None).await?;
            let backend = format!("{:?}", db.get_database_backend());
            let r = dangjian::bench::search::run(&db, docs, queries).await?;
            println!(
                "backend={backend} documents={} load={:.1}s queries={} p50={:.2}ms p95={:.2}ms p99={:.2}ms mean={:.2}ms hits/query={:.1}",
                r.documents,
                r.load_seconds,
                r.queries,
                r.p50.as_secs_f64() * 1e3,
                r.p95.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3,
                r.mean.as_secs_f64() * 1e3,
                r.mean_hits
            );
            if settings.database_url.is_none() {
                std::fs::remove_dir_all(&tmp).ok();
            }
        }
        Command::BenchLoad { sizes } => {
            let _tracing = init_tracing(&settings);
            dangjian::bench::load::run(&settings, &sizes).await?;
        }
        Command::Bench { sizes, options } => {
            let _tracing = init_tracing(&settings);
            dangjian::bench::drive::run(&settings, &sizes, &options).await?;
        }
        Command::InvalidateTokens => {
            let _tracing = init_tracing(&settings);
            let db = dangjian::startup::connect_and_migrate(&settings).await?;
            let actor = dangjian::auth::Actor::system();
            let epoch = dangjian::services::epoch::bump(&db, &actor, "dangjian invalidate-tokens").await?;
            if let Some(path) = dangjian::services::epoch::watermark_path(&settings.database_url()) {
                dangjian::services::epoch::save_watermark(&db, &path).await?;
            }
            println!("every token issued before is invalid now (token epoch {epoch})");
        }
        Command::Backup { dir, tools } => {
            let _tracing = init_tracing(&settings);
            let m = dangjian::backup::backup(&settings, &dir, &tools).await?;
            let rows: i64 = m.tables.values().sum();
            println!(
                "backed up {} database ({} tables, {rows} rows) and {} attachments ({} bytes) into {}",
                m.backend,
                m.tables.len(),
                m.attachments,
                m.attachment_bytes,
                dir.display()
            );
        }
        Command::Restore { dir, tools } => {
            let _tracing = init_tracing(&settings);
            let r = dangjian::backup::restore(&settings, &dir, &tools).await?;
            let rows: i64 = r.manifest.tables.values().sum();
            println!(
                "restored the backup of {} ({} tables, {rows} rows, row counts checked) and {} attachments",
                r.manifest.created_at,
                r.manifest.tables.len(),
                r.attachments
            );
            println!("every token issued before is invalid now (token epoch {})", r.token_epoch);
            anyhow::ensure!(
                r.chain_ok,
                "the restored audit chain does NOT verify ({} records checked)",
                r.chain_records
            );
            println!("audit chain verified ({} records)", r.chain_records);
        }
        Command::SeedDemo => {
            let _tracing = init_tracing(&settings);
            let db = dangjian::startup::connect_and_migrate(&settings).await?;
            let passwords = dangjian::startup::password_pool(&settings)?;
            let report = dangjian::seed::seed_demo(&db, &passwords).await?;
            println!("{report}");
        }
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    settings.check()?;
    let db = dangjian::startup::connect_and_migrate(&settings).await?;
    let passwords = dangjian::startup::password_pool(&settings)?;
    match dangjian::services::auth::ensure_admin(
        &db,
        &passwords,
        "admin",
        settings.admin_password.as_ref().map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned()),
    )
    .await?
    {
        Some(Some(generated)) => {
            println!("================================================================");
            println!(" First start: created the administrator account");
            println!("   username: admin");
            println!("   password: {generated}");
            println!(" It is shown only this once. Change it with POST /api/v1/me/password.");
            println!("================================================================");
        }
        Some(None) => tracing::info!("created the administrator account 'admin' with DANGJIAN_ADMIN_PASSWORD"),
        None => {}
    }
    let bind = settings.bind.clone();
    let workers = settings.workers;
    // On SQLite, keep the revocation count beside the database file, so a restored older
    // copy is recognised at the next start (services::epoch).
    if let Some(path) = dangjian::services::epoch::watermark_path(&settings.database_url()) {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
            loop {
                tick.tick().await;
                if let Err(err) = dangjian::services::epoch::save_watermark(&db, &path).await {
                    tracing::warn!(error = %err, "could not record the revocation count beside the database");
                }
            }
        });
    }
    // Links new audit records into the hash chain moments after they commit.
    tokio::spawn(dangjian::services::audit::run_chainer(db.clone()));
    let state = dangjian::startup::build_state_with(db, settings, passwords)?;
    // Delivers webhooks (one replica per subscription at a time, by lease).
    tokio::spawn(dangjian::services::webhooks::run_deliverer(state.db.clone(), state.webhooks.clone()));
    // Forgets callers whose quota is whole again.
    let limits = state.rate_limits.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(dangjian::ratelimit::RateLimits::FORGET_INTERVAL);
        loop {
            tick.tick().await;
            limits.forget_idle();
        }
    });
    tracing::info!(%bind, "dangjian listening: REST /api/v1, GraphQL /graphql, GraphiQL /graphiql, docs /docs");
    let schema = dangjian::startup::build_schema(&state.settings);
    let draining = state.draining.clone();
    let metrics_bind = state.settings.metrics_bind.clone();
    let metrics_state = state.clone();
    let drain = std::time::Duration::from_secs(state.settings.shutdown_drain_secs);
    let mut server = actix_web::HttpServer::new(move || dangjian::startup::build_app(state.clone(), schema.clone()))
        .disable_signals()
        .shutdown_timeout(30);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    let server = server.bind(&bind)?.run();
    let handle = server.handle();
    let metrics_server = match metrics_bind {
        Some(address) => {
            tracing::info!(%address, "metrics at /metrics on the management address, without a token");
            let state = metrics_state;
            let server = actix_web::HttpServer::new(move || {
                let state = state.clone();
                actix_web::App::new().route(
                    "/metrics",
                    actix_web::web::get().to(move || {
                        let state = state.clone();
                        async move { dangjian::http::metrics_text(&state) }
                    }),
                )
            })
            .workers(1)
            .disable_signals()
            .bind(&address)?
            .run();
            Some(server)
        }
        None => None,
    };
    let metrics_handle = metrics_server.as_ref().map(actix_web::dev::Server::handle);
    if let Some(server) = metrics_server {
        actix_web::rt::spawn(server);
    }
    actix_web::rt::spawn(async move {
        let drain = match stop_signal().await {
            Stop::Terminate => drain,
            Stop::Interrupt => std::time::Duration::ZERO,
        };
        if !drain.is_zero() {
            tracing::info!(
                seconds = drain.as_secs(),
                "stopping: /readyz answers 503 while balancers take this replica out"
            );
            draining.store(true, std::sync::atomic::Ordering::Relaxed);
            // A second signal cuts the wait short.
            tokio::select! {
                () = tokio::time::sleep(drain) => {}
                _ = stop_signal() => {}
            }
        }
        tracing::info!("stopping: no new connections; finishing the requests in flight");
        handle.stop(true).await;
        if let Some(metrics) = metrics_handle {
            metrics.stop(true).await;
        }
    });
    server.await?;
    Ok(())
}

/// How the server was told to stop.
enum Stop {
    /// SIGTERM (an orchestrator, systemd, `docker stop`): drain first.
    Terminate,
    /// SIGINT (Ctrl-C at a terminal): stop at once (still finishing requests in flight).
    Interrupt,
}

/// Waits for SIGTERM or SIGINT.
async fn stop_signal() -> Stop {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => Stop::Terminate,
                _ = actix_web::rt::signal::ctrl_c() => Stop::Interrupt,
            },
            Err(_) => {
                let _ = actix_web::rt::signal::ctrl_c().await;
                Stop::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = actix_web::rt::signal::ctrl_c().await;
        Stop::Interrupt
    }
}
