//! The study area of the GraphQL schema: study sessions (第一议题学习), attendance and
//! check-in, statements (联学联议), implementation measures (贯彻落实措施), compliance
//! reports and meeting norms. The objects and inputs are the services' own types
//! (`services::{study, measures, compliance}`); this module holds the roots and the
//! relations, which resolve through the request's DataLoaders.

use async_graphql::{ComplexObject, Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::loaders::Loaders;
use super::types::{Conn, connection, load_org, load_person, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    documents::DocumentView,
    measures::MeasureView,
    organizations::OrganizationView,
    people::PersonView,
    study::{
        AttendanceCounts, AttendanceRateReport, AttendanceStatus, AttendanceView, BulkAttendance, BulkAttendanceResult,
        CheckInCode, CheckInInput, MarkAttendance, MyAttendance, NewSession, OrgAttendanceRate, RosterAsk,
        SessionFilter, SessionKind, SessionPatch, SessionStatus, SessionView, StatementInput, StatementView,
    },
};

#[ComplexObject]
impl SessionView {
    /// The documents studied, in the order listed; those you may not read are left out.
    async fn materials(&self, ctx: &Context<'_>) -> Result<Vec<DocumentView>> {
        let ids = &self.material_document_ids;
        let mut found = ctx.data::<Loaders>()?.documents.load_many(ids.iter().map(|id| id.0)).await?;
        Ok(ids.iter().filter_map(|id| found.remove(&id.0)).collect())
    }
    /// The organisation holding the session.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, self.organization_id.0).await
    }
    /// Host (null when none or outside your scope).
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.host_id.map(|id| id.0)).await
    }
    /// Recorder (may mark attendance).
    async fn recorder(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, self.recorder_id.map(|id| id.0)).await
    }
    /// Attendance counts and rate: (present + late) / (roster − leave); leave is
    /// counted apart from absence, and of a held session the people nothing was
    /// recorded for are reported as `unmarked` (counted as not attended).
    async fn attendance_counts(&self, ctx: &Context<'_>) -> Result<AttendanceCounts> {
        let ask = RosterAsk { session_id: self.id.0, status: None, first: Some(0), with_person: false };
        Ok(ctx.data::<Loaders>()?.roster.load_one(ask).await?.map(|r| r.counts).unwrap_or_default())
    }
    /// The roster, with each person's attendance, in roster order; only the entries with
    /// `status` when given (`EXPECTED`: nothing recorded yet), and only the first `first`
    /// of them when given (counted and cut in the database).
    async fn attendance(
        &self,
        ctx: &Context<'_>,
        status: Option<AttendanceStatus>,
        #[graphql(desc = "At most this many entries, 1–1000 (default: all).")] first: Option<i32>,
    ) -> Result<Vec<AttendanceView>> {
        let first = match first {
            None => None,
            Some(n @ 1..=1000) => u32::try_from(n).ok(),
            Some(_) => return Err(gql_error(crate::error::AppError::invalid("first", "must be between 1 and 1000"))),
        };
        // The people come with the roster statement when the selection shows them.
        let with_person = ctx.look_ahead().field("person").exists();
        let ask = RosterAsk { session_id: self.id.0, status, first, with_person };
        Ok(ctx.data::<Loaders>()?.roster.load_one(ask).await?.map(|r| r.entries).unwrap_or_default())
    }
    /// The implementation measures (贯彻落实措施) decided at the session that you may read,
    /// in creation order.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<MeasureView>> {
        Ok(ctx.data::<Loaders>()?.session_measures.load_one(self.id.0).await?.unwrap_or_default())
    }
    /// Statements: leadership-team members first, then in order written.
    async fn statements(&self, ctx: &Context<'_>) -> Result<Vec<StatementView>> {
        Ok(ctx.data::<Loaders>()?.statements.load_one(self.id.0).await?.unwrap_or_default())
    }
}

#[ComplexObject]
impl AttendanceView {
    /// The person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        match &self.person {
            Some(read) => Ok(read.as_deref().cloned()),
            None => load_person(ctx, Some(self.person_id.0)).await,
        }
    }
}

#[ComplexObject]
impl StatementView {
    /// The author.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonView>> {
        load_person(ctx, Some(self.person_id.0)).await
    }
}

#[ComplexObject]
impl OrgAttendanceRate {
    /// The organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, self.organization_id.0).await
    }
}

/// Whether a selection of study sessions shows a field computed with the materials
/// and names (without one, the sessions are read without them: one statement less).
fn needs_extras(session: &async_graphql::Lookahead<'_>) -> bool {
    ["materials", "materialDocumentIds", "organizationName", "hostName", "recorderName"]
        .iter()
        .any(|f| session.field(f).exists())
}

/// Read operations of the study area.
#[derive(Default)]
pub struct StudyQuery;

#[Object]
impl StudyQuery {
    /// One study session; NOT_FOUND when missing or outside your scope.
    async fn study_session(&self, ctx: &Context<'_>, id: ID) -> Result<SessionView> {
        let s = state(ctx)?;
        let a = actor(ctx)?;
        let bare = !needs_extras(&ctx.look_ahead());
        services::study::get_as(&s.db, a, parse_id(&id)?, bare).await.map_err(gql_error)
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
        #[graphql(desc = "Order by meeting time (creation order when absent); a cursor belongs to its order.")]
        order_by: Option<services::study::SessionSort>,
    ) -> Result<Conn<SessionView>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = SessionFilter {
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            kind,
            status,
            is_first_topic,
            held_from,
            held_before,
            sort: order_by,
            bare: {
                let look = ctx.look_ahead();
                !needs_extras(&look.field("edges").field("node")) && !needs_extras(&look.field("nodes"))
            },
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::study::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(match order_by {
            Some(_) => crate::graphql::types::sorted_connection(p, after.is_some(), services::study::SessionSort::key),
            None => connection(p, after.is_some(), |s| s.id.0),
        })
    }

    /// The current check-in code of a session in check-in mode `CODE` (changes every 30
    /// seconds; the previous one is still accepted): for the host, the recorder or an
    /// administrator in scope (FORBIDDEN otherwise).
    async fn check_in_code(&self, ctx: &Context<'_>, session_id: ID) -> Result<CheckInCode> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::check_in_code(&s.db, a, parse_id(&session_id)?).await.map_err(gql_error)
    }

    /// My party life: my attendance on days `from..=to` (configured time zone; default
    /// this year to today): totals, per month, and a page of my entries, latest first.
    async fn my_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day (default: the first of January of `to`'s year).")] from: Option<NaiveDate>,
        #[graphql(desc = "Last day, inclusive (default: today).")] to: Option<NaiveDate>,
        #[graphql(desc = "Entries per page, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "`nextCursor` of the previous page.")] after: Option<String>,
    ) -> Result<MyAttendance> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let req = page(ctx, first, after.as_deref(), false)?;
        services::study::my_attendance(&s.db, a, s.time_zone, from, to, req).await.map_err(gql_error)
    }

    /// My upcoming sessions: planned sessions whose roster I am on that start now or
    /// later, or whose check-in is still open, soonest first.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    async fn my_upcoming_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1–50 (default 20).")] first: Option<i32>,
    ) -> Result<Vec<SessionView>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::my_upcoming_sessions(&s.db, a, first.map(i64::from), "first").await.map_err(gql_error)
    }

    /// Attendance rate of an organisation subtree's held sessions on days `from..=to`
    /// (configured time zone). Rate = (present + late) / (roster − leave).
    async fn attendance_rate(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AttendanceRateReport> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::attendance_rate(&s.db, a, s.time_zone, parse_id(&organization_id)?, from, to)
            .await
            .map_err(gql_error)
    }
}

/// Write operations of the study area.
#[derive(Default)]
pub struct StudyMutation;

#[Object]
impl StudyMutation {
    /// Plans a study session; its roster is filled from the organisation's people.
    async fn create_study_session(&self, ctx: &Context<'_>, input: NewSession) -> Result<SessionView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::create(&s.db, a, input).await.map_err(gql_error)
    }

    /// Changes a study session you manage.
    async fn update_study_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: SessionPatch,
    ) -> Result<SessionView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::update(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Checks you in: only on the roster (FORBIDDEN), not in check-in mode
    /// `RECORDER_ONLY` (FORBIDDEN), inside the window (VALIDATION on `check_in_window`),
    /// once (CONFLICT); in mode `CODE` with the code the host shows (VALIDATION on
    /// `code`), with a geofence from within its radius (VALIDATION on `latitude`);
    /// after heldAt + 15 minutes it is LATE.
    async fn check_in(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        #[graphql(desc = "The 6-digit code the host shows (check-in mode CODE).")] code: Option<String>,
        #[graphql(desc = "Where you are: latitude (−90 to 90), with longitude.")] latitude: Option<f64>,
        #[graphql(desc = "Where you are: longitude (−180 to 180), with latitude.")] longitude: Option<f64>,
    ) -> Result<AttendanceView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let input = CheckInInput { code, latitude, longitude };
        services::study::check_in(&s.db, a, parse_id(&session_id)?, s.time_zone, input).await.map_err(gql_error)
    }

    /// Marks many people's attendance at once (the recorder or an administrator in
    /// scope): the entries, then with `rest` everyone still EXPECTED; one transaction,
    /// the last mark wins. Answers the roster and its counts.
    async fn mark_attendance_bulk(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        input: BulkAttendance,
    ) -> Result<BulkAttendanceResult> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::mark_attendance_bulk(&s.db, a, parse_id(&session_id)?, input).await.map_err(gql_error)
    }

    /// Marks a person's attendance (the recorder or an administrator in scope).
    async fn mark_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        person_id: ID,
        #[graphql(desc = "The roster entry's current version.")] expected_version: i32,
        input: MarkAttendance,
    ) -> Result<AttendanceView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let (session_id, person_id) = (parse_id(&session_id)?, parse_id(&person_id)?);
        services::study::mark_attendance(&s.db, a, session_id, person_id, expected_version, input)
            .await
            .map_err(gql_error)
    }

    /// Writes your own statement on a session whose roster you are on.
    async fn create_statement(&self, ctx: &Context<'_>, session_id: ID, text: String) -> Result<StatementView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::study::create_statement(&s.db, a, parse_id(&session_id)?, StatementInput { text })
            .await
            .map_err(gql_error)
    }

    /// Edits your own statement.
    async fn update_statement(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        id: ID,
        expected_version: i32,
        text: String,
    ) -> Result<StatementView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let (session_id, id) = (parse_id(&session_id)?, parse_id(&id)?);
        services::study::update_statement(&s.db, a, session_id, id, expected_version, StatementInput { text })
            .await
            .map_err(gql_error)
    }
}
