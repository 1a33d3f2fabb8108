//! People: members and employees, their party status and its dated history,
//! transfers between organisations (history kept), departures (the person stays,
//! marked ended: people are never deleted) and who may see their personal data.
//!
//! Party status follows the standard order 群众 → 入党申请人 → 入党积极分子 → 发展对象 →
//! 预备党员 → 正式党员. Every change appends a [`PartyStatusChangeView`] in the same
//! transaction; the person's `party_status` is the status of their latest entry (by
//! `effective_on`, then by recording order). The next step in the order is a normal
//! change (the people update may make it, effective today); anything else (going back,
//! skipping steps, back to 群众) is a correction, made only through
//! [`change_party_status`] with a note. Nothing about an ended person changes until they
//! are reinstated (except their contact data).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::clean;
use super::pagination::{KeyOrder, Page, PageRequest, keyset};
use super::scope::find_in_scope;
use super::scope::org_for_write;
use super::scope::{org_ids_query, org_ref_in, subtree};
use super::types::text_enum;
use super::types::{Id, PartyStatus};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{organization, party_status_change, person, person_transfer};

text_enum! {
    /// How a person left (the person stays, marked ended).
    DepartureKind {
        /// 调出: transferred out of the group's party organisation.
        TransferredOut => "transferred_out",
        /// 离职: resigned or left employment.
        Resigned => "resigned",
        /// 退休: retired.
        Retired => "retired",
        /// 出党: left the party (expelled, removed or withdrew).
        LeftParty => "left_party",
        /// 去世: deceased.
        Deceased => "deceased",
        /// 停止党籍: party membership suspended.
        MembershipSuspended => "membership_suspended",
    }
}

/// A person as the caller may see them: `phone` and `email` are null unless the caller
/// is the person, manages their organisation, or is a client with the `personal_data` scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Person", complex)]
pub struct PersonView {
    /// Id (UUID v7).
    pub id: Id,
    /// Primary organisation.
    pub organization_id: Id,
    /// That organisation's name (REST lists; GraphQL has `organization`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Name.
    pub name: String,
    /// Employee number: unique, the key HR systems match on.
    pub employee_no: String,
    /// Phone (personal data).
    pub phone: Option<String>,
    /// E-mail (personal data).
    pub email: Option<String>,
    /// Party status.
    pub party_status: PartyStatus,
    /// Date joined the party.
    pub joined_party_on: Option<NaiveDate>,
    /// Position or job title.
    pub position: Option<String>,
    /// Member of the leadership team (班子成员).
    pub is_leadership: bool,
    /// Technical backbone (科技骨干).
    pub is_tech_backbone: bool,
    /// Model worker (劳模).
    pub is_model_worker: bool,
    /// The day the person left; null while active.
    pub left_on: Option<NaiveDate>,
    /// How the person left; null while active.
    pub departure_kind: Option<DepartureKind>,
    /// Why the person left; null while active.
    pub departure_reason: Option<String>,
    /// Whether the person has left (`left_on` is set). Lists skip ended people unless asked.
    pub ended: bool,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl PersonView {
    fn from_model(m: person::Model, show_personal: bool) -> AppResult<Self> {
        Ok(PersonView {
            party_status: PartyStatus::from_db(&m.party_status)?,
            departure_kind: m.departure_kind.as_deref().map(DepartureKind::from_db).transpose()?,
            ended: m.left_on.is_some(),
            left_on: m.left_on,
            departure_reason: m.departure_reason,
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            organization_name: None,
            name: m.name,
            employee_no: m.employee_no,
            phone: m.phone.filter(|_| show_personal),
            email: m.email.filter(|_| show_personal),
            joined_party_on: m.joined_party_on,
            position: m.position,
            is_leadership: m.is_leadership,
            is_tech_backbone: m.is_tech_backbone,
            is_model_worker: m.is_model_worker,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new person.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreatePersonInput")]
pub struct NewPerson {
    /// Primary organisation (must be one you manage).
    pub organization_id: Id,
    /// Name (1–50 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 50)]
    pub name: String,
    /// Employee number (1–32 characters, unique; letters, digits, '-' and '_').
    #[schema(min_length = 1, max_length = 32, pattern = r"^\s*[-_0-9A-Za-z]+\s*$")]
    pub employee_no: String,
    /// Phone: up to 20 of digits, '+', '-' and spaces (empty means none).
    #[schema(max_length = 20, pattern = r"^[-+ 0-9]{0,20}$")]
    pub phone: Option<String>,
    /// E-mail: `local@domain` with a '.' in the domain, at most 254 bytes (empty means none).
    #[schema(max_length = 254, pattern = r"^([^@]+@[\s\S]*\.[\s\S]*)?$")]
    pub email: Option<String>,
    /// Party status (default `none`). Any status other than `none` starts the person's
    /// party-status history, effective on `joined_party_on` for probationary and full
    /// members who have one, else today.
    pub party_status: Option<PartyStatus>,
    /// Date joined the party (not in the future).
    pub joined_party_on: Option<NaiveDate>,
    /// Position or job title (up to 50 characters).
    #[schema(max_length = 50)]
    pub position: Option<String>,
    /// Leadership-team member.
    #[serde(default)]
    #[graphql(default)]
    pub is_leadership: bool,
    /// Technical backbone.
    #[serde(default)]
    #[graphql(default)]
    pub is_tech_backbone: bool,
    /// Model worker.
    #[serde(default)]
    #[graphql(default)]
    pub is_model_worker: bool,
}

/// Changes to a person: only the fields given change; an empty string clears an optional text.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdatePersonInput")]
pub struct PersonPatch {
    /// Name (1–50 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 50)]
    pub name: Option<String>,
    /// Employee number (1–32 characters, unique; letters, digits, '-' and '_').
    #[schema(min_length = 1, max_length = 32, pattern = r"^\s*[-_0-9A-Za-z]+\s*$")]
    pub employee_no: Option<String>,
    /// Phone: up to 20 of digits, '+', '-' and spaces (empty clears it).
    #[schema(max_length = 20, pattern = r"^[-+ 0-9]{0,20}$")]
    pub phone: Option<String>,
    /// E-mail: `local@domain` with a '.' in the domain, at most 254 bytes (empty clears it).
    #[schema(max_length = 254, pattern = r"^([^@]+@[\s\S]*\.[\s\S]*)?$")]
    pub email: Option<String>,
    /// Party status: only the next step of the standard order (群众 → 入党申请人 → 入党积极分子 →
    /// 发展对象 → 预备党员 → 正式党员), effective today and recorded in the history; record
    /// other changes (corrections, earlier dates) with the party-status operation. Becoming
    /// `probationary` sets `joined_party_on` to today when it is empty.
    pub party_status: Option<PartyStatus>,
    /// Date joined the party (not in the future).
    pub joined_party_on: Option<NaiveDate>,
    /// Position (up to 50 characters; empty clears it).
    #[schema(max_length = 50)]
    pub position: Option<String>,
    /// Leadership-team member.
    pub is_leadership: Option<bool>,
    /// Technical backbone.
    pub is_tech_backbone: Option<bool>,
    /// Model worker.
    pub is_model_worker: Option<bool>,
}

/// A transfer to another organisation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "TransferPersonInput")]
pub struct TransferInput {
    /// The receiving organisation.
    pub to_organization_id: Id,
    /// Date the transfer takes effect (default: today in the configured time zone).
    pub effective_on: Option<NaiveDate>,
    /// Reason (up to 500 characters).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// One recorded transfer (组织关系转接).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Transfer", complex)]
pub struct TransferView {
    /// Id.
    pub id: Id,
    /// Who moved.
    #[graphql(skip)]
    pub person_id: Uuid,
    /// Organisation left (id).
    pub from_organization_id: Id,
    /// Organisation joined (id).
    pub to_organization_id: Id,
    /// Effective date.
    pub effective_on: NaiveDate,
    /// Reason.
    pub reason: Option<String>,
    /// The account that recorded it.
    #[graphql(skip)]
    pub recorded_by: Option<Uuid>,
    /// Recorded at (UTC).
    pub created_at: DateTime<Utc>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Only people in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this party status.
    pub party_status: Option<PartyStatus>,
    /// Name contains, or employee number starts with, this text.
    pub q: Option<String>,
    /// Also people who have left (default: only active people).
    pub include_ended: bool,
}

/// The views of a batch of rows, personal data shown or masked by [`PersonalData`]
/// (one query at most, for the organisations' paths of a subtree scope).
async fn views<C: ConnectionTrait>(db: &C, actor: &Actor, rows: Vec<person::Model>) -> AppResult<Vec<PersonView>> {
    let rule = PersonalData::of(actor);
    let paths: HashMap<Uuid, String> = if rule.needs_paths() {
        let ids = super::bucketed(rows.iter().map(|r| r.organization_id));
        super::all_fast(organization::Entity::find().filter(organization::Column::Id.is_in(ids)), db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.path))
            .collect()
    } else {
        HashMap::new()
    };
    rows.into_iter()
        .map(|r| {
            let path = paths.get(&r.organization_id).map(String::as_str);
            rule.view(r, path)
        })
        .collect()
}

/// Who sees people's personal data (phone, e-mail): the person themself, a client
/// granted `personal_data`, a role with personal-data rights over the person's
/// organisation. Worked out once per actor, applied per person.
pub(crate) struct PersonalData {
    own: Option<Uuid>,
    client_may: bool,
    scope: Scope,
}

impl PersonalData {
    /// The rule for `actor`.
    pub(crate) fn of(actor: &Actor) -> Self {
        PersonalData {
            own: actor.person_id(),
            client_may: actor.has_client_scope(crate::auth::ClientScope::PersonalData),
            scope: actor.scope(Permission::PersonalData),
        }
    }

    /// Whether the answer depends on the organisation's path (a subtree scope).
    pub(crate) fn needs_paths(&self) -> bool {
        !self.client_may && matches!(self.scope, Scope::Subtrees(_))
    }

    /// Whether the person `person_id`, of the organisation with path `org_path`, shows
    /// their personal data.
    pub(crate) fn visible(&self, person_id: Uuid, org_path: Option<&str>) -> bool {
        Some(person_id) == self.own
            || self.client_may
            || match &self.scope {
                Scope::Global => true,
                Scope::None => false,
                Scope::Subtrees(_) => org_path.is_some_and(|p| self.scope.contains_path(p)),
            }
    }

    /// A person's view from their row (for statements that read people joined to
    /// something else), personal data shown or masked by this rule.
    pub(crate) fn view(&self, row: person::Model, org_path: Option<&str>) -> AppResult<PersonView> {
        let show = self.visible(row.id, org_path);
        PersonView::from_model(row, show)
    }
}

/// The people the actor may read: their read scope, plus themself.
pub(crate) fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.scope(Permission::PersonRead);
    let mut cond = Condition::any().add(org_ref_in(person::Column::OrganizationId, &scope));
    if let Some(own) = actor.person_id() {
        cond = cond.add(person::Column::Id.eq(own));
    } else if scope == Scope::None {
        return Err(AppError::forbidden("your role does not allow reading people"));
    }
    Ok(cond)
}

/// The ids among `ids` of people the actor may read (one statement).
async fn readable_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    Ok(person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .into_tuple()
        .all(db)
        .await?)
}

async fn find_readable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<person::Model> {
    super::one_fast(person::Entity::find_by_id(id).filter(readable(actor)?), db).await?.ok_or(AppError::NotFound)
}

/// Loads a person the actor may change: NOT_FOUND when not readable, FORBIDDEN when
/// readable but outside the write scope.
async fn find_writable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<person::Model> {
    let write = actor.require(Permission::PersonWrite)?;
    find_readable(db, actor, id).await?;
    let p = person::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    let org = organization::Entity::find_by_id(p.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    if !write.contains_path(&org.path) {
        return Err(AppError::forbidden("this person is outside the subtree you manage"));
    }
    Ok(p)
}

/// One person.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<PersonView> {
    let row = find_readable(db, actor, id).await?;
    Ok(views(db, actor, vec![row]).await?.remove(0))
}

/// Several people by id, skipping those out of scope (DataLoader batch).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<PersonView>> {
    let select = person::Entity::find()
        .filter(person::Column::Id.is_in(super::bucketed(ids.iter().copied())))
        .filter(readable(actor)?);
    let rows = super::all_fast(select, db).await?;
    views(db, actor, rows).await
}

/// A page of people in scope, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &PersonFilter,
    page: PageRequest,
) -> AppResult<Page<PersonView>> {
    let mut cond = Condition::all().add(readable(actor)?);
    if !filter.include_ended {
        cond = cond.add(not_ended());
    }
    if let Some(org_id) = filter.organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
        cond = cond.add(person::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
    }
    if let Some(status) = filter.party_status {
        cond = cond.add(person::Column::PartyStatus.eq(status.as_str()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 50 {
            return Err(AppError::invalid("q", "must be at most 50 characters"));
        }
        cond = cond
            .add(Condition::any().add(person::Column::Name.contains(q)).add(person::Column::EmployeeNo.starts_with(q)));
    }
    let (rows, total) = keyset::<_, person::Entity>(db, cond, person::Column::Id, page, KeyOrder::Oldest).await?;
    let mut items = views(db, actor, rows).await?;
    let orgs = super::names::organizations(db, items.iter().map(|p| *p.organization_id)).await?;
    for p in &mut items {
        p.organization_name = orgs.get(&*p.organization_id).cloned();
    }
    Ok(Page::from_rows(items, page, |p| *p.id, total))
}

fn validate(
    name: Option<&str>,
    employee_no: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
    position: Option<&str>,
) -> AppResult<()> {
    let phone_ok = phone
        .is_none_or(|p| p.is_empty() || (p.len() <= 20 && p.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c))));
    let email_ok = email.is_none_or(|e| {
        e.is_empty() || (e.len() <= 254 && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.')))
    });
    Validator::new()
        .opt_text(name, "name", 50)
        .opt_text(employee_no, "employee_no", 32)
        .check(
            employee_no.is_none_or(|e| e.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')),
            "employee_no",
            "may contain only letters, digits, '-' and '_'",
        )
        .check(phone_ok, "phone", "must be a phone number of at most 20 digits")
        .check(email_ok, "email", "must be an e-mail address")
        .check(position.is_none_or(|p| p.chars().count() <= 50), "position", "must be at most 50 characters")
        .finish()
}

/// Today in the calendar zone (`services::calendar_zone`), for the callers of [`create`] and
/// [`update`] that have no configured "today" (the demo seed, tests).
fn default_today() -> NaiveDate {
    super::day_of(Utc::now())
}

/// Creates a person in an organisation the actor manages, judging dates in the default
/// time zone; the transports call [`create_on`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewPerson) -> AppResult<PersonView> {
    create_on(db, actor, default_today(), input).await
}

/// Creates a person in an organisation the actor manages. A party status other than
/// `none` records the first entry of the person's party-status history, effective on
/// `joined_party_on` for probationary and full members who have one, else `today`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_on(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    input: NewPerson,
) -> AppResult<PersonView> {
    actor.require(Permission::PersonWrite)?;
    validate(
        Some(&input.name),
        Some(&input.employee_no),
        input.phone.as_deref(),
        input.email.as_deref(),
        input.position.as_deref(),
    )?;
    Validator::new()
        .check(input.joined_party_on.is_none_or(|d| d <= today), "joined_party_on", "must not be in the future")
        .finish()?;
    let status = input.party_status.unwrap_or(PartyStatus::None);
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::PersonWrite).await?;
    let employee_no = input.employee_no.trim().to_owned();
    ensure_employee_no_free(&tx, actor, &employee_no, None).await?;
    let now = super::now();
    let id = Uuid::now_v7();
    let model = person::ActiveModel {
        id: Set(id),
        organization_id: Set(org.id),
        name: Set(input.name.trim().to_owned()),
        employee_no: Set(employee_no),
        phone: Set(clean(input.phone)),
        email: Set(clean(input.email)),
        party_status: Set(status.as_str().to_owned()),
        joined_party_on: Set(input.joined_party_on),
        position: Set(clean(input.position)),
        is_leadership: Set(input.is_leadership),
        is_tech_backbone: Set(input.is_tech_backbone),
        is_model_worker: Set(input.is_model_worker),
        left_on: Set(None),
        departure_kind: Set(None),
        departure_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    if status != PartyStatus::None {
        let effective_on = match (status, input.joined_party_on) {
            (PartyStatus::Probationary | PartyStatus::Full, Some(joined)) => joined,
            _ => today,
        };
        let entry = StatusEntry { previous: None, status, effective_on, note: None, is_correction: false };
        append_status(&tx, actor, &model, entry).await?;
    }
    let view = PersonView::from_model(model, true)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::person::Entity),
            id,
            Some(org.id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    // A new member is expected at the planned meetings their organisation holds.
    crate::services::rosters::resync_person(&tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Employee numbers are unique across the group. A clash with a person the actor may
/// read names that person; a clash outside the actor's scope says only that the
/// number is taken (never whose it is, nor where), and is logged: repeated clashes
/// are what probing for other organisations' numbers looks like.
async fn ensure_employee_no_free<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    employee_no: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut q = person::Entity::find().filter(person::Column::EmployeeNo.eq(employee_no));
    if let Some(id) = except {
        q = q.filter(person::Column::Id.ne(id));
    }
    let Some(holder) = q.one(db).await? else { return Ok(()) };
    let visible = person::Entity::find_by_id(holder.id)
        .filter(org_ref_in(person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
        .count(db)
        .await?
        > 0;
    if visible {
        return Err(AppError::Conflict(format!(
            "employee number {employee_no} is already used by person {}",
            holder.id
        )));
    }
    tracing::warn!(actor = %actor.label(), "employee number clash with a person outside the caller's scope");
    Err(AppError::Conflict("this employee number is already taken".into()))
}

/// Updates a person the actor manages, judging dates in the default time zone; the
/// transports call [`update_on`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: PersonPatch,
) -> AppResult<PersonView> {
    update_on(db, actor, default_today(), id, expected_version, patch).await
}

/// Updates a person the actor manages. A new party status must be the next step of the
/// standard order; it is recorded in the history effective `today` (and becoming
/// probationary sets an empty `joined_party_on` to `today`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_on(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    patch: PersonPatch,
) -> AppResult<PersonView> {
    actor.require(Permission::PersonWrite)?;
    validate(
        patch.name.as_deref(),
        patch.employee_no.as_deref(),
        patch.phone.as_deref(),
        patch.email.as_deref(),
        patch.position.as_deref(),
    )?;
    Validator::new()
        .check(patch.joined_party_on.is_none_or(|d| d <= today), "joined_party_on", "must not be in the future")
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    let current = PartyStatus::from_db(&row.party_status)?;
    let new_status = patch.party_status.filter(|s| *s != current);
    if let Some(status) = new_status {
        ensure_active(&row)?;
        if !is_next_step(current, status) {
            return Err(AppError::invalid(
                "party_status",
                "may only move to the next status here; record other changes with the party-status operation and a note",
            ));
        }
        if latest_entry(&tx, id).await?.is_some_and(|e| e.effective_on > today) {
            return Err(AppError::invalid(
                "party_status",
                "must not change before the person's latest party-status entry",
            ));
        }
    }
    if let Some(no) = patch.employee_no.as_deref() {
        ensure_employee_no_free(&tx, actor, no.trim(), Some(id)).await?;
    }
    let before = PersonView::from_model(row.clone(), true)?;
    let original = row.clone();
    let mut am: person::ActiveModel = row.into();
    if let Some(v) = patch.name {
        am.name = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.employee_no {
        am.employee_no = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.phone {
        am.phone = Set(clean(Some(v)));
    }
    if let Some(v) = patch.email {
        am.email = Set(clean(Some(v)));
    }
    if let Some(v) = new_status {
        am.party_status = Set(v.as_str().to_owned());
        if v == PartyStatus::Probationary && original.joined_party_on.is_none() && patch.joined_party_on.is_none() {
            am.joined_party_on = Set(Some(today));
        }
    }
    if let Some(v) = patch.joined_party_on {
        am.joined_party_on = Set(Some(v));
    }
    if let Some(v) = patch.position {
        am.position = Set(clean(Some(v)));
    }
    if let Some(v) = patch.is_leadership {
        am.is_leadership = Set(v);
    }
    if let Some(v) = patch.is_tech_backbone {
        am.is_tech_backbone = Set(v);
    }
    if let Some(v) = patch.is_model_worker {
        am.is_model_worker = Set(v);
    }
    if super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let updated = am.update(&tx).await?;
    if let Some(status) = new_status {
        let entry =
            StatusEntry { previous: Some(current), status, effective_on: today, note: None, is_correction: false };
        append_status(&tx, actor, &updated, entry).await?;
    }
    let after = PersonView::from_model(updated, true)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::person::Entity),
            id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    // Party status decides members' rosters, the leadership flag 中心组 rosters.
    if new_status.is_some() || before.is_leadership != after.is_leadership {
        crate::services::rosters::resync_person(&tx, id).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// A person as the system of record (an HR system) holds them, for
/// [`upsert_by_employee_no`]. On an existing person the fields left out keep their
/// value and an empty text clears one, as in an update.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpsertPersonInput")]
pub struct PersonUpsert {
    /// The organisation the person belongs to (one you manage). An existing person in
    /// another organisation is a conflict: record a transfer for them.
    pub organization_id: Id,
    /// Name (1–50 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 50)]
    pub name: String,
    /// Phone: up to 20 of digits, '+', '-' and spaces (empty clears it).
    #[schema(max_length = 20, pattern = r"^[-+ 0-9]{0,20}$")]
    pub phone: Option<String>,
    /// E-mail: `local@domain` with a '.' in the domain, at most 254 bytes (empty clears it).
    #[schema(max_length = 254, pattern = r"^([^@]+@[\s\S]*\.[\s\S]*)?$")]
    pub email: Option<String>,
    /// Party status: on a new person as in a create; on an existing one only the next
    /// step of the standard order, as in an update (left out: unchanged).
    pub party_status: Option<PartyStatus>,
    /// Date joined the party (not in the future).
    pub joined_party_on: Option<NaiveDate>,
    /// Position or job title (up to 50 characters; empty clears it).
    #[schema(max_length = 50)]
    pub position: Option<String>,
    /// Leadership-team member (a new person: default false).
    pub is_leadership: Option<bool>,
    /// Technical backbone (a new person: default false).
    pub is_tech_backbone: Option<bool>,
    /// Model worker (a new person: default false).
    pub is_model_worker: Option<bool>,
}

/// What [`upsert_by_employee_no`] did.
#[derive(Debug, Clone)]
pub struct Upserted {
    /// The person as they are now.
    pub person: PersonView,
    /// Whether the person was created (else updated, or left as they were).
    pub created: bool,
}

/// Creates the person with `employee_no`, or updates them when they exist: the write an
/// HR system makes for every person it holds, without reading first. `expected_version`
/// (optional) makes the update conditional; given for a person who does not exist, it
/// answers a stale version (current 0). An employee number held outside the caller's
/// scope is the same conflict as in a create; an existing person in another
/// organisation than `organization_id` is a conflict naming them (transfers are
/// recorded as transfers, with their date and reason).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn upsert_by_employee_no(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    employee_no: &str,
    expected_version: Option<i32>,
    input: PersonUpsert,
) -> AppResult<Upserted> {
    actor.require(Permission::PersonWrite)?;
    let employee_no = employee_no.trim();
    validate(None, Some(employee_no), None, None, None)?;
    let existing = person::Entity::find().filter(person::Column::EmployeeNo.eq(employee_no)).one(db).await?;
    let Some(existing) = existing else {
        if let Some(expected) = expected_version {
            return Err(AppError::StaleVersion { expected, current: 0 });
        }
        let new = NewPerson {
            organization_id: input.organization_id,
            name: input.name,
            employee_no: employee_no.to_owned(),
            phone: input.phone,
            email: input.email,
            party_status: input.party_status,
            joined_party_on: input.joined_party_on,
            position: input.position,
            is_leadership: input.is_leadership.unwrap_or(false),
            is_tech_backbone: input.is_tech_backbone.unwrap_or(false),
            is_model_worker: input.is_model_worker.unwrap_or(false),
        };
        let person = create_on(db, actor, today, new).await?;
        return Ok(Upserted { person, created: true });
    };
    match find_writable(db, actor, existing.id).await {
        Ok(_) => {}
        // Held outside what the caller may read: the same answer as a create's clash.
        Err(AppError::NotFound) => {
            ensure_employee_no_free(db, actor, employee_no, None).await?;
            return Err(AppError::Conflict("this employee number is already taken".into()));
        }
        Err(e) => return Err(e),
    }
    if existing.organization_id != *input.organization_id {
        return Err(AppError::Conflict(format!(
            "person {} with employee number {employee_no} belongs to another organisation; record a transfer \
             (POST /api/v1/people/{}/transfer, GraphQL transferPerson) to move them",
            existing.id, existing.id
        )));
    }
    let patch = PersonPatch {
        name: Some(input.name),
        employee_no: None,
        phone: input.phone,
        email: input.email,
        party_status: input.party_status,
        joined_party_on: input.joined_party_on,
        position: input.position,
        is_leadership: input.is_leadership,
        is_tech_backbone: input.is_tech_backbone,
        is_model_worker: input.is_model_worker,
    };
    let expected = expected_version.unwrap_or(super::ANY_VERSION);
    let person = update_on(db, actor, today, existing.id, expected, patch).await?;
    Ok(Upserted { person, created: false })
}

/// Moves a person to another organisation, keeping the history. The actor must manage
/// both the current and the receiving organisation.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transfer(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    input: TransferInput,
) -> AppResult<PersonView> {
    let write = actor.require(Permission::PersonWrite)?;
    Validator::new()
        .check(
            input.reason.as_deref().is_none_or(|r| r.chars().count() <= 500),
            "reason",
            "must be at most 500 characters",
        )
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    ensure_active(&row)?;
    let target = find_in_scope(&tx, &actor.scope(Permission::OrgRead), *input.to_organization_id).await?;
    if !write.contains_path(&target.path) {
        return Err(AppError::forbidden("the receiving organisation is outside the subtree you manage"));
    }
    if target.id == row.organization_id {
        return Err(AppError::invalid("to_organization_id", "the person already belongs to this organisation"));
    }
    let now = super::now();
    person_transfer::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(id),
        from_organization_id: Set(row.organization_id),
        to_organization_id: Set(target.id),
        effective_on: Set(input.effective_on.unwrap_or(today)),
        reason: Set(clean(input.reason)),
        recorded_by: Set(actor.id()),
        created_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let before = PersonView::from_model(row.clone(), true)?;
    let version = row.version;
    let mut am: person::ActiveModel = row.into();
    am.organization_id = Set(target.id);
    am.updated_at = Set(now);
    am.version = Set(version + 1);
    let after = PersonView::from_model(am.update(&tx).await?, true)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "transfer",
            crate::services::audit::entity_name(entity::person::Entity),
            id,
            Some(target.id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    crate::services::rosters::resync_person(&tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// The transfer history of a person the actor may read, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transfers<C: ConnectionTrait>(db: &C, actor: &Actor, person_id: Uuid) -> AppResult<Vec<TransferView>> {
    find_readable(db, actor, person_id).await?;
    Ok(transfers_of(db, actor, &[person_id]).await?.remove(&person_id).unwrap_or_default())
}

/// The transfer histories of several people (DataLoader batch), skipping people the
/// actor may not read. Two statements whatever the number of people.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transfers_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    person_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<TransferView>>> {
    let readable_ids = readable_ids(db, actor, person_ids).await?;
    let mut map: HashMap<Uuid, Vec<TransferView>> = HashMap::new();
    for t in person_transfer::Entity::find()
        .filter(person_transfer::Column::PersonId.is_in(readable_ids))
        .order_by_asc(person_transfer::Column::Id)
        .all(db)
        .await?
    {
        map.entry(t.person_id).or_default().push(TransferView {
            id: t.id.into(),
            person_id: t.person_id,
            from_organization_id: t.from_organization_id.into(),
            to_organization_id: t.to_organization_id.into(),
            effective_on: t.effective_on,
            reason: t.reason,
            recorded_by: t.recorded_by,
            created_at: t.created_at,
        });
    }
    Ok(map)
}

/// Checks that `id` is a person the actor may read (a host, an owner, a responsible
/// person): VALIDATION on `field` otherwise.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn ensure_readable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid, field: &str) -> AppResult<()> {
    let found = person::Entity::find_by_id(id)
        .filter(org_ref_in(person::Column::OrganizationId, &actor.scope(Permission::PersonRead)))
        .count(db)
        .await?;
    if found == 0 {
        return Err(AppError::invalid(field, "no such person in your scope"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Life cycle: party-status history and departures
// ---------------------------------------------------------------------------

/// Active people only (`left_on` is null): the condition lists, rosters and current
/// head counts use.
pub(crate) fn not_ended() -> Condition {
    Condition::all().add(person::Column::LeftOn.is_null())
}

/// A person who has left changes only after reinstatement.
fn ensure_active(row: &person::Model) -> AppResult<()> {
    if row.left_on.is_some() {
        return Err(AppError::Conflict("this person has left; reinstate them first".into()));
    }
    Ok(())
}

/// The position of a status in the standard order.
fn rank(s: PartyStatus) -> usize {
    PartyStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// Whether `to` is the step after `from` in the standard order.
fn is_next_step(from: PartyStatus, to: PartyStatus) -> bool {
    rank(to) == rank(from) + 1
}

/// One entry of a person's party-status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "PartyStatusChange")]
pub struct PartyStatusChangeView {
    /// Id.
    pub id: Id,
    /// Whose status changed.
    #[graphql(skip)]
    pub person_id: Uuid,
    /// The status before (null for the first entry).
    pub previous_status: Option<PartyStatus>,
    /// The status from `effective_on` on.
    pub status: PartyStatus,
    /// The day the status took effect.
    pub effective_on: NaiveDate,
    /// Note (why; required for a correction).
    pub note: Option<String>,
    /// Whether this was a correction (going back, skipping steps) rather than the next step.
    pub is_correction: bool,
    /// The account that recorded it (null for the system and for migrated entries).
    #[graphql(skip)]
    pub recorded_by: Option<Uuid>,
    /// Recorded at (UTC).
    pub created_at: DateTime<Utc>,
}

impl PartyStatusChangeView {
    fn from_model(m: party_status_change::Model) -> AppResult<Self> {
        Ok(PartyStatusChangeView {
            id: m.id.into(),
            person_id: m.person_id,
            previous_status: m.previous_status.as_deref().map(PartyStatus::from_db).transpose()?,
            status: PartyStatus::from_db(&m.status)?,
            effective_on: m.effective_on,
            note: m.note,
            is_correction: m.is_correction,
            recorded_by: m.recorded_by,
            created_at: m.created_at,
        })
    }
}

/// A change of party status (the dedicated operation).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "ChangePartyStatusInput")]
pub struct PartyStatusInput {
    /// The new status. The next step of the standard order is a normal change; any other
    /// (going back, skipping steps, back to `none`) is a correction and needs a `note`.
    pub status: PartyStatus,
    /// The day it took effect (default: today in the configured time zone): not in the
    /// future, not before the person's latest entry.
    pub effective_on: Option<NaiveDate>,
    /// Note (up to 500 characters; required for a correction).
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A departure: the person leaves (the record stays, marked ended).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "RecordDepartureInput")]
pub struct DepartureInput {
    /// How the person left.
    pub kind: DepartureKind,
    /// The day the person left (default: today in the configured time zone; not in the future).
    pub left_on: Option<NaiveDate>,
    /// Reason (up to 500 characters).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A history entry to append.
struct StatusEntry {
    previous: Option<PartyStatus>,
    status: PartyStatus,
    effective_on: NaiveDate,
    note: Option<String>,
    is_correction: bool,
}

/// Appends an entry to `person`'s history, with its audit record (call inside the
/// write's transaction, after updating the person).
async fn append_status<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    person: &person::Model,
    entry: StatusEntry,
) -> AppResult<PartyStatusChangeView> {
    let row = party_status_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person.id),
        previous_status: Set(entry.previous.map(|s| s.as_str().to_owned())),
        status: Set(entry.status.as_str().to_owned()),
        effective_on: Set(entry.effective_on),
        note: Set(entry.note),
        is_correction: Set(entry.is_correction),
        recorded_by: Set(actor.id()),
        created_at: Set(super::now()),
    }
    .insert(tx)
    .await?;
    let view = PartyStatusChangeView::from_model(row)?;
    audit::record(
        tx,
        actor,
        Change::of(
            "create",
            audit::entity_name(party_status_change::Entity),
            *view.id,
            Some(person.organization_id),
            None,
            Some(&view),
        )?,
    )
    .await?;
    Ok(view)
}

/// The latest entry of a person's history.
async fn latest_entry<C: ConnectionTrait>(db: &C, person_id: Uuid) -> AppResult<Option<party_status_change::Model>> {
    Ok(party_status_change::Entity::find()
        .filter(party_status_change::Column::PersonId.eq(person_id))
        .order_by_desc(party_status_change::Column::EffectiveOn)
        .order_by_desc(party_status_change::Column::Id)
        .one(db)
        .await?)
}

/// Changes a person's party status and records it in the history. The next step of the
/// standard order is a normal change; anything else is a correction and needs a note.
/// `effective_on` (default `today`) may not be in the future nor before the latest entry.
/// Becoming probationary sets an empty `joined_party_on` to `effective_on`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn change_party_status(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    input: PartyStatusInput,
) -> AppResult<PersonView> {
    actor.require(Permission::PersonWrite)?;
    let effective_on = input.effective_on.unwrap_or(today);
    let note = clean(input.note);
    Validator::new()
        .check(effective_on <= today, "effective_on", "must not be in the future")
        .check(note.as_deref().is_none_or(|n| n.chars().count() <= 500), "note", "must be at most 500 characters")
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    ensure_active(&row)?;
    let current = PartyStatus::from_db(&row.party_status)?;
    let is_correction = !is_next_step(current, input.status);
    let latest = latest_entry(&tx, id).await?;
    Validator::new()
        .check(input.status != current, "status", "is already the person's party status")
        .check(
            latest.as_ref().is_none_or(|e| e.effective_on <= effective_on),
            "effective_on",
            "must not be before the person's latest party-status entry",
        )
        .check(
            !is_correction || input.status == current || note.is_some(),
            "note",
            "is required for a correction (a change other than the next step)",
        )
        .finish()?;
    let before = PersonView::from_model(row.clone(), true)?;
    let version = row.version;
    let mut am: person::ActiveModel = row.clone().into();
    am.party_status = Set(input.status.as_str().to_owned());
    if input.status == PartyStatus::Probationary && row.joined_party_on.is_none() {
        am.joined_party_on = Set(Some(effective_on));
    }
    am.updated_at = Set(super::now());
    am.version = Set(version + 1);
    let updated = am.update(&tx).await?;
    let entry = StatusEntry { previous: Some(current), status: input.status, effective_on, note, is_correction };
    append_status(&tx, actor, &updated, entry).await?;
    let after = PersonView::from_model(updated, true)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "change_party_status",
            audit::entity_name(person::Entity),
            id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    crate::services::rosters::resync_person(&tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// The party-status history of a person the actor may read, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn party_status_history<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    person_id: Uuid,
) -> AppResult<Vec<PartyStatusChangeView>> {
    find_readable(db, actor, person_id).await?;
    Ok(party_status_histories_of(db, actor, &[person_id]).await?.remove(&person_id).unwrap_or_default())
}

/// The party-status histories of several people (DataLoader batch), oldest first,
/// skipping people the actor may not read. Two statements whatever the number of people.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn party_status_histories_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    person_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<PartyStatusChangeView>>> {
    let readable_ids = readable_ids(db, actor, person_ids).await?;
    let mut map: HashMap<Uuid, Vec<PartyStatusChangeView>> = HashMap::new();
    for row in party_status_change::Entity::find()
        .filter(party_status_change::Column::PersonId.is_in(readable_ids))
        .order_by_asc(party_status_change::Column::PersonId)
        .order_by_asc(party_status_change::Column::EffectiveOn)
        .order_by_asc(party_status_change::Column::Id)
        .all(db)
        .await?
    {
        map.entry(row.person_id).or_default().push(PartyStatusChangeView::from_model(row)?);
    }
    Ok(map)
}

/// Records that a person left (调出, 离职, 退休, 出党, 去世, 停止党籍): the person stays,
/// marked ended, and drops out of lists and planned rosters. `left_on` (default `today`)
/// may not be in the future; a person who already left is CONFLICT.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_departure(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    input: DepartureInput,
) -> AppResult<PersonView> {
    actor.require(Permission::PersonWrite)?;
    let left_on = input.left_on.unwrap_or(today);
    let reason = clean(input.reason);
    Validator::new()
        .check(left_on <= today, "left_on", "must not be in the future")
        .check(reason.as_deref().is_none_or(|r| r.chars().count() <= 500), "reason", "must be at most 500 characters")
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    if row.left_on.is_some() {
        return Err(AppError::Conflict("this person has already left".into()));
    }
    let before = PersonView::from_model(row.clone(), true)?;
    let version = row.version;
    let mut am: person::ActiveModel = row.into();
    am.left_on = Set(Some(left_on));
    am.departure_kind = Set(Some(input.kind.as_str().to_owned()));
    am.departure_reason = Set(reason);
    am.updated_at = Set(super::now());
    am.version = Set(version + 1);
    let after = PersonView::from_model(am.update(&tx).await?, true)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "depart",
            audit::entity_name(person::Entity),
            id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    crate::services::committees::end_memberships(&tx, actor, id, left_on, today).await?;
    crate::services::rosters::resync_person(&tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Undoes a departure recorded by mistake: the person is active again (and returns to
/// lists and planned rosters). A person who has not left is CONFLICT.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reinstate(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
) -> AppResult<PersonView> {
    actor.require(Permission::PersonWrite)?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
    if row.left_on.is_none() {
        return Err(AppError::Conflict("this person has not left".into()));
    }
    let before = PersonView::from_model(row.clone(), true)?;
    let version = row.version;
    let mut am: person::ActiveModel = row.into();
    am.left_on = Set(None);
    am.departure_kind = Set(None);
    am.departure_reason = Set(None);
    am.updated_at = Set(super::now());
    am.version = Set(version + 1);
    let after = PersonView::from_model(am.update(&tx).await?, true)?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "reinstate",
            audit::entity_name(person::Entity),
            id,
            Some(*after.organization_id),
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    crate::services::rosters::resync_person(&tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Demo data of the life cycle (`dangjian seed-demo`): believable party-status
/// histories for the candidates, probationary and full members whose history holds only
/// the entry made when they were created (申请 → 积极分子 → 发展对象 → 预备党员 → 正式党员,
/// ending at their joined date and current status), and two departures (one retired,
/// one transferred out). Idempotent: people who already have an earlier history, or who
/// already left, are left alone. Returns a one-line report.
pub async fn seed_demo(db: &DatabaseConnection, actor: &Actor, today: NaiveDate) -> AppResult<String> {
    use chrono::Months;
    let members = person::Entity::find()
        .filter(person::Column::PartyStatus.is_in([
            PartyStatus::Candidate.as_str(),
            PartyStatus::Probationary.as_str(),
            PartyStatus::Full.as_str(),
        ]))
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    let mut histories = 0usize;
    for (i, p) in members.iter().enumerate() {
        let entries = party_status_change::Entity::find()
            .filter(party_status_change::Column::PersonId.eq(p.id))
            .order_by_asc(party_status_change::Column::EffectiveOn)
            .all(db)
            .await?;
        let [first] = entries.as_slice() else { continue };
        let status = PartyStatus::from_db(&p.party_status)?;
        // The day they became probationary: their joined date, else (candidates) a
        // day a few months ahead of the candidate entry, which is then today's entry.
        let joined = p.joined_party_on.unwrap_or(first.effective_on);
        let months = |n: u32| joined.checked_sub_months(Months::new(n)).unwrap_or(joined);
        let spread = (i % 4) as u32;
        // (status, date) of each step before the entry made at creation, oldest first.
        let mut steps: Vec<(PartyStatus, NaiveDate)> = vec![
            (PartyStatus::Applicant, months(30 + spread * 2)),
            (PartyStatus::Activist, months(24 + spread)),
            (PartyStatus::Candidate, months(12)),
        ];
        match status {
            PartyStatus::Candidate => {
                // Still a candidate: applied two to three years ago, candidate for a
                // few months now.
                steps.truncate(2);
            }
            PartyStatus::Full => {
                // Probationary for a year before becoming a full member.
                steps.push((PartyStatus::Probationary, joined));
            }
            _ => {}
        }
        let last_date = match status {
            PartyStatus::Full => joined.checked_add_months(Months::new(12)).unwrap_or(joined).min(today),
            PartyStatus::Candidate => months(3 + spread),
            _ => first.effective_on,
        };
        steps.push((status, last_date));
        let tx = write_tx(db).await?;
        // The entry made at creation (the oldest id) becomes the first step, so that
        // entries of the same day keep their order; the later steps follow it.
        let (first_status, first_on) = steps[0];
        let before = PartyStatusChangeView::from_model(first.clone())?;
        let mut am: party_status_change::ActiveModel = first.clone().into();
        am.previous_status = Set(Some(PartyStatus::None.as_str().to_owned()));
        am.status = Set(first_status.as_str().to_owned());
        am.effective_on = Set(first_on);
        let after = PartyStatusChangeView::from_model(am.update(&tx).await?)?;
        audit::record(
            &tx,
            actor,
            Change::of(
                "update",
                audit::entity_name(party_status_change::Entity),
                first.id,
                Some(p.organization_id),
                Some(&before),
                Some(&after),
            )?,
        )
        .await?;
        let mut previous = first_status;
        for (step, on) in steps.iter().skip(1) {
            let entry = StatusEntry {
                previous: Some(previous),
                status: *step,
                effective_on: *on,
                note: None,
                is_correction: false,
            };
            append_status(&tx, actor, p, entry).await?;
            previous = *step;
        }
        tx.commit().await?;
        histories += 1;
    }
    // Two departures, among full members who hold no demo login.
    let mut departures = 0usize;
    let with_login: Vec<Uuid> = entity::user_account::Entity::find()
        .select_only()
        .column(entity::user_account::Column::PersonId)
        .filter(entity::user_account::Column::PersonId.is_not_null())
        .into_tuple::<Option<Uuid>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let candidates: Vec<&person::Model> = members
        .iter()
        .filter(|p| p.party_status == PartyStatus::Full.as_str() && !with_login.contains(&p.id))
        .rev()
        .take(2)
        .collect();
    let plans = [
        (DepartureKind::Retired, 2, "到龄退休，组织关系转至社区党组织"),
        (DepartureKind::TransferredOut, 1, "调往集团外单位工作，组织关系转出"),
    ];
    for (p, (kind, months_ago, reason)) in candidates.into_iter().zip(plans) {
        if p.left_on.is_some() {
            continue;
        }
        let left_on = today.checked_sub_months(chrono::Months::new(months_ago)).unwrap_or(today);
        let input = DepartureInput { kind, left_on: Some(left_on), reason: Some(reason.into()) };
        record_departure(db, actor, today, p.id, super::ANY_VERSION, input).await?;
        departures += 1;
    }
    Ok(format!("{histories} party-status histories, {departures} departures"))
}
