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
use super::scope::find_in_scope;
use super::scope::org_for_write;
use super::scope::{org_ids_query, org_ref_in, subtree};
use super::types::{Id, text_enum};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{attendance, organization, person, session_material, session_statement, study_session};

text_enum! {
    /// Kind of a study session.
    SessionKind {
        /// 党委会: party committee meeting.
        PartyCommittee => "party_committee",
        /// 理论学习中心组: central study group.
        CentralGroup => "central_group",
        /// 支部党员大会: branch general meeting.
        BranchGeneralMeeting => "branch_general_meeting",
        /// 支委会: branch committee meeting.
        BranchCommittee => "branch_committee",
        /// 党小组会: party group meeting.
        GroupMeeting => "group_meeting",
        /// 党课: party lecture.
        PartyLecture => "party_lecture",
        /// 主题党日: theme party day.
        ThemeDay => "theme_day",
    }
}

impl SessionKind {
    /// Committee kinds, whose meetings must open with the first topic.
    pub const COMMITTEE: [SessionKind; 3] =
        [SessionKind::PartyCommittee, SessionKind::CentralGroup, SessionKind::BranchCommittee];
}

text_enum! {
    /// Status of a study session: `planned` → `held` or `cancelled` (both final).
    SessionStatus {
        /// Scheduled.
        Planned => "planned",
        /// Took place.
        Held => "held",
        /// Called off.
        Cancelled => "cancelled",
    }
}

impl SessionStatus {
    /// Whether the status may change to `next` (the same status is not a change).
    pub fn may_become(self, next: SessionStatus) -> bool {
        self == next || (self == SessionStatus::Planned && next != SessionStatus::Planned)
    }
}

text_enum! {
    /// Attendance of one person at one session.
    AttendanceStatus {
        /// On the roster, nothing recorded yet.
        Expected => "expected",
        /// Present (checked in by held_at + 15 minutes).
        Present => "present",
        /// Came late (checked in after held_at + 15 minutes).
        Late => "late",
        /// Excused (请假), with a reason.
        Leave => "leave",
        /// Absent without leave.
        Absent => "absent",
    }
}

/// Minutes before `held_at` the check-in window opens by default.
pub const CHECKIN_OPENS_BEFORE_MINUTES: i64 = 30;
/// Minutes after `held_at` the check-in window closes by default.
pub const CHECKIN_CLOSES_AFTER_MINUTES: i64 = 120;
/// A check-in later than `held_at` plus these minutes is recorded as `late`.
pub const LATE_AFTER_MINUTES: i64 = 15;
/// Most materials a session may list.
pub const MAX_MATERIALS: usize = 50;

/// A study session (第一议题学习).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
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
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: the ETag in REST, `expectedVersion` in GraphQL when changing.
    pub version: i32,
}

impl SessionView {
    fn from_model(m: study_session::Model, materials: Vec<Uuid>) -> AppResult<Self> {
        Ok(SessionView {
            kind: SessionKind::from_db(&m.kind)?,
            status: SessionStatus::from_db(&m.status)?,
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

/// A new study session. Its roster is filled with every person whose primary
/// organisation holds it.
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
    /// Status.
    pub status: AttendanceStatus,
    /// Reason (required for `leave`).
    pub reason: Option<String>,
    /// When the person checked in or was marked present / late (UTC).
    pub checked_in_at: Option<DateTime<Utc>>,
    /// How it was recorded: `self` (check-in) or `recorder`.
    pub method: Option<String>,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the roster entry's ETag in REST).
    pub version: i32,
}

impl AttendanceView {
    fn from_model(m: attendance::Model) -> AppResult<Self> {
        Ok(AttendanceView {
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
/// when the denominator is 0.
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
    /// `(present + late) / (roster − leave)`, 0–1; null when nobody is expected.
    pub rate: Option<f64>,
}

impl AttendanceCounts {
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

/// Keeps a session's topic and minutes in the search index (cancelled sessions leave it).
async fn index_for_search<C: ConnectionTrait>(db: &C, view: &SessionView) -> AppResult<()> {
    if view.status == SessionStatus::Cancelled {
        super::search::remove(db, SEARCH_ENTITY, view.id.0).await
    } else {
        super::search::index(db, SEARCH_ENTITY, view.id.0, &view.topic, view.minutes.as_deref().unwrap_or("")).await
    }
}

/// The sessions the actor may read: `SessionRead` scope, plus rosters they are on.
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
    Ok(cond)
}

/// Loads a session the actor may read, or NOT_FOUND.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_readable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<study_session::Model> {
    study_session::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

/// Whether the actor holds `SessionWrite` over the session's organisation.
async fn may_write<C: ConnectionTrait>(db: &C, actor: &Actor, org_id: Uuid) -> AppResult<bool> {
    let write = actor.scope(Permission::SessionWrite);
    let org = organization::Entity::find_by_id(org_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(write.contains_path(&org.path))
}

/// Loads and locks a session the actor may change: NOT_FOUND when not readable,
/// FORBIDDEN when readable but outside the write scope.
async fn find_writable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<study_session::Model> {
    actor.require(Permission::SessionWrite)?;
    find_readable(db, actor, id).await?;
    let s = study_session::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    if !may_write(db, actor, s.organization_id).await? {
        return Err(AppError::forbidden("this session is outside the subtree you manage"));
    }
    Ok(s)
}

async fn materials_of<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut map: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    for m in session_material::Entity::find()
        .filter(session_material::Column::SessionId.is_in(ids.iter().copied()))
        .order_by_asc(session_material::Column::Position)
        .order_by_asc(session_material::Column::DocumentId)
        .all(db)
        .await?
    {
        map.entry(m.session_id).or_default().push(m.document_id);
    }
    Ok(map)
}

/// Views of sessions, with their materials in one more statement.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn views<C: ConnectionTrait>(db: &C, rows: Vec<study_session::Model>) -> AppResult<Vec<SessionView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut materials = materials_of(db, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let m = materials.remove(&r.id).unwrap_or_default();
            SessionView::from_model(r, m)
        })
        .collect()
}

/// One session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<SessionView> {
    let row = find_readable(db, actor, id).await?;
    Ok(views(db, vec![row]).await?.remove(0))
}

/// Several sessions by id, skipping those the actor may not read (DataLoader batch).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<SessionView>> {
    let rows = study_session::Entity::find()
        .filter(study_session::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .all(db)
        .await?;
    views(db, rows).await
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
    if let Some(org_id) = filter.organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
        cond = cond.add(study_session::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
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
        let items = views(db, rows).await?;
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
    let items = views(db, rows).await?;
    Ok(Page::from_sorted_rows(items, page, SessionSort::key, total))
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

/// The check-in window: the given bounds or the defaults around `held_at`.
fn window(
    held_at: DateTime<Utc>,
    opens: Option<DateTime<Utc>>,
    closes: Option<DateTime<Utc>>,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
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

/// Plans a session in an organisation the actor manages and fills its roster with
/// every person whose primary organisation it is (status `expected`).
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
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    replace_materials(&tx, actor, id, &input.material_document_ids).await?;
    let members: Vec<Uuid> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::OrganizationId.eq(org.id))
        .order_by_asc(person::Column::Id)
        .into_tuple()
        .all(&tx)
        .await?;
    let roster: Vec<attendance::ActiveModel> = members
        .iter()
        .map(|pid| attendance::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(id),
            person_id: Set(*pid),
            status: Set(AttendanceStatus::Expected.as_str().to_owned()),
            reason: Set(None),
            checked_in_at: Set(None),
            method: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .collect();
    if !roster.is_empty() {
        attendance::Entity::insert_many(roster).exec(&tx).await?;
    }
    let view = views(&tx, vec![model]).await?.remove(0);
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
/// `cancelled` (else CONFLICT). A new `held_at` without an explicit window moves the
/// window by the same amount.
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
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    let before = views(&tx, vec![row.clone()]).await?.remove(0);
    if let Some(next) = patch.status
        && !before.status.may_become(next)
    {
        return Err(AppError::Conflict(format!(
            "a {} session cannot become {}",
            before.status.as_str(),
            next.as_str()
        )));
    }
    ensure_person(&tx, actor, patch.host_id.map(Uuid::from), "host_id").await?;
    ensure_person(&tx, actor, patch.recorder_id.map(Uuid::from), "recorder_id").await?;
    let held_at = patch.held_at.unwrap_or(row.held_at);
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
    let after = views(&tx, vec![model]).await?.remove(0);
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

/// The roster of a session the actor may read, in roster order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance<C: ConnectionTrait>(db: &C, actor: &Actor, session_id: Uuid) -> AppResult<Vec<AttendanceView>> {
    find_readable(db, actor, session_id).await?;
    Ok(attendance_of(db, actor, &[session_id]).await?.remove(&session_id).unwrap_or_default())
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

/// The rosters of several sessions (DataLoader batch), skipping sessions the actor may
/// not read. Two statements whatever the number of sessions.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attendance_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<AttendanceView>>> {
    let ids = readable_ids(db, actor, session_ids).await?;
    let mut map: HashMap<Uuid, Vec<AttendanceView>> = HashMap::new();
    for row in attendance::Entity::find()
        .filter(attendance::Column::SessionId.is_in(ids))
        .order_by_asc(attendance::Column::Id)
        .all(db)
        .await?
    {
        map.entry(row.session_id).or_default().push(AttendanceView::from_model(row)?);
    }
    Ok(map)
}

/// Attendance counts of several sessions (DataLoader batch): one grouped statement;
/// sessions the actor may not read, or with an empty roster, are absent.
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
    let rows: Vec<(Uuid, String, i64)> = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::SessionId)
        .column(attendance::Column::Status)
        .column_as(attendance::Column::Id.count(), "n")
        .filter(attendance::Column::SessionId.in_subquery(visible))
        .group_by(attendance::Column::SessionId)
        .group_by(attendance::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, AttendanceCounts> = HashMap::new();
    for (sid, status, n) in rows {
        map.entry(sid).or_default().add(&status, n);
    }
    Ok(map.into_iter().map(|(k, v)| (k, v.finish())).collect())
}

async fn record_attendance(
    tx: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    action: &str,
    session: &study_session::Model,
    row: attendance::Model,
    am: attendance::ActiveModel,
) -> AppResult<AttendanceView> {
    let before = AttendanceView::from_model(row)?;
    let after = AttendanceView::from_model(am.update(tx).await?)?;
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

/// Checks the caller in: only a person on the roster (else FORBIDDEN), only inside the
/// check-in window (else VALIDATION on `check_in_window`, naming the window in the
/// configured time zone), only once (else CONFLICT).
/// Later than `held_at` + 15 minutes records `late`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_in(
    db: &DatabaseConnection,
    actor: &Actor,
    session_id: Uuid,
    time_zone: chrono_tz::Tz,
) -> AppResult<AttendanceView> {
    actor.require(Permission::SessionRead)?;
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
    let late = now > session.held_at + Duration::minutes(LATE_AFTER_MINUTES);
    let status = if late { AttendanceStatus::Late } else { AttendanceStatus::Present };
    let mut am: attendance::ActiveModel = row.clone().into();
    am.status = Set(status.as_str().to_owned());
    am.reason = Set(None);
    am.checked_in_at = Set(Some(now));
    am.method = Set(Some("self".into()));
    am.updated_at = Set(now);
    am.version = Set(row.version + 1);
    let view = record_attendance(&tx, actor, "check_in", &session, row, am).await?;
    tx.commit().await?;
    Ok(view)
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
    let is_recorder = actor.person_id().is_some() && actor.person_id() == session.recorder_person_id;
    if !is_recorder && !may_write(&tx, actor, session.organization_id).await? {
        return Err(AppError::forbidden("only the recorder or an organisation administrator may mark attendance"));
    }
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
        per_org.entry(org_id).or_default().add(&status, n);
        total.add(&status, n);
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
        c.add("expected", 2);
        let c = c.finish();
        assert_eq!(c.roster, 10);
        assert_eq!(c.rate, Some(0.5));
        assert_eq!(AttendanceCounts::default().finish().rate, None);
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
