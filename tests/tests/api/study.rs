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
    study::{CheckinMode, NewSession, SessionKind, SessionPatch, SessionStatus, SessionView},
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
            // Self check-in without a code, as before check-in codes: the tests of the
            // code flow create their sessions in mode `code` themselves.
            checkin_mode: Some(CheckinMode::Open),
            latitude: None,
            longitude: None,
            radius_m: None,
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
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, now, None).await;
    let q = "mutation($id: ID!) { checkIn(sessionId: $id) { status method } }";
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string()})).await;
    assert_eq!(v["data"]["checkIn"]["status"], "PRESENT", "{v}");
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"));
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, now + Duration::days(1), None).await;
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
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, Utc::now(), None).await;
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
            json!({"organization_id": f.b1, "kind": "branch_general_meeting", "topic": "学习贯彻", "held_at": "2026-03-10T02:00:00Z", "recorder_id": f.p_other_b1}),
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
            let s = session(&f, org, SessionKind::BranchGeneralMeeting, now, Some(host)).await;
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

// ---------------------------------------------------------------------------
// Session life cycle, bulk attendance, check-in that proves presence, my party life
// ---------------------------------------------------------------------------

/// Plans a branch general meeting of b1 (roster: its three people) in a check-in mode,
/// with an optional geofence (system actor).
async fn session_in_mode(
    f: &Fixture,
    held_at: DateTime<Utc>,
    mode: CheckinMode,
    fence: Option<(f64, f64, i32)>,
    host: Option<Uuid>,
    recorder: Option<Uuid>,
) -> SessionView {
    services::study::create(
        f.app.db(),
        &Actor::system(),
        NewSession {
            organization_id: Id(f.b1),
            kind: SessionKind::BranchGeneralMeeting,
            is_first_topic: true,
            topic: "支部党员大会：学习贯彻重要讲话精神".into(),
            held_at,
            place: Some("党员活动室".into()),
            host_id: host.map(Id),
            recorder_id: recorder.map(Id),
            minutes: None,
            checkin_opens_at: None,
            checkin_closes_at: None,
            material_document_ids: vec![],
            checkin_mode: Some(mode),
            latitude: fence.map(|f| f.0),
            longitude: fence.map(|f| f.1),
            radius_m: fence.map(|f| f.2),
        },
    )
    .await
    .unwrap()
}

fn field(r: &Resp) -> Value {
    r.json()["errors"][0]["field"].clone()
}

#[actix_web::test]
async fn a_session_is_held_only_once_it_started() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let later = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let body =
        json!({"organization_id": f.b1, "kind": "branch_general_meeting", "topic": "学习贯彻", "held_at": later});
    let r = f.app.post("/api/v1/study-sessions", Some(&oa), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // New sessions check in with the rotating code unless told otherwise.
    assert_eq!(r.json()["checkin_mode"], "code");
    assert!(r.json().get("checkin_secret").is_none(), "the secret is never shown");
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/study-sessions/{id}");
    let r = f.app.patch(&path, Some(&oa), Some("\"v1\""), json!({"status": "held"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "status");
    let q = "mutation($id: ID!) { updateStudySession(id: $id, expectedVersion: 1, input: {status: HELD}) { status } }";
    let v = f.app.gql(Some(&oa), q, json!({"id": id})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");
    assert_eq!(v["errors"][0]["extensions"]["field"], "status");
    // Moving the start into the past in the same change makes it possible.
    let past = (Utc::now() - Duration::minutes(5)).to_rfc3339();
    let r = f.app.patch(&path, Some(&oa), Some("\"v1\""), json!({"status": "held", "held_at": past})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "held");
}

#[actix_web::test]
async fn bulk_marks_a_list_and_the_rest_in_one_call() {
    let f = Fixture::new().await;
    member_login(&f, "recorder_b1", f.p_other_b1, f.b1).await;
    let recorder = f.token("recorder_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let member = f.token("member_b1").await;
    let oa2 = f.token("orgadmin_b2").await;
    let s = session_in_mode(&f, Utc::now(), CheckinMode::Open, None, None, Some(f.p_other_b1)).await;
    let path = format!("/api/v1/study-sessions/{}/attendance/bulk", s.id);

    // Validation names the entry.
    let r = f.app.post(&path, Some(&oa), json!({"entries": [{"person_id": f.p_b2, "status": "present"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "entries[0].person_id");
    let body = json!({"entries": [{"person_id": f.p_member_b1, "status": "present"}, {"person_id": f.p_other_b1, "status": "leave"}]});
    let r = f.app.post(&path, Some(&oa), body).await;
    assert_eq!(field(&r), "entries[1].reason", "{}", r.text());
    let r = f.app.post(&path, Some(&oa), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Neither recorder nor administrator: FORBIDDEN; out of scope: NOT_FOUND.
    let body = json!({"rest": "present"});
    assert_eq!(f.app.post(&path, Some(&member), body.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(f.app.post(&path, Some(&oa2), body).await.status, StatusCode::NOT_FOUND);

    // One on leave, the rest absent, in one call.
    let body =
        json!({"entries": [{"person_id": f.p_member_b1, "status": "leave", "reason": "出差"}], "rest": "absent"});
    let r = f.app.post(&path, Some(&oa), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["changed"], 3, "{v}");
    assert_eq!((v["counts"]["leave"].as_i64(), v["counts"]["absent"].as_i64()), (Some(1), Some(2)), "{v}");
    assert_eq!(v["roster"].as_array().unwrap().len(), 3);
    let mine = v["roster"].as_array().unwrap().iter().find(|a| a["person_id"] == f.p_member_b1.to_string()).unwrap();
    assert_eq!((mine["status"].as_str(), mine["reason"].as_str()), (Some("leave"), Some("出差")));
    assert_eq!(mine["method"], "recorder");
    assert_eq!(mine["version"], 2);
    assert!(mine["person_name"].is_string());

    // The recorder, through GraphQL: one back to present; marking it again changes nothing.
    let q = "mutation($id: ID!, $p: ID!) { markAttendanceBulk(sessionId: $id, input: {entries: [{personId: $p, status: PRESENT}]}) { changed counts { present absent leave } roster { personName status } } }";
    let vars = json!({"id": s.id.to_string(), "p": f.p_orgadmin_b1.to_string()});
    let v = f.app.gql(Some(&recorder), q, vars.clone()).await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["data"]["markAttendanceBulk"]["changed"], 1);
    assert_eq!(v["data"]["markAttendanceBulk"]["counts"]["present"], 1);
    assert_eq!(v["data"]["markAttendanceBulk"]["counts"]["absent"], 1);
    let v = f.app.gql(Some(&recorder), q, vars).await;
    assert_eq!(v["data"]["markAttendanceBulk"]["changed"], 0, "{v}");
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string(), "p": f.p_member_b1.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"));
}

#[actix_web::test]
async fn unmarked_people_of_a_held_session_are_reported() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let s = session_in_mode(&f, Utc::now() - Duration::hours(1), CheckinMode::Open, None, None, None).await;
    let input =
        services::study::MarkAttendance { status: serde_json::from_value(json!("present")).unwrap(), reason: None };
    services::study::mark_attendance(f.app.db(), &Actor::system(), *s.id, f.p_member_b1, 1, input).await.unwrap();
    let counts = format!("/api/v1/study-sessions/{}/attendance-counts", s.id);
    // Planned: nobody is unmarked yet.
    let r = f.app.get(&counts, Some(&oa)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!((r.json()["expected"].as_i64(), r.json()["unmarked"].as_i64()), (Some(2), Some(0)));
    let s = services::study::get(f.app.db(), &Actor::system(), *s.id).await.unwrap();
    set_status(&f, &s, SessionStatus::Held).await;
    let r = f.app.get(&counts, Some(&oa)).await;
    let c = r.json();
    assert_eq!(
        (c["present"].as_i64(), c["unmarked"].as_i64(), c["roster"].as_i64()),
        (Some(1), Some(2), Some(3)),
        "{c}"
    );
    let r = f.app.get(&format!("/api/v1/study-sessions/{}/attendance?status=expected", s.id), Some(&oa)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert!(list.as_array().unwrap().iter().all(|a| a["status"] == "expected" && a["person_name"].is_string()));
    let q = "query($id: ID!) { studySession(id: $id) { attendanceCounts { unmarked leave absent } attendance(status: EXPECTED) { personName } } }";
    let v = f.app.gql(Some(&oa), q, json!({"id": s.id.to_string()})).await;
    assert_eq!(v["data"]["studySession"]["attendanceCounts"]["unmarked"], 2, "{v}");
    assert_eq!(v["data"]["studySession"]["attendance"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn check_in_with_the_rotating_code() {
    let f = Fixture::new().await;
    member_login(&f, "recorder_b1", f.p_other_b1, f.b1).await;
    let recorder = f.token("recorder_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let oa2 = f.token("orgadmin_b2").await;
    let member = f.token("member_b1").await;
    let s = session_in_mode(&f, Utc::now(), CheckinMode::Code, None, None, Some(f.p_other_b1)).await;
    let code_path = format!("/api/v1/study-sessions/{}/check-in-code", s.id);

    // Only the host, the recorder or an administrator sees the code.
    assert_eq!(f.app.get(&code_path, Some(&member)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(f.app.get(&code_path, Some(&oa2)).await.status, StatusCode::NOT_FOUND);
    let r = f.app.get(&code_path, Some(&oa)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let shown = r.json();
    let code = shown["code"].as_str().unwrap().to_owned();
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()), "{shown}");
    assert_eq!(shown["step_seconds"], 30);
    assert_eq!(shown["qr_payload"], format!("dangjian:checkin:{}:{code}", s.id));
    assert!(
        shown["expires_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() > Utc::now() - Duration::seconds(1)
    );
    assert_eq!(f.app.get(&code_path, Some(&recorder)).await.status, StatusCode::OK);

    // Without a code, with a wrong one: VALIDATION on `code`.
    let path = check_in_path(*s.id);
    let r = f.app.post(&path, Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "code");
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 500_000) % 1_000_000);
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {member}")))
                .insert_header(("Accept-Language", "en"))
                .set_json(json!({"code": wrong})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "code");
    assert!(r.text().contains("the check-in code is wrong or has expired"), "{}", r.text());
    // The code shown works (the previous step's code is still accepted).
    let r = f.app.post(&path, Some(&member), json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "present");
    assert_eq!(r.json()["method"], "code");

    // GraphQL: the recorder shows the code, a member checks in with it.
    let s = session_in_mode(&f, Utc::now(), CheckinMode::Code, None, None, Some(f.p_other_b1)).await;
    let v = f
        .app
        .gql(
            Some(&recorder),
            "query($id: ID!) { checkInCode(sessionId: $id) { code qrPayload stepSeconds } }",
            json!({"id": s.id.to_string()}),
        )
        .await;
    let code = v["data"]["checkInCode"]["code"].as_str().unwrap_or_else(|| panic!("{v}")).to_owned();
    let q = "mutation($id: ID!, $code: String) { checkIn(sessionId: $id, code: $code) { status method } }";
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string(), "code": "12345"})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");
    assert_eq!(v["errors"][0]["extensions"]["field"], "code");
    let v = f.app.gql(Some(&member), q, json!({"id": s.id.to_string(), "code": code})).await;
    assert_eq!(v["data"]["checkIn"]["method"], "code", "{v}");
    let v = f
        .app
        .gql(Some(&member), "query($id: ID!) { checkInCode(sessionId: $id) { code } }", json!({"id": s.id.to_string()}))
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"), "{v}");
}

#[actix_web::test]
async fn geofence_and_recorder_only() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let member = f.token("member_b1").await;
    let now = Utc::now().to_rfc3339();
    let new = |extra: Value| {
        let mut body = json!({"organization_id": f.b1, "kind": "branch_general_meeting", "topic": "主题党日", "held_at": now, "checkin_mode": "open"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    // The geofence is validated: ranges, all three or none.
    for (extra, bad) in [
        (json!({"latitude": 95.0, "longitude": 121.0, "radius_m": 100}), "latitude"),
        (json!({"latitude": 31.0, "longitude": 190.0, "radius_m": 100}), "longitude"),
        (json!({"latitude": 31.0, "longitude": 121.0, "radius_m": 10}), "radius_m"),
        (json!({"latitude": 31.0, "longitude": 121.0}), "latitude"),
    ] {
        let r = f.app.post("/api/v1/study-sessions", Some(&oa), new(extra)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(field(&r), bad, "{}", r.text());
    }
    let r = f
        .app
        .post(
            "/api/v1/study-sessions",
            Some(&oa),
            new(json!({"latitude": 31.2304, "longitude": 121.4737, "radius_m": 100})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["radius_m"], 100);
    let path = check_in_path(r.json()["id"].as_str().unwrap().parse().unwrap());
    // No position: VALIDATION on latitude; 1.1 km away: refused, saying how far.
    let r = f.app.post(&path, Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "latitude");
    let r = f.app.post(&path, Some(&member), json!({"latitude": 31.2404, "longitude": 121.4737})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "latitude");
    assert!(r.text().contains("1112") && r.text().contains("100"), "{}", r.text());
    // About 55 m away: present.
    let r = f.app.post(&path, Some(&member), json!({"latitude": 31.2309, "longitude": 121.4737})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["method"], "self");

    // Recorder only: no self check-in, no code to show.
    let s = session_in_mode(&f, Utc::now(), CheckinMode::RecorderOnly, None, None, None).await;
    let r = f.app.post(&check_in_path(*s.id), Some(&member), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = f.app.get(&format!("/api/v1/study-sessions/{}/check-in-code", s.id), Some(&oa)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let v = f
        .app
        .gql(
            Some(&member),
            "mutation($id: ID!) { checkIn(sessionId: $id) { status } }",
            json!({"id": s.id.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"));
    // The mode and the geofence can change; removing the fence takes no coordinates.
    let r = f
        .app
        .patch(
            &format!("/api/v1/study-sessions/{}", s.id),
            Some(&oa),
            Some("\"v1\""),
            json!({"checkin_mode": "open", "latitude": 31.0, "longitude": 121.0, "radius_m": 500}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!((r.json()["checkin_mode"].as_str(), r.json()["radius_m"].as_i64()), (Some("open"), Some(500)));
    let r = f
        .app
        .patch(&format!("/api/v1/study-sessions/{}", s.id), Some(&oa), Some("\"v2\""), json!({"remove_geofence": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["radius_m"].is_null());
}

#[actix_web::test]
async fn my_attendance_totals_per_month_and_entries() {
    let f = Fixture::new().await;
    let sys = Actor::system();
    let member = f.token("member_b1").await;
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let mark = |id: Id, status: &'static str, reason: Option<&'static str>| {
        let db = f.app.db().clone();
        let sys = sys.clone();
        let p = f.p_member_b1;
        async move {
            let input = services::study::MarkAttendance {
                status: serde_json::from_value(json!(status)).unwrap(),
                reason: reason.map(Into::into),
            };
            services::study::mark_attendance(&db, &sys, *id, p, 1, input).await.unwrap();
        }
    };
    let march_a = session_in_mode(&f, at("2026-03-10T02:00:00Z"), CheckinMode::Open, None, None, None).await;
    mark(march_a.id, "present", None).await;
    let march_b = session_in_mode(&f, at("2026-03-20T02:00:00Z"), CheckinMode::Open, None, None, None).await;
    mark(march_b.id, "leave", Some("出差")).await;
    // 31 March 16:30 UTC is 1 April 00:30 in Shanghai: an April meeting.
    let april_a = session_in_mode(&f, at("2026-03-31T16:30:00Z"), CheckinMode::Open, None, None, None).await;
    mark(april_a.id, "absent", None).await;
    let april_b = session_in_mode(&f, at("2026-04-10T02:00:00Z"), CheckinMode::Open, None, None, None).await;
    set_status(&f, &april_b, SessionStatus::Held).await;
    let cancelled = session_in_mode(&f, at("2026-04-12T02:00:00Z"), CheckinMode::Open, None, None, None).await;
    set_status(&f, &cancelled, SessionStatus::Cancelled).await;

    let r = f.app.get("/api/v1/me/attendance?from=2026-03-01&to=2026-04-30&limit=3", Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let t = &v["totals"];
    assert_eq!(
        [&t["sessions"], &t["attended"], &t["missed"], &t["on_leave"], &t["unmarked"]].map(|x| x.as_i64().unwrap()),
        [4, 1, 1, 1, 1],
        "{v}"
    );
    assert_eq!(t["rate"], 0.5);
    let months: Vec<(String, i64)> = v["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap().to_owned(), m["counts"]["sessions"].as_i64().unwrap()))
        .collect();
    assert_eq!(months, [("2026-03".to_owned(), 2), ("2026-04".to_owned(), 2)]);
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["session_id"], april_b.id.to_string(), "latest first: {v}");
    assert_eq!(entries[0]["status"], "expected");
    assert_eq!(entries[0]["session_status"], "held");
    assert_eq!(entries[2]["status"], "leave");
    assert!(entries[0]["topic"].is_string() && entries[0]["organization_name"].is_string());
    let cursor = v["next_cursor"].as_str().unwrap();
    let r = f
        .app
        .get(&format!("/api/v1/me/attendance?from=2026-03-01&to=2026-04-30&limit=3&cursor={cursor}"), Some(&member))
        .await;
    let rest = r.json();
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["entries"][0]["session_id"], march_a.id.to_string());
    assert!(rest["next_cursor"].is_null());
    // A range the wrong way round names `to`.
    let r = f.app.get("/api/v1/me/attendance?from=2026-04-01&to=2026-03-01", Some(&member)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let q = "{ myAttendance(from: \"2026-03-01\", to: \"2026-04-30\", first: 10) { totals { attended missed onLeave unmarked } byMonth { month counts { sessions attended } } entries { kind heldAt status } nextCursor } }";
    let v = f.app.gql(Some(&member), q, json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    let m = &v["data"]["myAttendance"];
    assert_eq!(m["totals"]["onLeave"], 1);
    assert_eq!(m["totals"]["unmarked"], 1);
    assert_eq!(m["byMonth"][0]["counts"]["attended"], 1);
    assert_eq!(m["entries"].as_array().unwrap().len(), 4);
    assert_eq!(m["entries"][0]["kind"], "BRANCH_GENERAL_MEETING");
}

#[actix_web::test]
async fn my_upcoming_sessions_soonest_first_with_names() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let now = Utc::now();
    let doc = published_document(&f, "关于加强基层党建工作的意见").await;
    let mk = |days: i64| {
        session_in_mode(
            &f,
            now + Duration::days(days),
            CheckinMode::Code,
            None,
            Some(f.p_orgadmin_b1),
            Some(f.p_other_b1),
        )
    };
    let third = mk(3).await;
    let first = mk(1).await;
    let second = mk(2).await;
    services::study::update(
        f.app.db(),
        &Actor::system(),
        *first.id,
        first.version,
        SessionPatch { material_document_ids: Some(vec![Id(doc)]), ..Default::default() },
    )
    .await
    .unwrap();
    let cancelled = mk(1).await;
    set_status(&f, &cancelled, SessionStatus::Cancelled).await;
    // Over and closed for check-in; in progress (check-in still open); another branch's.
    mk(-1).await;
    let ongoing = session_in_mode(&f, now - Duration::minutes(30), CheckinMode::Open, None, None, None).await;
    session(&f, f.b2, SessionKind::BranchGeneralMeeting, now + Duration::hours(1), None).await;

    let r = f.app.get("/api/v1/me/upcoming-sessions", Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ids: Vec<String> = r.json().as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, [ongoing.id, first.id, second.id, third.id].map(|i| i.to_string()), "{}", r.text());
    let item = &r.json()[1];
    assert_eq!(item["organization_name"], "研发一支部");
    assert_eq!(item["host_name"], "王书记");
    assert_eq!(item["recorder_name"], "张工");
    assert_eq!(item["materials"][0]["title"], "关于加强基层党建工作的意见", "{item}");
    assert_eq!(item["materials"][0]["document_id"], doc.to_string());
    assert!(item.get("minutes").is_none() && item.get("material_document_ids").is_none(), "a row's item: {item}");
    let r = f.app.get("/api/v1/me/upcoming-sessions?limit=2", Some(&member)).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let r = f.app.get("/api/v1/me/upcoming-sessions?limit=51", Some(&member)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&r), "limit");

    let v = f
        .app
        .gql(
            Some(&member),
            "{ myUpcomingSessions(first: 2) { id hostName recorderName organizationName checkinMode } }",
            json!({}),
        )
        .await;
    assert!(v["errors"].is_null(), "{v}");
    let list = v["data"]["myUpcomingSessions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["id"], first.id.to_string());
    assert_eq!(list[1]["hostName"], "王书记");
    assert_eq!(list[1]["checkinMode"], "CODE");

    // The list of sessions carries the names too.
    let r = f.app.get(&format!("/api/v1/study-sessions?organization_id={}&sort=held_at", f.b1), Some(&oa)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let items = r.json()["items"].as_array().unwrap().clone();
    let listed = items.iter().find(|s| s["id"] == first.id.to_string()).unwrap();
    assert_eq!(listed["recorder_name"], "张工");
    assert_eq!(listed["materials"][0]["title"], "关于加强基层党建工作的意见");
    let r = f.app.get(&format!("/api/v1/study-sessions/{}/attendance", first.id), Some(&member)).await;
    let roster = r.json();
    let names: Vec<&str> = roster.as_array().unwrap().iter().map(|a| a["person_name"].as_str().unwrap()).collect();
    assert!(names.contains(&"李党员"), "{names:?}");
}
