//! Accounts and role grants: org_admins grant only inside their subtree and never
//! above their own role; service clients are administrators' business.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::common::{Fixture, PASSWORD};

#[actix_web::test]
async fn org_admin_creates_accounts_and_grants_within_subtree_only() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/users",
            Some(&oa),
            json!({"username": "zhang_gong", "password": PASSWORD, "person_id": f.p_other_b1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let uid = r.json()["id"].as_str().unwrap().to_owned();
    assert!(r.json().get("password_hash").is_none());
    let again = f
        .app
        .post(
            "/api/v1/users",
            Some(&oa),
            json!({"username": "zhang_gong2", "password": PASSWORD, "person_id": f.p_other_b1}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let weak = f
        .app
        .post("/api/v1/users", Some(&oa), json!({"username": "weak_one", "password": "123", "person_id": f.p_b2}))
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.json()["errors"][0]["field"], "password");
    let out = f
        .app
        .post("/api/v1/users", Some(&oa), json!({"username": "out_one", "password": PASSWORD, "person_id": f.p_b2}))
        .await;
    assert_eq!(out.status, StatusCode::UNPROCESSABLE_ENTITY, "a person outside the subtree is not found");
    // Grants: member and org_admin inside b1 are fine.
    let grant = |role: &str, org: Option<uuid::Uuid>| json!({"user_id": uid, "role": role, "organization_id": org});
    let r = f.app.post("/api/v1/role-assignments", Some(&oa), grant("member", Some(f.b1))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let grant_id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        f.app.post("/api/v1/role-assignments", Some(&oa), grant("member", Some(f.b1))).await.status,
        StatusCode::CONFLICT
    );
    // Never above their own role, never outside, never global.
    for (body, what) in [
        (grant("admin", None), "admin"),
        (grant("inspector", Some(f.b1)), "inspector"),
        (grant("org_admin", None), "global org_admin"),
        (grant("member", Some(f.gb)), "above own subtree"),
    ] {
        let r = f.app.post("/api/v1/role-assignments", Some(&oa), body).await;
        assert!(matches!(r.status.as_u16(), 403 | 404), "{what}: {}", r.status);
    }
    let r = f.app.post("/api/v1/role-assignments", Some(&oa), grant("org_admin", Some(f.b1))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The new account logs in with its grants.
    let t = f.app.login("zhang_gong").await;
    let me = f.app.get("/api/v1/me", Some(&t)).await.json();
    assert_eq!(me["roles"].as_array().unwrap().len(), 2);
    // Revoke.
    assert_eq!(
        f.app.delete(&format!("/api/v1/role-assignments/{grant_id}"), Some(&oa), None).await.status,
        StatusCode::NO_CONTENT
    );
    let roles = f.app.get(&format!("/api/v1/users/{uid}/roles"), Some(&oa)).await.json();
    assert_eq!(roles.as_array().unwrap().len(), 1);
    // An org_admin of b2 cannot touch b1's grants.
    let oa2 = f.token("orgadmin_b2").await;
    let r = f.app.get(&format!("/api/v1/users/{uid}"), Some(&oa2)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn service_clients_secret_shown_once_and_rotated() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let r = f
        .app
        .post(
            "/api/v1/service-clients",
            Some(&admin),
            json!({"name": "移动端后台", "scopes": ["people:read", "nonsense"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "scopes");
    let r = f
        .app
        .post(
            "/api/v1/service-clients",
            Some(&admin),
            json!({"name": "移动端后台", "scopes": ["people:read"], "organization_id": f.b1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let body = r.json();
    let (id, client_id, secret) = (
        body["client"]["id"].as_str().unwrap().to_owned(),
        body["client"]["client_id"].as_str().unwrap().to_owned(),
        body["client_secret"].as_str().unwrap().to_owned(),
    );
    let shown = f.app.get(&format!("/api/v1/service-clients/{id}"), Some(&admin)).await;
    assert!(!shown.text().contains(&secret), "the secret is never shown again");
    let token = |s: &str| json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": s});
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(&secret)).await.status, StatusCode::OK);
    let rotated = f.app.post(&format!("/api/v1/service-clients/{id}/secret"), Some(&admin), json!({})).await.json();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(&secret)).await.status, StatusCode::UNAUTHORIZED);
    let t = f.app.post("/api/v1/auth/token", None, token(new_secret)).await.json();
    let access = t["access_token"].as_str().unwrap();
    // A client without organizations:read cannot list organisations; with people:read it lists b1's people only.
    assert_eq!(f.app.get("/api/v1/organizations", Some(access)).await.status, StatusCode::FORBIDDEN);
    let people = f.app.get("/api/v1/people", Some(access)).await.json();
    assert_eq!(people["items"].as_array().unwrap().len(), 3);
    // Disabling cuts the client off at once.
    let tag = f.etag(&format!("/api/v1/service-clients/{id}")).await;
    f.app.patch(&format!("/api/v1/service-clients/{id}"), Some(&admin), Some(&tag), json!({"disabled": true})).await;
    assert_eq!(f.app.get("/api/v1/people", Some(access)).await.status, StatusCode::UNAUTHORIZED);
}
