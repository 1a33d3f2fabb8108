//! The supervision area of the GraphQL schema: inspections (巡察), supervision items
//! and their rectification workflow (整改), the views over items, the statistics
//! dashboard, and the hash-chained audit trail (query, history, verification). Thin
//! wrappers over `services::{supervision, dashboard, audit}`; relations resolve through
//! the request's DataLoaders.

use async_graphql::{
    Context, ID, InputObject, Json, Object, Result, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::documents::Attachment;
use super::loaders::Loaders;
use super::study::Measure;
use super::types::{Conn, Organization, Person, Totals, connection, gid, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    audit::{AuditEventView, AuditFilter, AuditPageRequest, ChainAnchor, ChainReport, HistoryEntry},
    dashboard::Dashboard,
    pagination::encode_key_cursor,
    supervision::{
        InspectionFilter, InspectionPatch, InspectionView, ItemAction, ItemCounts, ItemFilter, ItemPatch,
        ItemUpdateView, ItemView, NewInspection, NewItem, NewItemUpdate, OrgItemStats,
    },
};

pub use crate::services::supervision::InspectionStatus;

pub use crate::services::supervision::ItemCategory as SupervisionCategory;

pub use crate::services::supervision::Severity as SupervisionSeverity;

pub use crate::services::supervision::ItemStatus as SupervisionItemStatus;

pub use crate::services::supervision::UpdateKind as SupervisionUpdateKind;

pub use crate::services::audit::BreakReason as AuditBreakReason;

/// An inspection round (巡察) over an organisation subtree.
pub struct Inspection(pub InspectionView);

#[Object]
impl Inspection {
    /// Id (UUID v7).
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Focus (e.g. carrying out technology-innovation responsibility).
    async fn focus(&self) -> &str {
        &self.0.focus
    }
    /// First day.
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// Last day.
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
    /// Status.
    async fn status(&self) -> InspectionStatus {
        self.0.status
    }
    /// Optimistic-concurrency version: pass it as `expectedVersion` when changing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Created at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// The inspected organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, self.0.organization_id).await
    }
    /// Lead inspector id.
    async fn lead_inspector_id(&self) -> Option<ID> {
        self.0.lead_inspector_id.map(gid)
    }
    /// The lead inspector (null when none or outside your scope).
    async fn lead_inspector(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.lead_inspector_id).await
    }
}

/// A supervision item (巡察发现问题) and its rectification (整改).
pub struct SupervisionItem(pub ItemView);

#[Object]
impl SupervisionItem {
    /// Id (UUID v7).
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// The problem, in a line.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The problem in detail.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Category.
    async fn category(&self) -> SupervisionCategory {
        self.0.category
    }
    /// Severity.
    async fn severity(&self) -> SupervisionSeverity {
        self.0.severity
    }
    /// Rectification plan (整改方案).
    async fn rectification_plan(&self) -> Option<&str> {
        self.0.rectification_plan.as_deref()
    }
    /// Rectification deadline.
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }
    /// Status.
    async fn status(&self) -> SupervisionItemStatus {
        self.0.status
    }
    /// Day it was opened.
    async fn opened_on(&self) -> NaiveDate {
        self.0.opened_on
    }
    /// Day it was verified (closed).
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.0.closed_on
    }
    /// Past due (before today in the configured time zone) and not verified.
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
    /// Created at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed at (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Optimistic-concurrency version: pass it as `expectedVersion` when changing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// The organisation that must rectify it.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, self.0.organization_id).await
    }
    /// Responsible person id.
    async fn responsible_person_id(&self) -> ID {
        gid(self.0.responsible_person_id)
    }
    /// The responsible person (null when outside your scope).
    async fn responsible_person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.responsible_person_id)).await
    }
    /// Inspection id.
    async fn inspection_id(&self) -> Option<ID> {
        self.0.inspection_id.map(gid)
    }
    /// The inspection that found it (null when none or outside your scope).
    async fn inspection(&self, ctx: &Context<'_>) -> Result<Option<Inspection>> {
        let Some(id) = self.0.inspection_id else { return Ok(None) };
        Ok(ctx.data::<Loaders>()?.inspections.load_one(id).await?.map(Inspection))
    }
    /// Rectification measures (implementation measures whose source is this item) you may read.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<Measure>> {
        let rows = ctx.data::<Loaders>()?.item_measures.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Measure).collect())
    }
    /// The trail: every comment, plan, piece of evidence and status change, oldest first.
    async fn updates(&self, ctx: &Context<'_>) -> Result<Vec<SupervisionItemUpdate>> {
        let rows = ctx.data::<Loaders>()?.item_updates.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(SupervisionItemUpdate).collect())
    }
}

/// A step in the trail of a supervision item.
pub struct SupervisionItemUpdate(pub ItemUpdateView);

#[Object]
impl SupervisionItemUpdate {
    /// Id.
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// The item (id).
    async fn item_id(&self) -> ID {
        gid(self.0.item_id)
    }
    /// Kind.
    async fn kind(&self) -> SupervisionUpdateKind {
        self.0.kind
    }
    /// Text (comment, plan, evidence, or the reason of a status change).
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Status before, for a status change.
    async fn status_from(&self) -> Option<SupervisionItemStatus> {
        self.0.status_from
    }
    /// Status after, for a status change.
    async fn status_to(&self) -> Option<SupervisionItemStatus> {
        self.0.status_to
    }
    /// Author id (person).
    async fn author_person_id(&self) -> Option<ID> {
        self.0.author_person_id.map(gid)
    }
    /// Author's account id.
    async fn author_user_id(&self) -> Option<ID> {
        self.0.author_user_id.map(gid)
    }
    /// The author (null when not a person or outside your scope).
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.author_person_id).await
    }
    /// Written at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Attached files (evidence), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        let rows = ctx.data::<Loaders>()?.supervision_update_attachments.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Attachment).collect())
    }
}

/// Supervision item figures.
#[derive(SimpleObject)]
pub struct SupervisionCounts {
    /// Every item.
    pub total: i64,
    /// Not yet verified.
    pub open: i64,
    /// Of those, past due.
    pub overdue: i64,
    /// Verified on or before the due date.
    pub closed_on_time: i64,
    /// Verified after the due date.
    pub closed_late: i64,
    /// Status OPEN.
    pub status_open: i64,
    /// Status RECTIFYING.
    pub status_rectifying: i64,
    /// Status SUBMITTED.
    pub status_submitted: i64,
    /// Status VERIFIED.
    pub status_verified: i64,
}

impl From<ItemCounts> for SupervisionCounts {
    fn from(c: ItemCounts) -> Self {
        SupervisionCounts {
            total: c.total,
            open: c.open,
            overdue: c.overdue,
            closed_on_time: c.closed_on_time,
            closed_late: c.closed_late,
            status_open: c.status_open,
            status_rectifying: c.status_rectifying,
            status_submitted: c.status_submitted,
            status_verified: c.status_verified,
        }
    }
}

/// Supervision item figures of one organisation.
pub struct OrgSupervisionStats(pub OrgItemStats);

#[Object]
impl OrgSupervisionStats {
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// Organisation name.
    async fn organization_name(&self) -> &str {
        &self.0.organization_name
    }
    /// The figures.
    async fn counts(&self) -> SupervisionCounts {
        self.0.counts.clone().into()
    }
}

/// First-topic study figures of the dashboard.
#[derive(SimpleObject)]
pub struct DashboardStudy {
    /// Study sessions held (any kind).
    pub sessions_held: i64,
    /// Of those, with the first topic (第一议题).
    pub first_topic_sessions_held: i64,
    /// People on the rosters of the first-topic sessions held.
    pub roster: i64,
    /// Present or late.
    pub attended: i64,
    /// On leave (excused).
    pub on_leave: i64,
    /// attended / (roster − onLeave); null when nobody was expected.
    pub attendance_rate: Option<f64>,
}

/// Measure figures of the dashboard: measures due in the period.
#[derive(SimpleObject)]
pub struct DashboardMeasures {
    /// Measures due on a day of the period.
    pub due: i64,
    /// Done.
    pub done: i64,
    /// Done on or before the due date.
    pub done_on_time: i64,
    /// Done after the due date.
    pub done_late: i64,
    /// Open and past due today.
    pub overdue: i64,
    /// Open, not yet due.
    pub open_not_due: i64,
    /// Cancelled.
    pub cancelled: i64,
}

/// The statistics dashboard of an organisation subtree and period.
pub struct DashboardNode(pub Dashboard);

#[Object(name = "Dashboard")]
impl DashboardNode {
    /// The subtree root.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// Its name.
    async fn organization_name(&self) -> &str {
        &self.0.organization_name
    }
    /// First day.
    async fn from(&self) -> NaiveDate {
        self.0.from
    }
    /// Last day (inclusive).
    async fn to(&self) -> NaiveDate {
        self.0.to
    }
    /// The day "overdue" is judged on.
    async fn today(&self) -> NaiveDate {
        self.0.today
    }
    /// First-topic study: sessions held on a day of the period, and attendance.
    async fn study(&self) -> DashboardStudy {
        let s = &self.0.study;
        DashboardStudy {
            sessions_held: s.sessions_held,
            first_topic_sessions_held: s.first_topic_sessions_held,
            roster: s.roster,
            attended: s.attended,
            on_leave: s.on_leave,
            attendance_rate: s.attendance_rate,
        }
    }
    /// Implementation measures due on a day of the period.
    async fn measures(&self) -> DashboardMeasures {
        let m = &self.0.measures;
        DashboardMeasures {
            due: m.due,
            done: m.done,
            done_on_time: m.done_on_time,
            done_late: m.done_late,
            overdue: m.overdue,
            open_not_due: m.open_not_due,
            cancelled: m.cancelled,
        }
    }
    /// Supervision items opened on a day of the period.
    async fn supervision(&self) -> SupervisionCounts {
        self.0.supervision.clone().into()
    }
    /// Technology Innovation Year figures of the calendar year in which the period ends.
    async fn innovation(&self) -> super::innovation::InnovationStatistics {
        self.0.innovation.clone().into()
    }
}

/// One audit record.
pub struct AuditEvent(pub AuditEventView);

#[Object]
impl AuditEvent {
    /// Id (ascending in insertion order).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Position in the hash chain.
    async fn sequence(&self) -> Option<i64> {
        self.0.sequence
    }
    /// `user`, `client` or `system`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// The account or service client that acted.
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(gid)
    }
    /// The account's username or the client's name.
    async fn actor_name(&self) -> Option<&str> {
        self.0.actor_name.as_deref()
    }
    /// Verb, e.g. create, update, verify.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// Entity name, e.g. supervision_item.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The object's id.
    async fn entity_id(&self) -> ID {
        gid(self.0.entity_id)
    }
    /// The organisation the object belongs to.
    async fn organization_id(&self) -> Option<ID> {
        self.0.organization_id.map(gid)
    }
    /// The object before (null on create).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    /// The object after (null on delete).
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
    /// The request that made the change.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// When (UTC).
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The record's chain hash.
    async fn hash(&self) -> Option<&str> {
        self.0.hash.as_deref()
    }
    /// The peer address the change came from.
    async fn source_address(&self) -> Option<&str> {
        self.0.source_address.as_deref()
    }
    /// The caller's user agent.
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    /// The roles the caller acted in (comma-separated), or `system`.
    async fn acting_role(&self) -> Option<&str> {
        self.0.acting_role.as_deref()
    }
}

/// One top-level field that changed.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// Its value before.
    pub before: Option<Json<serde_json::Value>>,
    /// Its value after.
    pub after: Option<Json<serde_json::Value>>,
}

/// One version of a record.
pub struct HistoryVersion(pub HistoryEntry);

#[Object]
impl HistoryVersion {
    /// The audit record (who, when, before and after).
    async fn event(&self) -> AuditEvent {
        AuditEvent(self.0.event.clone())
    }
    /// Fields that differ between before and after, in name order.
    async fn changes(&self) -> Vec<FieldChange> {
        self.0
            .changes
            .iter()
            .map(|c| FieldChange {
                field: c.field.clone(),
                before: c.before.clone().map(Json),
                after: c.after.clone().map(Json),
            })
            .collect()
    }
}

/// The first broken link of the audit chain.
#[derive(SimpleObject)]
pub struct AuditBrokenLink {
    /// Sequence number of the broken link (for a missing record: the missing number).
    pub sequence: Option<i64>,
    /// Id of the offending audit record, when it exists.
    pub audit_id: Option<ID>,
    /// Why it is broken.
    pub reason: AuditBreakReason,
    /// A sentence for people.
    pub detail: String,
}

/// The result of verifying the audit chain.
#[derive(SimpleObject)]
pub struct AuditChainReport {
    /// Whether the whole chain verified.
    pub ok: bool,
    /// Records checked.
    pub records_checked: i64,
    /// The head's sequence number.
    pub head_sequence: i64,
    /// The head's hash (keep it with headSequence outside the database as an anchor).
    pub head_hash: String,
    /// The first broken link, if any.
    pub first_broken: Option<AuditBrokenLink>,
}

impl From<ChainReport> for AuditChainReport {
    fn from(r: ChainReport) -> Self {
        AuditChainReport {
            ok: r.ok,
            records_checked: r.records_checked,
            head_sequence: r.head_sequence,
            head_hash: r.head_hash,
            first_broken: r.first_broken.map(|b| AuditBrokenLink {
                sequence: b.sequence,
                audit_id: b.audit_id.map(|i| ID(i.to_string())),
                reason: b.reason,
                detail: b.detail,
            }),
        }
    }
}

/// Read operations of the supervision area.
#[derive(Default)]
pub struct SupervisionQuery;

#[Object]
impl SupervisionQuery {
    /// One inspection; NOT_FOUND when missing or outside your scope.
    async fn inspection(&self, ctx: &Context<'_>, id: ID) -> Result<Inspection> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        Ok(Inspection(services::supervision::get_inspection(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?))
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
    ) -> Result<Conn<Inspection>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = InspectionFilter { organization_id: organization_id.as_ref().map(parse_id).transpose()?, status };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::supervision::list_inspections(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |i| i.id, Inspection))
    }

    /// One supervision item; NOT_FOUND when missing or outside your scope.
    async fn supervision_item(&self, ctx: &Context<'_>, id: ID) -> Result<SupervisionItem> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = services::supervision::get_item(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)?;
        Ok(SupervisionItem(v))
    }

    /// Supervision items in your scope (and those you are responsible for), filtered, in
    /// creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn supervision_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only items in this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only items of this inspection.")] inspection_id: Option<ID>,
        #[graphql(desc = "Only this status.")] status: Option<SupervisionItemStatus>,
        #[graphql(desc = "Only this severity.")] severity: Option<SupervisionSeverity>,
        #[graphql(desc = "Only this category.")] category: Option<SupervisionCategory>,
        #[graphql(desc = "Only overdue (true) or not overdue (false).")] overdue: Option<bool>,
        #[graphql(desc = "Only items this person is responsible for.")] responsible_person_id: Option<ID>,
    ) -> Result<Conn<SupervisionItem>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let filter = ItemFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            inspection_id: inspection_id.as_ref().map(parse_id).transpose()?,
            status,
            severity,
            category,
            overdue,
            responsible_person_id: responsible_person_id.as_ref().map(parse_id).transpose()?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::supervision::list_items(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |i| i.id, SupervisionItem))
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
    ) -> Result<Connection<String, SupervisionItem, Totals>> {
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
        conn.edges.extend(
            p.items
                .into_iter()
                .map(|item| Edge::new(services::supervision::escalation_cursor(&item), SupervisionItem(item))),
        );
        Ok(conn)
    }

    /// Per organisation of a subtree: open, overdue, closed on time and closed late items.
    async fn supervision_stats(&self, ctx: &Context<'_>, organization_id: ID) -> Result<Vec<OrgSupervisionStats>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let rows = services::supervision::stats_by_org(&s.db, a, s.today, parse_id(&organization_id)?)
            .await
            .map_err(gql_error)?;
        Ok(rows.into_iter().map(OrgSupervisionStats).collect())
    }

    /// The statistics dashboard of an organisation subtree on days `from..=to`
    /// (configured time zone).
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DashboardNode> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let d = services::dashboard::dashboard(&s.db, a, s.time_zone, s.today, parse_id(&organization_id)?, from, to)
            .await
            .map_err(gql_error)?;
        Ok(DashboardNode(d))
    }

    /// Audit records, newest first (administrators: all; inspectors: their scope).
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this entity name (e.g. supervision_item).")] entity: Option<String>,
        #[graphql(desc = "Only this object.")] entity_id: Option<ID>,
        #[graphql(desc = "Only this actor (account or client id).")] actor_id: Option<ID>,
        #[graphql(desc = "Only objects of this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this action.")] action: Option<String>,
        #[graphql(desc = "At or after this instant.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Before this instant.")] to: Option<DateTime<Utc>>,
    ) -> Result<Connection<String, AuditEvent, Totals>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let mut req =
            AuditPageRequest::parse(first.map(i64::from), after.as_deref(), "first", "after").map_err(gql_error)?;
        req.with_total = wants_total(ctx);
        let filter = AuditFilter {
            entity,
            entity_id: entity_id.as_ref().map(parse_id).transpose()?,
            actor_id: actor_id.as_ref().map(parse_id).transpose()?,
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            action,
            from,
            to,
        };
        let p = services::audit::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            p.next_cursor.is_some(),
            Totals { total_count: p.total.unwrap_or(0) },
        );
        conn.edges.extend(p.items.into_iter().map(|e| Edge::new(encode_key_cursor(e.id), AuditEvent(e))));
        Ok(conn)
    }

    /// One audit record; NOT_FOUND when missing or outside your scope.
    async fn audit_event(&self, ctx: &Context<'_>, id: ID) -> Result<AuditEvent> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let id: i64 = id.parse().map_err(|_| gql_error(crate::error::AppError::NotFound))?;
        Ok(AuditEvent(services::audit::get(&s.db, a, id).await.map_err(gql_error)?))
    }

    /// Every version of one record, oldest first, with who changed which fields.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Entity name, e.g. supervision_item.")] entity: String,
        id: ID,
    ) -> Result<Vec<HistoryVersion>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let rows = services::audit::history(&s.db, a, &entity, parse_id(&id)?).await.map_err(gql_error)?;
        Ok(rows.into_iter().map(HistoryVersion).collect())
    }

    /// Verifies the audit hash chain (administrators) and reports the first broken link.
    /// With an anchor (headSequence and headHash of an earlier report, kept outside the
    /// database) it also catches a rewrite of the whole chain.
    async fn verify_audit_chain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "headSequence of an earlier report.")] anchor_sequence: Option<i64>,
        #[graphql(desc = "headHash of that report.")] anchor_hash: Option<String>,
    ) -> Result<AuditChainReport> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let anchor = match (anchor_sequence, anchor_hash) {
            (Some(sequence), Some(hash)) => Some(ChainAnchor { sequence, hash }),
            (None, None) => None,
            _ => {
                let e = crate::error::AppError::invalid("anchor_hash", "give anchorSequence and anchorHash together");
                return Err(gql_error(e));
            }
        };
        Ok(services::audit::verify_chain(&s.db, a, anchor.as_ref()).await.map_err(gql_error)?.into())
    }
}

/// A new inspection.
#[derive(InputObject)]
pub struct CreateInspectionInput {
    /// The inspected organisation.
    pub organization_id: ID,
    /// Title.
    pub title: String,
    /// Focus.
    pub focus: String,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<ID>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
}

/// Changes to an inspection.
#[derive(InputObject)]
pub struct UpdateInspectionInput {
    /// Title.
    pub title: Option<String>,
    /// Focus.
    pub focus: Option<String>,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<ID>,
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Status.
    pub status: Option<InspectionStatus>,
}

/// A new supervision item.
#[derive(InputObject)]
pub struct OpenSupervisionItemInput {
    /// The inspection that found it.
    pub inspection_id: Option<ID>,
    /// The organisation that must rectify it.
    pub organization_id: ID,
    /// The problem, in a line.
    pub title: String,
    /// The problem in detail.
    pub description: Option<String>,
    /// Category.
    pub category: SupervisionCategory,
    /// Severity.
    pub severity: SupervisionSeverity,
    /// Responsible person (person id).
    pub responsible_person_id: ID,
    /// Rectification deadline (not before today).
    pub due_on: NaiveDate,
}

/// Changes to a supervision item (inspectors).
#[derive(InputObject)]
pub struct UpdateSupervisionItemInput {
    /// The problem, in a line.
    pub title: Option<String>,
    /// The problem in detail (empty clears it).
    pub description: Option<String>,
    /// Category.
    pub category: Option<SupervisionCategory>,
    /// Severity.
    pub severity: Option<SupervisionSeverity>,
    /// Responsible person (person id).
    pub responsible_person_id: Option<ID>,
    /// Rectification deadline.
    pub due_on: Option<NaiveDate>,
}

/// A comment or evidence.
#[derive(InputObject)]
pub struct AddSupervisionItemUpdateInput {
    /// COMMENT or EVIDENCE.
    pub kind: SupervisionUpdateKind,
    /// Text (1–5000 characters).
    pub text: String,
}

fn opt_id(id: Option<ID>) -> Result<Option<Uuid>> {
    id.as_ref().map(parse_id).transpose()
}

/// Write operations of the supervision area.
#[derive(Default)]
pub struct SupervisionMutation;

#[Object]
impl SupervisionMutation {
    /// Creates an inspection of an organisation you supervise.
    async fn create_inspection(&self, ctx: &Context<'_>, input: CreateInspectionInput) -> Result<Inspection> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let new = NewInspection {
            organization_id: parse_id(&input.organization_id)?,
            title: input.title,
            focus: input.focus,
            lead_inspector_id: opt_id(input.lead_inspector_id)?,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
        };
        Ok(Inspection(services::supervision::create_inspection(&s.db, a, new).await.map_err(gql_error)?))
    }

    /// Changes an inspection (inspectors in scope, administrators).
    async fn update_inspection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateInspectionInput,
    ) -> Result<Inspection> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let patch = InspectionPatch {
            title: input.title,
            focus: input.focus,
            lead_inspector_id: opt_id(input.lead_inspector_id)?,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            status: input.status,
        };
        let v = services::supervision::update_inspection(&s.db, a, parse_id(&id)?, expected_version, patch)
            .await
            .map_err(gql_error)?;
        Ok(Inspection(v))
    }

    /// Opens a supervision item (inspectors in scope, administrators).
    async fn open_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: OpenSupervisionItemInput,
    ) -> Result<SupervisionItem> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let new = NewItem {
            inspection_id: opt_id(input.inspection_id)?,
            organization_id: parse_id(&input.organization_id)?,
            title: input.title,
            description: input.description,
            category: input.category,
            severity: input.severity,
            responsible_person_id: parse_id(&input.responsible_person_id)?,
            due_on: input.due_on,
        };
        Ok(SupervisionItem(services::supervision::open_item(&s.db, a, s.today, new).await.map_err(gql_error)?))
    }

    /// Changes a supervision item's facts (inspectors in scope, administrators).
    async fn update_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateSupervisionItemInput,
    ) -> Result<SupervisionItem> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let patch = ItemPatch {
            title: input.title,
            description: input.description,
            category: input.category,
            severity: input.severity,
            responsible_person_id: opt_id(input.responsible_person_id)?,
            due_on: input.due_on,
        };
        let v = services::supervision::update_item(&s.db, a, s.today, parse_id(&id)?, expected_version, patch)
            .await
            .map_err(gql_error)?;
        Ok(SupervisionItem(v))
    }

    /// Writes the rectification plan (the responsible organisation or person); an open
    /// item becomes RECTIFYING.
    async fn set_rectification_plan(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        plan: String,
    ) -> Result<SupervisionItem> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let v = services::supervision::set_plan(&s.db, a, s.today, parse_id(&id)?, expected_version, plan)
            .await
            .map_err(gql_error)?;
        Ok(SupervisionItem(v))
    }

    /// Submits the rectification for verification (the responsible side).
    async fn submit_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        note: Option<String>,
    ) -> Result<SupervisionItem> {
        step(ctx, id, expected_version, ItemAction::Submit, note).await
    }

    /// Rejects a submission with a reason (inspectors): back to RECTIFYING.
    async fn reject_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(desc = "Why the rectification is not accepted (required).")] reason: Option<String>,
    ) -> Result<SupervisionItem> {
        step(ctx, id, expected_version, ItemAction::Reject, reason).await
    }

    /// Verifies and closes the item (销号; inspectors).
    async fn verify_supervision_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        note: Option<String>,
    ) -> Result<SupervisionItem> {
        step(ctx, id, expected_version, ItemAction::Verify, note).await
    }

    /// Posts a comment (inspectors, the responsible side) or evidence (the responsible
    /// side, while rectifying).
    async fn add_supervision_item_update(
        &self,
        ctx: &Context<'_>,
        item_id: ID,
        input: AddSupervisionItemUpdateInput,
    ) -> Result<SupervisionItemUpdate> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let new = NewItemUpdate { kind: input.kind, text: input.text };
        let v =
            services::supervision::add_update(&s.db, a, s.today, parse_id(&item_id)?, new).await.map_err(gql_error)?;
        Ok(SupervisionItemUpdate(v))
    }
}

async fn step(
    ctx: &Context<'_>,
    id: ID,
    expected_version: i32,
    action: ItemAction,
    text: Option<String>,
) -> Result<SupervisionItem> {
    let (s, a) = (state(ctx)?, actor(ctx)?);
    let v = services::supervision::transition(&s.db, a, s.today, parse_id(&id)?, expected_version, action, text)
        .await
        .map_err(gql_error)?;
    Ok(SupervisionItem(v))
}
