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

/// `SELECT id, name FROM E WHERE id IN (ids)`, as a map (nothing asked, no statement).
async fn names_of<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
    id: E::Column,
    name: E::Column,
) -> AppResult<HashMap<Uuid, String>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> =
        E::find().select_only().column(id).column(name).filter(id.is_in(ids)).into_tuple().all(db).await?;
    Ok(rows.into_iter().collect())
}
