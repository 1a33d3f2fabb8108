//! Committees (党委委员会 / 总支委员会 / 支部委员会): terms and members, 换届 closing the
//! current term, who is in office on a date, the membership rules, authorisation over
//! REST and GraphQL, and batching of `Organization.committee`.

use actix_web::http::StatusCode;
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, gql_code};

fn terms_path(org: Uuid) -> String {
    format!("/api/v1/organizations/{org}/committee-terms")
}

fn committee_path(org: Uuid) -> String {
    format!("/api/v1/organizations/{org}/committee")
}

fn member(person: Uuid, position: &str) -> Value {
    json!({"person_id": person, "position": position})
}

/// Starts a term on `org` as `token`, expecting 201; returns the term.
async fn start(f: &Fixture, token: &str, org: Uuid, started_on: NaiveDate, members: Vec<Value>) -> Value {
    let r = f.app.post(&terms_path(org), Some(token), json!({"started_on": started_on, "members": members})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let t = r.json();
    assert_eq!(r.header("location").unwrap(), format!("/api/v1/committee-terms/{}", t["id"].as_str().unwrap()));
    assert_eq!(r.header("etag").unwrap(), format!("\"v{}\"", t["version"]));
    t
}

fn field(r: &crate::common::Resp) -> String {
    r.json()["errors"][0]["field"].as_str().unwrap_or_default().to_owned()
}

fn member_named<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["person_name"] == name)
        .unwrap_or_else(|| panic!("{name} in {t}"))
}

#[actix_web::test]
async fn a_term_with_members_and_handover_closes_the_previous_term() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = f.app.state.settings.today();
    let first_day = today - Duration::days(400);

    let r = f.app.get(&committee_path(f.b1), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no committee yet");

    let first = start(
        &f,
        &admin,
        f.b1,
        first_day,
        vec![
            member(f.p_member_b1, "organization"),
            member(f.p_orgadmin_b1, "secretary"),
            member(f.p_other_b1, "propaganda"),
        ],
    )
    .await;
    assert_eq!(first["number"], 1);
    assert_eq!(first["current"], true);
    assert!(first["ended_on"].is_null());
    let members = first["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    // Listed by position: the secretary first, with names for the phone.
    assert_eq!(members[0]["position"], "secretary");
    assert_eq!(members[0]["person_name"], "王书记");
    assert!(members.iter().all(|m| m["in_office"] == true && m["from_on"] == first_day.to_string()));

    let r = f.app.get(&committee_path(f.b1), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["id"], first["id"]);

    // 换届: the new term starts ten days ago; the first one ends that day.
    let new_day = today - Duration::days(10);
    let second = start(
        &f,
        &admin,
        f.b1,
        new_day,
        vec![member(f.p_other_b1, "secretary"), member(f.p_member_b1, "deputy_secretary")],
    )
    .await;
    assert_eq!(second["number"], 2);
    assert_eq!(second["current"], true);

    let r = f.app.get(&terms_path(f.b1), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let terms = r.json();
    let terms = terms.as_array().unwrap();
    assert_eq!(terms.len(), 2);
    assert_eq!(terms[0]["id"], second["id"], "newest first");
    assert_eq!(terms[1]["id"], first["id"]);
    assert_eq!(terms[1]["ended_on"], new_day.to_string());
    assert_eq!(terms[1]["current"], false);
    assert_eq!(terms[1]["version"], 2);
    assert!(terms[1]["members"].as_array().unwrap().iter().all(|m| m["in_office"] == false));

    let current = f.app.get(&committee_path(f.b1), Some(&admin)).await.json();
    assert_eq!(current["id"], second["id"]);
    assert_eq!(member_named(&current, "张工")["position"], "secretary");
    assert_eq!(member_named(&current, "李党员")["in_office"], true);

    // A new term must start after the current one and carry a greater number.
    let r = f.app.post(&terms_path(f.b1), Some(&admin), json!({"started_on": new_day})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "started_on");
    let r = f.app.post(&terms_path(f.b1), Some(&admin), json!({"started_on": today, "number": 2})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "number");
    // Nothing changed by the refused attempts.
    assert_eq!(f.app.get(&terms_path(f.b1), Some(&admin)).await.json().as_array().unwrap().len(), 2);

    // Both writes are in the audit trail.
    let r = f.app.get(&format!("/api/v1/audit-events?entity_id={}", first["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let actions: Vec<String> =
        r.json()["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    assert_eq!(actions, ["close", "create"], "newest first");
}

#[actix_web::test]
async fn who_is_in_office_follows_the_dates() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = f.app.state.settings.today();
    let term = start(&f, &admin, f.b1, today - Duration::days(100), vec![member(f.p_orgadmin_b1, "secretary")]).await;
    let term_id = term["id"].as_str().unwrap().to_owned();
    let members_path = format!("/api/v1/committee-terms/{term_id}/members");
    let add = |body: Value| {
        let (app, admin, path) = (&f.app, admin.clone(), members_path.clone());
        async move { app.post(&path, Some(&admin), body).await }
    };
    // Left today (until_on is exclusive), joins in five days, serving now.
    let r = add(json!({"person_id": f.p_member_b1, "position": "organization", "until_on": today})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let left = r.json();
    assert_eq!(left["in_office"], false);
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/v1/committee-terms/{term_id}/members/{}", left["id"].as_str().unwrap())
    );
    let r =
        add(json!({"person_id": f.p_other_b1, "position": "propaganda", "from_on": today + Duration::days(5)})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["in_office"], false);

    let etag_before = f.app.get(&committee_path(f.b1), Some(&admin)).await.header("etag").unwrap();
    let current = f.app.get(&committee_path(f.b1), Some(&admin)).await.json();
    assert_eq!(member_named(&current, "王书记")["in_office"], true);
    assert_eq!(member_named(&current, "李党员")["in_office"], false);
    assert_eq!(member_named(&current, "张工")["in_office"], false);

    // The member comes back (until_on cleared): in office again; the term's ETag moves.
    let member_path = format!("{members_path}/{}", left["id"].as_str().unwrap());
    let r = f.app.patch(&member_path, Some(&admin), Some("\"v1\""), json!({"clear_until_on": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["in_office"], true);
    assert_eq!(r.json()["version"], 2);
    let r = f.app.patch(&member_path, Some(&admin), Some("\"v1\""), json!({"position": "discipline"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "stale version");
    let r = f.app.patch(&member_path, Some(&admin), None, json!({"position": "discipline"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = f.app.get(&committee_path(f.b1), Some(&admin)).await;
    assert_ne!(r.header("etag").unwrap(), etag_before, "the term's version covers its members");
    assert_eq!(member_named(&r.json(), "李党员")["in_office"], true);
    let r = f.app.get(&member_path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("etag").unwrap(), "\"v2\"");
    // The member path must name the member's own term.
    let r = f
        .app
        .get(
            &format!("/api/v1/committee-terms/{}/members/{}", Uuid::now_v7(), left["id"].as_str().unwrap()),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A mistaken entry is removed.
    let r = f.app.delete(&member_path, Some(&admin), Some("\"v2\"")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let current = f.app.get(&committee_path(f.b1), Some(&admin)).await.json();
    assert_eq!(current["members"].as_array().unwrap().len(), 2);
    let r = f.app.get(&member_path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Term patch: planned end and notes, with If-Match.
    let etag = f.app.get(&format!("/api/v1/committee-terms/{term_id}"), Some(&admin)).await.header("etag").unwrap();
    let r = f
        .app
        .patch(
            &format!("/api/v1/committee-terms/{term_id}"),
            Some(&admin),
            Some(&etag),
            json!({"ends_on": today + Duration::days(900), "notes": "党员大会选举"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["notes"], "党员大会选举");
    let r = f
        .app
        .patch(
            &format!("/api/v1/committee-terms/{term_id}"),
            Some(&admin),
            Some(&r.header("etag").unwrap()),
            json!({"ends_on": today - Duration::days(200)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "ends_on");
}

#[actix_web::test]
async fn membership_rules_are_enforced() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let oa = f.token("orgadmin_b1").await;
    let today = f.app.state.settings.today();

    // A party group has no committee.
    let r = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.b1, "name": "攻关党小组", "kind": "group"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let group = r.json()["id"].as_str().unwrap().to_owned();
    let r = f
        .app
        .post(&format!("/api/v1/organizations/{group}/committee-terms"), Some(&admin), json!({"started_on": today}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "organization_id");

    // The same person twice, two secretaries: refused naming the member.
    let r = f
        .app
        .post(
            &terms_path(f.b1),
            Some(&oa),
            json!({"started_on": today, "members": [member(f.p_member_b1, "secretary"), member(f.p_member_b1, "propaganda")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "members[1].person_id");
    let r = f
        .app
        .post(
            &terms_path(f.b1),
            Some(&oa),
            json!({"started_on": today, "members": [member(f.p_member_b1, "secretary"), member(f.p_other_b1, "secretary")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "members[1].position");
    let r = f.app.get(&committee_path(f.b1), Some(&oa)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a refused term leaves nothing behind");

    let start_day = today - Duration::days(30);
    let term = start(&f, &oa, f.b1, start_day, vec![member(f.p_orgadmin_b1, "secretary")]).await;
    let members_path = format!("/api/v1/committee-terms/{}/members", term["id"].as_str().unwrap());
    let r = f.app.post(&members_path, Some(&oa), member(f.p_member_b1, "secretary")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "position");
    let r = f.app.post(&members_path, Some(&oa), member(f.p_orgadmin_b1, "member")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "person_id");
    let r = f
        .app
        .post(
            &members_path,
            Some(&oa),
            json!({"person_id": f.p_member_b1, "position": "youth", "from_on": start_day - Duration::days(1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "from_on");
    // A person outside the writer's scope (b3) is refused like a missing one.
    let r = f.app.post(&members_path, Some(&oa), member(f.p_b3, "member")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "person_id");
    let r = f.app.post(&members_path, Some(&oa), member(Uuid::now_v7(), "member")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(field(&r), "person_id");

    // After the secretary leaves, a new secretary may follow from that day; the
    // former secretary may stay on as a plain member from then on.
    let secretary = &term["members"][0];
    let r = f
        .app
        .patch(
            &format!("{members_path}/{}", secretary["id"].as_str().unwrap()),
            Some(&oa),
            Some("\"v1\""),
            json!({"until_on": today}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f
        .app
        .post(&members_path, Some(&oa), json!({"person_id": f.p_member_b1, "position": "secretary", "from_on": today}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f
        .app
        .post(&members_path, Some(&oa), json!({"person_id": f.p_orgadmin_b1, "position": "member", "from_on": today}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let current = f.app.get(&committee_path(f.b1), Some(&oa)).await.json();
    let in_office: Vec<&str> = current["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["in_office"] == true)
        .map(|m| m["person_name"].as_str().unwrap())
        .collect();
    assert_eq!(in_office, ["李党员", "王书记"], "{current}");
}

#[actix_web::test]
async fn reads_follow_the_organisation_and_writes_need_its_management() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let member_tok = f.token("member_b1").await;
    let oa_b2 = f.token("orgadmin_b2").await;
    let today = f.app.state.settings.today();
    let term = start(&f, &admin, f.b1, today - Duration::days(5), vec![member(f.p_orgadmin_b1, "secretary")]).await;
    let term_path = format!("/api/v1/committee-terms/{}", term["id"].as_str().unwrap());
    let member_id = term["members"][0]["id"].as_str().unwrap().to_owned();
    let member_path = format!("{term_path}/members/{member_id}");

    // A member reads their own organisation's committee, and cannot change it.
    let r = f.app.get(&committee_path(f.b1), Some(&member_tok)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["members"][0]["person_name"], "王书记");
    assert_eq!(f.app.get(&term_path, Some(&member_tok)).await.status, StatusCode::OK);
    let r = f.app.post(&terms_path(f.b1), Some(&member_tok), json!({"started_on": today})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = f.app.patch(&term_path, Some(&member_tok), Some("\"v1\""), json!({"notes": "x"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = f.app.post(&format!("{term_path}/members"), Some(&member_tok), member(f.p_other_b1, "member")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = f.app.delete(&member_path, Some(&member_tok), Some("\"v1\"")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // ... but not another branch's.
    assert_eq!(f.app.get(&committee_path(f.b3), Some(&member_tok)).await.status, StatusCode::NOT_FOUND);

    // The org_admin of another subtree: exactly like a missing id.
    let missing_org = Uuid::now_v7();
    let missing_term = format!("/api/v1/committee-terms/{}", Uuid::now_v7());
    let pairs = [
        (
            f.app.get(&committee_path(f.b1), Some(&oa_b2)).await,
            f.app.get(&committee_path(missing_org), Some(&oa_b2)).await,
        ),
        (f.app.get(&terms_path(f.b1), Some(&oa_b2)).await, f.app.get(&terms_path(missing_org), Some(&oa_b2)).await),
        (
            f.app.post(&terms_path(f.b1), Some(&oa_b2), json!({"started_on": today})).await,
            f.app.post(&terms_path(missing_org), Some(&oa_b2), json!({"started_on": today})).await,
        ),
        (f.app.get(&term_path, Some(&oa_b2)).await, f.app.get(&missing_term, Some(&oa_b2)).await),
        (
            f.app.patch(&term_path, Some(&oa_b2), Some("\"v1\""), json!({"notes": "x"})).await,
            f.app.patch(&missing_term, Some(&oa_b2), Some("\"v1\""), json!({"notes": "x"})).await,
        ),
        (
            f.app.post(&format!("{term_path}/members"), Some(&oa_b2), member(f.p_b2, "member")).await,
            f.app.post(&format!("{missing_term}/members"), Some(&oa_b2), member(f.p_b2, "member")).await,
        ),
        (
            f.app.delete(&member_path, Some(&oa_b2), Some("\"v1\"")).await,
            f.app.delete(&format!("{term_path}/members/{}", Uuid::now_v7()), Some(&oa_b2), Some("\"v1\"")).await,
        ),
    ];
    for (i, (hidden, missing)) in pairs.iter().enumerate() {
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "#{i}: {}", hidden.text());
        assert_eq!(hidden.body, missing.body, "#{i}");
    }
    // Nothing was changed by the refused writes.
    let t = f.app.get(&term_path, Some(&admin)).await.json();
    assert_eq!(t["version"], 1);
    assert!(t["notes"].is_null());

    // GraphQL answers the same way.
    let q = "query($id: ID!) { committeeTerm(id: $id) { number } }";
    let v = f.app.gql(Some(&oa_b2), q, json!({"id": term["id"]})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"), "{v}");
    let v = f.app.gql(Some(&member_tok), q, json!({"id": term["id"]})).await;
    assert!(v["errors"].is_null(), "{v}");
    let m = "mutation($org: ID!, $d: NaiveDate!) { startCommitteeTerm(organizationId: $org, input: {startedOn: $d}) { id } }";
    let v = f.app.gql(Some(&member_tok), m, json!({"org": f.b1, "d": today})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"), "{v}");
    let v = f.app.gql(Some(&oa_b2), m, json!({"org": f.b1, "d": today})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"), "{v}");
    // The b1 org_admin manages it.
    let oa_b1 = f.token("orgadmin_b1").await;
    let r = f.app.post(&format!("{term_path}/members"), Some(&oa_b1), member(f.p_other_b1, "organization")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

#[actix_web::test]
async fn graphql_reads_and_writes_committees() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let member_tok = f.token("member_b1").await;
    let today = f.app.state.settings.today();

    let start = r#"mutation($org: ID!, $input: StartCommitteeTermInput!) {
        startCommitteeTerm(organizationId: $org, input: $input) { id number current version members { id position personName } } }"#;
    let v = f
        .app
        .gql(
            Some(&oa),
            start,
            json!({"org": f.b1, "input": {"startedOn": today - Duration::days(3), "members": [
                {"personId": f.p_orgadmin_b1, "position": "SECRETARY"},
                {"personId": f.p_member_b1, "position": "ORGANIZATION"}]}}),
        )
        .await;
    assert!(v["errors"].is_null(), "{v}");
    let term = &v["data"]["startCommitteeTerm"];
    assert_eq!(term["number"], 1);
    let term_id = term["id"].as_str().unwrap().to_owned();

    let add = r#"mutation($t: ID!, $input: AddCommitteeMemberInput!) { addCommitteeMember(termId: $t, input: $input) { id version position inOffice } }"#;
    let v = f
        .app
        .gql(Some(&oa), add, json!({"t": term_id, "input": {"personId": f.p_other_b1, "position": "PROPAGANDA"}}))
        .await;
    assert!(v["errors"].is_null(), "{v}");
    let added = v["data"]["addCommitteeMember"].clone();
    assert_eq!(added["inOffice"], true);
    let v = f
        .app
        .gql(Some(&oa), add, json!({"t": term_id, "input": {"personId": f.p_other_b1, "position": "SECRETARY"}}))
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");

    let update = r#"mutation($id: ID!, $v: Int!) { updateCommitteeMember(id: $id, expectedVersion: $v, input: {position: DISCIPLINE}) { position version } }"#;
    let v = f.app.gql(Some(&oa), update, json!({"id": added["id"], "v": 1})).await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["data"]["updateCommitteeMember"]["position"], "DISCIPLINE");
    let v = f.app.gql(Some(&oa), update, json!({"id": added["id"], "v": 1})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"), "stale version: {v}");

    let term_update = r#"mutation($id: ID!, $v: Int!) { updateCommitteeTerm(id: $id, expectedVersion: $v, input: {notes: "换届选举"}) { notes version } }"#;
    let v = f.app.gql(Some(&oa), term_update, json!({"id": term_id, "v": 1})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"), "member changes bump the term: {v}");
    let v = f.app.gql(Some(&oa), term_update, json!({"id": term_id, "v": 3})).await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["data"]["updateCommitteeTerm"]["notes"], "换届选举");

    // What the phone asks: the committee of the member's own branch, with names.
    let q = r#"query($id: ID!) { organization(id: $id) {
        committee { number current organization { name } members { position inOffice person { name } } }
        committeeTerms { number current } } }"#;
    let v = f.app.gql(Some(&member_tok), q, json!({"id": f.b1})).await;
    assert!(v["errors"].is_null(), "{v}");
    let org = &v["data"]["organization"];
    assert_eq!(org["committee"]["organization"]["name"], "研发一支部");
    let members = org["committee"]["members"].as_array().unwrap();
    let names: Vec<(&str, &str)> =
        members.iter().map(|m| (m["position"].as_str().unwrap(), m["person"]["name"].as_str().unwrap())).collect();
    assert_eq!(names, [("SECRETARY", "王书记"), ("ORGANIZATION", "李党员"), ("DISCIPLINE", "张工")]);
    assert_eq!(org["committeeTerms"].as_array().unwrap().len(), 1);

    let remove = r#"mutation($id: ID!, $v: Int!) { removeCommitteeMember(id: $id, expectedVersion: $v) }"#;
    let v = f.app.gql(Some(&oa), remove, json!({"id": added["id"], "v": 2})).await;
    assert!(v["errors"].is_null(), "{v}");
    let v = f.app.gql(Some(&member_tok), q, json!({"id": f.b1})).await;
    assert_eq!(v["data"]["organization"]["committee"]["members"].as_array().unwrap().len(), 2);

    // Outside the member's scope: NOT_FOUND, as for the organisation itself.
    let v = f
        .app
        .gql(Some(&member_tok), "query($id: ID!) { organization(id: $id) { committee { id } } }", json!({"id": f.b3}))
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"), "{v}");
}

#[actix_web::test]
async fn committees_of_a_list_of_organisations_cost_constant_statements() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = f.app.state.settings.today();
    let people = [f.p_orgadmin_b1, f.p_member_b1, f.p_other_b1, f.p_b2, f.p_b3];
    for (i, org) in [f.root, f.gb, f.b1, f.b2, f.b3].into_iter().enumerate() {
        let first = people[i];
        let second = people[(i + 1) % people.len()];
        start(&f, &admin, org, today - Duration::days(20), vec![member(first, "secretary"), member(second, "member")])
            .await;
        start(&f, &admin, org, today - Duration::days(10), vec![member(second, "secretary"), member(first, "member")])
            .await;
    }
    let q = r#"query($n: Int!) { organizations(first: $n) { edges { node { name
        committee { number members { position person { name } } }
        committeeTerms { number members { personName } } } } } }"#;
    let mut counts = Vec::new();
    for n in [2, 5] {
        f.app.reset_statements();
        let v = f.app.gql(Some(&admin), q, json!({"n": n})).await;
        assert!(v["errors"].is_null(), "{v}");
        let edges = v["data"]["organizations"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n);
        for e in edges {
            assert_eq!(e["node"]["committee"]["number"], 2, "{e}");
            assert_eq!(e["node"]["committee"]["members"][0]["position"], "SECRETARY");
            assert!(e["node"]["committee"]["members"][0]["person"]["name"].is_string());
            assert_eq!(e["node"]["committeeTerms"].as_array().unwrap().len(), 2);
        }
        counts.push(f.app.statement_count());
    }
    assert_eq!(counts[0], counts[1], "statements for 2 and 5 organisations: {counts:?}");
}

#[actix_web::test]
async fn the_demo_gives_every_committee_and_branch_a_committee_in_office() {
    let app = crate::common::TestApp::empty().await;
    dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    let admin = app.login_full("demo_admin", dangjian::seed::DEMO_PASSWORD).await;
    let q = r#"{ organizations(first: 100) { edges { node { name kind parentId
        committee { number current members { position inOffice person { name organization { name } } } }
        committeeTerms { number current } } } } }"#;
    let v = app.gql(admin["access_token"].as_str(), q, json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    let mut with_committee = 0;
    for e in v["data"]["organizations"]["edges"].as_array().unwrap() {
        let node = &e["node"];
        if node["kind"] == "GROUP" {
            assert!(node["committee"].is_null(), "{node}");
            continue;
        }
        with_committee += 1;
        let members = node["committee"]["members"].as_array().unwrap_or_else(|| panic!("{node}"));
        assert_eq!(members[0]["position"], "SECRETARY", "{node}");
        assert!(members.len() >= 3, "{node}");
        assert!(members.iter().all(|m| m["inOffice"] == true && m["person"]["name"].is_string()), "{node}");
        let terms = node["committeeTerms"].as_array().unwrap().len();
        assert_eq!(terms, if node["parentId"].is_null() { 2 } else { 1 }, "{node}");
        // A branch's committee is drawn from its own people.
        if node["kind"] == "BRANCH" {
            assert_eq!(members[0]["person"]["organization"]["name"], node["name"], "{node}");
        }
    }
    assert_eq!(with_committee, 15, "every committee, general branch and branch of the tree");
    // The demo member reads their branch's committee.
    let m = app.login_full("demo_member", dangjian::seed::DEMO_PASSWORD).await;
    let v = app
        .gql(
            m["access_token"].as_str(),
            "{ me { person { organization { committee { members { person { name } } } } } } }",
            json!({}),
        )
        .await;
    assert!(v["errors"].is_null(), "{v}");
}
