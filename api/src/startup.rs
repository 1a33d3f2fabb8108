//! Start-up: connect and migrate, build the shared state, and assemble the actix
//! application. `build_app` is the same for the binary and the test suite.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::{
    App, HttpMessage, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceFactory, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::header::{self, HeaderValue},
    middleware::{self, Next},
    web,
};
use futures_util::{FutureExt, StreamExt};
use migration::{Migrator, MigratorTrait};
use object_store::ObjectStoreExt;
use sea_orm::DatabaseConnection;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::{HashCost, Passwords};
use crate::config::Settings;
use crate::error::AppError;
use crate::graphql::{self, AppSchema};
use crate::rest;
use crate::services::auth::AuthPolicy;
pub use crate::state::AppState;

/// Connects to the configured database (creating the data folder for the default
/// SQLite file) and applies pending migrations on a connection of its own (without
/// the request-sized statement timeout), then opens the server's pool.
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)?;
    }
    let url = settings.database_url();
    let admin = crate::db::connect(&url, 1, crate::db::Timeouts::admin()).await?;
    Migrator::up(&admin, None).await?;
    // Audit records written before the hash chain existed join it now (a no-op later).
    let chained = crate::services::audit::chain_backlog(&admin).await?;
    if chained > 0 {
        tracing::info!(chained, "chained audit records written before the audit chain existed");
    }
    // A restored database must not bring revoked logins back.
    if let Some(reason) = crate::services::epoch::check_restore(&admin, &url).await? {
        tracing::warn!(%reason, "the database looks restored: every token issued before is now invalid");
    }
    admin.close().await?;
    Ok(crate::db::connect(&url, settings.db_max_connections, crate::db::Timeouts::for_settings(settings)).await?)
}

/// The bounded password-hashing pool the settings describe.
pub fn password_pool(settings: &Settings) -> anyhow::Result<Passwords> {
    let threads =
        settings.password_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let cost = HashCost {
        memory_kib: settings.argon2_memory_kib,
        iterations: settings.argon2_iterations,
        parallelism: settings.argon2_parallelism,
    };
    Ok(Passwords::new(threads, Duration::from_millis(settings.password_wait_ms), cost)?)
}

/// Builds the shared state (with a password pool of its own).
pub fn build_state(db: DatabaseConnection, settings: Settings) -> anyhow::Result<AppState> {
    let passwords = password_pool(&settings)?;
    build_state_with(db, settings, passwords)
}

/// Builds the shared state around an existing password pool.
pub fn build_state_with(db: DatabaseConnection, settings: Settings, passwords: Passwords) -> anyhow::Result<AppState> {
    settings.check()?;
    let keys = JwtKeys::from_settings(&settings)?;
    let policy = AuthPolicy {
        passwords,
        lockout_threshold: settings.lockout_threshold,
        lockout_seconds: settings.lockout_seconds,
        refresh_ttl: settings.refresh_token_ttl,
        client_secret_grace_secs: settings.client_secret_grace_secs,
    };
    let storage = crate::storage::from_settings(&settings)?;
    crate::services::segment::warm_up();
    crate::rest::warm_up();
    crate::telemetry::prometheus();
    crate::services::set_calendar_zone(settings.time_zone);
    let auth_cache = Arc::new(crate::services::auth::AuthCache::new(Duration::from_secs(settings.auth_cache_secs)));
    let rate_limits = Arc::new(crate::ratelimit::RateLimits::from_settings(&settings));
    let webhooks = crate::services::webhooks::WebhookPolicy::from_settings(&settings);
    let in_flight = (settings.max_in_flight > 0).then(|| Arc::new(tokio::sync::Semaphore::new(settings.max_in_flight)));
    Ok(AppState {
        db,
        keys: Arc::new(keys),
        policy,
        settings: Arc::new(settings),
        storage,
        auth_cache,
        rate_limits,
        webhooks,
        in_flight,
        draining: Arc::default(),
    })
}

/// Routes that answer whatever the load: probes and metrics are never shed.
fn never_shed(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// How a request's body is arriving, so that a client that stalls or trickles is
/// answered 408 (its fault) rather than 400 or 503.
#[derive(Default)]
struct BodyWatch {
    /// The handler has asked for the body and it has not all arrived yet.
    reading: Cell<bool>,
    /// No byte arrived for the idle timeout.
    stalled: Cell<bool>,
}

/// Puts a [`BodyWatch`] between the connection and the handler when the request has a
/// body: a pause longer than `idle` ends the body with an error the guard answers 408.
fn watch_body(req: &mut ServiceRequest, idle: Duration) -> Option<Rc<BodyWatch>> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if !chunked && declared.unwrap_or(0) == 0 {
        return None;
    }
    let watch = Rc::new(BodyWatch::default());
    let seen = Rc::clone(&watch);
    let inner = req.take_payload();
    let stream = futures_util::stream::unfold(Some(inner), move |inner| {
        let seen = Rc::clone(&seen);
        async move {
            let mut inner = inner?;
            seen.reading.set(true);
            match tokio::time::timeout(idle, inner.next()).await {
                Ok(Some(item)) => Some((item, Some(inner))),
                Ok(None) => {
                    seen.reading.set(false);
                    None
                }
                Err(_) => {
                    seen.stalled.set(true);
                    let stalled = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body stalled");
                    Some((Err(PayloadError::Io(stalled)), None))
                }
            }
        }
    });
    // Fused: readers such as multipart poll again after the end.
    req.set_payload(Payload::Stream { payload: Box::pin(stream.fuse()) });
    Some(watch)
}

/// Request id header, load shedding, timeouts and panic guard around every request:
/// - beyond `DANGJIAN_MAX_IN_FLIGHT` requests in flight, 503 with `Retry-After` at once;
/// - a body that stalls for `DANGJIAN_BODY_IDLE_TIMEOUT`, or is still arriving when the
///   request timeout ends, 408;
/// - a request that takes longer than the request timeout otherwise, 503 `TIMEOUT`;
/// - a panicking handler, 500 (logged, never shown).
async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (timeout, idle, in_flight) = match req.app_data::<web::Data<AppState>>() {
        Some(s) => (
            Duration::from_secs(s.settings.request_timeout_secs),
            Duration::from_secs(s.settings.body_idle_timeout_secs),
            s.in_flight.clone(),
        ),
        None => (Duration::from_secs(30), Duration::from_secs(10), None),
    };
    let _place = match in_flight {
        Some(places) if !never_shed(req.path()) => match places.try_acquire_owned() {
            Ok(place) => Some(place),
            Err(_) => {
                metrics::counter!(crate::telemetry::SHED).increment(1);
                tracing::debug!("requests in flight at DANGJIAN_MAX_IN_FLIGHT: shed with 503");
                return Ok(req.error_response(AppError::Busy(1)));
            }
        },
        _ => None,
    };
    let request_id = req.extensions().get::<RequestId>().map(|r| r.to_string());
    let body = watch_body(&mut req, idle);
    let late_body = || body.as_ref().is_some_and(|b| b.stalled.get() || b.reading.get());
    // The request must not be cloned before routing, so failures here are answered as
    // errors (actix renders them through `ResponseError`: problem+json).
    let outcome = tokio::time::timeout(timeout, AssertUnwindSafe(next.call(req)).catch_unwind()).await;
    let mut res = match outcome {
        Ok(Ok(res)) => res?.map_into_boxed_body(),
        Ok(Err(_panic)) => return Err(AppError::internal(anyhow::anyhow!("a request handler panicked")).into()),
        Err(_elapsed) if late_body() => {
            tracing::info!("request body still arriving at the request timeout: 408");
            return Err(AppError::RequestTimeout.into());
        }
        Err(_elapsed) => {
            tracing::warn!(seconds = timeout.as_secs(), "request timed out: 503");
            return Err(AppError::Timeout.into());
        }
    };
    if body.as_ref().is_some_and(|b| b.stalled.get()) {
        // The handler answered the broken body (400, most likely); the cause was the client's pause.
        let (http_req, _) = res.into_parts();
        res = ServiceResponse::new(http_req, actix_web::ResponseError::error_response(&AppError::RequestTimeout));
    }
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), id);
    }
    // Where the request stood against its quota (a refusal already says so).
    let quota = res.request().extensions().get::<crate::ratelimit::QuotaState>().cloned();
    if let Some(quota) = quota.filter(|_| !res.headers().contains_key(crate::ratelimit::STATE_HEADER)) {
        crate::ratelimit::insert_headers(res.headers_mut(), &quota);
    }
    Ok(res)
}

fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-changes-cursor"),
            header::HeaderName::from_static("idempotent-replayed"),
            header::HeaderName::from_static(crate::ratelimit::POLICY_HEADER),
            header::HeaderName::from_static(crate::ratelimit::STATE_HEADER),
        ])
        .max_age(3600);
    for origin in settings.cors_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// How long `/readyz` waits for the database before it says "unreachable": an
/// orchestrator's probe gets an answer well within its own timeout.
const READY_CHECK: Duration = Duration::from_millis(800);

/// How one dependency answered the readiness check.
fn readiness<T, E: std::fmt::Display>(
    name: &str,
    outcome: Result<Result<T, E>, tokio::time::error::Elapsed>,
    healthy: impl FnOnce(&E) -> bool,
) -> &'static str {
    match outcome {
        Ok(Ok(_)) => "ok",
        Ok(Err(err)) if healthy(&err) => "ok",
        Ok(Err(err)) => {
            tracing::warn!(dependency = name, error = %err, "dependency not reachable");
            "unreachable"
        }
        Err(_) => {
            tracing::warn!(dependency = name, "dependency did not answer the readiness check in time");
            "timeout"
        }
    }
}

/// Readiness: whether the database answers a ping and the attachment storage a lookup
/// (of an object that need not exist) within [`READY_CHECK`], both at once; the answer
/// names the dependency that is down. A stopping server is not ready (`draining`).
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, "1"))
            .json(serde_json::json!({"status": "draining", "checks": {"server": "stopping"}}));
    }
    let probe = object_store::path::Path::from("readyz-probe");
    let (database, storage) = futures_util::join!(
        tokio::time::timeout(READY_CHECK, state.db.ping()),
        tokio::time::timeout(READY_CHECK, state.storage.head(&probe)),
    );
    let database = readiness("database", database, |_| false);
    let storage = readiness("storage", storage, |e| matches!(e, object_store::Error::NotFound { .. }));
    let ready = database == "ok" && storage == "ok";
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": {"database": database, "storage": storage},
    });
    let mut res = if ready { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if !ready {
        res.insert_header((header::RETRY_AFTER, "1"));
    }
    res.json(body)
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// The GraphQL schema the settings describe (build it once, share it between workers).
pub fn build_schema(settings: &Settings) -> AppSchema {
    graphql::build_schema(settings)
}

/// The whole application: REST, GraphQL, GraphiQL, docs, health, with every middleware.
pub fn build_app(
    state: AppState,
    schema: AppSchema,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let max_body = state.settings.max_body_bytes;
    let cors_enabled = state.settings.cors_origins.iter().any(|o| !o.trim().is_empty());
    let cors = cors(&state.settings);
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(schema))
        .app_data(web::PayloadConfig::new(max_body))
        .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .wrap(middleware::from_fn(crate::http::weak_etags))
        .wrap(middleware::from_fn(rest::refuse_unknown_parameters))
        .wrap(middleware::from_fn(crate::http::idempotency))
        .wrap(middleware::from_fn(crate::http::negotiate))
        .wrap(middleware::from_fn(crate::http::guard_tools))
        .wrap(middleware::from_fn(guard))
        .wrap(middleware::Condition::new(cors_enabled, cors))
        .wrap(
            middleware::DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::REFERRER_POLICY, "no-referrer")),
        )
        .wrap(middleware::Compress::default())
        .wrap(middleware::from_fn(crate::http::head_as_get))
        .wrap(middleware::from_fn(crate::http::language))
        .wrap(middleware::from_fn(crate::http::measure))
        .wrap(TracingLogger::<crate::http::RequestSpan>::new())
        .route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(crate::http::metrics_endpoint))
        .route("/readyz", web::get().to(readyz))
        .route("/api/v1/openapi.json", web::get().to(rest::openapi_json))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
            }),
        )
        .service(
            SwaggerUi::new("/docs/{_:.*}").config(
                // No call to swagger.io's public validator: the docs work on an intranet and
                // the document's address never leaves it.
                utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])
                    .validator_url("none")
                    .try_it_out_enabled(true)
                    .display_request_duration(true),
            ),
        )
        .configure(rest::configure)
        .configure(graphql::configure)
        .default_service(web::to(not_found))
}
