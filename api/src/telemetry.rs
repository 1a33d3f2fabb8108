//! What the server counts about itself: Prometheus metrics (served at `/metrics` to
//! holders of the metrics token) and the SQL statements each request runs.
//!
//! Statements are counted by the database pool's metric callback ([`on_statement`]).
//! A request runs inside [`count_statements`], which gives it a task-local counter; the
//! GraphQL loaders carry that counter into the tasks they spawn ([`propagate`]), so
//! every statement a request causes is counted against it, and statements of
//! background work (the audit chainer) are counted apart. The per-request count is what
//! the benchmark reports and what the tests assert ("few and constant statements").

use std::future::Future;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The statement counter of one request.
pub type StatementCounter = Arc<AtomicU32>;

tokio::task_local! {
    static STATEMENTS: StatementCounter;
}

/// Counter name: SQL statements run, by `origin` (`request` or `background`).
pub const SQL_STATEMENTS: &str = "dangjian_sql_statements_total";
/// Counter name: HTTP requests answered, by `route` pattern, `method` and `status`.
pub const HTTP_REQUESTS: &str = "dangjian_http_requests_total";
/// Histogram name: seconds from request to response head, by `route` and `method`.
pub const HTTP_DURATION: &str = "dangjian_http_request_duration_seconds";
/// Counter name: requests answered 503 at once because `DANGJIAN_MAX_IN_FLIGHT`
/// requests were in flight.
pub const SHED: &str = "dangjian_requests_shed_total";
/// Gauge name: requests in flight on this replica (probes and metrics not counted).
pub const IN_FLIGHT: &str = "dangjian_http_requests_in_flight";
/// Counter name: refused password sign-ins, by `reason` (`unknown_account`,
/// `wrong_password`, `locked_or_disabled`).
pub const LOGIN_FAILURES: &str = "dangjian_login_failures_total";
/// Counter name: accounts locked after repeated failed password checks.
pub const LOCKOUTS: &str = "dangjian_account_lockouts_total";
/// Gauge name: password checks and hashes waiting for a free password thread.
pub const PASSWORD_WAITING: &str = "dangjian_password_checks_waiting";
/// Counter name: password checks answered 503 because no password thread was free in time.
pub const PASSWORD_REFUSED: &str = "dangjian_password_checks_refused_total";
/// Gauge name: seconds between the oldest audit record of the chainer's last pass and its
/// linking into the hash chain (0 when nothing waited).
pub const AUDIT_CHAIN_LAG: &str = "dangjian_audit_chain_lag_seconds";
/// Counter name: audit records linked into the hash chain by this replica.
pub const AUDIT_LINKED: &str = "dangjian_audit_records_linked_total";
/// Histogram name: SQL statements one request ran, by `route`.
pub const SQL_PER_REQUEST: &str = "dangjian_sql_statements_per_request";
/// Counter name: GraphQL operations run, by `operation` name (see [`operation_label`])
/// and `outcome` (`ok` or `error`).
pub const GRAPHQL_OPERATIONS: &str = "dangjian_graphql_operations_total";
/// Counter name: requests refused for being over quota, by `policy` (`client`,
/// `account`, `token`).
pub const RATE_LIMITED: &str = "dangjian_rate_limited_total";

/// The process-wide Prometheus recorder (installed on first use; several applications
/// in one process, as in the test suite, share it).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .and_then(|b| {
                b.set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(SQL_PER_REQUEST.into()),
                    &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 12.0, 20.0, 50.0, 100.0],
                )
            })
            .map(|b| b.build_recorder())
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only when another recorder is installed already; then ours stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The pool's metric callback: one statement ran, for the current request if any.
pub fn on_statement() {
    match STATEMENTS.try_with(|c| c.fetch_add(1, Ordering::Relaxed)) {
        Ok(_) => metrics::counter!(SQL_STATEMENTS, "origin" => "request").increment(1),
        Err(_) => metrics::counter!(SQL_STATEMENTS, "origin" => "background").increment(1),
    }
}

/// Runs `fut` (one request) with its own statement counter, returning what it counted.
pub async fn count_statements<F: Future>(fut: F) -> (F::Output, u32) {
    let counter = StatementCounter::default();
    let out = STATEMENTS.scope(counter.clone(), fut).await;
    (out, counter.load(Ordering::Relaxed))
}

/// Wraps a future that will run in another task so that its statements count for the
/// request spawning it (GraphQL loaders batch in spawned tasks).
pub fn propagate<F: Future + Send + 'static>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
where
    F::Output: Send,
{
    let counter = STATEMENTS.try_with(Arc::clone).ok();
    async move {
        match counter {
            Some(c) => STATEMENTS.scope(c, fut).await,
            None => fut.await,
        }
    }
}

/// Statements the current request has run so far (0 outside a request).
pub fn statements_so_far() -> u32 {
    STATEMENTS.try_with(|c| c.load(Ordering::Relaxed)).unwrap_or(0)
}

/// Gauge name: connections the pool holds, by `state` (`in_use`, `idle`).
pub const DB_POOL: &str = "dangjian_db_pool_connections";

/// Sets the pool gauges from `db`'s pool (read when `/metrics` is served).
pub fn pool_gauges(db: &sea_orm::DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics::gauge!(DB_POOL, "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!(DB_POOL, "state" => "idle").set(f64::from(idle));
}

/// How many distinct GraphQL operation names the metrics keep apart; later names count
/// as `other` (clients choose names, and every name is a time series).
const MAX_OPERATION_NAMES: usize = 200;

/// The `operation` label of a GraphQL operation: its name when it is a plain GraphQL name
/// of at most 64 characters among the first [`MAX_OPERATION_NAMES`] seen, `anonymous`
/// without one, `other` otherwise.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|n| !n.is_empty()) else { return "anonymous".into() };
    let plain = name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !plain {
        return "other".into();
    }
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else { return "other".into() };
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".into()
    }
}

/// Trace export over OTLP/HTTP (the `otlp` build feature): a `tracing` layer that sends
/// the request spans, the services' spans and the SQL statements (as events on the span
/// that ran them) to the collector named by `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the OpenTelemetry variables, `OTEL_BSP_*` and
/// `OTEL_EXPORTER_OTLP_HEADERS` included). `DANGJIAN_OTLP_FILTER` chooses what is
/// exported (default `info,dangjian=debug`: every service call and statement).
#[cfg(feature = "otlp")]
pub mod otlp {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::{EnvFilter, Layer, registry::LookupSpan};

    /// Keeps the exporter running; [`Export::shutdown`] sends what is buffered.
    pub struct Export(SdkTracerProvider);

    impl Export {
        /// Sends the spans still buffered and stops the exporter.
        pub fn shutdown(self) {
            if let Err(err) = self.0.shutdown() {
                eprintln!("trace export: the last spans were not sent: {err}");
            }
        }
    }

    /// A `tracing` layer for subscribers of type `S`.
    pub type BoxedLayer<S> = Box<dyn Layer<S> + Send + Sync>;

    /// The export layer and its handle, when an OTLP endpoint is configured.
    pub fn layer<S>() -> anyhow::Result<Option<(BoxedLayer<S>, Export)>>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        let configured = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|u| !u.trim().is_empty()));
        if !configured {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name("dangjian")
            .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let filter =
            EnvFilter::try_new(std::env::var("DANGJIAN_OTLP_FILTER").unwrap_or_else(|_| "info,dangjian=debug".into()))?;
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("dangjian")).with_filter(filter);
        Ok(Some((Box::new(layer), Export(provider))))
    }
}
