//! The statistics dashboard of an organisation subtree and period: first-topic study
//! sessions held and their attendance, implementation measures done on time and
//! overdue, and supervision items by status and overdue. Every figure is counted in SQL
//! (one grouped statement per area); days are judged in the configured time zone.
//!
//! The Technology Innovation Year figures are those of the calendar year in which the
//! period ends (`to`): the innovation report is yearly (R&D spending growth compares the
//! same months of the previous year, IP is counted as held at the year's end), so a
//! period cannot be cut out of it without changing what the figures mean.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;
use uuid::Uuid;

use super::compliance::MAX_REPORT_DAYS;
use super::innovation::statistics::InnovationStatistics;
use super::measures::MeasureStatus;
use super::scope::find_in_scope;
use super::scope::{org_ids_query, subtree};
use super::study::{SessionStatus, day_range};
use super::supervision::{ItemCounts, count_when, counts_by_org, in_subtree};
use super::types::Id;
use crate::auth::{Actor, Permission};
use crate::error::AppResult;
use entity::{attendance, measure, study_session, supervision_item};

/// First-topic study figures of the dashboard: sessions held in the period and their
/// attendance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "DashboardStudy")]
pub struct StudyFigures {
    /// Study sessions held (any kind).
    pub sessions_held: i64,
    /// Of those, with the first topic (第一议题).
    pub first_topic_sessions_held: i64,
    /// People on the rosters of the first-topic sessions held.
    pub roster: i64,
    /// Of those, present or late.
    pub attended: i64,
    /// Of those, on leave (excused: not counted as expected).
    pub on_leave: i64,
    /// Attended / (roster − on leave), 0–1; null when nobody was expected.
    pub attendance_rate: Option<f64>,
}

/// Implementation-measure figures of the dashboard: measures due in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "DashboardMeasures")]
pub struct MeasureFigures {
    /// Measures due on a day of the period.
    pub due: i64,
    /// Of those, done.
    pub done: i64,
    /// Done on or before the due date.
    pub done_on_time: i64,
    /// Done after the due date.
    pub done_late: i64,
    /// Still open (to do or in progress) and past due today.
    pub overdue: i64,
    /// Still open, not yet due.
    pub open_not_due: i64,
    /// Cancelled.
    pub cancelled: i64,
}

/// The statistics dashboard of an organisation subtree and period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct Dashboard {
    /// The subtree root (id).
    pub organization_id: Id,
    /// Its name.
    pub organization_name: String,
    /// First day (configured time zone).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// The day "overdue" is judged on.
    pub today: NaiveDate,
    /// First-topic study: sessions held on a day of the period, and attendance.
    pub study: StudyFigures,
    /// Implementation measures due on a day of the period.
    pub measures: MeasureFigures,
    /// Supervision items opened on a day of the period, by status, with overdue and
    /// closed on time / late.
    pub supervision: ItemCounts,
    /// Technology Innovation Year figures of the calendar year in which the period ends.
    pub innovation: InnovationStatistics,
}

/// The dashboard of the subtree of `organization_id` for the days `from..=to`
/// (organisation administrators, inspectors and administrators, inside their scope).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn dashboard<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: Tz,
    today: NaiveDate,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Dashboard> {
    let scope = actor.require(Permission::DashboardRead)?;
    let (start, end) = day_range(tz, from, to, MAX_REPORT_DAYS)?;
    let root = find_in_scope(db, &scope, organization_id).await?;
    let orgs = || org_ids_query(subtree(&root.path));

    // Sessions held, and how many with the first topic.
    let held = Condition::all()
        .add(study_session::Column::OrganizationId.in_subquery(orgs()))
        .add(study_session::Column::Status.eq(SessionStatus::Held.as_str()))
        .add(study_session::Column::HeldAt.gte(start))
        .add(study_session::Column::HeldAt.lt(end));
    let (sessions_held, first_topic): (i64, i64) = study_session::Entity::find()
        .select_only()
        .column_as(study_session::Column::Id.count(), "n")
        .expr_as(count_when(Condition::all().add(study_session::Column::IsFirstTopic.eq(true))), "first_topic")
        .filter(held.clone())
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    // Attendance at the first-topic sessions held.
    let status_in = |s: &[&str]| {
        Condition::all().add(attendance::Column::Status.is_in(s.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>()))
    };
    let (roster, attended, on_leave): (i64, i64, i64) = attendance::Entity::find()
        .select_only()
        .column_as(attendance::Column::Id.count(), "n")
        .expr_as(count_when(status_in(&["present", "late"])), "attended")
        .expr_as(count_when(status_in(&["leave"])), "on_leave")
        .join(JoinType::InnerJoin, attendance::Relation::Session.def())
        .filter(held.add(study_session::Column::IsFirstTopic.eq(true)))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    let expected = roster - on_leave;
    let study = StudyFigures {
        sessions_held,
        first_topic_sessions_held: first_topic,
        roster,
        attended,
        on_leave,
        attendance_rate: (expected > 0).then(|| attended as f64 / expected as f64),
    };

    // Measures due in the period.
    use measure::Column as M;
    let open = [MeasureStatus::Todo.as_str(), MeasureStatus::InProgress.as_str()];
    let done = Condition::all().add(M::Status.eq(MeasureStatus::Done.as_str()));
    let m: (i64, i64, i64, i64, i64, i64, i64) = measure::Entity::find()
        .select_only()
        .column_as(M::Id.count(), "n")
        .expr_as(count_when(done.clone()), "done")
        .expr_as(count_when(done.clone().add(Expr::col(M::CompletedOn).lte(Expr::col(M::DueOn)))), "on_time")
        .expr_as(count_when(done.add(Expr::col(M::CompletedOn).gt(Expr::col(M::DueOn)))), "late")
        .expr_as(count_when(Condition::all().add(M::Status.is_in(open)).add(M::DueOn.lt(today))), "overdue")
        .expr_as(count_when(Condition::all().add(M::Status.is_in(open)).add(M::DueOn.gte(today))), "open_not_due")
        .expr_as(count_when(Condition::all().add(M::Status.eq(MeasureStatus::Cancelled.as_str()))), "cancelled")
        .filter(M::OrganizationId.in_subquery(orgs()))
        .filter(M::DueOn.gte(from))
        .filter(M::DueOn.lte(to))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    let measures = MeasureFigures {
        due: m.0,
        done: m.1,
        done_on_time: m.2,
        done_late: m.3,
        overdue: m.4,
        open_not_due: m.5,
        cancelled: m.6,
    };

    // Supervision items opened in the period.
    let cond = in_subtree(&root.path)
        .add(supervision_item::Column::OpenedOn.gte(from))
        .add(supervision_item::Column::OpenedOn.lte(to));
    let mut supervision = ItemCounts::default();
    for c in counts_by_org(db, today, cond).await?.values() {
        supervision.add(c);
    }

    let innovation = super::innovation::statistics::statistics(db, actor, today, root.id, to.year()).await?;
    Ok(Dashboard {
        organization_id: root.id.into(),
        organization_name: root.name,
        from,
        to,
        today,
        study,
        measures,
        supervision,
        innovation,
    })
}
