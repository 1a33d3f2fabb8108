//! The SQL statements of the benchmark's everyday operations (issue 12), counted by the
//! pool's metric callback: few, and the same whatever the list and roster lengths.
//! Authentication costs none once the replica knows the caller (the first request of
//! a token reads the account, its grants and the key epoch, and is not counted here).
//!
//! - Q1: the 50 latest sessions of a general branch's subtree, each with its
//!   organisation, the number present and the first 10 present: at most 4.
//! - Q2: one session with its whole roster and its measures: at most 4.
//! - Q3: one person with their organisation: at most 2.
//! - Q4: the overdue supervision items of a subtree, by due date: at most 2 (GraphQL 1).
//! - Q5: open a supervision item (a write, with its trail and audit records): at most 5.

use chrono::{Duration, Utc};
use dangjian::auth::Actor;
use dangjian::services::{
    self,
    people::NewPerson,
    study::{BulkAttendance, RemainingStatus, SessionKind, SessionStatus},
    supervision::{ItemCategory, NewInspection, NewItem, Severity},
    types::{Id, PartyStatus},
};
use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::Fixture;
use crate::study::{session, set_status};

const Q1: &str = "query Q1($org: ID!) { studySessions(organizationId: $org, orderBy: HELD_AT_DESCENDING, first: 50) { \
    edges { node { id topic heldAt organization { id name } attendanceCounts { present roster } \
    attendance(status: PRESENT, first: 10) { status person { id name } } } } } }";
const Q2: &str = "query Q2($id: ID!) { studySession(id: $id) { id topic attendance { status person { id name } } \
    measures { id title } } }";
const Q3: &str = "query Q3($id: ID!) { person(id: $id) { id name organization { id name } } }";
const Q4: &str = "query Q4($org: ID!) { supervisionItems(organizationId: $org, overdue: true, orderBy: DUE_ON, first: 50) { \
    edges { node { id title dueOn status } } } }";
const Q5: &str = "mutation Q5($input: OpenSupervisionItemInput!) { openSupervisionItem(input: $input) { id status } }";

/// Adds `people` members to b1 and `sessions` held general meetings of b1 (every member
/// present), the latest first in time order.
async fn load(f: &Fixture, people: usize, sessions: usize) -> Vec<Uuid> {
    let db = f.app.db();
    let sys = Actor::system();
    for i in 0..people {
        let p = NewPerson {
            organization_id: Id(f.b1),
            name: format!("党员{i:03}"),
            employee_no: format!("PERF{i:04}"),
            phone: None,
            email: None,
            party_status: Some(PartyStatus::Full),
            joined_party_on: None,
            position: None,
            is_leadership: false,
            is_tech_backbone: false,
            is_model_worker: false,
        };
        services::people::create(db, &sys, p).await.unwrap();
    }
    let mut ids = Vec::new();
    for i in 0..sessions {
        let at = Utc::now() - Duration::days(i as i64 + 1);
        let s = session(f, f.b1, SessionKind::BranchGeneralMeeting, at, None).await;
        set_status(f, &s, SessionStatus::Held).await;
        let bulk = BulkAttendance { entries: vec![], rest: Some(RemainingStatus::Present) };
        services::study::mark_attendance_bulk(db, &sys, *s.id, bulk).await.unwrap();
        ids.push(*s.id);
    }
    // As many supervision items of b1, then made overdue (an item cannot be opened
    // past due), so Q4 lists a page of them.
    let today = f.app.state.settings.today();
    for i in 0..sessions {
        let item = NewItem {
            inspection_id: None,
            organization_id: Id(f.b1),
            title: format!("整改事项{i}"),
            description: None,
            category: ItemCategory::TheoryStudy,
            severity: Severity::High,
            responsible_person_id: Id(f.p_orgadmin_b1),
            due_on: today,
        };
        services::supervision::open_item(db, &sys, today, item).await.unwrap();
    }
    entity::supervision_item::Entity::update_many()
        .col_expr(entity::supervision_item::Column::DueOn, Expr::value(today - Duration::days(1)))
        .exec(db)
        .await
        .unwrap();
    ids
}

/// Statements of a GraphQL request (the caller already known to the replica), and its
/// data. Measured up to ten times, keeping the least: tests running beside this one
/// change people and organisations, which makes every replica in this process read its
/// callers again (three statements) now and then.
async fn counted(f: &Fixture, token: &str, query: &str, variables: Value) -> (usize, Value) {
    let mut least = usize::MAX;
    let mut data = Value::Null;
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        f.app.reset_statements();
        let v = f.app.gql(Some(token), query, variables.clone()).await;
        assert!(v["errors"].is_null(), "{v}");
        least = least.min(f.app.statement_count());
        data = v["data"].clone();
    }
    (least, data)
}

/// Statements of a REST GET, measured like [`counted`].
async fn counted_get(f: &Fixture, token: &str, path: &str) -> (usize, Value) {
    let mut least = usize::MAX;
    let mut body = Value::Null;
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        f.app.reset_statements();
        let r = f.app.get(path, Some(token)).await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.text());
        least = least.min(f.app.statement_count());
        body = r.json();
    }
    (least, body)
}

/// The fixture with the production default of the authentication cache.
async fn fixture() -> Fixture {
    Fixture::with(|s| s.auth_cache_secs = 5).await
}

async fn reads(people: usize, sessions: usize) -> [usize; 6] {
    let f = fixture().await;
    let ids = load(&f, people, sessions).await;
    let admin = f.token("admin").await;
    // The first request of the token reads the caller; the counted ones do not.
    f.app.gql(Some(&admin), "{ me { username } }", json!({})).await;

    let (q1, data) = counted(&f, &admin, Q1, json!({"org": f.gb})).await;
    let edges = data["studySessions"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), sessions);
    let first = &edges[0]["node"];
    assert_eq!(first["id"], json!(ids[0]), "latest first");
    assert_eq!(first["organization"]["id"], json!(f.b1));
    let roster = first["attendanceCounts"]["roster"].as_i64().unwrap();
    assert!(roster as usize >= people, "{first}");
    assert_eq!(first["attendanceCounts"]["present"].as_i64(), Some(roster));
    let present = first["attendance"].as_array().unwrap();
    assert_eq!(present.len(), (roster as usize).min(10), "the first 10 present, cut in SQL");
    assert!(present.iter().all(|a| a["status"] == "PRESENT" && a["person"]["name"].is_string()), "{first}");

    let (q2, data) = counted(&f, &admin, Q2, json!({"id": ids[0]})).await;
    assert_eq!(data["studySession"]["attendance"].as_array().unwrap().len() as i64, roster);

    let (q3, data) = counted(&f, &admin, Q3, json!({"id": f.p_member_b1})).await;
    assert_eq!(data["person"]["organization"]["id"], json!(f.b1));

    let (q4, data) = counted(&f, &admin, Q4, json!({"org": f.gb})).await;
    assert_eq!(data["supervisionItems"]["edges"].as_array().unwrap().len(), sessions, "{data}");
    let (rest_person, _) = counted_get(&f, &admin, &format!("/api/v1/people/{}", f.p_member_b1)).await;
    let (rest_items, items) = counted_get(
        &f,
        &admin,
        &format!("/api/v1/supervision-items?organization_id={}&overdue=true&sort=due_on", f.gb),
    )
    .await;
    assert_eq!(items["items"].as_array().unwrap().len(), sessions, "{items}");
    [q1, q2, q3, q4, rest_person, rest_items]
}

#[actix_web::test]
async fn everyday_reads_cost_few_statements_whatever_the_lengths() {
    let small = reads(2, 3).await;
    let large = reads(14, 12).await;
    eprintln!("statements (Q1, Q2, Q3, Q4, REST person, REST items): small {small:?}, large {large:?}");
    assert_eq!(small, large, "statements must not grow with sessions and rosters");
    let [q1, q2, q3, q4, rest_person, rest_items] = large;
    assert!(q1 <= 4, "Q1: {q1}");
    assert!(q2 <= 3, "Q2 (the roster statement reads its people): {q2}");
    assert!(q3 <= 2, "Q3: {q3}");
    assert!(q4 <= 1, "Q4 (GraphQL shows no names): {q4}");
    assert!(rest_person <= 2, "REST person: {rest_person}");
    assert!(rest_items <= 2, "REST items: {rest_items}");
}

#[actix_web::test]
async fn opening_a_supervision_item_costs_few_statements() {
    let f = fixture().await;
    let sys = Actor::system();
    let today = f.app.state.settings.today();
    let inspection = services::supervision::create_inspection(
        f.app.db(),
        &sys,
        NewInspection {
            organization_id: Id(f.gb),
            title: "2026年第一轮巡察".into(),
            focus: "第一议题落实".into(),
            lead_inspector_id: None,
            starts_on: today,
            ends_on: None,
        },
    )
    .await
    .unwrap();
    let admin = f.token("admin").await;
    f.app.gql(Some(&admin), "{ me { username } }", json!({})).await;
    let input = |title: &str| {
        json!({"input": {
            "inspectionId": inspection.id, "organizationId": f.b1, "title": title,
            "category": "THEORY_STUDY", "severity": "HIGH",
            "responsiblePersonId": f.p_orgadmin_b1, "dueOn": (today + Duration::days(30)).to_string(),
        }})
    };
    let mut q5 = usize::MAX;
    for i in 0..10 {
        let title = format!("整改事项{i}");
        let title = title.as_str();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        f.app.reset_statements();
        let v = f.app.gql(Some(&admin), Q5, input(title)).await;
        assert_eq!(v["data"]["openSupervisionItem"]["status"], "OPEN", "{v}");
        q5 = q5.min(f.app.statement_count());
    }
    assert!(q5 <= 5, "Q5: {q5}");
    // The references are still checked, in that one statement.
    let mut bad = input("越界");
    bad["input"]["organizationId"] = json!(f.b3);
    let v = f.app.gql(Some(&admin), Q5, bad).await;
    assert_eq!(crate::common::gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");
    let mut bad = input("查无此人");
    bad["input"]["responsiblePersonId"] = json!(Uuid::now_v7());
    let v = f.app.gql(Some(&admin), Q5, bad).await;
    assert_eq!(crate::common::gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");
    let mut bad = input("查无此组织");
    bad["input"]["organizationId"] = json!(Uuid::now_v7());
    let v = f.app.gql(Some(&admin), Q5, bad).await;
    assert_eq!(crate::common::gql_code(&v).as_deref(), Some("NOT_FOUND"), "{v}");
    // The item and its trail are linked into a verifying audit chain.
    let r = f.app.get("/api/v1/audit-chain/verify", Some(&admin)).await.json();
    assert_eq!(r["ok"], true, "{r}");
}

#[actix_web::test]
async fn metrics_are_served_to_the_holder_of_the_metrics_token_only() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let r = f.app.get("/api/v1/organizations", Some(&admin)).await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.header("x-sql-statements").is_some(), "the test server reports statements per request");
    assert_eq!(f.app.get("/metrics", None).await.status.as_u16(), 401);
    assert_eq!(
        f.app.get("/metrics", Some(&admin)).await.status.as_u16(),
        401,
        "an access token is not the metrics token"
    );
    let r = f.app.get("/metrics", Some("test-metrics-token-0123456789")).await;
    assert_eq!(r.status.as_u16(), 200);
    let text = r.text();
    for name in [
        "dangjian_http_requests_total",
        "dangjian_http_request_duration_seconds_bucket",
        "dangjian_sql_statements_total",
        "dangjian_db_pool_connections",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
    assert!(text.contains(r#"route="/api/v1/organizations""#), "requests are labelled by route pattern");

    let off = crate::common::TestApp::with(|s| s.metrics_token = None).await;
    assert_eq!(off.get("/metrics", Some("test-metrics-token-0123456789")).await.status.as_u16(), 404);
}

#[actix_web::test]
async fn the_authentication_cache_forgets_what_this_replica_changes_at_once() {
    let f = fixture().await;
    let admin = f.token("admin").await;
    let member = f.token("member_b1").await;
    assert_eq!(f.app.get("/api/v1/me", Some(&member)).await.status.as_u16(), 200);
    // Known now: a second request reads nothing to authenticate (the least of several
    // measurements: other tests' changes in this process make callers be read again).
    let (warm, _) = counted_get(&f, &member, "/api/v1/organizations?limit=1").await;
    assert!(warm <= 2, "{warm}");
    // Disabling the account takes effect on the next request, not after the bound.
    let user = format!("/api/v1/users/{}", f.u_member_b1);
    let etag = f.app.get(&user, Some(&admin)).await.header("etag").unwrap();
    let r = f.app.patch(&user, Some(&admin), Some(&etag), json!({"disabled": true})).await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(f.app.get("/api/v1/me", Some(&member)).await.status.as_u16(), 401);
    // A grant given is in force at once too.
    let orgadmin = f.token("orgadmin_b2").await;
    let path = format!("/api/v1/organizations/{}", f.b3);
    assert_eq!(f.app.get(&path, Some(&orgadmin)).await.status.as_u16(), 404);
    let r = f
        .app
        .post(
            "/api/v1/role-assignments",
            Some(&admin),
            json!({"user_id": f.u_orgadmin_b2, "role": "org_admin", "organization_id": f.b3}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(f.app.get(&path, Some(&orgadmin)).await.status.as_u16(), 200);
}
