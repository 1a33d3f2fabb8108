//! Supervision items and their rectification workflow (整改): open, plan, evidence, submit, reject, verify, and the trail of updates.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::scope::org_ref_in;
use crate::services::types::Id;
use crate::services::{check_version, clean};
use entity::{organization, supervision_item, supervision_item_update};

use super::*;

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
    /// That organisation's name (REST reads and lists; GraphQL has `organization`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
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
    /// The responsible person's name (REST reads and lists; GraphQL has
    /// `responsiblePerson`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_person_name: Option<String>,
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
    pub(super) fn from_model(m: supervision_item::Model, today: NaiveDate) -> AppResult<Self> {
        let status = ItemStatus::from_db(&m.status)?;
        Ok(ItemView {
            overdue: status != ItemStatus::Verified && m.due_on < today,
            status,
            category: ItemCategory::from_db(&m.category)?,
            severity: Severity::from_db(&m.severity)?,
            id: m.id.into(),
            inspection_id: m.inspection_id.map(Id),
            organization_id: m.organization_id.into(),
            organization_name: None,
            title: m.title,
            description: m.description,
            responsible_person_id: m.responsible_person_id.into(),
            responsible_person_name: None,
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
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// The problem in detail (up to 5000 characters).
    #[schema(max_length = 5000)]
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
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// The problem in detail (up to 5000 characters; empty clears it).
    #[schema(max_length = 5000)]
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
    pub(super) fn from_model(m: supervision_item_update::Model) -> AppResult<Self> {
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
    /// A comment or evidence (plans and status changes have their own operations):
    /// only `comment` and `evidence` are accepted here.
    pub kind: UpdateKind,
    /// Text (1–5000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 5000)]
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

/// The items the actor may read: `SupervisionRead` scope, plus the items they are
/// responsible for.
pub(super) fn readable(actor: &Actor) -> AppResult<Condition> {
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
pub(super) struct Rights {
    manage: bool,
    respond: bool,
}

pub(super) async fn rights<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    item: &supervision_item::Model,
) -> AppResult<Rights> {
    let org = organization::Entity::find_by_id(item.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(Rights {
        manage: actor.scope(Permission::SupervisionManage).contains_path(&org.path),
        respond: actor.scope(Permission::SupervisionRespond).contains_path(&org.path)
            || actor.person_id() == Some(item.responsible_person_id),
    })
}

/// Loads and locks an item for a change: NOT_FOUND when not readable.
pub(super) async fn find_for_change<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(supervision_item::Model, Rights)> {
    find_readable(db, actor, id).await?;
    let row = supervision_item::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    let r = rights(db, actor, &row).await?;
    Ok((row, r))
}

pub(super) async fn audit_item<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&ItemView>,
    after: &ItemView,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            crate::services::audit::entity_name(entity::supervision_item::Entity),
            *after.id,
            Some(*after.organization_id),
            before,
            Some(after),
        )?,
    )
    .await
}

/// Writes an item update and its audit record.
pub(super) async fn write_update<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    item: &ItemView,
    kind: UpdateKind,
    text: String,
    status: Option<(Option<ItemStatus>, ItemStatus)>,
) -> AppResult<ItemUpdateView> {
    let (view, change) = insert_update(tx, actor, item, kind, text, status).await?;
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Writes an item update; returns it with the audit change to record.
async fn insert_update<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    item: &ItemView,
    kind: UpdateKind,
    text: String,
    status: Option<(Option<ItemStatus>, ItemStatus)>,
) -> AppResult<(ItemUpdateView, Change<'static>)> {
    let row = supervision_item_update::ActiveModel {
        id: Set(Uuid::now_v7()),
        item_id: Set(*item.id),
        author_person_id: Set(actor.person_id()),
        author_user_id: Set(actor.user_id()),
        kind: Set(kind.as_str().to_owned()),
        text: Set(text),
        status_from: Set(status.and_then(|(from, _)| from).map(|s| s.as_str().to_owned())),
        status_to: Set(status.map(|(_, to)| to.as_str().to_owned())),
        created_at: Set(crate::services::now()),
    }
    .insert(tx)
    .await?;
    let view = ItemUpdateView::from_model(row)?;
    let change = Change::of(
        "create",
        crate::services::audit::entity_name(entity::supervision_item_update::Entity),
        *view.id,
        Some(*item.organization_id),
        None,
        Some(&view),
    )?;
    Ok((view, change))
}

pub(super) fn validate_item(title: Option<&str>, description: Option<&str>) -> AppResult<()> {
    Validator::new()
        .opt_text(title, "title", 200)
        .check(description.is_none_or(|d| d.chars().count() <= 5000), "description", "must be at most 5000 characters")
        .finish()
}

/// One item; NOT_FOUND when missing or outside the actor's scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_item<C: ConnectionTrait>(db: &C, actor: &Actor, today: NaiveDate, id: Uuid) -> AppResult<ItemView> {
    let mut item = ItemView::from_model(find_readable(db, actor, id).await?, today)?;
    with_names(db, std::slice::from_mut(&mut item)).await?;
    Ok(item)
}

/// Fills in the names of the organisations and responsible people of `items`: two
/// statements whatever their number.
pub(super) async fn with_names<C: ConnectionTrait>(db: &C, items: &mut [ItemView]) -> AppResult<()> {
    let (orgs, people) = crate::services::names::organizations_and_people(
        db,
        items.iter().map(|i| *i.organization_id),
        items.iter().map(|i| *i.responsible_person_id),
    )
    .await?;
    for i in items {
        i.organization_name = orgs.get(&*i.organization_id).cloned();
        i.responsible_person_name = people.get(&*i.responsible_person_id).cloned();
    }
    Ok(())
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
    let refs = references(&tx, actor, &input).await?;
    let org_path = refs.organization_path.ok_or(AppError::NotFound)?;
    if !manage.contains_path(&org_path) {
        return Err(AppError::forbidden("this organisation is outside the subtree you supervise"));
    }
    if input.inspection_id.is_some() {
        match refs.inspection_path {
            None => return Err(AppError::invalid("inspection_id", "no such inspection")),
            Some(target) if !org_path.starts_with(&target) => {
                return Err(AppError::invalid("organization_id", "must lie in the inspected organisation's subtree"));
            }
            Some(_) => {}
        }
    }
    if !refs.person_in_scope {
        return Err(AppError::invalid("responsible_person_id", "no such person in your scope"));
    }
    let now = crate::services::now();
    let row = supervision_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        inspection_id: Set(input.inspection_id.map(Uuid::from)),
        organization_id: Set(*input.organization_id),
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
    let (_, trail) =
        insert_update(&tx, actor, &view, UpdateKind::StatusChange, "opened".to_owned(), Some((None, ItemStatus::Open)))
            .await?;
    let created = Change::of(
        "create",
        crate::services::audit::entity_name(entity::supervision_item::Entity),
        *view.id,
        Some(*view.organization_id),
        None,
        Some(&view),
    )?;
    audit::record_all(&tx, actor, vec![created, trail]).await?;
    tx.commit().await?;
    Ok(view)
}

/// What opening an item needs to know of the records it refers to.
struct References {
    /// The organisation's path, if it is in the actor's supervision read scope.
    organization_path: Option<String>,
    /// The inspected organisation's path, if an inspection is named and readable.
    inspection_path: Option<String>,
    /// Whether the responsible person is in the actor's people scope.
    person_in_scope: bool,
}

/// Checks the organisation, inspection and responsible person of a new item in one
/// statement (three scalar sub-queries).
async fn references<C: ConnectionTrait>(db: &C, actor: &Actor, input: &NewItem) -> AppResult<References> {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SubQueryStatement};
    let scalar =
        |q: sea_orm::sea_query::SelectStatement| Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)));
    let org = organization::Entity::find()
        .select_only()
        .column(organization::Column::Path)
        .filter(organization::Column::Id.eq(*input.organization_id))
        .filter(crate::services::scope::orgs_in(&actor.scope(Permission::SupervisionRead)))
        .into_query();
    let inspection = Query::select()
        .column((organization::Entity, organization::Column::Path))
        .from(entity::inspection::Entity)
        .join(
            JoinType::InnerJoin,
            organization::Entity,
            Expr::col((organization::Entity, organization::Column::Id))
                .equals((entity::inspection::Entity, entity::inspection::Column::OrganizationId)),
        )
        .and_where(
            Expr::col((entity::inspection::Entity, entity::inspection::Column::Id))
                .eq(input.inspection_id.map_or(Uuid::nil(), Uuid::from)),
        )
        .cond_where(super::inspections::inspections_readable(actor)?)
        .to_owned();
    let person = entity::person::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(entity::person::Column::Id.eq(*input.responsible_person_id))
        .filter(org_ref_in(entity::person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
        .into_query();
    let select = Query::select()
        .expr_as(scalar(org), Alias::new("org_path"))
        .expr_as(scalar(inspection), Alias::new("inspection_path"))
        .expr_as(scalar(person), Alias::new("person_ok"))
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a select without FROM returned no row")))?;
    Ok(References {
        organization_path: entity::fast::cell(&row, "", "org_path")?,
        inspection_path: entity::fast::cell(&row, "", "inspection_path")?,
        person_in_scope: row.try_get::<Option<i32>>("", "person_ok")?.is_some(),
    })
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
        crate::services::people::ensure_readable(&tx, actor, *p, "responsible_person_id").await?;
    }
    let original = row.clone();
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
    if crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
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
    let version = row.version;
    let mut am: supervision_item::ActiveModel = row.into();
    am.rectification_plan = Set(Some(plan.trim().to_owned()));
    am.status = Set(ItemStatus::Rectifying.as_str().to_owned());
    am.updated_at = Set(crate::services::now());
    am.version = Set(version + 1);
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
    let version = row.version;
    let mut am: supervision_item::ActiveModel = row.into();
    am.status = Set(to.as_str().to_owned());
    am.closed_on = Set((to == ItemStatus::Verified).then_some(today));
    am.updated_at = Set(crate::services::now());
    am.version = Set(version + 1);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_edges() {
        assert_eq!(ItemAction::Submit.edge(), (ItemStatus::Rectifying, ItemStatus::Submitted));
        assert_eq!(ItemAction::Reject.edge(), (ItemStatus::Submitted, ItemStatus::Rectifying));
        assert_eq!(ItemAction::Verify.edge(), (ItemStatus::Submitted, ItemStatus::Verified));
        assert!(ItemAction::Reject.by_inspector() && ItemAction::Verify.by_inspector());
        assert!(!ItemAction::Submit.by_inspector());
    }
}
