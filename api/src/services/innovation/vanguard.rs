//! Vanguard units: party-member commando teams (党员突击队) and demonstration posts
//! (党员示范岗), with their organisation, optional project, members and period.
//! Read with `InnovationRead`, changed with `InnovationManage` over the organisation.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PersonLink, UNIT_MEMBERS, check_people, check_version, in_subtree_of, links_of, person_links, set_links};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::pagination::{KeyOrder, Page, PageRequest, keyset};
use crate::services::scope::org_for_write;
use crate::services::scope::org_ref_in;
use crate::services::types::{Id, text_enum};
use entity::vanguard_unit;

text_enum! {
    /// Kind of vanguard unit.
    VanguardKind {
        /// 党员突击队: party-member commando team.
        CommandoTeam => "commando_team",
        /// 党员示范岗: party-member demonstration post.
        DemonstrationPost => "demonstration_post",
    }
}

/// A vanguard unit: a commando team (党员突击队) or demonstration post (党员示范岗).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "VanguardUnit", complex)]
pub struct VanguardUnitView {
    /// Id (UUID v7).
    pub id: Id,
    /// Kind.
    pub kind: VanguardKind,
    /// The organisation.
    pub organization_id: Id,
    /// The project it serves, if any.
    pub project_id: Option<Id>,
    /// Name.
    pub name: String,
    /// Day established.
    pub established_on: NaiveDate,
    /// Day it ends (or ended), if set.
    pub ends_on: Option<NaiveDate>,
    /// Members with their roles (e.g. 队长).
    pub members: Vec<PersonLink>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A new vanguard unit.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateVanguardUnitInput")]
pub struct NewVanguardUnit {
    /// Kind.
    pub kind: VanguardKind,
    /// The organisation (one you manage).
    pub organization_id: Id,
    /// The project, if any (readable).
    pub project_id: Option<Id>,
    /// Name (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub name: String,
    /// Day established.
    pub established_on: NaiveDate,
    /// Day it ends (not before `established_on`).
    pub ends_on: Option<NaiveDate>,
    /// Members (each person at most once).
    #[serde(default)]
    #[graphql(default)]
    pub members: Vec<PersonLink>,
}

/// Changes to a vanguard unit: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateVanguardUnitInput")]
pub struct VanguardUnitPatch {
    /// Name (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub name: Option<String>,
    /// Day it ends (not before the unit's `established_on`).
    pub ends_on: Option<NaiveDate>,
    /// Members (replaces the list; each person at most once).
    pub members: Option<Vec<PersonLink>>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct VanguardFilter {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<VanguardKind>,
    /// Only serving this project.
    pub project_id: Option<Uuid>,
}

fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::InnovationRead)?;
    Ok(Condition::all().add(org_ref_in(vanguard_unit::Column::OrganizationId, &scope)))
}

async fn views<C: ConnectionTrait>(db: &C, rows: Vec<vanguard_unit::Model>) -> AppResult<Vec<VanguardUnitView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut members = links_of(db, &UNIT_MEMBERS, &ids).await?;
    rows.into_iter()
        .map(|m| {
            Ok(VanguardUnitView {
                kind: VanguardKind::from_db(&m.kind)?,
                members: person_links(members.remove(&m.id).unwrap_or_default()),
                id: m.id.into(),
                organization_id: m.organization_id.into(),
                project_id: m.project_id.map(Id),
                name: m.name,
                established_on: m.established_on,
                ends_on: m.ends_on,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

async fn view<C: ConnectionTrait>(db: &C, row: vanguard_unit::Model) -> AppResult<VanguardUnitView> {
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// One unit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<VanguardUnitView> {
    let row =
        vanguard_unit::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)?;
    view(db, row).await
}

/// A page of units in scope, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &VanguardFilter,
    page: PageRequest,
) -> AppResult<Page<VanguardUnitView>> {
    let mut cond = readable(actor)?;
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, vanguard_unit::Column::OrganizationId, org).await?);
    }
    if let Some(k) = filter.kind {
        cond = cond.add(vanguard_unit::Column::Kind.eq(k.as_str()));
    }
    if let Some(p) = filter.project_id {
        cond = cond.add(vanguard_unit::Column::ProjectId.eq(p));
    }
    let (rows, total) =
        keyset::<_, vanguard_unit::Entity>(db, cond, vanguard_unit::Column::Id, page, KeyOrder::Oldest).await?;
    Ok(Page::from_rows(views(db, rows).await?, page, |u| *u.id, total))
}

/// Creates a unit in an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewVanguardUnit) -> AppResult<VanguardUnitView> {
    Validator::new()
        .text(&input.name, "name", 200)
        .check(input.ends_on.is_none_or(|e| e >= input.established_on), "ends_on", "must not be before established_on")
        .finish()?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::InnovationManage).await?;
    if let Some(p) = input.project_id {
        super::projects::find_readable(&tx, actor, *p)
            .await
            .map_err(|_| AppError::invalid("project_id", "no such project"))?;
    }
    let members = check_people(&tx, actor, &input.members, "members").await?;
    let now = crate::services::now();
    let row = vanguard_unit::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        project_id: Set(input.project_id.map(Uuid::from)),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(input.name.trim().to_owned()),
        established_on: Set(input.established_on),
        ends_on: Set(input.ends_on),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    set_links(&tx, &UNIT_MEMBERS, row.id, &members).await?;
    let after = view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::vanguard_unit::Entity),
            *after.id,
            Some(org.id),
            None,
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a unit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: VanguardUnitPatch,
) -> AppResult<VanguardUnitView> {
    Validator::new().opt_text(patch.name.as_deref(), "name", 200).finish()?;
    let tx = write_tx(db).await?;
    vanguard_unit::Entity::find_by_id(id).filter(readable(actor)?).one(&tx).await?.ok_or(AppError::NotFound)?;
    let row = vanguard_unit::Entity::find_by_id(id).lock_exclusive().one(&tx).await?.ok_or(AppError::NotFound)?;
    org_for_write(&tx, actor, row.organization_id, Permission::InnovationManage).await?;
    check_version(row.version, expected_version)?;
    if patch.ends_on.is_some_and(|e| e < row.established_on) {
        return Err(AppError::invalid("ends_on", "must not be before established_on"));
    }
    let before = view(&tx, row.clone()).await?;
    let members = match &patch.members {
        Some(m) => Some(check_people(&tx, actor, m, "members").await?),
        None => None,
    };
    let original = row.clone();
    let mut am: vanguard_unit::ActiveModel = row.into();
    if let Some(v) = patch.name {
        am.name = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.ends_on {
        am.ends_on = Set(Some(v));
    }
    let stored: Vec<(Uuid, Option<String>)> = before.members.iter().map(|m| (m.person_id.0, m.role.clone())).collect();
    if members.as_ref().is_none_or(|m| super::same_links(&stored, m)) && crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let row = am.update(&tx).await?;
    if let Some(m) = members {
        set_links(&tx, &UNIT_MEMBERS, id, &m).await?;
    }
    let after = view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::vanguard_unit::Entity),
            id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
