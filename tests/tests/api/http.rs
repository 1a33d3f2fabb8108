//! HTTP as clients nobody here wrote expect it: HEAD, 405 with `Allow`, unknown query
//! parameters, parameters that fail to parse, `If-Match: *`, integral numbers written
//! as `1.0`, constraints the OpenAPI document states and the server enforces alike,
//! messages in the caller's language, and the README tour replayed step by step.

use actix_web::{http::StatusCode, test};
use serde_json::{Value, json};

use crate::common::{Fixture, TestApp, gql_code, urlencode};

/// The OpenAPI document as served.
async fn served_document(app: &TestApp) -> Value {
    app.get("/api/v1/openapi.json", None).await.json()
}

/// The schema of one query parameter of an operation in the document.
fn query_param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name && p["in"] == "query"))
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("GET {path} documents no query parameter {name}"))
}

/// The schema of a request-body property, following `$ref`s.
fn body_property<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    let schema = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
        None => schema,
    };
    &schema["properties"][name]
}

#[actix_web::test]
async fn head_and_wrong_methods() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    // A wrong method on a known resource is 405 naming the methods it takes.
    let r = f.app.delete("/api/v1/organizations", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text());
    assert_eq!(r.header("allow").as_deref(), Some("GET, HEAD, POST"));
    assert_eq!(r.json()["code"], "METHOD_NOT_ALLOWED");
    let r = f.app.post(&format!("/api/v1/organizations/{}", f.b1), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow").as_deref(), Some("GET, HEAD, PATCH, DELETE"));
    // An unknown path stays 404.
    assert_eq!(f.app.get("/api/v1/no-such-thing", Some(&admin)).await.status, StatusCode::NOT_FOUND);
    // HEAD on a list: the headers of GET (its weak ETag included), no body.
    let get = f.app.get("/api/v1/organizations", Some(&admin)).await;
    let head = f
        .app
        .send(
            test::TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri("/api/v1/organizations")
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), get.header("etag"));
}

#[actix_web::test]
async fn query_parameters_are_checked_by_name_and_value() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    // A parameter the operation does not take: 400 naming it (a client must not
    // believe it sorted or filtered).
    for (path, name) in [
        ("/api/v1/organizations?sort=name", "sort"),
        ("/api/v1/people?updated_since=2026-01-01", "updated_since"),
        (&*format!("/api/v1/organizations/{}?fields=name", f.b1), "fields"),
        ("/api/v1/measures?format=csv", "format"),
    ] {
        let r = f.app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        assert_eq!(r.json()["code"], "UNKNOWN_PARAMETER", "{path}");
        assert_eq!(r.json()["errors"][0]["field"], name, "{path}");
    }
    // A value that does not parse names its parameter (not "query").
    let r = f.app.get("/api/v1/documents?issued_from=2026-13", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "issued_from");
    let r = f.app.get("/api/v1/organizations?limit=many", Some(&admin)).await;
    assert_eq!(r.json()["errors"][0]["field"], "limit");
}

#[actix_web::test]
async fn if_match_star_and_integral_numbers() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let path = format!("/api/v1/organizations/{}", f.b1);
    let before = f.version(&path).await;
    let r = f.app.patch(&path, Some(&admin), Some("*"), json!({"sort_order": 7.0})).await;
    assert_eq!(r.status, StatusCode::OK, "If-Match: * and 7.0 for an integer: {}", r.text());
    assert_eq!(r.json()["sort_order"], 7);
    assert_eq!(f.version(&path).await, before + 1);
    // A fraction is still not an integer.
    let r = f.app.patch(&path, Some(&admin), Some("*"), json!({"sort_order": 7.5})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "sort_order");
}

/// What the server refuses with 422 the document forbids too: spot checks of a page
/// size, a year, an empty string and a date.
#[actix_web::test]
async fn the_document_states_what_the_server_enforces() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let doc = served_document(&f.app).await;
    // Page size: 1–100.
    let limit = query_param(&doc, "/api/v1/organizations", "limit");
    assert_eq!((limit["minimum"].as_i64(), limit["maximum"].as_i64()), (Some(1), Some(100)));
    for bad in ["0", "101"] {
        let r = f.app.get(&format!("/api/v1/organizations?limit={bad}"), Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "limit={bad}");
    }
    assert_eq!(f.app.get("/api/v1/organizations?limit=100", Some(&admin)).await.status, StatusCode::OK);
    // A year: 2000–2100.
    let year = query_param(&doc, "/api/v1/innovation-statistics", "year");
    assert_eq!((year["minimum"].as_i64(), year["maximum"].as_i64()), (Some(2000), Some(2100)));
    let stats = |y: i32| format!("/api/v1/innovation-statistics?organization_id={}&year={y}", f.root);
    assert_eq!(f.app.get(&stats(1999), Some(&admin)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(f.app.get(&stats(2026), Some(&admin)).await.status, StatusCode::OK);
    // An empty string.
    let name = body_property(&doc, "/api/v1/organizations", "post", "name");
    assert_eq!(name["minLength"].as_i64(), Some(1), "{name}");
    let r = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.root, "name": "", "kind": "branch"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "name");
    // A date: the document says `format: date`, and a non-date is refused naming it.
    let from = query_param(&doc, "/api/v1/documents", "issued_from");
    assert_eq!(from["format"], "date", "{from}");
    let r = f.app.get("/api/v1/documents?issued_from=2026-02-30", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "issued_from");
}

#[actix_web::test]
async fn messages_are_chinese_unless_english_is_preferred() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let missing = format!("/api/v1/organizations/{}", uuid::Uuid::now_v7());
    let ask = |lang: Option<&str>| {
        let mut req =
            test::TestRequest::get().uri(&missing).insert_header(("Authorization", format!("Bearer {admin}")));
        if let Some(lang) = lang {
            req = req.insert_header(("Accept-Language", lang));
        }
        req
    };
    // REST, by default: Chinese, with the stable code.
    let r = f.app.send_raw(ask(None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "NOT_FOUND");
    assert_eq!(r.json()["detail"], "资源不存在");
    assert_eq!(r.header("content-language").as_deref(), Some("zh-CN"));
    let r = f.app.send_raw(ask(Some("en-US,en;q=0.9"))).await;
    assert_eq!(r.json()["detail"], "resource not found");
    assert_eq!(r.json()["code"], "NOT_FOUND");
    assert_eq!(r.header("content-language").as_deref(), Some("en"));
    // Validation details too, field by field.
    let create = |lang: Option<&str>| {
        let mut req = test::TestRequest::post()
            .uri("/api/v1/organizations")
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .set_json(json!({"parent_id": f.root, "name": " ", "kind": "branch"}));
        if let Some(lang) = lang {
            req = req.insert_header(("Accept-Language", lang));
        }
        req
    };
    let zh = f.app.send_raw(create(None)).await.json();
    assert_eq!(zh["errors"][0]["field"], "name");
    assert_eq!(zh["errors"][0]["message"], "不能为空", "{zh}");
    let en = f.app.send_raw(create(Some("en"))).await.json();
    assert_eq!(en["errors"][0]["message"], "must not be empty");
    // GraphQL: the same, in `message`, with `extensions.code` unchanged.
    let gql = |lang: Option<&str>| {
        let mut req = test::TestRequest::post()
            .uri("/graphql")
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .set_json(json!({"query": "query($id: ID!) { deleteMe: organization(id: $id) { name } }", "variables": {"id": f.b1.to_string()}}));
        if let Some(lang) = lang {
            req = req.insert_header(("Accept-Language", lang));
        }
        req
    };
    let v = f.app.send_raw(gql(None)).await.json();
    assert!(v["errors"].is_null(), "{v}");
    let unknown = |lang: Option<&str>| {
        let mut req = test::TestRequest::post()
            .uri("/graphql")
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .set_json(json!({"query": "mutation($id: ID!) { deleteOrganization(id: $id, expectedVersion: 1) }", "variables": {"id": uuid::Uuid::now_v7().to_string()}}));
        if let Some(lang) = lang {
            req = req.insert_header(("Accept-Language", lang));
        }
        req
    };
    let zh = f.app.send_raw(unknown(None)).await.json();
    assert_eq!(gql_code(&zh).as_deref(), Some("NOT_FOUND"));
    assert_eq!(zh["errors"][0]["message"], "资源不存在", "{zh}");
    let en = f.app.send_raw(unknown(Some("en"))).await.json();
    assert_eq!(en["errors"][0]["message"], "resource not found");
    // The library's own messages are translated too (and coded).
    let deep = f
        .app
        .send_raw(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .set_json(json!({"query": "{ nosuchfield }"})),
        )
        .await
        .json();
    assert_eq!(gql_code(&deep).as_deref(), Some("VALIDATION"));
    let message = deep["errors"][0]["message"].as_str().unwrap();
    assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{message}");
}

/// The README's five-minute tour, step by step as written there (on the demo data).
#[actix_web::test]
async fn the_readme_tour_runs_as_written() {
    let readme = include_str!("../../../README.md");
    let app = TestApp::empty().await;
    dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    let step = |url: &str| {
        assert!(readme.contains(url), "the README's tour no longer has {url}");
        url.replace("http://127.0.0.1:8080", "")
    };
    // 1. A token.
    let r = app
        .post(
            &step("http://127.0.0.1:8080/api/v1/auth/token"),
            None,
            json!({"grant_type":"password","username":"demo_orgadmin","password":"Demo-Passw0rd!"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let bearer = r.json()["access_token"].as_str().unwrap().to_owned();
    let token = Some(bearer.as_str());
    // 2. Who am I.
    let me = app.get(&step("http://127.0.0.1:8080/api/v1/me"), token).await;
    assert_eq!(me.status, StatusCode::OK);
    // 3. Two organisations per page.
    let page = app.get(&step("http://127.0.0.1:8080/api/v1/organizations?limit=2"), token).await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["next_cursor"].is_string());
    // 4. Full members whose name contains 王.
    let people = app.get(&step("http://127.0.0.1:8080/api/v1/people?party_status=full&q=%E7%8E%8B"), token).await;
    assert_eq!(people.status, StatusCode::OK, "{}", people.text());
    let found = people.json()["items"].as_array().unwrap().clone();
    assert!(!found.is_empty(), "the tour's filter finds someone in the demo data");
    for p in &found {
        assert!(p["name"].as_str().unwrap().contains('王'));
        assert_eq!(p["party_status"], "full");
    }
    // 5. GraphQL.
    let query = "{ people(first: 5) { totalCount edges { node { name partyStatus organization { name } user { username roles { role } } } } } }";
    assert!(readme.contains(query), "the README's GraphQL step changed");
    let v = app.gql(token, query, json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["data"]["people"]["edges"].as_array().unwrap().len(), 5);
    // 6. Chinese full-text search.
    let hits =
        app.get(&step("http://127.0.0.1:8080/api/v1/search?q=%E7%A7%91%E6%8A%80%E5%88%9B%E6%96%B0"), token).await;
    assert_eq!(hits.status, StatusCode::OK);
    assert!(!hits.json()["items"].as_array().unwrap().is_empty(), "{}", hits.text());
    // 7. Read an ETag with HEAD (curl -I), update with If-Match, then a stale one is 412.
    let org =
        app.get(&step("http://127.0.0.1:8080/api/v1/organizations?limit=1"), token).await.json()["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(readme.contains("curl -sI http://127.0.0.1:8080/api/v1/organizations/$ORG"));
    let head = app
        .send(
            test::TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri(&format!("/api/v1/organizations/{org}"))
                .insert_header(("Authorization", format!("Bearer {bearer}"))),
        )
        .await;
    let etag = head.header("etag").expect("HEAD answers the ETag");
    let r =
        app.patch(&format!("/api/v1/organizations/{org}"), token, Some(&etag), json!({"short_name":"研发总支"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let stale =
        app.patch(&format!("/api/v1/organizations/{org}"), token, Some(&etag), json!({"short_name":"总支"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    // The search words of step 6 decode to what the README says.
    assert_eq!(urlencode("科技创新"), "%E7%A7%91%E6%8A%80%E5%88%9B%E6%96%B0");
}

/// Study sessions sorted by meeting time, both ways, across pages: every session once,
/// in order; a cursor of another order is refused.
#[actix_web::test]
async fn study_sessions_sort_by_meeting_time_across_pages() {
    let app = TestApp::empty().await;
    dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    let token = app.login_full("demo_admin", "Demo-Passw0rd!").await["access_token"].as_str().unwrap().to_owned();
    let walk = |sort: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let mut seen: Vec<(String, String)> = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/api/v1/study-sessions?sort={sort}&limit=7");
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let page = app.get(&path, Some(&token)).await;
                assert_eq!(page.status, StatusCode::OK, "{}", page.text());
                let page = page.json();
                for s in page["items"].as_array().unwrap() {
                    seen.push((s["held_at"].as_str().unwrap().to_owned(), s["id"].as_str().unwrap().to_owned()));
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            seen
        }
    };
    let up = walk("held_at").await;
    let down = walk("-held_at").await;
    assert!(up.len() > 14, "the demo has several pages of sessions: {}", up.len());
    let instants = |v: &[(String, String)]| {
        v.iter().map(|(t, _)| chrono::DateTime::parse_from_rfc3339(t).unwrap()).collect::<Vec<_>>()
    };
    assert!(instants(&up).windows(2).all(|w| w[0] <= w[1]), "earliest first");
    assert!(instants(&down).windows(2).all(|w| w[0] >= w[1]), "latest first");
    let mut ids: Vec<_> = up.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), up.len(), "no session twice");
    assert_eq!(down.len(), up.len());
    // The document lists the orders.
    let doc = served_document(&app).await;
    let sort = query_param(&doc, "/api/v1/study-sessions", "sort");
    let sort = match sort["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap().clone(),
        None => sort.clone(),
    };
    assert!(sort.to_string().contains("-held_at"), "{sort}");
    // A cursor of the creation order does not say where a sorted page starts.
    let plain = app.get("/api/v1/study-sessions?limit=1", Some(&token)).await.json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.get(&format!("/api/v1/study-sessions?sort=held_at&cursor={plain}"), Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "cursor");
    let r = app.get("/api/v1/study-sessions?sort=topic", Some(&token)).await;
    assert_eq!(r.json()["errors"][0]["field"], "sort");
    // GraphQL: the same order, and any edge's cursor continues it.
    let q = "query($after: String) { studySessions(orderBy: HELD_AT_DESCENDING, first: 5, after: $after) { edges { cursor node { id heldAt } } } }";
    let first = app.gql(Some(&token), q, json!({})).await;
    let edges = first["data"]["studySessions"]["edges"].as_array().unwrap().clone();
    let ids: Vec<&str> = edges.iter().map(|e| e["node"]["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = down.iter().take(5).map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, expected, "GraphQL and REST agree on the order");
    let next = app.gql(Some(&token), q, json!({"after": edges[2]["cursor"]})).await;
    let next_ids: Vec<&str> = next["data"]["studySessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = down.iter().skip(3).take(5).map(|(_, id)| id.as_str()).collect();
    assert_eq!(next_ids, expected);
}

/// Measures sorted by deadline, over REST (the mobile app's own list too) and GraphQL.
#[actix_web::test]
async fn measures_sort_by_deadline() {
    let app = TestApp::empty().await;
    dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    let token = app.login_full("demo_admin", "Demo-Passw0rd!").await["access_token"].as_str().unwrap().to_owned();
    for (sort, ascending) in [("due_on", true), ("-due_on", false)] {
        let mut days = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/measures?sort={sort}&limit=3");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = app.get(&path, Some(&token)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text());
            let page = page.json();
            days.extend(page["items"].as_array().unwrap().iter().map(|m| m["due_on"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert!(days.len() > 3, "{sort}: the demo has several pages of measures");
        assert!(days.windows(2).all(|w| if ascending { w[0] <= w[1] } else { w[0] >= w[1] }), "{sort}: {days:?}");
    }
    let v =
        app.gql(Some(&token), "{ measures(orderBy: DUE_ON, first: 4) { edges { node { dueOn } } } }", json!({})).await;
    let days: Vec<&str> = v["data"]["measures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["dueOn"].as_str().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{v}");
    let member = app.login_full("demo_member", "Demo-Passw0rd!").await["access_token"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/me/measures?sort=-due_on", Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// Supervision items by deadline, both ways, across pages (REST), and `orderBy` (GraphQL):
/// an inspector's "what is due first" without fetching everything.
#[actix_web::test]
async fn supervision_items_sort_by_deadline() {
    let app = TestApp::empty().await;
    dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    let token = app.login_full("demo_inspector", "Demo-Passw0rd!").await["access_token"].as_str().unwrap().to_owned();
    for (sort, ascending) in [("due_on", true), ("-due_on", false)] {
        let mut days = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/supervision-items?sort={sort}&limit=5");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = app.get(&path, Some(&token)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text());
            let page = page.json();
            days.extend(page["items"].as_array().unwrap().iter().map(|m| m["due_on"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert!(days.len() > 5, "{sort}: the demo has several pages of items");
        assert!(days.windows(2).all(|w| if ascending { w[0] <= w[1] } else { w[0] >= w[1] }), "{sort}: {days:?}");
    }
    let q = "{ supervisionItems(orderBy: DUE_ON_DESCENDING, overdue: false, first: 4) { edges { node { dueOn } } } }";
    let v = app.gql(Some(&token), q, json!({})).await;
    let days: Vec<&str> = v["data"]["supervisionItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|e| e["node"]["dueOn"].as_str().unwrap())
        .collect();
    assert!(!days.is_empty() && days.windows(2).all(|w| w[0] >= w[1]), "{v}");
    let r = app.get("/api/v1/supervision-items?sort=due", Some(&token)).await;
    assert!(
        r.status.is_client_error() && r.text().contains("sort"),
        "an unknown order names the parameter: {}",
        r.text()
    );
}
