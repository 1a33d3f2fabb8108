//! Compliance against a hand-built calendar: first-topic gaps of committee meetings,
//! required versus held meetings per organisation and period (judged in Asia/Shanghai),
//! and the meeting norms.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use dangjian::auth::Actor;
use dangjian::services::{
    self,
    study::{SessionKind, SessionPatch, SessionStatus},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, gql_code};
use crate::study::{put, session, set_status};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Holds a session of `kind` in `org` at `held_at` (status held).
async fn held(f: &Fixture, org: Uuid, kind: SessionKind, held_at: &str, first_topic: bool) {
    let s = session(f, org, kind, at(held_at), None).await;
    let patch =
        SessionPatch { status: Some(SessionStatus::Held), is_first_topic: Some(first_topic), ..Default::default() };
    services::study::update(f.app.db(), &Actor::system(), *s.id, s.version, patch).await.unwrap();
}

/// The calendar of Q1 2026:
/// - b1: branch committee in January, February (without the first topic) and on
///   31 March 23:00 Shanghai (15:00 UTC); a branch general meeting in February; a party
///   lecture on 1 April 00:30 Shanghai (31 March 16:30 UTC), which is Q2: so b1 held no
///   party lecture in Q1. A planned (not held) party lecture in March does not count.
/// - b2: nothing.
/// - root: a party committee meeting without the first topic; a theme day without it
///   (not a committee kind: not listed).
async fn calendar(f: &Fixture) {
    held(f, f.b1, SessionKind::BranchCommittee, "2026-01-15T02:00:00Z", true).await;
    held(f, f.b1, SessionKind::BranchCommittee, "2026-02-10T02:00:00Z", false).await;
    held(f, f.b1, SessionKind::BranchCommittee, "2026-03-31T15:00:00Z", true).await;
    held(f, f.b1, SessionKind::BranchGeneralMeeting, "2026-02-20T06:00:00Z", true).await;
    held(f, f.b1, SessionKind::PartyLecture, "2026-03-31T16:30:00Z", true).await;
    session(f, f.b1, SessionKind::PartyLecture, at("2026-03-20T02:00:00Z"), None).await;
    let cancelled = session(f, f.b2, SessionKind::PartyLecture, at("2026-03-20T02:00:00Z"), None).await;
    set_status(f, &cancelled, SessionStatus::Cancelled).await;
    held(f, f.root, SessionKind::PartyCommittee, "2026-03-02T01:00:00Z", false).await;
    held(f, f.root, SessionKind::ThemeDay, "2026-03-05T01:00:00Z", false).await;
}

fn row<'a>(rows: &'a [Value], org: Uuid, period: &str, kind: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["organization_id"] == org.to_string() && r["period"] == period && r["session_kind"] == kind)
        .unwrap_or_else(|| panic!("no row {org} {period} {kind} in {rows:?}"))
}

#[actix_web::test]
async fn compliance_against_a_hand_built_calendar() {
    let f = Fixture::new().await;
    calendar(&f).await;
    let admin = f.token("admin").await;
    let range = format!("organization_id={}&from=2026-01-01&to=2026-03-31", f.root);

    let r = f.app.get(&format!("/api/v1/compliance/meetings?{range}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rows = r.json().as_array().unwrap().clone();
    // A branch that held no party lecture in a quarter is listed with its shortfall.
    let lecture = row(&rows, f.b1, "2026-Q1", "party_lecture");
    assert_eq!(
        (lecture["required"].as_i64(), lecture["held"].as_i64(), lecture["shortfall"].as_i64()),
        (Some(1), Some(0), Some(1))
    );
    for month in ["2026-01", "2026-02", "2026-03"] {
        let r = row(&rows, f.b1, month, "branch_committee");
        assert_eq!((r["held"].as_i64(), r["shortfall"].as_i64()), (Some(1), Some(0)), "{month}: {r}");
    }
    assert_eq!(row(&rows, f.b1, "2026-Q1", "branch_general_meeting")["shortfall"], 0);
    for (period, kind) in
        [("2026-Q1", "party_lecture"), ("2026-Q1", "branch_general_meeting"), ("2026-02", "branch_committee")]
    {
        assert_eq!(row(&rows, f.b2, period, kind)["shortfall"], 1, "b2 held nothing");
    }
    // Norms exist for branches and groups only: 3 branches × (3 months + 2 quarterly kinds).
    assert_eq!(rows.len(), 15, "{rows:?}");
    assert!(
        rows.iter().all(|r| r["organization_id"] != f.gb.to_string() && r["organization_id"] != f.root.to_string())
    );

    // A range inside a quarter still reports the whole quarter, and only March.
    let r = f
        .app
        .get(
            &format!("/api/v1/compliance/meetings?organization_id={}&from=2026-03-01&to=2026-03-31", f.b1),
            Some(&admin),
        )
        .await
        .json();
    let periods: Vec<&str> = r.as_array().unwrap().iter().map(|r| r["period"].as_str().unwrap()).collect();
    assert_eq!(periods, vec!["2026-Q1", "2026-Q1", "2026-03"], "{r}");

    let r = f.app.get(&format!("/api/v1/compliance/first-topic?{range}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let gaps = r.json();
    let gaps = gaps.as_array().unwrap();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_eq!(gaps[0]["organization_id"], f.root.to_string(), "tree order");
    assert_eq!(gaps[0]["sessions"][0]["kind"], "party_committee");
    assert_eq!(gaps[0]["sessions"].as_array().unwrap().len(), 1, "the theme day is not a committee kind");
    assert_eq!(gaps[1]["organization_id"], f.b1.to_string());
    assert_eq!(gaps[1]["sessions"][0]["held_at"], "2026-02-10T02:00:00Z");

    // GraphQL gives the same report.
    let q = "query($o: ID!) { compliance(organizationId: $o, from: \"2026-01-01\", to: \"2026-03-31\") { firstTopicGaps { organizationName sessions { kind isFirstTopic } } meetings { organizationId period sessionKind required held shortfall } } }";
    let v = f.app.gql(Some(&admin), q, json!({"o": f.root.to_string()})).await;
    assert!(v["errors"].is_null(), "{v}");
    let meetings = v["data"]["compliance"]["meetings"].as_array().unwrap();
    assert_eq!(meetings.len(), 15);
    assert!(meetings.iter().any(|m| m["organizationId"] == f.b1.to_string()
        && m["period"] == "2026-Q1"
        && m["sessionKind"] == "PARTY_LECTURE"
        && m["shortfall"] == 1));
    assert_eq!(v["data"]["compliance"]["firstTopicGaps"].as_array().unwrap().len(), 2);

    // The counting is grouped: the statements do not grow with the organisations.
    f.app.reset_statements();
    f.app.get(&format!("/api/v1/compliance/meetings?{range}"), Some(&admin)).await;
    let statements = f.app.statement_count();
    assert!(statements <= 10, "grouped counting, got {statements} statements");
}

#[actix_web::test]
async fn compliance_scope_and_meeting_norms() {
    let f = Fixture::new().await;
    calendar(&f).await;
    let inspector = f.token("inspector_gb").await;
    let member = f.token("member_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let admin = f.token("admin").await;
    let q = |org: Uuid| format!("/api/v1/compliance/meetings?organization_id={org}&from=2026-01-01&to=2026-03-31");
    assert_eq!(f.app.get(&q(f.gb), Some(&inspector)).await.status, StatusCode::OK);
    assert_eq!(f.app.get(&q(f.root), Some(&inspector)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.app.get(&q(f.b1), Some(&member)).await.status, StatusCode::FORBIDDEN);
    let r = f
        .app
        .get(&format!("/api/v1/compliance/meetings?organization_id={}&from=2026-03-01&to=2026-01-01", f.b1), Some(&oa))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let listed = f.app.get("/api/v1/meeting-norms", Some(&inspector)).await;
    let norms = listed.json();
    assert_eq!(norms.as_array().unwrap().len(), 4, "seeded defaults: {norms}");
    // The set's ETag is the sum of the norms' versions.
    let etag = listed.header("etag").unwrap();
    assert_eq!(etag, "\"v4\"");
    let body =
        json!([{"org_kind": "branch", "session_kind": "party_lecture", "period": "quarter", "required_count": 2}]);
    let path = "/api/v1/meeting-norms";
    assert_eq!(put(&f.app, path, Some(&oa), Some(&etag), body.clone()).await.status, StatusCode::FORBIDDEN);
    // Versioned: If-Match is required, compared strongly, and a stale one gets the current ETag.
    assert_eq!(put(&f.app, path, Some(&admin), None, body.clone()).await.status, StatusCode::PRECONDITION_REQUIRED);
    let weak = put(&f.app, path, Some(&admin), Some("W/\"v4\""), body.clone()).await;
    assert_eq!(weak.status, StatusCode::PRECONDITION_FAILED, "a weak tag never matches If-Match");
    assert_eq!(weak.header("etag").as_deref(), Some(etag.as_str()), "412 carries the current ETag");
    let not_array = put(&f.app, path, Some(&admin), Some(&etag), body[0].clone()).await;
    assert_eq!(not_array.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_array.text());
    let r = put(&f.app, path, Some(&admin), Some(&etag), body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag").as_deref(), Some("\"v5\""));
    let stale = put(&f.app, path, Some(&admin), Some(&etag), body).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let rows = f.app.get(&q(f.b1), Some(&oa)).await.json();
    let lecture = rows.as_array().unwrap().iter().find(|r| r["session_kind"] == "party_lecture").unwrap();
    assert_eq!((lecture["required"].as_i64(), lecture["shortfall"].as_i64()), (Some(2), Some(2)));
    let v = f
        .app
        .gql(
            Some(&oa),
            "mutation { setMeetingNorms(expectedVersion: 5, norms: [{orgKind: GROUP, sessionKind: GROUP_MEETING, period: MONTH, requiredCount: 2}]) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"));
    let set = |version: i32| {
        format!(
            "mutation {{ setMeetingNorms(expectedVersion: {version}, norms: [{{orgKind: GROUP, sessionKind: GROUP_MEETING, period: MONTH, requiredCount: 2}}]) {{ id }} }}"
        )
    };
    let v = f.app.gql(Some(&admin), &set(4), json!({})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"), "stale: {v}");
    let v = f.app.gql(Some(&admin), &set(5), json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    let v =
        f.app.gql(Some(&inspector), "{ meetingNorms { orgKind sessionKind period requiredCount } }", json!({})).await;
    assert_eq!(v["data"]["meetingNorms"].as_array().unwrap().len(), 4, "replaced, not added: {v}");
}
