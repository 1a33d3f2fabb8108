//! People: members and employees, their party status, transfers between
//! organisations (history kept) and who may see their personal data.

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
use super::types::{Id, PartyStatus};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{organization, person, person_transfer};

/// A person as the caller may see them: `phone` and `email` are null unless the caller
/// is the person, manages their organisation, or is a client with the `personal_data` scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Person", complex)]
pub struct PersonView {
    /// Id (UUID v7).
    pub id: Id,
    /// Primary organisation.
    pub organization_id: Id,
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
            id: m.id.into(),
            organization_id: m.organization_id.into(),
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
    /// Party status (default `none`).
    pub party_status: Option<PartyStatus>,
    /// Date joined the party.
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
    /// Party status.
    pub party_status: Option<PartyStatus>,
    /// Date joined the party.
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
}

/// Decides personal-data visibility for a batch of rows with one query at most.
async fn personal_data_mask<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    rows: &[person::Model],
) -> AppResult<HashMap<Uuid, bool>> {
    let own = actor.person_id();
    let scope = actor.scope(Permission::PersonalData);
    let client_may = actor.has_client_scope(crate::auth::ClientScope::PersonalData);
    let paths: HashMap<Uuid, String> = match (&scope, client_may) {
        (Scope::Subtrees(_), false) => {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.organization_id).collect();
            organization::Entity::find()
                .filter(organization::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id, o.path))
                .collect()
        }
        _ => HashMap::new(),
    };
    Ok(rows
        .iter()
        .map(|r| {
            let visible = Some(r.id) == own
                || client_may
                || match &scope {
                    Scope::Global => true,
                    Scope::None => false,
                    Scope::Subtrees(_) => paths.get(&r.organization_id).is_some_and(|p| scope.contains_path(p)),
                };
            (r.id, visible)
        })
        .collect())
}

async fn views<C: ConnectionTrait>(db: &C, actor: &Actor, rows: Vec<person::Model>) -> AppResult<Vec<PersonView>> {
    let mask = personal_data_mask(db, actor, &rows).await?;
    rows.into_iter()
        .map(|r| {
            let show = mask.get(&r.id).copied().unwrap_or(false);
            PersonView::from_model(r, show)
        })
        .collect()
}

/// The people the actor may read: their read scope, plus themself.
fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.scope(Permission::PersonRead);
    let mut cond = Condition::any().add(org_ref_in(person::Column::OrganizationId, &scope));
    if let Some(own) = actor.person_id() {
        cond = cond.add(person::Column::Id.eq(own));
    } else if scope == Scope::None {
        return Err(AppError::forbidden("your role does not allow reading people"));
    }
    Ok(cond)
}

async fn find_readable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<person::Model> {
    person::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
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
    let rows = person::Entity::find()
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .all(db)
        .await?;
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
    let items = views(db, actor, rows).await?;
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

/// Creates a person in an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewPerson) -> AppResult<PersonView> {
    actor.require(Permission::PersonWrite)?;
    validate(
        Some(&input.name),
        Some(&input.employee_no),
        input.phone.as_deref(),
        input.email.as_deref(),
        input.position.as_deref(),
    )?;
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
        party_status: Set(input.party_status.unwrap_or(PartyStatus::None).as_str().to_owned()),
        joined_party_on: Set(input.joined_party_on),
        position: Set(clean(input.position)),
        is_leadership: Set(input.is_leadership),
        is_tech_backbone: Set(input.is_tech_backbone),
        is_model_worker: Set(input.is_model_worker),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
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

/// Updates a person the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
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
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    super::check_version(row.version, expected_version)?;
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
    if let Some(v) = patch.party_status {
        am.party_status = Set(v.as_str().to_owned());
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
    let after = PersonView::from_model(am.update(&tx).await?, true)?;
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
    tx.commit().await?;
    Ok(after)
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
    let readable_ids: Vec<Uuid> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::Id.is_in(person_ids.iter().copied()))
        .filter(readable(actor)?)
        .into_tuple()
        .all(db)
        .await?;
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
