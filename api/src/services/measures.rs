//! Implementation measures (贯彻落实措施): actions decided to carry out what was studied
//! (or found by supervision, or set by a campaign), their owners, due dates, status and
//! progress updates.
//!
//! Visibility: measures of organisations in the actor's `SessionRead` scope, plus the
//! measures the actor owns. Managers (`MeasureManage` over the organisation) create,
//! change and delete; an owner changes the status of their own measure and posts
//! progress updates. "Overdue" is judged on `today` in the configured time zone.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attachment_meta::{AttachmentView, OwnerKind};
use super::audit::{self, Change};
use super::clean;
use super::pagination::{Direction, KeyOrder, Page, PageRequest, keyset, keyset_sorted};
use super::scope::find_in_scope;
use super::scope::org_for_write;
use super::scope::{org_ids_query, org_ref_in, subtree};
use super::types::{Id, text_enum};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{measure, measure_update, organization};

text_enum! {
    /// Where a measure comes from.
    SourceKind {
        /// A study session.
        Session => "session",
        /// A supervision item (巡察整改).
        SupervisionItem => "supervision_item",
        /// A campaign (e.g. 科技创新年).
        Campaign => "campaign",
    }
}

text_enum! {
    /// Status of a measure.
    MeasureStatus {
        /// Not started.
        Todo => "todo",
        /// Being worked on.
        InProgress => "in_progress",
        /// Done (final).
        Done => "done",
        /// Dropped (final).
        Cancelled => "cancelled",
    }
}

impl MeasureStatus {
    /// Allowed changes: todo → in_progress | cancelled; in_progress → done | cancelled |
    /// todo. The same status is not a change.
    pub fn may_become(self, next: MeasureStatus) -> bool {
        use MeasureStatus::*;
        self == next
            || matches!((self, next), (Todo, InProgress) | (Todo, Cancelled) | (InProgress, Done | Cancelled | Todo))
    }

    /// Whether the measure is still open (may become overdue).
    pub fn is_open(self) -> bool {
        matches!(self, MeasureStatus::Todo | MeasureStatus::InProgress)
    }
}

/// An implementation measure (贯彻落实措施).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Measure", complex)]
pub struct MeasureView {
    /// Id (UUID v7).
    pub id: Id,
    /// Kind of source.
    pub source_kind: SourceKind,
    /// The source's id (a study session, supervision item or campaign).
    pub source_id: Id,
    /// The organisation responsible (id).
    pub organization_id: Id,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Owner (person id).
    pub owner_id: Id,
    /// Owner's name (REST answers; GraphQL has `owner`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// Due date.
    pub due_on: NaiveDate,
    /// Status.
    pub status: MeasureStatus,
    /// Date it was done.
    pub completed_on: Option<NaiveDate>,
    /// Past due (`due_on` before today in the configured time zone) and still open.
    pub overdue: bool,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl MeasureView {
    fn from_model(m: measure::Model, today: NaiveDate) -> AppResult<Self> {
        let status = MeasureStatus::from_db(&m.status)?;
        Ok(MeasureView {
            source_kind: SourceKind::from_db(&m.source_kind)?,
            overdue: status.is_open() && m.due_on < today,
            status,
            id: m.id.into(),
            source_id: m.source_id.into(),
            organization_id: m.organization_id.into(),
            title: m.title,
            description: m.description,
            owner_id: m.owner_person_id.into(),
            owner_name: None,
            due_on: m.due_on,
            completed_on: m.completed_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new measure.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateMeasureInput")]
pub struct NewMeasure {
    /// Kind of source.
    pub source_kind: SourceKind,
    /// The source's id (a session must be one you can read).
    pub source_id: Id,
    /// The organisation responsible (one you manage).
    pub organization_id: Id,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Description (up to 5000 characters).
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Owner (person id).
    pub owner_id: Id,
    /// Due date.
    pub due_on: NaiveDate,
}

/// Changes to a measure: only the fields present change. Owners who do not manage the
/// organisation may change only `status`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateMeasureInput")]
pub struct MeasurePatch {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Description (up to 5000 characters; empty clears it).
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Owner (person id).
    pub owner_id: Option<Id>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Status (see the allowed transitions; others are CONFLICT).
    pub status: Option<MeasureStatus>,
}

impl MeasurePatch {
    fn touches_more_than_status(&self) -> bool {
        self.title.is_some() || self.description.is_some() || self.owner_id.is_some() || self.due_on.is_some()
    }
}

/// Filters of [`list`] and [`mine`].
#[derive(Debug, Clone, Default)]
pub struct MeasureFilter {
    /// Only measures of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this owner.
    pub owner_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<MeasureStatus>,
    /// Only overdue (true) or not overdue (false) measures.
    pub overdue: Option<bool>,
    /// Only this kind of source.
    pub source_kind: Option<SourceKind>,
    /// Only this source.
    pub source_id: Option<Uuid>,
    /// The order of the list (creation order when absent).
    pub sort: Option<MeasureSort>,
}

/// The orders a list of measures can have (REST: `due_on`, `-due_on` for the latest
/// deadline first; GraphQL: `DUE_ON`, `DUE_ON_DESCENDING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema, async_graphql::Enum)]
pub enum MeasureSort {
    /// Earliest deadline first.
    #[serde(rename = "due_on")]
    DueOn,
    /// Latest deadline first.
    #[serde(rename = "-due_on")]
    DueOnDescending,
}

impl MeasureSort {
    /// The cursor key of a measure in this order (its deadline as a day number).
    pub fn key(m: &MeasureView) -> (i64, Uuid) {
        (i64::from(chrono::Datelike::num_days_from_ce(&m.due_on)), m.id.0)
    }
}

/// A progress update on a measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MeasureUpdate", complex)]
pub struct MeasureUpdateView {
    /// Id.
    pub id: Id,
    /// The measure (id).
    pub measure_id: Id,
    /// Author (person id), if the author is a person.
    #[graphql(skip)]
    pub author_person_id: Option<Uuid>,
    /// Author's account.
    #[graphql(skip)]
    pub author_user_id: Option<Uuid>,
    /// Author's name, if the author is a person (REST answers; GraphQL has `author`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// Text.
    pub text: String,
    /// Status before, when the update changed it.
    pub status_from: Option<MeasureStatus>,
    /// Status after, when the update changed it.
    pub status_to: Option<MeasureStatus>,
    /// Written at (UTC).
    pub created_at: DateTime<Utc>,
    /// Evidence attached to the update (metadata; download from each `download_url`),
    /// oldest first (REST answers; GraphQL has the `attachments` field).
    #[graphql(skip)]
    pub attachments: Vec<AttachmentView>,
}

impl MeasureUpdateView {
    fn from_model(m: measure_update::Model) -> AppResult<Self> {
        Ok(MeasureUpdateView {
            status_from: m.status_from.as_deref().map(MeasureStatus::from_db).transpose()?,
            status_to: m.status_to.as_deref().map(MeasureStatus::from_db).transpose()?,
            id: m.id.into(),
            measure_id: m.measure_id.into(),
            author_person_id: m.author_person_id,
            author_user_id: m.author_user_id,
            author_name: None,
            text: m.text,
            created_at: m.created_at,
            attachments: Vec::new(),
        })
    }
}

/// A progress update, optionally changing the measure's status.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "AddMeasureUpdateInput")]
pub struct NewMeasureUpdate {
    /// What was done (1–2000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 2000)]
    pub text: String,
    /// A status change to make with it.
    pub status: Option<MeasureStatus>,
}

/// The measures the actor may read: `SessionRead` scope, plus their own.
fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.scope(Permission::SessionRead);
    let mut cond = Condition::any().add(org_ref_in(measure::Column::OrganizationId, &scope));
    if let Some(own) = actor.person_id() {
        cond = cond.add(measure::Column::OwnerPersonId.eq(own));
    } else if scope == Scope::None {
        return Err(AppError::forbidden("your role does not allow reading measures"));
    }
    Ok(cond)
}

/// Overdue on `today`: open and past due.
fn overdue_cond(today: NaiveDate) -> Condition {
    Condition::all()
        .add(measure::Column::DueOn.lt(today))
        .add(measure::Column::Status.is_in([MeasureStatus::Todo.as_str(), MeasureStatus::InProgress.as_str()]))
}

async fn find_readable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<measure::Model> {
    measure::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

async fn may_manage<C: ConnectionTrait>(db: &C, actor: &Actor, org_id: Uuid) -> AppResult<bool> {
    let scope = actor.scope(Permission::MeasureManage);
    if scope == Scope::None {
        return Ok(false);
    }
    let org = organization::Entity::find_by_id(org_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(scope.contains_path(&org.path))
}

/// One measure.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, today: NaiveDate, id: Uuid) -> AppResult<MeasureView> {
    let mut view = MeasureView::from_model(find_readable(db, actor, id).await?, today)?;
    with_owner_names(db, std::slice::from_mut(&mut view)).await?;
    Ok(view)
}

/// Fills in the owners' names of `views`: one statement.
async fn with_owner_names<C: ConnectionTrait>(db: &C, views: &mut [MeasureView]) -> AppResult<()> {
    let names = super::names::people(db, views.iter().map(|m| m.owner_id.0)).await?;
    for m in views {
        m.owner_name = names.get(&m.owner_id.0).cloned();
    }
    Ok(())
}

async fn page_of<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    mut cond: Condition,
    filter: &MeasureFilter,
    page: PageRequest,
) -> AppResult<Page<MeasureView>> {
    if let Some(owner) = filter.owner_id {
        cond = cond.add(measure::Column::OwnerPersonId.eq(owner));
    }
    if let Some(status) = filter.status {
        cond = cond.add(measure::Column::Status.eq(status.as_str()));
    }
    match filter.overdue {
        Some(true) => cond = cond.add(overdue_cond(today)),
        Some(false) => cond = cond.add(overdue_cond(today).not()),
        None => {}
    }
    if let Some(kind) = filter.source_kind {
        cond = cond.add(measure::Column::SourceKind.eq(kind.as_str()));
    }
    if let Some(source) = filter.source_id {
        cond = cond.add(measure::Column::SourceId.eq(source));
    }
    let Some(sort) = filter.sort else {
        let (rows, total) = keyset::<_, measure::Entity>(db, cond, measure::Column::Id, page, KeyOrder::Oldest).await?;
        let mut items = rows.into_iter().map(|m| MeasureView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
        with_owner_names(db, &mut items).await?;
        return Ok(Page::from_rows(items, page, |m| m.id.0, total));
    };
    let direction = match sort {
        MeasureSort::DueOn => Direction::Ascending,
        MeasureSort::DueOnDescending => Direction::Descending,
    };
    let (rows, total) = keyset_sorted::<_, measure::Entity, NaiveDate>(
        db,
        cond,
        (measure::Column::DueOn, direction),
        |days| i32::try_from(days).ok().and_then(NaiveDate::from_num_days_from_ce_opt),
        measure::Column::Id,
        page,
    )
    .await?;
    let mut items = rows.into_iter().map(|m| MeasureView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
    with_owner_names(db, &mut items).await?;
    Ok(Page::from_sorted_rows(items, page, MeasureSort::key, total))
}

/// A page of measures the actor may read, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &MeasureFilter,
    page: PageRequest,
) -> AppResult<Page<MeasureView>> {
    let mut cond = Condition::all().add(readable(actor)?);
    if let Some(org_id) = filter.organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
        cond = cond.add(measure::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
    }
    page_of(db, today, cond, filter, page).await
}

/// A page of the caller's own measures (the mobile app's list). FORBIDDEN for callers
/// that are not a person.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &MeasureFilter,
    page: PageRequest,
) -> AppResult<Page<MeasureView>> {
    let Some(own) = actor.person_id() else {
        return Err(AppError::forbidden("only people own measures"));
    };
    let filter = MeasureFilter { owner_id: None, organization_id: None, ..filter.clone() };
    page_of(db, today, Condition::all().add(measure::Column::OwnerPersonId.eq(own)), &filter, page).await
}

fn validate(title: Option<&str>, description: Option<&str>) -> AppResult<()> {
    Validator::new()
        .opt_text(title, "title", 200)
        .check(description.is_none_or(|d| d.chars().count() <= 5000), "description", "must be at most 5000 characters")
        .finish()
}

async fn ensure_owner<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<()> {
    super::people::ensure_readable(db, actor, id, "owner_id").await
}

fn transition(from: MeasureStatus, to: MeasureStatus) -> AppResult<()> {
    if from.may_become(to) {
        Ok(())
    } else {
        Err(AppError::Conflict(format!("a {} measure cannot become {}", from.as_str(), to.as_str())))
    }
}

async fn audit_measure<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&MeasureView>,
    after: Option<&MeasureView>,
) -> AppResult<()> {
    let Some(subject) = after.or(before) else { return Ok(()) };
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            crate::services::audit::entity_name(entity::measure::Entity),
            subject.id.0,
            Some(subject.organization_id.0),
            before,
            after,
        )?,
    )
    .await
}

/// Creates a measure in an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    input: NewMeasure,
) -> AppResult<MeasureView> {
    actor.require(Permission::MeasureManage)?;
    validate(Some(&input.title), input.description.as_deref())?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, input.organization_id.0, Permission::MeasureManage).await?;
    if input.source_kind == SourceKind::Session {
        super::study::find_readable(&tx, actor, input.source_id.0)
            .await
            .map_err(|_| AppError::invalid("source_id", "no such session"))?;
    }
    if input.source_kind == SourceKind::SupervisionItem {
        super::supervision::find_readable(&tx, actor, input.source_id.0)
            .await
            .map_err(|_| AppError::invalid("source_id", "no such supervision item"))?;
    }
    ensure_owner(&tx, actor, input.owner_id.0).await?;
    let now = super::now();
    let model = measure::ActiveModel {
        id: Set(Uuid::now_v7()),
        source_kind: Set(input.source_kind.as_str().to_owned()),
        source_id: Set(input.source_id.0),
        organization_id: Set(org.id),
        title: Set(input.title.trim().to_owned()),
        description: Set(clean(input.description)),
        owner_person_id: Set(input.owner_id.0),
        due_on: Set(input.due_on),
        status: Set(MeasureStatus::Todo.as_str().to_owned()),
        completed_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let mut view = MeasureView::from_model(model, today)?;
    audit_measure(&tx, actor, "create", None, Some(&view)).await?;
    with_owner_names(&tx, std::slice::from_mut(&mut view)).await?;
    tx.commit().await?;
    Ok(view)
}

/// Loads and locks a measure for a change by its owner or a manager: NOT_FOUND when not
/// readable, FORBIDDEN when neither. Returns the row and whether the actor manages it.
async fn find_changeable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<(measure::Model, bool)> {
    find_readable(db, actor, id).await?;
    let row = measure::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    let manages = may_manage(db, actor, row.organization_id).await?;
    if !manages && actor.person_id() != Some(row.owner_person_id) {
        return Err(AppError::forbidden("only the owner or an organisation administrator may change this measure"));
    }
    Ok((row, manages))
}

fn set_status(am: &mut measure::ActiveModel, status: MeasureStatus, today: NaiveDate) {
    am.status = Set(status.as_str().to_owned());
    am.completed_on = Set((status == MeasureStatus::Done).then_some(today));
}

/// Changes a measure: managers any field, its owner only the status.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    patch: MeasurePatch,
) -> AppResult<MeasureView> {
    validate(patch.title.as_deref(), patch.description.as_deref())?;
    let tx = write_tx(db).await?;
    let (row, manages) = find_changeable(&tx, actor, id).await?;
    if !manages && patch.touches_more_than_status() {
        return Err(AppError::forbidden("as the owner you may change only the status"));
    }
    super::check_version(row.version, expected_version)?;
    let before = MeasureView::from_model(row.clone(), today)?;
    if let Some(next) = patch.status {
        transition(before.status, next)?;
    }
    if let Some(owner) = patch.owner_id {
        ensure_owner(&tx, actor, owner.0).await?;
    }
    let original = row.clone();
    let mut am: measure::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.description {
        am.description = Set(clean(Some(v)));
    }
    if let Some(v) = patch.owner_id {
        am.owner_person_id = Set(v.0);
    }
    if let Some(v) = patch.due_on {
        am.due_on = Set(v);
    }
    if let Some(v) = patch.status.filter(|s| *s != before.status) {
        set_status(&mut am, v, today);
    }
    if super::unchanged(&am, &original) {
        let mut before = before;
        with_owner_names(&tx, std::slice::from_mut(&mut before)).await?;
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let mut after = MeasureView::from_model(am.update(&tx).await?, today)?;
    audit_measure(&tx, actor, "update", Some(&before), Some(&after)).await?;
    with_owner_names(&tx, std::slice::from_mut(&mut after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a measure (managers only) with its progress updates.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
) -> AppResult<()> {
    actor.require(Permission::MeasureManage)?;
    let tx = write_tx(db).await?;
    let (row, manages) = find_changeable(&tx, actor, id).await.map_err(|e| match e {
        AppError::Forbidden(_) => AppError::forbidden("only an organisation administrator may delete this measure"),
        other => other,
    })?;
    if !manages {
        return Err(AppError::forbidden("only an organisation administrator may delete this measure"));
    }
    super::check_version(row.version, expected_version)?;
    let before = MeasureView::from_model(row, today)?;
    measure_update::Entity::delete_many().filter(measure_update::Column::MeasureId.eq(id)).exec(&tx).await?;
    measure::Entity::delete_by_id(id).exec(&tx).await?;
    audit_measure(&tx, actor, "delete", Some(&before), None).await?;
    tx.commit().await?;
    Ok(())
}

/// The measures of several sources of one kind (DataLoader batch: e.g. the
/// rectification measures of supervision items), skipping measures the actor may not
/// read; in creation order. One statement whatever the number of sources.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_sources<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    kind: SourceKind,
    source_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<MeasureView>>> {
    let mut map: std::collections::HashMap<Uuid, Vec<MeasureView>> = std::collections::HashMap::new();
    let select = measure::Entity::find()
        .filter(measure::Column::SourceKind.eq(kind.as_str()))
        .filter(measure::Column::SourceId.is_in(super::bucketed(source_ids.iter().copied())))
        .filter(readable(actor)?)
        .order_by_asc(measure::Column::Id);
    for row in super::all_fast(select, db).await? {
        map.entry(row.source_id).or_default().push(MeasureView::from_model(row, today)?);
    }
    Ok(map)
}

/// The progress updates of a measure the actor may read, oldest first, with their
/// authors' names and their attachments' metadata (two statements for all of them).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn updates<C: ConnectionTrait>(db: &C, actor: &Actor, measure_id: Uuid) -> AppResult<Vec<MeasureUpdateView>> {
    find_readable(db, actor, measure_id).await?;
    let mut list = updates_of(db, actor, &[measure_id]).await?.remove(&measure_id).unwrap_or_default();
    let ids: Vec<Uuid> = list.iter().map(|u| u.id.0).collect();
    let mut files = super::attachment_meta::of_owners(db, OwnerKind::MeasureUpdate, &ids).await?;
    let names = super::names::people(db, list.iter().filter_map(|u| u.author_person_id)).await?;
    for u in &mut list {
        u.attachments = files.remove(&u.id.0).unwrap_or_default();
        u.author_name = u.author_person_id.and_then(|p| names.get(&p).cloned());
    }
    Ok(list)
}

/// The progress updates of several measures (DataLoader batch), skipping measures the
/// actor may not read. Two statements whatever the number of measures.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn updates_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    measure_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<MeasureUpdateView>>> {
    let ids: Vec<Uuid> = measure::Entity::find()
        .select_only()
        .column(measure::Column::Id)
        .filter(measure::Column::Id.is_in(measure_ids.iter().copied()))
        .filter(readable(actor)?)
        .into_tuple()
        .all(db)
        .await?;
    let mut map: std::collections::HashMap<Uuid, Vec<MeasureUpdateView>> = std::collections::HashMap::new();
    for row in measure_update::Entity::find()
        .filter(measure_update::Column::MeasureId.is_in(ids))
        .order_by_asc(measure_update::Column::Id)
        .all(db)
        .await?
    {
        map.entry(row.measure_id).or_default().push(MeasureUpdateView::from_model(row)?);
    }
    Ok(map)
}

/// Access to the attachments of a progress update: NOT_FOUND unless the actor may read
/// its measure; with `write`, FORBIDDEN unless the actor wrote the update or manages the
/// measure. Returns the measure's organisation (for the audit record).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_attachment_access<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    update_id: Uuid,
    write: bool,
) -> AppResult<Uuid> {
    let update = measure_update::Entity::find_by_id(update_id).one(db).await?.ok_or(AppError::NotFound)?;
    let measure = find_readable(db, actor, update.measure_id).await?;
    if write {
        let author = actor.is_author(update.author_person_id, update.author_user_id);
        if !author && !may_manage(db, actor, measure.organization_id).await? {
            return Err(AppError::forbidden(
                "only the update's author or an organisation administrator may attach files",
            ));
        }
    }
    Ok(measure.organization_id)
}

/// Posts a progress update (owner or manager), optionally changing the status.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_update(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    measure_id: Uuid,
    input: NewMeasureUpdate,
) -> AppResult<MeasureUpdateView> {
    Validator::new().text(&input.text, "text", 2000).finish()?;
    let tx = write_tx(db).await?;
    let (row, _) = find_changeable(&tx, actor, measure_id).await?;
    let before = MeasureView::from_model(row.clone(), today)?;
    let change = input.status.filter(|s| *s != before.status);
    if let Some(next) = change {
        transition(before.status, next)?;
        let mut am: measure::ActiveModel = row.clone().into();
        set_status(&mut am, next, today);
        am.updated_at = Set(super::now());
        am.version = Set(row.version + 1);
        let after = MeasureView::from_model(am.update(&tx).await?, today)?;
        audit_measure(&tx, actor, "update", Some(&before), Some(&after)).await?;
    }
    let model = measure_update::ActiveModel {
        id: Set(Uuid::now_v7()),
        measure_id: Set(measure_id),
        author_person_id: Set(actor.person_id()),
        author_user_id: Set(actor.user_id()),
        text: Set(input.text.trim().to_owned()),
        status_from: Set(change.map(|_| before.status.as_str().to_owned())),
        status_to: Set(change.map(|s| s.as_str().to_owned())),
        created_at: Set(super::now()),
    }
    .insert(&tx)
    .await?;
    let mut view = MeasureUpdateView::from_model(model)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::measure_update::Entity),
            view.id.0,
            Some(before.organization_id.0),
            None,
            Some(&view),
        )?,
    )
    .await?;
    let names = super::names::people(&tx, view.author_person_id).await?;
    view.author_name = view.author_person_id.and_then(|p| names.get(&p).cloned());
    tx.commit().await?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use MeasureStatus::*;
        for (from, to) in
            [(Todo, InProgress), (Todo, Cancelled), (InProgress, Done), (InProgress, Cancelled), (InProgress, Todo)]
        {
            assert!(from.may_become(to), "{from:?} -> {to:?}");
        }
        for (from, to) in [(Todo, Done), (Done, InProgress), (Cancelled, Todo), (Done, Cancelled)] {
            assert!(!from.may_become(to), "{from:?} -> {to:?}");
        }
    }
}
