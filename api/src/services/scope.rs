//! Turning an actor's scopes into SQL conditions on the materialised path.
//!
//! Two scopes, named in the domain:
//! - **management scope**: the subtrees an actor's role grants administer or inspect
//!   ([`Actor::scope`]); every write, and reads of people's records, use it;
//! - **participation scope**: what a person takes part in, whatever their grants: their
//!   own organisation, its ancestors up to and including the enclosing branch, and what
//!   any ancestor addresses to its whole subtree (a branch general meeting reaches the
//!   branch's party groups, a committee-wide campaign or document everyone below). It is
//!   rooted at [`Actor::home`], the organisation the caller's person belongs to *now*,
//!   so it follows a transfer at once. Reads of sessions, campaigns, activities and
//!   documents add it to the management scope; writes never do.
//!
//! A subtree rooted at path `/a/b/` is the range `[ "/a/b/", "/a/b0" )`: `/` is
//! followed by `0` in byte order, so one index range scan finds it on both
//! databases (the column is byte-ordered on PostgreSQL).

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};
use uuid::Uuid;

use super::types::OrgKind;
use crate::auth::{Actor, Permission, Scope};
use crate::error::{AppError, AppResult};
use entity::organization;

/// Loads an organisation visible under `scope`, or NOT_FOUND (the same answer as a
/// missing id).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> AppResult<organization::Model> {
    super::one_fast(organization::Entity::find_by_id(id).filter(orgs_in(scope)), db).await?.ok_or(AppError::NotFound)
}

/// Loads an organisation the actor may change data of (`perm` over it):
/// NOT_FOUND when not readable, FORBIDDEN when readable but not in the `perm` scope.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn org_for_write<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    org_id: Uuid,
    perm: Permission,
) -> AppResult<organization::Model> {
    let scope = actor.require(perm)?;
    let org = find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
    if !scope.contains_path(&org.path) {
        return Err(AppError::forbidden("this organisation is outside the subtree you manage"));
    }
    Ok(org)
}

/// The exclusive upper bound of the subtree whose root has `path`.
pub fn subtree_upper_bound(path: &str) -> String {
    let mut upper = path.trim_end_matches('/').to_owned();
    upper.push('0');
    upper
}

/// Organisations inside the subtree rooted at `path` (root included).
pub fn subtree(path: &str) -> Condition {
    Condition::all()
        .add(organization::Column::Path.gte(path))
        .add(organization::Column::Path.lt(subtree_upper_bound(path)))
}

/// Organisations the scope covers.
pub fn orgs_in(scope: &Scope) -> Condition {
    match scope {
        Scope::Global => Condition::all(),
        Scope::None => Condition::all().add(Expr::val(1).eq(0)),
        Scope::Subtrees(roots) => roots.iter().fold(Condition::any(), |c, r| c.add(subtree(r))),
    }
}

/// `column IN (ids of organisations the scope covers)`, for tables that refer to an organisation.
pub fn org_ref_in(column: impl ColumnTrait, scope: &Scope) -> Condition {
    match scope {
        Scope::Global => Condition::all(),
        Scope::None => Condition::all().add(Expr::val(1).eq(0)),
        Scope::Subtrees(_) => Condition::all().add(column.in_subquery(org_ids_query(orgs_in(scope)))),
    }
}

/// `SELECT id FROM organization WHERE cond`, as a sub-query.
pub fn org_ids_query(cond: Condition) -> sea_orm::sea_query::SelectStatement {
    organization::Entity::find().select_only().column(organization::Column::Id).filter(cond).into_query()
}

/// `column IN (the organisations of the subtree rooted at `org_id`)`, as one sub-query
/// of the statement it is added to, and only if the root satisfies `visible` (a
/// condition on `organization`): a list filtered by a subtree costs no statement of
/// its own to find the root.
pub fn in_subtree_of(column: impl ColumnTrait, org_id: Uuid, visible: Condition) -> Condition {
    use sea_orm::sea_query::{Alias, JoinType, Query};
    let d = Alias::new("dj_sub");
    let root_path = Expr::col((organization::Entity, organization::Column::Path));
    let upper = Expr::cust(r#"substr("organization"."path", 1, length("organization"."path") - 1) || '0'"#);
    let ids = Query::select()
        .column((d.clone(), organization::Column::Id))
        .from(organization::Entity)
        .join_as(
            JoinType::InnerJoin,
            organization::Entity,
            d.clone(),
            Condition::all()
                .add(Expr::col((d.clone(), organization::Column::Path)).gte(root_path))
                .add(Expr::col((d.clone(), organization::Column::Path)).lt(upper)),
        )
        .and_where(Expr::col((organization::Entity, organization::Column::Id)).eq(org_id))
        .cond_where(visible)
        .to_owned();
    Condition::all().add(column.in_subquery(ids))
}

/// A condition that is always false.
pub fn never() -> SimpleExpr {
    Expr::val(1).eq(0)
}

/// The ids along a materialised path, root first.
pub fn path_ids(path: &str) -> Vec<Uuid> {
    path.split('/').filter(|s| !s.is_empty()).filter_map(|s| Uuid::parse_str(s).ok()).collect()
}

/// The organisations of the caller's participation scope that address their whole
/// subtree: the caller's own organisation and every ancestor (root first). Empty for a
/// caller who is not a person.
pub fn participation_ancestors(actor: &Actor) -> Vec<Uuid> {
    actor.home.as_deref().map(path_ids).unwrap_or_default()
}

/// `column IN (the caller's own organisation and its ancestors)`, or `None` for a caller
/// who is not a person: objects an ancestor addresses to its whole subtree.
pub fn addressed_to_caller(column: impl ColumnTrait, actor: &Actor) -> Option<Condition> {
    let ids = participation_ancestors(actor);
    (!ids.is_empty()).then(|| Condition::all().add(column.is_in(ids)))
}

/// Organisations readable under `scope` or inside the caller's participation scope
/// (their own organisation and its ancestors up to and including the enclosing branch).
pub fn orgs_participating(actor: &Actor, scope: &Scope) -> Condition {
    let mut cond = Condition::any().add(orgs_in(scope));
    if let Some(own) = addressed_to_caller(organization::Column::Id, actor) {
        let kinds = [OrgKind::Branch.as_str(), OrgKind::Group.as_str()];
        cond = cond.add(own.add(organization::Column::Kind.is_in(kinds)));
    }
    cond
}

/// Loads an organisation readable under `scope` or inside the caller's participation
/// scope ([`orgs_participating`]), or NOT_FOUND. For filters such as "sessions of my
/// branch" asked by a member of a party group: the rows themselves are still filtered
/// by their own readability.
pub(crate) async fn find_participating<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    scope: &Scope,
    id: Uuid,
) -> AppResult<organization::Model> {
    organization::Entity::find_by_id(id)
        .filter(orgs_participating(actor, scope))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_excludes_siblings_with_longer_ids() {
        let root = "/0192f0a0-0000-7000-8000-000000000001/";
        let upper = subtree_upper_bound(root);
        let child = format!("{root}0192f0a0-0000-7000-8000-000000000002/");
        assert!(child.as_str() >= root && child.as_str() < upper.as_str());
        let sibling = "/0192f0a0-0000-7000-8000-0000000000010/";
        assert!(!(sibling >= root && sibling < upper.as_str()) || sibling.starts_with(root));
        assert_eq!(path_ids(&child).len(), 2);
    }
}
