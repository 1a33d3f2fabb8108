//! Inspection rounds (巡察) over an organisation subtree: create, change, read.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::pagination::{KeyOrder, Page, PageRequest, keyset};
use crate::services::scope::find_in_scope;
use crate::services::scope::{org_ids_query, org_ref_in, subtree};
use crate::services::types::Id;
use entity::{inspection, organization};

use super::*;

/// An inspection round (巡察) over an organisation subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Inspection", complex)]
pub struct InspectionView {
    /// Id (UUID v7).
    pub id: Id,
    /// The inspected organisation's id (its subtree is in scope).
    pub organization_id: Id,
    /// That organisation's name (REST reads and lists; GraphQL has `organization`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Title.
    pub title: String,
    /// Focus (e.g. carrying out technology-innovation responsibility).
    pub focus: String,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<Id>,
    /// The lead inspector's name (REST reads and lists; GraphQL has `leadInspector`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_inspector_name: Option<String>,
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
    pub(super) fn from_model(m: inspection::Model) -> AppResult<Self> {
        Ok(InspectionView {
            status: InspectionStatus::from_db(&m.status)?,
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            organization_name: None,
            title: m.title,
            focus: m.focus,
            lead_inspector_id: m.lead_inspector_person_id.map(Id),
            lead_inspector_name: None,
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
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Focus (1–2000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 2000)]
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
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Focus (1–2000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 2000)]
    pub focus: Option<String>,
    /// Lead inspector (person id).
    pub lead_inspector_id: Option<Id>,
    /// First day; must not be after the (new or current) `ends_on`.
    pub starts_on: Option<NaiveDate>,
    /// Last day; must not be before the (new or current) `starts_on`.
    pub ends_on: Option<NaiveDate>,
    /// Status (any change among planned, in_progress, finished).
    pub status: Option<InspectionStatus>,
}

/// Filters of [`list_inspections`].
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// Only inspections of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<InspectionStatus>,
}

pub(super) fn inspections_readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::SupervisionRead)?;
    Ok(Condition::all().add(org_ref_in(inspection::Column::OrganizationId, &scope)))
}

pub(super) async fn audit_inspection<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&InspectionView>,
    after: &InspectionView,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            crate::services::audit::entity_name(entity::inspection::Entity),
            *after.id,
            Some(*after.organization_id),
            before,
            Some(after),
        )?,
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
    let mut one = InspectionView::from_model(row)?;
    with_names(db, std::slice::from_mut(&mut one)).await?;
    Ok(one)
}

/// Fills in the names of the inspected organisations and lead inspectors of `items`:
/// two statements whatever their number.
async fn with_names<C: ConnectionTrait>(db: &C, items: &mut [InspectionView]) -> AppResult<()> {
    let orgs = crate::services::names::organizations(db, items.iter().map(|i| *i.organization_id)).await?;
    let people =
        crate::services::names::people(db, items.iter().filter_map(|i| i.lead_inspector_id.map(|p| *p))).await?;
    for i in items {
        i.organization_name = orgs.get(&*i.organization_id).cloned();
        i.lead_inspector_name = i.lead_inspector_id.and_then(|p| people.get(&*p).cloned());
    }
    Ok(())
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
    let mut items = rows.into_iter().map(InspectionView::from_model).collect::<AppResult<Vec<_>>>()?;
    with_names(db, &mut items).await?;
    Ok(Page::from_rows(items, page, |i| *i.id, total))
}

pub(super) fn validate_inspection(
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
        crate::services::people::ensure_readable(&tx, actor, *p, "lead_inspector_id").await?;
    }
    let now = crate::services::now();
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
        crate::services::people::ensure_readable(&tx, actor, *p, "lead_inspector_id").await?;
    }
    let before = InspectionView::from_model(row.clone())?;
    let original = row.clone();
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
    if crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let after = InspectionView::from_model(am.update(&tx).await?)?;
    audit_inspection(&tx, actor, "update", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}
