//! Implementation measures (贯彻落实措施) in the GraphQL schema: the measures of study
//! sessions and supervision items, their progress updates and evidence. The objects and
//! inputs are `services::measures`' own; this module holds the roots and the relations.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::loaders::Loaders;
use super::types::{Conn, connection, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    attachments::AttachmentView,
    measures::{
        MeasureFilter, MeasurePatch, MeasureStatus, MeasureUpdateView, MeasureView, NewMeasure, NewMeasureUpdate,
        SourceKind,
    },
    organizations::OrganizationView,
    people::PersonView,
};

#[ComplexObject]
impl MeasureView {
    /// The organisation responsible.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, self.organization_id.0).await
    }
    /// The owner.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(self.owner_id.0)).await
    }
    /// Progress updates, oldest first.
    async fn updates(&self, ctx: &Context<'_>) -> Result<Vec<MeasureUpdateView>> {
        Ok(ctx.data::<Loaders>()?.measure_updates.load_one(self.id.0).await?.unwrap_or_default())
    }
}

#[ComplexObject]
impl MeasureUpdateView {
    /// The author.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.author_person_id).await
    }
    /// Evidence attached to the update, oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<AttachmentView>> {
        Ok(ctx.data::<Loaders>()?.measure_update_attachments.load_one(self.id.0).await?.unwrap_or_default())
    }
}

/// Read operations on measures.
#[derive(Default)]
pub struct MeasureQuery;

#[Object]
impl MeasureQuery {
    /// One measure; NOT_FOUND when missing or outside your scope.
    async fn measure(&self, ctx: &Context<'_>, id: ID) -> Result<MeasureView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::measures::get(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)
    }
    /// Measures in your scope (and your own), in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn measures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only measures in this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this owner.")] owner_id: Option<ID>,
        #[graphql(desc = "Only this status.")] status: Option<MeasureStatus>,
        #[graphql(desc = "Only overdue (true) or not overdue (false).")] overdue: Option<bool>,
        #[graphql(desc = "Only this kind of source.")] source_kind: Option<SourceKind>,
        #[graphql(desc = "Only this source.")] source_id: Option<ID>,
        #[graphql(desc = "Order by deadline (creation order when absent); a cursor belongs to its order.")]
        order_by: Option<services::measures::MeasureSort>,
    ) -> Result<Conn<MeasureView>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = MeasureFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            owner_id: owner_id.as_ref().map(parse_id).transpose()?,
            status,
            overdue,
            source_kind,
            source_id: source_id.as_ref().map(parse_id).transpose()?,
            sort: order_by,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::measures::list(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(measure_connection(p, after.is_some(), order_by))
    }
    /// Your own measures (for the mobile app).
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn my_measures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this status.")] status: Option<MeasureStatus>,
        #[graphql(desc = "Only overdue (true) or not overdue (false).")] overdue: Option<bool>,
        #[graphql(desc = "Order by deadline (creation order when absent); a cursor belongs to its order.")]
        order_by: Option<services::measures::MeasureSort>,
    ) -> Result<Conn<MeasureView>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = MeasureFilter { status, overdue, sort: order_by, ..Default::default() };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::measures::mine(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(measure_connection(p, after.is_some(), order_by))
    }
}

/// A page of measures as a connection, its cursors made for the order it is in.
fn measure_connection(
    p: crate::services::pagination::Page<MeasureView>,
    had_cursor: bool,
    order: Option<services::measures::MeasureSort>,
) -> Conn<MeasureView> {
    match order {
        Some(_) => crate::graphql::types::sorted_connection(p, had_cursor, services::measures::MeasureSort::key),
        None => connection(p, had_cursor, |m| m.id.0),
    }
}

/// Write operations on measures.
#[derive(Default)]
pub struct MeasureMutation;

#[Object]
impl MeasureMutation {
    /// Creates a measure in an organisation you manage.
    async fn create_measure(&self, ctx: &Context<'_>, input: NewMeasure) -> Result<MeasureView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::measures::create(&s.db, a, s.today, input).await.map_err(gql_error)
    }
    /// Changes a measure (administrators: any field; its owner: the status).
    async fn update_measure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: MeasurePatch,
    ) -> Result<MeasureView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::measures::update(&s.db, a, s.today, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }
    /// Deletes a measure (administrators in scope); returns its id.
    async fn delete_measure(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::measures::delete(&s.db, a, s.today, parse_id(&id)?, expected_version).await.map_err(gql_error)?;
        Ok(id)
    }
    /// Posts a progress update on a measure (owner or administrator).
    async fn add_measure_update(
        &self,
        ctx: &Context<'_>,
        measure_id: ID,
        input: NewMeasureUpdate,
    ) -> Result<MeasureUpdateView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::measures::add_update(&s.db, a, s.today, parse_id(&measure_id)?, input).await.map_err(gql_error)
    }
}
