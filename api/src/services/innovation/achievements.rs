//! "Five small" innovation achievements (五小创新创效): submitted by members for
//! themselves and their team, reviewed by organisation administrators in scope.
//!
//! Workflow: submitted → under_review → accepted | rejected (with a reason);
//! accepted → awarded (with the reward) → promoted. No other change is allowed, and
//! nobody reviews an achievement they submitted, lead or are on the team of.
//! Readable by `InnovationRead` over the organisation, and by its lead, submitter and
//! team members.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ACHIEVEMENT_TEAM, PersonLink, check_people, check_version, clean, holds_over, in_subtree_of, links_of,
    non_negative, owners_of_person, person_links, set_links, year_bounds,
};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use crate::services::audit::{self, Change};
use crate::services::pagination::{KeyOrder, Page, PageRequest, keyset};
use crate::services::scope::org_for_write;
use crate::services::scope::org_ref_in;
use crate::services::types::{Id, text_enum};
use entity::{achievement, innovation_campaign};

text_enum! {
    /// Category of a "five small" achievement.
    AchievementCategory {
        /// 小发明: small invention.
        SmallInvention => "small_invention",
        /// 小创造: small creation.
        SmallCreation => "small_creation",
        /// 小革新: small innovation.
        SmallInnovation => "small_innovation",
        /// 小设计: small design.
        SmallDesign => "small_design",
        /// 小建议: small suggestion.
        SmallSuggestion => "small_suggestion",
    }
}

text_enum! {
    /// Review status of an achievement.
    AchievementStatus {
        /// 已申报: submitted, waiting for review.
        Submitted => "submitted",
        /// 评审中: being reviewed.
        UnderReview => "under_review",
        /// 已认定: accepted.
        Accepted => "accepted",
        /// 未通过: rejected, with a reason (final).
        Rejected => "rejected",
        /// 已奖励: awarded, with the reward.
        Awarded => "awarded",
        /// 已推广: promoted for wider use (final).
        Promoted => "promoted",
    }
}

impl AchievementStatus {
    /// The allowed changes: submitted → under_review; under_review → accepted |
    /// rejected; accepted → awarded; awarded → promoted.
    pub fn may_become(self, next: AchievementStatus) -> bool {
        use AchievementStatus::*;
        matches!(
            (self, next),
            (Submitted, UnderReview) | (UnderReview, Accepted | Rejected) | (Accepted, Awarded) | (Awarded, Promoted)
        )
    }

    /// Whether the achievement is recognised (counts in the statistics).
    pub fn is_recognised(self) -> bool {
        matches!(self, AchievementStatus::Accepted | AchievementStatus::Awarded | AchievementStatus::Promoted)
    }

    /// The recognised statuses.
    pub const RECOGNISED: [AchievementStatus; 3] =
        [AchievementStatus::Accepted, AchievementStatus::Awarded, AchievementStatus::Promoted];
}

/// A "five small" innovation achievement (五小创新创效). Money in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Achievement", complex)]
pub struct AchievementView {
    /// Id (UUID v7).
    pub id: Id,
    /// The organisation it belongs to.
    pub organization_id: Id,
    /// The campaign it was submitted to, if any.
    pub campaign_id: Option<Id>,
    /// Category.
    pub category: AchievementCategory,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Team lead (person id).
    pub lead_id: Id,
    /// The lead's name (REST reads and lists; GraphQL has `lead`).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_name: Option<String>,
    /// Team members besides the lead.
    pub members: Vec<PersonLink>,
    /// Who submitted it (person id), if a person.
    pub submitted_by_id: Option<Id>,
    /// The submitter's name, if a person (REST reads and lists).
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_by_name: Option<String>,
    /// Day of submission (configured time zone); the year it counts in.
    pub submitted_on: NaiveDate,
    /// Economic benefit in fen (元 × 100).
    pub benefit_fen: i64,
    /// Reward in fen, once awarded.
    pub reward_fen: Option<i64>,
    /// Review status.
    pub status: AchievementStatus,
    /// The reviewer (person id) of the last review step.
    pub reviewer_id: Option<Id>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Day it was accepted or rejected.
    pub decided_on: Option<NaiveDate>,
    /// Day it was awarded.
    pub awarded_on: Option<NaiveDate>,
    /// Day it was promoted.
    pub promoted_on: Option<NaiveDate>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl AchievementView {
    fn from_model(m: achievement::Model, members: Vec<(Uuid, Option<String>)>) -> AppResult<Self> {
        Ok(AchievementView {
            category: AchievementCategory::from_db(&m.category)?,
            status: AchievementStatus::from_db(&m.status)?,
            id: m.id.into(),
            organization_id: m.organization_id.into(),
            campaign_id: m.campaign_id.map(Id),
            title: m.title,
            description: m.description,
            lead_id: m.lead_person_id.into(),
            lead_name: None,
            members: person_links(members),
            submitted_by_id: m.submitted_by_person_id.map(Id),
            submitted_by_name: None,
            submitted_on: m.submitted_on,
            benefit_fen: m.benefit_fen,
            reward_fen: m.reward_fen,
            reviewer_id: m.reviewer_person_id.map(Id),
            rejection_reason: m.rejection_reason,
            decided_on: m.decided_on,
            awarded_on: m.awarded_on,
            promoted_on: m.promoted_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }

    /// Whether `person` is the lead, the submitter or on the team.
    fn involves(&self, person: Uuid) -> bool {
        self.lead_id == person
            || self.submitted_by_id.is_some_and(|s| s == person)
            || self.members.iter().any(|m| m.person_id == person)
    }
}

/// A new "five small" achievement.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "SubmitAchievementInput")]
pub struct NewAchievement {
    /// The organisation (one you may submit or manage in).
    pub organization_id: Id,
    /// The campaign, if any (must be readable).
    pub campaign_id: Option<Id>,
    /// Category.
    pub category: AchievementCategory,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Description (up to 5000 characters).
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Team lead (person id); defaults to you (required when you are not a person).
    /// Members must be the lead or on the team.
    pub lead_id: Option<Id>,
    /// Team members besides the lead (each person at most once; not the lead).
    #[serde(default)]
    #[graphql(default)]
    pub members: Vec<PersonLink>,
    /// Economic benefit in fen (non-negative).
    #[serde(default)]
    #[graphql(default)]
    #[schema(minimum = 0)]
    pub benefit_fen: i64,
}

/// Changes to a submitted achievement: only while it is submitted, by its submitter,
/// lead or an administrator in scope. Only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateAchievementInput")]
pub struct AchievementPatch {
    /// Category.
    pub category: Option<AchievementCategory>,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Description (up to 5000 characters; empty clears it).
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Team members besides the lead (replaces the list; each person at most once; not
    /// the lead).
    pub members: Option<Vec<PersonLink>>,
    /// Economic benefit in fen (non-negative).
    #[schema(minimum = 0)]
    pub benefit_fen: Option<i64>,
}

/// One workflow step of an achievement's review.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "ReviewAchievementInput")]
pub struct AchievementReview {
    /// The new status (an allowed transition; others are CONFLICT).
    pub status: AchievementStatus,
    /// Reason, required when rejecting and given only then (1–1000 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 1000)]
    pub reason: Option<String>,
    /// Reward in fen, given only when awarding (non-negative).
    #[schema(minimum = 0)]
    pub reward_fen: Option<i64>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct AchievementFilter {
    /// Only achievements of this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this campaign.
    pub campaign_id: Option<Uuid>,
    /// Only this category.
    pub category: Option<AchievementCategory>,
    /// Only this status.
    pub status: Option<AchievementStatus>,
    /// Only submitted in this calendar year.
    pub year: Option<i32>,
    /// Only those this person leads, submitted or is on the team of.
    pub person_id: Option<Uuid>,
}

fn involving(person: Uuid) -> Condition {
    Condition::any()
        .add(achievement::Column::LeadPersonId.eq(person))
        .add(achievement::Column::SubmittedByPersonId.eq(person))
        .add(achievement::Column::Id.in_subquery(owners_of_person(&ACHIEVEMENT_TEAM, person)))
}

/// The achievements the actor may read.
fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.scope(Permission::InnovationRead);
    let mut cond = Condition::any().add(org_ref_in(achievement::Column::OrganizationId, &scope));
    if let Some(own) = actor.person_id() {
        cond = cond.add(involving(own));
    } else if scope == Scope::None {
        return Err(AppError::forbidden("your role does not allow reading achievements"));
    }
    Ok(cond)
}

async fn views<C: ConnectionTrait>(db: &C, rows: Vec<achievement::Model>) -> AppResult<Vec<AchievementView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut team = links_of(db, &ACHIEVEMENT_TEAM, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let members = team.remove(&r.id).unwrap_or_default();
            AchievementView::from_model(r, members)
        })
        .collect()
}

async fn view<C: ConnectionTrait>(db: &C, row: achievement::Model) -> AppResult<AchievementView> {
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Several achievements by id, skipping those the actor may not read (the changes feed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<AchievementView>> {
    let rows = achievement::Entity::find()
        .filter(achievement::Column::Id.is_in(crate::services::bucketed(ids.iter().copied())))
        .filter(readable(actor)?)
        .all(db)
        .await?;
    let mut items = views(db, rows).await?;
    with_names(db, &mut items).await?;
    Ok(items)
}

/// One achievement.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<AchievementView> {
    let row = achievement::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)?;
    let mut one = view(db, row).await?;
    with_names(db, std::slice::from_mut(&mut one)).await?;
    Ok(one)
}

/// Fills in the names of the leads and submitters of `items`: one statement whatever
/// their number.
async fn with_names<C: ConnectionTrait>(db: &C, items: &mut [AchievementView]) -> AppResult<()> {
    let ids = items.iter().flat_map(|a| [Some(*a.lead_id), a.submitted_by_id.map(|s| *s)]).flatten();
    let names = crate::services::names::people(db, ids.collect::<Vec<_>>()).await?;
    for a in items {
        a.lead_name = names.get(&*a.lead_id).cloned();
        a.submitted_by_name = a.submitted_by_id.and_then(|s| names.get(&*s).cloned());
    }
    Ok(())
}

/// A page of readable achievements, in creation order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &AchievementFilter,
    page: PageRequest,
) -> AppResult<Page<AchievementView>> {
    let mut cond = Condition::all().add(readable(actor)?);
    if let Some(org) = filter.organization_id {
        cond = cond.add(in_subtree_of(db, actor, achievement::Column::OrganizationId, org).await?);
    }
    if let Some(c) = filter.campaign_id {
        cond = cond.add(achievement::Column::CampaignId.eq(c));
    }
    if let Some(c) = filter.category {
        cond = cond.add(achievement::Column::Category.eq(c.as_str()));
    }
    if let Some(s) = filter.status {
        cond = cond.add(achievement::Column::Status.eq(s.as_str()));
    }
    if let Some(y) = filter.year {
        let (from, to) = year_bounds(y)?;
        cond = cond.add(achievement::Column::SubmittedOn.gte(from)).add(achievement::Column::SubmittedOn.lt(to));
    }
    if let Some(p) = filter.person_id {
        cond = cond.add(involving(p));
    }
    let (rows, total) =
        keyset::<_, achievement::Entity>(db, cond, achievement::Column::Id, page, KeyOrder::Oldest).await?;
    let mut items = views(db, rows).await?;
    with_names(db, &mut items).await?;
    Ok(Page::from_rows(items, page, |a| *a.id, total))
}

fn validate(title: Option<&str>, description: Option<&str>, benefit: Option<i64>) -> AppResult<()> {
    let mut v = Validator::new();
    v.opt_text(title, "title", 200).check(
        description.is_none_or(|d| d.chars().count() <= 5000),
        "description",
        "must be at most 5000 characters",
    );
    non_negative(&mut v, benefit, "benefit_fen");
    v.finish()
}

/// Submits an achievement. Members submit in their own organisation for a team they
/// lead or are on; administrators in scope for anyone in their scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    input: NewAchievement,
) -> AppResult<AchievementView> {
    actor.require(Permission::AchievementSubmit)?;
    validate(Some(&input.title), input.description.as_deref(), Some(input.benefit_fen))?;
    let tx = write_tx(db).await?;
    let org = org_for_write(&tx, actor, *input.organization_id, Permission::AchievementSubmit).await?;
    let manages = holds_over(&tx, actor, org.id, Permission::InnovationManage).await?;
    let lead = match (input.lead_id, actor.person_id()) {
        (Some(l), _) => *l,
        (None, Some(me)) => me,
        (None, None) => return Err(AppError::invalid("lead_id", "required when you are not a person")),
    };
    let members = check_people(&tx, actor, &input.members, "members").await?;
    if members.iter().any(|(p, _)| *p == lead) {
        return Err(AppError::invalid("members", "the lead is not listed among the members"));
    }
    super::ensure_persons(&tx, actor, vec![lead], "lead_id").await?;
    if !manages {
        let me = actor.person_id();
        if me != Some(lead) && !members.iter().any(|(p, _)| Some(*p) == me) {
            return Err(AppError::forbidden("you may submit only achievements you lead or are on the team of"));
        }
    }
    if let Some(c) = input.campaign_id {
        let found =
            innovation_campaign::Entity::find_by_id(*c).filter(super::campaign_readable(actor)?).count(&tx).await?;
        if found == 0 {
            return Err(AppError::invalid("campaign_id", "no such campaign"));
        }
    }
    let now = crate::services::now();
    let row = achievement::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        campaign_id: Set(input.campaign_id.map(Uuid::from)),
        category: Set(input.category.as_str().to_owned()),
        title: Set(input.title.trim().to_owned()),
        description: Set(clean(input.description)),
        lead_person_id: Set(lead),
        submitted_by_person_id: Set(actor.person_id()),
        submitted_by_user_id: Set(actor.user_id()),
        submitted_on: Set(today),
        benefit_fen: Set(input.benefit_fen),
        reward_fen: Set(None),
        status: Set(AchievementStatus::Submitted.as_str().to_owned()),
        reviewer_person_id: Set(None),
        reviewer_user_id: Set(None),
        rejection_reason: Set(None),
        decided_on: Set(None),
        awarded_on: Set(None),
        promoted_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    set_links(&tx, &ACHIEVEMENT_TEAM, row.id, &members).await?;
    let after = view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "create",
            crate::services::audit::entity_name(entity::achievement::Entity),
            *after.id,
            Some(*after.organization_id),
            None,
            Some(&after),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Loads and locks a readable achievement: its row and its view.
async fn find_for_change<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(achievement::Model, AchievementView)> {
    achievement::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)?;
    let row = achievement::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    let view = view(db, row.clone()).await?;
    Ok((row, view))
}

/// Changes a submitted achievement (its submitter, lead or an administrator in scope).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: AchievementPatch,
) -> AppResult<AchievementView> {
    validate(patch.title.as_deref(), patch.description.as_deref(), patch.benefit_fen)?;
    let tx = write_tx(db).await?;
    let (row, before) = find_for_change(&tx, actor, id).await?;
    let manages = holds_over(&tx, actor, *before.organization_id, Permission::InnovationManage).await?;
    let me = actor.person_id();
    if !manages && me.is_none_or(|p| before.lead_id != p && before.submitted_by_id != Some(Id(p))) {
        return Err(AppError::forbidden(
            "only the submitter, the lead or an administrator may change this achievement",
        ));
    }
    check_version(before.version, expected_version)?;
    if before.status != AchievementStatus::Submitted {
        return Err(AppError::Conflict("only a submitted achievement can be changed".into()));
    }
    let members = match &patch.members {
        Some(m) => {
            let m = check_people(&tx, actor, m, "members").await?;
            if m.iter().any(|(p, _)| before.lead_id == *p) {
                return Err(AppError::invalid("members", "the lead is not listed among the members"));
            }
            Some(m)
        }
        None => None,
    };
    let original = row.clone();
    let mut am: achievement::ActiveModel = row.into();
    if let Some(v) = patch.category {
        am.category = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.description {
        am.description = Set(clean(Some(v)));
    }
    if let Some(v) = patch.benefit_fen {
        am.benefit_fen = Set(v);
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
        set_links(&tx, &ACHIEVEMENT_TEAM, id, &m).await?;
    }
    let after = view(&tx, row).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "update",
            crate::services::audit::entity_name(entity::achievement::Entity),
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

/// The organisation of an achievement whose attachments the actor may read, or write
/// when `write`: NOT_FOUND when unreadable; FORBIDDEN unless an administrator in scope,
/// or its submitter, lead or team member while it is still submitted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attachment_access<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid, write: bool) -> AppResult<Uuid> {
    let a = get(db, actor, id).await?;
    if write && !holds_over(db, actor, *a.organization_id, Permission::InnovationManage).await? {
        let involved = actor.person_id().is_some_and(|me| a.involves(me));
        if !involved || a.status != AchievementStatus::Submitted {
            return Err(AppError::forbidden(
                "only its team (while submitted) or an organisation administrator may attach files",
            ));
        }
    }
    Ok(*a.organization_id)
}

/// Takes one workflow step (administrators in scope, never on an achievement they
/// submitted, lead or are on the team of).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn review(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    id: Uuid,
    expected_version: i32,
    input: AchievementReview,
) -> AppResult<AchievementView> {
    let mut v = Validator::new();
    non_negative(&mut v, input.reward_fen, "reward_fen");
    v.opt_text(input.reason.as_deref(), "reason", 1000);
    v.check(
        input.status != AchievementStatus::Rejected || input.reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
        "reason",
        "a rejection needs a reason",
    );
    v.check(
        input.reward_fen.is_none() || input.status == AchievementStatus::Awarded,
        "reward_fen",
        "a reward is given only when awarding",
    );
    v.check(
        input.reason.is_none() || input.status == AchievementStatus::Rejected,
        "reason",
        "a reason is given only when rejecting",
    );
    v.finish()?;
    actor.require(Permission::InnovationManage)?;
    let tx = write_tx(db).await?;
    let (row, before) = find_for_change(&tx, actor, id).await?;
    if !holds_over(&tx, actor, *before.organization_id, Permission::InnovationManage).await? {
        return Err(AppError::forbidden("only an administrator of this organisation may review it"));
    }
    let submitted_by_me = actor.user_id().is_some_and(|me| row.submitted_by_user_id == Some(me));
    if submitted_by_me || actor.person_id().is_some_and(|me| before.involves(me)) {
        return Err(AppError::forbidden("you may not review an achievement you submitted or are on the team of"));
    }
    check_version(before.version, expected_version)?;
    if !before.status.may_become(input.status) {
        return Err(AppError::Conflict(format!(
            "a {} achievement cannot become {}",
            before.status.as_str(),
            input.status.as_str()
        )));
    }
    let mut am: achievement::ActiveModel = row.into();
    am.status = Set(input.status.as_str().to_owned());
    am.reviewer_person_id = Set(actor.person_id());
    am.reviewer_user_id = Set(actor.user_id());
    match input.status {
        AchievementStatus::Accepted => am.decided_on = Set(Some(today)),
        AchievementStatus::Rejected => {
            am.decided_on = Set(Some(today));
            am.rejection_reason = Set(clean(input.reason));
        }
        AchievementStatus::Awarded => {
            am.awarded_on = Set(Some(today));
            am.reward_fen = Set(Some(input.reward_fen.unwrap_or(0)));
        }
        AchievementStatus::Promoted => am.promoted_on = Set(Some(today)),
        AchievementStatus::Submitted | AchievementStatus::UnderReview => {}
    }
    am.updated_at = Set(crate::services::now());
    am.version = Set(before.version + 1);
    let after = view(&tx, am.update(&tx).await?).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "review",
            crate::services::audit::entity_name(entity::achievement::Entity),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_are_exactly_the_workflow() {
        use AchievementStatus::*;
        let allowed = [
            (Submitted, UnderReview),
            (UnderReview, Accepted),
            (UnderReview, Rejected),
            (Accepted, Awarded),
            (Awarded, Promoted),
        ];
        for from in AchievementStatus::ALL {
            for to in AchievementStatus::ALL {
                assert_eq!(from.may_become(*to), allowed.contains(&(*from, *to)), "{from:?} -> {to:?}");
            }
        }
    }
}
