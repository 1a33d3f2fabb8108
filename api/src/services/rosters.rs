//! Who is on a session's roster: the rule per session kind, in one table
//! ([`rule`]), the roster a new session starts with, guests added by the organiser,
//! and keeping planned sessions' rosters in step with transfers, departures, party-status
//! changes and committee changes.
//!
//! | kind | roster |
//! |---|---|
//! | 支部党员大会 `branch_general_meeting`, 党课 `party_lecture`, 主题党日 `theme_day` | formal and probationary members of the organisation's subtree (its party groups included) |
//! | 党小组会 `group_meeting` | formal and probationary members of the organisation itself |
//! | 支委会 `branch_committee`, 党委会 `party_committee` | the organisation's committee in office on the day |
//! | 党委理论学习中心组 `central_group` | the committee in office plus the organisation's leadership-team members (班子成员) |
//!
//! People who have left (a departure is recorded) are never put on a roster. Guests
//! (列席) are added by the organiser and stay whatever the rule says. A roster follows
//! the rule only while its session is planned and still ahead: held and cancelled
//! sessions, and planned ones whose time has passed, keep the roster they had, so a
//! transfer after a meeting never rewrites who was expected at it. Entries already
//! marked are never removed.

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use uuid::Uuid;

use super::scope::{org_ids_query, path_ids, subtree};
use super::types::{AttendanceStatus, PartyStatus, SessionKind, SessionStatus};
use crate::error::{AppError, AppResult};
use entity::{attendance, committee_member, committee_term, organization, person, study_session};

/// Who a session of some kind is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterRule {
    /// Formal and probationary members of the organisation's whole subtree.
    MembersOfSubtree,
    /// Formal and probationary members of the organisation itself.
    MembersOfOrganization,
    /// The organisation's committee in office on the session's day.
    CommitteeInOffice,
    /// The committee in office plus the organisation's leadership-team members.
    CommitteeAndLeaders,
}

/// The roster rule of each session kind: the one place that says who attends what.
pub fn rule(kind: SessionKind) -> RosterRule {
    match kind {
        SessionKind::BranchGeneralMeeting | SessionKind::PartyLecture | SessionKind::ThemeDay => {
            RosterRule::MembersOfSubtree
        }
        SessionKind::GroupMeeting => RosterRule::MembersOfOrganization,
        SessionKind::BranchCommittee | SessionKind::PartyCommittee => RosterRule::CommitteeInOffice,
        SessionKind::CentralGroup => RosterRule::CommitteeAndLeaders,
    }
}

/// Roster entries a resync may remove: put there by the rule (not guests) and still
/// `expected`. Part of every DELETE's own condition, so a check-in that commits between
/// reading the roster and deleting is never lost.
fn untouched() -> Condition {
    Condition::all()
        .add(attendance::Column::Guest.eq(false))
        .add(attendance::Column::Status.eq(AttendanceStatus::Expected.as_str()))
}

/// People who have not left (no departure recorded): the only ones a roster takes.
pub(crate) fn not_ended() -> Condition {
    Condition::all().add(person::Column::LeftOn.is_null())
}

/// The terms of these organisations' committees in office on `on` (started on or before
/// it, not ended by then), as a sub-query of their ids.
pub(crate) fn terms_on(org_ids: &[Uuid], on: NaiveDate) -> sea_orm::sea_query::SelectStatement {
    committee_term::Entity::find()
        .select_only()
        .column(committee_term::Column::Id)
        .filter(committee_term::Column::OrganizationId.is_in(org_ids.iter().copied()))
        .filter(committee_term::Column::StartedOn.lte(on))
        .filter(
            Condition::any().add(committee_term::Column::EndedOn.is_null()).add(committee_term::Column::EndedOn.gt(on)),
        )
        .into_query()
}

/// Committee members in office on `on` (their `[from_on, until_on)` covers it).
pub(crate) fn members_on(on: NaiveDate) -> Condition {
    Condition::all().add(committee_member::Column::FromOn.lte(on)).add(
        Condition::any().add(committee_member::Column::UntilOn.is_null()).add(committee_member::Column::UntilOn.gt(on)),
    )
}

/// The people on an organisation's committee on `on`: one statement.
async fn committee_in_office<C: ConnectionTrait>(db: &C, organization_id: Uuid, on: NaiveDate) -> AppResult<Vec<Uuid>> {
    Ok(committee_member::Entity::find()
        .select_only()
        .column(committee_member::Column::PersonId)
        .filter(committee_member::Column::TermId.in_subquery(terms_on(&[organization_id], on)))
        .filter(members_on(on))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// The party statuses that put someone on a members' roster.
fn members() -> [&'static str; 2] {
    [PartyStatus::Full.as_str(), PartyStatus::Probationary.as_str()]
}

/// The person ids the rule of `kind` puts on a session of `org` held on `day`, sorted.
pub(crate) async fn compute<C: ConnectionTrait>(
    db: &C,
    org: &organization::Model,
    kind: SessionKind,
    day: NaiveDate,
) -> AppResult<Vec<Uuid>> {
    let active = not_ended();
    let by_rule = |cond: Condition| {
        person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(cond)
            .filter(active.clone())
            .order_by_asc(person::Column::Id)
            .into_tuple::<Uuid>()
    };
    let mut ids: Vec<Uuid> = match rule(kind) {
        RosterRule::MembersOfSubtree => {
            by_rule(
                Condition::all()
                    .add(person::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))))
                    .add(person::Column::PartyStatus.is_in(members())),
            )
            .all(db)
            .await?
        }
        RosterRule::MembersOfOrganization => {
            by_rule(
                Condition::all()
                    .add(person::Column::OrganizationId.eq(org.id))
                    .add(person::Column::PartyStatus.is_in(members())),
            )
            .all(db)
            .await?
        }
        RosterRule::CommitteeInOffice | RosterRule::CommitteeAndLeaders => {
            let committee = committee_in_office(db, org.id, day).await?;
            let mut cond = Condition::any().add(person::Column::Id.is_in(committee));
            if rule(kind) == RosterRule::CommitteeAndLeaders {
                cond = cond.add(
                    Condition::all()
                        .add(person::Column::OrganizationId.eq(org.id))
                        .add(person::Column::IsLeadership.eq(true)),
                );
            }
            by_rule(cond).all(db).await?
        }
    };
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A new roster entry (`expected`).
pub(crate) fn entry(session_id: Uuid, person_id: Uuid, guest: bool) -> attendance::ActiveModel {
    let now = super::now();
    attendance::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        person_id: Set(person_id),
        status: Set(AttendanceStatus::Expected.as_str().to_owned()),
        reason: Set(None),
        checked_in_at: Set(None),
        method: Set(None),
        guest: Set(guest),
        checkin_failures: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
}

/// Inserts the roster a newly scheduled session starts with (the rule of its kind):
/// one statement per 500 people.
pub(crate) async fn initial<C: ConnectionTrait>(db: &C, session: &study_session::Model) -> AppResult<usize> {
    let org = organization::Entity::find_by_id(session.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    let kind = SessionKind::from_db(&session.kind)?;
    let ids = compute(db, &org, kind, super::day_of(session.held_at)).await?;
    for chunk in ids.chunks(500) {
        attendance::Entity::insert_many(chunk.iter().map(|p| entry(session.id, *p, false))).exec(db).await?;
    }
    Ok(ids.len())
}

/// Brings one planned session's roster in line with its rule: adds who now belongs,
/// removes entries that no longer do unless they are guests or already marked.
pub(crate) async fn resync_session<C: ConnectionTrait>(db: &C, session: &study_session::Model) -> AppResult<()> {
    if session.status != SessionStatus::Planned.as_str() || session.held_at <= super::now() {
        return Ok(());
    }
    let org = organization::Entity::find_by_id(session.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    let kind = SessionKind::from_db(&session.kind)?;
    let wanted: HashSet<Uuid> = compute(db, &org, kind, super::day_of(session.held_at)).await?.into_iter().collect();
    let current = attendance::Entity::find().filter(attendance::Column::SessionId.eq(session.id)).all(db).await?;
    let have: HashSet<Uuid> = current.iter().map(|a| a.person_id).collect();
    let stale: Vec<Uuid> = current
        .iter()
        .filter(|a| !a.guest && a.status == AttendanceStatus::Expected.as_str() && !wanted.contains(&a.person_id))
        .map(|a| a.id)
        .collect();
    if !stale.is_empty() {
        attendance::Entity::delete_many()
            .filter(attendance::Column::Id.is_in(stale))
            .filter(untouched())
            .exec(db)
            .await?;
    }
    let mut missing: Vec<Uuid> = wanted.difference(&have).copied().collect();
    missing.sort_unstable();
    for chunk in missing.chunks(500) {
        attendance::Entity::insert_many(chunk.iter().map(|p| entry(session.id, *p, false))).exec(db).await?;
    }
    Ok(())
}

/// Brings the rosters of the planned sessions that concern `person_id` in line with
/// the rule of their kind after the person moved, left or changed party status: adds
/// them where they now belong, removes them (unless marked or a guest) where they no
/// longer do. Held and cancelled sessions never change. Call it inside the write's
/// transaction.
pub(crate) async fn resync_person<C: ConnectionTrait>(db: &C, person_id: Uuid) -> AppResult<()> {
    let Some(p) = person::Entity::find_by_id(person_id).one(db).await? else { return Ok(()) };
    let Some(org) = organization::Entity::find_by_id(p.organization_id).one(db).await? else { return Ok(()) };
    // Sessions the person may belong to are held by their organisation or an ancestor;
    // sessions they are on now may be anywhere (they moved away).
    let on_roster = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::SessionId)
        .filter(attendance::Column::PersonId.eq(person_id))
        .into_query();
    let candidates = study_session::Entity::find()
        .filter(study_session::Column::Status.eq(SessionStatus::Planned.as_str()))
        .filter(study_session::Column::HeldAt.gt(super::now()))
        .filter(
            Condition::any()
                .add(study_session::Column::OrganizationId.is_in(path_ids(&org.path)))
                .add(study_session::Column::Id.in_subquery(on_roster)),
        )
        .all(db)
        .await?;
    for session in candidates {
        let session_org = organization::Entity::find_by_id(session.organization_id).one(db).await?;
        let Some(session_org) = session_org else { continue };
        let kind = SessionKind::from_db(&session.kind)?;
        let belongs = compute_one(db, &session_org, kind, super::day_of(session.held_at), &p, &org).await?;
        let row = attendance::Entity::find()
            .filter(attendance::Column::SessionId.eq(session.id))
            .filter(attendance::Column::PersonId.eq(person_id))
            .one(db)
            .await?;
        match (belongs, row) {
            (true, None) => {
                entry(session.id, person_id, false).insert(db).await?;
            }
            (false, Some(r)) if !r.guest && r.status == AttendanceStatus::Expected.as_str() => {
                attendance::Entity::delete_by_id(r.id).filter(untouched()).exec(db).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether the rule of `kind` puts person `p` (of organisation `home`) on a session of
/// `org` held on `day`: the same rule as [`compute`], for one person.
async fn compute_one<C: ConnectionTrait>(
    db: &C,
    org: &organization::Model,
    kind: SessionKind,
    day: NaiveDate,
    p: &person::Model,
    home: &organization::Model,
) -> AppResult<bool> {
    if p.left_on.is_some() {
        return Ok(false);
    }
    let member = members().contains(&p.party_status.as_str());
    Ok(match rule(kind) {
        RosterRule::MembersOfSubtree => member && home.path.starts_with(&org.path),
        RosterRule::MembersOfOrganization => member && home.id == org.id,
        RosterRule::CommitteeInOffice | RosterRule::CommitteeAndLeaders => {
            (rule(kind) == RosterRule::CommitteeAndLeaders && home.id == org.id && p.is_leadership)
                || committee_in_office(db, org.id, day).await?.contains(&p.id)
        }
    })
}

/// Brings the rosters of one organisation's planned committee sessions (支委会, 党委会,
/// 中心组: the kinds whose rule is its committee) in line after its committee changed.
/// Call it inside the write's transaction.
pub(crate) async fn resync_organization<C: ConnectionTrait>(db: &C, organization_id: Uuid) -> AppResult<()> {
    let committee_kinds = SessionKind::ALL
        .iter()
        .filter(|k| matches!(rule(**k), RosterRule::CommitteeInOffice | RosterRule::CommitteeAndLeaders))
        .map(|k| k.as_str());
    let sessions = study_session::Entity::find()
        .filter(study_session::Column::OrganizationId.eq(organization_id))
        .filter(study_session::Column::Status.eq(SessionStatus::Planned.as_str()))
        .filter(study_session::Column::HeldAt.gt(super::now()))
        .filter(study_session::Column::Kind.is_in(committee_kinds))
        .all(db)
        .await?;
    for s in sessions {
        resync_session(db, &s).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meetings_for_all_members_reach_the_subtree_and_committee_meetings_do_not() {
        for kind in [SessionKind::BranchGeneralMeeting, SessionKind::PartyLecture, SessionKind::ThemeDay] {
            assert!(kind.addresses_subtree(), "{kind:?}");
        }
        for kind in [SessionKind::BranchCommittee, SessionKind::PartyCommittee, SessionKind::CentralGroup] {
            assert!(!kind.addresses_subtree(), "{kind:?}");
        }
        assert!(!SessionKind::GroupMeeting.addresses_subtree());
        assert_eq!(rule(SessionKind::BranchCommittee), RosterRule::CommitteeInOffice);
        assert_eq!(rule(SessionKind::GroupMeeting), RosterRule::MembersOfOrganization);
    }
}
