//! Compliance of study work: committee meetings held without the first topic, and
//! required versus held meetings per organisation and period, judged against the
//! configurable meeting norms. Counting happens in SQL (grouped statements); periods
//! are calendar months and quarters in the configured time zone.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{CaseStatement, Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::scope::find_in_scope;
use super::scope::{org_ids_query, subtree};
use super::study::{SessionKind, SessionStatus, SessionView, day_range, views as session_views};
use super::types::{Id, OrgKind, text_enum};
use crate::auth::{Actor, Permission};
use crate::db::write_tx;
use crate::error::{AppError, AppResult};
use entity::{meeting_norm, organization, study_session};

/// Longest range a report covers.
pub const MAX_REPORT_DAYS: i64 = 366 * 3;

text_enum! {
    /// The period a meeting norm counts over.
    NormPeriod {
        /// A calendar month.
        Month => "month",
        /// A calendar quarter.
        Quarter => "quarter",
    }
}

/// A meeting norm: organisations of `org_kind` must hold `required_count` sessions of
/// `session_kind` per `period`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MeetingNorm")]
pub struct NormView {
    /// Id.
    pub id: Id,
    /// Kind of organisation the norm applies to.
    pub org_kind: OrgKind,
    /// Kind of session required.
    pub session_kind: SessionKind,
    /// Period counted over.
    pub period: NormPeriod,
    /// Sessions required per period (0 = no requirement).
    pub required_count: i32,
    /// Last changed at (UTC).
    #[graphql(skip)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Optimistic-concurrency version; the set's version (its ETag in REST,
    /// `expectedVersion` in GraphQL) is the sum over the norms in force.
    pub version: i32,
}

impl NormView {
    fn from_model(m: meeting_norm::Model) -> AppResult<Self> {
        Ok(NormView {
            org_kind: OrgKind::from_db(&m.org_kind)?,
            session_kind: SessionKind::from_db(&m.session_kind)?,
            period: NormPeriod::from_db(&m.period)?,
            id: m.id.into(),
            required_count: m.required_count,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A meeting norm to create or replace (keyed by the kind of organisation and the kind
/// of session).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "MeetingNormInput")]
pub struct NormInput {
    /// Kind of organisation.
    pub org_kind: OrgKind,
    /// Kind of session.
    pub session_kind: SessionKind,
    /// Period counted over.
    pub period: NormPeriod,
    /// Sessions required per period, 0–31 (0 = no requirement).
    #[schema(minimum = 0, maximum = 31)]
    pub required_count: i32,
}

/// The committee sessions of one organisation held without the first topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct FirstTopicGap {
    /// The organisation (id).
    pub organization_id: Id,
    /// The organisation's name.
    pub organization_name: String,
    /// The sessions, by `held_at`.
    pub sessions: Vec<SessionView>,
}

/// Required versus held sessions of one kind, in one organisation and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MeetingCompliance")]
pub struct MeetingComplianceRow {
    /// The organisation (id).
    pub organization_id: Id,
    /// The organisation's name.
    pub organization_name: String,
    /// The organisation's kind.
    pub org_kind: OrgKind,
    /// The period: `2026-03` (month) or `2026-Q1` (quarter).
    pub period: String,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Kind of session.
    pub session_kind: SessionKind,
    /// Sessions required.
    pub required: i32,
    /// Sessions held (status `held`, `held_at` inside the period in the configured time zone).
    pub held: i64,
    /// `max(required − held, 0)`.
    pub shortfall: i64,
}

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(n)).unwrap_or(d)
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    let m0 = (d.month0() / 3) * 3;
    NaiveDate::from_ymd_opt(d.year(), m0 + 1, 1).unwrap_or(d)
}

/// The committee sessions (party committee, central group, branch committee) of an
/// organisation's subtree, held on a day `from..=to` without the first topic, grouped by
/// organisation (tree order).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn first_topic_gaps<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: Tz,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<FirstTopicGap>> {
    let scope = actor.require(Permission::ComplianceRead)?;
    let (start, end) = day_range(tz, from, to, MAX_REPORT_DAYS)?;
    let root = find_in_scope(db, &scope, organization_id).await?;
    let rows = study_session::Entity::find()
        .filter(study_session::Column::OrganizationId.in_subquery(org_ids_query(subtree(&root.path))))
        .filter(study_session::Column::Kind.is_in(SessionKind::COMMITTEE.iter().map(|k| k.as_str())))
        .filter(study_session::Column::IsFirstTopic.eq(false))
        .filter(study_session::Column::Status.eq(SessionStatus::Held.as_str()))
        .filter(study_session::Column::HeldAt.gte(start))
        .filter(study_session::Column::HeldAt.lt(end))
        .order_by_asc(study_session::Column::HeldAt)
        .order_by_asc(study_session::Column::Id)
        .all(db)
        .await?;
    let org_ids: Vec<Uuid> = rows.iter().map(|r| r.organization_id).collect();
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .order_by_asc(organization::Column::Path)
        .all(db)
        .await?;
    let mut by_org: HashMap<Uuid, Vec<SessionView>> = HashMap::new();
    for s in session_views(db, rows).await? {
        by_org.entry(s.organization_id.0).or_default().push(s);
    }
    Ok(orgs
        .into_iter()
        .map(|o| FirstTopicGap {
            sessions: by_org.remove(&o.id).unwrap_or_default(),
            organization_id: o.id.into(),
            organization_name: o.name,
        })
        .collect())
}

/// Required versus held sessions for every organisation of the subtree that a norm
/// applies to, for every whole month or quarter (per the norm) overlapping
/// `from..=to`. Held sessions are counted by one grouped statement (per organisation,
/// kind and month); quarters add up their months.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn meetings<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: Tz,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<MeetingComplianceRow>> {
    let scope = actor.require(Permission::ComplianceRead)?;
    day_range(tz, from, to, MAX_REPORT_DAYS)?;
    let root = find_in_scope(db, &scope, organization_id).await?;
    // Whole quarters around the range, month by month.
    let first = quarter_start(from);
    let last = add_months(quarter_start(to), 3);
    let mut months = vec![first];
    while let Some(&m) = months.last()
        && m < last
    {
        months.push(add_months(m, 1));
    }
    // months[i]..months[i + 1] is month i; the last entry is the end bound.
    let bounds: Vec<_> =
        months.iter().map(|m| day_range(tz, *m, *m, 2).map(|(s, _)| s)).collect::<AppResult<Vec<_>>>()?;
    let (Some(&start), Some(&end)) = (bounds.first(), bounds.last()) else { return Ok(Vec::new()) };
    let held_at = Expr::col((study_session::Entity, study_session::Column::HeldAt));
    let mut case = CaseStatement::new();
    for (i, b) in bounds.iter().enumerate().skip(1) {
        case = case.case(held_at.clone().lt(*b), Expr::cust((i - 1).to_string()));
    }
    let case = case.finally(Expr::cust("-1"));
    let norms: Vec<NormView> = meeting_norm::Entity::find()
        .filter(meeting_norm::Column::RequiredCount.gt(0))
        .order_by_asc(meeting_norm::Column::SessionKind)
        .all(db)
        .await?
        .into_iter()
        .map(NormView::from_model)
        .collect::<AppResult<_>>()?;
    let kinds: Vec<&str> = norms.iter().map(|n| n.session_kind.as_str()).collect();
    let counts: Vec<(Uuid, String, i32, i64)> = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::OrganizationId)
        .column(study_session::Column::Kind)
        .expr_as(case, "period_idx")
        .column_as(study_session::Column::Id.count(), "n")
        .filter(study_session::Column::OrganizationId.in_subquery(org_ids_query(subtree(&root.path))))
        .filter(study_session::Column::Status.eq(SessionStatus::Held.as_str()))
        .filter(study_session::Column::Kind.is_in(kinds))
        .filter(study_session::Column::HeldAt.gte(start))
        .filter(study_session::Column::HeldAt.lt(end))
        .group_by(study_session::Column::OrganizationId)
        .group_by(study_session::Column::Kind)
        .group_by(Expr::cust("period_idx"))
        .into_tuple()
        .all(db)
        .await?;
    let mut held: HashMap<(Uuid, String, usize), i64> = HashMap::new();
    for (org, kind, idx, n) in counts {
        if let Ok(idx) = usize::try_from(idx) {
            *held.entry((org, kind, idx)).or_default() += n;
        }
    }
    let orgs = organization::Entity::find()
        .filter(Condition::all().add(subtree(&root.path)))
        .order_by_asc(organization::Column::Path)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for org in orgs {
        let org_kind = OrgKind::from_db(&org.kind)?;
        let mut org_rows = Vec::new();
        for norm in norms.iter().filter(|n| n.org_kind == org_kind) {
            let step = match norm.period {
                NormPeriod::Month => 1,
                NormPeriod::Quarter => 3,
            };
            for start_idx in (0..months.len() - 1).step_by(step) {
                let period_start = months[start_idx];
                let period_end = months[(start_idx + step).min(months.len() - 1)];
                if period_end <= from || period_start > to {
                    continue;
                }
                let n: i64 = (start_idx..start_idx + step)
                    .map(|i| held.get(&(org.id, norm.session_kind.as_str().to_owned(), i)).copied().unwrap_or(0))
                    .sum();
                let period = match norm.period {
                    NormPeriod::Month => format!("{}-{:02}", period_start.year(), period_start.month()),
                    NormPeriod::Quarter => format!("{}-Q{}", period_start.year(), period_start.month0() / 3 + 1),
                };
                org_rows.push(MeetingComplianceRow {
                    organization_id: org.id.into(),
                    organization_name: org.name.clone(),
                    org_kind,
                    period,
                    period_start,
                    session_kind: norm.session_kind,
                    required: norm.required_count,
                    held: n,
                    shortfall: Ord::max(i64::from(norm.required_count) - n, 0),
                });
            }
        }
        org_rows
            .sort_by(|a, b| (a.period_start, a.session_kind.as_str()).cmp(&(b.period_start, b.session_kind.as_str())));
        rows.extend(org_rows);
    }
    Ok(rows)
}

/// The meeting norms in force.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn norms<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<NormView>> {
    actor.require(Permission::ComplianceRead)?;
    meeting_norm::Entity::find()
        .order_by_asc(meeting_norm::Column::OrgKind)
        .order_by_asc(meeting_norm::Column::SessionKind)
        .all(db)
        .await?
        .into_iter()
        .map(NormView::from_model)
        .collect()
}

/// The version of the set of norms in force: the sum of their versions. Every change
/// (an update adds one to a norm's version, a new norm adds one with version 1) makes
/// it grow, so it serves as the set's ETag; replacing norms needs it (`If-Match`).
pub fn norms_version(norms: &[NormView]) -> i32 {
    norms.iter().map(|n| n.version).sum()
}

/// Creates or replaces norms (administrators only), based on the set's version
/// ([`norms_version`]; else a stale-version error); returns every norm in force.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_norms(
    db: &DatabaseConnection,
    actor: &Actor,
    expected_version: i32,
    input: Vec<NormInput>,
) -> AppResult<Vec<NormView>> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("only administrators may change meeting norms"));
    }
    if input.len() > 100 {
        return Err(AppError::invalid("norms", "at most 100 norms at once"));
    }
    if let Some(bad) = input.iter().find(|n| !(0..=31).contains(&n.required_count)) {
        return Err(AppError::invalid("required_count", format!("must be 0–31, got {}", bad.required_count)));
    }
    let tx = write_tx(db).await?;
    let current: i32 = meeting_norm::Entity::find().all(&tx).await?.iter().map(|n| n.version).sum();
    super::check_version(current, expected_version)?;
    let now = super::now();
    for n in input {
        let existing = meeting_norm::Entity::find()
            .filter(meeting_norm::Column::OrgKind.eq(n.org_kind.as_str()))
            .filter(meeting_norm::Column::SessionKind.eq(n.session_kind.as_str()))
            .lock_exclusive()
            .one(&tx)
            .await?;
        let (before, model) = match existing {
            Some(row) => {
                let before = NormView::from_model(row.clone())?;
                let original = row.clone();
                let version = row.version;
                let mut am: meeting_norm::ActiveModel = row.into();
                am.period = Set(n.period.as_str().to_owned());
                am.required_count = Set(n.required_count);
                // A norm given as it stands keeps its version and gets no audit record.
                if super::unchanged(&am, &original) {
                    continue;
                }
                am.updated_at = Set(now);
                am.version = Set(version + 1);
                (Some(before), am.update(&tx).await?)
            }
            None => (
                None,
                meeting_norm::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    org_kind: Set(n.org_kind.as_str().to_owned()),
                    session_kind: Set(n.session_kind.as_str().to_owned()),
                    period: Set(n.period.as_str().to_owned()),
                    required_count: Set(n.required_count),
                    updated_at: Set(now),
                    version: Set(1),
                }
                .insert(&tx)
                .await?,
            ),
        };
        let after = NormView::from_model(model)?;
        audit::record(
            &tx,
            actor,
            Change::of(
                if before.is_some() { "update" } else { "create" },
                crate::services::audit::entity_name(entity::meeting_norm::Entity),
                after.id.0,
                None,
                before.as_ref(),
                Some(&after),
            )?,
        )
        .await?;
    }
    tx.commit().await?;
    norms(db, actor).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_months() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(quarter_start(d(2026, 5, 17)), d(2026, 4, 1));
        assert_eq!(quarter_start(d(2026, 12, 31)), d(2026, 10, 1));
        assert_eq!(add_months(d(2026, 11, 1), 3), d(2027, 2, 1));
    }
}
