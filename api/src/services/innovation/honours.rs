//! Intellectual property and honours: patents (invention / utility model / design;
//! domestic / international), software copyrights, awards (national /
//! provincial-ministerial / industry / group / company, with a rank) and standards
//! (national / industry / group / enterprise; hosted or took part), each linked to an
//! organisation, optionally a project, and the people credited.
//!
//! Read with `HonourRead` over the organisation (HR clients included); changed with
//! `InnovationManage` there.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    HONOUR_PEOPLE, PersonLink, check_people, check_version, clean, in_subtree_of, links_of, owners_of_person,
    person_links, set_links, year_bounds,
};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::pagination::{KeyOrder, Page, PageRequest, keyset};
use crate::services::scope::org_for_write;
use crate::services::scope::org_ref_in;
use crate::services::types::{Id, text_enum};
use entity::honour;

text_enum! {
    /// What an honour is.
    HonourKind {
        /// 专利: patent.
        Patent => "patent",
        /// 软件著作权: software copyright.
        SoftwareCopyright => "software_copyright",
        /// 科技奖励: award.
        Award => "award",
        /// 标准: standard.
        Standard => "standard",
    }
}

text_enum! {
    /// Type of a patent.
    PatentType {
        /// 发明专利: invention patent.
        Invention => "invention",
        /// 实用新型: utility model.
        UtilityModel => "utility_model",
        /// 外观设计: design.
        Design => "design",
    }
}

text_enum! {
    /// Where a patent is held.
    PatentRegion {
        /// 国内: domestic.
        Domestic => "domestic",
        /// 国际: international (e.g. PCT, foreign grants).
        International => "international",
    }
}

text_enum! {
    /// Legal status of a patent.
    PatentStatus {
        /// 申请中: filed, not yet granted.
        Filed => "filed",
        /// 已授权: granted and in force.
        Granted => "granted",
        /// 已失效: lapsed.
        Lapsed => "lapsed",
    }
}

text_enum! {
    /// Level of an award.
    AwardLevel {
        /// 国家级: national.
        National => "national",
        /// 省部级: provincial or ministerial.
        Provincial => "provincial",
        /// 行业: industry association.
        Industry => "industry",
        /// 集团: group.
        Group => "group",
        /// 公司: company.
        Company => "company",
    }
}

text_enum! {
    /// Level of a standard.
    StandardLevel {
        /// 国家标准: national.
        National => "national",
        /// 行业标准: industry.
        Industry => "industry",
        /// 团体标准: association (group) standard.
        Group => "group",
        /// 企业标准: enterprise.
        Enterprise => "enterprise",
    }
}

text_enum! {
    /// Part taken in a standard.
    StandardRole {
        /// 主持: led (hosted) the drafting.
        Hosted => "hosted",
        /// 参与: took part.
        Participated => "participated",
    }
}

/// A patent, software copyright, award or standard. Kind-specific fields are null
/// where they do not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Honour", complex)]
pub struct HonourView {
    /// Id (UUID v7).
    pub id: Id,
    /// Kind.
    pub kind: HonourKind,
    /// The organisation holding it.
    pub organization_id: Id,
    /// The project it came from, if any.
    pub project_id: Option<Id>,
    /// Title (patent title, software name, award name, standard name).
    pub title: String,
    /// Number (patent number, registration number, certificate or standard number).
    pub number: Option<String>,
    /// Grant, registration, award or publication day.
    pub dated_on: NaiveDate,
    /// Patents: type.
    pub patent_type: Option<PatentType>,
    /// Patents: domestic or international.
    pub region: Option<PatentRegion>,
    /// Patents: legal status.
    pub patent_status: Option<PatentStatus>,
    /// Awards: level.
    pub award_level: Option<AwardLevel>,
    /// Awards: rank, e.g. 一等奖.
    pub award_rank: Option<String>,
    /// Standards: level.
    pub standard_level: Option<StandardLevel>,
    /// Standards: hosted or took part.
    pub standard_role: Option<StandardRole>,
    /// People credited (inventors, winners, drafters).
    pub people: Vec<PersonLink>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl HonourView {
    fn from_model(m: honour::Model, people: Vec<(Uuid, Option<String>)>) -> AppResult<Self> {
        let kind = HonourKind::from_db(&m.kind)?;
        let level = m.level.as_deref();
        Ok(HonourView {
            patent_type: m.patent_type.as_deref().map(PatentType::from_db).transpose()?,
            region: m.region.as_deref().map(PatentRegion::from_db).transpose()?,
            patent_status: m.patent_status.as_deref().map(PatentStatus::from_db).transpose()?,
            award_level: level.filter(|_| kind == HonourKind::Award).map(AwardLevel::from_db).transpose()?,
            standard_level: level.filter(|_| kind == HonourKind::Standard).map(StandardLevel::from_db).transpose()?,
            standard_role: m.standard_role.as_deref().map(StandardRole::from_db).transpose()?,
            people: person_links(people),
            kind,
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            project_id: m.project_id.map(Id),
            title: m.title,
            number: m.number,
            dated_on: m.dated_on,
            award_rank: m.award_rank,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new patent, software copyright, award or standard. Patents need the patent type
/// (the region defaults to domestic, the status to granted); awards need the award
/// level; standards need the standard level and role; fields of another kind are refused.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateHonourInput")]
pub struct NewHonour {
    /// Kind.
    pub kind: HonourKind,
    /// The organisation (one you manage).
    pub organization_id: Id,
    /// The project, if any (readable).
    pub project_id: Option<Id>,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Number (up to 100 characters).
    #[schema(max_length = 100)]
    pub number: Option<String>,
    /// Grant, registration, award or publication day.
    pub dated_on: NaiveDate,
    /// Patents: type (required for a patent; only for patents).
    pub patent_type: Option<PatentType>,
    /// Patents: region (only for patents).
    pub region: Option<PatentRegion>,
    /// Patents: status (only for patents).
    pub patent_status: Option<PatentStatus>,
    /// Awards: level (required for an award; only for awards).
    pub award_level: Option<AwardLevel>,
    /// Awards: rank (up to 50 characters; only for awards).
    #[schema(max_length = 50)]
    pub award_rank: Option<String>,
    /// Standards: level (required for a standard; only for standards).
    pub standard_level: Option<StandardLevel>,
    /// Standards: role (required for a standard; only for standards).
    pub standard_role: Option<StandardRole>,
    /// People credited (each person at most once).
    #[serde(default)]
    #[graphql(default)]
    pub people: Vec<PersonLink>,
}

/// Changes to an honour: only the fields given change (the kind never does).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateHonourInput")]
pub struct HonourPatch {
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Number (up to 100 characters; empty clears it).
    #[schema(max_length = 100)]
    pub number: Option<String>,
    /// Day.
    pub dated_on: Option<NaiveDate>,
    /// Patents: status (only for patents).
    pub patent_status: Option<PatentStatus>,
    /// Awards: rank (up to 50 characters; only for awards).
    #[schema(max_length = 50)]
    pub award_rank: Option<String>,
    /// People credited (replaces the list; each person at most once).
    pub people: Option<Vec<PersonLink>>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct HonourFilter {
    /// Only this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<HonourKind>,
    /// Only dated in this year.
    pub year: Option<i32>,
    /// Only of this project.
    pub project_id: Option<Uuid>,
    /// Only crediting this person.
    pub person_id: Option<Uuid>,
}

fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::HonourRead)?;
    Ok(Condition::all().add(org_ref_in(honour::Column::OrganizationId, &scope)))
}

async fn views<C: ConnectionTrait>(db: &C, rows: Vec<honour::Model>) -> AppResult<Vec<HonourView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut people = links_of(db, &HONOUR_PEOPLE, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let p = people.remove(&r.id).unwrap_or_default();
            HonourView::from_model(r, p)
        })
        .collect()
}

async fn view<C: ConnectionTrait>(db: &C, row: honour::Model) -> AppResult<HonourView> {
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Several honours by id, skipping those the actor may not read (the changes feed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<HonourView>> {
    let rows = honour::Entity::find()
        .filter(honour::Column::Id.is_in(crate::services::bucketed(ids.iter().copied())))
        .filter(readable(actor)?)
        .all(db)
        .await?;
    views(db, rows).await
}

/// One honour.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<HonourView> {
    let row = honour::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)?;
    view(db, row).await
}

/// A page of readable honours, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &HonourFilter,
    page: PageRequest,
) -> AppResult<Page<HonourView>> {
    let mut cond = readable(actor)?;
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, honour::Column::OrganizationId, org).await?);
    }
    if let Some(k) = filter.kind {
        cond = cond.add(honour::Column::Kind.eq(k.as_str()));
    }
    if let Some(y) = filter.year {
        let (from, to) = year_bounds(y)?;
        cond = cond.add(honour::Column::DatedOn.gte(from)).add(honour::Column::DatedOn.lt(to));
    }
    if let Some(p) = filter.project_id {
        cond = cond.add(honour::Column::ProjectId.eq(p));
    }
    if let Some(p) = filter.person_id {
        cond = cond.add(honour::Column::Id.in_subquery(owners_of_person(&HONOUR_PEOPLE, p)));
    }
    let (rows, total) = keyset::<_, honour::Entity>(db, cond, honour::Column::Id, page, KeyOrder::Oldest).await?;
    Ok(Page::from_rows(views(db, rows).await?, page, |h| *h.id, total))
}

/// The kind-specific columns of a new honour, checked against its kind.
struct KindColumns {
    patent_type: Option<String>,
    region: Option<String>,
    patent_status: Option<String>,
    level: Option<String>,
    award_rank: Option<String>,
    standard_role: Option<String>,
}

fn kind_columns(input: &NewHonour) -> AppResult<KindColumns> {
    let mut v = Validator::new();
    let is = |k: HonourKind| input.kind == k;
    let patent = is(HonourKind::Patent);
    v.check(!patent || input.patent_type.is_some(), "patent_type", "required for a patent")
        .check(patent || input.patent_type.is_none(), "patent_type", "only for patents")
        .check(patent || input.region.is_none(), "region", "only for patents")
        .check(patent || input.patent_status.is_none(), "patent_status", "only for patents")
        .check(!is(HonourKind::Award) || input.award_level.is_some(), "award_level", "required for an award")
        .check(is(HonourKind::Award) || input.award_level.is_none(), "award_level", "only for awards")
        .check(is(HonourKind::Award) || input.award_rank.is_none(), "award_rank", "only for awards")
        .check(!is(HonourKind::Standard) || input.standard_level.is_some(), "standard_level", "required for a standard")
        .check(!is(HonourKind::Standard) || input.standard_role.is_some(), "standard_role", "required for a standard")
        .check(is(HonourKind::Standard) || input.standard_level.is_none(), "standard_level", "only for standards")
        .check(is(HonourKind::Standard) || input.standard_role.is_none(), "standard_role", "only for standards")
        .check(
            input.award_rank.as_ref().is_none_or(|r| r.chars().count() <= 50),
            "award_rank",
            "must be at most 50 characters",
        );
    v.finish()?;
    Ok(KindColumns {
        patent_type: input.patent_type.map(|t| t.as_str().to_owned()),
        region: patent.then(|| input.region.unwrap_or(PatentRegion::Domestic).as_str().to_owned()),
        patent_status: patent.then(|| input.patent_status.unwrap_or(PatentStatus::Granted).as_str().to_owned()),
        level: input
            .award_level
            .map(|l| l.as_str().to_owned())
            .or_else(|| input.standard_level.map(|l| l.as_str().to_owned())),
        award_rank: clean(input.award_rank.clone()),
        standard_role: input.standard_role.map(|r| r.as_str().to_owned()),
    })
}

/// Records an honour in an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewHonour) -> AppResult<HonourView> {
    Validator::new()
        .text(&input.title, "title", 200)
        .check(
            input.number.as_ref().is_none_or(|n| n.chars().count() <= 100),
            "number",
            "must be at most 100 characters",
        )
        .finish()?;
    let cols = kind_columns(&input)?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::InnovationManage).await?;
    if let Some(p) = input.project_id {
        super::projects::find_readable(&tx, actor, *p)
            .await
            .map_err(|_| AppError::invalid("project_id", "no such project"))?;
    }
    let people = check_people(&tx, actor, &input.people, "people").await?;
    let now = crate::services::now();
    let row = honour::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(input.kind.as_str().to_owned()),
        organization_id: Set(org.id),
        project_id: Set(input.project_id.map(Uuid::from)),
        title: Set(input.title.trim().to_owned()),
        number: Set(clean(input.number)),
        patent_type: Set(cols.patent_type),
        region: Set(cols.region),
        patent_status: Set(cols.patent_status),
        level: Set(cols.level),
        award_rank: Set(cols.award_rank),
        standard_role: Set(cols.standard_role),
        dated_on: Set(input.dated_on),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    set_links(&tx, &HONOUR_PEOPLE, row.id, &people).await?;
    let after = view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::honour::Entity),
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

async fn find_managed<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<honour::Model> {
    honour::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)?;
    let row = honour::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    org_for_write(db, actor, row.organization_id, Permission::InnovationManage).await?;
    Ok(row)
}

/// Changes an honour.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: HonourPatch,
) -> AppResult<HonourView> {
    Validator::new()
        .opt_text(patch.title.as_deref(), "title", 200)
        .check(
            patch.number.as_ref().is_none_or(|n| n.chars().count() <= 100),
            "number",
            "must be at most 100 characters",
        )
        .check(
            patch.award_rank.as_ref().is_none_or(|r| r.chars().count() <= 50),
            "award_rank",
            "must be at most 50 characters",
        )
        .finish()?;
    let tx = write_tx(db).await?;
    let row = find_managed(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    let before = view(&tx, row.clone()).await?;
    if patch.patent_status.is_some() && before.kind != HonourKind::Patent {
        return Err(AppError::invalid("patent_status", "only for patents"));
    }
    if patch.award_rank.is_some() && before.kind != HonourKind::Award {
        return Err(AppError::invalid("award_rank", "only for awards"));
    }
    let people = match &patch.people {
        Some(p) => Some(check_people(&tx, actor, p, "people").await?),
        None => None,
    };
    let original = row.clone();
    let mut am: honour::ActiveModel = row.into();
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.number {
        am.number = Set(clean(Some(v)));
    }
    if let Some(v) = patch.dated_on {
        am.dated_on = Set(v);
    }
    if let Some(v) = patch.patent_status {
        am.patent_status = Set(Some(v.as_str().to_owned()));
    }
    if let Some(v) = patch.award_rank {
        am.award_rank = Set(clean(Some(v)));
    }
    let stored: Vec<(Uuid, Option<String>)> = before.people.iter().map(|l| (l.person_id.0, l.role.clone())).collect();
    if people.as_ref().is_none_or(|p| super::same_links(&stored, p)) && crate::services::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(original.version + 1);
    let row = am.update(&tx).await?;
    if let Some(p) = people {
        set_links(&tx, &HONOUR_PEOPLE, id, &p).await?;
    }
    let after = view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::honour::Entity),
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

/// Deletes an honour recorded by mistake.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid, expected_version: i32) -> AppResult<()> {
    let tx = write_tx(db).await?;
    let row = find_managed(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    let before = view(&tx, row).await?;
    honour::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "delete",
            crate::services::audit::entity_name(entity::honour::Entity),
            id,
            Some(*before.organization_id),
            Some(&before),
            None,
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
