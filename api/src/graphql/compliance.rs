//! Meeting compliance in the GraphQL schema: the norms (how many meetings of which kind
//! each kind of organisation must hold), the first-topic gaps and the required-versus-held
//! report. The objects and inputs are `services::compliance`' own.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::{actor, gql_error, parse_id, state};
use crate::services::{
    self,
    compliance::{FirstTopicGap, MeetingComplianceRow, NormInput, NormView},
};

/// Compliance of an organisation subtree in a period.
#[derive(SimpleObject)]
pub struct ComplianceReport {
    /// Committee sessions (party committee, central group, branch committee) held
    /// without the first topic, per organisation.
    pub first_topic_gaps: Vec<FirstTopicGap>,
    /// Required versus held meetings per organisation, period and kind.
    pub meetings: Vec<MeetingComplianceRow>,
}

/// Read operations on meeting compliance.
#[derive(Default)]
pub struct ComplianceQuery;

#[Object]
impl ComplianceQuery {
    /// Compliance of an organisation subtree on days `from..=to` (configured time zone).
    async fn compliance(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ComplianceReport> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let org = parse_id(&organization_id)?;
        let first_topic_gaps =
            services::compliance::first_topic_gaps(&s.db, a, s.time_zone, org, from, to).await.map_err(gql_error)?;
        let meetings = services::compliance::meetings(&s.db, a, s.time_zone, org, from, to).await.map_err(gql_error)?;
        Ok(ComplianceReport { first_topic_gaps, meetings })
    }
    /// The meeting norms in force.
    async fn meeting_norms(&self, ctx: &Context<'_>) -> Result<Vec<NormView>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::compliance::norms(&s.db, a).await.map_err(gql_error)
    }
}

/// Write operations on meeting norms.
#[derive(Default)]
pub struct ComplianceMutation;

#[Object]
impl ComplianceMutation {
    /// Creates or replaces meeting norms (administrators); returns every norm in force.
    async fn set_meeting_norms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Version of the set of norms in force: the sum of their `version`s (0 when there are none).")]
        expected_version: i32,
        norms: Vec<NormInput>,
    ) -> Result<Vec<NormView>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::compliance::set_norms(&s.db, a, expected_version, norms).await.map_err(gql_error)
    }
}
