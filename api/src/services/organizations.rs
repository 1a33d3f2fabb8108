//! The party organisation tree: read within scope, create, rename, move a subtree,
//! delete when empty.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{BinOper, Expr, ExprTrait, Func},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::check_version;
use super::pagination::{KeyOrder, Page, PageRequest, keyset};
use super::scope::{self, find_in_scope, orgs_in, subtree};
use super::types::{Id, OrgKind};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{organization, person, role_assignment, service_client};

/// A node of the party organisation tree (党委, 党总支, 党支部, 党小组).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Organization", complex)]
pub struct OrganizationView {
    /// Id (UUID v7).
    pub id: Id,
    /// Parent organisation; null for a root committee.
    pub parent_id: Option<Id>,
    /// Full name, e.g. 技术研发党总支.
    pub name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Kind in the party hierarchy.
    pub kind: OrgKind,
    /// Materialised path of ids from the root, `/root/.../self/`.
    pub path: String,
    /// Depth below the root (root = 0).
    pub depth: i32,
    /// Order among siblings.
    pub sort_order: i32,
    /// Date the organisation was established.
    pub established_on: Option<NaiveDate>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it back when updating.
    pub version: i32,
}

impl OrganizationView {
    fn from_model(m: organization::Model) -> AppResult<Self> {
        Ok(OrganizationView {
            kind: OrgKind::from_db(&m.kind)?,
            id: m.id.into(),
            parent_id: m.parent_id.map(Id),
            name: m.name,
            short_name: m.short_name,
            path: m.path,
            depth: m.depth,
            sort_order: m.sort_order,
            established_on: m.established_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new organisation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateOrganizationInput")]
pub struct NewOrganization {
    /// Parent; omit only for a new root committee (administrators only).
    pub parent_id: Option<Id>,
    /// Full name (1–100 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 100)]
    pub name: String,
    /// Short name (up to 30 characters).
    #[schema(max_length = 30)]
    pub short_name: Option<String>,
    /// Kind; must fit under the parent's kind.
    pub kind: OrgKind,
    /// Order among siblings (default 0).
    #[schema(minimum = 0, maximum = 1000000)]
    pub sort_order: Option<i32>,
    /// Date established.
    pub established_on: Option<NaiveDate>,
}

/// Changes to an organisation: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateOrganizationInput")]
pub struct OrganizationPatch {
    /// New full name.
    #[schema(min_length = 1, pattern = r"\S", max_length = 100)]
    pub name: Option<String>,
    /// New short name (empty string clears it).
    #[schema(max_length = 30)]
    pub short_name: Option<String>,
    /// New order among siblings.
    #[schema(minimum = 0, maximum = 1000000)]
    pub sort_order: Option<i32>,
    /// New establishment date.
    pub established_on: Option<NaiveDate>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Only direct children of this organisation.
    pub parent_id: Option<Uuid>,
    /// Only organisations strictly below this one.
    pub descendants_of: Option<Uuid>,
    /// Only roots (no parent).
    pub roots_only: bool,
    /// Only this kind.
    pub kind: Option<OrgKind>,
    /// Name contains this text.
    pub name_contains: Option<String>,
}

/// Loads an organisation the actor may write: NOT_FOUND when not even readable,
/// FORBIDDEN when readable but not writable.
async fn find_writable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<organization::Model> {
    let write = actor.require(Permission::OrgWrite)?;
    // Locked on PostgreSQL (SQLite write transactions already hold the database lock), so
    // version checks, cycle checks and path rewrites see a row nobody else is changing.
    let org = organization::Entity::find_by_id(id)
        .filter(orgs_in(&actor.scope(Permission::OrgRead)))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if !write.contains_path(&org.path) {
        return Err(AppError::forbidden("this organisation is outside the subtree you manage"));
    }
    Ok(org)
}

/// Whether `path` is the root of one of the actor's scoped write grants (which they may
/// not move or delete: that would change their own scope).
fn is_own_scope_root(scope: &Scope, path: &str) -> bool {
    matches!(scope, Scope::Subtrees(roots) if roots.iter().any(|r| r == path))
}

/// One organisation.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<OrganizationView> {
    let scope = actor.require(Permission::OrgRead)?;
    OrganizationView::from_model(super::scope::find_participating(db, actor, &scope, id).await?)
}

/// Several organisations by id, silently skipping those out of scope (DataLoader batch).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<OrganizationView>> {
    let scope = actor.require(Permission::OrgRead)?;
    let select = organization::Entity::find()
        .filter(organization::Column::Id.is_in(super::bucketed(ids.iter().copied())))
        .filter(super::scope::orgs_participating(actor, &scope));
    super::all_fast(select, db).await?.into_iter().map(OrganizationView::from_model).collect()
}

/// A page of organisations in scope, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &OrganizationFilter,
    page: PageRequest,
) -> AppResult<Page<OrganizationView>> {
    let scope = actor.require(Permission::OrgRead)?;
    let mut cond = Condition::all().add(orgs_in(&scope));
    if let Some(parent) = filter.parent_id {
        find_in_scope(db, &scope, parent).await?;
        cond = cond.add(organization::Column::ParentId.eq(parent));
    }
    if let Some(root) = filter.descendants_of {
        let root = find_in_scope(db, &scope, root).await?;
        cond = cond.add(subtree(&root.path)).add(organization::Column::Id.ne(root.id));
    }
    if filter.roots_only {
        cond = cond.add(organization::Column::ParentId.is_null());
    }
    if let Some(kind) = filter.kind {
        cond = cond.add(organization::Column::Kind.eq(kind.as_str()));
    }
    if let Some(text) = filter.name_contains.as_deref().filter(|t| !t.trim().is_empty()) {
        cond = cond.add(organization::Column::Name.contains(text.trim()));
    }
    let (rows, total) =
        keyset::<_, organization::Entity>(db, cond, organization::Column::Id, page, KeyOrder::Oldest).await?;
    let rows = rows.into_iter().map(OrganizationView::from_model).collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |o| *o.id, total))
}

/// The path from the root down to the organisation (itself last), skipping ancestors
/// outside the caller's scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ancestors<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<Vec<OrganizationView>> {
    let scope = actor.require(Permission::OrgRead)?;
    let org = find_in_scope(db, &scope, id).await?;
    let ids = scope::path_ids(&org.path);
    let mut rows = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .filter(orgs_in(&scope))
        .order_by_asc(organization::Column::Depth)
        .all(db)
        .await?;
    rows.retain(|r| r.id != org.id);
    rows.push(org);
    rows.into_iter().map(OrganizationView::from_model).collect()
}

fn validate_fields(name: Option<&str>, short_name: Option<&str>, sort_order: Option<i32>) -> AppResult<()> {
    Validator::new()
        .opt_text(name, "name", 100)
        .check(short_name.is_none_or(|s| s.chars().count() <= 30), "short_name", "must be at most 30 characters")
        .check(sort_order.is_none_or(|n| (0..=1_000_000).contains(&n)), "sort_order", "must be between 0 and 1000000")
        .finish()
}

/// Creates an organisation under a parent the actor manages (a root: admins only).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewOrganization) -> AppResult<OrganizationView> {
    let write = actor.require(Permission::OrgWrite)?;
    validate_fields(Some(&input.name), input.short_name.as_deref(), input.sort_order)?;
    let tx = write_tx(db).await?;
    let id = Uuid::now_v7();
    let (path, depth) = match input.parent_id.map(Uuid::from) {
        None => {
            if write != Scope::Global {
                return Err(AppError::forbidden("only administrators create root organisations"));
            }
            if input.kind != OrgKind::Committee {
                return Err(AppError::invalid("kind", "a root organisation must be a committee"));
            }
            (format!("/{id}/"), 0)
        }
        Some(parent_id) => {
            let parent = find_writable(&tx, actor, parent_id).await?;
            let parent_kind = OrgKind::from_db(&parent.kind)?;
            if !input.kind.may_be_child_of(parent_kind) {
                return Err(AppError::invalid(
                    "kind",
                    format!("a {} cannot be placed under a {}", input.kind.as_str(), parent_kind.as_str()),
                ));
            }
            (format!("{}{id}/", parent.path), parent.depth + 1)
        }
    };
    let now = super::now();
    let model = organization::ActiveModel {
        id: Set(id),
        parent_id: Set(input.parent_id.map(Uuid::from)),
        name: Set(input.name.trim().to_owned()),
        short_name: Set(input.short_name.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())),
        kind: Set(input.kind.as_str().to_owned()),
        path: Set(path),
        depth: Set(depth),
        sort_order: Set(input.sort_order.unwrap_or(0)),
        established_on: Set(input.established_on),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let view = OrganizationView::from_model(model)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::organization::Entity),
            id,
            Some(id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Renames or re-orders an organisation.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: OrganizationPatch,
) -> AppResult<OrganizationView> {
    actor.require(Permission::OrgWrite)?;
    validate_fields(patch.name.as_deref(), patch.short_name.as_deref(), patch.sort_order)?;
    let tx = write_tx(db).await?;
    let org = find_writable(&tx, actor, id).await?;
    check_version(org.version, expected_version)?;
    let before = OrganizationView::from_model(org.clone())?;
    let original = org.clone();
    let mut am: organization::ActiveModel = org.into();
    if let Some(name) = patch.name {
        am.name = Set(name.trim().to_owned());
    }
    if let Some(short) = patch.short_name {
        am.short_name = Set(Some(short.trim().to_owned()).filter(|s| !s.is_empty()));
    }
    if let Some(order) = patch.sort_order {
        am.sort_order = Set(order);
    }
    if let Some(date) = patch.established_on {
        am.established_on = Set(Some(date));
    }
    if super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let after = OrganizationView::from_model(am.update(&tx).await?)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::organization::Entity),
            id,
            Some(id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves an organisation (and its whole subtree) under a new parent, in one transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn move_to(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    new_parent_id: Uuid,
) -> AppResult<OrganizationView> {
    let write = actor.require(Permission::OrgWrite)?;
    let tx = write_tx(db).await?;
    let org = find_writable(&tx, actor, id).await?;
    if is_own_scope_root(&write, &org.path) {
        return Err(AppError::forbidden("you cannot move the root of the subtree you manage"));
    }
    check_version(org.version, expected_version)?;
    let parent = find_writable(&tx, actor, new_parent_id).await?;
    if parent.path.starts_with(&org.path) {
        return Err(AppError::invalid("parent_id", "an organisation cannot move into its own subtree"));
    }
    let kind = OrgKind::from_db(&org.kind)?;
    let parent_kind = OrgKind::from_db(&parent.kind)?;
    if !kind.may_be_child_of(parent_kind) {
        return Err(AppError::invalid(
            "parent_id",
            format!("a {} cannot be placed under a {}", kind.as_str(), parent_kind.as_str()),
        ));
    }
    let before = OrganizationView::from_model(org.clone())?;
    let old_path = org.path.clone();
    let new_path = format!("{}{}/", parent.path, org.id);
    let depth_delta = parent.depth + 1 - org.depth;
    // Rewrite the whole subtree's paths and depths in one statement.
    organization::Entity::update_many()
        .col_expr(
            organization::Column::Path,
            Expr::val(new_path.clone()).binary(
                BinOper::Custom("||"),
                Func::cust("substr").arg(Expr::col(organization::Column::Path)).arg(old_path.len() as i32 + 1),
            ),
        )
        .col_expr(organization::Column::Depth, Expr::col(organization::Column::Depth).add(depth_delta))
        .col_expr(organization::Column::Version, Expr::col(organization::Column::Version).add(1))
        .col_expr(organization::Column::UpdatedAt, Expr::value(super::now()))
        .filter(subtree(&old_path))
        .exec(&tx)
        .await?;
    organization::Entity::update_many()
        .col_expr(organization::Column::ParentId, Expr::value(parent.id))
        .filter(organization::Column::Id.eq(org.id))
        .exec(&tx)
        .await?;
    let moved = organization::Entity::find_by_id(org.id).one(&tx).await?.ok_or(AppError::NotFound)?;
    let after = OrganizationView::from_model(moved)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "move",
            crate::services::audit::entity_name(entity::organization::Entity),
            id,
            Some(id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes an empty organisation (no children, people, role grants or service clients).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid, expected_version: i32) -> AppResult<()> {
    let write = actor.require(Permission::OrgWrite)?;
    let tx = write_tx(db).await?;
    let org = find_writable(&tx, actor, id).await?;
    if is_own_scope_root(&write, &org.path) {
        return Err(AppError::forbidden("you cannot delete the root of the subtree you manage"));
    }
    check_version(org.version, expected_version)?;
    let children = organization::Entity::find().filter(organization::Column::ParentId.eq(id)).count(&tx).await?;
    let people = person::Entity::find().filter(person::Column::OrganizationId.eq(id)).count(&tx).await?;
    let grants =
        role_assignment::Entity::find().filter(role_assignment::Column::OrganizationId.eq(id)).count(&tx).await?;
    let clients =
        service_client::Entity::find().filter(service_client::Column::OrganizationId.eq(id)).count(&tx).await?;
    if children + people + grants + clients > 0 {
        return Err(AppError::Conflict(format!(
            "the organisation is not empty: {children} child organisations, {people} people, \
             {grants} role grants, {clients} service clients"
        )));
    }
    let before = OrganizationView::from_model(org)?;
    organization::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "delete",
            crate::services::audit::entity_name(entity::organization::Entity),
            id,
            Some(id),
            Some(&before),
            None,
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
