//! Turning an actor's [`Scope`] into SQL conditions on the materialised path.
//!
//! A subtree rooted at path `/a/b/` is the range `[ "/a/b/", "/a/b0" )`: `/` is
//! followed by `0` in byte order, so one index range scan finds it on both
//! databases (the column is byte-ordered on PostgreSQL).

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};
use uuid::Uuid;

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
    organization::Entity::find_by_id(id).filter(orgs_in(scope)).one(db).await?.ok_or(AppError::NotFound)
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

/// A condition that is always false.
pub fn never() -> SimpleExpr {
    Expr::val(1).eq(0)
}

/// The ids along a materialised path, root first.
pub fn path_ids(path: &str) -> Vec<Uuid> {
    path.split('/').filter(|s| !s.is_empty()).filter_map(|s| Uuid::parse_str(s).ok()).collect()
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
