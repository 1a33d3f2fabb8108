//! The study area of the GraphQL schema: study sessions (第一议题学习), attendance and
//! check-in, statements (联学联议), implementation measures (贯彻落实措施), compliance
//! reports and meeting norms. Thin wrappers over `services::{study, measures,
//! compliance}`; relations resolve through the request's DataLoaders.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::documents::{Attachment, Document};
use super::loaders::Loaders;
use super::types::{Conn, OrgKind, Organization, Person, connection, gid, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    compliance::{FirstTopicGap, MeetingComplianceRow, NormInput, NormView},
    measures::{MeasureFilter, MeasurePatch, MeasureUpdateView, MeasureView, NewMeasure, NewMeasureUpdate},
    study::{
        AttendanceCounts as CountsView, AttendanceRateReport, AttendanceView, MarkAttendance, NewSession,
        OrgAttendanceRate, SessionFilter, SessionPatch, SessionView, StatementInput, StatementView,
    },
};

pub use crate::services::study::SessionKind;

pub use crate::services::study::SessionStatus;

pub use crate::services::study::AttendanceStatus;

pub use crate::services::measures::MeasureStatus;

pub use crate::services::measures::SourceKind;

pub use crate::services::compliance::NormPeriod;

/// A study session (第一议题学习).
pub struct StudySession(pub SessionView);

#[Object]
impl StudySession {
    /// Id (UUID v7).
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// Kind of meeting.
    async fn kind(&self) -> SessionKind {
        self.0.kind
    }
    /// Whether the first agenda item was the first topic (第一议题).
    async fn is_first_topic(&self) -> bool {
        self.0.is_first_topic
    }
    /// Topic studied.
    async fn topic(&self) -> &str {
        &self.0.topic
    }
    /// When it is (was) held (UTC).
    async fn held_at(&self) -> DateTime<Utc> {
        self.0.held_at
    }
    /// Place.
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
    /// Minutes (Markdown).
    async fn minutes(&self) -> Option<&str> {
        self.0.minutes.as_deref()
    }
    /// Status.
    async fn status(&self) -> SessionStatus {
        self.0.status
    }
    /// Self check-in opens (UTC).
    async fn checkin_opens_at(&self) -> DateTime<Utc> {
        self.0.checkin_opens_at
    }
    /// Self check-in closes (UTC).
    async fn checkin_closes_at(&self) -> DateTime<Utc> {
        self.0.checkin_closes_at
    }
    /// Ids of the knowledge-base documents studied.
    async fn material_document_ids(&self) -> Vec<ID> {
        self.0.material_document_ids.iter().copied().map(gid).collect()
    }
    /// The documents studied, in the order listed; those you may not read are left out.
    async fn materials(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        let ids = &self.0.material_document_ids;
        let mut found = ctx.data::<Loaders>()?.documents.load_many(ids.iter().copied()).await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).map(Document).collect())
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
    /// The organisation holding the session.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, self.0.organization_id).await
    }
    /// Host id.
    async fn host_id(&self) -> Option<ID> {
        self.0.host_id.map(gid)
    }
    /// Host (null when none or outside your scope).
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.host_id).await
    }
    /// Recorder id.
    async fn recorder_id(&self) -> Option<ID> {
        self.0.recorder_id.map(gid)
    }
    /// Recorder (may mark attendance).
    async fn recorder(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.recorder_id).await
    }
    /// Attendance counts and rate: (present + late) / (roster − leave).
    async fn attendance_counts(&self, ctx: &Context<'_>) -> Result<AttendanceCounts> {
        let c = ctx.data::<Loaders>()?.attendance_counts.load_one(self.0.id).await?.unwrap_or_default();
        Ok(AttendanceCounts(c))
    }
    /// The roster, with each person's attendance.
    async fn attendance(&self, ctx: &Context<'_>) -> Result<Vec<Attendance>> {
        let rows = ctx.data::<Loaders>()?.attendance.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Attendance).collect())
    }
    /// Statements: leadership-team members first, then in order written.
    async fn statements(&self, ctx: &Context<'_>) -> Result<Vec<Statement>> {
        let rows = ctx.data::<Loaders>()?.statements.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Statement).collect())
    }
}

/// Attendance counts. Rate = (present + late) / (roster − leave); null when nobody is expected.
pub struct AttendanceCounts(pub CountsView);

#[Object]
impl AttendanceCounts {
    /// Everyone on the roster.
    async fn roster(&self) -> i64 {
        self.0.roster
    }
    /// Nothing recorded yet.
    async fn expected(&self) -> i64 {
        self.0.expected
    }
    /// Present.
    async fn present(&self) -> i64 {
        self.0.present
    }
    /// Late.
    async fn late(&self) -> i64 {
        self.0.late
    }
    /// On leave.
    async fn leave(&self) -> i64 {
        self.0.leave
    }
    /// Absent.
    async fn absent(&self) -> i64 {
        self.0.absent
    }
    /// (present + late) / (roster − leave), 0–1.
    async fn rate(&self) -> Option<f64> {
        self.0.rate
    }
}

/// One roster entry.
pub struct Attendance(pub AttendanceView);

#[Object]
impl Attendance {
    /// Id.
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// The session (id).
    async fn session_id(&self) -> ID {
        gid(self.0.session_id)
    }
    /// The person (id).
    async fn person_id(&self) -> ID {
        gid(self.0.person_id)
    }
    /// The person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.person_id)).await
    }
    /// Status.
    async fn status(&self) -> AttendanceStatus {
        self.0.status
    }
    /// Reason (for leave).
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Checked in at (UTC).
    async fn checked_in_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_in_at
    }
    /// How it was recorded: `self` or `recorder`.
    async fn method(&self) -> Option<&str> {
        self.0.method.as_deref()
    }
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A contribution in joint study (联学联议).
pub struct Statement(pub StatementView);

#[Object]
impl Statement {
    /// Id.
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// The session (id).
    async fn session_id(&self) -> ID {
        gid(self.0.session_id)
    }
    /// The author (id).
    async fn person_id(&self) -> ID {
        gid(self.0.person_id)
    }
    /// The author.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.person_id)).await
    }
    /// Whether the author is on the leadership team.
    async fn author_is_leadership(&self) -> bool {
        self.0.author_is_leadership
    }
    /// Text.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Written at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// Attendance of an organisation subtree's held sessions in a period.
pub struct AttendanceRate(pub AttendanceRateReport);

#[Object]
impl AttendanceRate {
    /// The subtree root (id).
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// First day.
    async fn from(&self) -> NaiveDate {
        self.0.from
    }
    /// Last day (inclusive).
    async fn to(&self) -> NaiveDate {
        self.0.to
    }
    /// Held sessions.
    async fn sessions(&self) -> i64 {
        self.0.sessions
    }
    /// Counts and rate over the subtree.
    async fn counts(&self) -> AttendanceCounts {
        AttendanceCounts(self.0.counts.clone())
    }
    /// The same per organisation that held sessions.
    async fn by_organization(&self) -> Vec<OrgAttendance> {
        self.0.by_organization.iter().cloned().map(OrgAttendance).collect()
    }
}

/// Attendance of one organisation's held sessions.
pub struct OrgAttendance(pub OrgAttendanceRate);

#[Object]
impl OrgAttendance {
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// The organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, self.0.organization_id).await
    }
    /// Held sessions.
    async fn sessions(&self) -> i64 {
        self.0.sessions
    }
    /// Counts and rate.
    async fn counts(&self) -> AttendanceCounts {
        AttendanceCounts(self.0.counts.clone())
    }
}

/// An implementation measure (贯彻落实措施).
pub struct Measure(pub MeasureView);

#[Object]
impl Measure {
    /// Id (UUID v7).
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// Kind of source.
    async fn source_kind(&self) -> SourceKind {
        self.0.source_kind
    }
    /// The source's id.
    async fn source_id(&self) -> ID {
        gid(self.0.source_id)
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Due date.
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }
    /// Status.
    async fn status(&self) -> MeasureStatus {
        self.0.status
    }
    /// Date it was done.
    async fn completed_on(&self) -> Option<NaiveDate> {
        self.0.completed_on
    }
    /// Past due (before today in the configured time zone) and not done or cancelled.
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
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// The organisation responsible.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        load_org(ctx, self.0.organization_id).await
    }
    /// Owner id.
    async fn owner_id(&self) -> ID {
        gid(self.0.owner_id)
    }
    /// The owner.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.owner_id)).await
    }
    /// Progress updates, oldest first.
    async fn updates(&self, ctx: &Context<'_>) -> Result<Vec<MeasureUpdate>> {
        let rows = ctx.data::<Loaders>()?.measure_updates.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(MeasureUpdate).collect())
    }
}

/// A progress update on a measure.
pub struct MeasureUpdate(pub MeasureUpdateView);

#[Object]
impl MeasureUpdate {
    /// Id.
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// The measure (id).
    async fn measure_id(&self) -> ID {
        gid(self.0.measure_id)
    }
    /// The author.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.author_person_id).await
    }
    /// Text.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Status before, when the update changed it.
    async fn status_from(&self) -> Option<MeasureStatus> {
        self.0.status_from
    }
    /// Status after, when the update changed it.
    async fn status_to(&self) -> Option<MeasureStatus> {
        self.0.status_to
    }
    /// Written at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Evidence attached to the update, oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        let rows = ctx.data::<Loaders>()?.measure_update_attachments.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Attachment).collect())
    }
}

/// Committee sessions of one organisation held without the first topic.
pub struct FirstTopicGapNode(pub FirstTopicGap);

#[Object(name = "FirstTopicGap")]
impl FirstTopicGapNode {
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// Organisation name.
    async fn organization_name(&self) -> &str {
        &self.0.organization_name
    }
    /// The sessions, by held_at.
    async fn sessions(&self) -> Vec<StudySession> {
        self.0.sessions.iter().cloned().map(StudySession).collect()
    }
}

/// Required versus held sessions of one kind, in one organisation and period.
pub struct MeetingCompliance(pub MeetingComplianceRow);

#[Object]
impl MeetingCompliance {
    /// Organisation id.
    async fn organization_id(&self) -> ID {
        gid(self.0.organization_id)
    }
    /// Organisation name.
    async fn organization_name(&self) -> &str {
        &self.0.organization_name
    }
    /// Organisation kind.
    async fn org_kind(&self) -> OrgKind {
        self.0.org_kind
    }
    /// Period label: `2026-03` or `2026-Q1`.
    async fn period(&self) -> &str {
        &self.0.period
    }
    /// First day of the period.
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }
    /// Kind of session.
    async fn session_kind(&self) -> SessionKind {
        self.0.session_kind
    }
    /// Required.
    async fn required(&self) -> i32 {
        self.0.required
    }
    /// Held (status held, held_at inside the period in the configured time zone).
    async fn held(&self) -> i64 {
        self.0.held
    }
    /// max(required − held, 0).
    async fn shortfall(&self) -> i64 {
        self.0.shortfall
    }
}

/// Compliance of an organisation subtree in a period.
pub struct ComplianceReport {
    gaps: Vec<FirstTopicGap>,
    meetings: Vec<MeetingComplianceRow>,
}

#[Object]
impl ComplianceReport {
    /// Committee sessions (party committee, central group, branch committee) held
    /// without the first topic, per organisation.
    async fn first_topic_gaps(&self) -> Vec<FirstTopicGapNode> {
        self.gaps.iter().cloned().map(FirstTopicGapNode).collect()
    }
    /// Required versus held meetings per organisation, period and kind.
    async fn meetings(&self) -> Vec<MeetingCompliance> {
        self.meetings.iter().cloned().map(MeetingCompliance).collect()
    }
}

/// A meeting norm.
pub struct MeetingNorm(pub NormView);

#[Object]
impl MeetingNorm {
    /// Id.
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    /// Kind of organisation the norm applies to.
    async fn org_kind(&self) -> OrgKind {
        self.0.org_kind
    }
    /// Kind of session required.
    async fn session_kind(&self) -> SessionKind {
        self.0.session_kind
    }
    /// Period counted over.
    async fn period(&self) -> NormPeriod {
        self.0.period
    }
    /// Sessions required per period.
    async fn required_count(&self) -> i32 {
        self.0.required_count
    }
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// Read operations of the study area.
#[derive(Default)]
pub struct StudyQuery;

#[Object]
impl StudyQuery {
    /// One study session; NOT_FOUND when missing or outside your scope.
    async fn study_session(&self, ctx: &Context<'_>, id: ID) -> Result<StudySession> {
        let s = state(ctx)?;
        let a = actor(ctx)?;
        Ok(StudySession(services::study::get(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?))
    }

    /// Study sessions in your scope (and those whose roster you are on), in creation order.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn study_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only sessions in this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this kind.")] kind: Option<SessionKind>,
        #[graphql(desc = "Only this status.")] status: Option<SessionStatus>,
        #[graphql(desc = "Only with (true) or without (false) the first topic.")] is_first_topic: Option<bool>,
        #[graphql(desc = "Held at or after this instant.")] held_from: Option<DateTime<Utc>>,
        #[graphql(desc = "Held before this instant.")] held_before: Option<DateTime<Utc>>,
    ) -> Result<Conn<StudySession>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = SessionFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            kind,
            status,
            is_first_topic,
            held_from,
            held_before,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::study::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |s| s.id, StudySession))
    }

    /// Attendance rate of an organisation subtree's held sessions on days `from..=to`
    /// (configured time zone). Rate = (present + late) / (roster − leave).
    async fn attendance_rate(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AttendanceRate> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let r = services::study::attendance_rate(&s.db, a, s.time_zone, parse_id(&organization_id)?, from, to)
            .await
            .map_err(gql_error)?;
        Ok(AttendanceRate(r))
    }

    /// One measure; NOT_FOUND when missing or outside your scope.
    async fn measure(&self, ctx: &Context<'_>, id: ID) -> Result<Measure> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        Ok(Measure(services::measures::get(&s.db, a, s.today, parse_id(&id)?).await.map_err(gql_error)?))
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
    ) -> Result<Conn<Measure>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = MeasureFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            owner_id: owner_id.as_ref().map(parse_id).transpose()?,
            status,
            overdue,
            source_kind,
            source_id: source_id.as_ref().map(parse_id).transpose()?,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::measures::list(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |m| m.id, Measure))
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
    ) -> Result<Conn<Measure>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = MeasureFilter { status, overdue, ..Default::default() };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::measures::mine(&s.db, a, s.today, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |m| m.id, Measure))
    }

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
        let gaps =
            services::compliance::first_topic_gaps(&s.db, a, s.time_zone, org, from, to).await.map_err(gql_error)?;
        let meetings = services::compliance::meetings(&s.db, a, s.time_zone, org, from, to).await.map_err(gql_error)?;
        Ok(ComplianceReport { gaps, meetings })
    }

    /// The meeting norms in force.
    async fn meeting_norms(&self, ctx: &Context<'_>) -> Result<Vec<MeetingNorm>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let norms = services::compliance::norms(&s.db, a).await.map_err(gql_error)?;
        Ok(norms.into_iter().map(MeetingNorm).collect())
    }
}

/// A new study session.
#[derive(InputObject)]
pub struct CreateStudySessionInput {
    /// The organisation holding it.
    pub organization_id: ID,
    /// Kind of meeting.
    pub kind: SessionKind,
    /// Whether the first agenda item is the first topic.
    #[graphql(default = true)]
    pub is_first_topic: bool,
    /// Topic (1–200 characters).
    pub topic: String,
    /// When it is held.
    pub held_at: DateTime<Utc>,
    /// Place.
    pub place: Option<String>,
    /// Host (person id).
    pub host_id: Option<ID>,
    /// Recorder (person id).
    pub recorder_id: Option<ID>,
    /// Minutes (Markdown).
    pub minutes: Option<String>,
    /// Check-in opens (default 30 minutes before heldAt).
    pub checkin_opens_at: Option<DateTime<Utc>>,
    /// Check-in closes (default 2 hours after heldAt).
    pub checkin_closes_at: Option<DateTime<Utc>>,
    /// Documents studied.
    #[graphql(default)]
    pub material_document_ids: Vec<ID>,
}

/// Changes to a study session (only the fields given change).
#[derive(InputObject)]
pub struct UpdateStudySessionInput {
    /// Kind of meeting.
    pub kind: Option<SessionKind>,
    /// First-topic flag.
    pub is_first_topic: Option<bool>,
    /// Topic.
    pub topic: Option<String>,
    /// When it is held (the window moves along unless given).
    pub held_at: Option<DateTime<Utc>>,
    /// Place (empty clears it).
    pub place: Option<String>,
    /// Host.
    pub host_id: Option<ID>,
    /// Recorder.
    pub recorder_id: Option<ID>,
    /// Minutes (empty clears them).
    pub minutes: Option<String>,
    /// Status: PLANNED may become HELD or CANCELLED.
    pub status: Option<SessionStatus>,
    /// Check-in opens.
    pub checkin_opens_at: Option<DateTime<Utc>>,
    /// Check-in closes.
    pub checkin_closes_at: Option<DateTime<Utc>>,
    /// Documents studied (replace the list).
    pub material_document_ids: Option<Vec<ID>>,
}

/// An attendance mark.
#[derive(InputObject)]
pub struct MarkAttendanceInput {
    /// The new status.
    pub status: AttendanceStatus,
    /// Reason (required for LEAVE).
    pub reason: Option<String>,
}

/// A new measure.
#[derive(InputObject)]
pub struct CreateMeasureInput {
    /// Kind of source.
    pub source_kind: SourceKind,
    /// The source's id.
    pub source_id: ID,
    /// The organisation responsible.
    pub organization_id: ID,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Owner (person id).
    pub owner_id: ID,
    /// Due date.
    pub due_on: NaiveDate,
}

/// Changes to a measure (owners may change only the status).
#[derive(InputObject)]
pub struct UpdateMeasureInput {
    /// Title.
    pub title: Option<String>,
    /// Description (empty clears it).
    pub description: Option<String>,
    /// Owner.
    pub owner_id: Option<ID>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Status.
    pub status: Option<MeasureStatus>,
}

/// A progress update.
#[derive(InputObject)]
pub struct AddMeasureUpdateInput {
    /// What was done (1–2000 characters).
    pub text: String,
    /// A status change to make with it.
    pub status: Option<MeasureStatus>,
}

/// A meeting norm to create or replace.
#[derive(InputObject)]
pub struct MeetingNormInput {
    /// Kind of organisation.
    pub org_kind: OrgKind,
    /// Kind of session.
    pub session_kind: SessionKind,
    /// Period counted over.
    pub period: NormPeriod,
    /// Sessions required per period (0 = none).
    pub required_count: i32,
}

fn opt_id(id: Option<ID>) -> Result<Option<Uuid>> {
    id.as_ref().map(parse_id).transpose()
}

fn ids(list: &[ID]) -> Result<Vec<Uuid>> {
    list.iter().map(parse_id).collect()
}

/// Write operations of the study area.
#[derive(Default)]
pub struct StudyMutation;

#[Object]
impl StudyMutation {
    /// Plans a study session; its roster is filled from the organisation's people.
    async fn create_study_session(&self, ctx: &Context<'_>, input: CreateStudySessionInput) -> Result<StudySession> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let new = NewSession {
            organization_id: parse_id(&input.organization_id)?,
            kind: input.kind,
            is_first_topic: input.is_first_topic,
            topic: input.topic,
            held_at: input.held_at,
            place: input.place,
            host_id: opt_id(input.host_id)?,
            recorder_id: opt_id(input.recorder_id)?,
            minutes: input.minutes,
            checkin_opens_at: input.checkin_opens_at,
            checkin_closes_at: input.checkin_closes_at,
            material_document_ids: ids(&input.material_document_ids)?,
        };
        Ok(StudySession(services::study::create(&s.db, a, new).await.map_err(gql_error)?))
    }

    /// Changes a study session you manage.
    async fn update_study_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateStudySessionInput,
    ) -> Result<StudySession> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let patch = SessionPatch {
            kind: input.kind,
            is_first_topic: input.is_first_topic,
            topic: input.topic,
            held_at: input.held_at,
            place: input.place,
            host_id: opt_id(input.host_id)?,
            recorder_id: opt_id(input.recorder_id)?,
            minutes: input.minutes,
            status: input.status,
            checkin_opens_at: input.checkin_opens_at,
            checkin_closes_at: input.checkin_closes_at,
            material_document_ids: input.material_document_ids.as_deref().map(ids).transpose()?,
        };
        let v = services::study::update(&s.db, a, parse_id(&id)?, expected_version, patch).await.map_err(gql_error)?;
        Ok(StudySession(v))
    }

    /// Checks you in: only on the roster (FORBIDDEN), inside the window (VALIDATION on
    /// `check_in_window`), once (CONFLICT); after heldAt + 15 minutes it is LATE.
    async fn check_in(&self, ctx: &Context<'_>, session_id: ID) -> Result<Attendance> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        Ok(Attendance(services::study::check_in(&s.db, a, parse_id(&session_id)?).await.map_err(gql_error)?))
    }

    /// Marks a person's attendance (the recorder or an administrator in scope).
    async fn mark_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        person_id: ID,
        #[graphql(desc = "The roster entry's current version.")] expected_version: i32,
        input: MarkAttendanceInput,
    ) -> Result<Attendance> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let mark = MarkAttendance { status: input.status, reason: input.reason };
        let v = services::study::mark_attendance(
            &s.db,
            a,
            parse_id(&session_id)?,
            parse_id(&person_id)?,
            expected_version,
            mark,
        )
        .await
        .map_err(gql_error)?;
        Ok(Attendance(v))
    }

    /// Writes your own statement on a session whose roster you are on.
    async fn create_statement(&self, ctx: &Context<'_>, session_id: ID, text: String) -> Result<Statement> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let v = services::study::create_statement(&s.db, a, parse_id(&session_id)?, StatementInput { text })
            .await
            .map_err(gql_error)?;
        Ok(Statement(v))
    }

    /// Edits your own statement.
    async fn update_statement(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        id: ID,
        expected_version: i32,
        text: String,
    ) -> Result<Statement> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let v = services::study::update_statement(
            &s.db,
            a,
            parse_id(&session_id)?,
            parse_id(&id)?,
            expected_version,
            StatementInput { text },
        )
        .await
        .map_err(gql_error)?;
        Ok(Statement(v))
    }

    /// Creates a measure in an organisation you manage.
    async fn create_measure(&self, ctx: &Context<'_>, input: CreateMeasureInput) -> Result<Measure> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let new = NewMeasure {
            source_kind: input.source_kind,
            source_id: parse_id(&input.source_id)?,
            organization_id: parse_id(&input.organization_id)?,
            title: input.title,
            description: input.description,
            owner_id: parse_id(&input.owner_id)?,
            due_on: input.due_on,
        };
        Ok(Measure(services::measures::create(&s.db, a, s.today, new).await.map_err(gql_error)?))
    }

    /// Changes a measure (administrators: any field; its owner: the status).
    async fn update_measure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateMeasureInput,
    ) -> Result<Measure> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let patch = MeasurePatch {
            title: input.title,
            description: input.description,
            owner_id: opt_id(input.owner_id)?,
            due_on: input.due_on,
            status: input.status,
        };
        let v = services::measures::update(&s.db, a, s.today, parse_id(&id)?, expected_version, patch)
            .await
            .map_err(gql_error)?;
        Ok(Measure(v))
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
        input: AddMeasureUpdateInput,
    ) -> Result<MeasureUpdate> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let new = NewMeasureUpdate { text: input.text, status: input.status };
        let v =
            services::measures::add_update(&s.db, a, s.today, parse_id(&measure_id)?, new).await.map_err(gql_error)?;
        Ok(MeasureUpdate(v))
    }

    /// Creates or replaces meeting norms (administrators); returns every norm in force.
    async fn set_meeting_norms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Version of the set of norms in force: the sum of their `version`s (0 when there are none).")]
        expected_version: i32,
        norms: Vec<MeetingNormInput>,
    ) -> Result<Vec<MeetingNorm>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let input = norms
            .into_iter()
            .map(|n| NormInput {
                org_kind: n.org_kind,
                session_kind: n.session_kind,
                period: n.period,
                required_count: n.required_count,
            })
            .collect();
        let v = services::compliance::set_norms(&s.db, a, expected_version, input).await.map_err(gql_error)?;
        Ok(v.into_iter().map(MeetingNorm).collect())
    }
}
