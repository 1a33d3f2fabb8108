//! Study sessions: check-in rules, attendance marking, statements, status transitions,
//! attendance rates, and constant SQL statements for a page of sessions with relations.

use actix_web::{http::StatusCode, test};
use chrono::{DateTime, Duration, Utc};
use dangjian::auth::{Actor, Role};
use dangjian::services::types::Id;
use dangjian::services::{
    self,
    organizations::NewOrganization,
    people::PersonPatch,
    study::{NewSession, SessionKind, SessionPatch, SessionStatus, SessionView},
    types::OrgKind,
    users::{NewRoleAssignment, NewUser},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, PASSWORD, Resp, TestApp, gql_code};

/// Plans a session straight through the service (system actor) at a fixed time.
pub async fn session(
    f: &Fixture,
    org: Uuid,
    kind: SessionKind,
    held_at: DateTime<Utc>,
    recorder: Option<Uuid>,
) -> SessionView {
    services::study::create(
        f.app.db(),
        &Actor::system(),
        NewSession {
            organization_id: Id(org),
            kind,
            is_first_topic: true,
            topic: "学习最新重要讲话精神".into(),
            held_at,
            place: Some("三楼会议室".into()),
            host_id: None,
            recorder_id: recorder.map(Id),
            minutes: None,
            checkin_opens_at: None,
            checkin_closes_at: None,
            material_document_ids: vec![],
        },
    )
    .await
    .unwrap()
}

/// A published document everyone may read (system actor).
pub async fn published_document(f: &Fixture, title: &str) -> Uuid {
    use dangjian::services::documents::{self, NewDocument};
    use dangjian::services::types::DocumentKind;
    let sys = Actor::system();
    let input = NewDocument {
        kind: DocumentKind::Speech,
        title: title.into(),
        issuing_body: Some("集团党委".into()),
        issued_on: None,
        body: format!("{title}全文。"),
        summary: None,
        tags: vec![],
        organization_id: Id(f.root),
        visibility: None,
    };
    let d = documents::create(f.app.db(), &sys, input).await.unwrap();
    *documents::publish(f.app.db(), &sys, *d.id, d.version).await.unwrap().id
}

/// Moves a session to a status (system actor).
pub async fn set_status(f: &Fixture, s: &SessionView, status: SessionStatus) -> SessionView {
    let patch = SessionPatch { status: Some(status), ..Default::default() };
    services::study::update(f.app.db(), &Actor::system(), *s.id, s.version, patch).await.unwrap()
}

/// A PUT with an optional If-Match.
pub async fn put(app: &TestApp, path: &str, token: Option<&str>, etag: Option<&str>, body: Value) -> Resp {
    let mut req = test::TestRequest::put().uri(path).set_json(body);
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    if let Some(tag) = etag {
        req = req.insert_header(("If-Match", tag));
    }
    app.send(req).await
}

/// Gives `person` a member login in `org`.
pub async fn member_login(f: &Fixture, username: &str, person: Uuid, org: Uuid) {
    let sys = Actor::system();
    let u = services::users::create(
        f.app.db(),
        &sys,
        &f.app.state.policy.passwords,
        NewUser { username: username.into(), password: PASSWORD.into(), person_id: Some(Id(person)) },
    )
    .await
    .unwrap();
    services::users::assign_role(
        f.app.db(),
        &sys,
        NewRoleAssignment { user_id: u.id, role: Role::Member, organization_id: Some(Id(org)) },
    )
    .await
    .unwrap();
}

fn check_in_path(id: Uuid) -> String {
    format!("/api/v1/study-sessions/{id}/check-in")
}

#[actix_web::test]
async fn check_in_rules_window_roster_twice_and_late() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let now = Utc::now();

    // Inside the window, on time: present; a second time: CONFLICT.
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, now + Duration::minutes(10), None).await;
    let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "present");
    assert_eq!(r.json()["method"], "self");
    let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["code"], "CONFLICT");

    // Before the window opens and after it closes: VALIDATION naming the window.
    for held_at in [now + Duration::hours(3), now - Duration::hours(3)] {
        let s = session(&f, f.b1, SessionKind::PartyLecture, held_at, None).await;
        let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["code"], "VALIDATION");
        assert_eq!(r.json()["errors"][0]["field"], "check_in_window", "{}", r.text());
    }

    // More than 15 minutes after held_at: late.
    let s = session(&f, f.b1, SessionKind::ThemeDay, now - Duration::minutes(20), None).await;
    let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "late");

    // Visible (a group below b1) but not on its roster: FORBIDDEN.
    let group = services::organizations::create(
        f.app.db(),
        &Actor::system(),
        NewOrganization {
            parent_id: Some(Id(f.b1)),
            name: "项目党小组".into(),
            short_name: None,
            kind: OrgKind::Group,
            sort_order: None,
            established_on: None,
        },
    )
    .await
    .unwrap();
    let s = session(&f, *group.id, SessionKind::GroupMeeting, now, None).await;
    let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // Not visible at all: NOT_FOUND, like a random id.
    let s = session(&f, f.b2, SessionKind::BranchGeneralMeeting, now, None).await;
    let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let random = f.app.post(&check_in_path(Uuid::now_v7()), Some(&member), json!({})).await;
    assert_eq!(r.body, random.body);

    // GraphQL: the same rules.
    let s = session(&f, f.b1, SessionKind::BranchCommittee, now, None).await;
    let q = "mutation($id: ID!) { checkIn(sessionId: $id) { status method } }";
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string()})).await;
    assert_eq!(v["data"]["checkIn"]["status"], "PRESENT", "{v}");
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"));
    let s = session(&f, f.b1, SessionKind::BranchCommittee, now + Duration::days(1), None).await;
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"));
    assert_eq!(v["errors"][0]["extensions"]["field"], "check_in_window");
}

#[actix_web::test]
async fn recorder_marks_others_member_cannot() {
    let f = Fixture::new().await;
    member_login(&f, "recorder_b1", f.p_other_b1, f.b1).await;
    let recorder = f.token("recorder_b1").await;
    let member = f.token("member_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let oa2 = f.token("orgadmin_b2").await;
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, Utc::now(), Some(f.p_other_b1)).await;
    let path = |p: Uuid| format!("/api/v1/study-sessions/{}/attendance/{p}", s.id);

    // Marking needs the roster entry's ETag (If-Match): 428 without it.
    let r = put(&f.app, &path(f.p_member_b1), Some(&recorder), None, json!({"status": "present"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    let r = put(&f.app, &path(f.p_member_b1), Some(&recorder), Some("\"v1\""), json!({"status": "present"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["method"], "recorder");
    let r = put(&f.app, &path(f.p_member_b1), Some(&recorder), Some("\"v2\""), json!({"status": "leave"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "reason");
    let r = put(
        &f.app,
        &path(f.p_member_b1),
        Some(&recorder),
        Some("\"v2\""),
        json!({"status": "leave", "reason": "出差"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // A stale If-Match is refused, and the answer carries the current ETag.
    let r = put(&f.app, &path(f.p_member_b1), Some(&recorder), Some("\"v1\""), json!({"status": "absent"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text());
    assert_eq!(r.header("etag").as_deref(), Some("\"v3\""));

    // A member who is not the recorder may not mark others, nor themself.
    let r = put(&f.app, &path(f.p_other_b1), Some(&member), Some("\"v1\""), json!({"status": "absent"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = put(&f.app, &path(f.p_member_b1), Some(&member), Some("\"v3\""), json!({"status": "present"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v = f
        .app
        .gql(
            Some(&member),
            "mutation($s: ID!, $p: ID!) { markAttendance(sessionId: $s, personId: $p, expectedVersion: 1, input: {status: ABSENT}) { status } }",
            json!({"s": s.id.to_string(), "p": f.p_other_b1.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"));
    // In GraphQL too the version is required.
    let v = f
        .app
        .gql(
            Some(&recorder),
            "mutation($s: ID!, $p: ID!) { markAttendance(sessionId: $s, personId: $p, input: {status: ABSENT}) { status } }",
            json!({"s": s.id.to_string(), "p": f.p_other_b1.to_string()}),
        )
        .await;
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("expectedVersion"), "{v}");

    // The org_admin in scope may; outside scope the session is not there; a person not
    // on the roster is not there either.
    let r = put(&f.app, &path(f.p_other_b1), Some(&oa), Some("\"v1\""), json!({"status": "present"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = put(&f.app, &path(f.p_other_b1), Some(&oa2), Some("\"v2\""), json!({"status": "absent"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = put(&f.app, &path(f.p_b2), Some(&oa), Some("\"v1\""), json!({"status": "absent"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let roster = f.app.get(&format!("/api/v1/study-sessions/{}/attendance", s.id), Some(&member)).await.json();
    let statuses: Vec<&str> = roster.as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(roster.as_array().unwrap().len(), 3, "the three people of b1: {roster}");
    assert!(statuses.contains(&"leave") && statuses.contains(&"present") && statuses.contains(&"expected"));
}

#[actix_web::test]
async fn statements_are_own_and_leaders_first() {
    let f = Fixture::new().await;
    let sys = Actor::system();
    let leader = services::people::get(f.app.db(), &sys, f.p_orgadmin_b1).await.unwrap();
    let patch = PersonPatch { is_leadership: Some(true), ..Default::default() };
    services::people::update(f.app.db(), &sys, *leader.id, leader.version, patch).await.unwrap();
    let member = f.token("member_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let s = session(&f, f.b1, SessionKind::BranchCommittee, Utc::now(), None).await;
    let path = format!("/api/v1/study-sessions/{}/statements", s.id);

    let r = f.app.post(&path, Some(&member), json!({"text": "结合岗位谈体会"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mine = r.json();
    let r = f.app.post(&path, Some(&oa), json!({"text": "班子成员带头发言"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let leaders = r.json();
    let r = f.app.post(&path, Some(&member), json!({"text": "x".repeat(5001)})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "text");

    let list = f.app.get(&path, Some(&member)).await.json();
    assert_eq!(list[0]["id"], leaders["id"], "leaders first: {list}");
    assert_eq!(list[1]["id"], mine["id"]);

    // Own statement: editable; someone else's: FORBIDDEN.
    let own = format!("{path}/{}", mine["id"].as_str().unwrap());
    let r = f.app.patch(&own, Some(&member), Some("\"v1\""), json!({"text": "修改后的体会"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    let other = format!("{path}/{}", leaders["id"].as_str().unwrap());
    let r = f.app.patch(&other, Some(&member), Some("\"v1\""), json!({"text": "篡改"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v = f
        .app
        .gql(
            Some(&member),
            "mutation($s: ID!, $id: ID!) { updateStatement(sessionId: $s, id: $id, expectedVersion: 1, text: \"x\") { id } }",
            json!({"s": s.id.to_string(), "id": leaders["id"]}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"));

    // Someone who cannot see the session: NOT_FOUND.
    let oa2 = f.token("orgadmin_b2").await;
    assert_eq!(f.app.post(&path, Some(&oa2), json!({"text": "x"})).await.status, StatusCode::NOT_FOUND);
    let v = f
        .app
        .gql(
            Some(&member),
            "query($id: ID!) { studySession(id: $id) { statements { text authorIsLeadership person { name } } } }",
            json!({"id": s.id.to_string()}),
        )
        .await;
    assert_eq!(v["data"]["studySession"]["statements"][0]["authorIsLeadership"], true, "{v}");
}

#[actix_web::test]
async fn session_status_moves_only_from_planned() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/study-sessions",
            Some(&oa),
            json!({"organization_id": f.b1, "kind": "branch_committee", "topic": "学习贯彻", "held_at": "2026-03-10T02:00:00Z", "recorder_id": f.p_other_b1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let s = r.json();
    assert_eq!(s["status"], "planned");
    assert_eq!(s["checkin_opens_at"], "2026-03-10T01:30:00Z");
    assert_eq!(s["checkin_closes_at"], "2026-03-10T04:00:00Z");
    let path = format!("/api/v1/study-sessions/{}", s["id"].as_str().unwrap());
    assert_eq!(f.app.get(&format!("{path}/attendance"), Some(&oa)).await.json().as_array().unwrap().len(), 3);
    let r = f.app.patch(&path, Some(&oa), None, json!({"status": "held"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = f.app.patch(&path, Some(&oa), Some("\"v1\""), json!({"status": "held", "minutes": "# 纪要"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f.app.patch(&path, Some(&oa), Some("\"v2\""), json!({"status": "cancelled"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = f.app.patch(&path, Some(&oa), Some("\"v1\""), json!({"topic": "旧版本"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    // Moving held_at moves the window along.
    let r = f.app.patch(&path, Some(&oa), Some("\"v2\""), json!({"held_at": "2026-03-11T02:00:00Z"})).await;
    assert_eq!(r.json()["checkin_opens_at"], "2026-03-11T01:30:00Z", "{}", r.text());
    // A member may not create sessions.
    let member = f.token("member_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/study-sessions",
            Some(&member),
            json!({"organization_id": f.b1, "kind": "theme_day", "topic": "x", "held_at": "2026-03-10T02:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn attendance_rate_per_session_and_subtree() {
    let f = Fixture::new().await;
    let sys = Actor::system();
    let held_at = Utc::now();
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, held_at, None).await;
    let mark = |p: Uuid, status: &'static str, reason: Option<&'static str>| {
        let db = f.app.db().clone();
        let sys = sys.clone();
        async move {
            let input = services::study::MarkAttendance {
                status: serde_json::from_value(json!(status)).unwrap(),
                reason: reason.map(Into::into),
            };
            services::study::mark_attendance(&db, &sys, *s.id, p, 1, input).await.unwrap();
        }
    };
    mark(f.p_member_b1, "present", None).await;
    mark(f.p_other_b1, "leave", Some("病假")).await;
    mark(f.p_orgadmin_b1, "absent", None).await;
    set_status(&f, &s, SessionStatus::Held).await;
    // (present + late) / (roster − leave) = 1 / (3 − 1).
    let inspector = f.token("inspector_gb").await;
    let today = f.app.state.settings.today();
    let r = f
        .app
        .get(&format!("/api/v1/attendance-rates?organization_id={}&from={today}&to={today}", f.gb), Some(&inspector))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["sessions"], 1, "{v}");
    assert_eq!(v["counts"]["roster"], 3);
    assert_eq!(v["counts"]["rate"], 0.5);
    assert_eq!(v["by_organization"][0]["organization_id"], f.b1.to_string());
    let q = "query($id: ID!, $o: ID!, $d: NaiveDate!) { studySession(id: $id) { attendanceCounts { roster present leave absent rate } } attendanceRate(organizationId: $o, from: $d, to: $d) { sessions counts { rate } } }";
    let v = f
        .app
        .gql(Some(&inspector), q, json!({"id": s.id.to_string(), "o": f.gb.to_string(), "d": today.to_string()}))
        .await;
    assert_eq!(v["data"]["studySession"]["attendanceCounts"]["rate"], 0.5, "{v}");
    assert_eq!(v["data"]["attendanceRate"]["counts"]["rate"], 0.5, "{v}");
    // Outside the inspector's subtree: NOT_FOUND.
    let r = f
        .app
        .get(&format!("/api/v1/attendance-rates?organization_id={}&from={today}&to={today}", f.b3), Some(&inspector))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

const SESSIONS_QUERY: &str = "query($n: Int!, $org: ID!) { studySessions(first: $n, organizationId: $org) { totalCount edges { node { topic materialDocumentIds materials { title kind organization { name } } organization { name parent { name } } host { name } recorder { name } attendanceCounts { roster present rate } attendance { status person { name } } statements { text } } } } }";

#[actix_web::test]
async fn listing_sessions_with_relations_costs_constant_statements() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let oa = f.token("orgadmin_b1").await;
    let now = Utc::now();
    let speech = published_document(&f, "在科技创新大会上的讲话").await;
    let regulation = published_document(&f, "科技成果奖励办法").await;
    for (org, n) in [(f.b2, 10), (f.b1, 50)] {
        for _ in 0..n {
            let host = if org == f.b1 { f.p_orgadmin_b1 } else { f.p_b2 };
            let s = session(&f, org, SessionKind::BranchCommittee, now, Some(host)).await;
            let patch = SessionPatch {
                host_id: Some(Id(host)),
                material_document_ids: Some(vec![Id(regulation), Id(speech)]),
                ..Default::default()
            };
            services::study::update(f.app.db(), &Actor::system(), *s.id, s.version, patch).await.unwrap();
        }
    }
    let mut counts = Vec::new();
    for (token, org, n) in [(&admin, f.b2, 10), (&admin, f.b1, 50), (&oa, f.b1, 50)] {
        f.app.reset_statements();
        let v = f.app.gql(Some(token), SESSIONS_QUERY, json!({"n": n, "org": org.to_string()})).await;
        assert!(v["errors"].is_null(), "{v}");
        let edges = v["data"]["studySessions"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n);
        let first = &edges[0]["node"];
        assert!(first["organization"]["name"].is_string());
        assert!(first["host"]["name"].is_string(), "{first}");
        assert!(first["recorder"]["name"].is_string());
        assert_eq!(first["materialDocumentIds"].as_array().unwrap().len(), 2);
        assert_eq!(first["materials"][0]["title"], "科技成果奖励办法", "materials keep their order: {first}");
        assert_eq!(first["materials"][1]["kind"], "SPEECH");
        // The owner (集团党委) is above orgadmin_b1's scope: the document is readable, its owner is not.
        assert_eq!(first["materials"][0]["organization"]["name"].is_string(), *token == admin, "{first}");
        assert!(first["attendanceCounts"]["roster"].as_i64().unwrap() >= 1);
        assert!(!first["attendance"].as_array().unwrap().is_empty(), "the roster resolves through its loader");
        counts.push(f.app.statement_count());
    }
    eprintln!("statements: {counts:?}");
    assert!(counts[1] <= counts[0] + 1, "10 and 50 sessions must cost the same statements: {counts:?}");
    // 16 before rosters and statements joined the query; each adds two batched statements.
    // Whether two branches' loads of one loader at the same depth (a session's
    // `organization.parent` and its materials' `organization`) share a batch depends on
    // when the database answers the loads before them: on a loaded machine they may
    // not, which costs one or two statements more, whatever the number of sessions.
    assert!(counts[1] <= 22 && counts[2] <= 22, "a small constant number of statements, got {counts:?}");
}
