//! The yearly innovation statistics in the GraphQL schema.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::super::{actor, gql_error, parse_id, state};
use super::load_people;
use crate::services::innovation::statistics::{self, InnovationStatistics};
use crate::services::people::PersonView;

#[ComplexObject]
impl InnovationStatistics {
    /// The people who won awards (those in your scope).
    async fn award_winners(&self, ctx: &Context<'_>) -> Result<Vec<PersonView>> {
        load_people(ctx, self.award_winner_ids.iter().map(|id| id.0)).await
    }
}

/// Read operations on statistics.
#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// The innovation statistics of an organisation subtree for a year; NOT_FOUND when
    /// the organisation is outside your scope.
    async fn innovation_statistics(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        year: i32,
    ) -> Result<InnovationStatistics> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        statistics::statistics(&s.db, a, s.today, parse_id(&organization_id)?, year).await.map_err(gql_error)
    }
}
