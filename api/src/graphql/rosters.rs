//! Changing a planned session's roster over GraphQL: guests (列席) in, entries out.
//! Who is on a roster in the first place follows the session kind's rule
//! (`services::rosters`).

use async_graphql::{Context, ID, Object, Result};

use super::{actor, gql_error, parse_id, state};
use crate::services::study::{self as rosters, RosterEntryView};

/// Roster writes.
#[derive(Default)]
pub struct RosterMutation;

#[Object]
impl RosterMutation {
    /// Adds a guest (列席) to a planned session's roster (administrators over the
    /// session's organisation). CONFLICT when already on the roster or no longer planned.
    async fn add_session_guest(&self, ctx: &Context<'_>, session_id: ID, person_id: ID) -> Result<RosterEntryView> {
        let s = state(ctx)?;
        rosters::add_guest(&s.db, actor(ctx)?, parse_id(&session_id)?, parse_id(&person_id)?).await.map_err(gql_error)
    }

    /// Takes someone off a planned session's roster (a guest, or someone the rule put
    /// there); CONFLICT when their attendance is already recorded. Returns true.
    async fn remove_from_session_roster(&self, ctx: &Context<'_>, session_id: ID, person_id: ID) -> Result<bool> {
        let s = state(ctx)?;
        rosters::remove_entry(&s.db, actor(ctx)?, parse_id(&session_id)?, parse_id(&person_id)?)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }
}
