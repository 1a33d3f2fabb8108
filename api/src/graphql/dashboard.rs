//! The statistics dashboard in the GraphQL schema: one organisation subtree's study,
//! measures, supervision and innovation figures (`services::dashboard`).

use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;

use super::{actor, gql_error, parse_id, state};
use crate::services::{self, dashboard::Dashboard};

/// Read operations of the dashboard.
#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// The statistics dashboard of an organisation subtree on days `from..=to`
    /// (configured time zone).
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dashboard> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::dashboard::dashboard(&s.db, a, s.time_zone, s.today, parse_id(&organization_id)?, from, to)
            .await
            .map_err(gql_error)
    }
}
