//! GraphQL transport rules: constant SQL statements per request (DataLoaders), GET
//! only for queries, limits, introspection for administrators only, no suggestions,
//! error codes.

use actix_web::{http::StatusCode, test};
use chrono::Utc;
use entity::{person, role_assignment, user_account};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::common::{Fixture, gql_code, urlencode};

/// Adds `n` people to `org`, each with an account and a member grant, straight into the
/// database (fast: no password hashing).
async fn add_people(f: &Fixture, org: Uuid, n: usize, tag: &str) {
    let now = Utc::now();
    for i in 0..n {
        let pid = Uuid::now_v7();
        person::ActiveModel {
            id: Set(pid),
            organization_id: Set(org),
            name: Set(format!("成员{tag}{i}")),
            employee_no: Set(format!("{tag}{i:04}")),
            phone: Set(None),
            email: Set(None),
            party_status: Set("full".into()),
            joined_party_on: Set(None),
            position: Set(None),
            is_leadership: Set(false),
            is_tech_backbone: Set(false),
            is_model_worker: Set(false),
            left_on: Set(None),
            departure_kind: Set(None),
            departure_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(f.app.db())
        .await
        .unwrap();
        let uid = Uuid::now_v7();
        user_account::ActiveModel {
            id: Set(uid),
            username: Set(format!("u_{tag}_{i}")),
            person_id: Set(Some(pid)),
            password_hash: Set("x".into()),
            disabled: Set(false),
            failed_logins: Set(0),
            locked_until: Set(None),
            token_version: Set(0),
            last_login_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(f.app.db())
        .await
        .unwrap();
        role_assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(uid),
            role: Set("member".into()),
            organization_id: Set(Some(org)),
            scope_key: Set(org.to_string()),
            granted_by: Set(None),
            created_at: Set(now),
        }
        .insert(f.app.db())
        .await
        .unwrap();
    }
}

const PEOPLE_QUERY: &str = "query($n: Int!, $org: ID!) { people(first: $n, organizationId: $org) { totalCount edges { node { name organization { name parent { name } } user { username roles { role organization { name } } } } } } }";

#[actix_web::test]
async fn listing_people_with_relations_costs_constant_statements() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let oa = f.token("orgadmin_b2").await;
    add_people(&f, f.b2, 10, "S").await;
    let small_org = f.b2;
    add_people(&f, f.b1, 100, "L").await;
    let mut counts = Vec::new();
    for (token, org, n) in [(&admin, small_org, 10), (&admin, f.b1, 100), (&oa, small_org, 10)] {
        let is_admin = token == &admin;
        f.app.reset_statements();
        let v = f.app.gql(Some(token), PEOPLE_QUERY, json!({"n": n, "org": org.to_string()})).await;
        assert!(v["errors"].is_null(), "{v}");
        let edges = v["data"]["people"]["edges"].as_array().unwrap();
        assert!(edges.len() >= n, "got {} people", edges.len());
        let first = &edges[0]["node"];
        assert!(first["organization"]["name"].is_string());
        // The parent of b2 is gb: visible to the admin, outside the b2 org_admin's scope (null).
        assert_eq!(first["organization"]["parent"]["name"].is_string(), is_admin, "{first}");
        counts.push(f.app.statement_count());
        eprintln!("---- {n} people: {} statements", f.app.statement_count());
    }
    // Relation levels may share a batch by chance, so allow one statement of slack; an
    // N+1 would show up as dozens more.
    assert!(counts[1] <= counts[0] + 1, "10 and 100 people must cost the same statements: {counts:?}");
    assert!(counts[1] <= 16, "a small constant number of statements, got {counts:?}");
    assert!(counts[2] <= 16, "scoped callers too, got {counts:?}");
}

#[actix_web::test]
async fn mutations_over_get_are_refused_queries_work() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let get = |q: &str| {
        test::TestRequest::get()
            .uri(&format!("/graphql?query={}", urlencode(q)))
            .insert_header(("Authorization", format!("Bearer {admin}")))
    };
    let ok = f.app.send(get("{ me { kind } }")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["data"]["me"]["kind"], "user");
    let m = format!("mutation {{ deleteOrganization(id: \"{}\", expectedVersion: 1) }}", f.b2);
    let r = f.app.send(get(&m)).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow").as_deref(), Some("POST"));
    assert_eq!(gql_code(&r.json()).as_deref(), Some("METHOD_NOT_ALLOWED"));
    assert_eq!(f.app.get(&format!("/api/v1/organizations/{}", f.b2), Some(&admin)).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn only_json_posts_and_body_limit() {
    let f = Fixture::new().await;
    let form = f
        .app
        .send(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload("query=%7Bme%7Bkind%7D%7D"),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"query\": \"{{ me {{ kind }} }}\", \"x\": \"{}\"}}", "a".repeat(200 * 1024));
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(huge),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(gql_code(&r.json()).as_deref(), Some("PAYLOAD_TOO_LARGE"));
}

#[actix_web::test]
async fn limits_suggestions_and_introspection() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let member = f.token("member_b1").await;
    let intro = "{ __schema { queryType { name } } }";
    let v = f.app.gql(Some(&admin), intro, json!({})).await;
    assert_eq!(v["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    // Anyone else is refused with a coded error (not a silent null), even when the
    // introspection hides in a fragment; `__typename` stays allowed.
    for doc in [intro, "{ ...F } fragment F on QueryRoot { __type(name: \"Person\") { name } }"] {
        for token in [Some(member.as_str()), None] {
            let v = f.app.gql(token, doc, json!({})).await;
            assert!(v["data"].is_null(), "{v}");
            assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"), "{v}");
        }
    }
    assert_eq!(f.app.gql(Some(&member), "{ __typename }", json!({})).await["data"]["__typename"], "QueryRoot");
    // The introspection query of graphql-js (`getIntrospectionQuery` with every option,
    // as GraphiQL's docs explorer and SDK generators send it) fits every limit.
    let stock = include_str!("introspection_query.graphql");
    let v = f.app.gql(Some(&admin), stock, json!({})).await;
    assert!(v["errors"].is_null(), "{}", v["errors"]);
    assert!(v["data"]["__schema"]["types"].as_array().unwrap().len() > 100);
    // No "did you mean" suggestions leak field names.
    let v = f.app.gql(Some(&member), "{ mee { kind } }", json!({})).await;
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(!msg.contains("Did you mean"), "{msg}");
    // Alias limit.
    let aliases: String = (0..40).map(|i| format!("a{i}: me {{ kind }} ")).collect();
    let v = f.app.post("/graphql", Some(&member), json!({"query": format!("{{ {aliases} }}")})).await;
    assert_eq!(v.status, StatusCode::OK, "a refused document is a GraphQL error, not an HTTP one");
    assert_eq!(gql_code(&v.json()).as_deref(), Some("VALIDATION"));
    assert_eq!(v.json()["errors"][0]["extensions"]["field"], "query");
    // Depth limit.
    let mut deep = String::from("name");
    for _ in 0..16 {
        deep = format!("parent {{ {deep} }}");
    }
    let v = f
        .app
        .gql(
            Some(&admin),
            &format!("query($id: ID!) {{ organization(id: $id) {{ {deep} }} }}"),
            json!({"id": f.b1.to_string()}),
        )
        .await;
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{v}");
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "the library's own errors carry a code too");
    // Complexity: huge nested pages are refused before running.
    let v = f
        .app
        .gql(Some(&admin), "{ organizations(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { totalCount } } } } } } } }", json!({}))
        .await;
    assert!(v["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{v}");
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"));
    // So do parse errors, unknown fields and malformed ids inside input objects.
    for doc in ["{ me { kind ", "{ nosuchfield }"] {
        let v = f.app.gql(Some(&admin), doc, json!({})).await;
        assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "{doc}: {v}");
    }
    // An unparsable document is answered by where it breaks, never with its text: a
    // 60 KB one-line document makes an answer of a few hundred bytes.
    let huge = format!("{{ me {{ kind {} ", "x".repeat(60_000));
    let r = f.app.post("/graphql", None, json!({"query": huge})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().len() < 600, "{} bytes", r.text().len());
    let message = r.json()["errors"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("line 1, column"), "{message}");
    assert_eq!(gql_code(&r.json()).as_deref(), Some("VALIDATION"));
    let v = f
        .app
        .gql(
            Some(&admin),
            "mutation { createPerson(input: {organizationId: \"nope\", name: \"x\", employeeNo: \"E9\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");
}

#[actix_web::test]
async fn errors_carry_codes_and_field_names() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let v = f
        .app
        .gql(
            Some(&oa),
            "mutation($o: ID!) { createPerson(input: {organizationId: $o, name: \"\", employeeNo: \"E001\"}) { id } }",
            json!({"o": f.b1.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"));
    assert_eq!(v["errors"][0]["extensions"]["field"], "name");
    let v = f
        .app
        .gql(
            Some(&oa),
            "mutation($o: ID!) { createPerson(input: {organizationId: $o, name: \"新人\", employeeNo: \"E001\"}) { id } }",
            json!({"o": f.b1.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"));
    let v = f.app.gql(Some(&oa), "{ person(id: \"not-a-uuid\") { name } }", json!({})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"));
    let v = f.app.gql(None, "{ people { totalCount } }", json!({})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("UNAUTHENTICATED"));
}
