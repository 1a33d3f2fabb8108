//! Machine clients (HR systems, mobile backends): administrators create them, the
//! secret is shown once and stored hashed, scopes and an organisation subtree limit them.

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{KeyOrder, Page, PageRequest, keyset};
use super::scope::find_in_scope;
use super::types::Id;
use crate::auth::{Actor, ClientScope, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::service_client;

/// A machine client (HR system, mobile backend); never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ServiceClient", complex)]
pub struct ServiceClientView {
    /// Internal id.
    pub id: Id,
    /// Public client id used with the `client_credentials` grant.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Granted scopes: any of `organizations:read`, `people:read`, `personal_data`,
    /// `study:read`, `innovation:read`, `people:write`.
    pub scopes: Vec<String>,
    /// Subtree the client may read (and with `people:write`, write); null = everything.
    pub organization_id: Option<Id>,
    /// Disabled clients get no tokens and their tokens stop working.
    pub disabled: bool,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still works (null: it does not).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<service_client::Model> for ServiceClientView {
    fn from(m: service_client::Model) -> Self {
        ServiceClientView {
            scopes: scopes_of(&m),
            id: m.id.into(),
            client_id: m.client_id,
            name: m.name,
            organization_id: m.organization_id.map(Id),
            disabled: m.disabled,
            last_used_at: m.last_used_at,
            previous_secret_expires_at: m.previous_secret_expires_at.filter(|at| *at > super::now()),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// The scopes stored on a client row.
pub fn scopes_of(m: &service_client::Model) -> Vec<String> {
    serde_json::from_value(m.scopes.clone()).unwrap_or_default()
}

/// The scopes a client's tokens carry (stored names that are no scope are ignored).
pub fn client_scopes_of(m: &service_client::Model) -> Vec<ClientScope> {
    scopes_of(m).iter().filter_map(|s| ClientScope::parse(s)).collect()
}

/// A newly created (or re-keyed) client with its secret, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ServiceClientSecret")]
pub struct ServiceClientWithSecret {
    /// The client.
    pub client: ServiceClientView,
    /// The secret: store it now, it cannot be shown again.
    pub client_secret: String,
}

/// A new service client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateServiceClientInput")]
pub struct NewServiceClient {
    /// Display name (1–100 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 100)]
    pub name: String,
    /// Scopes to grant: any of `organizations:read`, `people:read`, `personal_data`,
    /// `study:read`, `innovation:read`, `people:write` (README, "Roles", says what each opens).
    #[schema(pattern = r"^(organizations:read|people:read|personal_data|study:read|innovation:read|people:write)$")]
    pub scopes: Vec<String>,
    /// Subtree the client may read; omit for everything.
    pub organization_id: Option<Id>,
}

/// Changes to a service client: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateServiceClientInput")]
pub struct ServiceClientPatch {
    /// New name (1–100 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 100)]
    pub name: Option<String>,
    /// New scopes (replace the old ones): any of `organizations:read`, `people:read`,
    /// `personal_data`, `study:read`, `innovation:read`, `people:write`.
    #[schema(pattern = r"^(organizations:read|people:read|personal_data|study:read|innovation:read|people:write)$")]
    pub scopes: Option<Vec<String>>,
    /// Disable or re-enable.
    pub disabled: Option<bool>,
}

/// SHA-256 of a high-entropy secret, hex (secrets are 256-bit random, so no slow hash is needed).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random 256-bit secret, URL-safe.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn validate_scopes(scopes: &[String]) -> AppResult<()> {
    let unknown: Vec<&str> = scopes.iter().map(String::as_str).filter(|s| ClientScope::parse(s).is_none()).collect();
    let known: Vec<&str> = ClientScope::ALL.iter().map(|c| c.as_str()).collect();
    Validator::new()
        .check(
            unknown.is_empty(),
            "scopes",
            &format!("unknown scope(s) {}; expected any of: {}", unknown.join(", "), known.join(", ")),
        )
        .finish()
}

fn admin_only(actor: &Actor) -> AppResult<()> {
    match actor.scope(Permission::ServiceClientManage) {
        Scope::Global => Ok(()),
        _ => Err(AppError::forbidden("only administrators manage service clients")),
    }
}

/// One client.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<ServiceClientView> {
    admin_only(actor)?;
    Ok(service_client::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?.into())
}

/// A page of clients.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(db: &C, actor: &Actor, page: PageRequest) -> AppResult<Page<ServiceClientView>> {
    admin_only(actor)?;
    let (rows, total) = keyset::<_, service_client::Entity>(
        db,
        sea_orm::Condition::all(),
        service_client::Column::Id,
        page,
        KeyOrder::Oldest,
    )
    .await?;
    Ok(Page::from_rows(rows.into_iter().map(ServiceClientView::from).collect(), page, |c| *c.id, total))
}

/// Creates a client and returns its secret once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewServiceClient,
) -> AppResult<ServiceClientWithSecret> {
    create_with_secret(db, actor, input, new_secret()).await
}

/// Creates a client with a given secret (demo data only; real clients get a random one).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_with_secret(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewServiceClient,
    secret: String,
) -> AppResult<ServiceClientWithSecret> {
    admin_only(actor)?;
    Validator::new().text(&input.name, "name", 100).finish()?;
    validate_scopes(&input.scopes)?;
    let tx = write_tx(db).await?;
    if let Some(org) = input.organization_id {
        find_in_scope(&tx, &Scope::Global, *org)
            .await
            .map_err(|_| AppError::invalid("organization_id", "no such organisation"))?;
    }
    let now = super::now();
    let id = Uuid::now_v7();
    let mut scopes = input.scopes;
    scopes.sort();
    scopes.dedup();
    let model = service_client::ActiveModel {
        id: Set(id),
        client_id: Set(format!("svc_{}", &id.simple().to_string()[16..])),
        name: Set(input.name.trim().to_owned()),
        secret_hash: Set(hash_secret(&secret)),
        scopes: Set(serde_json::json!(scopes)),
        organization_id: Set(input.organization_id.map(Uuid::from)),
        disabled: Set(false),
        token_version: Set(0),
        last_used_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        previous_secret_hash: Set(None),
        previous_secret_expires_at: Set(None),
    }
    .insert(&tx)
    .await?;
    let view = ServiceClientView::from(model);
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::service_client::Entity),
            id,
            view.organization_id.map(Uuid::from),
            None,
            Some(&view),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(ServiceClientWithSecret { client: view, client_secret: secret })
}

/// Renames, re-scopes, disables or re-enables a client.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: ServiceClientPatch,
) -> AppResult<ServiceClientView> {
    admin_only(actor)?;
    Validator::new().opt_text(patch.name.as_deref(), "name", 100).finish()?;
    if let Some(s) = &patch.scopes {
        validate_scopes(s)?;
    }
    let tx = write_tx(db).await?;
    let row = service_client::Entity::find_by_id(id).lock_exclusive().one(&tx).await?.ok_or(AppError::NotFound)?;
    super::check_version(row.version, expected_version)?;
    let before = ServiceClientView::from(row.clone());
    let original = row.clone();
    let token_version = row.token_version;
    let mut am: service_client::ActiveModel = row.into();
    if let Some(name) = patch.name {
        am.name = Set(name.trim().to_owned());
    }
    if let Some(mut scopes) = patch.scopes {
        scopes.sort();
        scopes.dedup();
        am.scopes = Set(serde_json::json!(scopes));
    }
    if let Some(disabled) = patch.disabled {
        am.disabled = Set(disabled);
        // Disabling an already disabled client revokes nothing more (its tokens stopped
        // working when it was disabled), so such a patch can change nothing.
        if disabled && !original.disabled {
            am.token_version = Set(token_version + 1);
            super::epoch::note_revocation(&tx).await?;
        }
    }
    if super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let after = ServiceClientView::from(am.update(&tx).await?);
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::service_client::Entity),
            id,
            after.organization_id.map(Uuid::from),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The longest a replaced secret may keep working: 30 days.
pub const MAX_SECRET_GRACE_SECS: i64 = crate::config::MAX_CLIENT_SECRET_GRACE_SECS;

/// How a rotation treats the secret it replaces.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "RotateServiceClientSecretInput")]
pub struct RotateSecret {
    /// Seconds the replaced secret keeps working beside the new one (0 to 2592000;
    /// default `DANGJIAN_CLIENT_SECRET_GRACE_SECS`, 24 hours). 0: it stops at once.
    #[schema(minimum = 0, maximum = 2592000)]
    pub grace_seconds: Option<i64>,
    /// Also end the access tokens issued so far (a leaked secret); default false: they
    /// keep working until they expire.
    pub revoke_tokens: Option<bool>,
}

/// Replaces a client's secret. The replaced secret keeps working for the grace period
/// (so the integration can switch without an outage; a second rotation within it ends
/// the older one), and tokens already issued stay valid until they expire unless
/// `revoke_tokens` says otherwise or the client is disabled.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rotate_secret(
    db: &DatabaseConnection,
    actor: &Actor,
    default_grace_secs: i64,
    id: Uuid,
    input: RotateSecret,
) -> AppResult<ServiceClientWithSecret> {
    admin_only(actor)?;
    let grace = input.grace_seconds.unwrap_or(default_grace_secs);
    Validator::new()
        .check((0..=MAX_SECRET_GRACE_SECS).contains(&grace), "grace_seconds", "must be between 0 and 2592000 (30 days)")
        .finish()?;
    let revoke = input.revoke_tokens.unwrap_or(false);
    let tx = write_tx(db).await?;
    let row = service_client::Entity::find_by_id(id).lock_exclusive().one(&tx).await?.ok_or(AppError::NotFound)?;
    let secret = new_secret();
    let (version, token_version, replaced) = (row.version, row.token_version, row.secret_hash.clone());
    let now = super::now();
    let mut am: service_client::ActiveModel = row.into();
    am.secret_hash = Set(hash_secret(&secret));
    let keeps_working = (grace > 0).then(|| now + chrono::Duration::seconds(grace));
    am.previous_secret_hash = Set(keeps_working.map(|_| replaced));
    am.previous_secret_expires_at = Set(keeps_working);
    if revoke {
        // Tokens issued so far stop working at once.
        am.token_version = Set(token_version + 1);
        super::epoch::note_revocation(&tx).await?;
    }
    am.updated_at = Set(now);
    am.version = Set(version + 1);
    let view = ServiceClientView::from(am.update(&tx).await?);
    audit::record(
        &tx,
        actor,
        Change {
            action: "rotate_secret",
            entity: crate::services::audit::entity_name(entity::service_client::Entity),
            entity_id: id,
            organization_id: view.organization_id.map(Uuid::from),
            before: None,
            after: Some(serde_json::json!({"grace_seconds": grace, "revoke_tokens": revoke})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ServiceClientWithSecret { client: view, client_secret: secret })
}
