//! The supervision area of the GraphQL schema: inspections (巡察), supervision items
//! and their rectification workflow (整改), the views over items, the statistics
//! dashboard, and the hash-chained audit trail (query, history, verification).
//!
//! The object and input types are the services' own (`services::{supervision,
//! dashboard, audit}`); this module holds the query and mutation roots and the fields
//! that resolve relations through the request's DataLoaders.

use async_graphql::{
    ComplexObject, Context, ID, Object, Result,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use super::loaders::Loaders;
use super::types::{Conn, Totals, connection, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    attachments::AttachmentView,
    measures::MeasureView,
    organizations::OrganizationView,
    people::PersonView,
    supervision::{
        InspectionFilter, InspectionPatch, InspectionStatus, InspectionView, ItemAction, ItemCategory, ItemFilter,
        ItemPatch, ItemStatus, ItemUpdateView, ItemView, NewInspection, NewItem, NewItemUpdate, OrgItemStats, Severity,
    },
};

#[ComplexObject]
impl InspectionView {
    /// The inspected organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
    /// The lead inspector (null when none or outside your scope).
    async fn lead_inspector(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.lead_inspector_id.map(Uuid::from)).await
    }
}

#[ComplexObject]
impl ItemView {
    /// The organisation that must rectify it.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, *self.organization_id).await
    }
    /// The responsible person (null when outside your scope).
    async fn responsible_person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(*self.responsible_person_id)).await
    }
    /// The inspection that found it (null when none or outside your scope).
    async fn inspection(&self, ctx: &Context<'_>) -> Result<Option<InspectionView>> {
        let Some(id) = self.inspection_id else { return Ok(None) };
        ctx.data::<Loaders>()?.inspections.load_one(*id).await
    }
    /// Rectification measures (implementation measures whose source is this item) you may read.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<MeasureView>> {
        Ok(ctx.data::<Loaders>()?.item_measures.load_one(*self.id).await?.unwrap_or_default())
    }
    /// The trail: every comment, plan, piece of evidence and status change, oldest first.
    async fn updates(&self, ctx: &Context<'_>) -> Result<Vec<ItemUpdateView>> {
        Ok(ctx.data::<Loaders>()?.item_updates.load_one(*self.id).await?.unwrap_or_default())
    }
}

#[ComplexObject]
impl ItemUpdateView {
    /// The author (null when not a person or outside your scope).
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.author_person_id.map(Uuid::from)).await
    }
    /// Attached files (evidence), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<AttachmentView>> {
        Ok(ctx.data::<Loaders>()?.supervision_update_attachments.load_one(*self.id).await?.unwrap_or_default())
    }
}

/// Read operations of the supervision area.
#[derive(Default)]
pub struct SupervisionQuery;

#[Object]
impl SupervisionQuery {
    /// One inspection; NOT_FOUND when missing or outside your scope.
    async fn inspection(&self, ctx: &Context<'_>, id: ID) -> Result<InspectionView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::get_inspection(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Inspections in your scope, in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn inspections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only inspections in this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this status.")] status: Option<InspectionStatus>,
    ) -> Result<Conn<InspectionView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = InspectionFilter { organization_id: organization_id.as_ref().map(parse_id).transpose()?, status };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::supervision::list_inspections(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |i| *i.id))
    }

    /// One supervision item; NOT_FOUND when missing or outside your scope.
    async fn supervision_item(&self, ctx: &Context<'_>, id: ID) -> Result<ItemView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::get_item(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Supervision items in your scope (and those you are responsible for), filtered, in
    /// creation order or by deadline.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn supervision_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only items in this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only items of this inspection.")] inspection_id: Option<ID>,
        #[graphql(desc = "Only this status.")] status: Option<ItemStatus>,
        #[graphql(desc = "Only this severity.")] severity: Option<Severity>,
        #[graphql(desc = "Only this category.")] category: Option<ItemCategory>,
        #[graphql(desc = "Only overdue (true) or not overdue (false).")] overdue: Option<bool>,
        #[graphql(desc = "Only items this person is responsible for.")] responsible_person_id: Option<ID>,
        #[graphql(desc = "Order by deadline (creation order when absent); a cursor belongs to its order.")]
        order_by: Option<services::supervision::ItemSort>,
    ) -> Result<Conn<ItemView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = ItemFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            inspection_id: inspection_id.as_ref().map(parse_id).transpose()?,
            status,
            severity,
            category,
            overdue,
            responsible_person_id: responsible_person_id.as_ref().map(parse_id).transpose()?,
            sort: order_by,
            bare: true,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::supervision::list_items(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(match order_by {
            Some(_) => {
                crate::graphql::types::sorted_connection(p, after.is_some(), services::supervision::ItemSort::key)
            }
            None => connection(p, after.is_some(), |i| *i.id),
        })
    }

    /// The escalation list: unverified items that are overdue or of high severity,
    /// overdue first, then by severity (high first), then by due date.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn supervision_escalation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only items in this organisation's subtree.")] organization_id: Option<ID>,
    ) -> Result<Conn<ItemView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let org = organization_id.as_ref().map(parse_id).transpose()?;
        let p = services::supervision::escalation(
            &s.db,
            a,
            s.today,
            org,
            first.map(i64::from),
            after.as_deref(),
            ("first", "after"),
        )
        .await
        .map_err(gql_error)?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            p.next_cursor.is_some(),
            Totals { total_count: p.total },
        );
        conn.edges
            .extend(p.items.into_iter().map(|item| Edge::new(services::supervision::escalation_cursor(&item), item)));
        Ok(conn)
    }

    /// Per organisation of a subtree: open, overdue, closed on time and closed late items.
    async fn supervision_stats(&self, ctx: &Context<'_>, organization_id: ID) -> Result<Vec<OrgItemStats>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::stats_by_org(&s.db, a, s.today, parse_id(&organization_id)?).await.map_err(gql_error)
    }
}

/// Write operations of the supervision area.
#[derive(Default)]
pub struct SupervisionMutation;

#[Object]
impl SupervisionMutation {
    /// Creates an inspection of an organisation you supervise.
    async fn create_inspection(&self, ctx: &Context<'_>, input: NewInspection) -> Result<InspectionView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::create_inspection(&s.db, a, input).await.map_err(gql_error)
    }

    /// Changes an inspection (inspectors in scope, administrators).
    async fn update_inspection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: InspectionPatch,
    ) -> Result<InspectionView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::update_inspection(&s.db, a, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Opens a supervision item (inspectors in scope, administrators).
    async fn open_supervision_item(&self, ctx: &Context<'_>, input: NewItem) -> Result<ItemView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::open_item(&s.db, a, s.today, input).await.map_err(gql_error)
    }

    /// Changes a supervision item's facts (inspectors in scope, administrators).
    async fn update_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ItemPatch,
    ) -> Result<ItemView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::update_item(&s.db, a, s.today, parse_id(&id)?, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Writes the rectification plan (the responsible organisation or person); an open
    /// item becomes RECTIFYING.
    async fn set_rectification_plan(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        plan: String,
    ) -> Result<ItemView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::set_plan(&s.db, a, s.today, parse_id(&id)?, expected_version, plan)
            .await
            .map_err(gql_error)
    }

    /// Submits the rectification for verification (the responsible side).
    async fn submit_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        note: Option<String>,
    ) -> Result<ItemView> {
        step(ctx, id, expected_version, ItemAction::Submit, note).await
    }

    /// Rejects a submission with a reason (inspectors): back to RECTIFYING.
    async fn reject_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(desc = "Why the rectification is not accepted (required).")] reason: Option<String>,
    ) -> Result<ItemView> {
        step(ctx, id, expected_version, ItemAction::Reject, reason).await
    }

    /// Verifies and closes the item (销号; inspectors).
    async fn verify_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        note: Option<String>,
    ) -> Result<ItemView> {
        step(ctx, id, expected_version, ItemAction::Verify, note).await
    }

    /// Posts a comment (inspectors, the responsible side) or evidence (the responsible
    /// side, while rectifying).
    async fn add_supervision_item_update(
        &self,
        ctx: &Context<'_>,
        item_id: ID,
        input: NewItemUpdate,
    ) -> Result<ItemUpdateView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::supervision::add_update(&s.db, a, s.today, parse_id(&item_id)?, input).await.map_err(gql_error)
    }
}

/// Takes a workflow step on a supervision item.
async fn step(
    ctx: &Context<'_>,
    id: ID,
    expected_version: i32,
    action: ItemAction,
    text: Option<String>,
) -> Result<ItemView> {
    let (s, a) = (state(ctx)?, actor(ctx)?);
    services::supervision::transition(&s.db, a, s.today, parse_id(&id)?, expected_version, action, text)
        .await
        .map_err(gql_error)
}
