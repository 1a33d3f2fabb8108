//! "First topic" study sessions (第一议题学习): sessions with their materials, the
//! attendance roster and self check-in, joint-study statements (联学联议) and
//! attendance rates.
//!
//! Visibility: a session is readable under the actor's `SessionRead` scope, and a person
//! additionally reads every session whose roster they are on. Sessions are changed under
//! `SessionWrite`; the session's recorder may also mark attendance.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::clean;
use super::pagination::{Direction, KeyOrder, Page, PageRequest, keyset, keyset_sorted};
use super::people::PersonView;
use super::scope::find_in_scope;
use super::scope::org_for_write;
use super::scope::{org_ids_query, org_ref_in, subtree};
pub use super::types::{AttendanceStatus, SessionKind, SessionStatus};
use super::types::{Id, text_enum};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{attendance, document, organization, person, session_material, session_statement, study_session};

impl SessionKind {
    /// Whether a session of this kind is addressed to every member of its organisation's
    /// subtree (so party-group members see their branch's general meeting): the kinds
    /// whose roster rule is [`RosterRule::MembersOfSubtree`](super::rosters::RosterRule).
    pub fn addresses_subtree(self) -> bool {
        super::rosters::rule(self) == super::rosters::RosterRule::MembersOfSubtree
    }
}

text_enum! {
    /// How people check themselves in to a session.
    CheckinMode {
        /// Self check-in needs the rotating code the host shows (default for new sessions).
        Code => "code",
        /// Self check-in without a code.
        Open => "open",
        /// No self check-in: only the recorder (or an administrator) marks attendance.
        RecorderOnly => "recorder_only",
    }
}

text_enum! {
    /// What bulk marking does with everyone still `expected`.
    RemainingStatus {
        /// Mark them present.
        Present => "present",
        /// Mark them absent.
        Absent => "absent",
    }
}

/// Seconds a check-in code is shown before the next one (RFC 6238 time step).
pub const CODE_STEP_SECONDS: i64 = 30;
/// Digits of a check-in code.
pub const CODE_DIGITS: u32 = 6;
/// Smallest geofence radius, in metres.
pub const MIN_RADIUS_M: i32 = 20;
/// Largest geofence radius, in metres.
pub const MAX_RADIUS_M: i32 = 5000;
/// Most entries one bulk attendance call may mark.
pub const MAX_BULK_ENTRIES: usize = 500;
/// Most upcoming sessions one call returns.
pub const MAX_UPCOMING: u64 = 50;

/// Minutes before `held_at` the check-in window opens by default.
pub const CHECKIN_OPENS_BEFORE_MINUTES: i64 = 30;
/// Minutes after `held_at` the check-in window closes by default.
pub const CHECKIN_CLOSES_AFTER_MINUTES: i64 = 120;
/// A check-in later than `held_at` plus these minutes is recorded as `late`.
pub const LATE_AFTER_MINUTES: i64 = 15;
/// Most materials a session may list.
pub const MAX_MATERIALS: usize = 50;

/// A study session (第一议题学习).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "StudySession", complex)]
pub struct SessionView {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation holding the session.
    pub organization_id: Id,
    /// Kind of meeting.
    pub kind: SessionKind,
    /// Whether the first agenda item was the first topic (第一议题).
    pub is_first_topic: bool,
    /// Topic studied.
    pub topic: String,
    /// When it is (was) held (UTC).
    pub held_at: DateTime<Utc>,
    /// Place.
    pub place: Option<String>,
    /// Host (person id).
    pub host_id: Option<Id>,
    /// Recorder (person id): may mark attendance.
    pub recorder_id: Option<Id>,
    /// Minutes (Markdown).
    pub minutes: Option<String>,
    /// Status.
    pub status: SessionStatus,
    /// Self check-in opens (UTC).
    pub checkin_opens_at: DateTime<Utc>,
    /// Self check-in closes (UTC).
    pub checkin_closes_at: DateTime<Utc>,
    /// Documents studied (ids of knowledge-base documents, in the order listed).
    pub material_document_ids: Vec<Id>,
    /// Documents studied with their titles, in the order listed; those you may not
    /// read are left out (GraphQL: the `materials` objects).
    #[graphql(skip)]
    pub materials: Vec<MaterialRef>,
    /// Name of the organisation holding the session.
    pub organization_name: String,
    /// Name of the host.
    pub host_name: Option<String>,
    /// Name of the recorder.
    pub recorder_name: Option<String>,
    /// How people check in: `code` (the rotating code the host shows), `open` (without
    /// a code) or `recorder_only` (no self check-in).
    pub checkin_mode: CheckinMode,
    /// Geofence centre: latitude (WGS 84 degrees); with a geofence, check-in needs a
    /// position within `radius_m` of the centre.
    pub latitude: Option<f64>,
    /// Geofence centre: longitude (WGS 84 degrees).
    pub longitude: Option<f64>,
    /// Geofence radius in metres (20–5000).
    pub radius_m: Option<i32>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: the ETag in REST, `expectedVersion` in GraphQL when changing.
    pub version: i32,
}

// Coordinates are validated finite numbers (never NaN): equality is an equivalence.
impl Eq for SessionView {}

/// A session in a REST list (what a phone shows in a row): everything of
/// [`SessionView`] but the minutes, which can run to pages (`GET /study-sessions/{id}`
/// has them), and the bare material ids (`materials` carries them with their titles).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionSummary {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation holding the session.
    pub organization_id: Id,
    /// Name of the organisation holding the session.
    pub organization_name: String,
    /// Kind of meeting.
    pub kind: SessionKind,
    /// Whether the first agenda item was the first topic (第一议题).
    pub is_first_topic: bool,
    /// Topic studied.
    pub topic: String,
    /// When it is (was) held (UTC).
    pub held_at: DateTime<Utc>,
    /// Place.
    pub place: Option<String>,
    /// Host (person id).
    pub host_id: Option<Id>,
    /// Name of the host.
    pub host_name: Option<String>,
    /// Recorder (person id).
    pub recorder_id: Option<Id>,
    /// Name of the recorder.
    pub recorder_name: Option<String>,
    /// Status.
    pub status: SessionStatus,
    /// Self check-in opens (UTC).
    pub checkin_opens_at: DateTime<Utc>,
    /// Self check-in closes (UTC).
    pub checkin_closes_at: DateTime<Utc>,
    /// How people check in: `code`, `open` or `recorder_only`.
    pub checkin_mode: CheckinMode,
    /// Whether check-in needs a position inside a geofence (its centre and radius are
    /// on the single read).
    pub geofenced: bool,
    /// Documents studied with their titles, in the order listed (those you may read).
    pub materials: Vec<MaterialRef>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the single read's ETag).
    pub version: i32,
}

impl From<SessionView> for SessionSummary {
    fn from(s: SessionView) -> Self {
        SessionSummary {
            id: s.id,
            organization_id: s.organization_id,
            organization_name: s.organization_name,
            kind: s.kind,
            is_first_topic: s.is_first_topic,
            topic: s.topic,
            held_at: s.held_at,
            place: s.place,
            host_id: s.host_id,
            host_name: s.host_name,
            recorder_id: s.recorder_id,
            recorder_name: s.recorder_name,
            status: s.status,
            checkin_opens_at: s.checkin_opens_at,
            checkin_closes_at: s.checkin_closes_at,
            checkin_mode: s.checkin_mode,
            geofenced: s.radius_m.is_some(),
            materials: s.materials,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// A document studied at a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MaterialRef {
    /// The document (id).
    pub document_id: Id,
    /// Its title.
    pub title: String,
}

/// Names shown with sessions: organisations, people and document titles by id.
#[derive(Debug, Default)]
struct Names(HashMap<Uuid, String>);

impl Names {
    fn get(&self, id: Option<Uuid>) -> Option<String> {
        id.and_then(|id| self.0.get(&id).cloned())
    }
}

impl SessionView {
    fn from_model(m: study_session::Model, materials: Vec<Uuid>, names: &Names) -> AppResult<Self> {
        Ok(SessionView {
            kind: SessionKind::from_db(&m.kind)?,
            status: SessionStatus::from_db(&m.status)?,
            checkin_mode: CheckinMode::from_db(&m.checkin_mode)?,
            latitude: m.latitude,
            longitude: m.longitude,
            radius_m: m.radius_m,
            materials: materials
                .iter()
                .filter_map(|d| names.get(Some(*d)).map(|title| MaterialRef { document_id: Id(*d), title }))
                .collect(),
            organization_name: names.get(Some(m.organization_id)).unwrap_or_default(),
            host_name: names.get(m.host_person_id),
            recorder_name: names.get(m.recorder_person_id),
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            is_first_topic: m.is_first_topic,
            topic: m.topic,
            held_at: m.held_at,
            place: m.place,
            host_id: m.host_person_id.map(Id),
            recorder_id: m.recorder_person_id.map(Id),
            minutes: m.minutes,
            checkin_opens_at: m.checkin_opens_at,
            checkin_closes_at: m.checkin_closes_at,
            material_document_ids: materials.into_iter().map(Id).collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new study session. Its roster follows the kind's rule: the formal and probationary
/// members of the organisation's subtree for a branch general meeting, party lecture or
/// theme day; the group's members for a group meeting; the committee in office for a
/// committee meeting (plus the leadership team for the central study group). Guests are
/// added afterwards.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateStudySessionInput")]
pub struct NewSession {
    /// The organisation holding it (one you manage).
    pub organization_id: Id,
    /// Kind of meeting.
    pub kind: SessionKind,
    /// Whether the first agenda item is the first topic (default true).
    #[serde(default = "yes")]
    #[graphql(default = true)]
    pub is_first_topic: bool,
    /// Topic (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub topic: String,
    /// When it is held (UTC instant).
    pub held_at: DateTime<Utc>,
    /// Place (up to 200 characters).
    #[schema(max_length = 200)]
    pub place: Option<String>,
    /// Host (person id).
    pub host_id: Option<Id>,
    /// Recorder (person id): may mark attendance.
    pub recorder_id: Option<Id>,
    /// Minutes (Markdown, up to 100 000 characters).
    #[schema(max_length = 100000)]
    pub minutes: Option<String>,
    /// Check-in opens (default: 30 minutes before `held_at`); must be before the
    /// (given or default) `checkin_closes_at`.
    pub checkin_opens_at: Option<DateTime<Utc>>,
    /// Check-in closes (default: 2 hours after `held_at`); must be after the (given or
    /// default) `checkin_opens_at`.
    pub checkin_closes_at: Option<DateTime<Utc>>,
    /// Documents studied (at most 50, in the order listed).
    #[schema(max_items = 50)]
    #[serde(default)]
    #[graphql(default)]
    pub material_document_ids: Vec<Id>,
    /// How people check in (default `code`: the rotating code the host shows).
    pub checkin_mode: Option<CheckinMode>,
    /// Geofence centre latitude (−90 to 90); `latitude`, `longitude` and `radius_m`
    /// come together or not at all.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Geofence centre longitude (−180 to 180).
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Geofence radius in metres (20–5000).
    #[schema(minimum = 20, maximum = 5000)]
    pub radius_m: Option<i32>,
}

fn yes() -> bool {
    true
}

/// Changes to a study session: only the fields present change; an empty string clears
/// an optional text.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateStudySessionInput")]
pub struct SessionPatch {
    /// Kind of meeting.
    pub kind: Option<SessionKind>,
    /// First-topic flag.
    pub is_first_topic: Option<bool>,
    /// Topic (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub topic: Option<String>,
    /// When it is held; without an explicit window, the window moves along.
    pub held_at: Option<DateTime<Utc>>,
    /// Place (up to 200 characters; empty clears it).
    #[schema(max_length = 200)]
    pub place: Option<String>,
    /// Host (person id).
    pub host_id: Option<Id>,
    /// Recorder (person id).
    pub recorder_id: Option<Id>,
    /// Minutes (Markdown, up to 100 000 characters; empty clears them).
    #[schema(max_length = 100000)]
    pub minutes: Option<String>,
    /// Status: `planned` may become `held` or `cancelled`; nothing else (CONFLICT).
    pub status: Option<SessionStatus>,
    /// Check-in opens; the resulting window must open before it closes.
    pub checkin_opens_at: Option<DateTime<Utc>>,
    /// Check-in closes; the resulting window must close after it opens.
    pub checkin_closes_at: Option<DateTime<Utc>>,
    /// Documents studied (replace the list; at most 50).
    #[schema(max_items = 50)]
    pub material_document_ids: Option<Vec<Id>>,
    /// How people check in.
    pub checkin_mode: Option<CheckinMode>,
    /// New geofence centre latitude (−90 to 90): `latitude`, `longitude` and
    /// `radius_m` are set together.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// New geofence centre longitude (−180 to 180).
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// New geofence radius in metres (20–5000).
    #[schema(minimum = 20, maximum = 5000)]
    pub radius_m: Option<i32>,
    /// `true` removes the geofence (not together with new coordinates).
    pub remove_geofence: Option<bool>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Only sessions of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<SessionKind>,
    /// Only this status.
    pub status: Option<SessionStatus>,
    /// Only sessions with (or without) the first topic.
    pub is_first_topic: Option<bool>,
    /// Held at or after this instant.
    pub held_from: Option<DateTime<Utc>>,
    /// Held before this instant.
    pub held_before: Option<DateTime<Utc>>,
    /// The order of the list (creation order when absent).
    pub sort: Option<SessionSort>,
    /// Leave out the materials and the organisation, host and recorder names (one
    /// statement less; for GraphQL selections that show none of them).
    pub bare: bool,
}

/// The orders a list of study sessions can have (REST: `held_at`, `-held_at` for the
/// latest first; GraphQL: `HELD_AT`, `HELD_AT_DESCENDING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema, async_graphql::Enum)]
pub enum SessionSort {
    /// Earliest meeting first.
    #[serde(rename = "held_at")]
    HeldAt,
    /// Latest meeting first.
    #[serde(rename = "-held_at")]
    HeldAtDescending,
}

impl SessionSort {
    /// The cursor key of a session in this order.
    pub fn key(session: &SessionView) -> (i64, Uuid) {
        (session.held_at.timestamp_micros(), session.id.0)
    }
}

/// One roster entry: a person's attendance at a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Attendance", complex)]
pub struct AttendanceView {
    /// Id.
    pub id: Id,
    /// The session (id).
    pub session_id: Id,
    /// The person (id).
    pub person_id: Id,
    /// The person's name.
    pub person_name: Option<String>,
    /// Status.
    pub status: AttendanceStatus,
    /// Reason (required for `leave`). Personal: shown to the person, to those who run
    /// the session (its host, recorder, administrators) and to inspectors; null for
    /// anyone else reading the roster.
    pub reason: Option<String>,
    /// When the person checked in or was marked present / late (UTC).
    pub checked_in_at: Option<DateTime<Utc>>,
    /// How it was recorded: `code` (check-in with the rotating code), `self` (check-in
    /// without a code) or `recorder`.
    pub method: Option<String>,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the roster entry's ETag in REST).
    pub version: i32,
    /// The person as the reader may see them, when the roster statement read them too
    /// ([`RosterAsk::with_person`]): `Some(None)` when they may not read them.
    #[graphql(skip)]
    #[serde(skip)]
    pub person: Option<Option<Box<PersonView>>>,
}

impl AttendanceView {
    fn from_model(m: attendance::Model, person_name: Option<String>) -> AppResult<Self> {
        Ok(AttendanceView {
            person: None,
            person_name,
            status: AttendanceStatus::from_db(&m.status)?,
            id: m.id.into(),
            session_id: m.session_id.into(),
            person_id: m.person_id.into(),
            reason: m.reason,
            checked_in_at: m.checked_in_at,
            method: m.method,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// An attendance mark.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "MarkAttendanceInput")]
pub struct MarkAttendance {
    /// The new status.
    pub status: AttendanceStatus,
    /// Reason: required (not blank) for `leave` (up to 500 characters).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Attendance counts of a session. The rate is
/// `(present + late) / (roster − leave)`: people on leave are excused and leave the
/// denominator; `expected` (nothing recorded) and `absent` count as not attended. Null
/// when the denominator is 0. Of a session that was held, the people still `expected`
/// are reported apart as `unmarked` (they are in the rate's denominator: nobody
/// recorded that they came).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct AttendanceCounts {
    /// Everyone on the roster.
    pub roster: i64,
    /// Nothing recorded yet.
    pub expected: i64,
    /// Present.
    pub present: i64,
    /// Late.
    pub late: i64,
    /// On leave.
    pub leave: i64,
    /// Absent.
    pub absent: i64,
    /// Of held sessions: people nothing was recorded for (`expected` after the
    /// session took place). Counted as not attended in the rate; reported here so they
    /// can be followed up.
    pub unmarked: i64,
    /// `(present + late) / (roster − leave)`, 0–1; null when nobody is expected.
    pub rate: Option<f64>,
}

impl AttendanceCounts {
    /// Adds `n` entries of `status` of a session with status `session_status`.
    fn add_of(&mut self, session_status: &str, status: &str, n: i64) {
        if session_status == SessionStatus::Held.as_str() && status == AttendanceStatus::Expected.as_str() {
            self.unmarked += n;
        }
        self.add(status, n);
    }

    fn add(&mut self, status: &str, n: i64) {
        self.roster += n;
        match status {
            "expected" => self.expected += n,
            "present" => self.present += n,
            "late" => self.late += n,
            "leave" => self.leave += n,
            _ => self.absent += n,
        }
    }

    fn finish(mut self) -> Self {
        let denominator = self.roster - self.leave;
        self.rate = (denominator > 0).then(|| (self.present + self.late) as f64 / denominator as f64);
        self
    }
}

/// Attendance of one organisation's held sessions in a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "OrgAttendance", complex)]
pub struct OrgAttendanceRate {
    /// The organisation (id).
    pub organization_id: Id,
    /// Held sessions.
    pub sessions: i64,
    /// Counts over those sessions, and the rate.
    pub counts: AttendanceCounts,
}

/// Attendance of an organisation subtree's held sessions in a period, in total and per
/// organisation. Rate = (present + late) / (roster − leave).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "AttendanceRate")]
pub struct AttendanceRateReport {
    /// The subtree root (id).
    pub organization_id: Id,
    /// First day (in the configured time zone).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Held sessions in the subtree and period.
    pub sessions: i64,
    /// Counts over the whole subtree, and the rate.
    pub counts: AttendanceCounts,
    /// The same per organisation that held sessions.
    pub by_organization: Vec<OrgAttendanceRate>,
}

/// A contribution in joint study (联学联议).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Statement", complex)]
pub struct StatementView {
    /// Id.
    pub id: Id,
    /// The session (id).
    pub session_id: Id,
    /// The author (person id).
    pub person_id: Id,
    /// Whether the author is on the leadership team (listed first).
    pub author_is_leadership: bool,
    /// Text (up to 5000 characters).
    pub text: String,
    /// Written at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// Input of [`create_statement`] and [`update_statement`].
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StatementInput {
    /// Text (1–5000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 5000)]
    pub text: String,
}

/// The search-index entity name of study sessions.
pub const SEARCH_ENTITY: &str = "session";

/// Wrong check-in codes a person may enter for one session; after that only the
/// recorder (or an administrator) marks them.
pub const MAX_CODE_FAILURES: i32 = 5;

/// Keeps a session's topic and minutes in the search index (cancelled sessions leave it).
async fn index_for_search<C: ConnectionTrait>(db: &C, view: &SessionView) -> AppResult<()> {
    if view.status == SessionStatus::Cancelled {
        super::search::remove(db, SEARCH_ENTITY, view.id.0).await
    } else {
        super::search::index(db, SEARCH_ENTITY, view.id.0, &view.topic, view.minutes.as_deref().unwrap_or("")).await
    }
}

/// The sessions the actor may read: those of their management scope (`SessionRead`),
/// those whose roster they are on, and, in their participation scope, the sessions of
/// their own organisation's ancestors whose kind addresses the whole subtree (a branch
/// general meeting, a party lecture, a theme day: see [`SessionKind::addresses_subtree`]).
pub(crate) fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::SessionRead)?;
    let mut cond = Condition::any().add(org_ref_in(study_session::Column::OrganizationId, &scope));
    if let Some(own) = actor.person_id() {
        cond = cond.add(
            study_session::Column::Id.in_subquery(
                attendance::Entity::find()
                    .select_only()
                    .column(attendance::Column::SessionId)
                    .filter(attendance::Column::PersonId.eq(own))
                    .into_query(),
            ),
        );
    }
    if let Some(ancestors) = super::scope::addressed_to_caller(study_session::Column::OrganizationId, actor) {
        let kinds = SessionKind::ALL.iter().filter(|k| k.addresses_subtree()).map(|k| k.as_str());
        cond = cond.add(ancestors.add(study_session::Column::Kind.is_in(kinds)));
    }
    Ok(cond)
}

/// Loads a session the actor may read, or NOT_FOUND.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_readable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<study_session::Model> {
    super::one_fast(study_session::Entity::find_by_id(id).filter(readable(actor)?), db).await?.ok_or(AppError::NotFound)
}

/// Whether the actor holds `SessionWrite` over the session's organisation.
async fn may_write<C: ConnectionTrait>(db: &C, actor: &Actor, org_id: Uuid) -> AppResult<bool> {
    let write = actor.scope(Permission::SessionWrite);
    let org = organization::Entity::find_by_id(org_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(write.contains_path(&org.path))
}

/// Loads and locks a session the actor may change: NOT_FOUND when not readable,
/// FORBIDDEN when readable but outside the write scope.
pub(crate) async fn find_writable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<study_session::Model> {
    actor.require(Permission::SessionWrite)?;
    find_readable(db, actor, id).await?;
    let s = study_session::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    if !may_write(db, actor, s.organization_id).await? {
        return Err(AppError::forbidden("this session is outside the subtree you manage"));
    }
    Ok(s)
}

/// The names of organisations by id (one statement).
async fn org_names<C: ConnectionTrait>(db: &C, ids: Vec<Uuid>) -> AppResult<Names> {
    if ids.is_empty() {
        return Ok(Names::default());
    }
    let rows: Vec<(Uuid, String)> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .filter(organization::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(Names(rows.into_iter().collect()))
}

/// The materials of sessions (in their order) and the names shown with the sessions,
/// in one statement: the materials with the titles `actor` may read (all without an
/// actor), `UNION ALL` the names of the organisations and of the people.
async fn extras_of<C: ConnectionTrait>(
    db: &C,
    actor: Option<&Actor>,
    rows: &[study_session::Model],
) -> AppResult<(HashMap<Uuid, Vec<Uuid>>, Names)> {
    use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait, JoinType as Join, Query, UnionType};
    let mut materials: HashMap<Uuid, Vec<(i32, Uuid)>> = HashMap::new();
    let mut names = Names::default();
    if rows.is_empty() {
        return Ok((HashMap::new(), names));
    }
    let title_col = Expr::col((document::Entity, document::Column::Title));
    let title: Expr = match actor {
        None => title_col,
        Some(a) => match super::documents::readable(a) {
            Ok(cond) => CaseStatement::new().case(cond, title_col).finally(Expr::value(Option::<String>::None)).into(),
            Err(_) => Expr::value(Option::<String>::None),
        },
    };
    let mut select = Query::select()
        .expr_as(Expr::col((session_material::Entity, session_material::Column::SessionId)), Alias::new("id"))
        .expr_as(Expr::col((session_material::Entity, session_material::Column::DocumentId)), Alias::new("document_id"))
        .expr_as(title, Alias::new("name"))
        .expr_as(Expr::col((session_material::Entity, session_material::Column::Position)), Alias::new("position"))
        .from(session_material::Entity)
        .join(
            Join::LeftJoin,
            document::Entity,
            Expr::col((document::Entity, document::Column::Id))
                .equals((session_material::Entity, session_material::Column::DocumentId)),
        )
        .and_where(session_material::Column::SessionId.is_in(super::bucketed(rows.iter().map(|r| r.id))))
        .to_owned();
    let named = |id: Expr, name: Expr, table: Alias| {
        Query::select()
            .expr_as(id, Alias::new("id"))
            .expr_as(Expr::value(Option::<Uuid>::None), Alias::new("document_id"))
            .expr_as(name, Alias::new("name"))
            .expr_as(Expr::value(Option::<i32>::None), Alias::new("position"))
            .from(table)
            .to_owned()
    };
    let orgs: Vec<Uuid> = rows.iter().map(|r| r.organization_id).collect();
    select.union(
        UnionType::All,
        named(
            Expr::col((organization::Entity, organization::Column::Id)),
            Expr::col((organization::Entity, organization::Column::Name)),
            Alias::new("organization"),
        )
        .and_where(organization::Column::Id.is_in(super::bucketed(orgs)))
        .to_owned(),
    );
    let people: Vec<Uuid> = rows.iter().flat_map(|r| [r.host_person_id, r.recorder_person_id]).flatten().collect();
    if !people.is_empty() {
        select.union(
            UnionType::All,
            named(
                Expr::col((person::Entity, person::Column::Id)),
                Expr::col((person::Entity, person::Column::Name)),
                Alias::new("person"),
            )
            .and_where(person::Column::Id.is_in(super::bucketed(people)))
            .to_owned(),
        );
    }
    for row in db.query_all(&select).await? {
        let id: Uuid = entity::fast::cell(&row, "", "id")?;
        let document: Option<Uuid> = entity::fast::cell(&row, "", "document_id")?;
        let name: Option<String> = entity::fast::cell(&row, "", "name")?;
        match document {
            Some(doc) => {
                let position: Option<i32> = entity::fast::cell(&row, "", "position")?;
                materials.entry(id).or_default().push((position.unwrap_or(0), doc));
                if let Some(title) = name {
                    names.0.insert(doc, title);
                }
            }
            None => {
                if let Some(name) = name {
                    names.0.insert(id, name);
                }
            }
        }
    }
    let materials = materials
        .into_iter()
        .map(|(session, mut docs)| {
            docs.sort_unstable();
            (session, docs.into_iter().map(|(_, d)| d).collect())
        })
        .collect();
    Ok((materials, names))
}

/// Views of sessions, with their materials and the names shown with them in one more
/// statement; every material's title is shown.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn views<C: ConnectionTrait>(db: &C, rows: Vec<study_session::Model>) -> AppResult<Vec<SessionView>> {
    views_as(db, None, rows).await
}

/// Views of sessions as `actor` sees them (material titles of documents they may
/// read), in one more statement whatever the number of sessions.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn views_as<C: ConnectionTrait>(
    db: &C,
    actor: Option<&Actor>,
    rows: Vec<study_session::Model>,
) -> AppResult<Vec<SessionView>> {
    let (mut materials, names) = extras_of(db, actor, &rows).await?;
    rows.into_iter()
        .map(|r| {
            let m = materials.remove(&r.id).unwrap_or_default();
            SessionView::from_model(r, m, &names)
        })
        .collect()
}

/// One session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<SessionView> {
    get_as(db, actor, id, false).await
}

/// One session; `bare` leaves out the materials and the names shown with it (one
/// statement instead of two).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_as<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid, bare: bool) -> AppResult<SessionView> {
    let row = find_readable(db, actor, id).await?;
    if bare {
        return SessionView::from_model(row, Vec::new(), &Names::default());
    }
    Ok(views_as(db, Some(actor), vec![row]).await?.remove(0))
}

/// Several sessions by id, skipping those the actor may not read (DataLoader batch).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<SessionView>> {
    let rows = study_session::Entity::find()
        .filter(study_session::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .all(db)
        .await?;
    views_as(db, Some(actor), rows).await
}

/// A page of sessions the actor may read, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &SessionFilter,
    page: PageRequest,
) -> AppResult<Page<SessionView>> {
    let mut cond = Condition::all().add(readable(actor)?);
    let read = actor.scope(Permission::OrgRead);
    if let Some(org_id) = filter.organization_id {
        // In the list's own statement; whether the organisation is visible at all is
        // asked only when the page comes back empty (NOT_FOUND rather than nothing).
        let visible = super::scope::orgs_participating(actor, &read);
        cond = cond.add(super::scope::in_subtree_of(study_session::Column::OrganizationId, org_id, visible));
    }
    if let Some(kind) = filter.kind {
        cond = cond.add(study_session::Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        cond = cond.add(study_session::Column::Status.eq(status.as_str()));
    }
    if let Some(flag) = filter.is_first_topic {
        cond = cond.add(study_session::Column::IsFirstTopic.eq(flag));
    }
    if let Some(from) = filter.held_from {
        cond = cond.add(study_session::Column::HeldAt.gte(from));
    }
    if let Some(before) = filter.held_before {
        cond = cond.add(study_session::Column::HeldAt.lt(before));
    }
    let Some(sort) = filter.sort else {
        let (rows, total) =
            keyset::<_, study_session::Entity>(db, cond, study_session::Column::Id, page, KeyOrder::Oldest).await?;
        if rows.is_empty()
            && let Some(org_id) = filter.organization_id
        {
            super::scope::find_participating(db, actor, &read, org_id).await?;
        }
        let items = session_views(db, actor, rows, filter.bare).await?;
        return Ok(Page::from_rows(items, page, |s| s.id.0, total));
    };
    let direction = match sort {
        SessionSort::HeldAt => Direction::Ascending,
        SessionSort::HeldAtDescending => Direction::Descending,
    };
    let (rows, total) = keyset_sorted::<_, study_session::Entity, DateTime<Utc>>(
        db,
        cond,
        (study_session::Column::HeldAt, direction),
        DateTime::from_timestamp_micros,
        study_session::Column::Id,
        page,
    )
    .await?;
    if rows.is_empty()
        && let Some(org_id) = filter.organization_id
    {
        super::scope::find_participating(db, actor, &read, org_id).await?;
    }
    let items = session_views(db, actor, rows, filter.bare).await?;
    Ok(Page::from_sorted_rows(items, page, SessionSort::key, total))
}

/// Views of listed sessions: with materials and names, or `bare`.
async fn session_views<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    rows: Vec<study_session::Model>,
    bare: bool,
) -> AppResult<Vec<SessionView>> {
    if bare {
        return rows.into_iter().map(|r| SessionView::from_model(r, Vec::new(), &Names::default())).collect();
    }
    views_as(db, Some(actor), rows).await
}

fn validate_session(
    topic: Option<&str>,
    place: Option<&str>,
    minutes: Option<&str>,
    materials: Option<&[Id]>,
) -> AppResult<()> {
    Validator::new()
        .opt_text(topic, "topic", 200)
        .check(place.is_none_or(|p| p.chars().count() <= 200), "place", "must be at most 200 characters")
        .check(minutes.is_none_or(|m| m.chars().count() <= 100_000), "minutes", "must be at most 100000 characters")
        .check(
            materials.is_none_or(|m| m.len() <= MAX_MATERIALS),
            "material_document_ids",
            "must list at most 50 documents",
        )
        .finish()
}

/// Checks a geofence: latitude −90..90, longitude −180..180, radius 20..5000 m, all
/// three or none.
fn validate_geofence(lat: Option<f64>, lon: Option<f64>, radius: Option<i32>) -> AppResult<()> {
    let given = [lat.is_some(), lon.is_some(), radius.is_some()];
    Validator::new()
        .check(lat.is_none_or(|v| (-90.0..=90.0).contains(&v)), "latitude", "must be between -90 and 90")
        .check(lon.is_none_or(|v| (-180.0..=180.0).contains(&v)), "longitude", "must be between -180 and 180")
        .check(
            radius.is_none_or(|r| (MIN_RADIUS_M..=MAX_RADIUS_M).contains(&r)),
            "radius_m",
            "must be between 20 and 5000",
        )
        .check(
            given.iter().all(|g| *g) || given.iter().all(|g| !*g),
            "latitude",
            "latitude, longitude and radius_m are given together or not at all",
        )
        .finish()
}

/// A new check-in secret: 32 random bytes, hex.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// The check-in window: the given bounds or the defaults around `held_at`.
/// Refuses instants outside the years 2000–2100, before any arithmetic on them (far
/// outside any meeting's, chrono's range ends at year 262143 and would overflow).
fn in_meeting_years<const N: usize>(fields: [(&str, Option<DateTime<Utc>>); N]) -> AppResult<()> {
    use chrono::Datelike;
    let mut v = Validator::new();
    for (field, at) in fields {
        v.check(at.is_none_or(|t| (2000..=2100).contains(&t.year())), field, "must be between the years 2000 and 2100");
    }
    v.finish()
}

fn window(
    held_at: DateTime<Utc>,
    opens: Option<DateTime<Utc>>,
    closes: Option<DateTime<Utc>>,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    in_meeting_years([("held_at", Some(held_at)), ("checkin_opens_at", opens), ("checkin_closes_at", closes)])?;
    let opens = opens.unwrap_or(held_at - Duration::minutes(CHECKIN_OPENS_BEFORE_MINUTES));
    let closes = closes.unwrap_or(held_at + Duration::minutes(CHECKIN_CLOSES_AFTER_MINUTES));
    if opens >= closes {
        return Err(AppError::invalid("checkin_closes_at", "must be after checkin_opens_at"));
    }
    Ok((opens, closes))
}

/// Checks that a host or recorder is a person the actor may read.
async fn ensure_person<C: ConnectionTrait>(db: &C, actor: &Actor, id: Option<Uuid>, field: &str) -> AppResult<()> {
    match id {
        Some(id) => super::people::ensure_readable(db, actor, id, field).await,
        None => Ok(()),
    }
}

/// Sets a session's materials: documents the actor may read, each listed once.
async fn replace_materials<C: ConnectionTrait>(db: &C, actor: &Actor, session_id: Uuid, ids: &[Id]) -> AppResult<()> {
    let unique: std::collections::HashSet<Uuid> = ids.iter().map(|id| id.0).collect();
    if !unique.is_empty() {
        let found = super::documents::by_ids(db, actor, &unique.iter().copied().collect::<Vec<_>>()).await?;
        if found.len() != unique.len() {
            return Err(AppError::invalid(
                "material_document_ids",
                "lists a document that does not exist or that you may not read",
            ));
        }
    }
    session_material::Entity::delete_many().filter(session_material::Column::SessionId.eq(session_id)).exec(db).await?;
    let mut seen = std::collections::HashSet::new();
    let now = super::now();
    let rows: Vec<session_material::ActiveModel> = ids
        .iter()
        .filter(|id| seen.insert(**id))
        .enumerate()
        .map(|(position, id)| session_material::ActiveModel {
            session_id: Set(session_id),
            document_id: Set(id.0),
            created_at: Set(now),
            position: Set(position as i32),
        })
        .collect();
    if !rows.is_empty() {
        session_material::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Plans a session in an organisation the actor manages and fills its roster by the
/// kind's rule (`rosters::rule`; status `expected`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewSession) -> AppResult<SessionView> {
    actor.require(Permission::SessionWrite)?;
    validate_session(
        Some(&input.topic),
        input.place.as_deref(),
        input.minutes.as_deref(),
        Some(&input.material_document_ids),
    )?;
    let (opens, closes) = window(input.held_at, input.checkin_opens_at, input.checkin_closes_at)?;
    validate_geofence(input.latitude, input.longitude, input.radius_m)?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, input.organization_id.0, Permission::SessionWrite).await?;
    ensure_person(&tx, actor, input.host_id.map(Uuid::from), "host_id").await?;
    ensure_person(&tx, actor, input.recorder_id.map(Uuid::from), "recorder_id").await?;
    let now = super::now();
    let id = Uuid::now_v7();
    let model = study_session::ActiveModel {
        id: Set(id),
        organization_id: Set(org.id),
        kind: Set(input.kind.as_str().to_owned()),
        is_first_topic: Set(input.is_first_topic),
        topic: Set(input.topic.trim().to_owned()),
        held_at: Set(input.held_at),
        place: Set(clean(input.place)),
        host_person_id: Set(input.host_id.map(Uuid::from)),
        recorder_person_id: Set(input.recorder_id.map(Uuid::from)),
        minutes: Set(clean(input.minutes)),
        status: Set(SessionStatus::Planned.as_str().to_owned()),
        checkin_opens_at: Set(opens),
        checkin_closes_at: Set(closes),
        checkin_mode: Set(input.checkin_mode.unwrap_or(CheckinMode::Code).as_str().to_owned()),
        checkin_secret: Set(Some(new_secret())),
        latitude: Set(input.latitude),
        longitude: Set(input.longitude),
        radius_m: Set(input.radius_m),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    replace_materials(&tx, actor, id, &input.material_document_ids).await?;
    super::rosters::initial(&tx, &model).await?;
    let view = views_as(&tx, Some(actor), vec![model]).await?.remove(0);
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::study_session::Entity),
            id,
            Some(org.id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    index_for_search(&tx, &view).await?;
    tx.commit().await?;
    Ok(view)
}

/// Changes a session the actor manages. Status moves only from `planned` to `held` or
/// `cancelled` (else CONFLICT), and to `held` only once `held_at` has come (else
/// VALIDATION on `status`). A new `held_at` without an explicit window moves the
/// window by the same amount. A geofence is set with all of `latitude`, `longitude`,
/// `radius_m` and removed with `remove_geofence`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: SessionPatch,
) -> AppResult<SessionView> {
    actor.require(Permission::SessionWrite)?;
    validate_session(
        patch.topic.as_deref(),
        patch.place.as_deref(),
        patch.minutes.as_deref(),
        patch.material_document_ids.as_deref(),
    )?;
    validate_geofence(patch.latitude, patch.longitude, patch.radius_m)?;
    let new_fence = patch.latitude.is_some();
    let remove_fence = patch.remove_geofence == Some(true);
    Validator::new()
        .check(!(new_fence && remove_fence), "remove_geofence", "cannot be combined with new geofence coordinates")
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    let before = views_as(&tx, Some(actor), vec![row.clone()]).await?.remove(0);
    if let Some(next) = patch.status
        && !before.status.may_become(next)
    {
        return Err(AppError::Conflict(format!(
            "a {} session cannot become {}",
            before.status.as_str(),
            next.as_str()
        )));
    }
    in_meeting_years([
        ("held_at", patch.held_at),
        ("checkin_opens_at", patch.checkin_opens_at),
        ("checkin_closes_at", patch.checkin_closes_at),
    ])?;
    let held_at = patch.held_at.unwrap_or(row.held_at);
    if patch.status == Some(SessionStatus::Held) && before.status != SessionStatus::Held && super::now() < held_at {
        return Err(AppError::invalid("status", "a session can be marked held only once it has started"));
    }
    ensure_person(&tx, actor, patch.host_id.map(Uuid::from), "host_id").await?;
    ensure_person(&tx, actor, patch.recorder_id.map(Uuid::from), "recorder_id").await?;
    let shift = held_at - row.held_at;
    let (opens, closes) = window(
        held_at,
        Some(patch.checkin_opens_at.unwrap_or(row.checkin_opens_at + shift)),
        Some(patch.checkin_closes_at.unwrap_or(row.checkin_closes_at + shift)),
    )?;
    let original = row.clone();
    let mut am: study_session::ActiveModel = row.into();
    if let Some(v) = patch.kind {
        am.kind = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.is_first_topic {
        am.is_first_topic = Set(v);
    }
    if let Some(v) = patch.topic {
        am.topic = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.place {
        am.place = Set(clean(Some(v)));
    }
    if let Some(v) = patch.host_id {
        am.host_person_id = Set(Some(v.0));
    }
    if let Some(v) = patch.recorder_id {
        am.recorder_person_id = Set(Some(v.0));
    }
    if let Some(v) = patch.minutes {
        am.minutes = Set(clean(Some(v)));
    }
    if let Some(v) = patch.status {
        am.status = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.checkin_mode {
        am.checkin_mode = Set(v.as_str().to_owned());
        if v == CheckinMode::Code && original.checkin_secret.is_none() {
            am.checkin_secret = Set(Some(new_secret()));
        }
    }
    if new_fence {
        am.latitude = Set(patch.latitude);
        am.longitude = Set(patch.longitude);
        am.radius_m = Set(patch.radius_m);
    } else if remove_fence {
        am.latitude = Set(None);
        am.longitude = Set(None);
        am.radius_m = Set(None);
    }
    am.held_at = Set(held_at);
    am.checkin_opens_at = Set(opens);
    am.checkin_closes_at = Set(closes);
    let same_materials = patch.material_document_ids.as_ref().is_none_or(|ids| {
        let mut seen = std::collections::HashSet::new();
        let listed: Vec<Id> = ids.iter().filter(|id| seen.insert(**id)).copied().collect();
        listed == before.material_document_ids
    });
    if same_materials && super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let model = am.update(&tx).await?;
    if let Some(ids) = &patch.material_document_ids {
        replace_materials(&tx, actor, id, ids).await?;
    }
    if model.kind != original.kind || super::day_of(model.held_at) != super::day_of(original.held_at) {
        // Another kind is for other people; another day may have another committee.
        super::rosters::resync_session(&tx, &model).await?;
    }
    let after = views_as(&tx, Some(actor), vec![model]).await?.remove(0);
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::study_session::Entity),
            id,
            Some(after.organization_id.0),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    index_for_search(&tx, &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// The roster of a session the actor may read, in roster order; only the entries with
/// `status` when given (`expected`: nobody recorded anything yet).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: Uuid,
    status: Option<AttendanceStatus>,
) -> AppResult<Vec<AttendanceView>> {
    find_readable(db, actor, session_id).await?;
    let mut roster = attendance_of(db, actor, &[session_id]).await?.remove(&session_id).unwrap_or_default();
    if let Some(status) = status {
        roster.retain(|a| a.status == status);
    }
    Ok(roster)
}

/// Roster entries by id, skipping those of sessions the actor may not read, with leave
/// reasons as [`attendance_of`] shows them (the changes feed). Two statements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance_by_ids<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<AttendanceView>> {
    let cond = Condition::all().add(attendance::Column::Id.is_in(super::bucketed(ids.iter().copied())));
    visible_entries(db, actor, entries_with_names(db, cond).await?).await
}

/// The roster entries of every session the actor may read, after `after` in id order,
/// at most `limit` (bulk export), with leave reasons as [`attendance_of`] shows them.
/// Two statements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance_batch<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<AttendanceView>> {
    let sessions =
        study_session::Entity::find().select_only().column(study_session::Column::Id).filter(readable(actor)?);
    let mut cond = Condition::all().add(attendance::Column::SessionId.in_subquery(sessions.into_query()));
    if let Some(after) = after {
        cond = cond.add(attendance::Column::Id.gt(after));
    }
    visible_entries(db, actor, entries_with_names_up_to(db, cond, Some(limit)).await?).await
}

/// Of roster entries, those of sessions the actor may read, with leave reasons only for
/// those who run or inspect the session and for the entry's own person (one statement).
async fn visible_entries<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    entries: Vec<AttendanceView>,
) -> AppResult<Vec<AttendanceView>> {
    if entries.is_empty() {
        return Ok(entries);
    }
    let sessions = super::bucketed(entries.iter().map(|e| e.session_id.0));
    let confidant: HashMap<Uuid, bool> = reasons_visible(db, actor, &sessions).await?.into_iter().collect();
    let own = actor.person_id();
    Ok(entries
        .into_iter()
        .filter_map(|mut view| {
            let sees_reasons = *confidant.get(&view.session_id.0)?;
            if !sees_reasons && own != Some(view.person_id.0) {
                view.reason = None;
            }
            Some(view)
        })
        .collect())
}

/// The ids among `ids` of sessions the actor may read (one statement).
async fn readable_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    Ok(study_session::Entity::find()
        .select_only()
        .column(study_session::Column::Id)
        .filter(study_session::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .into_tuple()
        .all(db)
        .await?)
}

/// Roster entries with their people's names (one statement).
async fn entries_with_names<C: ConnectionTrait>(db: &C, cond: Condition) -> AppResult<Vec<AttendanceView>> {
    entries_with_names_up_to(db, cond, None).await
}

/// [`entries_with_names`], at most `limit` of them.
async fn entries_with_names_up_to<C: ConnectionTrait>(
    db: &C,
    cond: Condition,
    limit: Option<u64>,
) -> AppResult<Vec<AttendanceView>> {
    attendance::Entity::find()
        .find_also_related(person::Entity)
        .filter(cond)
        .order_by_asc(attendance::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|(row, p)| AttendanceView::from_model(row, p.map(|p| p.name)))
        .collect()
}

/// The rosters of several sessions (DataLoader batch), skipping sessions the actor may
/// not read. Two statements whatever the number of sessions.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<AttendanceView>>> {
    let visible = reasons_visible(db, actor, session_ids).await?;
    let ids: Vec<Uuid> = visible.iter().map(|(id, _)| *id).collect();
    let confidants: std::collections::HashSet<Uuid> =
        visible.into_iter().filter(|(_, reasons)| *reasons).map(|(id, _)| id).collect();
    let own = actor.person_id();
    let mut map: HashMap<Uuid, Vec<AttendanceView>> = HashMap::new();
    for mut view in entries_with_names(db, Condition::all().add(attendance::Column::SessionId.is_in(ids))).await? {
        if !confidants.contains(&view.session_id.0) && own != Some(view.person_id.0) {
            view.reason = None;
        }
        map.entry(view.session_id.0).or_default().push(view);
    }
    Ok(map)
}

/// The sessions among `ids` the actor may read, each with whether they see everyone's
/// leave reasons (请假事由, personal): those they run (`SessionWrite` over the
/// organisation, the host, the recorder) or inspect (`ComplianceRead`). Anyone else who
/// reads a roster sees who is expected and who came, and only their own reason. One
/// statement.
async fn reasons_visible<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<(Uuid, bool)>> {
    let mut runs = Condition::any()
        .add(org_ref_in(study_session::Column::OrganizationId, &actor.scope(Permission::SessionWrite)))
        .add(org_ref_in(study_session::Column::OrganizationId, &actor.scope(Permission::ComplianceRead)));
    if let Some(me) = actor.person_id() {
        runs = runs.add(study_session::Column::HostPersonId.eq(me)).add(study_session::Column::RecorderPersonId.eq(me));
    }
    Ok(study_session::Entity::find()
        .select_only()
        .column(study_session::Column::Id)
        .expr(sea_orm::sea_query::Expr::case(runs, true).finally(false))
        .filter(study_session::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .into_tuple()
        .all(db)
        .await?)
}

/// Attendance counts of several sessions (DataLoader batch): one grouped statement;
/// sessions the actor may not read, or with an empty roster, are absent. Of held
/// sessions, the entries still `expected` are counted as `unmarked` too.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance_counts<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, AttendanceCounts>> {
    let visible = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::Id)
        .filter(study_session::Column::Id.is_in(session_ids.iter().copied()))
        .filter(readable(actor)?)
        .into_query();
    let rows: Vec<(Uuid, String, String, i64)> = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::SessionId)
        .column(study_session::Column::Status)
        .column(attendance::Column::Status)
        .column_as(attendance::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, attendance::Relation::Session.def())
        .filter(attendance::Column::SessionId.in_subquery(visible))
        .group_by(attendance::Column::SessionId)
        .group_by(study_session::Column::Status)
        .group_by(attendance::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, AttendanceCounts> = HashMap::new();
    for (sid, session_status, status, n) in rows {
        map.entry(sid).or_default().add_of(&session_status, &status, n);
    }
    Ok(map.into_iter().map(|(k, v)| (k, v.finish())).collect())
}

/// What one roster field of a session asks for: the entries with `status` (every
/// status when None), the first `first` of them in roster order (all when None).
/// `first = Some(0)` asks for the counts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RosterAsk {
    /// The session.
    pub session_id: Uuid,
    /// Only entries with this status.
    pub status: Option<AttendanceStatus>,
    /// At most this many entries.
    pub first: Option<u32>,
    /// Read each entry's person in the same statement ([`AttendanceView::person`]).
    pub with_person: bool,
}

/// The answer to a [`RosterAsk`]: the session's attendance counts and the entries asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosterSlice {
    /// Counts over the whole roster.
    pub counts: AttendanceCounts,
    /// The entries asked for, in roster order.
    pub entries: Vec<AttendanceView>,
}

/// The columns of a roster statement's rows, in order (read by position).
const ROSTER_COLUMNS: [&str; 14] = [
    "dj_k",
    "id",
    "session_id",
    "person_id",
    "status",
    "reason",
    "checked_in_at",
    "method",
    "updated_at",
    "version",
    "dj_person_name",
    "dj_session_status",
    "dj_confidant",
    "dj_n",
];

/// Rosters of several sessions for GraphQL (DataLoader batch): for every ask, the
/// session's counts and the entries it asks for (leave reasons as in
/// [`attendance_of`]); sessions the actor may not read are absent. **One statement**
/// whatever the number of sessions and asks: the counts (`GROUP BY`) `UNION ALL` the
/// entries asked for, cut to the first N per session in the database
/// (`ROW_NUMBER() OVER`, only when an ask has a `first`), so a page of 50 sessions
/// asking for "the number present and the first 10 present" reads 50 × 10 entries, not
/// every roster. When whole rosters are asked for with the entries' people
/// ([`RosterAsk::with_person`]), the same statement reads them (with whether the actor may read each one and the path
/// that decides their personal data), instead of one people-loader key per entry.
#[tracing::instrument(level = "debug", skip_all)]

pub async fn roster_slices<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    asks: &[RosterAsk],
) -> AppResult<HashMap<RosterAsk, RosterSlice>> {
    use sea_orm::sea_query::{
        Alias, CaseStatement, Expr, ExprTrait, JoinType as Join, Query, SelectStatement, UnionType,
    };
    if asks.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = super::bucketed(asks.iter().map(|a| a.session_id));
    let readable = readable(actor)?;
    let a = |c: attendance::Column| Expr::col((attendance::Entity, c));
    let null = || Expr::cust("NULL");
    let from_rosters = |q: &mut SelectStatement| {
        q.from(attendance::Entity)
            .join(
                Join::InnerJoin,
                study_session::Entity,
                Expr::col((study_session::Entity, study_session::Column::Id))
                    .equals((attendance::Entity, attendance::Column::SessionId)),
            )
            .and_where(a(attendance::Column::SessionId).is_in(ids.clone()))
            // The same list on the sessions' side: PostgreSQL does not carry an IN list
            // across the join, and without it hashed every session for a page of 50.
            .and_where(Expr::col((study_session::Entity, study_session::Column::Id)).is_in(ids.clone()))
            .cond_where(readable.clone());
    };
    // The counts: one row per (session, status).
    let mut select = Query::select();
    select
        .expr_as(Expr::val(1), Alias::new("dj_k"))
        .expr_as(null(), Alias::new("id"))
        .expr_as(a(attendance::Column::SessionId), Alias::new("session_id"))
        .expr_as(null(), Alias::new("person_id"))
        .expr_as(a(attendance::Column::Status), Alias::new("status"))
        .expr_as(null(), Alias::new("reason"))
        .expr_as(null(), Alias::new("checked_in_at"))
        .expr_as(null(), Alias::new("method"))
        .expr_as(null(), Alias::new("updated_at"))
        .expr_as(null(), Alias::new("version"))
        .expr_as(null(), Alias::new("dj_person_name"))
        .expr_as(Expr::col((study_session::Entity, study_session::Column::Status)), Alias::new("dj_session_status"))
        .expr_as(null(), Alias::new("dj_confidant"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("dj_n"));
    // Each entry's person, when an ask wants them and the actor may read people at all
    // (else the people loader answers, with its error): whether the actor may read them,
    // their organisation's path (for the personal-data rule) and their columns. Only for
    // whole rosters: under a `first` cut the join ran for every entry before the cut
    // (a page of sessions' first ten then cost the database far more), so those people
    // go through the loader.
    let whole_rosters = asks.iter().all(|k| k.first.is_none() || k.first == Some(0));
    let people_readable = if whole_rosters && asks.iter().any(|k| k.with_person && k.first != Some(0)) {
        super::people::readable(actor).ok()
    } else {
        None
    };
    let person_columns: Vec<(person::Column, Alias)> = if people_readable.is_some() {
        <person::Column as sea_orm::Iterable>::iter()
            .map(|c| (c, Alias::new(format!("dj_p_{}", sea_orm::IdenStatic::as_str(&c)))))
            .collect()
    } else {
        Vec::new()
    };
    let extra_columns: Vec<Alias> = if people_readable.is_some() {
        [Alias::new("dj_p_readable"), Alias::new("dj_p_org_path")]
            .into_iter()
            .chain(person_columns.iter().map(|(_, alias)| alias.clone()))
            .collect()
    } else {
        Vec::new()
    };
    for alias in &extra_columns {
        select.expr_as(null(), alias.clone());
    }
    from_rosters(&mut select);
    select
        .group_by_col((attendance::Entity, attendance::Column::SessionId))
        .group_by_col((study_session::Entity, study_session::Column::Status))
        .group_by_col((attendance::Entity, attendance::Column::Status));
    // The entries asked for, if any.
    let entry_asks: Vec<&RosterAsk> = asks.iter().filter(|k| k.first != Some(0)).collect();
    if !entry_asks.is_empty() {
        let mut runs = Condition::any()
            .add(org_ref_in(study_session::Column::OrganizationId, &actor.scope(Permission::SessionWrite)))
            .add(org_ref_in(study_session::Column::OrganizationId, &actor.scope(Permission::ComplianceRead)));
        if let Some(me) = actor.person_id() {
            runs = runs
                .add(study_session::Column::HostPersonId.eq(me))
                .add(study_session::Column::RecorderPersonId.eq(me));
        }
        let by_status = entry_asks.iter().any(|k| k.status.is_some() && k.first.is_some());
        let overall = entry_asks.iter().any(|k| k.status.is_none() && k.first.is_some());
        let cut = by_status || overall;
        // Under a cut the names are joined after it, to the entries kept only.
        let name = if cut { null() } else { Expr::col((person::Entity, person::Column::Name)) };
        let person_of = |q: &mut SelectStatement, attendance_person: Expr| {
            q.join(
                Join::LeftJoin,
                person::Entity,
                Expr::col((person::Entity, person::Column::Id)).eq(attendance_person),
            );
        };
        let mut inner = Query::select();
        inner
            .expr_as(Expr::val(0), Alias::new("dj_k"))
            .expr_as(a(attendance::Column::Id), Alias::new("id"))
            .expr_as(a(attendance::Column::SessionId), Alias::new("session_id"))
            .expr_as(a(attendance::Column::PersonId), Alias::new("person_id"))
            .expr_as(a(attendance::Column::Status), Alias::new("status"))
            .expr_as(a(attendance::Column::Reason), Alias::new("reason"))
            .expr_as(a(attendance::Column::CheckedInAt), Alias::new("checked_in_at"))
            .expr_as(a(attendance::Column::Method), Alias::new("method"))
            .expr_as(a(attendance::Column::UpdatedAt), Alias::new("updated_at"))
            .expr_as(a(attendance::Column::Version), Alias::new("version"))
            .expr_as(name, Alias::new("dj_person_name"))
            .expr_as(Expr::col((study_session::Entity, study_session::Column::Status)), Alias::new("dj_session_status"))
            .expr_as(CaseStatement::new().case(runs, 1).finally(0), Alias::new("dj_confidant"))
            .expr_as(Expr::val(0i64), Alias::new("dj_n"));
        if !cut {
            person_of(&mut inner, a(attendance::Column::PersonId));
        }
        if let Some(readable_people) = &people_readable {
            let org = Alias::new("dj_po");
            inner
                .expr_as(CaseStatement::new().case(readable_people.clone(), 1).finally(0), Alias::new("dj_p_readable"))
                .expr_as(Expr::col((org.clone(), organization::Column::Path)), Alias::new("dj_p_org_path"));
            for (column, alias) in &person_columns {
                inner.expr_as(Expr::col((person::Entity, *column)), alias.clone());
            }
            inner.join_as(
                Join::LeftJoin,
                organization::Entity,
                org.clone(),
                Expr::col((org.clone(), organization::Column::Id))
                    .equals((person::Entity, person::Column::OrganizationId)),
            );
        }
        if by_status {
            inner.expr_as(
                Expr::cust(
                    r#"ROW_NUMBER() OVER (PARTITION BY "attendance"."session_id", "attendance"."status" ORDER BY "attendance"."id")"#,
                ),
                Alias::new("dj_rn_status"),
            );
        }
        if overall {
            inner.expr_as(
                Expr::cust(r#"ROW_NUMBER() OVER (PARTITION BY "attendance"."session_id" ORDER BY "attendance"."id")"#),
                Alias::new("dj_rn_all"),
            );
        }
        from_rosters(&mut inner);
        // Only the statuses asked for, unless some ask wants every status.
        if entry_asks.iter().all(|k| k.status.is_some()) {
            let mut statuses: Vec<&str> = entry_asks.iter().filter_map(|k| k.status.map(|s| s.as_str())).collect();
            statuses.sort_unstable();
            statuses.dedup();
            inner.and_where(a(attendance::Column::Status).is_in(statuses));
        }
        let entries = if cut {
            let t = Alias::new("dj_t");
            let tcol = |name: &str| Expr::col((t.clone(), Alias::new(name)));
            let mut kinds: Vec<(Option<AttendanceStatus>, Option<u32>)> =
                entry_asks.iter().map(|k| (k.status, k.first)).collect();
            kinds.sort_unstable();
            kinds.dedup();
            let mut wanted = Condition::any();
            for (status, first) in kinds {
                let mut c = Condition::all();
                if let Some(s) = status {
                    c = c.add(tcol("status").eq(s.as_str()));
                }
                match (status, first) {
                    (Some(_), Some(n)) => c = c.add(tcol("dj_rn_status").lte(i64::from(n))),
                    (None, Some(n)) => c = c.add(tcol("dj_rn_all").lte(i64::from(n))),
                    (_, None) => {}
                }
                wanted = wanted.add(c);
            }
            let mut outer = Query::select();
            for column in ROSTER_COLUMNS {
                if column == "dj_person_name" {
                    outer.expr_as(Expr::col((person::Entity, person::Column::Name)), Alias::new(column));
                } else {
                    outer.column((t.clone(), Alias::new(column)));
                }
            }
            for alias in &extra_columns {
                outer.column((t.clone(), alias.clone()));
            }
            outer.from_subquery(inner, t.clone()).cond_where(wanted);
            person_of(&mut outer, tcol("person_id"));
            outer
        } else {
            inner
        };
        select.union(UnionType::All, entries);
    }
    let own = actor.person_id();
    let mut counts: HashMap<Uuid, AttendanceCounts> = HashMap::new();
    let mut rows: HashMap<Uuid, Vec<AttendanceView>> = HashMap::new();
    let personal_data = people_readable.as_ref().map(|_| super::people::PersonalData::of(actor));
    // Read by position: every branch of the UNION lists the columns in the order of
    // ROSTER_COLUMNS (dj_k 0, id 1, session_id 2, person_id 3, status 4, reason 5,
    // checked_in_at 6, method 7, updated_at 8, version 9, dj_person_name 10,
    // dj_session_status 11, dj_confidant 12, dj_n 13).
    for row in db.query_all(&select).await? {
        let kind: i32 = entity::fast::cell_at(&row, 0)?;
        let session_id: Uuid = entity::fast::cell_at(&row, 2)?;
        let status: String = entity::fast::cell_at(&row, 4)?;
        if kind == 1 {
            let session_status: String = entity::fast::cell_at(&row, 11)?;
            let n: i64 = entity::fast::cell_at(&row, 13)?;
            counts.entry(session_id).or_default().add_of(&session_status, &status, n);
            continue;
        }
        let person_id: Uuid = entity::fast::cell_at(&row, 3)?;
        let confidant: i32 = entity::fast::cell_at(&row, 12)?;
        let reason: Option<String> = entity::fast::cell_at(&row, 5)?;
        let view = AttendanceView {
            id: Id(entity::fast::cell_at(&row, 1)?),
            session_id: Id(session_id),
            person_id: Id(person_id),
            person_name: entity::fast::cell_at(&row, 10)?,
            status: AttendanceStatus::from_db(&status)?,
            reason: if confidant == 0 && own != Some(person_id) { None } else { reason },
            checked_in_at: entity::fast::cell_at(&row, 6)?,
            method: entity::fast::cell_at(&row, 7)?,
            updated_at: entity::fast::cell_at(&row, 8)?,
            version: entity::fast::cell_at(&row, 9)?,
            person: match &personal_data {
                None => None,
                // After them: dj_p_readable 14, dj_p_org_path 15, the person's columns.
                Some(rule) => Some(if entity::fast::cell_at::<i32>(&row, 14)? == 1 {
                    let path: Option<String> = entity::fast::cell_at(&row, 15)?;
                    let model = <person::Model as entity::fast::FastModel>::from_cells_at(&row, 16)?;
                    Some(Box::new(rule.view(model, path.as_deref())?))
                } else {
                    None
                }),
            },
        };
        rows.entry(session_id).or_default().push(view);
    }
    let mut out: HashMap<RosterAsk, RosterSlice> = HashMap::new();
    for ask in asks {
        let Some(c) = counts.get(&ask.session_id) else { continue };
        let mut entries: Vec<AttendanceView> = match ask.first {
            Some(0) => Vec::new(),
            _ => rows
                .get(&ask.session_id)
                .into_iter()
                .flatten()
                .filter(|v| ask.status.is_none_or(|s| v.status == s))
                .cloned()
                .collect(),
        };
        entries.sort_by_key(|v| v.id.0);
        if let Some(n) = ask.first {
            entries.truncate(n as usize);
        }
        out.insert(*ask, RosterSlice { counts: c.clone().finish(), entries });
    }
    Ok(out)
}

/// Attendance counts of one session the actor may read (else NOT_FOUND).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn session_attendance_counts<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: Uuid,
) -> AppResult<AttendanceCounts> {
    find_readable(db, actor, session_id).await?;
    Ok(attendance_counts(db, actor, &[session_id]).await?.remove(&session_id).unwrap_or_default())
}

async fn record_attendance(
    tx: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    action: &str,
    session: &study_session::Model,
    row: attendance::Model,
    am: attendance::ActiveModel,
) -> AppResult<AttendanceView> {
    let name: Option<String> = person::Entity::find_by_id(row.person_id)
        .select_only()
        .column(person::Column::Name)
        .into_tuple()
        .one(tx)
        .await?;
    let before = AttendanceView::from_model(row, name.clone())?;
    let after = AttendanceView::from_model(am.update(tx).await?, name)?;
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            crate::services::audit::entity_name(entity::attendance::Entity),
            after.id.0,
            Some(session.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    Ok(after)
}

/// What a self check-in sends: the code the host shows (sessions in mode `code`) and
/// where the caller is (sessions with a geofence). An empty body is fine for a session
/// in mode `open` without a geofence.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInInput {
    /// The 6-digit check-in code the host shows (required in mode `code`); the
    /// current and the previous code (30-second steps) are accepted.
    #[schema(pattern = r"^[0-9]{6}$")]
    pub code: Option<String>,
    /// Where you are: latitude (WGS 84 degrees, −90 to 90); with `longitude`.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Where you are: longitude (WGS 84 degrees, −180 to 180); with `latitude`.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

/// The mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The great-circle distance in metres between two WGS 84 positions (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// HMAC-SHA-256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// The HOTP value (RFC 4226, with HMAC-SHA-256 as RFC 6238 allows) of `counter`,
/// `digits` long.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let mac = hmac_sha256(key, &counter.to_be_bytes());
    let offset = (mac[31] & 0x0f) as usize;
    let bin = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    bin % 10u32.pow(digits)
}

/// The time step (RFC 6238) of an instant.
fn code_step(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(CODE_STEP_SECONDS)
}

/// The check-in code of a session secret (hex) at a time step.
fn code_at(secret_hex: &str, step: i64) -> AppResult<String> {
    let key = hex::decode(secret_hex).map_err(AppError::internal)?;
    Ok(format!("{:0width$}", hotp(&key, step as u64, CODE_DIGITS), width = CODE_DIGITS as usize))
}

/// Whether `code` is the session's code of the current or the previous time step.
fn code_matches(secret_hex: &str, now: DateTime<Utc>, code: &str) -> AppResult<bool> {
    use subtle::ConstantTimeEq;
    let step = code_step(now);
    let code = code.trim();
    let mut ok = false;
    for s in [step, step - 1] {
        ok |= bool::from(code_at(secret_hex, s)?.as_bytes().ct_eq(code.as_bytes()));
    }
    Ok(ok)
}

/// The check-in code to show (or to put in a QR code) at a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "CheckInCode")]
pub struct CheckInCode {
    /// The 6-digit code.
    pub code: String,
    /// When the next code replaces it (UTC); it is still accepted for one more step.
    pub expires_at: DateTime<Utc>,
    /// Seconds between codes (30).
    pub step_seconds: i32,
    /// What a phone scans: `dangjian:checkin:<session id>:<code>`.
    pub qr_payload: String,
}

/// The current check-in code of a session in mode `code`: for its host, its recorder or
/// someone holding `SessionWrite` over its organisation (else FORBIDDEN; a session the
/// actor may not read is NOT_FOUND). Another mode, or a cancelled session, is CONFLICT.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_in_code<C: ConnectionTrait>(db: &C, actor: &Actor, session_id: Uuid) -> AppResult<CheckInCode> {
    let session = find_readable(db, actor, session_id).await?;
    let own = actor.person_id();
    let organiser = own.is_some() && (own == session.host_person_id || own == session.recorder_person_id);
    if !organiser && !may_write(db, actor, session.organization_id).await? {
        return Err(AppError::forbidden(
            "only the host, the recorder or an organisation administrator may show the check-in code",
        ));
    }
    if session.status == SessionStatus::Cancelled.as_str() {
        return Err(AppError::Conflict("the session was cancelled".into()));
    }
    let secret = match (CheckinMode::from_db(&session.checkin_mode)?, session.checkin_secret.as_deref()) {
        (CheckinMode::Code, Some(secret)) => secret,
        _ => return Err(AppError::Conflict("this session does not use check-in codes".into())),
    };
    let step = code_step(super::now());
    let code = code_at(secret, step)?;
    let expires_at = DateTime::from_timestamp((step + 1) * CODE_STEP_SECONDS, 0).unwrap_or_default();
    Ok(CheckInCode {
        qr_payload: format!("dangjian:checkin:{session_id}:{code}"),
        code,
        expires_at,
        step_seconds: CODE_STEP_SECONDS as i32,
    })
}

/// Checks the caller in: only a person on the roster (else FORBIDDEN), not at a session
/// in mode `recorder_only` (FORBIDDEN), only inside the check-in window (else
/// VALIDATION on `check_in_window`, naming the window in the configured time zone),
/// only once (else CONFLICT). In mode `code` the current (or previous) code is needed
/// (else VALIDATION on `code`); with a geofence a position within its radius (else
/// VALIDATION on `latitude`). Later than `held_at` + 15 minutes records `late`. The
/// entry records the method (`code` or `self`) and the position sent.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_in(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    time_zone: chrono_tz::Tz,
    input: CheckInInput,
) -> AppResult<AttendanceView> {
    actor.require(Permission::SessionRead)?;
    Validator::new()
        .check(input.latitude.is_none_or(|v| (-90.0..=90.0).contains(&v)), "latitude", "must be between -90 and 90")
        .check(
            input.longitude.is_none_or(|v| (-180.0..=180.0).contains(&v)),
            "longitude",
            "must be between -180 and 180",
        )
        .check(
            input.latitude.is_some() == input.longitude.is_some(),
            "longitude",
            "latitude and longitude are sent together",
        )
        .finish()?;
    let tx = write_tx(db).await?;
    let session = find_readable(&tx, actor, session_id).await?;
    let Some(own) = actor.person_id() else {
        return Err(AppError::forbidden("only people on the roster can check in"));
    };
    let row = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(session_id))
        .filter(attendance::Column::PersonId.eq(own))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::forbidden("you are not on this session's roster"))?;
    let mode = CheckinMode::from_db(&session.checkin_mode)?;
    if mode == CheckinMode::RecorderOnly {
        return Err(AppError::forbidden("this session takes no self check-in: the recorder marks attendance"));
    }
    if session.status == SessionStatus::Cancelled.as_str() {
        return Err(AppError::Conflict("the session was cancelled".into()));
    }
    if matches!(AttendanceStatus::from_db(&row.status)?, AttendanceStatus::Present | AttendanceStatus::Late) {
        return Err(AppError::Conflict("you have already checked in".into()));
    }
    let now = super::now();
    if now < session.checkin_opens_at || now > session.checkin_closes_at {
        return Err(AppError::invalid(
            "check_in_window",
            format!(
                "check-in is open from {} to {} ({})",
                session.checkin_opens_at.with_timezone(&time_zone).format("%Y-%m-%d %H:%M"),
                session.checkin_closes_at.with_timezone(&time_zone).format("%Y-%m-%d %H:%M"),
                time_zone.name()
            ),
        ));
    }
    let method = match (mode, session.checkin_secret.as_deref()) {
        (CheckinMode::Code, Some(secret)) => {
            let Some(code) = input.code.as_deref().filter(|c| !c.trim().is_empty()) else {
                return Err(AppError::invalid("code", "is required: enter the code the host shows"));
            };
            if row.checkin_failures >= MAX_CODE_FAILURES {
                return Err(AppError::Conflict(
                    "too many wrong check-in codes: ask the recorder to mark your attendance".into(),
                ));
            }
            if !code_matches(secret, now, code)? {
                // Counted, so that six digits cannot be guessed in the window: after
                // MAX_CODE_FAILURES wrong codes only the recorder can mark this person.
                let mut fail: attendance::ActiveModel = row.clone().into();
                fail.checkin_failures = Set(row.checkin_failures + 1);
                fail.update(&tx).await?;
                tx.commit().await?;
                return Err(AppError::invalid("code", "the check-in code is wrong or has expired"));
            }
            "code"
        }
        (CheckinMode::Code, None) => {
            return Err(AppError::Conflict("this session has no check-in code: ask the recorder".into()));
        }
        _ => "self",
    };
    if let (Some(lat), Some(lon), Some(radius)) = (session.latitude, session.longitude, session.radius_m) {
        let (Some(at_lat), Some(at_lon)) = (input.latitude, input.longitude) else {
            return Err(AppError::invalid(
                "latitude",
                "this session checks where you are: send your latitude and longitude",
            ));
        };
        let distance = distance_m(lat, lon, at_lat, at_lon);
        if distance > f64::from(radius) {
            return Err(AppError::invalid(
                "latitude",
                format!(
                    "you are {} m from the meeting place; check-in is allowed within {} m",
                    distance.round() as i64,
                    radius
                ),
            ));
        }
    }
    let late = now > session.held_at + Duration::minutes(LATE_AFTER_MINUTES);
    let status = if late { AttendanceStatus::Late } else { AttendanceStatus::Present };
    let mut am: attendance::ActiveModel = row.clone().into();
    am.status = Set(status.as_str().to_owned());
    am.reason = Set(None);
    am.checked_in_at = Set(Some(now));
    am.method = Set(Some(method.into()));
    am.latitude = Set(input.latitude);
    am.longitude = Set(input.longitude);
    am.updated_at = Set(now);
    am.version = Set(row.version + 1);
    let view = record_attendance(&tx, actor, "check_in", &session, row, am).await?;
    tx.commit().await?;
    Ok(view)
}

/// Whether the actor may mark a session's attendance: its recorder, or someone
/// holding `SessionWrite` over its organisation.
async fn may_mark<C: ConnectionTrait>(db: &C, actor: &Actor, session: &study_session::Model) -> AppResult<()> {
    let is_recorder = actor.person_id().is_some() && actor.person_id() == session.recorder_person_id;
    if !is_recorder && !may_write(db, actor, session.organization_id).await? {
        return Err(AppError::forbidden("only the recorder or an organisation administrator may mark attendance"));
    }
    Ok(())
}

/// Marks one roster entry: the session's recorder, or someone holding `SessionWrite`
/// over its organisation (else FORBIDDEN). `leave` needs a reason. A person not on the
/// roster is NOT_FOUND. `expected_version` must match the entry's version.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_attendance(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    person_id: Uuid,
    expected_version: i32,
    input: MarkAttendance,
) -> AppResult<AttendanceView> {
    actor.require(Permission::SessionRead)?;
    let reason = clean(input.reason);
    Validator::new()
        .check(input.status != AttendanceStatus::Leave || reason.is_some(), "reason", "is required for leave")
        .check(reason.as_deref().is_none_or(|r| r.chars().count() <= 500), "reason", "must be at most 500 characters")
        .finish()?;
    let tx = write_tx(db).await?;
    let session = find_readable(&tx, actor, session_id).await?;
    may_mark(&tx, actor, &session).await?;
    let row = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(session_id))
        .filter(attendance::Column::PersonId.eq(person_id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(AppError::NotFound)?;
    super::check_version(row.version, expected_version)?;
    if session.status == SessionStatus::Cancelled.as_str() {
        return Err(AppError::Conflict("the session was cancelled".into()));
    }
    let now = super::now();
    let mut am: attendance::ActiveModel = row.clone().into();
    let attended = matches!(input.status, AttendanceStatus::Present | AttendanceStatus::Late);
    am.status = Set(input.status.as_str().to_owned());
    am.reason = Set(reason);
    am.checked_in_at = Set(if attended { row.checked_in_at.or(Some(now)) } else { None });
    am.method = Set(Some("recorder".into()));
    am.updated_at = Set(now);
    am.version = Set(row.version + 1);
    let view = record_attendance(&tx, actor, "mark", &session, row, am).await?;
    tx.commit().await?;
    Ok(view)
}

/// One entry of a bulk attendance mark.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "BulkAttendanceEntryInput")]
pub struct BulkEntry {
    /// The person (on the roster).
    pub person_id: Id,
    /// The new status.
    pub status: AttendanceStatus,
    /// Reason: required (not blank) for `leave` (up to 500 characters).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Marks many roster entries at once: the listed entries, then (with `rest`) everyone
/// still `expected`. At least one of the two.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "MarkAttendanceBulkInput")]
pub struct BulkAttendance {
    /// Entries to mark (at most 500, each person once).
    #[schema(max_items = 500)]
    #[serde(default)]
    #[graphql(default)]
    pub entries: Vec<BulkEntry>,
    /// How to mark everyone not listed and still `expected` ("the rest"): `present` or
    /// `absent`.
    pub rest: Option<RemainingStatus>,
}

/// What a bulk attendance mark did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "BulkAttendanceResult")]
pub struct BulkAttendanceResult {
    /// The session (id).
    pub session_id: Id,
    /// Entries this call changed (an entry listed with the status and reason it already
    /// had is not changed).
    pub changed: i64,
    /// The session's attendance counts afterwards.
    pub counts: AttendanceCounts,
    /// The roster afterwards, in roster order.
    pub roster: Vec<AttendanceView>,
}

/// A bulk mark's status and reason: the entries sharing them are set by one statement.
type MarkKey = (AttendanceStatus, Option<String>);

/// Marks many roster entries in one transaction (same permission as
/// [`mark_attendance`]; no versions: the last mark wins). Entries are grouped by
/// status and reason: one statement per group, whatever the number of people; the
/// rest in one more. One audit record on the session lists every changed entry before
/// and after. A person not on the roster is VALIDATION on `entries[i].person_id`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_attendance_bulk(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    input: BulkAttendance,
) -> AppResult<BulkAttendanceResult> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    actor.require(Permission::SessionRead)?;
    let mut v = Validator::new();
    v.check(!input.entries.is_empty() || input.rest.is_some(), "entries", "list entries, give rest, or both").check(
        input.entries.len() <= MAX_BULK_ENTRIES,
        "entries",
        "must list at most 500 entries",
    );
    let entries: Vec<(Uuid, AttendanceStatus, Option<String>)> =
        input.entries.into_iter().map(|e| (e.person_id.0, e.status, clean(e.reason))).collect();
    let mut seen = std::collections::HashSet::new();
    for (i, (person, status, reason)) in entries.iter().enumerate() {
        v.check(
            *status != AttendanceStatus::Leave || reason.is_some(),
            &format!("entries[{i}].reason"),
            "is required for leave",
        )
        .check(
            reason.as_deref().is_none_or(|r| r.chars().count() <= 500),
            &format!("entries[{i}].reason"),
            "must be at most 500 characters",
        )
        .check(seen.insert(*person), &format!("entries[{i}].person_id"), "is listed twice");
    }
    v.finish()?;
    let tx = write_tx(db).await?;
    let session = find_readable(&tx, actor, session_id).await?;
    may_mark(&tx, actor, &session).await?;
    if session.status == SessionStatus::Cancelled.as_str() {
        return Err(AppError::Conflict("the session was cancelled".into()));
    }
    let rows: HashMap<Uuid, attendance::Model> = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(session_id))
        .lock_exclusive()
        .all(&tx)
        .await?
        .into_iter()
        .map(|r| (r.person_id, r))
        .collect();
    let mut v = Validator::new();
    for (i, (person, _, _)) in entries.iter().enumerate() {
        v.check(rows.contains_key(person), &format!("entries[{i}].person_id"), "is not on this session's roster");
    }
    v.finish()?;
    // (status, reason) → entry ids; the entries that change.
    let mut groups: Vec<(MarkKey, Vec<Uuid>)> = Vec::new();
    let mut changed: Vec<&attendance::Model> = Vec::new();
    for (person, status, reason) in &entries {
        let row = &rows[person];
        if row.status == status.as_str() && row.reason == *reason {
            continue;
        }
        changed.push(row);
        let key = (*status, reason.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ids)) => ids.push(row.id),
            None => groups.push((key, vec![row.id])),
        }
    }
    if let Some(rest) = input.rest {
        let rest_status = match rest {
            RemainingStatus::Present => AttendanceStatus::Present,
            RemainingStatus::Absent => AttendanceStatus::Absent,
        };
        let mut ids = Vec::new();
        for row in rows.values() {
            if row.status == AttendanceStatus::Expected.as_str() && !seen.contains(&row.person_id) {
                changed.push(row);
                ids.push(row.id);
            }
        }
        if !ids.is_empty() {
            groups.push(((rest_status, None), ids));
        }
    }
    let now = super::now();
    for ((status, reason), ids) in &groups {
        let attended = matches!(status, AttendanceStatus::Present | AttendanceStatus::Late);
        let checked_in: Expr = if attended {
            Func::coalesce([Expr::col(attendance::Column::CheckedInAt), Expr::value(now)]).into()
        } else {
            Expr::value(Option::<DateTime<Utc>>::None)
        };
        attendance::Entity::update_many()
            .col_expr(attendance::Column::Status, Expr::value(status.as_str()))
            .col_expr(attendance::Column::Reason, Expr::value(reason.clone()))
            .col_expr(attendance::Column::CheckedInAt, checked_in)
            .col_expr(attendance::Column::Method, Expr::value("recorder"))
            .col_expr(attendance::Column::UpdatedAt, Expr::value(now))
            .col_expr(attendance::Column::Version, Expr::col(attendance::Column::Version).add(1))
            .filter(attendance::Column::Id.is_in(ids.iter().copied()))
            .exec(&tx)
            .await?;
    }
    let roster = entries_with_names(&tx, Condition::all().add(attendance::Column::SessionId.eq(session_id))).await?;
    if !changed.is_empty() {
        let changed_ids: std::collections::HashSet<Uuid> = changed.iter().map(|r| r.id).collect();
        let before: Vec<AttendanceView> =
            changed.iter().map(|r| AttendanceView::from_model((*r).clone(), None)).collect::<AppResult<_>>()?;
        let after: Vec<&AttendanceView> = roster.iter().filter(|a| changed_ids.contains(&a.id.0)).collect();
        audit::record(
            &tx,
            actor,
            Change {
                action: "mark_attendance_bulk",
                entity: crate::services::audit::entity_name(entity::study_session::Entity),
                entity_id: session_id,
                organization_id: Some(session.organization_id),
                before: audit::snapshot(&serde_json::json!({ "attendance": before }))?,
                after: audit::snapshot(&serde_json::json!({ "attendance": after }))?,
            },
        )
        .await?;
    }
    tx.commit().await?;
    let mut counts = AttendanceCounts::default();
    for a in &roster {
        counts.add_of(&session.status, a.status.as_str(), 1);
    }
    Ok(BulkAttendanceResult {
        session_id: Id(session_id),
        changed: changed.len() as i64,
        counts: counts.finish(),
        roster,
    })
}

fn start_of_day(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// The UTC instants `[from 00:00, to + 1 00:00)` of a date range judged in `tz`;
/// VALIDATION when `to` is before `from` or the range is longer than `max_days`.
pub(crate) fn day_range(
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    max_days: i64,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    if to < from {
        return Err(AppError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= max_days {
        return Err(AppError::invalid("to", format!("the range may span at most {max_days} days")));
    }
    let end = to.succ_opt().ok_or_else(|| AppError::invalid("to", "out of range"))?;
    Ok((start_of_day(tz, from), start_of_day(tz, end)))
}

/// Attendance of the held sessions of an organisation's subtree whose `held_at` falls
/// on a day `from..=to` (in `tz`), in total and per organisation. Two grouped statements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance_rate<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: Tz,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<AttendanceRateReport> {
    let scope = actor.require(Permission::SessionRead)?;
    let (start, end) = day_range(tz, from, to, 366 * 5)?;
    let org = find_in_scope(db, &scope, organization_id).await?;
    let sessions_cond = Condition::all()
        .add(study_session::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))))
        .add(study_session::Column::Status.eq(SessionStatus::Held.as_str()))
        .add(study_session::Column::HeldAt.gte(start))
        .add(study_session::Column::HeldAt.lt(end));
    let session_rows: Vec<(Uuid, i64)> = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::OrganizationId)
        .column_as(study_session::Column::Id.count(), "n")
        .filter(sessions_cond.clone())
        .group_by(study_session::Column::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    let count_rows: Vec<(Uuid, String, i64)> = attendance::Entity::find()
        .select_only()
        .column(study_session::Column::OrganizationId)
        .column(attendance::Column::Status)
        .column_as(attendance::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, attendance::Relation::Session.def())
        .filter(sessions_cond)
        .group_by(study_session::Column::OrganizationId)
        .group_by(attendance::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut per_org: HashMap<Uuid, AttendanceCounts> = HashMap::new();
    let mut total = AttendanceCounts::default();
    for (org_id, status, n) in count_rows {
        // Only held sessions are counted: whoever is still `expected` is unmarked.
        per_org.entry(org_id).or_default().add_of(SessionStatus::Held.as_str(), &status, n);
        total.add_of(SessionStatus::Held.as_str(), &status, n);
    }
    let mut by_organization: Vec<OrgAttendanceRate> = session_rows
        .iter()
        .map(|(org_id, n)| OrgAttendanceRate {
            organization_id: Id(*org_id),
            sessions: *n,
            counts: per_org.remove(org_id).unwrap_or_default().finish(),
        })
        .collect();
    by_organization.sort_by_key(|r| r.organization_id);
    Ok(AttendanceRateReport {
        organization_id: org.id.into(),
        from,
        to,
        sessions: session_rows.iter().map(|(_, n)| n).sum(),
        counts: total.finish(),
        by_organization,
    })
}

/// Attendance counts of one person over sessions that took place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "PersonalAttendanceCounts")]
pub struct PersonalCounts {
    /// Sessions counted (not cancelled, started, on the roster).
    pub sessions: i64,
    /// Attended: present or late.
    pub attended: i64,
    /// Of the attended, late.
    pub late: i64,
    /// Missed: absent without leave.
    pub missed: i64,
    /// On leave (请假): excused, not a miss.
    pub on_leave: i64,
    /// Nothing recorded although the session took place: reported apart, neither
    /// attended nor missed.
    pub unmarked: i64,
    /// `attended / (sessions − on_leave − unmarked)`, 0–1: leave is excused and
    /// unmarked sessions are left out (reported in `unmarked`); null when 0.
    pub rate: Option<f64>,
}

impl PersonalCounts {
    fn add(&mut self, status: &str) {
        self.sessions += 1;
        match status {
            "present" => self.attended += 1,
            "late" => {
                self.attended += 1;
                self.late += 1;
            }
            "leave" => self.on_leave += 1,
            "absent" => self.missed += 1,
            _ => self.unmarked += 1,
        }
    }

    fn finish(mut self) -> Self {
        let denominator = self.sessions - self.on_leave - self.unmarked;
        self.rate = (denominator > 0).then(|| self.attended as f64 / denominator as f64);
        self
    }
}

/// One month of a person's attendance.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MonthlyAttendance")]
pub struct MonthAttendance {
    /// The month, `YYYY-MM`, in the configured time zone.
    pub month: String,
    /// Counts of the sessions held that month.
    pub counts: PersonalCounts,
}

/// One of the caller's roster entries, with its session.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MyAttendanceEntry")]
pub struct MyAttendanceEntry {
    /// The session (id).
    pub session_id: Id,
    /// Its topic.
    pub topic: String,
    /// Its kind.
    pub kind: SessionKind,
    /// When it was held (UTC).
    pub held_at: DateTime<Utc>,
    /// Its status (`planned` while nobody has marked it held yet).
    pub session_status: SessionStatus,
    /// The organisation holding it (id).
    pub organization_id: Id,
    /// The organisation's name.
    pub organization_name: String,
    /// Your attendance.
    pub status: AttendanceStatus,
    /// Reason (of leave).
    pub reason: Option<String>,
    /// When you checked in or were marked present / late (UTC).
    pub checked_in_at: Option<DateTime<Utc>>,
    /// How it was recorded: `code`, `self` or `recorder`.
    pub method: Option<String>,
}

impl MyAttendanceEntry {
    /// The cursor key of an entry (its session's `held_at`, latest first).
    pub fn key(entry: &MyAttendanceEntry) -> (i64, Uuid) {
        (entry.held_at.timestamp_micros(), entry.session_id.0)
    }
}

/// "My party life": the caller's attendance over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MyAttendance")]
pub struct MyAttendance {
    /// First day (configured time zone).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Counts over the period.
    pub totals: PersonalCounts,
    /// Counts per month with sessions, oldest first.
    pub by_month: Vec<MonthAttendance>,
    /// One page of the entries, latest session first.
    pub entries: Vec<MyAttendanceEntry>,
    /// Cursor of the next page of entries (REST `cursor`, GraphQL `after`); null on the
    /// last page.
    pub next_cursor: Option<String>,
}

/// The sessions that count for a person's attendance over `[start, end)`: not
/// cancelled, already started, whose roster `own` is on.
fn my_sessions(own: Uuid, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(study_session::Column::Status.ne(SessionStatus::Cancelled.as_str()))
        .add(study_session::Column::HeldAt.gte(start))
        .add(study_session::Column::HeldAt.lt(end))
        .add(study_session::Column::HeldAt.lte(now))
        .add(
            study_session::Column::Id.in_subquery(
                attendance::Entity::find()
                    .select_only()
                    .column(attendance::Column::SessionId)
                    .filter(attendance::Column::PersonId.eq(own))
                    .into_query(),
            ),
        )
}

/// The caller's attendance ("my party life") over the days `from..=to` in `tz`
/// (defaults: today, and the first of January of `to`'s year; at most 1830 days):
/// totals, per month, and a keyset page of the entries, latest first. Sessions count
/// once they started and unless cancelled. Four statements. Only people have
/// attendance (else FORBIDDEN).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_attendance<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    page: PageRequest,
) -> AppResult<MyAttendance> {
    let Some(own) = actor.person_id() else {
        return Err(AppError::forbidden("only people have attendance records"));
    };
    let now = super::now();
    let to = to.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
    let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(chrono::Datelike::year(&to), 1, 1).unwrap_or(to));
    let (start, end) = day_range(tz, from, to, 366 * 5)?;
    let sessions = my_sessions(own, start, end, now);
    let rows: Vec<(DateTime<Utc>, String)> = attendance::Entity::find()
        .select_only()
        .column(study_session::Column::HeldAt)
        .column(attendance::Column::Status)
        .join(JoinType::InnerJoin, attendance::Relation::Session.def())
        .filter(attendance::Column::PersonId.eq(own))
        .filter(sessions.clone())
        .into_tuple()
        .all(db)
        .await?;
    let mut totals = PersonalCounts::default();
    let mut months: std::collections::BTreeMap<String, PersonalCounts> = std::collections::BTreeMap::new();
    for (held_at, status) in &rows {
        totals.add(status);
        months.entry(held_at.with_timezone(&tz).format("%Y-%m").to_string()).or_default().add(status);
    }
    let (sessions_page, _) = keyset_sorted::<_, study_session::Entity, DateTime<Utc>>(
        db,
        sessions,
        (study_session::Column::HeldAt, Direction::Descending),
        DateTime::from_timestamp_micros,
        study_session::Column::Id,
        page,
    )
    .await?;
    let ids: Vec<Uuid> = sessions_page.iter().map(|s| s.id).collect();
    let mine: HashMap<Uuid, attendance::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        attendance::Entity::find()
            .filter(attendance::Column::PersonId.eq(own))
            .filter(attendance::Column::SessionId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.session_id, a))
            .collect()
    };
    let names = org_names(db, sessions_page.iter().map(|s| s.organization_id).collect()).await?;
    let mut entries = Vec::with_capacity(sessions_page.len());
    for s in sessions_page {
        let Some(a) = mine.get(&s.id) else { continue };
        entries.push(MyAttendanceEntry {
            session_id: Id(s.id),
            topic: s.topic,
            kind: SessionKind::from_db(&s.kind)?,
            held_at: s.held_at,
            session_status: SessionStatus::from_db(&s.status)?,
            organization_id: Id(s.organization_id),
            organization_name: names.get(Some(s.organization_id)).unwrap_or_default(),
            status: AttendanceStatus::from_db(&a.status)?,
            reason: a.reason.clone(),
            checked_in_at: a.checked_in_at,
            method: a.method.clone(),
        });
    }
    let page = Page::from_sorted_rows(entries, page, MyAttendanceEntry::key, None);
    Ok(MyAttendance {
        from,
        to,
        totals: totals.finish(),
        by_month: months.into_iter().map(|(month, c)| MonthAttendance { month, counts: c.finish() }).collect(),
        entries: page.items,
        next_cursor: page.next_cursor,
    })
}

/// The planned sessions whose roster the caller is on and that are still ahead (start
/// now or later) or open for check-in, soonest first: at most `limit` (1–50, default
/// 20; else VALIDATION naming `limit_field`). Only people have sessions to attend
/// (else FORBIDDEN). Three statements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_upcoming_sessions<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    limit: Option<i64>,
    limit_field: &str,
) -> AppResult<Vec<SessionView>> {
    let limit = match limit {
        None => 20,
        Some(n) if (1..=MAX_UPCOMING as i64).contains(&n) => n as u64,
        Some(_) => return Err(AppError::invalid(limit_field, "must be between 1 and 50")),
    };
    let Some(own) = actor.person_id() else {
        return Err(AppError::forbidden("only people have sessions to attend"));
    };
    let now = super::now();
    let rows = study_session::Entity::find()
        .filter(study_session::Column::Status.eq(SessionStatus::Planned.as_str()))
        .filter(
            Condition::any()
                .add(study_session::Column::HeldAt.gte(now))
                .add(study_session::Column::CheckinClosesAt.gte(now)),
        )
        .filter(
            study_session::Column::Id.in_subquery(
                attendance::Entity::find()
                    .select_only()
                    .column(attendance::Column::SessionId)
                    .filter(attendance::Column::PersonId.eq(own))
                    .into_query(),
            ),
        )
        .order_by_asc(study_session::Column::HeldAt)
        .order_by_asc(study_session::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views_as(db, Some(actor), rows).await
}

async fn statement_views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<session_statement::Model>,
) -> AppResult<Vec<StatementView>> {
    let authors: Vec<Uuid> = rows.iter().map(|r| r.person_id).collect();
    let leaders: HashMap<Uuid, bool> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::IsLeadership)
        .filter(person::Column::Id.is_in(authors))
        .into_tuple::<(Uuid, bool)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| StatementView {
            author_is_leadership: leaders.get(&r.person_id).copied().unwrap_or(false),
            id: r.id.into(),
            session_id: r.session_id.into(),
            person_id: r.person_id.into(),
            text: r.text,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
        .collect())
}

/// The statements of a session the actor may read: leadership-team members first,
/// then in the order written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn statements<C: ConnectionTrait>(db: &C, actor: &Actor, session_id: Uuid) -> AppResult<Vec<StatementView>> {
    find_readable(db, actor, session_id).await?;
    Ok(statements_of(db, actor, &[session_id]).await?.remove(&session_id).unwrap_or_default())
}

/// The statements of several sessions (DataLoader batch), leaders first within each
/// session, skipping sessions the actor may not read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn statements_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<StatementView>>> {
    let ids = readable_ids(db, actor, session_ids).await?;
    let rows = session_statement::Entity::find()
        .filter(session_statement::Column::SessionId.is_in(ids))
        .order_by_asc(session_statement::Column::Id)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<StatementView>> = HashMap::new();
    for view in statement_views(db, rows).await? {
        map.entry(view.session_id.0).or_default().push(view);
    }
    for views in map.values_mut() {
        // Stable: within each group the creation (id) order stays.
        views.sort_by_key(|s| !s.author_is_leadership);
    }
    Ok(map)
}

fn validate_statement(text: &str) -> AppResult<()> {
    Validator::new().text(text, "text", 5000).finish()
}

/// Writes the caller's own statement on a session whose roster they are on (else
/// FORBIDDEN); a cancelled session takes none (CONFLICT).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_statement(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    input: StatementInput,
) -> AppResult<StatementView> {
    actor.require(Permission::SessionRead)?;
    validate_statement(&input.text)?;
    let tx = write_tx(db).await?;
    let session = find_readable(&tx, actor, session_id).await?;
    let on_roster = match actor.person_id() {
        Some(own) => {
            attendance::Entity::find()
                .filter(attendance::Column::SessionId.eq(session_id))
                .filter(attendance::Column::PersonId.eq(own))
                .count(&tx)
                .await?
                > 0
        }
        None => false,
    };
    let Some(own) = actor.person_id().filter(|_| on_roster) else {
        return Err(AppError::forbidden("only people on the roster may write statements"));
    };
    if session.status == SessionStatus::Cancelled.as_str() {
        return Err(AppError::Conflict("the session was cancelled".into()));
    }
    let now = super::now();
    let model = session_statement::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        person_id: Set(own),
        text: Set(input.text.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let view = statement_views(&tx, vec![model]).await?.remove(0);
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::session_statement::Entity),
            view.id.0,
            Some(session.organization_id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Edits the caller's own statement (someone else's is FORBIDDEN).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_statement(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    statement_id: Uuid,
    expected_version: i32,
    input: StatementInput,
) -> AppResult<StatementView> {
    actor.require(Permission::SessionRead)?;
    validate_statement(&input.text)?;
    let tx = write_tx(db).await?;
    let session = find_readable(&tx, actor, session_id).await?;
    let row = session_statement::Entity::find_by_id(statement_id)
        .filter(session_statement::Column::SessionId.eq(session_id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if actor.person_id() != Some(row.person_id) {
        return Err(AppError::forbidden("you may edit only your own statements"));
    }
    super::check_version(row.version, expected_version)?;
    let before = statement_views(&tx, vec![row.clone()]).await?.remove(0);
    let original = row.clone();
    let mut am: session_statement::ActiveModel = row.into();
    am.text = Set(input.text.trim().to_owned());
    if super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let after = statement_views(&tx, vec![am.update(&tx).await?]).await?.remove(0);
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::session_statement::Entity),
            statement_id,
            Some(session.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

// ---------------------------------------------------------------------------------
// Roster edits by the organiser (who is on a roster in the first place: `rosters`).

/// A guest to add to a session's roster.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "SessionGuestInput")]
pub struct GuestInput {
    /// The person invited (列席).
    pub person_id: Id,
}

/// A roster entry the organiser added or removed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "RosterEntry")]
pub struct RosterEntryView {
    /// The session.
    pub session_id: Id,
    /// The person.
    pub person_id: Id,
    /// Whether the person is a guest (列席) rather than on the roster by the rule.
    pub guest: bool,
}

/// Adds a guest (列席) to a planned session's roster: someone holding `SessionWrite`
/// over the session's organisation, for a person they may read. CONFLICT when already
/// on the roster or when the session is no longer planned.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_guest(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    person_id: Uuid,
) -> AppResult<RosterEntryView> {
    let tx = write_tx(db).await?;
    let session = find_writable(&tx, actor, session_id).await?;
    super::people::ensure_readable(&tx, actor, person_id, "person_id").await?;
    if session.status != SessionStatus::Planned.as_str() {
        return Err(AppError::Conflict("the roster can change only while the session is planned".into()));
    }
    let exists = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(session_id))
        .filter(attendance::Column::PersonId.eq(person_id))
        .one(&tx)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict("this person is already on the roster".into()));
    }
    let row = super::rosters::entry(session_id, person_id, true).insert(&tx).await?;
    let view = RosterEntryView { session_id: Id(session_id), person_id: Id(person_id), guest: true };
    audit::record(
        &tx,
        actor,
        Change::of(
            "add_guest",
            audit::entity_name(entity::attendance::Entity),
            row.id,
            Some(session.organization_id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Takes someone off a planned session's roster (a guest, or someone the rule put there
/// who will not be expected): `SessionWrite` over the session's organisation. NOT_FOUND
/// when not on the roster; CONFLICT when the entry is already marked or the session is
/// no longer planned.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove_entry(db: &DatabaseConnection, actor: &Actor, session_id: Uuid, person_id: Uuid) -> AppResult<()> {
    let tx = write_tx(db).await?;
    let session = find_writable(&tx, actor, session_id).await?;
    let row = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(session_id))
        .filter(attendance::Column::PersonId.eq(person_id))
        .one(&tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if session.status != SessionStatus::Planned.as_str() {
        return Err(AppError::Conflict("the roster can change only while the session is planned".into()));
    }
    if row.status != AttendanceStatus::Expected.as_str() {
        return Err(AppError::Conflict("this person's attendance is already recorded".into()));
    }
    let before = RosterEntryView { session_id: Id(session_id), person_id: Id(person_id), guest: row.guest };
    attendance::Entity::delete_by_id(row.id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "remove_from_roster",
            audit::entity_name(entity::attendance::Entity),
            row.id,
            Some(session.organization_id),
            Some(&before),
            None::<&RosterEntryView>,
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_transitions() {
        use SessionStatus::*;
        assert!(Planned.may_become(Held));
        assert!(Planned.may_become(Cancelled));
        assert!(!Held.may_become(Planned));
        assert!(!Held.may_become(Cancelled));
        assert!(!Cancelled.may_become(Held));
    }

    #[test]
    fn rate_excludes_leave_from_the_denominator() {
        let mut c = AttendanceCounts::default();
        c.add("present", 3);
        c.add("late", 1);
        c.add("leave", 2);
        c.add("absent", 2);
        c.add_of("held", "expected", 2);
        let c = c.finish();
        assert_eq!(c.roster, 10);
        assert_eq!((c.expected, c.unmarked), (2, 2));
        assert_eq!(c.rate, Some(0.5));
        assert_eq!(AttendanceCounts::default().finish().rate, None);
    }

    #[test]
    fn check_in_codes_follow_rfc_6238() {
        // RFC 6238 appendix B, HMAC-SHA-256 with its 32-byte key, 8 digits.
        let key = b"12345678901234567890123456789012";
        for (t, expected) in [
            (59u64, 46119246u32),
            (1111111109, 68084774),
            (1111111111, 67062674),
            (1234567890, 91819424),
            (2000000000, 90698825),
            (20000000000, 77737706),
        ] {
            assert_eq!(hotp(key, t / 30, 8), expected, "T = {t}");
        }
        // Six digits are the last six; the current and the previous step are accepted.
        let secret = hex::encode(key);
        let at = DateTime::from_timestamp(1111111111, 0).unwrap();
        assert_eq!(code_at(&secret, code_step(at)).unwrap(), "062674");
        assert!(code_matches(&secret, at, "062674").unwrap());
        assert!(code_matches(&secret, at + Duration::seconds(30), "062674").unwrap());
        assert!(!code_matches(&secret, at + Duration::seconds(60), "062674").unwrap());
        assert!(!code_matches(&secret, at, "").unwrap());
    }

    #[test]
    fn distances_are_great_circle_metres() {
        assert!(distance_m(31.2304, 121.4737, 31.2304, 121.4737) < 0.001);
        // One degree of latitude is about 111.2 km.
        let d = distance_m(30.0, 120.0, 31.0, 120.0);
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
        // 0.001° of latitude ≈ 111 m.
        let d = distance_m(31.2304, 121.4737, 31.2314, 121.4737);
        assert!((d - 111.2).abs() < 1.0, "{d}");
    }

    #[test]
    fn personal_rate_leaves_out_leave_and_unmarked() {
        let mut c = PersonalCounts::default();
        for s in ["present", "late", "absent", "leave", "expected"] {
            c.add(s);
        }
        let c = c.finish();
        assert_eq!((c.sessions, c.attended, c.late, c.missed, c.on_leave, c.unmarked), (5, 2, 1, 1, 1, 1));
        assert_eq!(c.rate, Some(2.0 / 3.0));
    }

    #[test]
    fn day_range_is_judged_in_the_time_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let (s, e) = day_range(chrono_tz::Asia::Shanghai, d, d, 10).unwrap();
        assert_eq!(s.to_rfc3339(), "2026-02-28T16:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2026-03-01T16:00:00+00:00");
        assert!(day_range(chrono_tz::Asia::Shanghai, d, d.pred_opt().unwrap(), 10).is_err());
    }
}
