//! Supervision and rectification: the done-when scenario, every workflow move by role
//! and state, rejection without a reason, overdue at boundary dates, the views
//! (filters, escalation, per-organisation figures), the dashboard and the exports.

use dangjian::services::types::Id;
use std::io::Read;

use actix_web::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use dangjian::auth::Actor;
use dangjian::services::{
    self,
    study::{AttendanceStatus, MarkAttendance, SessionKind, SessionPatch, SessionStatus},
    supervision::{ItemAction, ItemCategory, ItemView, NewItem, NewItemUpdate, Severity, UpdateKind},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::attachments::multipart;
use crate::common::{Fixture, Resp, gql_code};
use crate::study::{put, session};

/// Opens an item straight through the service (system actor) as if on `opened`.
pub async fn item_on(f: &Fixture, org: Uuid, responsible: Uuid, opened: NaiveDate, due: NaiveDate) -> ItemView {
    services::supervision::open_item(
        f.app.db(),
        &Actor::system(),
        opened,
        NewItem {
            inspection_id: None,
            organization_id: Id(org),
            title: "第一议题学习后贯彻落实措施不具体".into(),
            description: Some("部分支部学习后未形成可检查的措施".into()),
            category: ItemCategory::TheoryStudy,
            severity: Severity::Medium,
            responsible_person_id: Id(responsible),
            due_on: due,
        },
    )
    .await
    .unwrap()
}

/// Opens an item today, due in 30 days.
pub async fn item(f: &Fixture, org: Uuid, responsible: Uuid) -> ItemView {
    let today = f.app.state.settings.today();
    item_on(f, org, responsible, today, today + Duration::days(30)).await
}

/// Moves an item (system actor) into `status`: rectifying (plan + evidence) or submitted.
pub async fn advance(f: &Fixture, item: &ItemView, to: &str, on: NaiveDate) -> ItemView {
    let db = f.app.db();
    let sys = Actor::system();
    let mut v = item.clone();
    if v.status.as_str() == "open" {
        v = services::supervision::set_plan(db, &sys, on, *v.id, v.version, "召开专题会议，逐条制定整改措施".into())
            .await
            .unwrap();
        services::supervision::add_update(
            db,
            &sys,
            on,
            *v.id,
            NewItemUpdate { kind: UpdateKind::Evidence, text: "专题会议纪要".into() },
        )
        .await
        .unwrap();
    }
    if to == "rectifying" {
        return v;
    }
    v = services::supervision::transition(db, &sys, on, *v.id, v.version, ItemAction::Submit, None).await.unwrap();
    if to == "submitted" {
        return v;
    }
    services::supervision::transition(db, &sys, on, *v.id, v.version, ItemAction::Verify, None).await.unwrap()
}

fn path(id: &str) -> String {
    format!("/api/v1/supervision-items/{id}")
}

fn tag(v: &Value) -> String {
    format!("\"v{}\"", v["version"])
}

fn ok(r: &Resp) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

#[actix_web::test]
async fn done_when_inspector_opens_branch_rectifies_inspector_rejects_then_verifies_and_history_shows_authors() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let inspector = f.token("inspector_gb").await;
    let oa = f.token("orgadmin_b1").await;

    // The inspector opens an item on branch b1.
    let body = json!({
        "organization_id": f.b1, "title": "科技创新责任落实不到位", "category": "innovation_responsibility",
        "severity": "high", "responsible_person_id": f.p_orgadmin_b1, "due_on": (today + Duration::days(20)).to_string(),
    });
    let r = f.app.post("/api/v1/supervision-items", Some(&inspector), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "open");
    let id = v["id"].as_str().unwrap().to_owned();

    // The branch's org_admin writes the plan (open → rectifying) and posts evidence.
    let v = ok(&put(
        &f.app,
        &format!("{}/plan", path(&id)),
        Some(&oa),
        Some(&tag(&v)),
        json!({"plan": "制定专项整改方案"}),
    )
    .await);
    assert_eq!(v["status"], "rectifying");
    let r = f
        .app
        .post(&format!("{}/updates", path(&id)), Some(&oa), json!({"kind": "evidence", "text": "专项会议纪要"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.post(&format!("{}/submit", path(&id)), Some(&oa), json!({})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    let v = ok(&f.app.send_with_tag(&format!("{}/submit", path(&id)), &oa, &tag(&v), json!({})).await);
    assert_eq!(v["status"], "submitted");

    // The inspector rejects: without a reason refused, then with one.
    let r = f.app.send_with_tag(&format!("{}/reject", path(&id)), &inspector, &tag(&v), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["code"], "VALIDATION");
    let v = ok(&f
        .app
        .send_with_tag(&format!("{}/reject", path(&id)), &inspector, &tag(&v), json!({"reason": "佐证材料不完整"}))
        .await);
    assert_eq!(v["status"], "rectifying");

    // The branch adds evidence and submits again; the inspector verifies over GraphQL.
    let r = f
        .app
        .post(&format!("{}/updates", path(&id)), Some(&oa), json!({"kind": "evidence", "text": "补充整改台账"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = ok(&f.app.send_with_tag(&format!("{}/submit", path(&id)), &oa, &tag(&v), json!({"note": "已补充"})).await);
    let q = "mutation($id: ID!, $v: Int!) { verifySupervisionItem(id: $id, expectedVersion: $v, note: \"整改到位\") { status closedOn overdue } }";
    let g = f.app.gql(Some(&inspector), q, json!({"id": id, "v": v["version"]})).await;
    assert_eq!(gql_code(&g), None, "{g}");
    assert_eq!(g["data"]["verifySupervisionItem"]["status"], "VERIFIED");
    assert_eq!(g["data"]["verifySupervisionItem"]["closedOn"], today.to_string());

    // The trail: every step with its author.
    let q =
        "query($id: ID!) { supervisionItem(id: $id) { updates { kind statusFrom statusTo text author { name } } } }";
    let g = f.app.gql(Some(&inspector), q, json!({"id": id})).await;
    let steps: Vec<(String, String)> = g["data"]["supervisionItem"]["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["kind"].as_str().unwrap().to_owned(), u["author"]["name"].as_str().unwrap_or("").to_owned()))
        .collect();
    let expect = [
        ("STATUS_CHANGE", "孙巡察"),
        ("PLAN", "王书记"),
        ("EVIDENCE", "王书记"),
        ("STATUS_CHANGE", "王书记"),
        ("STATUS_CHANGE", "孙巡察"),
        ("EVIDENCE", "王书记"),
        ("STATUS_CHANGE", "王书记"),
        ("STATUS_CHANGE", "孙巡察"),
    ];
    assert_eq!(steps, expect.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());

    // The audit history: every version of the item with who changed what.
    let q = "query($id: ID!) { history(entity: \"supervision_item\", id: $id) { event { action actorName } changes { field before after } } }";
    let g = f.app.gql(Some(&inspector), q, json!({"id": id})).await;
    assert_eq!(gql_code(&g), None, "{g}");
    let versions = g["data"]["history"].as_array().unwrap();
    let who: Vec<(&str, &str)> = versions
        .iter()
        .map(|h| (h["event"]["action"].as_str().unwrap(), h["event"]["actorName"].as_str().unwrap()))
        .collect();
    assert_eq!(
        who,
        [
            ("create", "inspector_gb"),
            ("update", "orgadmin_b1"),
            ("submit", "orgadmin_b1"),
            ("reject", "inspector_gb"),
            ("submit", "orgadmin_b1"),
            ("verify", "inspector_gb"),
        ]
    );
    let reject = &versions[3]["changes"];
    assert!(
        reject
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "status" && c["before"] == "submitted" && c["after"] == "rectifying"),
        "{reject}"
    );
    // REST gives the same history.
    let r = f.app.get(&format!("/api/v1/audit-history/supervision_item/{id}"), Some(&inspector)).await;
    assert_eq!(ok(&r).as_array().unwrap().len(), 6);
}

/// Small helpers for POST with If-Match.
trait SendWithTag {
    async fn send_with_tag(&self, path: &str, token: &str, tag: &str, body: Value) -> Resp;
}

impl SendWithTag for crate::common::TestApp {
    async fn send_with_tag(&self, path: &str, token: &str, tag: &str, body: Value) -> Resp {
        let req = actix_web::test::TestRequest::post()
            .uri(path)
            .set_json(body)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("If-Match", tag.to_owned()));
        self.send(req).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Plan,
    Evidence,
    Comment,
    Submit,
    Reject,
    Verify,
    Edit,
}

/// Every workflow move by role, on an item of b1 whose responsible person is the
/// member (so "responsible person" and "responsible organisation" are both exercised).
#[actix_web::test]
async fn every_move_by_role_and_state() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    use Move::*;
    // (who, move, state the item is in, expected status code)
    let table: &[(&str, Move, &str, u16)] = &[
        ("inspector_gb", Plan, "open", 403),
        ("inspector_gb", Evidence, "rectifying", 403),
        ("inspector_gb", Comment, "open", 201),
        ("inspector_gb", Submit, "rectifying", 403),
        ("inspector_gb", Reject, "submitted", 200),
        ("inspector_gb", Verify, "submitted", 200),
        ("inspector_gb", Edit, "open", 200),
        ("admin", Reject, "submitted", 200),
        ("admin", Verify, "submitted", 200),
        ("admin", Plan, "open", 200),
        ("orgadmin_b1", Plan, "open", 200),
        ("orgadmin_b1", Plan, "rectifying", 200),
        ("orgadmin_b1", Evidence, "rectifying", 201),
        ("orgadmin_b1", Comment, "open", 201),
        ("orgadmin_b1", Submit, "rectifying", 200),
        ("orgadmin_b1", Reject, "submitted", 403),
        ("orgadmin_b1", Verify, "submitted", 403),
        ("orgadmin_b1", Edit, "open", 403),
        ("member_b1", Plan, "open", 200),
        ("member_b1", Evidence, "rectifying", 201),
        ("member_b1", Submit, "rectifying", 200),
        ("member_b1", Reject, "submitted", 403),
        ("member_b1", Verify, "submitted", 403),
        ("member_b1", Edit, "open", 403),
        ("orgadmin_b2", Plan, "open", 404),
        ("orgadmin_b2", Submit, "rectifying", 404),
        ("hr", Plan, "open", 403),
        // Moves the state does not allow.
        ("inspector_gb", Verify, "open", 409),
        ("inspector_gb", Verify, "rectifying", 409),
        ("inspector_gb", Reject, "rectifying", 409),
        ("inspector_gb", Verify, "verified", 409),
        ("inspector_gb", Edit, "verified", 409),
        ("orgadmin_b1", Submit, "open", 409),
        ("orgadmin_b1", Evidence, "open", 409),
        ("orgadmin_b1", Evidence, "submitted", 409),
        ("orgadmin_b1", Plan, "submitted", 409),
        ("orgadmin_b1", Plan, "verified", 409),
        ("orgadmin_b1", Submit, "submitted", 409),
    ];
    let mut failures = Vec::new();
    for &(who, mv, state, expected) in table {
        let token = f.token(who).await;
        let base = item(&f, f.b1, f.p_member_b1).await;
        let it = if state == "open" { base } else { advance(&f, &base, state, today).await };
        let id = it.id.to_string();
        let t = format!("\"v{}\"", it.version);
        let r = match mv {
            Plan => put(&f.app, &format!("{}/plan", path(&id)), Some(&token), Some(&t), json!({"plan": "方案"})).await,
            Evidence => {
                f.app
                    .post(&format!("{}/updates", path(&id)), Some(&token), json!({"kind": "evidence", "text": "佐证"}))
                    .await
            }
            Comment => {
                f.app
                    .post(&format!("{}/updates", path(&id)), Some(&token), json!({"kind": "comment", "text": "意见"}))
                    .await
            }
            Submit => f.app.send_with_tag(&format!("{}/submit", path(&id)), &token, &t, json!({})).await,
            Reject => {
                f.app.send_with_tag(&format!("{}/reject", path(&id)), &token, &t, json!({"reason": "不合格"})).await
            }
            Verify => f.app.send_with_tag(&format!("{}/verify", path(&id)), &token, &t, json!({})).await,
            Edit => f.app.patch(&path(&id), Some(&token), Some(&t), json!({"severity": "high"})).await,
        };
        if r.status.as_u16() != expected {
            failures.push(format!("{who} {mv:?} on {state}: expected {expected}, got {} {}", r.status, r.text()));
        }
    }
    // Submitting without evidence is refused.
    let oa = f.token("orgadmin_b1").await;
    let it = item(&f, f.b1, f.p_member_b1).await;
    let it =
        services::supervision::set_plan(f.app.db(), &Actor::system(), today, *it.id, 1, "方案".into()).await.unwrap();
    let r = f.app.send_with_tag(&format!("{}/submit", path(&it.id.to_string())), &oa, "\"v2\"", json!({})).await;
    if r.status != StatusCode::CONFLICT {
        failures.push(format!("submit without evidence: {} {}", r.status, r.text()));
    }
    // A stale version is CONFLICT, a missing If-Match 428.
    let r = f.app.send_with_tag(&format!("{}/submit", path(&it.id.to_string())), &oa, "\"v1\"", json!({})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text());
    let r = f.app.post(&format!("{}/submit", path(&it.id.to_string())), Some(&oa), json!({})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    assert!(failures.is_empty(), "workflow table mismatches:\n{}", failures.join("\n"));
}

#[actix_web::test]
async fn rejection_without_a_reason_is_refused_on_both_transports() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let inspector = f.token("inspector_gb").await;
    let it = advance(&f, &item(&f, f.b1, f.p_orgadmin_b1).await, "submitted", today).await;
    let id = it.id.to_string();
    for body in [json!({}), json!({"reason": "   "})] {
        let r = f
            .app
            .send_with_tag(&format!("{}/reject", path(&id)), &inspector, &format!("\"v{}\"", it.version), body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["errors"][0]["field"], "reason", "{}", r.text());
    }
    let q = "mutation($id: ID!, $v: Int!) { rejectSupervisionItem(id: $id, expectedVersion: $v) { status } }";
    let g = f.app.gql(Some(&inspector), q, json!({"id": id, "v": it.version})).await;
    assert_eq!(gql_code(&g).as_deref(), Some("VALIDATION"), "{g}");
    assert_eq!(g["errors"][0]["extensions"]["field"], "reason");
    let after = services::supervision::get_item(f.app.db(), &Actor::system(), today, *it.id).await.unwrap();
    assert_eq!(after.status.as_str(), "submitted");
    // Permission comes first: the responsible side may not reject, reason or not.
    let oa = f.token("orgadmin_b1").await;
    let r =
        f.app.send_with_tag(&format!("{}/reject", path(&id)), &oa, &format!("\"v{}\"", it.version), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
}

#[actix_web::test]
async fn overdue_at_boundary_dates_and_the_views() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let long_ago = today - Duration::days(60);
    let d = |n: i64| today + Duration::days(n);
    let inspector = f.token("inspector_gb").await;
    // Opened two months ago; due yesterday / today / tomorrow.
    let due_yesterday = item_on(&f, f.b1, f.p_other_b1, long_ago, d(-1)).await;
    let due_today = item_on(&f, f.b1, f.p_other_b1, long_ago, d(0)).await;
    let due_tomorrow = item_on(&f, f.b2, f.p_b2, long_ago, d(1)).await;
    // Verified on its due day (on time) and the day after (late), both past due now.
    let on_time = item_on(&f, f.b2, f.p_b2, long_ago, d(-10)).await;
    let on_time = advance(&f, &on_time, "verified", d(-10)).await;
    let late = item_on(&f, f.b2, f.p_b2, long_ago, d(-10)).await;
    let late = advance(&f, &late, "verified", d(-9)).await;
    // High severity, not overdue; and an item outside the inspector's scope.
    let high = services::supervision::update_item(
        f.app.db(),
        &Actor::system(),
        today,
        *due_tomorrow.id,
        due_tomorrow.version,
        services::supervision::ItemPatch { severity: Some(Severity::High), ..Default::default() },
    )
    .await
    .unwrap();
    let _outside = item_on(&f, f.b3, f.p_b3, long_ago, d(-5)).await;

    let get = |id: Uuid| {
        let t = inspector.clone();
        let app = &f.app;
        async move { app.get(&path(&id.to_string()), Some(&t)).await.json() }
    };
    assert_eq!(get(*due_yesterday.id).await["overdue"], true);
    assert_eq!(get(*due_today.id).await["overdue"], false, "due today is not overdue yet");
    assert_eq!(get(*due_tomorrow.id).await["overdue"], false);
    assert_eq!(get(*on_time.id).await["overdue"], false, "verified items are never overdue");
    assert_eq!(get(*late.id).await["closed_on"], d(-9).to_string());

    let ids = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
    };
    let r =
        f.app.get(&format!("/api/v1/supervision-items?organization_id={}&overdue=true", f.gb), Some(&inspector)).await;
    assert_eq!(ids(&ok(&r)), [due_yesterday.id.to_string()]);
    let r = f
        .app
        .get(&format!("/api/v1/supervision-items?organization_id={}&status=verified", f.gb), Some(&inspector))
        .await;
    assert_eq!(ids(&ok(&r)).len(), 2);
    let r = f.app.get("/api/v1/supervision-items?severity=high", Some(&inspector)).await;
    assert_eq!(ids(&ok(&r)), [high.id.to_string()]);
    let r = f.app.get("/api/v1/supervision-items?category=theory_study&limit=2", Some(&inspector)).await;
    let page1 = ok(&r);
    assert_eq!(ids(&page1).len(), 2);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = ok(&f
        .app
        .get(&format!("/api/v1/supervision-items?category=theory_study&limit=2&cursor={cursor}"), Some(&inspector))
        .await);
    assert!(ids(&page2).iter().all(|i| !ids(&page1).contains(i)));
    // The inspector sees 5 items of gb's subtree (the b3 item is out of scope).
    let q = "{ supervisionItems { totalCount } }";
    assert_eq!(f.app.gql(Some(&inspector), q, json!({})).await["data"]["supervisionItems"]["totalCount"], 5);

    // Escalation: overdue first, then high severity.
    let r = ok(&f.app.get("/api/v1/supervision-items/escalation", Some(&inspector)).await);
    assert_eq!(ids(&r), [due_yesterday.id.to_string(), high.id.to_string()]);
    assert_eq!(r["total"], 2);
    // Keyset paging on that order, REST and GraphQL.
    let p1 = ok(&f.app.get("/api/v1/supervision-items/escalation?limit=1", Some(&inspector)).await);
    assert_eq!(ids(&p1), [due_yesterday.id.to_string()]);
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 =
        ok(&f.app.get(&format!("/api/v1/supervision-items/escalation?limit=1&cursor={c}"), Some(&inspector)).await);
    assert_eq!(ids(&p2), [high.id.to_string()]);
    assert!(p2["next_cursor"].is_null());
    let q = "query($after: String) { supervisionEscalation(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id overdue severity } } } }";
    let g1 = f.app.gql(Some(&inspector), q, json!({})).await;
    let e = &g1["data"]["supervisionEscalation"];
    assert_eq!((e["totalCount"].as_i64(), e["pageInfo"]["hasNextPage"].as_bool()), (Some(2), Some(true)), "{g1}");
    let g2 = f.app.gql(Some(&inspector), q, json!({"after": e["pageInfo"]["endCursor"]})).await;
    assert_eq!(g2["data"]["supervisionEscalation"]["edges"][0]["node"]["severity"], "HIGH", "{g2}");
    let r = f.app.get("/api/v1/supervision-items/escalation?cursor=bm9wZQ", Some(&inspector)).await;
    assert_eq!(r.status.as_u16(), 422);

    // Per organisation: open, overdue, closed on time, closed late.
    let stats = ok(&f.app.get(&format!("/api/v1/supervision-stats?organization_id={}", f.gb), Some(&inspector)).await);
    let by = |org: Uuid| {
        stats.as_array().unwrap().iter().find(|s| s["organization_id"] == org.to_string()).unwrap()["counts"].clone()
    };
    let b1 = by(f.b1);
    assert_eq!(
        (b1["open"].as_i64(), b1["overdue"].as_i64(), b1["closed_on_time"].as_i64()),
        (Some(2), Some(1), Some(0))
    );
    let b2 = by(f.b2);
    assert_eq!(
        (b2["total"].as_i64(), b2["open"].as_i64(), b2["closed_on_time"].as_i64(), b2["closed_late"].as_i64()),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert_eq!(stats.as_array().unwrap().len(), 2, "only organisations with items");
    let g = f
        .app
        .gql(Some(&inspector), "query($o: ID!) { supervisionStats(organizationId: $o) { organizationName counts { overdue closedLate } } }", json!({"o": f.gb}))
        .await;
    assert_eq!(g["data"]["supervisionStats"][0]["counts"]["overdue"], 1, "{g}");
}

fn csv_rows(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("BOM");
    text.split("\r\n").filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The rows of the first sheet of a workbook, and its shared strings.
fn xlsx_rows(bytes: &[u8]) -> (usize, String) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip archive");
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").expect("sheet1").read_to_string(&mut sheet).unwrap();
    let mut strings = String::new();
    if let Ok(mut f) = zip.by_name("xl/sharedStrings.xml") {
        f.read_to_string(&mut strings).unwrap();
    }
    (sheet.matches("<row ").count(), strings)
}

#[actix_web::test]
async fn exports_open_as_csv_and_xlsx_with_the_right_rows() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let inspector = f.token("inspector_gb").await;
    for _ in 0..3 {
        item(&f, f.b1, f.p_other_b1).await;
    }
    let formula = item(&f, f.b2, f.p_b2).await;
    services::supervision::update_item(
        f.app.db(),
        &Actor::system(),
        today,
        *formula.id,
        1,
        services::supervision::ItemPatch { title: Some("=HYPERLINK(\"x\")".into()), ..Default::default() },
    )
    .await
    .unwrap();
    item(&f, f.b3, f.p_b3).await; // outside the inspector's scope

    let r = f.app.get("/api/v1/supervision-items/export?format=csv", Some(&inspector)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().starts_with("attachment; filename=\"supervision-items-"));
    let rows = csv_rows(&r.body);
    assert_eq!(rows.len(), 1 + 4, "{rows:?}");
    assert!(rows[0].starts_with("问题编号,问题概述,责任组织"));
    assert!(rows.iter().any(|l| l.contains("'=HYPERLINK")), "formulas are neutralised: {rows:?}");
    assert!(rows[1].contains("研发一支部") && rows[1].contains("张工") && rows[1].contains("理论学习"));

    let r = f
        .app
        .get(&format!("/api/v1/supervision-items/export?format=xlsx&organization_id={}", f.b1), Some(&inspector))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let (n, strings) = xlsx_rows(&r.body);
    assert_eq!(n, 1 + 3);
    assert!(strings.contains("问题概述") && strings.contains("研发一支部"));

    let r = f.app.get("/api/v1/supervision-items/export?format=pdf", Some(&inspector)).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    let member = f.token("hr").await;
    let r = f.app.get("/api/v1/supervision-items/export?format=csv", Some(&member)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The dashboard exports: one row per figure.
    let range = format!("organization_id={}&from={}&to={}", f.gb, today - Duration::days(30), today);
    let r = f.app.get(&format!("/api/v1/dashboard/export?{range}&format=csv"), Some(&inspector)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rows = csv_rows(&r.body);
    assert_eq!(rows[0], "类别,指标,数值");
    // 24 study, measure and supervision figures, 21 innovation figures of the year.
    assert_eq!(rows.len(), 1 + 24 + 21);
    assert!(rows.contains(&"巡察整改,发现问题数,4".to_owned()), "{rows:?}");
    assert!(rows.contains(&format!("科技创新,统计年度,{}", today.year())), "{rows:?}");
    let r = f.app.get(&format!("/api/v1/dashboard/export?{range}&format=xlsx"), Some(&inspector)).await;
    let (n, strings) = xlsx_rows(&r.body);
    assert_eq!(n, 1 + 24 + 21);
    assert!(strings.contains("出勤率"));
}

#[actix_web::test]
async fn dashboard_counts_every_area_in_the_subtree_and_period() {
    let f = Fixture::new().await;
    let db = f.app.db();
    let sys = Actor::system();
    let today = f.app.state.settings.today();
    let oa = f.token("orgadmin_b1").await;
    // A first-topic branch general meeting held yesterday in b1: roster of b1's three people.
    let held_at = Utc::now() - Duration::days(1);
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, held_at, None).await;
    for (p, st) in [
        (f.p_orgadmin_b1, AttendanceStatus::Present),
        (f.p_member_b1, AttendanceStatus::Late),
        (f.p_other_b1, AttendanceStatus::Leave),
    ] {
        let reason = (st == AttendanceStatus::Leave).then(|| "出差".to_owned());
        services::study::mark_attendance(db, &sys, *s.id, p, 1, MarkAttendance { status: st, reason }).await.unwrap();
    }
    let patch = SessionPatch { status: Some(SessionStatus::Held), ..Default::default() };
    let version = services::study::get(db, &sys, *s.id).await.unwrap().version;
    services::study::update(db, &sys, *s.id, version, patch).await.unwrap();
    // Measures due in the period: one done on time, one overdue; one due later.
    let m1 = crate::measures::measure(&f, f.b1, f.p_member_b1, today + Duration::days(5)).await;
    services::measures::update(
        db,
        &sys,
        today,
        *m1.id,
        1,
        services::measures::MeasurePatch {
            status: Some(services::measures::MeasureStatus::InProgress),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    services::measures::update(
        db,
        &sys,
        today,
        *m1.id,
        2,
        services::measures::MeasurePatch {
            status: Some(services::measures::MeasureStatus::Done),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let m2 = crate::measures::measure(&f, f.b1, f.p_member_b1, today + Duration::days(1)).await;
    services::measures::update(
        db,
        &sys,
        today,
        *m2.id,
        1,
        services::measures::MeasurePatch { due_on: Some(today - Duration::days(1)), ..Default::default() },
    )
    .await
    .unwrap();
    crate::measures::measure(&f, f.b1, f.p_member_b1, today + Duration::days(400)).await;
    // Items: one open in b1, one verified in b1, one in b3 (outside the subtree).
    item(&f, f.b1, f.p_other_b1).await;
    advance(&f, &item(&f, f.b1, f.p_other_b1).await, "verified", today).await;
    item(&f, f.b3, f.p_b3).await;

    let from = today - Duration::days(30);
    let to = today + Duration::days(30);
    let q = "query($o: ID!, $from: NaiveDate!, $to: NaiveDate!) { dashboard(organizationId: $o, from: $from, to: $to) {
        organizationName study { sessionsHeld firstTopicSessionsHeld roster attended onLeave attendanceRate }
        measures { due done doneOnTime overdue openNotDue }
        supervision { total open overdue statusOpen statusVerified closedOnTime } } }";
    let g = f.app.gql(Some(&oa), q, json!({"o": f.b1, "from": from, "to": to})).await;
    assert_eq!(gql_code(&g), None, "{g}");
    let d = &g["data"]["dashboard"];
    assert_eq!(
        d["study"],
        json!({"sessionsHeld": 1, "firstTopicSessionsHeld": 1, "roster": 3, "attended": 2, "onLeave": 1, "attendanceRate": 1.0})
    );
    assert_eq!(d["measures"], json!({"due": 2, "done": 1, "doneOnTime": 1, "overdue": 1, "openNotDue": 0}));
    assert_eq!(
        d["supervision"],
        json!({"total": 2, "open": 1, "overdue": 0, "statusOpen": 1, "statusVerified": 1, "closedOnTime": 1})
    );
    // REST says the same; out of scope is NOT_FOUND; members may not see the dashboard.
    let range = |o: Uuid| format!("/api/v1/dashboard?organization_id={o}&from={from}&to={to}");
    let r = ok(&f.app.get(&range(f.b1), Some(&oa)).await);
    assert_eq!(r["supervision"]["total"], 2);
    assert_eq!(r["study"]["attendance_rate"], 1.0);
    assert_eq!(f.app.get(&range(f.b3), Some(&oa)).await.status, StatusCode::NOT_FOUND);
    let member = f.token("member_b1").await;
    assert_eq!(f.app.get(&range(f.b1), Some(&member)).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_measure_may_come_from_a_readable_supervision_item() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let it = item(&f, f.b1, f.p_orgadmin_b1).await;
    let outside = item(&f, f.b3, f.p_b3).await;
    let body = |src: Uuid| json!({"source_kind": "supervision_item", "source_id": src, "organization_id": f.b1, "title": "整改措施", "owner_id": f.p_member_b1, "due_on": "2027-01-31"});
    let r = f.app.post("/api/v1/measures", Some(&oa), body(*it.id)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.post("/api/v1/measures", Some(&oa), body(*outside.id)).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "source_id");
    let r = f.app.get(&format!("/api/v1/measures?source_kind=supervision_item&source_id={}", it.id), Some(&oa)).await;
    assert_eq!(ok(&r)["items"].as_array().unwrap().len(), 1);
    // GraphQL lists an item's measures through a loader: the same statements for 1 or 5 items.
    for _ in 0..4 {
        let other = item(&f, f.b1, f.p_orgadmin_b1).await;
        assert_eq!(f.app.post("/api/v1/measures", Some(&oa), body(*other.id)).await.status, StatusCode::CREATED);
    }
    let q = "query($n: Int!) { supervisionItems(first: $n, organizationId: \"%ORG%\") { edges { node { measures { title overdue owner { name } } updates { kind } } } } }"
        .replace("%ORG%", &f.b1.to_string());
    f.app.reset_statements();
    let one = f.app.gql(Some(&oa), &q, json!({"n": 1})).await;
    let n1 = f.app.statement_count();
    assert_eq!(one["data"]["supervisionItems"]["edges"][0]["node"]["measures"][0]["title"], "整改措施", "{one}");
    f.app.reset_statements();
    let five = f.app.gql(Some(&oa), &q, json!({"n": 5})).await;
    let n5 = f.app.statement_count();
    assert_eq!(five["data"]["supervisionItems"]["edges"].as_array().unwrap().len(), 5);
    assert_eq!(n1, n5, "nested measures, owners and trails load in batches");
}

#[actix_web::test]
async fn evidence_files_on_item_updates() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let oa = f.token("orgadmin_b1").await;
    let inspector = f.token("inspector_gb").await;
    let oa2 = f.token("orgadmin_b2").await;
    let it = advance(&f, &item(&f, f.b1, f.p_orgadmin_b1).await, "rectifying", today).await;
    let r = f
        .app
        .post(
            &format!("{}/updates", path(&it.id.to_string())),
            Some(&oa),
            json!({"kind": "evidence", "text": "整改台账"}),
        )
        .await;
    let update = ok(&r)["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/supervision-item-updates/{update}/attachments");
    let pdf = b"%PDF-1.7 rectification ledger".to_vec();
    let send = |token: &str, u: &str| {
        let (content_type, body) = multipart("整改台账.pdf", "application/pdf", &pdf);
        actix_web::test::TestRequest::post()
            .uri(u)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
    };
    // The responsible side attaches; the inspector (not the author) may not; the other branch sees nothing.
    let r = f.app.send(send(&oa, &url)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["owner_kind"], "supervision_item_update");
    assert_eq!(f.app.send(send(&inspector, &url)).await.status, StatusCode::FORBIDDEN);
    let outside = f.app.send(send(&oa2, &url)).await;
    let missing =
        f.app.send(send(&oa2, &format!("/api/v1/supervision-item-updates/{}/attachments", Uuid::now_v7()))).await;
    assert_eq!((outside.status, &outside.body), (StatusCode::NOT_FOUND, &missing.body));
    // Readers list them, over REST and GraphQL (through the item's trail).
    let list = ok(&f.app.get(&url, Some(&inspector)).await);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let q = "query($id: ID!) { supervisionItem(id: $id) { updates { kind attachments { filename } } } }";
    let g = f.app.gql(Some(&inspector), q, json!({"id": it.id})).await;
    let files: Vec<&Value> = g["data"]["supervisionItem"]["updates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["attachments"].as_array().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{g}");
    assert_eq!(files[0]["filename"], "整改台账.pdf");
    // Once verified, the trail is closed.
    let it = services::supervision::get_item(f.app.db(), &Actor::system(), today, *it.id).await.unwrap();
    advance(&f, &it, "verified", today).await;
    assert_eq!(f.app.send(send(&oa, &url)).await.status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn demo_data_has_an_inspection_with_items_in_every_state_and_the_group_dashboard_is_complete() {
    let f = Fixture::new().await;
    let report = dangjian::seed::seed_demo(f.app.db(), &f.app.state.policy.passwords).await.unwrap();
    assert!(report.contains("12 supervision items"), "{report}");
    let again = dangjian::seed::seed_demo(f.app.db(), &f.app.state.policy.passwords).await.unwrap();
    assert!(again.contains("nothing changed"), "{again}");
    let token = f.app.login_full("demo_inspector", dangjian::seed::DEMO_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = f.app.state.settings.today();
    let g = f
        .app
        .gql(
            Some(&token),
            "{ inspections { edges { node { title status organization { name } } } } supervisionItems(first: 50) { totalCount edges { node { status overdue updates { kind } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&g), None, "{g}");
    assert_eq!(g["data"]["inspections"]["edges"][0]["node"]["organization"]["name"], "技术研发中心党总支");
    let items = g["data"]["supervisionItems"]["edges"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    for status in ["OPEN", "RECTIFYING", "SUBMITTED", "VERIFIED"] {
        assert!(items.iter().any(|e| e["node"]["status"] == status), "no {status} item");
    }
    assert!(items.iter().filter(|e| e["node"]["overdue"] == true).count() >= 3);
    assert!(
        items.iter().any(|e| e["node"]["updates"].as_array().unwrap().len() >= 5),
        "verified and rejected items keep their whole trail"
    );

    // The dashboard of the demo group: every figure present.
    let root = entity::organization::Entity::find()
        .filter(entity::organization::Column::Name.eq(dangjian::seed::ROOT_NAME))
        .one(f.app.db())
        .await
        .unwrap()
        .unwrap()
        .id;
    let from = today - Duration::days(365);
    let r =
        ok(&f.app.get(&format!("/api/v1/dashboard?organization_id={root}&from={from}&to={today}"), Some(&token)).await);
    assert!(r["study"]["sessions_held"].as_i64().unwrap() > 0, "{r}");
    assert!(r["study"]["first_topic_sessions_held"].as_i64().unwrap() > 0);
    assert!(r["study"]["attendance_rate"].as_f64().unwrap() > 0.5);
    assert!(r["measures"]["due"].as_i64().unwrap() > 0);
    assert!(r["measures"]["overdue"].as_i64().unwrap() > 0);
    let s = &r["supervision"];
    assert_eq!(s["total"], 12, "{r}");
    assert_eq!(s["status_verified"], 3);
    assert_eq!((s["closed_on_time"].as_i64(), s["closed_late"].as_i64()), (Some(2), Some(1)));
    assert!(s["overdue"].as_i64().unwrap() >= 3);
    // The innovation figures are those of the year the period ends in, as the statistics report them.
    let year = today.year();
    let stats = ok(&f
        .app
        .get(&format!("/api/v1/innovation-statistics?organization_id={root}&year={year}"), Some(&token))
        .await);
    assert_eq!(r["innovation"], stats, "{r}");
    assert!(r["innovation"]["achievements"]["submitted"].as_i64().unwrap() > 0, "{r}");
    let q = "query($o: ID!, $f: NaiveDate!, $t: NaiveDate!) { dashboard(organizationId: $o, from: $f, to: $t) { innovation { year achievements { submitted } awards { total } } } }";
    let g =
        f.app.gql(Some(&token), q, json!({"o": root.to_string(), "f": from.to_string(), "t": today.to_string()})).await;
    let gi = &g["data"]["dashboard"]["innovation"];
    assert_eq!(gi["year"], year, "{g}");
    assert_eq!(gi["achievements"]["submitted"], stats["achievements"]["submitted"]);
    assert_eq!(gi["awards"]["total"], stats["awards"]["total"]);
    let x = f
        .app
        .get(
            &format!("/api/v1/dashboard/export?organization_id={root}&from={from}&to={today}&format=xlsx"),
            Some(&token),
        )
        .await;
    assert_eq!(x.status, StatusCode::OK);
    let (rows, strings) = xlsx_rows(&x.body);
    assert_eq!(rows, 1 + 24 + 21);
    assert!(strings.contains(dangjian::seed::ROOT_NAME));
    // Seeding went through the services: the audit chain verifies.
    let admin = f.app.login_full("demo_admin", dangjian::seed::DEMO_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = ok(&f.app.get("/api/v1/audit-chain/verify", Some(&admin)).await);
    assert_eq!(v["ok"], true, "{v}");
}
