//! Webhooks: the changes feed ([`super::changes`]) pushed to an integration by HTTP POST.
//!
//! # Model
//! A subscription is a consumer of the changes feed with a cursor of its own. The
//! outbox is the audit trail: every change writes its audit record in its own
//! transaction, and the feed turns linked records into events in commit order. An
//! administrator's subscription sees everything; a service client's (made by the client
//! for itself, or by an administrator for it) sees what the client may read, masked by
//! its scopes, with `left_scope` and `tombstone` events like the feed.
//!
//! # Delivery
//! Every replica runs [`run_deliverer`]. A replica takes a due subscription with a lease
//! (a conditional `UPDATE` of `lease_until`, so exactly one replica holds it at a time on
//! SQLite and PostgreSQL alike), sends its next events one at a time in order, and moves
//! its cursor past each one the receiver acknowledged with a 2xx. A failure (another
//! status, a timeout, a refused address) stops the subscription there: it is retried
//! after `DANGJIAN_WEBHOOK_RETRY_SECS` × 2^(failures − 1), ±50 % jitter, at most an hour,
//! and disabled after `DANGJIAN_WEBHOOK_MAX_FAILURES` failures in a row. Delivery is
//! at least once: a replica that dies between the receiver's 2xx and moving the cursor
//! sends the event again, with the same `webhook-id`, so receivers deduplicate by it.
//!
//! # What is sent
//! Standard Webhooks (<https://www.standardwebhooks.com>): a JSON body
//! `{"type": "person.transfer", "timestamp": …, "data": <the feed entry>}` and the headers
//! `webhook-id` (stable per event: `msg_` and the entry's feed cursor), `webhook-timestamp`
//! (Unix seconds) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
//! `id.timestamp.body` under the subscription's secret, `whsec_…`, shown once).
//!
//! # Server-side request forgery
//! Targets are `http` or `https` URLs whose host resolves only to public addresses:
//! loopback, private, link-local, carrier-grade NAT, unspecified, multicast and
//! documentation addresses are refused unless `DANGJIAN_WEBHOOK_ALLOW` names the host or
//! a network holding the address. The rule is checked when a subscription is made or
//! changed, and again by the resolver of every connection (a name that resolves
//! elsewhere later is refused then). Redirects are not followed; connecting may take 5 s,
//! a delivery `DANGJIAN_WEBHOOK_TIMEOUT_SECS` in all.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use super::audit::{self, Change};
use super::changes::{self, ChangeEntry, ChangeType};
use super::pagination::{Page, PageRequest, keyset};
use super::types::Id;
use crate::auth::{Actor, Principal};
use crate::config::Settings;
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{webhook_delivery, webhook_subscription};

/// How long a replica holds a subscription it is delivering.
const LEASE: Duration = Duration::from_secs(60);
/// Events sent per subscription per turn (then the next subscription gets its turn).
const EVENTS_PER_TURN: u64 = 50;
/// Attempts kept in a subscription's delivery log.
const LOG_KEPT: u64 = 1000;
/// The longest wait before a retry.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// One entry of `DANGJIAN_WEBHOOK_ALLOW`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Host(String),
    Net(IpAddr, u8),
}

impl Allowed {
    fn parse(s: &str) -> Option<Allowed> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if let Some((ip, bits)) = s.split_once('/') {
            let ip: IpAddr = ip.parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(Allowed::Net(ip, bits));
        }
        match s.parse::<IpAddr>() {
            Ok(ip) => Some(Allowed::Net(ip, if ip.is_ipv4() { 32 } else { 128 })),
            Err(_) => Some(Allowed::Host(s.to_ascii_lowercase())),
        }
    }

    fn admits(&self, host: &str, ip: IpAddr) -> bool {
        match self {
            Allowed::Host(h) => h.eq_ignore_ascii_case(host.trim_matches(['[', ']'])),
            Allowed::Net(net, bits) => in_network(ip, *net, *bits),
        }
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Whether `ip` is an address on the public internet (not loopback, private, link-local,
/// shared, unspecified, broadcast, multicast, documentation or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

/// How this replica delivers webhooks, from the settings.
#[derive(Clone)]
pub struct WebhookPolicy {
    allow: Arc<Vec<Allowed>>,
    agent: ureq::Agent,
    timeout: Duration,
    max_failures: i32,
    retry: Duration,
}

impl std::fmt::Debug for WebhookPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookPolicy").field("allow", &self.allow).field("max_failures", &self.max_failures).finish()
    }
}

/// The resolver of webhook connections: the system's, keeping only the addresses the
/// rule admits, so a name cannot be made to point elsewhere between the check and the
/// connection.
#[derive(Debug)]
struct GuardedResolver {
    allow: Arc<Vec<Allowed>>,
}

impl ureq::unversioned::resolver::Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        use ureq::unversioned::resolver::DefaultResolver;
        let found = DefaultResolver::default().resolve(uri, config, timeout)?;
        let host = uri.host().unwrap_or_default();
        let mut kept = self.empty();
        for addr in found.iter().filter(|a| admitted(&self.allow, host, a.ip())) {
            kept.push(*addr);
        }
        if kept.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the target resolves to an address webhooks may not reach",
            )));
        }
        Ok(kept)
    }
}

fn admitted(allow: &[Allowed], host: &str, ip: IpAddr) -> bool {
    is_public(ip) || allow.iter().any(|a| a.admits(host, ip))
}

impl WebhookPolicy {
    /// The policy of the settings.
    pub fn from_settings(settings: &Settings) -> WebhookPolicy {
        let allow: Arc<Vec<Allowed>> =
            Arc::new(settings.webhook_allow.iter().filter_map(|s| Allowed::parse(s)).collect());
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(settings.webhook_timeout_secs.max(1))))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("dangjian-webhooks")
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            GuardedResolver { allow: allow.clone() },
        );
        WebhookPolicy {
            allow,
            agent,
            timeout: Duration::from_secs(settings.webhook_timeout_secs.max(1)),
            max_failures: settings.webhook_max_failures.max(1),
            retry: Duration::from_secs(settings.webhook_retry_secs),
        }
    }

    /// Checks a target URL: `http(s)`, no credentials in it, and a host that resolves
    /// only to addresses the rule admits. VALIDATION on `url` otherwise.
    pub async fn check_url(&self, raw: &str) -> AppResult<url::Url> {
        let bad = |m: &str| AppError::invalid("url", m);
        let url = url::Url::parse(raw.trim()).map_err(|_| bad("must be an absolute http or https URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must be an absolute http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not carry credentials; verify deliveries by their signature"));
        }
        if raw.len() > 2000 {
            return Err(bad("must be at most 2000 characters"));
        }
        let host = url.host_str().ok_or_else(|| bad("must name a host"))?.to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let lookup = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
        );
        let addrs: Vec<IpAddr> = match lookup.await {
            Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
            _ => return Err(bad("names a host that does not resolve")),
        };
        if addrs.is_empty() {
            return Err(bad("names a host that does not resolve"));
        }
        if let Some(ip) = addrs.iter().find(|ip| !admitted(&self.allow, &host, **ip)) {
            tracing::warn!(%host, %ip, "webhook target refused: not a public address");
            return Err(bad(
                "resolves to a loopback, private or link-local address; an administrator may allow it with DANGJIAN_WEBHOOK_ALLOW",
            ));
        }
        Ok(url)
    }
}

/// The signature of a delivery (Standard Webhooks `v1`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> AppResult<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(AppError::internal)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(AppError::internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A subscription, never its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "WebhookSubscription")]
pub struct WebhookView {
    /// Id.
    pub id: Id,
    /// Display name.
    pub name: String,
    /// Where events are POSTed.
    pub url: String,
    /// The types of objects whose changes are sent (empty: all).
    pub event_types: Vec<ChangeType>,
    /// The service client it delivers for (its scopes and subtree decide what is sent);
    /// null: an administrator's, which sends everything.
    pub service_client_id: Option<Id>,
    /// Whether deliveries are stopped (by an administrator, or after repeated failures).
    pub disabled: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Failed deliveries in a row.
    pub failures: i32,
    /// When the next attempt is due after a failure.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// The event types stored on a subscription.
fn types_of(stored: &serde_json::Value) -> AppResult<Vec<ChangeType>> {
    let names: Vec<String> = serde_json::from_value(stored.clone()).map_err(AppError::internal)?;
    names.iter().map(|n| ChangeType::from_db(n)).collect()
}

impl WebhookView {
    fn from_model(m: webhook_subscription::Model) -> AppResult<Self> {
        Ok(WebhookView {
            event_types: types_of(&m.event_types)?,
            id: m.id.into(),
            name: m.name,
            url: m.url,
            service_client_id: m.service_client_id.map(Id),
            disabled: m.disabled,
            disabled_reason: m.disabled_reason,
            failures: m.failures,
            next_attempt_at: m.next_attempt_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new subscription with its secret, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "WebhookSubscriptionWithSecret")]
pub struct WebhookWithSecret {
    /// The subscription.
    pub subscription: WebhookView,
    /// The signing secret (`whsec_…`): verify every delivery's `webhook-signature` with it.
    pub secret: String,
}

/// A new subscription.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateWebhookSubscriptionInput")]
pub struct NewWebhook {
    /// Display name (1–100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Where to POST events: an `http` or `https` URL of a public address.
    #[schema(max_length = 2000)]
    pub url: String,
    /// The types of objects whose changes to send (empty or absent: all).
    #[serde(default)]
    #[graphql(default)]
    pub event_types: Vec<ChangeType>,
    /// Administrators only: deliver for this service client (what it may read). A client
    /// always subscribes for itself.
    pub service_client_id: Option<Id>,
}

/// Changes to a subscription: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateWebhookSubscriptionInput")]
pub struct WebhookPatch {
    /// New name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// New target URL.
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    /// New event types (empty: all).
    pub event_types: Option<Vec<ChangeType>>,
    /// Stop (true) or resume (false) deliveries; resuming clears the failure count and
    /// retries at once, from where deliveries stopped.
    pub disabled: Option<bool>,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "WebhookDelivery")]
pub struct DeliveryView {
    /// Id.
    pub id: i64,
    /// The event's id (`webhook-id`; the same for every attempt of one event).
    pub event_id: String,
    /// The event type, e.g. `person.transfer`.
    pub event_type: String,
    /// The attempt's number for this event.
    pub attempt: i32,
    /// Whether an administrator asked for it (redelivery).
    pub manual: bool,
    /// Whether the receiver answered 2xx.
    pub succeeded: bool,
    /// The receiver's status, if it answered.
    pub status_code: Option<i32>,
    /// What went wrong (timeout, refused address, connection error).
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: i32,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

impl From<webhook_delivery::Model> for DeliveryView {
    fn from(m: webhook_delivery::Model) -> Self {
        DeliveryView {
            id: m.id,
            event_id: m.event_id,
            event_type: m.event_type,
            attempt: m.attempt,
            manual: m.manual,
            succeeded: m.succeeded,
            status_code: m.status_code,
            error: m.error,
            duration_ms: m.duration_ms,
            at: m.at,
        }
    }
}

/// Who owns subscriptions: administrators all, a service client its own, nobody else.
enum Owner {
    Admin,
    Client(Uuid),
}

fn owner(actor: &Actor) -> AppResult<Owner> {
    match &actor.principal {
        Principal::Client { id, .. } => Ok(Owner::Client(*id)),
        _ if actor.is_admin() => Ok(Owner::Admin),
        _ => Err(AppError::forbidden("webhooks are for administrators and service clients")),
    }
}

fn mine(actor: &Actor) -> AppResult<Condition> {
    Ok(match owner(actor)? {
        Owner::Admin => Condition::all(),
        Owner::Client(id) => Condition::all().add(webhook_subscription::Column::ServiceClientId.eq(id)),
    })
}

async fn find_mine<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<webhook_subscription::Model> {
    webhook_subscription::Entity::find_by_id(id).filter(mine(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

fn type_names(types: &[ChangeType]) -> serde_json::Value {
    let mut names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::json!(names)
}

fn check_name(name: Option<&str>) -> AppResult<()> {
    Validator::new().opt_text(name, "name", 100).finish()
}

/// Creates a subscription; it sends the changes made from now on.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    policy: &WebhookPolicy,
    input: NewWebhook,
) -> AppResult<WebhookWithSecret> {
    let client = match owner(actor)? {
        Owner::Client(id) => {
            if input.service_client_id.is_some_and(|c| *c != id) {
                return Err(AppError::forbidden("a service client subscribes for itself only"));
            }
            Some(id)
        }
        Owner::Admin => match input.service_client_id {
            Some(c) => Some(
                entity::service_client::Entity::find_by_id(*c)
                    .one(db)
                    .await?
                    .ok_or_else(|| AppError::invalid("service_client_id", "no such service client"))?
                    .id,
            ),
            None => None,
        },
    };
    check_name(Some(&input.name))?;
    let url = policy.check_url(&input.url).await?;
    // Link what has committed, so "from now on" excludes the changes made before.
    audit::chain_backlog(db).await?;
    let secret = new_secret();
    let now = super::now();
    let tx = write_tx(db).await?;
    let row = webhook_subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_owned()),
        url: Set(url.to_string()),
        event_types: Set(type_names(&input.event_types)),
        secret: Set(secret.clone()),
        service_client_id: Set(client),
        created_by: Set(actor.id()),
        disabled: Set(false),
        disabled_reason: Set(None),
        cursor: Set(changes::current_cursor(&tx).await?),
        failures: Set(0),
        next_attempt_at: Set(None),
        lease_until: Set(None),
        lease_owner: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let view = WebhookView::from_model(row)?;
    audit::record(
        &tx,
        actor,
        Change::of("create", audit::entity_name(webhook_subscription::Entity), *view.id, None, None, Some(&view))?,
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookWithSecret { subscription: view, secret })
}

/// The caller's subscriptions (administrators: all), in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(db: &C, actor: &Actor, page: PageRequest) -> AppResult<Page<WebhookView>> {
    let (rows, total) = keyset::<_, webhook_subscription::Entity>(
        db,
        mine(actor)?,
        webhook_subscription::Column::Id,
        page,
        super::pagination::KeyOrder::Oldest,
    )
    .await?;
    let items = rows.into_iter().map(WebhookView::from_model).collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, |w| *w.id, total))
}

/// One subscription of the caller's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<WebhookView> {
    WebhookView::from_model(find_mine(db, actor, id).await?)
}

/// Changes a subscription of the caller's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    policy: &WebhookPolicy,
    id: Uuid,
    expected_version: i32,
    patch: WebhookPatch,
) -> AppResult<WebhookView> {
    check_name(patch.name.as_deref())?;
    let url = match patch.url.as_deref() {
        Some(u) => Some(policy.check_url(u).await?.to_string()),
        None => None,
    };
    let tx = write_tx(db).await?;
    let row = find_mine(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    let before = WebhookView::from_model(row.clone())?;
    let mut am: webhook_subscription::ActiveModel = row.clone().into();
    if let Some(name) = patch.name {
        am.name = Set(name.trim().to_owned());
    }
    if let Some(url) = url {
        am.url = Set(url);
    }
    if let Some(types) = patch.event_types {
        am.event_types = Set(type_names(&types));
    }
    match patch.disabled {
        Some(true) if !row.disabled => {
            am.disabled = Set(true);
            am.disabled_reason = Set(Some("disabled by its owner".into()));
        }
        Some(false) if row.disabled => {
            am.disabled = Set(false);
            am.disabled_reason = Set(None);
            am.failures = Set(0);
            am.next_attempt_at = Set(None);
        }
        _ => {}
    }
    if super::unchanged(&am, &row) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(row.version + 1);
    let after = WebhookView::from_model(am.update(&tx).await?)?;
    audit::record(
        &tx,
        actor,
        Change::of("update", audit::entity_name(webhook_subscription::Entity), id, None, Some(&before), Some(&after))?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a subscription of the caller's, with its delivery log.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid, expected_version: i32) -> AppResult<()> {
    let tx = write_tx(db).await?;
    let row = find_mine(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    let before = WebhookView::from_model(row)?;
    webhook_subscription::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of("delete", audit::entity_name(webhook_subscription::Entity), id, None, Some(&before), None)?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The delivery log of a subscription of the caller's, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    limit: u64,
    before: Option<i64>,
) -> AppResult<Vec<DeliveryView>> {
    find_mine(db, actor, id).await?;
    let mut q = webhook_delivery::Entity::find().filter(webhook_delivery::Column::SubscriptionId.eq(id));
    if let Some(before) = before {
        q = q.filter(webhook_delivery::Column::Id.lt(before));
    }
    Ok(q.order_by_desc(webhook_delivery::Column::Id).limit(limit).all(db).await?.into_iter().map(Into::into).collect())
}

/// Sends the event of a logged delivery again, now (with the same `webhook-id`), whatever
/// the subscription's state; the attempt is logged as manual.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn redeliver(
    db: &DatabaseConnection,
    actor: &Actor,
    policy: &WebhookPolicy,
    id: Uuid,
    delivery_id: i64,
) -> AppResult<DeliveryView> {
    let sub = find_mine(db, actor, id).await?;
    let logged = webhook_delivery::Entity::find_by_id(delivery_id)
        .filter(webhook_delivery::Column::SubscriptionId.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let attempt =
        attempts_of(db, id, std::slice::from_ref(&logged.event_id)).await?.get(&logged.event_id).copied().unwrap_or(0)
            + 1;
    let outcome = post(policy, &sub, &logged.event_id, logged.payload.clone()).await;
    Ok(log(db, &sub, &logged.event_id, &logged.event_type, logged.payload, attempt, true, outcome).await?.into())
}

/// How many attempts of each of these events the subscription's log holds (one
/// statement; events never tried are absent).
async fn attempts_of<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    event_ids: &[String],
) -> AppResult<std::collections::HashMap<String, i32>> {
    let counts: Vec<(String, i64)> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::EventId)
        .column_as(webhook_delivery::Column::Id.count(), "n")
        .filter(webhook_delivery::Column::SubscriptionId.eq(id))
        .filter(webhook_delivery::Column::EventId.is_in(event_ids.iter().cloned()))
        .group_by(webhook_delivery::Column::EventId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|(e, n)| (e, n as i32)).collect())
}

/// How a POST went.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    took: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// POSTs a payload to the subscription's URL, signed, on a blocking thread.
async fn post(policy: &WebhookPolicy, sub: &webhook_subscription::Model, event_id: &str, body: String) -> Outcome {
    let started = Instant::now();
    let timestamp = Utc::now().timestamp();
    let signature = match sign(&sub.secret, event_id, timestamp, &body) {
        Ok(s) => s,
        Err(_) => {
            return Outcome { status: None, error: Some("the secret is unusable".into()), took: started.elapsed() };
        }
    };
    let (agent, url, event_id) = (policy.agent.clone(), sub.url.clone(), event_id.to_owned());
    let sent = tokio::task::spawn_blocking(move || {
        agent
            .post(&url)
            .header("content-type", "application/json")
            .header("webhook-id", &event_id)
            .header("webhook-timestamp", &timestamp.to_string())
            .header("webhook-signature", &signature)
            .send(body.as_bytes())
            .map(|r| r.status().as_u16())
    })
    .await;
    let took = started.elapsed();
    match sent {
        Ok(Ok(status)) => Outcome { status: Some(status), error: None, took },
        Ok(Err(e)) => Outcome { status: None, error: Some(e.to_string().chars().take(300).collect()), took },
        Err(e) => Outcome { status: None, error: Some(e.to_string()), took },
    }
}

#[allow(clippy::too_many_arguments)]
async fn log<C: ConnectionTrait>(
    db: &C,
    sub: &webhook_subscription::Model,
    event_id: &str,
    event_type: &str,
    payload: String,
    attempt: i32,
    manual: bool,
    outcome: Outcome,
) -> AppResult<webhook_delivery::Model> {
    Ok(webhook_delivery::ActiveModel {
        id: Default::default(),
        subscription_id: Set(sub.id),
        event_id: Set(event_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        payload: Set(payload),
        attempt: Set(attempt),
        manual: Set(manual),
        succeeded: Set(outcome.succeeded()),
        status_code: Set(outcome.status.map(i32::from)),
        error: Set(outcome
            .error
            .clone()
            .or_else(|| outcome.status.filter(|_| !outcome.succeeded()).map(|s| format!("the receiver answered {s}")))),
        duration_ms: Set(outcome.took.as_millis().min(i32::MAX as u128) as i32),
        at: Set(super::now()),
    }
    .insert(db)
    .await?)
}

/// The event of a feed entry: its id, type and body.
fn event_of(entry: &ChangeEntry) -> AppResult<(String, String, String)> {
    let event_type = format!("{}.{}", entry.change_type.as_str(), entry.operation);
    let body = serde_json::json!({"type": event_type, "timestamp": Utc::now(), "data": entry});
    Ok((format!("msg_{}", entry.cursor), event_type, serde_json::to_string(&body).map_err(AppError::internal)?))
}

/// Takes the lease of a subscription if it is free (one statement; one replica wins).
async fn take_lease(db: &DatabaseConnection, id: Uuid, me: &str) -> AppResult<bool> {
    let now = super::now();
    let taken = webhook_subscription::Entity::update_many()
        .col_expr(
            webhook_subscription::Column::LeaseUntil,
            Expr::value(now + chrono::Duration::from_std(LEASE).unwrap_or_default()),
        )
        .col_expr(webhook_subscription::Column::LeaseOwner, Expr::value(me))
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::Disabled.eq(false))
        .filter(
            Condition::any()
                .add(webhook_subscription::Column::LeaseUntil.is_null())
                .add(webhook_subscription::Column::LeaseUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Where a subscription's turn ended.
struct TurnEnd {
    cursor: String,
    failed: bool,
}

/// One subscription's turn: its next events, in order, until one fails.
async fn turn(
    db: &DatabaseConnection,
    policy: &WebhookPolicy,
    sub: &webhook_subscription::Model,
) -> AppResult<(TurnEnd, usize)> {
    let actor = match sub.service_client_id {
        None => Actor::system(),
        Some(client) => match super::auth::client_actor(db, client).await? {
            Some(a) => a,
            // A disabled client's subscription waits until the client is enabled again.
            None => return Ok((TurnEnd { cursor: sub.cursor.clone(), failed: false }, 0)),
        },
    };
    let types = types_of(&sub.event_types)?;
    let page = match changes::page(db, &actor, Some(&sub.cursor), Some(EVENTS_PER_TURN), &types).await {
        Ok(p) => p,
        // The database was restored: go on from where it is now.
        Err(AppError::ResyncRequired(_)) => {
            tracing::warn!(subscription = %sub.id, "webhook cursor from before a restore; continuing from now");
            return Ok((TurnEnd { cursor: changes::current_cursor(db).await?, failed: false }, 0));
        }
        Err(e) => return Err(e),
    };
    let mut cursor = sub.cursor.clone();
    let mut sent = 0;
    // Stop while the lease surely holds, so no other replica takes the subscription
    // while this one still sends.
    let deadline = Instant::now() + LEASE.saturating_sub(policy.timeout + Duration::from_secs(5));
    let events = page.entries.iter().map(event_of).collect::<AppResult<Vec<_>>>()?;
    let ids: Vec<String> = events.iter().map(|(id, _, _)| id.clone()).collect();
    let tried = if ids.is_empty() { Default::default() } else { attempts_of(db, sub.id, &ids).await? };
    for (i, (entry, (event_id, event_type, body))) in page.entries.iter().zip(events).enumerate() {
        if i > 0 && Instant::now() >= deadline {
            return Ok((TurnEnd { cursor, failed: false }, sent));
        }
        let attempt = tried.get(&event_id).copied().unwrap_or(0) + 1;
        let outcome = post(policy, sub, &event_id, body.clone()).await;
        let ok = outcome.succeeded();
        log(db, sub, &event_id, &event_type, body, attempt, false, outcome).await?;
        sent += 1;
        if !ok {
            return Ok((TurnEnd { cursor, failed: true }, sent));
        }
        cursor = entry.cursor.clone();
    }
    Ok((TurnEnd { cursor: page.next_cursor, failed: false }, sent))
}

/// Ends a turn: moves the cursor, counts a failure (backoff, disabling) or clears the
/// count, releases the lease, trims the log.
async fn finish(
    db: &DatabaseConnection,
    policy: &WebhookPolicy,
    sub: &webhook_subscription::Model,
    end: TurnEnd,
) -> AppResult<()> {
    let mut am: webhook_subscription::ActiveModel = sub.clone().into();
    am.cursor = Set(end.cursor);
    am.lease_until = Set(None);
    am.lease_owner = Set(None);
    if end.failed {
        let failures = sub.failures + 1;
        am.failures = Set(failures);
        if failures >= policy.max_failures {
            am.disabled = Set(true);
            am.disabled_reason = Set(Some(format!("disabled after {failures} failed deliveries in a row")));
            am.next_attempt_at = Set(None);
            tracing::warn!(subscription = %sub.id, failures, "webhook subscription disabled after repeated failures");
        } else {
            let exp = policy.retry.saturating_mul(1u32 << (failures - 1).clamp(0, 20) as u32).min(MAX_BACKOFF);
            let jitter = rand::rng().random_range(0.5..1.5);
            let wait = chrono::Duration::from_std(exp.mul_f64(jitter)).unwrap_or_default();
            am.next_attempt_at = Set(Some(super::now() + wait));
        }
    } else if sub.failures != 0 || sub.next_attempt_at.is_some() {
        am.failures = Set(0);
        am.next_attempt_at = Set(None);
    }
    am.update(db).await?;
    // Keep the newest attempts only.
    let oldest_kept: Option<i64> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::SubscriptionId.eq(sub.id))
        .order_by_desc(webhook_delivery::Column::Id)
        .offset(LOG_KEPT)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(cut) = oldest_kept {
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::SubscriptionId.eq(sub.id))
            .filter(webhook_delivery::Column::Id.lte(cut))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// One round of deliveries by this replica (`me` names it in leases): every due
/// subscription whose lease it wins gets a turn. Returns the attempts made.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliver_due(db: &DatabaseConnection, policy: &WebhookPolicy, me: &str) -> AppResult<usize> {
    let now = super::now();
    let due: Vec<Uuid> = webhook_subscription::Entity::find()
        .select_only()
        .column(webhook_subscription::Column::Id)
        .filter(webhook_subscription::Column::Disabled.eq(false))
        .filter(
            Condition::any()
                .add(webhook_subscription::Column::NextAttemptAt.is_null())
                .add(webhook_subscription::Column::NextAttemptAt.lte(now)),
        )
        .filter(
            Condition::any()
                .add(webhook_subscription::Column::LeaseUntil.is_null())
                .add(webhook_subscription::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(webhook_subscription::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut attempts = 0;
    for id in due {
        if !take_lease(db, id, me).await? {
            continue;
        }
        let Some(sub) = webhook_subscription::Entity::find_by_id(id).one(db).await? else { continue };
        match turn(db, policy, &sub).await {
            Ok((end, sent)) => {
                attempts += sent;
                finish(db, policy, &sub, end).await?;
            }
            Err(e) => {
                // Release the lease; the next round tries again.
                tracing::error!(subscription = %id, error = %e, "webhook delivery round failed");
                finish(db, policy, &sub, TurnEnd { cursor: sub.cursor.clone(), failed: false }).await?;
            }
        }
    }
    Ok(attempts)
}

/// How often a replica looks for due subscriptions.
pub const DELIVERY_INTERVAL: Duration = Duration::from_secs(1);

/// The background deliverer of one replica (runs until the process ends).
pub async fn run_deliverer(db: DatabaseConnection, policy: WebhookPolicy) {
    let me = format!("{}-{}", std::process::id(), Uuid::new_v4().simple());
    let mut tick = tokio::time::interval(DELIVERY_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = deliver_due(&db, &policy, &me).await {
            tracing::warn!(error = %e, "webhook deliveries failed this round");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_unless_allowed() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap_or(IpAddr::from([1, 1, 1, 1]))), "{private}");
        }
        for public in ["1.1.1.1", "203.119.1.1", "2400:3200::1"] {
            assert!(is_public(public.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))), "{public}");
        }
        let allow: Vec<Allowed> =
            ["10.1.0.0/16", "hooks.internal", "::1"].iter().filter_map(|s| Allowed::parse(s)).collect();
        assert!(admitted(&allow, "x", "10.1.200.3".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(!admitted(&allow, "x", "10.2.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(admitted(&allow, "HOOKS.internal", "10.9.9.9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(admitted(&allow, "x", "::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, id, 1614265330, body).unwrap_or_default();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
