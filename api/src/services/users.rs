//! User accounts and role grants: create an account for a person, disable, reset or
//! change a password, revoke tokens, grant and revoke roles within one's subtree.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::credentials::{AuthPolicy, check_password};
use super::pagination::{KeyOrder, Page, PageRequest, keyset};
use super::scope::find_in_scope;
use super::scope::org_ref_in;
use super::types::Id;
use crate::auth::{Actor, Permission, Role, Scope, password};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{organization, person, refresh_token, role_assignment, user_account};

/// A login account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "User", complex)]
pub struct UserView {
    /// Id.
    pub id: Id,
    /// Login name.
    pub username: String,
    /// The person this account belongs to.
    #[graphql(skip)]
    pub person_id: Option<Uuid>,
    /// Disabled accounts cannot log in and their tokens stop working.
    pub disabled: bool,
    /// Locked after repeated failed logins until this instant.
    pub locked_until: Option<DateTime<Utc>>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<user_account::Model> for UserView {
    fn from(m: user_account::Model) -> Self {
        UserView {
            id: m.id.into(),
            username: m.username,
            person_id: m.person_id,
            disabled: m.disabled,
            locked_until: m.locked_until,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// A role grant: a role, global or over an organisation subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "RoleAssignment", complex)]
pub struct RoleAssignmentView {
    /// Id.
    pub id: Id,
    /// The account holding the role.
    pub user_id: Id,
    /// The role.
    pub role: Role,
    /// Root of the subtree the role applies to; null = everywhere.
    pub organization_id: Option<Id>,
    /// Who granted it.
    #[graphql(skip)]
    pub granted_by: Option<Uuid>,
    /// Granted at (UTC).
    pub created_at: DateTime<Utc>,
}

impl RoleAssignmentView {
    fn from_model(m: role_assignment::Model) -> AppResult<Self> {
        Ok(RoleAssignmentView {
            role: Role::from_db(&m.role)?,
            id: m.id.into(),
            user_id: m.user_id.into(),
            organization_id: m.organization_id.map(Id),
            granted_by: m.granted_by,
            created_at: m.created_at,
        })
    }
}

/// A new account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateUserInput")]
pub struct NewUser {
    /// Login name: 3–64 characters of letters, digits, `.`, `_`, `-`.
    #[schema(min_length = 3, max_length = 64, pattern = r"^\s*[-._0-9A-Za-z]{3,64}\s*$")]
    pub username: String,
    /// Initial password: 12–256 characters (any characters, spaces included); not a
    /// common or breached password, not a repeated or sequential run, not built on the
    /// username or the service's name.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    /// The person the account is for (required unless you are an administrator).
    pub person_id: Option<Id>,
}

/// A role grant to make.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "AssignRoleInput")]
pub struct NewRoleAssignment {
    /// The account.
    pub user_id: Id,
    /// The role (`hr_reader` is refused: it is for service clients only).
    pub role: Role,
    /// Subtree root; omit for a global grant (administrators only); must be omitted for
    /// `admin`, which is always global.
    pub organization_id: Option<Id>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Username contains this text.
    pub q: Option<String>,
    /// Only the account of this person.
    pub person_id: Option<Uuid>,
}

/// Accounts the actor may see under `p`: those whose person belongs to an organisation
/// in scope; accounts without a person only with a global grant.
fn visible(actor: &Actor, p: Permission) -> AppResult<Condition> {
    let scope = actor.require(p)?;
    Ok(match scope {
        Scope::Global => Condition::all(),
        _ => Condition::all().add(
            user_account::Column::PersonId.in_subquery(
                person::Entity::find()
                    .select_only()
                    .column(person::Column::Id)
                    .filter(org_ref_in(person::Column::OrganizationId, &scope))
                    .into_query(),
            ),
        ),
    })
}

async fn find_visible<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<user_account::Model> {
    let own = actor.user_id() == Some(id);
    let cond = if own { Condition::all() } else { visible(actor, Permission::UserRead)? };
    user_account::Entity::find_by_id(id).filter(cond).one(db).await?.ok_or(AppError::NotFound)
}

/// Loads (and, on PostgreSQL, locks) an account the actor may change: NOT_FOUND when not
/// readable, FORBIDDEN when outside the write scope or when the account holds a role the
/// actor could not grant (so an org_admin can never reset, disable or sign out an
/// administrator whose person happens to sit in their subtree).
async fn find_writable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<user_account::Model> {
    find_visible(db, actor, id).await?;
    let write = actor.require(Permission::UserWrite)?;
    let row = user_account::Entity::find_by_id(id)
        .filter(visible(actor, Permission::UserWrite)?)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::forbidden("this account is outside the subtree you manage"))?;
    if write != Scope::Global {
        let grant_scope = actor.scope(Permission::RoleGrant);
        let grants = role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.eq(id))
            .find_also_related(organization::Entity)
            .all(db)
            .await?;
        let beyond = grants.iter().any(|(g, org)| {
            let grantable = Role::parse(&g.role, "role").is_ok_and(Role::grantable_by_org_admin);
            let inside = org.as_ref().is_some_and(|o| grant_scope.contains_path(&o.path));
            !(grantable && inside)
        });
        if beyond {
            return Err(AppError::forbidden("this account holds roles beyond those you may grant"));
        }
    }
    Ok(row)
}

/// An account the actor may grant roles to (its person inside the actor's grant scope).
async fn find_grantee<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<user_account::Model> {
    user_account::Entity::find_by_id(id)
        .filter(visible(actor, Permission::RoleGrant)?)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The uniqueness key of a grant's scope: the organisation id, or `global`.
pub fn scope_key(organization_id: Option<Uuid>) -> String {
    organization_id.map(|o| o.to_string()).unwrap_or_else(|| "global".to_owned())
}

/// One account.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<UserView> {
    Ok(find_visible(db, actor, id).await?.into())
}

/// A page of accounts in scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &UserFilter,
    page: PageRequest,
) -> AppResult<Page<UserView>> {
    let mut cond = visible(actor, Permission::UserRead)?;
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        cond = cond.add(user_account::Column::Username.contains(q));
    }
    if let Some(pid) = filter.person_id {
        cond = cond.add(user_account::Column::PersonId.eq(pid));
    }
    let (rows, total) =
        keyset::<_, user_account::Entity>(db, cond, user_account::Column::Id, page, KeyOrder::Oldest).await?;
    Ok(Page::from_rows(rows.into_iter().map(UserView::from).collect(), page, |u| *u.id, total))
}

/// The accounts of several people (DataLoader batch: person id → account), in scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_person_ids<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    person_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, UserView>> {
    let mut cond = Condition::any().add(visible(actor, Permission::UserRead).unwrap_or_else(|_| deny()));
    if let Some(own) = actor.user_id() {
        cond = cond.add(user_account::Column::Id.eq(own));
    }
    Ok(user_account::Entity::find()
        .filter(user_account::Column::PersonId.is_in(person_ids.iter().copied()))
        .filter(cond)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| u.person_id.map(|p| (p, UserView::from(u))))
        .collect())
}

fn deny() -> Condition {
    Condition::all().add(super::scope::never())
}

/// The role grants the actor may see: those of the accounts it may read, and its own.
fn assignments_visible(actor: &Actor) -> Condition {
    let mut cond = Condition::any().add(
        visible(actor, Permission::UserRead)
            .map(|c| {
                Condition::all().add(role_assignment::Column::UserId.in_subquery(
                    user_account::Entity::find().select_only().column(user_account::Column::Id).filter(c).into_query(),
                ))
            })
            .unwrap_or_else(|_| deny()),
    );
    if let Some(own) = actor.user_id() {
        cond = cond.add(role_assignment::Column::UserId.eq(own));
    }
    cond
}

/// Role grants by id, skipping those the actor may not see (the changes feed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn assignments_by_ids<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<RoleAssignmentView>> {
    role_assignment::Entity::find()
        .filter(role_assignment::Column::Id.is_in(super::bucketed(ids.iter().copied())))
        .filter(assignments_visible(actor))
        .all(db)
        .await?
        .into_iter()
        .map(RoleAssignmentView::from_model)
        .collect()
}

/// The role grants of several accounts (DataLoader batch: user id → grants), in scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn roles_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    user_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<RoleAssignmentView>>> {
    let rows = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(assignments_visible(actor))
        .order_by_asc(role_assignment::Column::Id)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<RoleAssignmentView>> = HashMap::new();
    for r in rows {
        map.entry(r.user_id).or_default().push(RoleAssignmentView::from_model(r)?);
    }
    Ok(map)
}

/// The grants of one account the actor may see.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn roles<C: ConnectionTrait>(db: &C, actor: &Actor, user_id: Uuid) -> AppResult<Vec<RoleAssignmentView>> {
    find_visible(db, actor, user_id).await?;
    Ok(roles_of(db, actor, &[user_id]).await?.remove(&user_id).unwrap_or_default())
}

fn validate_username(username: &str) -> AppResult<()> {
    let len = username.chars().count();
    Validator::new()
        .check((3..=64).contains(&len), "username", "must be 3 to 64 characters")
        .check(
            username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "username",
            "may contain only letters, digits, '.', '_' and '-'",
        )
        .finish()
}

/// Creates an account, for a person in the actor's subtree (or, for admins, for nobody).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    passwords: &password::Passwords,
    input: NewUser,
) -> AppResult<UserView> {
    let write = actor.require(Permission::UserWrite)?;
    let username = input.username.trim().to_owned();
    validate_username(&username)?;
    password::validate_new(&input.password, "password", Some(&username))?;
    let hash = passwords.hash(input.password).await?;
    let tx = write_tx(db).await?;
    let org_id = match input.person_id.map(Uuid::from) {
        None if write == Scope::Global => None,
        None => return Err(AppError::invalid("person_id", "is required")),
        Some(pid) => {
            let p = person::Entity::find_by_id(pid)
                .filter(org_ref_in(person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
                .one(&tx)
                .await?
                .ok_or_else(|| AppError::invalid("person_id", "no such person"))?;
            let org = organization::Entity::find_by_id(p.organization_id).one(&tx).await?.ok_or(AppError::NotFound)?;
            if !write.contains_path(&org.path) {
                return Err(AppError::forbidden("this person is outside the subtree you manage"));
            }
            let taken =
                user_account::Entity::find().filter(user_account::Column::PersonId.eq(pid)).count(&tx).await? > 0;
            if taken {
                return Err(AppError::Conflict("this person already has an account".into()));
            }
            Some(org.id)
        }
    };
    if user_account::Entity::find().filter(user_account::Column::Username.eq(&username)).count(&tx).await? > 0 {
        // Usernames are unique across the group: say it is taken, never whose it is.
        return Err(AppError::Conflict("this username is already taken".into()));
    }
    let now = super::now();
    let model = user_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username),
        person_id: Set(input.person_id.map(Uuid::from)),
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
    let view = UserView::from(model);
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::user_account::Entity),
            *view.id,
            org_id,
            None,
            Some(&view),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Revokes every token of an account: bumps its token version and revokes its refresh tokens.
async fn revoke_all<C: ConnectionTrait>(tx: &C, user_id: Uuid) -> AppResult<()> {
    super::auth_cache::changed();
    super::epoch::note_revocation(tx).await?;
    user_account::Entity::update_many()
        .col_expr(user_account::Column::TokenVersion, Expr::col(user_account::Column::TokenVersion).add(1))
        .filter(user_account::Column::Id.eq(user_id))
        .exec(tx)
        .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(super::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx)
        .await?;
    Ok(())
}

async fn change<F>(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    action: &str,
    revoke: bool,
    apply: F,
) -> AppResult<UserView>
where
    F: FnOnce(&mut user_account::ActiveModel),
{
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    if let Some(expected) = expected_version {
        super::check_version(row.version, expected)?;
    }
    let before = UserView::from(row.clone());
    let original = row.clone();
    let version = row.version;
    let mut am: user_account::ActiveModel = row.into();
    apply(&mut am);
    if !original.disabled && matches!(am.disabled, sea_orm::ActiveValue::Set(true)) {
        keep_a_global_admin(&tx, id, "the last global administrator cannot be disabled").await?;
    }
    // Only the versioned PATCH (enable/disable) short-circuits: a password reset always
    // revokes the account's tokens.
    if expected_version.is_some() && super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(version + 1);
    let after = UserView::from(am.update(&tx).await?);
    if revoke {
        revoke_all(&tx, id).await?;
    }
    let org_id = org_of_user(&tx, &after).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            action,
            crate::services::audit::entity_name(entity::user_account::Entity),
            id,
            org_id,
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Refuses (CONFLICT, with `message`) a change that would leave no enabled account holding
/// the global `admin` role: `user_id` is such an account and no other enabled account is.
/// Run inside the write's transaction; it first locks the global admin grants (on
/// PostgreSQL), so two concurrent changes cannot each count on the other's administrator.
async fn keep_a_global_admin<C: ConnectionTrait>(db: &C, user_id: Uuid, message: &str) -> AppResult<()> {
    let holders: Vec<Uuid> = role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(Role::Admin.as_str()))
        .filter(role_assignment::Column::OrganizationId.is_null())
        .lock_exclusive()
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.user_id)
        .collect();
    if !holders.contains(&user_id) {
        return Ok(());
    }
    let enabled: Vec<Uuid> = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(holders))
        .filter(user_account::Column::Disabled.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    if enabled.iter().all(|u| *u == user_id) && enabled.contains(&user_id) {
        return Err(AppError::Conflict(message.to_owned()));
    }
    Ok(())
}

async fn org_of_user<C: ConnectionTrait>(db: &C, user: &UserView) -> AppResult<Option<Uuid>> {
    Ok(match user.person_id {
        Some(pid) => person::Entity::find_by_id(pid).one(db).await?.map(|p| p.organization_id),
        None => None,
    })
}

/// Disables or re-enables an account; disabling revokes its tokens.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_disabled(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    disabled: bool,
) -> AppResult<UserView> {
    actor.require(Permission::UserWrite)?;
    if actor.user_id() == Some(id) && disabled {
        return Err(AppError::invalid("disabled", "you cannot disable your own account"));
    }
    let action = if disabled { "disable" } else { "enable" };
    change(db, actor, id, Some(expected_version), action, disabled, |am| {
        am.disabled = Set(disabled);
        if !disabled {
            am.failed_logins = Set(0);
            am.locked_until = Set(None);
        }
    })
    .await
}

/// Sets a new password chosen by an administrator; revokes the account's tokens and lifts a lock-out.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_password(
    db: &DatabaseConnection,
    actor: &Actor,
    passwords: &password::Passwords,
    id: Uuid,
    new_password: String,
) -> AppResult<UserView> {
    actor.require(Permission::UserWrite)?;
    password::validate_new(&new_password, "password", None)?;
    let hash = passwords.hash(new_password).await?;
    change(db, actor, id, None, "reset_password", true, |am| {
        am.password_hash = Set(hash);
        am.failed_logins = Set(0);
        am.locked_until = Set(None);
    })
    .await
}

/// Revokes every token of an account (sign out everywhere).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_tokens(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<UserView> {
    if actor.user_id() != Some(id) {
        actor.require(Permission::UserWrite)?;
    }
    let tx = write_tx(db).await?;
    let row = if actor.user_id() == Some(id) {
        find_visible(&tx, actor, id).await?
    } else {
        find_writable(&tx, actor, id).await?
    };
    revoke_all(&tx, id).await?;
    let view = UserView::from(row);
    let org_id = org_of_user(&tx, &view).await?;
    audit::record(
        &tx,
        actor,
        Change {
            action: "revoke_tokens",
            entity: crate::services::audit::entity_name(entity::user_account::Entity),
            entity_id: id,
            organization_id: org_id,
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Changes the caller's own password after checking the current one; revokes their other tokens.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn change_own_password(
    db: &DatabaseConnection,
    actor: &Actor,
    policy: &AuthPolicy,
    current: String,
    new_password: String,
) -> AppResult<()> {
    let id = actor.user_id().ok_or_else(|| AppError::forbidden("service clients have no password"))?;
    let row = user_account::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    password::validate_new(&new_password, "new_password", Some(&row.username))?;
    // Wrong guesses count towards the lock-out like failed logins, so a stolen access
    // token cannot be used to brute-force the password.
    if !check_password(db, policy, &row, current).await? {
        return Err(AppError::invalid("current_password", "is not correct"));
    }
    let hash = policy.passwords.hash(new_password).await?;
    let tx = write_tx(db).await?;
    user_account::Entity::update_many()
        .col_expr(user_account::Column::PasswordHash, Expr::value(hash))
        .col_expr(user_account::Column::UpdatedAt, Expr::value(super::now()))
        .col_expr(user_account::Column::Version, Expr::col(user_account::Column::Version).add(1))
        .filter(user_account::Column::Id.eq(id))
        .exec(&tx)
        .await?;
    revoke_all(&tx, id).await?;
    let view = UserView::from(row);
    let org_id = org_of_user(&tx, &view).await?;
    audit::record(
        &tx,
        actor,
        Change {
            action: "change_password",
            entity: crate::services::audit::entity_name(entity::user_account::Entity),
            entity_id: id,
            organization_id: org_id,
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Grants a role. Admins grant anything anywhere; org_admins grant `org_admin` or
/// `member` only inside their own subtree, never globally and never above their own role.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn assign_role(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewRoleAssignment,
) -> AppResult<RoleAssignmentView> {
    let grant_scope = actor.require(Permission::RoleGrant)?;
    if input.role == Role::HrReader {
        return Err(AppError::invalid("role", "hr_reader is held by service clients, not accounts"));
    }
    let tx = write_tx(db).await?;
    let user = find_grantee(&tx, actor, *input.user_id).await?;
    let org = match input.organization_id {
        Some(org_id) => Some(find_in_scope(&tx, &actor.scope(Permission::OrgRead), *org_id).await?),
        None => None,
    };
    if grant_scope != Scope::Global {
        if !input.role.grantable_by_org_admin() {
            return Err(AppError::forbidden(format!("you may not grant the role {}", input.role.as_str())));
        }
        match &org {
            None => return Err(AppError::forbidden("only administrators grant global roles")),
            Some(o) if !grant_scope.contains_path(&o.path) => {
                return Err(AppError::forbidden("you may grant roles only inside the subtree you manage"));
            }
            Some(_) => {}
        }
    }
    if input.role == Role::Admin && org.is_some() {
        return Err(AppError::invalid("organization_id", "the admin role is always global"));
    }
    let org_id = org.as_ref().map(|o| o.id);
    let dup = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user.id))
        .filter(role_assignment::Column::Role.eq(input.role.as_str()))
        .filter(match org_id {
            Some(id) => role_assignment::Column::OrganizationId.eq(id),
            None => role_assignment::Column::OrganizationId.is_null(),
        })
        .count(&tx)
        .await?;
    if dup > 0 {
        return Err(AppError::Conflict("the account already holds this role there".into()));
    }
    let model = role_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        role: Set(input.role.as_str().to_owned()),
        organization_id: Set(org_id),
        scope_key: Set(scope_key(org_id)),
        granted_by: Set(actor.id()),
        created_at: Set(super::now()),
    }
    .insert(&tx)
    .await?;
    let view = RoleAssignmentView::from_model(model)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "grant",
            crate::services::audit::entity_name(entity::role_assignment::Entity),
            *view.id,
            org_id,
            None,
            Some(&view),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Revokes a role grant, under the same rules as granting it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_role(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<()> {
    let grant_scope = actor.require(Permission::RoleGrant)?;
    let tx = write_tx(db).await?;
    let row = role_assignment::Entity::find_by_id(id).one(&tx).await?.ok_or(AppError::NotFound)?;
    find_grantee(&tx, actor, row.user_id).await?;
    let view = RoleAssignmentView::from_model(row)?;
    if grant_scope != Scope::Global {
        let org = match view.organization_id {
            Some(o) => find_in_scope(&tx, &actor.scope(Permission::OrgRead), *o).await.ok(),
            None => None,
        };
        let inside = org.is_some_and(|o| grant_scope.contains_path(&o.path));
        if !inside || !view.role.grantable_by_org_admin() {
            return Err(AppError::forbidden("you may revoke only roles you could grant"));
        }
    }
    if view.role == Role::Admin && view.organization_id.is_none() {
        keep_a_global_admin(
            &tx,
            *view.user_id,
            "this would remove the last global administrator; grant another account the global admin role first",
        )
        .await?;
    }
    role_assignment::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "revoke",
            crate::services::audit::entity_name(entity::role_assignment::Entity),
            id,
            view.organization_id.map(Uuid::from),
            Some(&view),
            None,
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
