//! Technology Innovation Year (科技创新年): "five small" achievements with their review
//! workflow ([`achievements`]), research projects with milestones and R&D expenditure
//! ([`projects`]), intellectual property and honours ([`honours`]), campaigns with
//! indicators and activities with participants ([`campaigns`]), vanguard units
//! ([`vanguard`]) and the yearly report figures ([`statistics`]).
//!
//! Reading needs `InnovationRead` over the object's organisation (honours also
//! `HonourRead`); managing needs `InnovationManage` there; members submit achievements
//! with `AchievementSubmit`. Money is integer fen everywhere.

pub mod achievements;
pub mod campaigns;
pub mod honours;
pub mod projects;
pub mod statistics;
pub mod vanguard;

pub(crate) use super::{check_version, clean};
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, Order, Query},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::scope::find_in_scope;
use super::scope::org_ref_in;
use super::types::Id;
use crate::auth::{Actor, Permission, Scope};
use crate::error::{AppError, AppResult};
use entity::{organization, person};

/// A person linked to an object (team member, inventor, winner, unit member) with an
/// optional role.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    async_graphql::SimpleObject,
    async_graphql::InputObject,
)]
#[graphql(name = "PersonRole", input_name = "PersonRoleInput", complex)]
pub struct PersonLink {
    /// The person's id.
    pub person_id: Id,
    /// Role, e.g. 第一发明人, 队长 (up to 100 characters).
    #[schema(max_length = 100)]
    pub role: Option<String>,
}

/// Links as read by [`links_of`], as views.
pub(crate) fn person_links(links: Vec<(Uuid, Option<String>)>) -> Vec<PersonLink> {
    links.into_iter().map(|(person_id, role)| PersonLink { person_id: Id(person_id), role }).collect()
}

/// Whether `new` links the same people with the same labels as `stored`, order aside
/// (an update whose list changes nothing need not rewrite it).
pub(crate) fn same_links(stored: &[(Uuid, Option<String>)], new: &[(Uuid, Option<String>)]) -> bool {
    let mut a = stored.to_vec();
    let mut b = new.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// A table linking an owner row to people: `(owner column, person_id, label column)`.
pub(crate) struct LinkTable {
    table: &'static str,
    owner: &'static str,
    label: &'static str,
}

pub(crate) const ACHIEVEMENT_TEAM: LinkTable =
    LinkTable { table: "achievement_member", owner: "achievement_id", label: "role" };
pub(crate) const PROJECT_TEAM: LinkTable = LinkTable { table: "project_member", owner: "project_id", label: "role" };
pub(crate) const UNIT_MEMBERS: LinkTable = LinkTable { table: "vanguard_member", owner: "unit_id", label: "role" };
pub(crate) const HONOUR_PEOPLE: LinkTable = LinkTable { table: "honour_person", owner: "honour_id", label: "role" };
pub(crate) const PARTICIPANTS: LinkTable =
    LinkTable { table: "activity_participant", owner: "activity_id", label: "result" };

/// People linked to one owner, with their labels: [(person, label)].
pub(crate) type Links = Vec<(Uuid, Option<String>)>;

/// The links of several owners, in one statement: owner → [(person, label)].
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn links_of<C: ConnectionTrait>(
    db: &C,
    t: &LinkTable,
    owners: &[Uuid],
) -> AppResult<HashMap<Uuid, Links>> {
    let mut map: HashMap<Uuid, Links> = HashMap::new();
    if owners.is_empty() {
        return Ok(map);
    }
    let select = Query::select()
        .columns([Alias::new(t.owner), Alias::new("person_id"), Alias::new(t.label)])
        .from(Alias::new(t.table))
        .and_where(Expr::col(Alias::new(t.owner)).is_in(owners.iter().copied()))
        .order_by(Alias::new(t.owner), Order::Asc)
        .order_by(Alias::new("person_id"), Order::Asc)
        .to_owned();
    for row in db.query_all(&select).await? {
        let owner: Uuid = entity::fast::cell(&row, "", t.owner)?;
        let person: Uuid = entity::fast::cell(&row, "", "person_id")?;
        let label: Option<String> = entity::fast::cell(&row, "", t.label)?;
        map.entry(owner).or_default().push((person, label));
    }
    Ok(map)
}

/// Replaces the links of `owner` (inside the caller's transaction).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn set_links<C: ConnectionTrait>(
    tx: &C,
    t: &LinkTable,
    owner: Uuid,
    links: &[(Uuid, Option<String>)],
) -> AppResult<()> {
    let delete =
        Query::delete().from_table(Alias::new(t.table)).and_where(Expr::col(Alias::new(t.owner)).eq(owner)).to_owned();
    tx.execute(&delete).await?;
    if links.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert.into_table(Alias::new(t.table)).columns([Alias::new(t.owner), Alias::new("person_id"), Alias::new(t.label)]);
    for (person, label) in links {
        insert
            .values([owner.into(), (*person).into(), label.clone().into()])
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
    }
    tx.execute(&insert).await?;
    Ok(())
}

/// Ids of the owners linked to `person` (a sub-query for "mine" conditions).
pub(crate) fn owners_of_person(t: &LinkTable, person: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(Alias::new(t.owner))
        .from(Alias::new(t.table))
        .and_where(Expr::col(Alias::new("person_id")).eq(person))
        .to_owned()
}

/// Validates people links: no duplicates, labels at most 100 characters, every person
/// in the actor's `PersonRead` scope (else VALIDATION on `field`).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn check_people<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    links: &[PersonLink],
    field: &str,
) -> AppResult<Vec<(Uuid, Option<String>)>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        if !seen.insert(*l.person_id) {
            return Err(AppError::invalid(field, "lists a person twice"));
        }
        let role = l.role.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
        if role.as_ref().is_some_and(|r| r.chars().count() > 100) {
            return Err(AppError::invalid(field, "a role must be at most 100 characters"));
        }
        out.push((*l.person_id, role));
    }
    ensure_persons(db, actor, seen.into_iter().collect(), field).await?;
    Ok(out)
}

/// Fails with VALIDATION on `field` unless every person is in the actor's `PersonRead` scope.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn ensure_persons<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: Vec<Uuid>,
    field: &str,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let n = ids.len() as u64;
    let found = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .filter(org_ref_in(person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
        .count(db)
        .await?;
    if found != n {
        return Err(AppError::invalid(field, "no such person in your scope"));
    }
    Ok(())
}

/// Whether the actor holds `perm` over organisation `org_id`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn holds_over<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    org_id: Uuid,
    perm: Permission,
) -> AppResult<bool> {
    let scope = actor.scope(perm);
    if scope == Scope::None {
        return Ok(false);
    }
    let org = organization::Entity::find_by_id(org_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(scope.contains_path(&org.path))
}

/// The first day of `year` and of the next year: a calendar year is `[start, end)`.
pub fn year_bounds(year: i32) -> AppResult<(NaiveDate, NaiveDate)> {
    match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1)) {
        (Some(a), Some(b)) if (2000..=2100).contains(&year) => Ok((a, b)),
        _ => Err(AppError::invalid("year", "must be between 2000 and 2100")),
    }
}

/// Fails with VALIDATION on `field` when a money amount (fen) is negative.
pub(crate) fn non_negative(v: &mut crate::error::Validator, amount: Option<i64>, field: &str) {
    v.check(amount.is_none_or(|a| a >= 0), field, "must not be negative");
}

/// `organization_id IN (subtree of org)` after checking the org is readable: the
/// list filter "in this organisation's subtree".
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn in_subtree_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    column: impl ColumnTrait,
    org_id: Uuid,
) -> AppResult<sea_orm::Condition> {
    let org = find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
    Ok(sea_orm::Condition::all().add(column.in_subquery(super::scope::org_ids_query(super::scope::subtree(&org.path)))))
}

/// Campaigns the actor may read: those of their management scope, and (participation
/// scope) every campaign run by their own organisation or an ancestor: a committee's
/// campaign reaches everyone below it.
pub(crate) fn campaign_readable(actor: &Actor) -> AppResult<sea_orm::Condition> {
    let scope = actor.require(Permission::InnovationRead)?;
    let mut cond =
        sea_orm::Condition::any().add(org_ref_in(entity::innovation_campaign::Column::OrganizationId, &scope));
    if let Some(own) =
        crate::services::scope::addressed_to_caller(entity::innovation_campaign::Column::OrganizationId, actor)
    {
        cond = cond.add(own);
    }
    Ok(sea_orm::Condition::all().add(cond))
}
