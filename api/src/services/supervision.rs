//! Supervision (巡察监督) and rectification (整改): inspections over an organisation
//! subtree, the supervision items they find, the rectification workflow and its trail,
//! and the views over items (filtered lists, the escalation list, per-organisation
//! figures).
//!
//! Workflow: `open` → `rectifying` (the responsible side writes the plan) → `submitted`
//! (the responsible side submits, with evidence) → `verified` (the inspector closes it,
//! 销号), or `submitted` → `rectifying` when the inspector rejects it with a reason.
//!
//! Who: inspectors (`SupervisionManage` over the item's organisation) and administrators
//! open, change, reject and verify; the responsible organisation's administrators
//! (`SupervisionRespond` over it) and the responsible person write the plan and evidence
//! and submit. Items are readable under `SupervisionRead`, and by their responsible
//! person. Every step leaves an item update; every change an audit record.
//! "Overdue" = due before `today` (configured time zone) and not verified.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{CaseStatement, Expr, ExprTrait, Func, SimpleExpr},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{KeyOrder, Page, PageRequest, keyset};
use super::scope::find_in_scope;
use super::scope::{org_ids_query, org_ref_in, subtree};
use super::types::{Id, text_enum};
use super::{check_version, clean};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{inspection, organization, supervision_item, supervision_item_update};

text_enum! {
    /// Status of an inspection round.
    InspectionStatus {
        /// 计划: planned.
        Planned => "planned",
        /// 进行中: inspectors are on site.
        InProgress => "in_progress",
        /// 已结束: the round is over (its items go on until verified).
        Finished => "finished",
    }
}

text_enum! {
    /// Category of a supervision item (问题类别).
    #[graphql(name = "SupervisionCategory")]
    ItemCategory {
        /// 政治建设: political building.
        PoliticalBuilding => "political_building",
        /// 理论学习: theory study (第一议题 and the like).
        TheoryStudy => "theory_study",
        /// 组织建设: organisation building.
        OrganizationBuilding => "organization_building",
        /// 科技创新责任落实: carrying out technology-innovation responsibility.
        InnovationResponsibility => "innovation_responsibility",
        /// 党风廉政建设: integrity.
        Integrity => "integrity",
        /// 作风建设: work style.
        WorkStyle => "work_style",
        /// 其他: other.
        Other => "other",
    }
}

text_enum! {
    /// Severity of a supervision item.
    #[graphql(name = "SupervisionSeverity")]
    Severity {
        /// 一般: low.
        Low => "low",
        /// 较重: medium.
        Medium => "medium",
        /// 严重: high.
        High => "high",
    }
}

impl Severity {
    /// Rank for ordering, high first (0).
    fn rank_expr() -> SimpleExpr {
        CaseStatement::new()
            .case(supervision_item::Column::Severity.eq(Severity::High.as_str()), Expr::val(0))
            .case(supervision_item::Column::Severity.eq(Severity::Medium.as_str()), Expr::val(1))
            .finally(Expr::val(2))
            .into()
    }
}

text_enum! {
    /// Status of a supervision item: open → rectifying → submitted → verified, and
    /// submitted → rectifying when rejected.
    #[graphql(name = "SupervisionItemStatus")]
    ItemStatus {
        /// 待整改: found, no plan yet.
        Open => "open",
        /// 整改中: being rectified (also after a rejection).
        Rectifying => "rectifying",
        /// 已提交: submitted for verification.
        Submitted => "submitted",
        /// 已销号: verified and closed (final).
        Verified => "verified",
    }
}

text_enum! {
    /// Kind of an item update.
    #[graphql(name = "SupervisionUpdateKind")]
    UpdateKind {
        /// 意见: a comment.
        Comment => "comment",
        /// 整改方案: the rectification plan was written or changed.
        Plan => "plan",
        /// 整改佐证: evidence of the rectification.
        Evidence => "evidence",
        /// 状态变更: a status change (opened, submitted, rejected, verified).
        StatusChange => "status_change",
    }
}

/// An inspection round (巡察) over an organisation subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Inspection", complex)]
pub struct InspectionView {
    /// Id (UUID v7).
    pub id: Id,
    /// The inspected organisation's id (its subtree is in scope).
    pub organization_id: Id,
    /// Title.
    pub title: String,
    /// Focus (e.g. carrying out technology-innovation responsibility).
    pub focus: String,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<Id>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Status.
    pub status: InspectionStatus,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: the ETag over REST, `expectedVersion` of the
    /// GraphQL mutations.
    pub version: i32,
}

impl InspectionView {
    fn from_model(m: inspection::Model) -> AppResult<Self> {
        Ok(InspectionView {
            status: InspectionStatus::from_db(&m.status)?,
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            title: m.title,
            focus: m.focus,
            lead_inspector_id: m.lead_inspector_person_id.map(Id),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new inspection.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateInspectionInput")]
pub struct NewInspection {
    /// The inspected organisation (inside your supervision scope).
    pub organization_id: Id,
    /// Title (1–200 characters).
    pub title: String,
    /// Focus (1–2000 characters).
    pub focus: String,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<Id>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (not before `starts_on`).
    pub ends_on: Option<NaiveDate>,
}

/// Changes to an inspection: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateInspectionInput")]
pub struct InspectionPatch {
    /// Title (1–200 characters).
    pub title: Option<String>,
    /// Focus (1–2000 characters).
    pub focus: Option<String>,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<Id>,
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Status (any change among planned, in_progress, finished).
    pub status: Option<InspectionStatus>,
}

/// A supervision item (巡察发现问题) and its rectification (整改).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "SupervisionItem", complex)]
pub struct ItemView {
    /// Id (UUID v7).
    pub id: Id,
    /// The inspection that found it (id).
    pub inspection_id: Option<Id>,
    /// The organisation that must rectify it (id).
    pub organization_id: Id,
    /// The problem, in a line.
    pub title: String,
    /// The problem in detail.
    pub description: Option<String>,
    /// Category.
    pub category: ItemCategory,
    /// Severity.
    pub severity: Severity,
    /// Responsible person (person id).
    pub responsible_person_id: Id,
    /// Rectification plan (整改方案).
    pub rectification_plan: Option<String>,
    /// Rectification deadline.
    pub due_on: NaiveDate,
    /// Status.
    pub status: ItemStatus,
    /// Day it was opened (configured time zone).
    pub opened_on: NaiveDate,
    /// Day it was verified (closed).
    pub closed_on: Option<NaiveDate>,
    /// Past due (before today in the configured time zone) and not verified.
    pub overdue: bool,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: the ETag over REST, `expectedVersion` of the
    /// GraphQL mutations.
    pub version: i32,
}

impl ItemView {
    fn from_model(m: supervision_item::Model, today: NaiveDate) -> AppResult<Self> {
        let status = ItemStatus::from_db(&m.status)?;
        Ok(ItemView {
            overdue: status != ItemStatus::Verified && m.due_on < today,
            status,
            category: ItemCategory::from_db(&m.category)?,
            severity: Severity::from_db(&m.severity)?,
            id: m.id.into(),
            inspection_id: m.inspection_id.map(Id),
            organization_id: m.organization_id.into(),
            title: m.title,
            description: m.description,
            responsible_person_id: m.responsible_person_id.into(),
            rectification_plan: m.rectification_plan,
            due_on: m.due_on,
            opened_on: m.opened_on,
            closed_on: m.closed_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new supervision item.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "OpenSupervisionItemInput")]
pub struct NewItem {
    /// The inspection that found it (its subtree must contain the organisation).
    pub inspection_id: Option<Id>,
    /// The organisation that must rectify it (inside your supervision scope).
    pub organization_id: Id,
    /// The problem, in a line (1–200 characters).
    pub title: String,
    /// The problem in detail (up to 5000 characters).
    pub description: Option<String>,
    /// Category.
    pub category: ItemCategory,
    /// Severity.
    pub severity: Severity,
    /// Responsible person (person id).
    pub responsible_person_id: Id,
    /// Rectification deadline (not before today).
    pub due_on: NaiveDate,
}

/// Changes to a supervision item (inspectors): only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateSupervisionItemInput")]
pub struct ItemPatch {
    /// The problem, in a line (1–200 characters).
    pub title: Option<String>,
    /// The problem in detail (up to 5000 characters; empty clears it).
    pub description: Option<String>,
    /// Category.
    pub category: Option<ItemCategory>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Responsible person (person id).
    pub responsible_person_id: Option<Id>,
    /// Rectification deadline.
    pub due_on: Option<NaiveDate>,
}

/// A step in the trail of a supervision item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "SupervisionItemUpdate", complex)]
pub struct ItemUpdateView {
    /// Id.
    pub id: Id,
    /// The item (id).
    pub item_id: Id,
    /// Author (person id), if the author is a person.
    pub author_person_id: Option<Id>,
    /// Author's account id.
    pub author_user_id: Option<Id>,
    /// Kind.
    pub kind: UpdateKind,
    /// Text (the comment, plan, evidence or the reason of a status change).
    pub text: String,
    /// Status before, for a status change.
    pub status_from: Option<ItemStatus>,
    /// Status after, for a status change.
    pub status_to: Option<ItemStatus>,
    /// Written at (UTC).
    pub created_at: DateTime<Utc>,
}

impl ItemUpdateView {
    fn from_model(m: supervision_item_update::Model) -> AppResult<Self> {
        Ok(ItemUpdateView {
            kind: UpdateKind::from_db(&m.kind)?,
            status_from: m.status_from.as_deref().map(ItemStatus::from_db).transpose()?,
            status_to: m.status_to.as_deref().map(ItemStatus::from_db).transpose()?,
            id: m.id.into(),
            item_id: m.item_id.into(),
            author_person_id: m.author_person_id.map(Id),
            author_user_id: m.author_user_id.map(Id),
            text: m.text,
            created_at: m.created_at,
        })
    }
}

/// A comment or evidence on a supervision item.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "AddSupervisionItemUpdateInput")]
pub struct NewItemUpdate {
    /// A comment or evidence (plans and status changes have their own operations).
    pub kind: UpdateKind,
    /// Text (1–5000 characters).
    pub text: String,
}

/// A workflow step of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemAction {
    /// The responsible side submits the rectification for verification (rectifying → submitted).
    Submit,
    /// The inspector sends it back (submitted → rectifying); a reason is required.
    Reject,
    /// The inspector verifies and closes it (submitted → verified).
    Verify,
}

impl ItemAction {
    /// The status the step starts from and the one it leads to.
    pub fn edge(self) -> (ItemStatus, ItemStatus) {
        match self {
            ItemAction::Submit => (ItemStatus::Rectifying, ItemStatus::Submitted),
            ItemAction::Reject => (ItemStatus::Submitted, ItemStatus::Rectifying),
            ItemAction::Verify => (ItemStatus::Submitted, ItemStatus::Verified),
        }
    }

    fn by_inspector(self) -> bool {
        !matches!(self, ItemAction::Submit)
    }

    fn as_str(self) -> &'static str {
        match self {
            ItemAction::Submit => "submit",
            ItemAction::Reject => "reject",
            ItemAction::Verify => "verify",
        }
    }
}

/// Filters of [`list_items`].
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Only items of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only items of this inspection.
    pub inspection_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<ItemStatus>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only this category.
    pub category: Option<ItemCategory>,
    /// Only overdue (true) or not overdue (false) items.
    pub overdue: Option<bool>,
    /// Only items this person is responsible for.
    pub responsible_person_id: Option<Uuid>,
}

/// Filters of [`list_inspections`].
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// Only inspections of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<InspectionStatus>,
}

/// Supervision item figures (of one organisation, or summed over several).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "SupervisionCounts")]
pub struct ItemCounts {
    /// Every item.
    pub total: i64,
    /// Not yet verified (open, rectifying or submitted).
    pub open: i64,
    /// Of those, past due.
    pub overdue: i64,
    /// Verified on or before the due date.
    pub closed_on_time: i64,
    /// Verified after the due date.
    pub closed_late: i64,
    /// Of status open.
    pub status_open: i64,
    /// Of status rectifying.
    pub status_rectifying: i64,
    /// Of status submitted.
    pub status_submitted: i64,
    /// Of status verified.
    pub status_verified: i64,
}

/// Supervision item figures of one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "OrgSupervisionStats")]
pub struct OrgItemStats {
    /// The organisation's id.
    pub organization_id: Id,
    /// Its name.
    pub organization_name: String,
    /// The figures.
    pub counts: ItemCounts,
}

// ---------------------------------------------------------------------------------
// Visibility and authorisation

/// The items the actor may read: `SupervisionRead` scope, plus the items they are
/// responsible for.
fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.scope(Permission::SupervisionRead);
    let mut cond = Condition::any().add(org_ref_in(supervision_item::Column::OrganizationId, &scope));
    if let Some(own) = actor.person_id() {
        cond = cond.add(supervision_item::Column::ResponsiblePersonId.eq(own));
    } else if scope == Scope::None {
        return Err(AppError::forbidden("your role does not allow reading supervision items"));
    }
    Ok(cond)
}

/// Loads an item the actor may read, or NOT_FOUND.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_readable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<supervision_item::Model> {
    supervision_item::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

/// What the actor may do to one item.
struct Rights {
    manage: bool,
    respond: bool,
}

async fn rights<C: ConnectionTrait>(db: &C, actor: &Actor, item: &supervision_item::Model) -> AppResult<Rights> {
    let org = organization::Entity::find_by_id(item.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(Rights {
        manage: actor.scope(Permission::SupervisionManage).contains_path(&org.path),
        respond: actor.scope(Permission::SupervisionRespond).contains_path(&org.path)
            || actor.person_id() == Some(item.responsible_person_id),
    })
}

/// Loads and locks an item for a change: NOT_FOUND when not readable.
async fn find_for_change<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(supervision_item::Model, Rights)> {
    find_readable(db, actor, id).await?;
    let row = supervision_item::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    let r = rights(db, actor, &row).await?;
    Ok((row, r))
}

// ---------------------------------------------------------------------------------
// Inspections

fn inspections_readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::SupervisionRead)?;
    Ok(Condition::all().add(org_ref_in(inspection::Column::OrganizationId, &scope)))
}

async fn audit_inspection<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&InspectionView>,
    after: &InspectionView,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity: crate::services::audit::entity_name(entity::inspection::Entity),
            entity_id: *after.id,
            organization_id: Some(*after.organization_id),
            before: before.map(audit::snapshot).transpose()?.flatten(),
            after: audit::snapshot(after)?,
        },
    )
    .await
}

/// One inspection; NOT_FOUND when missing or outside the actor's scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_inspection<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<InspectionView> {
    let row = inspection::Entity::find_by_id(id)
        .filter(inspections_readable(actor)?)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    InspectionView::from_model(row)
}

/// Inspections by id (DataLoader batch), skipping those the actor may not read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn inspections_by_ids<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, InspectionView>> {
    let Ok(cond) = inspections_readable(actor) else { return Ok(HashMap::new()) };
    inspection::Entity::find()
        .filter(inspection::Column::Id.is_in(ids.iter().copied()))
        .filter(cond)
        .all(db)
        .await?
        .into_iter()
        .map(|m| InspectionView::from_model(m).map(|v| (*v.id, v)))
        .collect()
}

/// A page of inspections in the actor's scope, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_inspections<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &InspectionFilter,
    page: PageRequest,
) -> AppResult<Page<InspectionView>> {
    let mut cond = inspections_readable(actor)?;
    if let Some(org_id) = filter.organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::SupervisionRead), org_id).await?;
        cond = cond.add(inspection::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
    }
    if let Some(status) = filter.status {
        cond = cond.add(inspection::Column::Status.eq(status.as_str()));
    }
    let (rows, total) =
        keyset::<_, inspection::Entity>(db, cond, inspection::Column::Id, page, KeyOrder::Oldest).await?;
    let items = rows.into_iter().map(InspectionView::from_model).collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, |i| *i.id, total))
}

fn validate_inspection(
    title: Option<&str>,
    focus: Option<&str>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
) -> AppResult<()> {
    Validator::new()
        .opt_text(title, "title", 200)
        .opt_text(focus, "focus", 2000)
        .check(starts_on.zip(ends_on).is_none_or(|(s, e)| e >= s), "ends_on", "must not be before starts_on")
        .finish()
}

/// Creates an inspection of an organisation inside the actor's supervision scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_inspection(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewInspection,
) -> AppResult<InspectionView> {
    let manage = actor.require(Permission::SupervisionManage)?;
    validate_inspection(Some(&input.title), Some(&input.focus), Some(input.starts_on), input.ends_on)?;
    let tx = write_tx(db).await?;
    let org = find_in_scope(&tx, &actor.scope(Permission::SupervisionRead), *input.organization_id).await?;
    if !manage.contains_path(&org.path) {
        return Err(AppError::forbidden("this organisation is outside the subtree you supervise"));
    }
    if let Some(p) = input.lead_inspector_id {
        super::people::ensure_readable(&tx, actor, *p, "lead_inspector_id").await?;
    }
    let now = super::now();
    let row = inspection::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        title: Set(input.title.trim().to_owned()),
        focus: Set(input.focus.trim().to_owned()),
        lead_inspector_person_id: Set(input.lead_inspector_id.map(Uuid::from)),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        status: Set(InspectionStatus::Planned.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let view = InspectionView::from_model(row)?;
    audit_inspection(&tx, actor, "create", None, &view).await?;
    tx.commit().await?;
    Ok(view)
}

/// Changes an inspection (inspectors in scope, administrators).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_inspection(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: InspectionPatch,
) -> AppResult<InspectionView> {
    let manage = actor.require(Permission::SupervisionManage)?;
    validate_inspection(patch.title.as_deref(), patch.focus.as_deref(), None, None)?;
    let tx = write_tx(db).await?;
    get_inspection(&tx, actor, id).await?;
    let row = inspection::Entity::find_by_id(id).lock_exclusive().one(&tx).await?.ok_or(AppError::NotFound)?;
    let org = organization::Entity::find_by_id(row.organization_id).one(&tx).await?.ok_or(AppError::NotFound)?;
    if !manage.contains_path(&org.path) {
        return Err(AppError::forbidden("this inspection is outside the subtree you supervise"));
    }
    super::check_version(row.version, expected_version)?;
    let starts = patch.starts_on.unwrap_or(row.starts_on);
    let ends = patch.ends_on.or(row.ends_on);
    validate_inspection(None, None, Some(starts), ends)?;
    if let Some(p) = patch.lead_inspector_id {
        super::people::ensure_readable(&tx, actor, *p, "lead_inspector_id").await?;
    }
    let before = InspectionView::from_model(row.clone())?;
    let mut am: inspection::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.focus {
        am.focus = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.lead_inspector_id {
        am.lead_inspector_person_id = Set(Some(*v));
    }
    am.starts_on = Set(starts);
    am.ends_on = Set(ends);
    if let Some(v) = patch.status {
        am.status = Set(v.as_str().to_owned());
    }
    am.updated_at = Set(super::now());
    am.version = Set(expected_version + 1);
    let after = InspectionView::from_model(am.update(&tx).await?)?;
    audit_inspection(&tx, actor, "update", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

// ---------------------------------------------------------------------------------
// Items

async fn audit_item<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&ItemView>,
    after: &ItemView,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity: crate::services::audit::entity_name(entity::supervision_item::Entity),
            entity_id: *after.id,
            organization_id: Some(*after.organization_id),
            before: before.map(audit::snapshot).transpose()?.flatten(),
            after: audit::snapshot(after)?,
        },
    )
    .await
}

/// Writes an item update and its audit record.
async fn write_update<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    item: &ItemView,
    kind: UpdateKind,
    text: String,
    status: Option<(Option<ItemStatus>, ItemStatus)>,
) -> AppResult<ItemUpdateView> {
    let row = supervision_item_update::ActiveModel {
        id: Set(Uuid::now_v7()),
        item_id: Set(*item.id),
        author_person_id: Set(actor.person_id()),
        author_user_id: Set(actor.user_id()),
        kind: Set(kind.as_str().to_owned()),
        text: Set(text),
        status_from: Set(status.and_then(|(from, _)| from).map(|s| s.as_str().to_owned())),
        status_to: Set(status.map(|(_, to)| to.as_str().to_owned())),
        created_at: Set(super::now()),
    }
    .insert(tx)
    .await?;
    let view = ItemUpdateView::from_model(row)?;
    audit::record(
        tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::supervision_item_update::Entity),
            *view.id,
            Some(*item.organization_id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    Ok(view)
}

fn validate_item(title: Option<&str>, description: Option<&str>) -> AppResult<()> {
    Validator::new()
        .opt_text(title, "title", 200)
        .check(description.is_none_or(|d| d.chars().count() <= 5000), "description", "must be at most 5000 characters")
        .finish()
}

/// One item; NOT_FOUND when missing or outside the actor's scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_item<C: ConnectionTrait>(db: &C, actor: &Actor, today: NaiveDate, id: Uuid) -> AppResult<ItemView> {
    ItemView::from_model(find_readable(db, actor, id).await?, today)
}

/// Opens a supervision item (inspectors in scope, administrators): status `open`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_item(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    input: NewItem,
) -> AppResult<ItemView> {
    let manage = actor.require(Permission::SupervisionManage)?;
    validate_item(Some(&input.title), input.description.as_deref())?;
    Validator::new().check(input.due_on >= today, "due_on", "must not be before today").finish()?;
    let tx = write_tx(db).await?;
    let org = find_in_scope(&tx, &actor.scope(Permission::SupervisionRead), *input.organization_id).await?;
    if !manage.contains_path(&org.path) {
        return Err(AppError::forbidden("this organisation is outside the subtree you supervise"));
    }
    if let Some(inspection_id) = input.inspection_id {
        let ins = get_inspection(&tx, actor, *inspection_id)
            .await
            .map_err(|_| AppError::invalid("inspection_id", "no such inspection"))?;
        let target =
            organization::Entity::find_by_id(*ins.organization_id).one(&tx).await?.ok_or(AppError::NotFound)?;
        if !org.path.starts_with(&target.path) {
            return Err(AppError::invalid("organization_id", "must lie in the inspected organisation's subtree"));
        }
    }
    super::people::ensure_readable(&tx, actor, *input.responsible_person_id, "responsible_person_id").await?;
    let now = super::now();
    let row = supervision_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        inspection_id: Set(input.inspection_id.map(Uuid::from)),
        organization_id: Set(org.id),
        title: Set(input.title.trim().to_owned()),
        description: Set(clean(input.description)),
        category: Set(input.category.as_str().to_owned()),
        severity: Set(input.severity.as_str().to_owned()),
        responsible_person_id: Set(*input.responsible_person_id),
        rectification_plan: Set(None),
        due_on: Set(input.due_on),
        status: Set(ItemStatus::Open.as_str().to_owned()),
        opened_on: Set(today),
        closed_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let view = ItemView::from_model(row, today)?;
    audit_item(&tx, actor, "create", None, &view).await?;
    write_update(&tx, actor, &view, UpdateKind::StatusChange, "opened".to_owned(), Some((None, ItemStatus::Open)))
        .await?;
    tx.commit().await?;
    Ok(view)
}

/// Changes an item's description, category, severity, responsible person or deadline
/// (inspectors in scope, administrators) while it is not verified.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_item(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    patch: ItemPatch,
) -> AppResult<ItemView> {
    validate_item(patch.title.as_deref(), patch.description.as_deref())?;
    let tx = write_tx(db).await?;
    let (row, r) = find_for_change(&tx, actor, id).await?;
    if !r.manage {
        return Err(AppError::forbidden("only inspectors and administrators may change a supervision item"));
    }
    check_version(row.version, expected_version)?;
    let before = ItemView::from_model(row.clone(), today)?;
    if before.status == ItemStatus::Verified {
        return Err(AppError::Conflict("a verified item cannot change".into()));
    }
    if let Some(p) = patch.responsible_person_id {
        super::people::ensure_readable(&tx, actor, *p, "responsible_person_id").await?;
    }
    let mut am: supervision_item::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.description {
        am.description = Set(clean(Some(v)));
    }
    if let Some(v) = patch.category {
        am.category = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.severity {
        am.severity = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.responsible_person_id {
        am.responsible_person_id = Set(*v);
    }
    if let Some(v) = patch.due_on {
        am.due_on = Set(v);
    }
    am.updated_at = Set(super::now());
    am.version = Set(expected_version + 1);
    let after = ItemView::from_model(am.update(&tx).await?, today)?;
    audit_item(&tx, actor, "update", Some(&before), &after).await?;
    let changed: Vec<String> = audit::diff(audit::snapshot(&before)?.as_ref(), audit::snapshot(&after)?.as_ref())
        .into_iter()
        .map(|c| c.field)
        .filter(|f| !matches!(f.as_str(), "updated_at" | "version" | "overdue"))
        .collect();
    if !changed.is_empty() {
        write_update(&tx, actor, &after, UpdateKind::Comment, format!("changed: {}", changed.join(", ")), None).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Writes the rectification plan (the responsible organisation's administrators and the
/// responsible person) while the item is open or rectifying; an open item becomes
/// rectifying.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    plan: String,
) -> AppResult<ItemView> {
    Validator::new().text(&plan, "plan", 10_000).finish()?;
    let tx = write_tx(db).await?;
    let (row, r) = find_for_change(&tx, actor, id).await?;
    if !r.respond {
        return Err(AppError::forbidden("only the responsible organisation or person writes the plan"));
    }
    check_version(row.version, expected_version)?;
    let before = ItemView::from_model(row.clone(), today)?;
    if !matches!(before.status, ItemStatus::Open | ItemStatus::Rectifying) {
        return Err(AppError::Conflict(format!("a {} item's plan cannot change", before.status.as_str())));
    }
    let mut am: supervision_item::ActiveModel = row.into();
    am.rectification_plan = Set(Some(plan.trim().to_owned()));
    am.status = Set(ItemStatus::Rectifying.as_str().to_owned());
    am.updated_at = Set(super::now());
    am.version = Set(expected_version + 1);
    let after = ItemView::from_model(am.update(&tx).await?, today)?;
    audit_item(&tx, actor, "update", Some(&before), &after).await?;
    let change = (before.status != after.status).then_some((Some(before.status), after.status));
    write_update(&tx, actor, &after, UpdateKind::Plan, plan.trim().to_owned(), change).await?;
    tx.commit().await?;
    Ok(after)
}

/// Posts a comment (inspectors and the responsible side) or evidence (the responsible
/// side, while rectifying) on an item.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_update(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    item_id: Uuid,
    input: NewItemUpdate,
) -> AppResult<ItemUpdateView> {
    Validator::new()
        .text(&input.text, "text", 5000)
        .check(matches!(input.kind, UpdateKind::Comment | UpdateKind::Evidence), "kind", "must be comment or evidence")
        .finish()?;
    let tx = write_tx(db).await?;
    let (row, r) = find_for_change(&tx, actor, item_id).await?;
    let item = ItemView::from_model(row, today)?;
    match input.kind {
        UpdateKind::Evidence => {
            if !r.respond {
                return Err(AppError::forbidden("only the responsible organisation or person posts evidence"));
            }
            if item.status != ItemStatus::Rectifying {
                return Err(AppError::Conflict(format!(
                    "evidence is posted while rectifying; this item is {}",
                    item.status.as_str()
                )));
            }
        }
        _ => {
            if !r.manage && !r.respond {
                return Err(AppError::forbidden("only inspectors and the responsible side comment on an item"));
            }
        }
    }
    let view = write_update(&tx, actor, &item, input.kind, input.text.trim().to_owned(), None).await?;
    tx.commit().await?;
    Ok(view)
}

/// Takes a workflow step: submit (the responsible side; needs a plan and evidence),
/// reject (inspectors; `text` is the required reason) or verify (inspectors; closes the
/// item on `today`). Any other move is CONFLICT.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    action: ItemAction,
    text: Option<String>,
) -> AppResult<ItemView> {
    let text = clean(text);
    let tx = write_tx(db).await?;
    let (row, r) = find_for_change(&tx, actor, id).await?;
    if action.by_inspector() && !r.manage {
        return Err(AppError::forbidden("only inspectors and administrators reject or verify an item"));
    }
    if !action.by_inspector() && !r.respond {
        return Err(AppError::forbidden("only the responsible organisation or person submits an item"));
    }
    Validator::new()
        .check(action != ItemAction::Reject || text.is_some(), "reason", "a rejection needs a reason")
        .check(text.as_ref().is_none_or(|t| t.chars().count() <= 5000), "reason", "must be at most 5000 characters")
        .finish()?;
    check_version(row.version, expected_version)?;
    let before = ItemView::from_model(row.clone(), today)?;
    let (from, to) = action.edge();
    if before.status != from {
        return Err(AppError::Conflict(format!("cannot {} a {} item", action.as_str(), before.status.as_str())));
    }
    if action == ItemAction::Submit {
        let evidence = supervision_item_update::Entity::find()
            .filter(supervision_item_update::Column::ItemId.eq(id))
            .filter(supervision_item_update::Column::Kind.eq(UpdateKind::Evidence.as_str()))
            .count(&tx)
            .await?;
        if before.rectification_plan.is_none() || evidence == 0 {
            return Err(AppError::Conflict(
                "submit needs a rectification plan and at least one piece of evidence".into(),
            ));
        }
    }
    let mut am: supervision_item::ActiveModel = row.into();
    am.status = Set(to.as_str().to_owned());
    am.closed_on = Set((to == ItemStatus::Verified).then_some(today));
    am.updated_at = Set(super::now());
    am.version = Set(expected_version + 1);
    let after = ItemView::from_model(am.update(&tx).await?, today)?;
    audit_item(&tx, actor, action.as_str(), Some(&before), &after).await?;
    let text = text.unwrap_or_else(|| action.as_str().to_owned());
    write_update(&tx, actor, &after, UpdateKind::StatusChange, text, Some((Some(from), to))).await?;
    tx.commit().await?;
    Ok(after)
}

/// Access to the attachments of an item update: NOT_FOUND unless the actor may read the
/// item; with `write`, FORBIDDEN unless the actor wrote the update or responds for the
/// item, CONFLICT once the item is verified. Returns the item's organisation (for the
/// audit record).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_attachment_access<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    update_id: Uuid,
    write: bool,
) -> AppResult<Uuid> {
    let update = supervision_item_update::Entity::find_by_id(update_id).one(db).await?.ok_or(AppError::NotFound)?;
    let item = find_readable(db, actor, update.item_id).await?;
    if write {
        let author = actor.is_author(update.author_person_id, update.author_user_id);
        if !author && !rights(db, actor, &item).await?.respond {
            return Err(AppError::forbidden("only the update's author or the responsible side may attach files"));
        }
        if item.status == ItemStatus::Verified.as_str() {
            return Err(AppError::Conflict("the item is verified; its trail is closed".into()));
        }
    }
    Ok(item.organization_id)
}

/// The trail of an item the actor may read, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn updates<C: ConnectionTrait>(db: &C, actor: &Actor, item_id: Uuid) -> AppResult<Vec<ItemUpdateView>> {
    find_readable(db, actor, item_id).await?;
    Ok(updates_of(db, actor, &[item_id]).await?.remove(&item_id).unwrap_or_default())
}

/// The trails of several items (DataLoader batch), skipping items the actor may not
/// read. Two statements whatever the number of items.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn updates_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    item_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<ItemUpdateView>>> {
    let ids: Vec<Uuid> = supervision_item::Entity::find()
        .select_only()
        .column(supervision_item::Column::Id)
        .filter(supervision_item::Column::Id.is_in(item_ids.iter().copied()))
        .filter(readable(actor)?)
        .into_tuple()
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<ItemUpdateView>> = HashMap::new();
    for row in supervision_item_update::Entity::find()
        .filter(supervision_item_update::Column::ItemId.is_in(ids))
        .order_by_asc(supervision_item_update::Column::Id)
        .all(db)
        .await?
    {
        map.entry(row.item_id).or_default().push(ItemUpdateView::from_model(row)?);
    }
    Ok(map)
}

// ---------------------------------------------------------------------------------
// Views

/// Overdue on `today`: not verified and past due.
fn overdue_cond(today: NaiveDate) -> Condition {
    Condition::all()
        .add(supervision_item::Column::DueOn.lt(today))
        .add(supervision_item::Column::Status.ne(ItemStatus::Verified.as_str()))
}

async fn filtered<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ItemFilter,
) -> AppResult<Condition> {
    let mut cond = Condition::all().add(readable(actor)?);
    if let Some(org_id) = filter.organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
        cond = cond.add(supervision_item::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
    }
    if let Some(v) = filter.inspection_id {
        cond = cond.add(supervision_item::Column::InspectionId.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(supervision_item::Column::Status.eq(v.as_str()));
    }
    if let Some(v) = filter.severity {
        cond = cond.add(supervision_item::Column::Severity.eq(v.as_str()));
    }
    if let Some(v) = filter.category {
        cond = cond.add(supervision_item::Column::Category.eq(v.as_str()));
    }
    if let Some(v) = filter.responsible_person_id {
        cond = cond.add(supervision_item::Column::ResponsiblePersonId.eq(v));
    }
    match filter.overdue {
        Some(true) => cond = cond.add(overdue_cond(today)),
        Some(false) => cond = cond.add(overdue_cond(today).not()),
        None => {}
    }
    Ok(cond)
}

/// A page of items the actor may read, filtered, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_items<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ItemFilter,
    page: PageRequest,
) -> AppResult<Page<ItemView>> {
    let cond = filtered(db, actor, today, filter).await?;
    let (rows, total) =
        keyset::<_, supervision_item::Entity>(db, cond, supervision_item::Column::Id, page, KeyOrder::Oldest).await?;
    let items = rows.into_iter().map(|m| ItemView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, |i| *i.id, total))
}

/// Every item matching the filter (for exports), in creation order; at most `cap` rows.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_items<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ItemFilter,
    cap: u64,
) -> AppResult<Vec<ItemView>> {
    let cond = filtered(db, actor, today, filter).await?;
    supervision_item::Entity::find()
        .filter(cond)
        .order_by_asc(supervision_item::Column::Id)
        .limit(cap)
        .all(db)
        .await?
        .into_iter()
        .map(|m| ItemView::from_model(m, today))
        .collect()
}

/// A position in the escalation order: (overdue first, severity rank, due date, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EscalationKey {
    not_overdue: u8,
    rank: u8,
    due_on: NaiveDate,
    id: Uuid,
}

impl EscalationKey {
    fn of(item: &ItemView) -> Self {
        let rank = match item.severity {
            Severity::High => 0,
            Severity::Medium => 1,
            Severity::Low => 2,
        };
        EscalationKey { not_overdue: u8::from(!item.overdue), rank, due_on: item.due_on, id: *item.id }
    }

    fn encode(self) -> String {
        use base64::Engine;
        let mut bytes = vec![self.not_overdue, self.rank];
        bytes.extend_from_slice(&self.due_on.num_days_from_ce().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn decode(cursor: &str, field: &str) -> AppResult<Self> {
        use base64::Engine;
        let bad = || AppError::invalid(field, "not a valid cursor");
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        if b.len() != 22 || b[0] > 1 || b[1] > 2 {
            return Err(bad());
        }
        let days = i32::from_be_bytes([b[2], b[3], b[4], b[5]]);
        Ok(EscalationKey {
            not_overdue: b[0],
            rank: b[1],
            due_on: NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(bad)?,
            id: Uuid::from_slice(&b[6..]).map_err(|_| bad())?,
        })
    }
}

/// The escalation cursor that continues after `item`.
pub fn escalation_cursor(item: &ItemView) -> String {
    EscalationKey::of(item).encode()
}

/// A page of the escalation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EscalationPage {
    /// The items: overdue first, then by severity (high first), then by due date.
    pub items: Vec<ItemView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many unverified items are overdue or of high severity (all pages).
    pub total: u64,
}

/// The escalation list: items not yet verified that are overdue or of high severity,
/// overdue first, then by severity (high first), then by due date; keyset-paged on that
/// order (`limit` 1–100, default 20; `cursor` from the previous page), with the number
/// of all such items.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn escalation<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: Option<&str>,
    field_names: (&str, &str),
) -> AppResult<EscalationPage> {
    use supervision_item::Column as C;
    let page = PageRequest::parse(limit, None, field_names.0, field_names.1)?;
    let after = cursor.map(|c| EscalationKey::decode(c, field_names.1)).transpose()?;
    let filter = ItemFilter { organization_id, ..Default::default() };
    let cond = filtered(db, actor, today, &filter)
        .await?
        .add(C::Status.ne(ItemStatus::Verified.as_str()))
        .add(Condition::any().add(C::DueOn.lt(today)).add(C::Severity.eq(Severity::High.as_str())));
    let total = supervision_item::Entity::find().filter(cond.clone()).count(db).await?;
    let not_overdue =
        || -> SimpleExpr { CaseStatement::new().case(C::DueOn.lt(today), Expr::val(0)).finally(Expr::val(1)).into() };
    let mut query = supervision_item::Entity::find().filter(cond);
    if let Some(k) = after {
        let (flag, rank) = (i32::from(k.not_overdue), i32::from(k.rank));
        query = query.filter(
            Condition::any()
                .add(not_overdue().gt(flag))
                .add(Condition::all().add(not_overdue().eq(flag)).add(Severity::rank_expr().gt(rank)))
                .add(
                    Condition::all()
                        .add(not_overdue().eq(flag))
                        .add(Severity::rank_expr().eq(rank))
                        .add(C::DueOn.gt(k.due_on)),
                )
                .add(
                    Condition::all()
                        .add(not_overdue().eq(flag))
                        .add(Severity::rank_expr().eq(rank))
                        .add(C::DueOn.eq(k.due_on))
                        .add(C::Id.gt(k.id)),
                ),
        );
    }
    let rows = query
        .order_by_asc(not_overdue())
        .order_by_asc(Severity::rank_expr())
        .order_by_asc(C::DueOn)
        .order_by_asc(C::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let mut items = rows.into_iter().map(|m| ItemView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
    let has_more = items.len() as u64 > page.limit;
    items.truncate(page.limit as usize);
    let next_cursor = if has_more { items.last().map(escalation_cursor) } else { None };
    Ok(EscalationPage { items, next_cursor, total })
}

/// `COALESCE(SUM(CASE WHEN cond THEN 1 ELSE 0 END), 0)`: how many rows match `cond`.
pub(crate) fn count_when(cond: Condition) -> SimpleExpr {
    let case: SimpleExpr = CaseStatement::new().case(cond, Expr::val(1)).finally(Expr::val(0)).into();
    let parts: [SimpleExpr; 2] = [Func::sum(case).into(), Expr::val(0)];
    Func::coalesce(parts).into()
}

/// An organisation and its nine figures, as the grouped statement returns them.
type CountRow = (Uuid, i64, i64, i64, i64, i64, i64, i64, i64, i64);

/// The grouped figures of items matching `cond`, per organisation: one statement.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn counts_by_org<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    cond: Condition,
) -> AppResult<HashMap<Uuid, ItemCounts>> {
    use supervision_item::Column as C;
    let verified = ItemStatus::Verified.as_str();
    let status = |s: ItemStatus| Condition::all().add(C::Status.eq(s.as_str()));
    let rows: Vec<CountRow> = supervision_item::Entity::find()
        .select_only()
        .column(C::OrganizationId)
        .column_as(C::Id.count(), "total")
        .expr_as(count_when(Condition::all().add(C::Status.ne(verified))), "open")
        .expr_as(count_when(overdue_cond(today)), "overdue")
        .expr_as(
            count_when(
                Condition::all().add(C::Status.eq(verified)).add(Expr::col(C::ClosedOn).lte(Expr::col(C::DueOn))),
            ),
            "closed_on_time",
        )
        .expr_as(
            count_when(
                Condition::all().add(C::Status.eq(verified)).add(Expr::col(C::ClosedOn).gt(Expr::col(C::DueOn))),
            ),
            "closed_late",
        )
        .expr_as(count_when(status(ItemStatus::Open)), "s_open")
        .expr_as(count_when(status(ItemStatus::Rectifying)), "s_rectifying")
        .expr_as(count_when(status(ItemStatus::Submitted)), "s_submitted")
        .expr_as(count_when(status(ItemStatus::Verified)), "s_verified")
        .filter(cond)
        .group_by(C::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, total, open, overdue, on_time, late, s_open, s_rect, s_sub, s_ver)| {
            (
                org,
                ItemCounts {
                    total,
                    open,
                    overdue,
                    closed_on_time: on_time,
                    closed_late: late,
                    status_open: s_open,
                    status_rectifying: s_rect,
                    status_submitted: s_sub,
                    status_verified: s_ver,
                },
            )
        })
        .collect())
}

impl ItemCounts {
    /// Adds another organisation's figures.
    pub fn add(&mut self, o: &ItemCounts) {
        self.total += o.total;
        self.open += o.open;
        self.overdue += o.overdue;
        self.closed_on_time += o.closed_on_time;
        self.closed_late += o.closed_late;
        self.status_open += o.status_open;
        self.status_rectifying += o.status_rectifying;
        self.status_submitted += o.status_submitted;
        self.status_verified += o.status_verified;
    }
}

/// The condition "items of organisations in the subtree of `root_path`".
pub(crate) fn in_subtree(root_path: &str) -> Condition {
    Condition::all().add(supervision_item::Column::OrganizationId.in_subquery(org_ids_query(subtree(root_path))))
}

/// Per organisation of a subtree (that has items the actor may read): open, overdue,
/// closed on time and closed late, by one grouped statement; in tree order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stats_by_org<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Uuid,
) -> AppResult<Vec<OrgItemStats>> {
    let scope = actor.require(Permission::SupervisionRead)?;
    let root = find_in_scope(db, &scope, organization_id).await?;
    let cond = Condition::all().add(readable(actor)?).add(in_subtree(&root.path));
    let mut counts = counts_by_org(db, today, cond).await?;
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(counts.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(organization::Column::Path)
        .all(db)
        .await?;
    Ok(orgs
        .into_iter()
        .map(|o| OrgItemStats {
            counts: counts.remove(&o.id).unwrap_or_default(),
            organization_id: o.id.into(),
            organization_name: o.name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_cursor_round_trip() {
        let k = EscalationKey {
            not_overdue: 1,
            rank: 2,
            due_on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(EscalationKey::decode(&k.encode(), "cursor").unwrap(), k);
        assert!(EscalationKey::decode("AAAA", "cursor").is_err());
    }

    #[test]
    fn workflow_edges() {
        assert_eq!(ItemAction::Submit.edge(), (ItemStatus::Rectifying, ItemStatus::Submitted));
        assert_eq!(ItemAction::Reject.edge(), (ItemStatus::Submitted, ItemStatus::Rectifying));
        assert_eq!(ItemAction::Verify.edge(), (ItemStatus::Submitted, ItemStatus::Verified));
        assert!(ItemAction::Reject.by_inspector() && ItemAction::Verify.by_inspector());
        assert!(!ItemAction::Submit.by_inspector());
    }
}
