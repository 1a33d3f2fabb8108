//! Demo committees: every party committee, general branch and branch gets a committee in
//! office (secretary, a deputy where there are enough people, organisation, propaganda
//! and discipline members, more on a 党委) drawn from the party members of its subtree,
//! people of the organisation itself first; the root committee also gets its previous
//! term, ended by 换届. Through the services (so the audit trail records it); does
//! nothing when any committee term exists already.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::auth::Actor;
use crate::services::committees::{self, CommitteePosition, NewCommitteeMember, NewCommitteeTerm};
use crate::services::scope::subtree;
use crate::services::types::{Id, OrgKind, PartyStatus};
use entity::{committee_term, organization, person};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The positions of a committee of `kind` with `eligible` party members to draw from.
fn positions(kind: OrgKind, eligible: usize) -> Vec<CommitteePosition> {
    use CommitteePosition::*;
    let full: &[CommitteePosition] = match kind {
        OrgKind::Committee => &[Secretary, DeputySecretary, Organization, Propaganda, Discipline, Youth, Member],
        OrgKind::GeneralBranch => &[Secretary, DeputySecretary, Organization, Propaganda, Discipline],
        _ if eligible >= 7 => &[Secretary, DeputySecretary, Organization, Propaganda, Discipline],
        _ => &[Secretary, Organization, Propaganda, Discipline],
    };
    full.iter().copied().take(eligible).collect()
}

fn members(people: &[Uuid], positions: &[CommitteePosition]) -> Vec<NewCommitteeMember> {
    people
        .iter()
        .zip(positions)
        .enumerate()
        .map(|(i, (p, pos))| NewCommitteeMember {
            person_id: Id(*p),
            position: *pos,
            from_on: None,
            until_on: None,
            sort_order: Some(i as i32),
        })
        .collect()
}

/// Seeds the demo committees; returns how many terms it started.
pub(super) async fn seed(db: &DatabaseConnection, sys: &Actor) -> anyhow::Result<usize> {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    if committee_term::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let orgs = organization::Entity::find()
        .filter(organization::Column::Kind.ne(OrgKind::Group.as_str()))
        .order_by_asc(organization::Column::Path)
        .all(db)
        .await?;
    let mut started = 0;
    for org in orgs {
        let kind = OrgKind::from_db(&org.kind)?;
        let mut people = person::Entity::find()
            .filter(person::Column::OrganizationId.is_in(
                organization::Entity::find().filter(subtree(&org.path)).all(db).await?.into_iter().map(|o| o.id),
            ))
            .filter(person::Column::PartyStatus.is_in([PartyStatus::Full.as_str(), PartyStatus::Probationary.as_str()]))
            .order_by_asc(person::Column::EmployeeNo)
            .all(db)
            .await?;
        // People of the organisation itself first, full members before probationary ones.
        people.sort_by_key(|p| (p.organization_id != org.id, p.party_status != PartyStatus::Full.as_str()));
        let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
        if ids.is_empty() {
            continue;
        }
        let (started_on, ends_on) = match kind {
            OrgKind::Committee if org.parent_id.is_none() => (date(2024, 6, 20), date(2029, 6, 19)),
            OrgKind::Committee | OrgKind::GeneralBranch => (date(2023, 9, 10), date(2028, 9, 9)),
            _ => (date(2024, 3, 15), date(2027, 3, 14)),
        };
        if org.parent_id.is_none() {
            // The previous term: partly other people.
            let earlier: Vec<Uuid> = ids.iter().rev().copied().collect();
            committees::start_term(
                db,
                sys,
                today,
                org.id,
                NewCommitteeTerm {
                    number: Some(1),
                    started_on: date(2019, 6, 18),
                    ends_on: Some(date(2024, 6, 17)),
                    notes: Some("第一次党员代表大会选举产生。".into()),
                    members: Some(members(&earlier, &positions(kind, earlier.len()))),
                },
            )
            .await?;
            started += 1;
        }
        committees::start_term(
            db,
            sys,
            today,
            org.id,
            NewCommitteeTerm {
                number: None,
                started_on,
                ends_on: Some(ends_on),
                notes: Some("党员大会选举产生，经上级党组织批复。".into()),
                members: Some(members(&ids, &positions(kind, ids.len()))),
            },
        )
        .await?;
        started += 1;
    }
    Ok(started)
}
