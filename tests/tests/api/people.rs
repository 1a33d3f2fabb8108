//! People: create and validation, unique employee numbers, transfers with history,
//! filters, and who sees personal data.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::common::{Fixture, gql_code};

#[actix_web::test]
async fn create_validate_and_conflict() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&oa),
            json!({"organization_id": f.b1, "name": "陈工", "employee_no": "E100", "party_status": "probationary", "phone": "139-0000-0000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.header("location").unwrap().ends_with(r.json()["id"].as_str().unwrap()));
    assert_eq!(r.json()["party_status"], "probationary");
    let dup = f
        .app
        .post("/api/v1/people", Some(&oa), json!({"organization_id": f.b1, "name": "另一个", "employee_no": "E100"}))
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.json()["detail"].as_str().unwrap().contains("E100"));
    let bad = f
        .app
        .post(
            "/api/v1/people",
            Some(&oa),
            json!({"organization_id": f.b1, "name": " ", "employee_no": "E 1", "email": "nope"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.json();
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "employee_no", "email"]);
    let bad_enum = f
        .app
        .post(
            "/api/v1/people",
            Some(&oa),
            json!({"organization_id": f.b1, "name": "x", "employee_no": "E9", "party_status": "boss"}),
        )
        .await;
    assert_eq!(bad_enum.json()["errors"][0]["field"], "party_status");
    let missing = f.app.post("/api/v1/people", Some(&oa), json!({"organization_id": f.b1, "name": "x"})).await;
    assert_eq!(missing.json()["errors"][0]["field"], "employee_no");
    // Nothing half-written: only the one valid person was added to b1.
    let list = f.app.get(&format!("/api/v1/people?organization_id={}", f.b1), Some(&oa)).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
}

#[actix_web::test]
async fn transfer_keeps_history_and_needs_both_ends_in_scope() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let path = format!("/api/v1/people/{}", f.p_other_b1);
    let tag = f.etag(&path).await;
    // b2 is outside the b1 org_admin's subtree: the receiving end must be managed too.
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("{path}/transfer"))
                .insert_header(("Authorization", format!("Bearer {oa}")))
                .insert_header(("If-Match", tag.as_str()))
                .set_json(json!({"to_organization_id": f.b2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "b2 is invisible to the b1 org_admin");
    let admin = f.token("admin").await;
    let v = f.version(&path).await;
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $v: Int!, $to: ID!) { transferPerson(id: $id, expectedVersion: $v, input: {toOrganizationId: $to, reason: \"岗位调整\", effectiveOn: \"2026-11-01\"}) { organization { name } transfers { fromOrganization { name } toOrganization { name } reason effectiveOn } } }",
            json!({"id": f.p_other_b1.to_string(), "v": v, "to": f.b2.to_string()}),
        )
        .await;
    assert!(g["errors"].is_null(), "{g}");
    let p = &g["data"]["transferPerson"];
    assert_eq!(p["organization"]["name"], "研发二支部");
    assert_eq!(p["transfers"][0]["fromOrganization"]["name"], "研发一支部");
    assert_eq!(p["transfers"][0]["reason"], "岗位调整");
    assert_eq!(p["transfers"][0]["effectiveOn"], "2026-11-01");
    // Now outside the b1 org_admin's scope: NOT_FOUND.
    assert_eq!(f.app.get(&path, Some(&oa)).await.status, StatusCode::NOT_FOUND);
    let hist = f.app.get(&format!("{path}/transfers"), Some(&admin)).await.json();
    assert_eq!(hist.as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn filters_by_subtree_status_and_text() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
    };
    let gb = f.app.get(&format!("/api/v1/people?organization_id={}", f.gb), Some(&admin)).await.json();
    assert_eq!(names(gb).len(), 6, "the subtree of gb: b1 (3), b2 (2) and gb itself (1)");
    let by_no = f.app.get("/api/v1/people?q=E00", Some(&admin)).await.json();
    assert_eq!(names(by_no).len(), 7);
    let by_name = f.app.get(&format!("/api/v1/people?q={}", "%E5%BC%A0"), Some(&admin)).await.json();
    assert_eq!(names(by_name), ["张工"]);
    let path = format!("/api/v1/people/{}", f.p_b3);
    let tag = f.etag(&path).await;
    // Going back is a correction: the party-status operation with a note.
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("{path}/party-status"))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", tag.as_str()))
                .set_json(json!({"status": "activist", "note": "更正"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let activists = f.app.get("/api/v1/people?party_status=activist", Some(&admin)).await.json();
    assert_eq!(names(activists), ["钱主任"]);
    let g = f.app.gql(Some(&admin), "{ people(partyStatus: ACTIVIST) { totalCount } }", json!({})).await;
    assert_eq!(g["data"]["people"]["totalCount"], 1);
}

#[actix_web::test]
async fn personal_data_visibility() {
    let f = Fixture::new().await;
    let q = "query($id: ID!) { person(id: $id) { phone email } }";
    let other = json!({"id": f.p_other_b1.to_string()});
    let own = json!({"id": f.p_member_b1.to_string()});
    let member = f.token("member_b1").await;
    let g = f.app.gql(Some(&member), q, other.clone()).await;
    assert!(g["data"]["person"]["phone"].is_null(), "a member does not see a colleague's phone");
    let g = f.app.gql(Some(&member), q, own).await;
    assert_eq!(g["data"]["person"]["phone"], "13800000000", "but sees their own");
    let r = f.app.get(&format!("/api/v1/people/{}", f.p_other_b1), Some(&member)).await.json();
    assert!(r["email"].is_null());
    let oa = f.token("orgadmin_b1").await;
    let g = f.app.gql(Some(&oa), q, other.clone()).await;
    assert_eq!(g["data"]["person"]["email"], "E003@example.com");
    let insp = f.token("inspector_gb").await;
    let g = f.app.gql(Some(&insp), q, other.clone()).await;
    assert!(g["data"]["person"]["phone"].is_null(), "inspectors read people, not personal data");
    let hr = f.token("hr").await;
    let g = f.app.gql(Some(&hr), q, other.clone()).await;
    assert!(g["data"]["person"]["phone"].is_null(), "a client without personal_data");
    // Granting the personal_data scope changes that.
    let admin = f.token("admin").await;
    let clients = f.app.get("/api/v1/service-clients", Some(&admin)).await.json();
    let id = clients["items"][0]["id"].as_str().unwrap().to_owned();
    let tag = f.etag(&format!("/api/v1/service-clients/{id}")).await;
    let r = f
        .app
        .patch(
            &format!("/api/v1/service-clients/{id}"),
            Some(&admin),
            Some(&tag),
            json!({"scopes": ["people:read", "organizations:read", "personal_data"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let hr = f.token("hr").await;
    let g = f.app.gql(Some(&hr), q, other).await;
    assert_eq!(g["data"]["person"]["phone"], "13800000000");
    assert_eq!(gql_code(&g), None);
}
