//! Committees (党委委员会 of a party committee, 总支委员会 of a general branch, 支部委员会
//! of a branch; a party group has none): their terms (届) and the members of each term
//! in positions (书记, 副书记, 组织委员, ...).
//!
//! A term runs from `started_on` until `ended_on` (exclusive), which 换届 sets when it
//! starts the next term; at most one term per organisation is not ended (the current
//! term). A member holds a position from `from_on` until `until_on` (exclusive; null =
//! to the end of the term). Within a term a person holds at most one position at a
//! time, and there is at most one secretary at a time.
//!
//! Reads follow the organisation read rules (`OrgRead` scope, and the participation
//! scope: a party-group member reads their branch's committee); writes need `OrgWrite`
//! over the organisation, like the organisation's own changes. A term's `version`
//! covers its members: every member change bumps it, so the term's ETag changes too.
//! Who is in office on a date is asked by the roster code (`rosters::terms_on`,
//! `rosters::members_on`); every committee write brings the rosters of the
//! organisation's planned sessions (支委会, 党委会, 中心组) in line in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::scope::{find_participating, org_for_write, org_ids_query, org_ref_in, orgs_participating};
use super::types::{Id, OrgKind, text_enum};
use super::{check_version, clean};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{committee_member, committee_term, person};

text_enum! {
    /// A position on a committee.
    CommitteePosition {
        /// 书记: secretary (at most one at a time in a term).
        Secretary => "secretary",
        /// 副书记: deputy secretary.
        DeputySecretary => "deputy_secretary",
        /// 组织委员: organisation member.
        Organization => "organization",
        /// 宣传委员: propaganda member.
        Propaganda => "propaganda",
        /// 纪检委员: discipline inspection member.
        Discipline => "discipline",
        /// 青年委员: youth member.
        Youth => "youth",
        /// 妇女委员: women's member.
        Women => "women",
        /// 统战委员: united front member.
        UnitedFront => "united_front",
        /// 委员: member.
        Member => "member",
    }
}

impl CommitteePosition {
    /// The rank in a list of members (secretary first).
    fn rank(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(usize::MAX)
    }
}

/// Most members one term takes at creation (and a sanity bound on a term's size).
pub const MAX_MEMBERS: usize = 50;

/// A member of a committee term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "CommitteeMember", complex)]
pub struct CommitteeMemberView {
    /// Id (UUID v7).
    pub id: Id,
    /// The term (id).
    pub term_id: Id,
    /// The person (id).
    pub person_id: Id,
    /// The person's name.
    pub person_name: String,
    /// Position.
    pub position: CommitteePosition,
    /// First day in the position.
    pub from_on: NaiveDate,
    /// The day the member left (exclusive); null = to the end of the term.
    pub until_on: Option<NaiveDate>,
    /// In office today (configured time zone): the term is in office and today lies in
    /// `[from_on, until_on)`.
    pub in_office: bool,
    /// Order in the list of members (then by position).
    pub sort_order: i32,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it back when updating.
    pub version: i32,
}

/// A term (届) of an organisation's committee, with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "CommitteeTerm", complex)]
pub struct CommitteeTermView {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation (id).
    pub organization_id: Id,
    /// Number of the term (第N届).
    pub number: i32,
    /// First day of the term.
    pub started_on: NaiveDate,
    /// Planned end.
    pub ends_on: Option<NaiveDate>,
    /// The day the term ended (exclusive), set by 换届; null for the current term.
    pub ended_on: Option<NaiveDate>,
    /// The current term: not ended by 换届.
    pub current: bool,
    /// Notes (election, approval, ...).
    pub notes: Option<String>,
    /// Members in list order (sort order, then position), those who left included
    /// (`in_office` false).
    pub members: Vec<CommitteeMemberView>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; covers the members (each member change bumps it).
    pub version: i32,
}

/// A member to add to a term.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "AddCommitteeMemberInput")]
pub struct NewCommitteeMember {
    /// The person (must exist and be readable by you).
    pub person_id: Id,
    /// Position.
    pub position: CommitteePosition,
    /// First day in the position (default: the term's start; not before it).
    pub from_on: Option<NaiveDate>,
    /// The day the member leaves (exclusive), after `from_on`.
    pub until_on: Option<NaiveDate>,
    /// Order in the list of members (default 0; then by position).
    #[schema(minimum = 0, maximum = 1000)]
    pub sort_order: Option<i32>,
}

/// Changes to a member: only the fields given change. Leaving a term is `until_on`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateCommitteeMemberInput")]
pub struct CommitteeMemberPatch {
    /// New position.
    pub position: Option<CommitteePosition>,
    /// New first day in the position.
    pub from_on: Option<NaiveDate>,
    /// The day the member leaves (exclusive), after `from_on`.
    pub until_on: Option<NaiveDate>,
    /// True clears `until_on` (the member stays to the end of the term).
    pub clear_until_on: Option<bool>,
    /// New order in the list of members.
    #[schema(minimum = 0, maximum = 1000)]
    pub sort_order: Option<i32>,
}

/// A new term (换届): ends the current term on the new term's first day.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "StartCommitteeTermInput")]
pub struct NewCommitteeTerm {
    /// Number of the term (第N届); default: one more than the last term's. Must be
    /// greater than every earlier term's.
    #[schema(minimum = 1, maximum = 1000)]
    pub number: Option<i32>,
    /// First day; after the current term's first day.
    pub started_on: NaiveDate,
    /// Planned end (not before `started_on`).
    pub ends_on: Option<NaiveDate>,
    /// Notes (up to 2000 characters).
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// The members elected (at most 50).
    #[schema(max_items = 50)]
    pub members: Option<Vec<NewCommitteeMember>>,
}

/// Changes to a term: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateCommitteeTermInput")]
pub struct CommitteeTermPatch {
    /// New number (unique within the organisation).
    #[schema(minimum = 1, maximum = 1000)]
    pub number: Option<i32>,
    /// Corrected first day: after the previous term's first day and before this term's
    /// end. The previous term's end and the members who joined on the old first day move
    /// with it.
    pub started_on: Option<NaiveDate>,
    /// New planned end (not before `started_on`).
    pub ends_on: Option<NaiveDate>,
    /// True clears `ends_on`.
    pub clear_ends_on: Option<bool>,
    /// Notes (up to 2000 characters; empty clears them).
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

// ---------------------------------------------------------------------------------
// Views

/// Whether `[from, until)` covers `on` (`until` null = open-ended).
fn covers(from: NaiveDate, until: Option<NaiveDate>, on: NaiveDate) -> bool {
    from <= on && until.is_none_or(|u| u > on)
}

/// Whether `[a_from, a_until)` and `[b_from, b_until)` share a day.
fn overlaps(a_from: NaiveDate, a_until: Option<NaiveDate>, b_from: NaiveDate, b_until: Option<NaiveDate>) -> bool {
    b_until.is_none_or(|bu| a_from < bu) && a_until.is_none_or(|au| b_from < au)
}

fn member_view(
    m: committee_member::Model,
    term: &committee_term::Model,
    names: &HashMap<Uuid, String>,
    today: NaiveDate,
) -> AppResult<CommitteeMemberView> {
    Ok(CommitteeMemberView {
        position: CommitteePosition::from_db(&m.position)?,
        in_office: covers(term.started_on, term.ended_on, today) && covers(m.from_on, m.until_on, today),
        person_name: names.get(&m.person_id).cloned().unwrap_or_default(),
        id: m.id.into(),
        term_id: m.term_id.into(),
        person_id: m.person_id.into(),
        from_on: m.from_on,
        until_on: m.until_on,
        sort_order: m.sort_order,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn term_view(t: committee_term::Model, members: Vec<CommitteeMemberView>) -> CommitteeTermView {
    CommitteeTermView {
        id: t.id.into(),
        organization_id: t.organization_id.into(),
        number: t.number,
        started_on: t.started_on,
        ends_on: t.ends_on,
        ended_on: t.ended_on,
        current: t.ended_on.is_none(),
        notes: t.notes,
        members,
        created_at: t.created_at,
        updated_at: t.updated_at,
        version: t.version,
    }
}

fn sort_members(members: &mut [CommitteeMemberView]) {
    members.sort_by_key(|m| (m.sort_order, m.position.rank(), m.from_on, m.id));
}

/// Views of terms with their members: two more statements whatever the number of terms.
async fn views<C: ConnectionTrait>(
    db: &C,
    terms: Vec<committee_term::Model>,
    today: NaiveDate,
) -> AppResult<Vec<CommitteeTermView>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let members = committee_member::Entity::find()
        .filter(committee_member::Column::TermId.is_in(terms.iter().map(|t| t.id)))
        .all(db)
        .await?;
    let names = super::names::people(db, members.iter().map(|m| m.person_id)).await?;
    let mut by_term: HashMap<Uuid, Vec<committee_member::Model>> = HashMap::new();
    for m in members {
        by_term.entry(m.term_id).or_default().push(m);
    }
    terms
        .into_iter()
        .map(|t| {
            let mut ms = by_term
                .remove(&t.id)
                .unwrap_or_default()
                .into_iter()
                .map(|m| member_view(m, &t, &names, today))
                .collect::<AppResult<Vec<_>>>()?;
            sort_members(&mut ms);
            Ok(term_view(t, ms))
        })
        .collect()
}

async fn view<C: ConnectionTrait>(
    db: &C,
    term: committee_term::Model,
    today: NaiveDate,
) -> AppResult<CommitteeTermView> {
    views(db, vec![term], today).await?.pop().ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------------------------
// Reads

/// Terms of organisations the actor may read.
/// Terms of the committees of organisations the actor may read: their management scope
/// and their participation scope (a member of a party group knows their branch's
/// committee).
fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::OrgRead)?;
    Ok(Condition::all()
        .add(committee_term::Column::OrganizationId.in_subquery(org_ids_query(orgs_participating(actor, &scope)))))
}

async fn find_readable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<committee_term::Model> {
    committee_term::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

/// The current committee of an organisation (its term not ended by 换届) with its
/// members; NOT_FOUND when it has none, or the organisation is missing or out of scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Uuid,
) -> AppResult<CommitteeTermView> {
    let scope = actor.require(Permission::OrgRead)?;
    find_participating(db, actor, &scope, organization_id).await?;
    let term = committee_term::Entity::find()
        .filter(committee_term::Column::OrganizationId.eq(organization_id))
        .filter(committee_term::Column::EndedOn.is_null())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    view(db, term, today).await
}

/// Every term of an organisation's committee with its members, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn terms<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Uuid,
) -> AppResult<Vec<CommitteeTermView>> {
    let scope = actor.require(Permission::OrgRead)?;
    find_participating(db, actor, &scope, organization_id).await?;
    let rows = committee_term::Entity::find()
        .filter(committee_term::Column::OrganizationId.eq(organization_id))
        .order_by_desc(committee_term::Column::StartedOn)
        .order_by_desc(committee_term::Column::Id)
        .all(db)
        .await?;
    views(db, rows, today).await
}

/// One term with its members.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_term<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
) -> AppResult<CommitteeTermView> {
    let term = find_readable(db, actor, id).await?;
    view(db, term, today).await
}

/// One member of a term (`term_id`, when given, must be the member's term).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_member<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    term_id: Option<Uuid>,
    member_id: Uuid,
) -> AppResult<CommitteeMemberView> {
    let member = committee_member::Entity::find_by_id(member_id).one(db).await?.ok_or(AppError::NotFound)?;
    if term_id.is_some_and(|t| t != member.term_id) {
        return Err(AppError::NotFound);
    }
    let term = find_readable(db, actor, member.term_id).await?;
    let names = super::names::people(db, [member.person_id]).await?;
    member_view(member, &term, &names, today)
}

/// The current committees of several organisations, by organisation id (DataLoader
/// batch), skipping organisations out of scope and those without one. Three statements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, CommitteeTermView>> {
    let rows = committee_term::Entity::find()
        .filter(committee_term::Column::OrganizationId.is_in(organization_ids.iter().copied()))
        .filter(committee_term::Column::EndedOn.is_null())
        .filter(readable(actor)?)
        .all(db)
        .await?;
    Ok(views(db, rows, today).await?.into_iter().map(|t| (t.organization_id.0, t)).collect())
}

/// Every term of several organisations, newest first, by organisation id (DataLoader
/// batch), skipping organisations out of scope. Three statements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn terms_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<CommitteeTermView>>> {
    let rows = committee_term::Entity::find()
        .filter(committee_term::Column::OrganizationId.is_in(organization_ids.iter().copied()))
        .filter(readable(actor)?)
        .order_by_desc(committee_term::Column::StartedOn)
        .order_by_desc(committee_term::Column::Id)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<CommitteeTermView>> = HashMap::new();
    for t in views(db, rows, today).await? {
        map.entry(t.organization_id.0).or_default().push(t);
    }
    Ok(map)
}

// ---------------------------------------------------------------------------------
// Writes

fn validate_term_fields(
    number: Option<i32>,
    started_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    notes: Option<&str>,
) -> AppResult<()> {
    Validator::new()
        .check(number.is_none_or(|n| (1..=1000).contains(&n)), "number", "must be between 1 and 1000")
        .check(
            started_on.zip(ends_on).is_none_or(|(s, e)| e >= s),
            "ends_on",
            "must not be before the term's first day",
        )
        .check(notes.is_none_or(|n| n.chars().count() <= 2000), "notes", "must be at most 2000 characters")
        .finish()
}

fn validate_sort_order(sort_order: Option<i32>, field: &str) -> AppResult<()> {
    Validator::new()
        .check(sort_order.is_none_or(|n| (0..=1000).contains(&n)), field, "must be between 0 and 1000")
        .finish()
}

/// A membership to check against a term and its other members.
struct Candidate {
    person_id: Uuid,
    position: CommitteePosition,
    from_on: NaiveDate,
    until_on: Option<NaiveDate>,
}

/// The rules of a membership: inside the term, one position per person at a time, one
/// secretary at a time. `prefix` qualifies the field names (`members[2].`).
fn check_member(
    term: &committee_term::Model,
    others: &[committee_member::Model],
    c: &Candidate,
    prefix: &str,
) -> AppResult<()> {
    let f = |name: &str| format!("{prefix}{name}");
    let mut v = Validator::new();
    v.check(c.from_on >= term.started_on, &f("from_on"), "must not be before the term's first day")
        .check(term.ended_on.is_none_or(|e| c.from_on < e), &f("from_on"), "must be before the day the term ended")
        .check(c.until_on.is_none_or(|u| u > c.from_on), &f("until_on"), "must be after from_on")
        .check(
            c.until_on.zip(term.ended_on).is_none_or(|(u, e)| u <= e),
            &f("until_on"),
            "must not be after the day the term ended",
        );
    v.finish()?;
    let clash = |same: &dyn Fn(&committee_member::Model) -> bool| {
        others.iter().any(|o| same(o) && overlaps(o.from_on, o.until_on, c.from_on, c.until_on))
    };
    Validator::new()
        .check(
            !clash(&|o: &committee_member::Model| o.person_id == c.person_id),
            &f("person_id"),
            "this person already holds a position in this term for part of that period",
        )
        .check(
            c.position != CommitteePosition::Secretary
                || !clash(&|o: &committee_member::Model| o.position == CommitteePosition::Secretary.as_str()),
            &f("position"),
            "the term already has a secretary for part of that period",
        )
        .finish()
}

/// A person must exist and be readable by the actor (`PersonRead` scope); otherwise
/// VALIDATION on `field`, the same for a missing person and one out of scope.
async fn ensure_person<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid, field: &str) -> AppResult<()> {
    let found = person::Entity::find_by_id(id)
        .filter(org_ref_in(person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
        .count(db)
        .await?;
    if found == 0 {
        return Err(AppError::invalid(field, "no such person in your scope"));
    }
    Ok(())
}

async fn members_of<C: ConnectionTrait>(db: &C, term_id: Uuid) -> AppResult<Vec<committee_member::Model>> {
    Ok(committee_member::Entity::find().filter(committee_member::Column::TermId.eq(term_id)).all(db).await?)
}

/// Loads and locks a term the actor may write: NOT_FOUND when missing or unreadable,
/// FORBIDDEN when readable but outside the managed subtree.
async fn find_writable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<committee_term::Model> {
    actor.require(Permission::OrgWrite)?;
    let term = committee_term::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    org_for_write(db, actor, term.organization_id, Permission::OrgWrite).await?;
    Ok(term)
}

/// Bumps a term's version (its members changed).
async fn touch_term<C: ConnectionTrait>(db: &C, term_id: Uuid) -> AppResult<()> {
    committee_term::Entity::update_many()
        .col_expr(committee_term::Column::Version, Expr::col(committee_term::Column::Version).add(1))
        .col_expr(committee_term::Column::UpdatedAt, Expr::value(super::now()))
        .filter(committee_term::Column::Id.eq(term_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn audit_term<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&CommitteeTermView>,
    after: Option<&CommitteeTermView>,
) -> AppResult<()> {
    let Some(subject) = after.or(before) else { return Ok(()) };
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            audit::entity_name(committee_term::Entity),
            subject.id.0,
            Some(subject.organization_id.0),
            before,
            after,
        )?,
    )
    .await
}

async fn audit_member<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    organization_id: Uuid,
    before: Option<&CommitteeMemberView>,
    after: Option<&CommitteeMemberView>,
) -> AppResult<()> {
    let Some(subject) = after.or(before) else { return Ok(()) };
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            audit::entity_name(committee_member::Entity),
            subject.id.0,
            Some(organization_id),
            before,
            after,
        )?,
    )
    .await
}

/// Inserts a checked member.
async fn insert_member<C: ConnectionTrait>(
    db: &C,
    term_id: Uuid,
    c: &Candidate,
    sort_order: i32,
) -> AppResult<committee_member::Model> {
    let now = super::now();
    Ok(committee_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        term_id: Set(term_id),
        person_id: Set(c.person_id),
        position: Set(c.position.as_str().to_owned()),
        from_on: Set(c.from_on),
        until_on: Set(c.until_on),
        sort_order: Set(sort_order),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await?)
}

/// Starts a new term of an organisation's committee (换届), with its first members: the
/// current term, if any, ends on the new term's first day in the same transaction.
/// A party group has no committee (VALIDATION on `organization_id`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn start_term(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Uuid,
    input: NewCommitteeTerm,
) -> AppResult<CommitteeTermView> {
    actor.require(Permission::OrgWrite)?;
    validate_term_fields(input.number, Some(input.started_on), input.ends_on, input.notes.as_deref())?;
    let members = input.members.unwrap_or_default();
    Validator::new().check(members.len() <= MAX_MEMBERS, "members", "must have at most 50 items").finish()?;
    for (i, m) in members.iter().enumerate() {
        validate_sort_order(m.sort_order, &format!("members[{i}].sort_order"))?;
    }
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, organization_id, Permission::OrgWrite).await?;
    if OrgKind::from_db(&org.kind)? == OrgKind::Group {
        return Err(AppError::invalid("organization_id", "a party group has no committee"));
    }
    let existing = committee_term::Entity::find()
        .filter(committee_term::Column::OrganizationId.eq(org.id))
        .lock_exclusive()
        .all(&tx)
        .await?;
    let last_number = existing.iter().map(|t| t.number).max().unwrap_or(0);
    let number = input.number.unwrap_or(last_number + 1);
    let mut v = Validator::new();
    v.check(number > last_number, "number", "must be greater than the numbers of the earlier terms");
    if let Some(latest_start) = existing.iter().map(|t| t.started_on).max() {
        v.check(input.started_on > latest_start, "started_on", "must be after the first day of the current term");
    }
    if let Some(latest_end) = existing.iter().filter_map(|t| t.ended_on).max() {
        v.check(input.started_on >= latest_end, "started_on", "must not be before the day the previous term ended");
    }
    v.finish()?;
    // 换届: the current term ends on the new term's first day.
    let current = existing.into_iter().find(|t| t.ended_on.is_none());
    if let Some(cur) = current {
        let before = view(&tx, cur.clone(), today).await?;
        let cur_members = members_of(&tx, cur.id).await?;
        if cur_members.iter().any(|m| m.from_on >= input.started_on) {
            return Err(AppError::invalid("started_on", "a member of the current term joins on or after this date"));
        }
        // Members due to leave after the new first day leave with their term.
        for m in cur_members.into_iter().filter(|m| m.until_on.is_some_and(|u| u > input.started_on)) {
            let version = m.version;
            let mut am: committee_member::ActiveModel = m.into();
            am.until_on = Set(Some(input.started_on));
            am.updated_at = Set(super::now());
            am.version = Set(version + 1);
            am.update(&tx).await?;
        }
        let mut am: committee_term::ActiveModel = cur.clone().into();
        am.ended_on = Set(Some(input.started_on));
        am.updated_at = Set(super::now());
        am.version = Set(cur.version + 1);
        let closed = am.update(&tx).await?;
        let after = view(&tx, closed, today).await?;
        audit_term(&tx, actor, "close", Some(&before), Some(&after)).await?;
    }
    let now = super::now();
    let term = committee_term::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        number: Set(number),
        started_on: Set(input.started_on),
        ends_on: Set(input.ends_on),
        ended_on: Set(None),
        notes: Set(clean(input.notes)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let mut added: Vec<committee_member::Model> = Vec::new();
    for (i, m) in members.into_iter().enumerate() {
        let prefix = format!("members[{i}].");
        ensure_person(&tx, actor, m.person_id.0, &format!("{prefix}person_id")).await?;
        let c = Candidate {
            person_id: m.person_id.0,
            position: m.position,
            from_on: m.from_on.unwrap_or(term.started_on),
            until_on: m.until_on,
        };
        check_member(&term, &added, &c, &prefix)?;
        added.push(insert_member(&tx, term.id, &c, m.sort_order.unwrap_or(0)).await?);
    }
    let created = view(&tx, term, today).await?;
    audit_term(&tx, actor, "create", None, Some(&created)).await?;
    for m in &created.members {
        audit_member(&tx, actor, "create", org.id, None, Some(m)).await?;
    }
    super::rosters::resync_organization(&tx, org.id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a term: number, first day (a correction), planned end, notes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_term(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    patch: CommitteeTermPatch,
) -> AppResult<CommitteeTermView> {
    actor.require(Permission::OrgWrite)?;
    validate_term_fields(patch.number, patch.started_on, patch.ends_on, patch.notes.as_deref())?;
    let tx = write_tx(db).await?;
    let term = find_writable(&tx, actor, id).await?;
    check_version(term.version, expected_version)?;
    let before = view(&tx, term.clone(), today).await?;
    let siblings = committee_term::Entity::find()
        .filter(committee_term::Column::OrganizationId.eq(term.organization_id))
        .filter(committee_term::Column::Id.ne(term.id))
        .lock_exclusive()
        .all(&tx)
        .await?;
    if let Some(n) = patch.number.filter(|n| *n != term.number)
        && siblings.iter().any(|s| s.number == n)
    {
        return Err(AppError::Conflict("another term of this committee has this number".into()));
    }
    let started_on = patch.started_on.unwrap_or(term.started_on);
    let ends_on = if patch.clear_ends_on == Some(true) { None } else { patch.ends_on.or(term.ends_on) };
    Validator::new()
        .check(ends_on.is_none_or(|e| e >= started_on), "ends_on", "must not be before the term's first day")
        .finish()?;
    let mut moved_members: Vec<(CommitteeMemberView, CommitteeMemberView)> = Vec::new();
    let mut moved_previous: Option<(CommitteeTermView, CommitteeTermView)> = None;
    if started_on != term.started_on {
        let previous = siblings.iter().filter(|s| s.started_on < term.started_on).max_by_key(|s| s.started_on);
        let next_start = siblings.iter().filter(|s| s.started_on > term.started_on).map(|s| s.started_on).min();
        let mut v = Validator::new();
        v.check(term.ended_on.is_none_or(|e| started_on < e), "started_on", "must be before the day the term ended")
            .check(next_start.is_none_or(|n| started_on < n), "started_on", "must be before the next term's first day");
        if let Some(p) = previous {
            v.check(started_on > p.started_on, "started_on", "must be after the previous term's first day");
            if p.ended_on != Some(term.started_on) {
                v.check(
                    p.ended_on.is_none_or(|e| started_on >= e),
                    "started_on",
                    "must not be before the day the previous term ended",
                );
            }
        }
        v.finish()?;
        // Members who joined on the old first day move with it; nobody may start earlier.
        let members = members_of(&tx, term.id).await?;
        let names = super::names::people(&tx, members.iter().map(|m| m.person_id)).await?;
        let mut shifted = term.clone();
        shifted.started_on = started_on;
        for m in members {
            let from_on = if m.from_on == term.started_on { started_on } else { m.from_on };
            if from_on < started_on || m.until_on.is_some_and(|u| u <= from_on) {
                return Err(AppError::invalid("started_on", "a member of the term serves outside the new dates"));
            }
            if from_on != m.from_on {
                let b = member_view(m.clone(), &term, &names, today)?;
                let mut am: committee_member::ActiveModel = m.clone().into();
                am.from_on = Set(from_on);
                am.updated_at = Set(super::now());
                am.version = Set(m.version + 1);
                let a = member_view(am.update(&tx).await?, &shifted, &names, today)?;
                moved_members.push((b, a));
            }
        }
        // The previous term ended on the old first day: it now ends on the new one.
        if let Some(p) = previous.filter(|p| p.ended_on == Some(term.started_on)) {
            let b = view(&tx, p.clone(), today).await?;
            let mut am: committee_term::ActiveModel = p.clone().into();
            am.ended_on = Set(Some(started_on));
            am.updated_at = Set(super::now());
            am.version = Set(p.version + 1);
            let a = view(&tx, am.update(&tx).await?, today).await?;
            moved_previous = Some((b, a));
        }
    }
    let original = term.clone();
    let mut am: committee_term::ActiveModel = term.into();
    if let Some(n) = patch.number {
        am.number = Set(n);
    }
    am.started_on = Set(started_on);
    am.ends_on = Set(ends_on);
    if let Some(notes) = patch.notes {
        am.notes = Set(clean(Some(notes)));
    }
    if super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let after = view(&tx, am.update(&tx).await?, today).await?;
    audit_term(&tx, actor, "update", Some(&before), Some(&after)).await?;
    if let Some((b, a)) = moved_previous {
        audit_term(&tx, actor, "update", Some(&b), Some(&a)).await?;
    }
    for (b, a) in &moved_members {
        audit_member(&tx, actor, "update", original.organization_id, Some(b), Some(a)).await?;
    }
    super::rosters::resync_organization(&tx, original.organization_id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Adds a member to a term (also to an ended term, to record history).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_member(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    term_id: Uuid,
    input: NewCommitteeMember,
) -> AppResult<CommitteeMemberView> {
    actor.require(Permission::OrgWrite)?;
    validate_sort_order(input.sort_order, "sort_order")?;
    let tx = write_tx(db).await?;
    let term = find_writable(&tx, actor, term_id).await?;
    ensure_person(&tx, actor, input.person_id.0, "person_id").await?;
    let others = members_of(&tx, term.id).await?;
    Validator::new().check(others.len() < MAX_MEMBERS, "term_id", "the term already has 50 members").finish()?;
    let c = Candidate {
        person_id: input.person_id.0,
        position: input.position,
        from_on: input.from_on.unwrap_or(term.started_on),
        until_on: input.until_on,
    };
    check_member(&term, &others, &c, "")?;
    let row = insert_member(&tx, term.id, &c, input.sort_order.unwrap_or(0)).await?;
    touch_term(&tx, term.id).await?;
    let names = super::names::people(&tx, [row.person_id]).await?;
    let created = member_view(row, &term, &names, today)?;
    audit_member(&tx, actor, "create", term.organization_id, None, Some(&created)).await?;
    super::rosters::resync_organization(&tx, term.organization_id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Loads and locks a member and its term for a change (`term_id`, when given, must be
/// the member's term).
async fn find_member_writable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    term_id: Option<Uuid>,
    member_id: Uuid,
) -> AppResult<(committee_term::Model, committee_member::Model)> {
    actor.require(Permission::OrgWrite)?;
    let member =
        committee_member::Entity::find_by_id(member_id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    if term_id.is_some_and(|t| t != member.term_id) {
        return Err(AppError::NotFound);
    }
    let term = find_writable(db, actor, member.term_id).await?;
    Ok((term, member))
}

/// Changes a member: position, dates (leaving is `until_on`), list order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_member(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    term_id: Option<Uuid>,
    member_id: Uuid,
    expected_version: i32,
    patch: CommitteeMemberPatch,
) -> AppResult<CommitteeMemberView> {
    actor.require(Permission::OrgWrite)?;
    validate_sort_order(patch.sort_order, "sort_order")?;
    let tx = write_tx(db).await?;
    let (term, member) = find_member_writable(&tx, actor, term_id, member_id).await?;
    check_version(member.version, expected_version)?;
    let names = super::names::people(&tx, [member.person_id]).await?;
    let before = member_view(member.clone(), &term, &names, today)?;
    let until_on = if patch.clear_until_on == Some(true) { None } else { patch.until_on.or(member.until_on) };
    let c = Candidate {
        person_id: member.person_id,
        position: patch.position.unwrap_or(before.position),
        from_on: patch.from_on.unwrap_or(member.from_on),
        until_on,
    };
    let others: Vec<_> = members_of(&tx, term.id).await?.into_iter().filter(|o| o.id != member.id).collect();
    check_member(&term, &others, &c, "")?;
    let original = member.clone();
    let mut am: committee_member::ActiveModel = member.into();
    am.position = Set(c.position.as_str().to_owned());
    am.from_on = Set(c.from_on);
    am.until_on = Set(c.until_on);
    if let Some(order) = patch.sort_order {
        am.sort_order = Set(order);
    }
    if super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let after = member_view(am.update(&tx).await?, &term, &names, today)?;
    touch_term(&tx, term.id).await?;
    audit_member(&tx, actor, "update", term.organization_id, Some(&before), Some(&after)).await?;
    super::rosters::resync_organization(&tx, term.organization_id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a member entered by mistake (someone who left sets `until_on` instead).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove_member(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    term_id: Option<Uuid>,
    member_id: Uuid,
    expected_version: i32,
) -> AppResult<()> {
    actor.require(Permission::OrgWrite)?;
    let tx = write_tx(db).await?;
    let (term, member) = find_member_writable(&tx, actor, term_id, member_id).await?;
    check_version(member.version, expected_version)?;
    let names = super::names::people(&tx, [member.person_id]).await?;
    let before = member_view(member, &term, &names, today)?;
    committee_member::Entity::delete_by_id(member_id).exec(&tx).await?;
    touch_term(&tx, term.id).await?;
    audit_member(&tx, actor, "delete", term.organization_id, Some(&before), None).await?;
    super::rosters::resync_organization(&tx, term.organization_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every committee membership of a person who left (调出, 退休, 出党, ...) on the day
/// they left: members in office then get `until_on = left_on`, each with an audit record.
/// Called inside the departure's transaction.
pub(crate) async fn end_memberships<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    person_id: Uuid,
    left_on: NaiveDate,
    today: NaiveDate,
) -> AppResult<()> {
    let open = committee_member::Entity::find()
        .filter(committee_member::Column::PersonId.eq(person_id))
        .filter(
            Condition::any()
                .add(committee_member::Column::UntilOn.is_null())
                .add(committee_member::Column::UntilOn.gt(left_on)),
        )
        .all(db)
        .await?;
    let names = super::names::people(db, [person_id]).await?;
    for m in open {
        let Some(term) = committee_term::Entity::find_by_id(m.term_id).one(db).await? else { continue };
        if term.ended_on.is_some_and(|ended| ended <= left_on) {
            continue;
        }
        let before = member_view(m.clone(), &term, &names, today)?;
        let mut am: committee_member::ActiveModel = m.clone().into();
        // Someone who left before they joined a term leaves it on the day they joined.
        am.until_on = Set(Some(std::cmp::Ord::max(left_on, m.from_on)));
        am.updated_at = Set(super::now());
        am.version = Set(m.version + 1);
        let after = member_view(am.update(db).await?, &term, &names, today)?;
        touch_term(db, term.id).await?;
        audit_member(db, actor, "update", term.organization_id, Some(&before), Some(&after)).await?;
        super::rosters::resync_organization(db, term.organization_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn half_open_periods() {
        assert!(covers(d(1, 1), None, d(1, 1)));
        assert!(!covers(d(1, 1), Some(d(3, 1)), d(3, 1)));
        assert!(covers(d(1, 1), Some(d(3, 1)), d(2, 28)));
        assert!(!overlaps(d(1, 1), Some(d(3, 1)), d(3, 1), None));
        assert!(overlaps(d(1, 1), Some(d(3, 2)), d(3, 1), None));
        assert!(overlaps(d(1, 1), None, d(5, 1), Some(d(6, 1))));
    }

    #[test]
    fn secretary_comes_first() {
        assert!(CommitteePosition::Secretary.rank() < CommitteePosition::DeputySecretary.rank());
        assert!(CommitteePosition::Youth.rank() < CommitteePosition::Member.rank());
    }
}
