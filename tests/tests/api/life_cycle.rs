//! A person's life cycle: the dated party-status history (recorded on create and on
//! every change, with its date and order rules), departures (hidden from lists, still
//! readable, reversible, never a delete), their authorisation, and past attendance that
//! outlives a departure.

use actix_web::{http::StatusCode, test};
use chrono::{Duration, NaiveDate, Utc};
use dangjian::services::study::{SessionKind, SessionStatus};
use serde_json::{Value, json};

use crate::common::{Fixture, Resp, TestApp, gql_code};
use crate::study::{session, set_status};

/// A POST with an optional If-Match.
async fn post_if(app: &TestApp, path: &str, token: &str, etag: Option<&str>, body: Value) -> Resp {
    let mut req =
        test::TestRequest::post().uri(path).insert_header(("Authorization", format!("Bearer {token}"))).set_json(body);
    if let Some(tag) = etag {
        req = req.insert_header(("If-Match", tag));
    }
    app.send(req).await
}

fn today(f: &Fixture) -> NaiveDate {
    f.app.state.settings.today()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The ids of the people a list answer holds.
fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
}

/// Every page of `GET /people` with the given extra query (`&...`).
async fn all_people(f: &Fixture, token: &str, query: &str) -> Vec<String> {
    let r = f.app.get(&format!("/api/v1/people?limit=100{query}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    ids(&r.json())
}

fn history_statuses(h: &Value) -> Vec<String> {
    h.as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn history_is_recorded_on_create_and_on_every_change() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = today(&f);

    // Created with a status: the first entry, effective today (no joined date).
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "刘积极", "employee_no": "L001", "party_status": "activist"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/people/{id}");
    let hist = f.app.get(&format!("{path}/party-status-history"), Some(&admin)).await;
    assert_eq!(hist.status, StatusCode::OK, "{}", hist.text());
    let h = hist.json();
    assert_eq!(history_statuses(&h), ["activist"]);
    assert_eq!(h[0]["effective_on"], day(today));
    assert!(h[0]["previous_status"].is_null());

    // A probationary member with a joined date: the entry is effective on that date.
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "预备甲", "employee_no": "L002", "party_status": "probationary", "joined_party_on": "2025-07-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let h = f
        .app
        .get(&format!("/api/v1/people/{}/party-status-history", r.json()["id"].as_str().unwrap()), Some(&admin))
        .await
        .json();
    assert_eq!(h[0]["effective_on"], "2025-07-01");
    // Without a status there is no history; a joined date in the future is refused.
    let r = f
        .app
        .post("/api/v1/people", Some(&admin), json!({"organization_id": f.b1, "name": "群众乙", "employee_no": "L003"}))
        .await;
    let h = f
        .app
        .get(&format!("/api/v1/people/{}/party-status-history", r.json()["id"].as_str().unwrap()), Some(&admin))
        .await
        .json();
    assert_eq!(h.as_array().unwrap().len(), 0);
    let tomorrow = day(today + Duration::days(1));
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "未来", "employee_no": "L004", "party_status": "full", "joined_party_on": tomorrow}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "joined_party_on");

    // The people update takes the next step (effective today) but no other.
    let tag = f.etag(&path).await;
    let r = f.app.patch(&path, Some(&admin), Some(&tag), json!({"party_status": "full"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "party_status");
    let r = f.app.patch(&path, Some(&admin), Some(&tag), json!({"party_status": "candidate"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["party_status"], "candidate");
    let h = f.app.get(&format!("{path}/party-status-history"), Some(&admin)).await.json();
    assert_eq!(history_statuses(&h), ["activist", "candidate"]);
    assert_eq!(h[1]["previous_status"], "activist");
    assert_eq!(h[1]["is_correction"], false);

    // The dedicated operation: If-Match required; dates not in the future.
    let ps = format!("{path}/party-status");
    let r = post_if(&f.app, &ps, &admin, None, json!({"status": "probationary"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    let tag = f.etag(&path).await;
    let r = post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "probationary", "effective_on": tomorrow})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "effective_on");
    // Not before the latest entry (today's candidate step).
    let yesterday = day(today - Duration::days(1));
    let r =
        post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "probationary", "effective_on": yesterday})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "effective_on");
    // The same status again is not a change.
    let r = post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "candidate"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "status");
    // Becoming probationary sets the joined date.
    let r =
        post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "probationary", "effective_on": day(today)})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["party_status"], "probationary");
    assert_eq!(r.json()["joined_party_on"], day(today));
    let tag = r.header("etag").unwrap();
    // A correction (going back) needs a note.
    let r = post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "activist"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "note");
    let r = post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "activist", "note": "登记有误，更正"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["party_status"], "activist");
    // A stale version is refused.
    let r = post_if(&f.app, &ps, &admin, Some(&tag), json!({"status": "candidate"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text());

    // GraphQL: the same history, oldest first.
    let g = f
        .app
        .gql(
            Some(&admin),
            "query($id: ID!) { person(id: $id) { partyStatus partyStatusHistory { status previousStatus effectiveOn note isCorrection } } }",
            json!({"id": id}),
        )
        .await;
    let p = &g["data"]["person"];
    assert_eq!(p["partyStatus"], "ACTIVIST", "{g}");
    let h = p["partyStatusHistory"].as_array().unwrap();
    let statuses: Vec<&str> = h.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ACTIVIST", "CANDIDATE", "PROBATIONARY", "ACTIVIST"]);
    assert_eq!(h[3]["isCorrection"], true);
    assert_eq!(h[3]["note"], "登记有误，更正");
    assert_eq!(h[3]["previousStatus"], "PROBATIONARY");

    // GraphQL changePartyStatus validates the same way.
    let v = f.version(&path).await;
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $v: Int!) { changePartyStatus(id: $id, expectedVersion: $v, input: {status: FULL}) { partyStatus } }",
            json!({"id": id, "v": v}),
        )
        .await;
    assert_eq!(gql_code(&g).as_deref(), Some("VALIDATION"), "{g}");
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $v: Int!) { changePartyStatus(id: $id, expectedVersion: $v, input: {status: CANDIDATE}) { partyStatus partyStatusHistory { status } } }",
            json!({"id": id, "v": v}),
        )
        .await;
    assert_eq!(g["data"]["changePartyStatus"]["partyStatus"], "CANDIDATE", "{g}");
    assert_eq!(g["data"]["changePartyStatus"]["partyStatusHistory"].as_array().unwrap().len(), 5);
}

#[actix_web::test]
async fn a_departure_hides_from_lists_but_not_from_the_single_read() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = today(&f);
    let path = format!("/api/v1/people/{}", f.p_other_b1);
    let pid = f.p_other_b1.to_string();
    assert!(all_people(&f, &admin, "").await.contains(&pid));

    // People are never deleted.
    let r = f.app.delete(&path, Some(&admin), Some("\"v1\"")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text());

    // Validation: a date in the future, an unknown kind, If-Match required.
    let dep = format!("{path}/departure");
    let tag = f.etag(&path).await;
    let r = post_if(&f.app, &dep, &admin, None, json!({"kind": "retired"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    let tomorrow = day(today + Duration::days(1));
    let r = post_if(&f.app, &dep, &admin, Some(&tag), json!({"kind": "retired", "left_on": tomorrow})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "left_on");
    let r = post_if(&f.app, &dep, &admin, Some(&tag), json!({"kind": "fired"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());

    let left_on = day(today - Duration::days(3));
    let r =
        post_if(&f.app, &dep, &admin, Some(&tag), json!({"kind": "retired", "left_on": left_on, "reason": "到龄退休"}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    assert_eq!(p["ended"], true);
    assert_eq!(p["left_on"], left_on);
    assert_eq!(p["departure_kind"], "retired");
    assert_eq!(p["departure_reason"], "到龄退休");
    let tag = r.header("etag").unwrap();

    // Lists skip the person unless asked; the single read still finds them.
    assert!(!all_people(&f, &admin, "").await.contains(&pid));
    assert!(!all_people(&f, &admin, &format!("&organization_id={}", f.b1)).await.contains(&pid));
    assert!(all_people(&f, &admin, "&include_ended=true").await.contains(&pid));
    assert!(!all_people(&f, &admin, "&include_ended=false").await.contains(&pid));
    let r = f.app.get(&path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["ended"], true);
    let oa = f.token("orgadmin_b1").await;
    assert_eq!(f.app.get(&path, Some(&oa)).await.status, StatusCode::OK);

    // GraphQL: the list filter and the fields.
    let q = "query($org: ID!, $all: Boolean!) { people(organizationId: $org, includeEnded: $all, first: 100) { totalCount edges { node { id } } } }";
    let without = f.app.gql(Some(&admin), q, json!({"org": f.b1.to_string(), "all": false})).await;
    let with = f.app.gql(Some(&admin), q, json!({"org": f.b1.to_string(), "all": true})).await;
    let count = |v: &Value| v["data"]["people"]["totalCount"].as_i64().unwrap();
    assert_eq!(count(&with), count(&without) + 1, "{without} {with}");
    assert!(!without.to_string().contains(&pid));
    let g = f
        .app
        .gql(
            Some(&admin),
            "query($id: ID!) { person(id: $id) { ended leftOn departureKind departureReason } }",
            json!({"id": pid}),
        )
        .await;
    assert_eq!(
        g["data"]["person"],
        json!({"ended": true, "leftOn": left_on, "departureKind": "RETIRED", "departureReason": "到龄退休"})
    );

    // An ended person does not leave twice, change status or move until reinstated.
    let r = post_if(&f.app, &dep, &admin, Some(&tag), json!({"kind": "deceased"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = f.app.patch(&path, Some(&admin), Some(&tag), json!({"party_status": "applicant"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r =
        post_if(&f.app, &format!("{path}/party-status"), &admin, Some(&tag), json!({"status": "none", "note": "x"}))
            .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = post_if(&f.app, &format!("{path}/transfer"), &admin, Some(&tag), json!({"to_organization_id": f.b2})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // Contact data may still be corrected.
    let r = f.app.patch(&path, Some(&admin), Some(&tag), json!({"phone": "13900000000"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let tag = r.header("etag").unwrap();

    // Reinstatement undoes it (once).
    let r = f.app.delete(&dep, Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    let r = f.app.delete(&dep, Some(&admin), Some(&tag)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    assert_eq!(p["ended"], false);
    assert!(p["left_on"].is_null() && p["departure_kind"].is_null() && p["departure_reason"].is_null());
    assert!(all_people(&f, &admin, "").await.contains(&pid));
    let tag = r.header("etag").unwrap();
    let r = f.app.delete(&dep, Some(&admin), Some(&tag)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    // The same through GraphQL.
    let v = f.version(&path).await;
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $v: Int!) { recordDeparture(id: $id, expectedVersion: $v, input: {kind: TRANSFERRED_OUT, reason: \"调往外单位\"}) { ended leftOn departureKind version } }",
            json!({"id": pid, "v": v}),
        )
        .await;
    let p = &g["data"]["recordDeparture"];
    assert_eq!(p["ended"], true, "{g}");
    assert_eq!(p["leftOn"], day(today));
    assert_eq!(p["departureKind"], "TRANSFERRED_OUT");
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $v: Int!) { reinstatePerson(id: $id, expectedVersion: $v) { ended departureKind } }",
            json!({"id": pid, "v": p["version"]}),
        )
        .await;
    assert_eq!(g["data"]["reinstatePerson"], json!({"ended": false, "departureKind": null}), "{g}");
}

#[actix_web::test]
async fn only_managers_in_scope_record_departures() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let oa_b2 = f.token("orgadmin_b2").await;
    let oa_b1 = f.token("orgadmin_b1").await;
    let path = format!("/api/v1/people/{}", f.p_other_b1);
    let dep = format!("{path}/departure");
    let tag = f.etag(&path).await;
    let body = json!({"kind": "resigned"});

    // A member may not; an org_admin of another subtree does not see the person.
    let r = post_if(&f.app, &dep, &member, Some(&tag), body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = post_if(&f.app, &dep, &oa_b2, Some(&tag), body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r =
        post_if(&f.app, &format!("{path}/party-status"), &member, Some(&tag), json!({"status": "none", "note": "x"}))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r =
        post_if(&f.app, &format!("{path}/party-status"), &oa_b2, Some(&tag), json!({"status": "none", "note": "x"}))
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(f.app.get(&format!("{path}/party-status-history"), Some(&oa_b2)).await.status, StatusCode::NOT_FOUND);
    let m = "mutation($id: ID!) { recordDeparture(id: $id, expectedVersion: 1, input: {kind: RESIGNED}) { ended } }";
    let g = f.app.gql(Some(&member), m, json!({"id": f.p_other_b1.to_string()})).await;
    assert_eq!(gql_code(&g).as_deref(), Some("FORBIDDEN"), "{g}");
    let g = f.app.gql(Some(&oa_b2), m, json!({"id": f.p_other_b1.to_string()})).await;
    assert_eq!(gql_code(&g).as_deref(), Some("NOT_FOUND"), "{g}");
    let g = f
        .app
        .gql(
            Some(&oa_b2),
            "mutation($id: ID!) { reinstatePerson(id: $id, expectedVersion: 1) { ended } }",
            json!({"id": f.p_other_b1.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&g).as_deref(), Some("NOT_FOUND"), "{g}");

    // The org_admin of the person's organisation may, and the member still reads the history.
    let r = post_if(&f.app, &dep, &oa_b1, Some(&tag), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f.app.delete(&dep, Some(&member), Some(&r.header("etag").unwrap())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let own = format!("/api/v1/people/{}/party-status-history", f.p_member_b1);
    let r = f.app.get(&own, Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(history_statuses(&r.json()), ["full"]);
}

#[actix_web::test]
async fn past_attendance_outlives_a_departure() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let s = session(&f, f.b1, SessionKind::BranchGeneralMeeting, Utc::now() - Duration::hours(2), None).await;
    let mark = format!("/api/v1/study-sessions/{}/attendance/{}", s.id, f.p_other_b1);
    let r = test::TestRequest::put()
        .uri(&mark)
        .insert_header(("Authorization", format!("Bearer {admin}")))
        .insert_header(("If-Match", "\"v1\""))
        .set_json(json!({"status": "present"}));
    let r = f.app.send(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    set_status(&f, &s, SessionStatus::Held).await;

    let path = format!("/api/v1/people/{}", f.p_other_b1);
    let tag = f.etag(&path).await;
    let r = post_if(&f.app, &format!("{path}/departure"), &admin, Some(&tag), json!({"kind": "transferred_out"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let roster = f.app.get(&format!("/api/v1/study-sessions/{}/attendance", s.id), Some(&admin)).await;
    assert_eq!(roster.status, StatusCode::OK, "{}", roster.text());
    let roster = roster.json();
    let entry = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["person_id"] == f.p_other_b1.to_string())
        .unwrap_or_else(|| panic!("the departed person's attendance is gone: {roster}"));
    assert_eq!(entry["status"], "present");
    // The session's attendance figures still count them.
    let g = f
        .app
        .gql(
            Some(&admin),
            "query($id: ID!) { studySession(id: $id) { attendance { person { ended } status } } }",
            json!({"id": s.id.to_string()}),
        )
        .await;
    let rows = g["data"]["studySession"]["attendance"].as_array().cloned().unwrap_or_default();
    assert!(rows.iter().any(|a| a["person"]["ended"] == true && a["status"] == "PRESENT"), "{g}");
}

#[actix_web::test]
async fn demo_histories_are_believable_and_two_people_leave() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = today(&f);
    let sys = dangjian::auth::Actor::system();
    let report = dangjian::services::people::seed_demo(f.app.db(), &sys, today).await.unwrap();
    assert!(report.contains("2 departures"), "{report}");
    let h = f.app.get(&format!("/api/v1/people/{}/party-status-history", f.p_member_b1), Some(&admin)).await.json();
    assert_eq!(history_statuses(&h), ["applicant", "activist", "candidate", "probationary", "full"]);
    let dates: Vec<&str> = h.as_array().unwrap().iter().map(|e| e["effective_on"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    assert_eq!(h[4]["previous_status"], "probationary");
    // The ones who left hold no login; the fixture's logins stay active.
    let all = all_people(&f, &admin, "&include_ended=true").await;
    let active = all_people(&f, &admin, "").await;
    assert_eq!(all.len() - active.len(), 2);
    assert!(active.contains(&f.p_member_b1.to_string()));
    // A second run changes nothing.
    let again = dangjian::services::people::seed_demo(f.app.db(), &sys, today).await.unwrap();
    assert_eq!(again, "0 party-status histories, 0 departures");
}

#[actix_web::test]
async fn the_migration_gives_existing_members_a_first_entry() {
    use migration::MigratorTrait;
    use migration::{Expr, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let db = f.app.db();
    // Roll back to before the life cycle, give a person a joined date, and upgrade again.
    let all = migration::Migrator::migrations();
    let mine = all.iter().position(|m| m.name() == "m20261130_000003_person_life_cycle").unwrap();
    migration::Migrator::down(db, Some((all.len() - mine) as u32)).await.unwrap();
    let joined = NaiveDate::from_ymd_opt(2001, 7, 1).unwrap();
    let update = Query::update()
        .table("person")
        .value("joined_party_on", joined)
        .and_where(Expr::col("id").eq(f.p_b2))
        .to_owned();
    db.execute(&update).await.unwrap();
    migration::Migrator::up(db, None).await.unwrap();
    let h = f.app.get(&format!("/api/v1/people/{}/party-status-history", f.p_b2), Some(&admin)).await.json();
    assert_eq!(history_statuses(&h), ["full"], "{h}");
    assert_eq!(h[0]["effective_on"], "2001-07-01");
    assert_eq!(h[0]["id"], f.p_b2.to_string());
    let h = f.app.get(&format!("/api/v1/people/{}/party-status-history", f.p_b3), Some(&admin)).await.json();
    assert_eq!(history_statuses(&h), ["full"], "{h}");
    let created = f.app.get(&format!("/api/v1/people/{}", f.p_b3), Some(&admin)).await.json()["created_at"].clone();
    assert_eq!(
        h[0]["effective_on"].as_str().unwrap(),
        &created.as_str().unwrap()[..10],
        "the day it was created (UTC)"
    );
}
