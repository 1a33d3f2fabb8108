//! Display names for list items: the names of the people and organisations a page of
//! items refers to, loaded in one statement per kind of name whatever the page size, so
//! that a phone can show "负责人 王建国" without a request per row.
//!
//! Only for items the caller has already been allowed to read: a name is shown because
//! the item it labels is readable, not because the person or organisation is.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::AppResult;
use entity::{organization, person};

/// The names of the people `ids` (one statement; unknown ids are left out).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn people<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    names_of::<_, person::Entity>(db, ids, person::Column::Id, person::Column::Name).await
}

/// The names of the organisations `ids` (one statement; unknown ids are left out).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn organizations<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    names_of::<_, organization::Entity>(db, ids, organization::Column::Id, organization::Column::Name).await
}

/// The names of the organisations `orgs` and of the people `people`, in one statement
/// (`UNION ALL`; nothing asked, no statement).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn organizations_and_people<C: ConnectionTrait>(
    db: &C,
    orgs: impl IntoIterator<Item = Uuid>,
    people: impl IntoIterator<Item = Uuid>,
) -> AppResult<(HashMap<Uuid, String>, HashMap<Uuid, String>)> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
    let orgs = super::bucketed(orgs);
    let people = super::bucketed(people);
    let part = |tag: i32, table: Alias, ids: Vec<Uuid>| -> SelectStatement {
        Query::select()
            .expr_as(Expr::val(tag), Alias::new("k"))
            .expr_as(Expr::col((table.clone(), Alias::new("id"))), Alias::new("id"))
            .expr_as(Expr::col((table.clone(), Alias::new("name"))), Alias::new("name"))
            .from(table.clone())
            .and_where(Expr::col((table, Alias::new("id"))).is_in(ids))
            .to_owned()
    };
    let mut parts = Vec::new();
    if !orgs.is_empty() {
        parts.push(part(0, Alias::new("organization"), orgs));
    }
    if !people.is_empty() {
        parts.push(part(1, Alias::new("person"), people));
    }
    let (mut o, mut p) = (HashMap::new(), HashMap::new());
    let mut parts = parts.into_iter();
    let Some(mut select) = parts.next() else { return Ok((o, p)) };
    for rest in parts {
        select.union(UnionType::All, rest);
    }
    for row in db.query_all(&select).await? {
        let k: i32 = entity::fast::cell(&row, "", "k")?;
        let id: Uuid = entity::fast::cell(&row, "", "id")?;
        let name: String = entity::fast::cell(&row, "", "name")?;
        if k == 0 {
            o.insert(id, name)
        } else {
            p.insert(id, name)
        };
    }
    Ok((o, p))
}

/// `SELECT id, name FROM E WHERE id IN (ids)`, as a map (nothing asked, no statement).
async fn names_of<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
    id: E::Column,
    name: E::Column,
) -> AppResult<HashMap<Uuid, String>> {
    let ids = super::bucketed(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> =
        E::find().select_only().column(id).column(name).filter(id.is_in(ids)).into_tuple().all(db).await?;
    Ok(rows.into_iter().collect())
}
