//! The changes feed in the GraphQL schema (`services::changes`).

use async_graphql::{Context, Object, Result};

use super::{actor, gql_error, state};
use crate::services::{
    self,
    changes::{ChangePage, ChangeType},
};

/// Read operations of the changes feed.
#[derive(Default)]
pub struct ChangesQuery;

#[Object]
impl ChangesQuery {
    /// The cursor of the latest change: take it before a full read of the data, then
    /// follow `changes(after:)` from it, missing nothing in between.
    async fn changes_cursor(&self, ctx: &Context<'_>) -> Result<String> {
        let s = state(ctx)?;
        actor(ctx)?;
        services::changes::current_cursor(&s.db).await.map_err(gql_error)
    }

    /// The changes feed: every change of the objects of `types` (default all) after the
    /// cursor `after` (default: from the beginning), in commit order, as you may see them
    /// now: `UPSERT` with the object, `TOMBSTONE` for a deleted one, `LEFT_SCOPE` for one
    /// you may no longer read. `first` counts records read (1–1000, default 100), so a
    /// page may hold fewer entries. A cursor from before a restore of the database is
    /// RESYNC_REQUIRED: export again.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<u64>,
        types: Option<Vec<ChangeType>>,
    ) -> Result<ChangePage> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::changes::page(&s.db, a, after.as_deref(), first, &types.unwrap_or_default()).await.map_err(gql_error)
    }
}
