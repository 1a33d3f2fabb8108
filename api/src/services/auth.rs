//! Authentication: the OAuth2-style grants (password, refresh_token,
//! client_credentials), refresh-token rotation with reuse detection, lock-out,
//! logout, turning a verified access token into an [`Actor`], and `me`.

use base64::Engine;
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, QueryTrait, Set, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

pub use super::auth_cache::AuthCache;
use super::auth_cache::Known;
pub use super::credentials::AuthPolicy;
use super::credentials::check_password;
use super::people::PersonView;
use super::service_clients::{ServiceClientView, client_scopes_of, hash_secret};
use super::users::{RoleAssignmentView, UserView};
use super::{audit, people};
use crate::auth::{
    Actor, Grant, Principal, Role,
    jwt::{JwtKeys, TokenKind},
    password,
};
use crate::db::write_tx;
use crate::error::{AppError, AppResult};
use entity::{organization, refresh_token, role_assignment, service_client, user_account};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The bearer access token (a JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque refresh token, rotated on every use (absent for client credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

const BAD_CREDENTIALS: AppError =
    AppError::InvalidGrant { oauth_error: "invalid_grant", message: "invalid username or password" };
const BAD_REFRESH: AppError = AppError::InvalidGrant {
    oauth_error: "invalid_grant",
    message: "the refresh token is invalid, expired or revoked",
};
const BAD_CLIENT: AppError =
    AppError::InvalidGrant { oauth_error: "invalid_client", message: "invalid client credentials" };

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn issue_pair<C: ConnectionTrait>(
    db: &C,
    keys: &JwtKeys,
    policy: &AuthPolicy,
    user: &user_account::Model,
    family: Option<Uuid>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> AppResult<TokenResponse> {
    let refresh = random_token();
    let now = super::now();
    let epoch = super::epoch::current(db).await?;
    // A login lasts at most the refresh lifetime: rotation never extends it.
    let expires_at = expires_at.unwrap_or(now + Duration::seconds(policy.refresh_ttl));
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family.unwrap_or_else(Uuid::now_v7)),
        user_id: Set(user.id),
        token_hash: Set(hash_secret(&refresh)),
        token_version: Set(user.token_version),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        epoch: Set(epoch),
    }
    .insert(db)
    .await?;
    Ok(TokenResponse {
        access_token: keys.issue(user.id, TokenKind::User, user.token_version, epoch).map_err(AppError::internal)?,
        token_type: "Bearer",
        expires_in: keys.ttl(),
        refresh_token: Some(refresh),
    })
}

/// The `password` grant. Unknown users, wrong passwords, disabled and locked accounts
/// all get the same answer and take about the same time.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn password_grant(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    policy: &AuthPolicy,
    username: &str,
    password_text: String,
) -> AppResult<TokenResponse> {
    let user = checked_account(db, policy, username, password_text).await?.ok_or(BAD_CREDENTIALS)?;
    let tx = write_tx(db).await?;
    let pair = issue_pair(&tx, keys, policy, &user, None, None).await?;
    tx.commit().await?;
    Ok(pair)
}

/// The `refresh_token` grant: rotates the token; presenting an already-used token
/// revokes its whole family (the token was stolen or replayed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn refresh_grant(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    policy: &AuthPolicy,
    presented: &str,
) -> AppResult<TokenResponse> {
    let tx = write_tx(db).await?;
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_secret(presented)))
        .one(&tx)
        .await?
    else {
        return Err(BAD_REFRESH);
    };
    let now = super::now();
    if token.used_at.is_some() || token.revoked_at.is_some() {
        if token.used_at.is_some() {
            tracing::warn!(family = %token.family_id, "refresh token reused: revoking its family");
            revoke_family(&tx, token.family_id).await?;
            tx.commit().await?;
        }
        return Err(BAD_REFRESH);
    }
    if token.expires_at <= now || token.epoch != super::epoch::current(&tx).await? {
        return Err(BAD_REFRESH);
    }
    let user = user_account::Entity::find_by_id(token.user_id).one(&tx).await?;
    let Some(user) = user.filter(|u| !u.disabled && u.token_version == token.token_version) else {
        return Err(BAD_REFRESH);
    };
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&tx)
        .await?
        .rows_affected;
    if claimed == 0 {
        // Someone used the same token at the same moment: treat it as a replay.
        tracing::warn!(family = %token.family_id, "refresh token used twice at once: revoking its family");
        revoke_family(&tx, token.family_id).await?;
        tx.commit().await?;
        return Err(BAD_REFRESH);
    }
    let pair = issue_pair(&tx, keys, policy, &user, Some(token.family_id), Some(token.expires_at)).await?;
    tx.commit().await?;
    Ok(pair)
}

async fn revoke_family<C: ConnectionTrait>(db: &C, family: Uuid) -> AppResult<()> {
    super::epoch::note_revocation(db).await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(super::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The `client_credentials` grant for service clients (no refresh token).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn client_credentials_grant(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    client_id: &str,
    secret: &str,
) -> AppResult<TokenResponse> {
    let client = service_client::Entity::find().filter(service_client::Column::ClientId.eq(client_id)).one(db).await?;
    let presented = hash_secret(secret);
    let now = super::now();
    let matches = |hash: &str| bool::from(subtle::ConstantTimeEq::ct_eq(hash.as_bytes(), presented.as_bytes()));
    // The current secret, or the one the last rotation replaced while its grace lasts.
    let Some(client) = client.filter(|c| {
        let previous =
            c.previous_secret_hash.as_deref().filter(|_| c.previous_secret_expires_at.is_some_and(|at| at > now));
        !c.disabled && (matches(&c.secret_hash) | previous.is_some_and(matches))
    }) else {
        return Err(BAD_CLIENT);
    };
    service_client::Entity::update_many()
        .col_expr(service_client::Column::LastUsedAt, Expr::value(super::now()))
        .filter(service_client::Column::Id.eq(client.id))
        .exec(db)
        .await?;
    Ok(TokenResponse {
        access_token: keys
            .issue(client.id, TokenKind::Client, client.token_version, super::epoch::current(db).await?)
            .map_err(AppError::internal)?,
        token_type: "Bearer",
        expires_in: keys.ttl(),
        refresh_token: None,
    })
}

/// Revokes the refresh-token family of `presented` (logout). Unknown tokens are ignored,
/// so logout never tells whether a token existed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn logout(db: &DatabaseConnection, presented: &str) -> AppResult<()> {
    let tx = write_tx(db).await?;
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_secret(presented)))
        .one(&tx)
        .await?
    {
        revoke_family(&tx, token.family_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Turns a bearer token into an [`Actor`]: verifies the JWT, then checks that the
/// token's key epoch is current, that the account or client still exists and is
/// enabled and that its token version is current, and loads the grants in force.
/// `None` = unauthenticated. What it reads is kept in the replica's [`AuthCache`] for a
/// short, bounded time, so a request of a known caller reads nothing.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve_actor<C: ConnectionTrait>(
    db: &C,
    keys: &JwtKeys,
    cache: &AuthCache,
    bearer: &str,
    request_id: Option<String>,
) -> AppResult<Option<Actor>> {
    let Some(claims) = keys.verify(bearer) else { return Ok(None) };
    let epoch = match cache.epoch() {
        Some(epoch) => epoch,
        None => {
            let stamp = cache.stamp();
            let epoch = super::epoch::current(db).await?;
            cache.keep_epoch(epoch, stamp);
            epoch
        }
    };
    if claims.ep != epoch {
        return Ok(None);
    }
    let client = claims.kind == TokenKind::Client;
    let known = match cache.principal(client, claims.sub) {
        Some(known) => known,
        None => {
            let stamp = cache.stamp();
            let loaded = if client { load_client(db, claims.sub).await? } else { load_user(db, claims.sub).await? };
            let Some(known) = loaded else { return Ok(None) };
            cache.keep_principal(client, claims.sub, known.clone(), stamp);
            known
        }
    };
    if known.disabled || known.token_version != claims.tv {
        return Ok(None);
    }
    let mut actor = known.actor;
    actor.request_id = request_id;
    Ok(Some(actor))
}

/// What authentication knows of an account: None when it does not exist.
async fn load_user<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<Known>> {
    let Some(user) = user_account::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let (token_version, disabled) = (user.token_version, user.disabled);
    let actor = actor_for_user(db, user, None).await?;
    Ok(Some(Known { token_version, disabled, actor }))
}

/// The actor of a service client as its tokens would make it (for work done on its
/// behalf, such as webhook deliveries): None when it does not exist or is disabled.
pub(crate) async fn client_actor<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<Actor>> {
    Ok(load_client(db, id).await?.filter(|k| !k.disabled).map(|k| k.actor))
}

/// What authentication knows of a service client: None when it (or its organisation)
/// does not exist.
async fn load_client<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<Known>> {
    let Some(client) = service_client::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let org_path = match client.organization_id {
        Some(id) => match organization::Entity::find_by_id(id).one(db).await? {
            Some(o) => Some(o.path),
            None => return Ok(None),
        },
        None => None,
    };
    let actor = Actor {
        principal: Principal::Client {
            id: client.id,
            client_id: client.client_id.clone(),
            scopes: client_scopes_of(&client),
        },
        grants: vec![Grant { role: Role::HrReader, org_id: client.organization_id, org_path }],
        request_id: None,
        origin: Default::default(),
        home: None,
    };
    Ok(Some(Known { token_version: client.token_version, disabled: client.disabled, actor }))
}

/// The actor of an account: its grants in force, with their organisations' paths.
async fn actor_for_user<C: ConnectionTrait>(
    db: &C,
    user: user_account::Model,
    request_id: Option<String>,
) -> AppResult<Actor> {
    let grants = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user.id))
        .find_also_related(organization::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(g, org)| {
            let role = Role::parse(&g.role, "role").ok()?;
            match (g.organization_id, org) {
                (None, _) => Some(Grant { role, org_id: None, org_path: None }),
                (Some(id), Some(o)) => Some(Grant { role, org_id: Some(id), org_path: Some(o.path) }),
                (Some(_), None) => None,
            }
        })
        .collect();
    let home = home_of(db, user.person_id).await?;
    Ok(Actor {
        principal: Principal::User { user_id: user.id, username: user.username, person_id: user.person_id },
        grants,
        request_id,
        origin: Default::default(),
        home,
    })
}

/// The materialised path of the organisation `person_id` belongs to now: the root of
/// the caller's participation scope (one indexed statement, only for people). None for
/// someone who has left (调出, 退休, 出党, ...): they take part in nothing any more.
pub(crate) async fn home_of<C: ConnectionTrait>(db: &C, person_id: Option<Uuid>) -> AppResult<Option<String>> {
    let Some(person_id) = person_id else { return Ok(None) };
    Ok(organization::Entity::find()
        .select_only()
        .column(organization::Column::Path)
        .filter(
            organization::Column::Id.in_subquery(
                entity::person::Entity::find()
                    .select_only()
                    .column(entity::person::Column::OrganizationId)
                    .filter(entity::person::Column::Id.eq(person_id))
                    .filter(entity::person::Column::LeftOn.is_null())
                    .into_query(),
            ),
        )
        .into_tuple::<String>()
        .one(db)
        .await?)
}

/// Checks a username and password like the `password` grant does (same lock-out, same
/// bounded hashing, same time for unknown accounts) without issuing tokens: for HTTP
/// Basic in front of the browser tools. `None` when the credentials are wrong.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate_password(
    db: &DatabaseConnection,
    policy: &AuthPolicy,
    username: &str,
    password_text: String,
) -> AppResult<Option<Actor>> {
    match checked_account(db, policy, username, password_text).await? {
        Some(user) => actor_for_user(db, user, None).await.map(Some),
        None => Ok(None),
    }
}

/// The account `username` if `password_text` is its password (lock-out counted); an
/// unknown username spends the same hashing work, so both take as long.
async fn checked_account(
    db: &DatabaseConnection,
    policy: &AuthPolicy,
    username: &str,
    password_text: String,
) -> AppResult<Option<user_account::Model>> {
    let user = user_account::Entity::find().filter(user_account::Column::Username.eq(username.trim())).one(db).await?;
    let Some(user) = user else {
        policy.passwords.verify(password_text, None).await?;
        metrics::counter!(crate::telemetry::LOGIN_FAILURES, "reason" => "unknown_account").increment(1);
        // Unknown usernames are often mistyped passwords: never log them above DEBUG.
        tracing::debug!("login refused: unknown account");
        return Ok(None);
    };
    Ok(check_password(db, policy, &user, password_text).await?.then_some(user))
}

/// The caller: account or service client, person and role grants.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct Me {
    /// `user` or `client`.
    pub kind: String,
    /// The account, for users.
    pub user: Option<UserView>,
    /// The caller's person, if the account belongs to one.
    pub person: Option<PersonView>,
    /// The client, for service clients.
    pub client: Option<ServiceClientView>,
    /// Role grants in force.
    pub roles: Vec<RoleAssignmentView>,
}

/// Describes the caller: account or client, person, roles and scopes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn me<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Me> {
    match &actor.principal {
        Principal::User { user_id, person_id, .. } => {
            let user = user_account::Entity::find_by_id(*user_id).one(db).await?.ok_or(AppError::NotFound)?;
            let person = match person_id {
                Some(pid) => Some(people::get(db, actor, *pid).await?),
                None => None,
            };
            let roles = super::users::roles_of(db, actor, &[*user_id]).await?.remove(user_id).unwrap_or_default();
            Ok(Me { kind: "user".into(), user: Some(user.into()), person, client: None, roles })
        }
        // The server's own actor is nobody who could ask.
        Principal::System => Err(AppError::NotFound),
        Principal::Client { id, .. } => {
            let client = service_client::Entity::find_by_id(*id).one(db).await?.ok_or(AppError::NotFound)?;
            let view = ServiceClientView::from(client);
            let roles = vec![RoleAssignmentView {
                id: view.id,
                user_id: view.id,
                role: Role::HrReader,
                organization_id: view.organization_id,
                granted_by: None,
                created_at: view.created_at,
            }];
            Ok(Me { kind: "client".into(), user: None, person: None, client: Some(view), roles })
        }
    }
}

/// Creates the global administrator `username` if no account of that name exists.
/// Returns the password when it was generated (to be printed once), `None` otherwise.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ensure_admin(
    db: &DatabaseConnection,
    passwords: &password::Passwords,
    username: &str,
    password_text: Option<String>,
) -> AppResult<Option<Option<String>>> {
    if user_account::Entity::find().filter(user_account::Column::Username.eq(username)).count(db).await? > 0 {
        return Ok(None);
    }
    let generated = password_text.is_none();
    let pw = match password_text {
        Some(p) => {
            password::validate_new(&p, "DANGJIAN_ADMIN_PASSWORD", Some(username))?;
            p
        }
        None => format!("Dj-{}", random_token()),
    };
    let hash = passwords.hash(pw.clone()).await?;
    let tx = write_tx(db).await?;
    let now = super::now();
    let user = user_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.to_owned()),
        person_id: Set(None),
        password_hash: Set(hash),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        token_version: Set(0),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let grant = role_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        role: Set(Role::Admin.as_str().to_owned()),
        organization_id: Set(None),
        scope_key: Set(super::users::scope_key(None)),
        granted_by: Set(None),
        created_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let actor = Actor::system();
    let view = UserView::from(user);
    audit::record(
        &tx,
        &actor,
        audit::Change::of(
            "create",
            crate::services::audit::entity_name(entity::user_account::Entity),
            *view.id,
            None,
            None,
            Some(&view),
        )?,
    )
    .await?;
    audit::record(
        &tx,
        &actor,
        audit::Change {
            action: "grant",
            entity: crate::services::audit::entity_name(entity::role_assignment::Entity),
            entity_id: grant.id,
            organization_id: None,
            before: None,
            after: Some(serde_json::json!({"user_id": view.id, "role": "admin"})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(generated.then_some(pw)))
}
