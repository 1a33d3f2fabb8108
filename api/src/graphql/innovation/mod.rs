//! The innovation area of the GraphQL schema (科技创新年): the query and mutation roots
//! over `services::innovation` ("five small" achievements and their review, research
//! projects with milestones and R&D spending, honours, campaigns with indicators,
//! activities, vanguard units and the yearly statistics), and the relation fields of
//! its views. The object and input types are the services' own views and inputs;
//! people, organisations and attachments resolve through the request's DataLoaders,
//! nested lists come with each page (constant statements).

pub mod achievements;
pub mod campaigns;
pub mod honours;
pub mod projects;
pub mod statistics;
pub mod vanguard;

use async_graphql::{ComplexObject, Context, ID, Result};
use uuid::Uuid;

use super::loaders::Loaders;
use super::parse_id;
use super::types::load_person;
use crate::services::innovation::{PersonLink, campaigns::Participant};
use crate::services::people::PersonView;

/// An optional id argument of a root field (malformed: NOT_FOUND).
pub(super) fn opt_id(id: Option<ID>) -> Result<Option<Uuid>> {
    id.as_ref().map(parse_id).transpose()
}

/// People by id through the request's loader, in the order given (those outside your
/// scope are left out).
pub(super) async fn load_people(ctx: &Context<'_>, ids: impl Iterator<Item = Uuid>) -> Result<Vec<PersonView>> {
    let ids: Vec<Uuid> = ids.collect();
    let found = ctx.data::<Loaders>()?.people.load_many(ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

#[ComplexObject]
impl PersonLink {
    /// The person (null when outside your scope).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(*self.person_id)).await
    }
}

#[ComplexObject]
impl Participant {
    /// The person (null when outside your scope).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(*self.person_id)).await
    }
}

/// Read operations of the innovation area, one part per sub-area.
#[derive(async_graphql::MergedObject, Default)]
pub struct InnovationQuery(
    achievements::AchievementQuery,
    projects::ProjectQuery,
    honours::HonourQuery,
    campaigns::CampaignQuery,
    vanguard::VanguardQuery,
    statistics::StatisticsQuery,
);

/// Write operations of the innovation area, one part per sub-area.
#[derive(async_graphql::MergedObject, Default)]
pub struct InnovationMutation(
    achievements::AchievementMutation,
    projects::ProjectMutation,
    honours::HonourMutation,
    campaigns::CampaignMutation,
    vanguard::VanguardMutation,
);
