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
    let old_access = f.app.post("/api/v1/auth/token", None, token(&secret)).await.json()["access_token"].clone();
    let old_access = old_access.as_str().unwrap();

    // Rotation overlaps: the new secret works at once, the old one for the grace period
    // (24 hours by default), and tokens already issued keep working.
    let rotated = f.app.post(&format!("/api/v1/service-clients/{id}/secret"), Some(&admin), json!({})).await.json();
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    let until = rotated["client"]["previous_secret_expires_at"].as_str().expect("grace end shown").to_owned();
    let until = chrono::DateTime::parse_from_rfc3339(&until).unwrap();
    let hours = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(&secret)).await.status, StatusCode::OK);
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(&new_secret)).await.status, StatusCode::OK);
    assert_eq!(f.app.get("/api/v1/people", Some(old_access)).await.status, StatusCode::OK);
    // The grace period is the rotation's to choose, within bounds named by field.
    let r =
        f.app.post(&format!("/api/v1/service-clients/{id}/secret"), Some(&admin), json!({"grace_seconds": -1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "grace_seconds");
    // A leaked secret: no grace, and the tokens issued so far end too. Both earlier
    // secrets stop working.
    let body = json!({"grace_seconds": 0, "revoke_tokens": true});
    let rotated = f.app.post(&format!("/api/v1/service-clients/{id}/secret"), Some(&admin), body).await.json();
    assert!(rotated["client"]["previous_secret_expires_at"].is_null(), "{rotated}");
    let newest = rotated["client_secret"].as_str().unwrap();
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(&secret)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(&new_secret)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.app.get("/api/v1/people", Some(old_access)).await.status, StatusCode::UNAUTHORIZED);
    // GraphQL rotates too, with the same input.
    let q = "mutation($id: ID!) { rotateServiceClientSecret(id: $id, input: {graceSeconds: 60}) { clientSecret client { previousSecretExpiresAt } } }";
    let v = f.app.gql(Some(&admin), q, json!({"id": id})).await;
    assert!(v["data"]["rotateServiceClientSecret"]["client"]["previousSecretExpiresAt"].is_string(), "{v}");
    let newest_after_gql = v["data"]["rotateServiceClientSecret"]["clientSecret"].as_str().unwrap();
    assert_eq!(f.app.post("/api/v1/auth/token", None, token(newest)).await.status, StatusCode::OK);
    let t = f.app.post("/api/v1/auth/token", None, token(newest_after_gql)).await.json();
    let access = t["access_token"].as_str().unwrap();
    // `people:read` reads the organisation tree of its subtree (b1) and b1's people only.
    let orgs = f.app.get("/api/v1/organizations", Some(access)).await;
    assert_eq!(orgs.status, StatusCode::OK, "{}", orgs.text());
    let ids: Vec<String> =
        orgs.json()["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, vec![f.b1.to_string()]);
    let people = f.app.get("/api/v1/people", Some(access)).await.json();
    assert_eq!(people["items"].as_array().unwrap().len(), 3);
    // Disabling cuts the client off at once.
    let tag = f.etag(&format!("/api/v1/service-clients/{id}")).await;
    f.app.patch(&format!("/api/v1/service-clients/{id}"), Some(&admin), Some(&tag), json!({"disabled": true})).await;
    assert_eq!(f.app.get("/api/v1/people", Some(access)).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn org_admin_cannot_take_over_a_more_powerful_account_in_their_subtree() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    // The b1 member is made a global admin (their person still sits in b1).
    let r =
        f.app.post("/api/v1/role-assignments", Some(&admin), json!({"user_id": f.u_member_b1, "role": "admin"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let oa = f.token("orgadmin_b1").await;
    let path = format!("/api/v1/users/{}", f.u_member_b1);
    let r = f.app.post(&format!("{path}/password"), Some(&oa), json!({"password": "Taken-Over-123"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let tag = f.etag(&path).await;
    assert_eq!(
        f.app.patch(&path, Some(&oa), Some(&tag), json!({"disabled": true})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(f.app.post(&format!("{path}/revoke-tokens"), Some(&oa), json!({})).await.status, StatusCode::FORBIDDEN);
    let g = f
        .app
        .gql(
            Some(&oa),
            "mutation($id: ID!) { resetUserPassword(id: $id, password: \"Taken-Over-123\") { id } }",
            json!({"id": f.u_member_b1.to_string()}),
        )
        .await;
    assert_eq!(crate::common::gql_code(&g).as_deref(), Some("FORBIDDEN"));
    // The account still logs in with its own password.
    f.app.login("member_b1").await;
}

#[actix_web::test]
async fn wrong_current_passwords_count_towards_the_lock_out() {
    let f = Fixture::new().await;
    let t = f.token("member_b1").await;
    for _ in 0..5 {
        let r = f
            .app
            .post(
                "/api/v1/me/password",
                Some(&t),
                json!({"current_password": "Guess-Guess-1", "new_password": "Another-Pass-42"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = f
        .app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "password", "username": "member_b1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "locked after five wrong guesses");
    let r = f
        .app
        .post("/api/v1/me/password", Some(&t), json!({"current_password": PASSWORD, "new_password": "Another-Pass-42"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "even the right password is refused while locked");
}

#[actix_web::test]
async fn rotating_a_client_secret_keeps_its_tokens_unless_asked_to_revoke_them() {
    let f = Fixture::new().await;
    let old = f.token("hr").await;
    assert_eq!(f.app.get("/api/v1/people", Some(&old)).await.status, StatusCode::OK);
    let admin = f.token("admin").await;
    let clients = f.app.get("/api/v1/service-clients", Some(&admin)).await.json();
    let id = clients["items"][0]["id"].as_str().unwrap().to_owned();
    // Without a body (curl -X POST): the defaults.
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/service-clients/{id}/secret"))
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(f.app.get("/api/v1/people", Some(&old)).await.status, StatusCode::OK);
    let r =
        f.app.post(&format!("/api/v1/service-clients/{id}/secret"), Some(&admin), json!({"revoke_tokens": true})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(f.app.get("/api/v1/people", Some(&old)).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_last_global_administrator_is_kept() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let me = f.app.get("/api/v1/me", Some(&admin)).await.json();
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(me["roles"].as_array().unwrap().len(), 1, "{me}");
    assert_eq!(me["roles"][0]["role"], "admin");
    assert!(me["roles"][0]["organization_id"].is_null());
    let admin_grant = me["roles"][0]["id"].as_str().unwrap().to_owned();
    // Revoking the only global admin grant: REST and GraphQL.
    let r = f.app.delete(&format!("/api/v1/role-assignments/{admin_grant}"), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["code"], "CONFLICT");
    let g =
        f.app.gql(Some(&admin), "mutation($id: ID!) { revokeRole(id: $id) }", json!({"id": admin_grant.clone()})).await;
    assert_eq!(crate::common::gql_code(&g).as_deref(), Some("CONFLICT"), "{g}");
    // Disabling its account, by a global org_admin (an admin cannot disable their own account).
    let r = f
        .app
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({"username": "global_oa", "password": PASSWORD, "person_id": f.p_b3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let oa_id = r.json()["id"].as_str().unwrap().to_owned();
    let r = f.app.post("/api/v1/role-assignments", Some(&admin), json!({"user_id": oa_id, "role": "org_admin"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let oa = f.app.login("global_oa").await;
    let admin_path = format!("/api/v1/users/{admin_id}");
    let tag = f.etag(&admin_path).await;
    let r = f.app.patch(&admin_path, Some(&oa), Some(&tag), json!({"disabled": true})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["code"], "CONFLICT");
    assert_eq!(f.etag(&admin_path).await, tag, "the account did not change");
    let roles = f.app.get(&format!("{admin_path}/roles"), Some(&admin)).await.json();
    assert_eq!(roles.as_array().unwrap().len(), 1, "the grant is still there");
    // With a second global admin, the first one's grant can go.
    let r =
        f.app.post("/api/v1/role-assignments", Some(&admin), json!({"user_id": f.u_member_b1, "role": "admin"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second_grant = r.json()["id"].as_str().unwrap().to_owned();
    let r = f.app.delete(&format!("/api/v1/role-assignments/{admin_grant}"), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // Now the second one is the last.
    let second = f.app.login("member_b1").await;
    let r = f.app.delete(&format!("/api/v1/role-assignments/{second_grant}"), Some(&second), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let path = format!("/api/v1/users/{}", f.u_member_b1);
    let tag = f.app.get(&path, Some(&second)).await.header("etag").unwrap();
    let r = f.app.patch(&path, Some(&oa), Some(&tag), json!({"disabled": true})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}
