//! What an integrator (an HR system with a `client_credentials` client) does: writes
//! people with `people:write` (upsert by employee number, transfers, departures), and
//! what the other client scopes open.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::common::{Fixture, Resp, TestApp, gql_code};

/// `PUT /api/v1/people/by-employee-no/{no}` with an optional `If-Match`.
async fn put_person(app: &TestApp, token: &str, no: &str, if_match: Option<&str>, body: Value) -> Resp {
    let mut req = TestRequest::put()
        .uri(&format!("/api/v1/people/by-employee-no/{no}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .set_json(body);
    if let Some(tag) = if_match {
        req = req.insert_header(("If-Match", tag));
    }
    app.send(req).await
}

#[actix_web::test]
async fn a_people_write_client_upserts_by_employee_number_inside_its_subtree_only() {
    let f = Fixture::new().await;
    let writer = f.client_token("writer", &["people:write"], f.gb).await;
    let reader = f.token("hr").await;

    // A new number creates the person: 201 with Location and ETag.
    let r = put_person(&f.app, &writer, "HR-9001", None, json!({"organization_id": f.b1, "name": "新员工"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.header("location").as_deref(), Some(format!("/api/v1/people/{id}").as_str()));
    assert_eq!(r.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(r.json()["employee_no"], "HR-9001");

    // The same number again updates them; what is left out keeps its value.
    let body = json!({"organization_id": f.b1, "name": "新员工", "position": "工程师", "is_tech_backbone": true});
    let r = put_person(&f.app, &writer, "HR-9001", None, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["id"], id.as_str());
    assert_eq!(r.json()["version"], 2);
    assert_eq!(r.json()["position"], "工程师");
    assert_eq!(r.json()["is_tech_backbone"], true);
    // Sending the same state again changes nothing (no new version).
    let r = put_person(&f.app, &writer, "HR-9001", None, body.clone()).await;
    assert_eq!(r.json()["version"], 2, "{}", r.text());
    // A stale If-Match is refused; the current one applies.
    let r =
        put_person(&f.app, &writer, "HR-9001", Some("\"v1\""), json!({"organization_id": f.b1, "name": "改名"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text());
    let r =
        put_person(&f.app, &writer, "HR-9001", Some("\"v2\""), json!({"organization_id": f.b1, "name": "改名"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["name"], "改名");
    // If-Match for a number nobody holds is stale too: nothing is created.
    let r =
        put_person(&f.app, &writer, "HR-9002", Some("\"v1\""), json!({"organization_id": f.b1, "name": "甲"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text());

    // Moving someone is a transfer, not an upsert.
    let r = put_person(&f.app, &writer, "HR-9001", None, json!({"organization_id": f.b2, "name": "改名"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("transfer"), "{}", r.text());

    // A number held outside the client's subtree (E005, branch b3) is taken, and whose it
    // is stays unsaid; an organisation outside it is not found, as in a create.
    let r = put_person(&f.app, &writer, "E005", None, json!({"organization_id": f.b1, "name": "钱主任"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(!r.text().contains(&f.p_b3.to_string()), "{}", r.text());
    let r = put_person(&f.app, &writer, "HR-9003", None, json!({"organization_id": f.b3, "name": "乙"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // Validation names the field.
    let r = put_person(&f.app, &writer, "HR-9004", None, json!({"organization_id": f.b1, "name": " "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("name"), "{}", r.text());

    // A client without `people:write` may not, over either transport.
    let r = put_person(&f.app, &reader, "HR-9005", None, json!({"organization_id": f.b1, "name": "丙"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let q = "mutation($o: ID!) { upsertPerson(employeeNo: \"HR-9005\", input: {organizationId: $o, name: \"丙\"}) { created person { id } } }";
    let v = f.app.gql(Some(&reader), q, json!({"o": f.b1})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"), "{v}");
    let v = f.app.gql(Some(&writer), q, json!({"o": f.b1})).await;
    assert_eq!(v["data"]["upsertPerson"]["created"], true, "{v}");
    let v = f.app.gql(Some(&writer), q, json!({"o": f.b1})).await;
    assert_eq!(v["data"]["upsertPerson"]["created"], false, "{v}");

    // The writer records transfers and departures inside its subtree; the audit trail
    // names the client.
    let path = format!("/api/v1/people/{id}");
    let tag = f.etag(&path).await;
    let r = f
        .app
        .send(
            TestRequest::post()
                .uri(&format!("{path}/transfer"))
                .insert_header(("Authorization", format!("Bearer {writer}")))
                .insert_header(("If-Match", tag.as_str()))
                .set_json(json!({"to_organization_id": f.b2, "reason": "调岗"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let tag = f.etag(&path).await;
    let r = f
        .app
        .send(
            TestRequest::post()
                .uri(&format!("{path}/departure"))
                .insert_header(("Authorization", format!("Bearer {writer}")))
                .insert_header(("If-Match", tag.as_str()))
                .set_json(json!({"kind": "resigned"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let admin = f.token("admin").await;
    let trail = f.app.get(&format!("/api/v1/audit-events?entity_id={id}"), Some(&admin)).await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.text());
    let items = trail.json()["items"].as_array().cloned().unwrap_or_default();
    assert!(items.len() >= 4, "{}", trail.text());
    assert!(items.iter().all(|e| e["actor_kind"] == "client"), "{}", trail.text());
}

#[actix_web::test]
async fn client_scopes_are_validated_by_name() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let r = f
        .app
        .post(
            "/api/v1/service-clients",
            Some(&admin),
            json!({"name": "x", "scopes": ["study:read", "innovation:read", "people:write", "people:delete"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("people:delete") && r.text().contains("study:read"), "{}", r.text());
    let r = f
        .app
        .post(
            "/api/v1/service-clients",
            Some(&admin),
            json!({"name": "x", "scopes": ["study:read", "innovation:read", "people:write"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

/// A GET with a bearer token from a given source address.
async fn get_from(app: &TestApp, path: &str, token: &str, addr: &str) -> Resp {
    let req = TestRequest::get()
        .uri(path)
        .peer_addr(addr.parse().unwrap())
        .insert_header(("Authorization", format!("Bearer {token}")));
    app.send(req).await
}

#[actix_web::test]
async fn callers_over_their_quota_are_refused_429_with_retry_after_and_ratelimit_headers() {
    let f = Fixture::with(|s| {
        s.rate_limit_client = 4;
        s.rate_limit_account = 3;
        s.rate_limit_token = 2;
    })
    .await;
    let hr = f.client_token("quota", &["people:read"], f.gb).await;
    let other = f.client_token("other", &["people:read"], f.gb).await;

    // Every counted answer says where the caller stands; the quota spans both transports.
    for left in [3, 2, 1] {
        let r = get_from(&f.app, "/api/v1/people?limit=1", &hr, "10.0.0.1:4000").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.header("ratelimit-policy").as_deref(), Some("\"client\";q=4;w=60"));
        let state = r.header("ratelimit").unwrap();
        assert!(state.starts_with(&format!("\"client\";r={left};t=")), "{state}");
    }
    let v = f.app.gql(Some(&hr), "{ people(first: 1) { edges { node { id } } } }", json!({})).await;
    assert!(v["errors"].is_null(), "{v}");

    // Over quota: REST 429 problem+json; GraphQL 429 with RATE_LIMITED; from any address.
    let r = get_from(&f.app, "/api/v1/people?limit=1", &hr, "10.0.0.2:4000").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert_eq!(r.json()["code"], "RATE_LIMITED");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15).contains(&retry), "{retry}");
    assert_eq!(r.header("ratelimit").unwrap(), format!("\"client\";r=0;t={retry}"));
    assert_eq!(r.header("ratelimit-policy").as_deref(), Some("\"client\";q=4;w=60"));
    let r = f
        .app
        .send(
            TestRequest::post()
                .uri("/graphql")
                .insert_header(("Authorization", format!("Bearer {hr}")))
                .set_json(json!({"query": "{ people(first: 1) { edges { node { id } } } }"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert_eq!(gql_code(&r.json()).as_deref(), Some("RATE_LIMITED"), "{}", r.text());
    assert!(r.header("retry-after").is_some());

    // Another client has its own quota; accounts have theirs.
    let r = f.app.get("/api/v1/people?limit=1", Some(&other)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let admin = f.token("admin").await;
    for _ in 0..3 {
        assert_eq!(f.app.get("/api/v1/me", Some(&admin)).await.status, StatusCode::OK);
    }
    let r = f.app.get("/api/v1/me", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert_eq!(r.header("ratelimit-policy").as_deref(), Some("\"account\";q=3;w=60"));

    // The token endpoint counts by source address, before any password is checked.
    let login = |addr: &'static str| {
        TestRequest::post()
            .uri("/api/v1/auth/token")
            .peer_addr(addr.parse().unwrap())
            .set_json(json!({"grant_type": "password", "username": "nobody", "password": "wrong password here"}))
    };
    for _ in 0..2 {
        let r = f.app.send(login("192.0.2.7:5000")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert!(r.header("ratelimit").is_some_and(|h| h.starts_with("\"token\";")), "{:?}", r.header("ratelimit"));
    }
    let r = f.app.send(login("192.0.2.7:5001")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    let r = f.app.send(login("192.0.2.8:5000")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}

/// POST with `If-Match` as admin.
async fn post_if_match(f: &Fixture, admin: &str, path: &str, body: Value) -> Resp {
    let resource = path.rsplit_once('/').map(|(p, _)| p).unwrap_or(path);
    let tag = f.etag(resource).await;
    let req = TestRequest::post()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {admin}")))
        .insert_header(("If-Match", tag.as_str()))
        .set_json(body);
    f.app.send(req).await
}

/// Links pending audit records (the server's chainer does this moments after commit).
async fn link(f: &Fixture) {
    dangjian::services::audit::chain_backlog(f.app.db()).await.unwrap();
}

/// The entries of a feed page as (type, id, operation, kind).
fn summary(page: &Value) -> Vec<(String, String, String, String)> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_lowercase();
            (s("type"), s("id"), s("operation"), s("kind"))
        })
        .collect()
}

#[actix_web::test]
async fn an_hr_client_follows_the_changes_feed_with_left_scope_entries_and_tombstones() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let hr = f.token("hr").await; // people:read + organizations:read over the general branch
    link(&f).await;

    // The client exports everything it may read, and keeps the export's feed cursor.
    let mut start = String::new();
    for kind in ["organizations", "people", "honours"] {
        let r = f.app.get(&format!("/api/v1/exports/{kind}"), Some(&hr)).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.text());
        start = r.header("x-changes-cursor").unwrap();
    }
    let now = f.app.get("/api/v1/changes/cursor", Some(&hr)).await;
    assert_eq!(now.json()["cursor"], start.as_str(), "nothing changed since the export");

    // In its subtree: a person is created and updated, another is transferred out of
    // it, a third departs, an organisation is created and deleted.
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "新同事", "employee_no": "N-1", "phone": "13900000000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let new = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/people/{new}");
    let r = f.app.patch(&path, Some(&admin), Some("\"v1\""), json!({"position": "工程师"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let moved = f.p_other_b1.to_string();
    let r = post_if_match(&f, &admin, &format!("/api/v1/people/{moved}/transfer"), json!({"to_organization_id": f.b3}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let left = f.p_b2.to_string();
    let r = post_if_match(&f, &admin, &format!("/api/v1/people/{left}/departure"), json!({"kind": "resigned"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.b2, "name": "临时党小组", "kind": "group"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let gone = r.json()["id"].as_str().unwrap().to_owned();
    let r = f.app.delete(&format!("/api/v1/organizations/{gone}"), Some(&admin), Some("\"v1\"")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // Outside its subtree, and what it may not read at all: not shown.
    let r = f
        .app
        .post("/api/v1/people", Some(&admin), json!({"organization_id": f.b3, "name": "外单位", "employee_no": "N-2"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f
        .app
        .patch(&format!("/api/v1/organizations/{}", f.b3), Some(&admin), Some("\"v1\""), json!({"short_name": "机关"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f
        .app
        .post(
            "/api/v1/role-assignments",
            Some(&admin),
            json!({"user_id": f.u_member_b1, "role": "org_admin", "organization_id": f.b1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    link(&f).await;

    let r = f.app.get(&format!("/api/v1/changes?after={start}"), Some(&hr)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.json();
    let expected = vec![
        ("person".into(), new.clone(), "create".into(), "upsert".into()),
        ("person".into(), new.clone(), "update".into(), "upsert".into()),
        ("person".into(), moved.clone(), "transfer".into(), "left_scope".into()),
        ("person".into(), left.clone(), "depart".into(), "upsert".into()),
        ("organization".into(), gone.clone(), "delete".into(), "tombstone".into()),
    ];
    assert_eq!(summary(&page), expected, "{page}");
    let entries = page["entries"].as_array().unwrap();
    // The object as the client may read it now: masked, current.
    assert_eq!(entries[0]["object"]["position"], "工程师", "{page}");
    assert!(entries[0]["object"]["phone"].is_null(), "no personal_data scope: {page}");
    assert!(entries[2]["object"].is_null() && entries[4]["object"].is_null(), "{page}");
    assert!(entries[3]["object"]["left_on"].is_string(), "{page}");
    assert_eq!(page["has_more"], false);

    // Resuming from the last cursor: nothing new; from an entry's cursor: what follows.
    let next = page["next_cursor"].as_str().unwrap();
    let r = f.app.get(&format!("/api/v1/changes?after={next}"), Some(&hr)).await.json();
    assert_eq!(r["entries"].as_array().unwrap().len(), 0, "{r}");
    assert_eq!(r["next_cursor"], next);
    let second = entries[1]["cursor"].as_str().unwrap();
    let r = f.app.get(&format!("/api/v1/changes?after={second}&limit=2"), Some(&hr)).await.json();
    assert_eq!(summary(&r), expected[2..4].to_vec(), "{r}");
    assert_eq!(r["has_more"], true);
    let r = f.app.get(&format!("/api/v1/changes?after={start}&types=organization"), Some(&hr)).await.json();
    assert_eq!(summary(&r), expected[4..].to_vec(), "{r}");

    // GraphQL answers the same.
    let q = "query($after: String) { changes(after: $after) { entries { type id operation kind object } nextCursor hasMore } }";
    let v = f.app.gql(Some(&hr), q, json!({"after": start})).await;
    let gql = &v["data"]["changes"];
    assert_eq!(summary(gql), expected, "{v}");
    assert_eq!(gql["nextCursor"], page["next_cursor"]);
    assert_eq!(gql["entries"][0]["object"]["position"], "工程师");

    // Bad cursors: malformed names the field; one from another epoch (a restored
    // database) says to resync.
    let r = f.app.get("/api/v1/changes?after=nonsense", Some(&hr)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "after");
    use base64::Engine;
    let mut foreign = [0u8; 12];
    foreign[..4].copy_from_slice(&999i32.to_be_bytes());
    let foreign = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(foreign);
    let r = f.app.get(&format!("/api/v1/changes?after={foreign}"), Some(&hr)).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text());
    assert_eq!(r.json()["code"], "RESYNC_REQUIRED");
    let v = f.app.gql(Some(&hr), q, json!({"after": foreign})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("RESYNC_REQUIRED"), "{v}");
    let r = f.app.get(&format!("/api/v1/changes?after={start}&types=people"), Some(&hr)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "types");

    // An administrator sees everything, the role grant included.
    let all = f.app.get(&format!("/api/v1/changes?after={start}&limit=1000"), Some(&admin)).await.json();
    let kinds = summary(&all);
    assert!(kinds.iter().any(|(t, _, o, _)| t == "role_assignment" && o == "grant"), "{all}");
    assert!(kinds.iter().any(|(t, id, _, k)| t == "person" && *id == moved && k == "upsert"), "{all}");
}

#[actix_web::test]
async fn a_page_of_the_changes_feed_costs_the_same_statements_whatever_its_length() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let hr = f.token("hr").await;
    link(&f).await;
    let start = f.app.get("/api/v1/changes/cursor", Some(&hr)).await.json()["cursor"].as_str().unwrap().to_owned();
    let mut cost = Vec::new();
    for n in [3, 40] {
        for i in 0..n {
            let body = json!({"organization_id": f.b1, "name": format!("员工{i}"), "employee_no": format!("S{n}-{i}")});
            assert_eq!(f.app.post("/api/v1/people", Some(&admin), body).await.status, StatusCode::CREATED);
        }
        link(&f).await;
        f.app.reset_statements();
        let r = f.app.get(&format!("/api/v1/changes?after={start}&limit=1000"), Some(&hr)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.json()["entries"].as_array().unwrap().len() >= n, "{}", r.text());
        cost.push(f.app.statement_count());
    }
    assert_eq!(cost[0], cost[1], "statements for 3 and 43 people");
    assert!(cost[0] <= 8, "{cost:?}");
}

/// GET with an `Accept` header.
async fn get_as(app: &TestApp, path: &str, token: &str, accept: &str) -> Resp {
    let req = TestRequest::get()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Accept", accept));
    app.send(req).await
}

/// The lines of an NDJSON answer, parsed.
fn ndjson(r: &Resp) -> Vec<Value> {
    r.text().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[actix_web::test]
async fn a_full_export_streams_ndjson_or_csv_in_scope_and_hands_over_to_the_feed() {
    use dangjian::services::{self, people::NewPerson, types::Id};
    let f = Fixture::new().await;
    let hr = f.token("hr").await; // people:read + organizations:read over the general branch
    let admin = f.token("admin").await;
    // More people than one batch holds (500), in the client's subtree and outside it.
    for i in 0..520 {
        let org = if i % 10 == 0 { f.b3 } else { f.b1 };
        let p = NewPerson {
            organization_id: Id(org),
            name: format!("员工{i}"),
            employee_no: format!("X{i:04}"),
            phone: Some("13700000000".into()),
            email: None,
            party_status: None,
            joined_party_on: None,
            position: if i == 1 { Some("=HYPERLINK(\"x\")".into()) } else { None },
            is_leadership: false,
            is_tech_backbone: false,
            is_model_worker: false,
        };
        services::people::create(f.app.db(), &dangjian::auth::Actor::system(), p).await.unwrap();
    }
    link(&f).await;

    let r = get_as(&f.app, "/api/v1/exports/people", &hr, "application/x-ndjson").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type").as_deref(), Some("application/x-ndjson"));
    let cursor = r.header("x-changes-cursor").expect("the feed's cursor");
    let rows = ndjson(&r);
    // The fixture's six people of the general branch and the 468 new ones in b1.
    assert_eq!(rows.len(), 6 + 468, "one batch and a part");
    let ids: Vec<&str> = rows.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order, each once");
    assert!(rows.iter().all(|p| p["phone"].is_null()), "masked like a read: no personal_data scope");
    let (gb_orgs, b3) = ([f.gb, f.b1, f.b2].map(|o| o.to_string()), f.b3.to_string());
    assert!(rows.iter().all(|p| gb_orgs.contains(&p["organization_id"].as_str().unwrap().to_owned())));
    assert!(!r.text().contains(&b3));

    // CSV: a header of the view's fields, one line per row, formulas neutralised.
    let csv = get_as(&f.app, "/api/v1/exports/people", &hr, "text/csv").await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert_eq!(csv.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + rows.len());
    assert!(lines[0].starts_with("\u{feff}id,employee_no,name,organization_id,"), "{}", lines[0]);
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "formula neutralised and quoted");
    // Every CSV column is a field of the view (the columns do not drift from the views).
    for kind in ["people", "organizations", "honours", "attendance"] {
        let header = get_as(&f.app, &format!("/api/v1/exports/{kind}"), &admin, "text/csv").await;
        let header = header.text();
        let columns: Vec<&str> = header.trim_start_matches('\u{feff}').lines().next().unwrap().split(',').collect();
        let rows = ndjson(&get_as(&f.app, &format!("/api/v1/exports/{kind}"), &admin, "application/x-ndjson").await);
        if let Some(first) = rows.first() {
            for c in &columns {
                assert!(first.get(*c).is_some() || *c == "organization_name", "{kind}: {c} not in {first}");
            }
        }
    }

    // The other kinds, refusals, and the hand-over to the feed.
    let orgs = ndjson(&get_as(&f.app, "/api/v1/exports/organizations", &hr, "*/*").await);
    assert_eq!(orgs.len(), 3, "the general branch and its two branches");
    let r = get_as(&f.app, "/api/v1/exports/people", &hr, "application/json").await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE, "{}", r.text());
    let r = get_as(&f.app, "/api/v1/exports/nonsense", &hr, "*/*").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = get_as(&f.app, "/api/v1/exports/attendance", &hr, "*/*").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "people:read opens no attendance: {}", r.text());
    let orgs_only = f.client_token("tree", &["organizations:read"], f.gb).await;
    let r = get_as(&f.app, "/api/v1/exports/people", &orgs_only, "*/*").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "导出后", "employee_no": "AFTER-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let after = r.json()["id"].as_str().unwrap().to_owned();
    link(&f).await;
    let feed = f.app.get(&format!("/api/v1/changes?after={cursor}"), Some(&hr)).await.json();
    assert_eq!(summary(&feed), vec![("person".into(), after, "create".into(), "upsert".into())], "{feed}");
}

#[actix_web::test]
async fn an_attendance_export_shows_leave_reasons_only_to_those_who_may_see_them() {
    use dangjian::services::study::SessionKind;
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let s = crate::study::session(&f, f.b1, SessionKind::BranchGeneralMeeting, chrono::Utc::now(), None).await;
    let roster = f.app.get(&format!("/api/v1/study-sessions/{}/attendance", s.id), Some(&admin)).await.json();
    let entry = roster.as_array().or_else(|| roster["items"].as_array()).unwrap()[0].clone();
    let (entry_id, person) =
        (entry["id"].as_str().unwrap().to_owned(), entry["person_id"].as_str().unwrap().to_owned());
    let version = entry["version"].as_i64().unwrap();
    let r = f
        .app
        .send(
            TestRequest::put()
                .uri(&format!("/api/v1/study-sessions/{}/attendance/{person}", s.id))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", format!("\"v{version}\"")))
                .set_json(json!({"status": "leave", "reason": "出差"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let study = f.client_token("study", &["study:read"], f.gb).await;
    let rows = ndjson(&get_as(&f.app, "/api/v1/exports/attendance", &study, "*/*").await);
    let row = rows.iter().find(|r| r["id"] == entry_id.as_str()).expect("the entry");
    assert_eq!(row["reason"], "出差", "study:read inspects: it sees reasons");
    let member = f.token("member_b1").await;
    let rows = ndjson(&get_as(&f.app, "/api/v1/exports/attendance", &member, "*/*").await);
    for r in &rows {
        if r["person_id"] != f.p_member_b1.to_string().as_str() {
            assert!(r["reason"].is_null(), "a member sees only their own reason: {r}");
        }
    }
}
