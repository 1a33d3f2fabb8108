//! The application state every request handler gets: the database pool, token keys,
//! the authentication policy, the settings and attachment storage. It imports neither
//! transport, so REST, GraphQL and the shared HTTP plumbing all stand on it.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::services::auth::{AuthCache, AuthPolicy};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Token signing and verification.
    pub keys: Arc<JwtKeys>,
    /// Lock-out, refresh and password-hashing policy (with the bounded hashing pool).
    pub policy: AuthPolicy,
    /// The settings in force.
    pub settings: Arc<Settings>,
    /// Attachment storage.
    pub storage: Arc<dyn object_store::ObjectStore>,
    /// What authentication read recently (accounts, clients, grants, the key epoch).
    pub auth_cache: Arc<AuthCache>,
    /// The request quotas of callers and of token requests by address.
    pub rate_limits: Arc<crate::ratelimit::RateLimits>,
    /// How webhooks are checked and delivered.
    pub webhooks: crate::services::webhooks::WebhookPolicy,
    /// Places for requests in flight on this replica (`DANGJIAN_MAX_IN_FLIGHT`; none =
    /// no cap).
    pub in_flight: Option<Arc<tokio::sync::Semaphore>>,
    /// Set when the server is stopping: `/readyz` answers 503 so that balancers send
    /// new requests elsewhere while the requests in flight finish.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}
