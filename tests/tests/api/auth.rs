//! Authentication: every grant type, refresh rotation and reuse detection, lock-out,
//! logout, token revocation and the access-token checks.

use actix_web::{http::StatusCode, test};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::common::{Fixture, JWT_SECRET, PASSWORD, TestApp};

#[actix_web::test]
async fn password_grant_json_and_form() {
    let f = Fixture::new().await;
    let t = f.app.login_full("member_b1", PASSWORD).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    assert!(t["refresh_token"].as_str().is_some_and(|s| s.len() >= 40));
    let form = f
        .app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/auth/token")
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(format!(
                    "grant_type=password&username=member_b1&password={}",
                    PASSWORD.replace('!', "%21")
                )),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert_eq!(form.header("cache-control").as_deref(), Some("no-store"));
    let me = f.app.get("/api/v1/me", form.json()["access_token"].as_str()).await;
    assert_eq!(me.json()["user"]["username"], "member_b1");
}

#[actix_web::test]
async fn unknown_user_and_wrong_password_answer_the_same() {
    let f = Fixture::new().await;
    let body = |u: &str| json!({"grant_type": "password", "username": u, "password": "Wrong-Passw0rd!"});
    let a = f.app.post("/api/v1/auth/token", None, body("member_b1")).await;
    let b = f.app.post("/api/v1/auth/token", None, body("nobody_here")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.status, b.status);
    assert_eq!(a.body, b.body);
    assert_eq!(a.json()["code"], "UNAUTHENTICATED");
    assert_eq!(a.json()["error"], "invalid_grant");
}

#[actix_web::test]
async fn missing_fields_and_unknown_grant_are_validation_errors() {
    let app = TestApp::empty().await;
    let r = app.post("/api/v1/auth/token", None, json!({"grant_type": "password", "username": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "password");
    let r = app.post("/api/v1/auth/token", None, json!({"grant_type": "implicit"})).await;
    assert_eq!(r.json()["errors"][0]["field"], "grant_type");
    let r = app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/auth/token")
                .insert_header(("Content-Type", "text/plain"))
                .set_payload("x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let f = Fixture::new().await;
    let first = f.app.login_full("member_b1", PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let refresh = |t: &str| json!({"grant_type": "refresh_token", "refresh_token": t});
    let second = f.app.post("/api/v1/auth/token", None, refresh(r1)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    let r2 = second.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    // Replaying the rotated token is refused and revokes the whole family, r2 included.
    let replay = f.app.post("/api/v1/auth/token", None, refresh(r1)).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    let after = f.app.post("/api/v1/auth/token", None, refresh(&r2)).await;
    assert_eq!(after.status, StatusCode::BAD_REQUEST);
    // Another login (another family) is unaffected.
    let other = f.app.login_full("member_b1", PASSWORD).await;
    let ok = f.app.post("/api/v1/auth/token", None, refresh(other["refresh_token"].as_str().unwrap())).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[actix_web::test]
async fn logout_revokes_the_refresh_token() {
    let f = Fixture::new().await;
    let t = f.app.login_full("member_b1", PASSWORD).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let r = f.app.post("/api/v1/auth/logout", None, json!({"refresh_token": rt})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = f.app.post("/api/v1/auth/token", None, json!({"grant_type": "refresh_token", "refresh_token": rt})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn repeated_failures_lock_the_account() {
    let f = Fixture::new().await;
    for _ in 0..5 {
        let r = f
            .app
            .post(
                "/api/v1/auth/token",
                None,
                json!({"grant_type": "password", "username": "member_b1", "password": "Nope-Nope-123"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    // Now even the right password is refused, with the same answer.
    let r = f
        .app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "password", "username": "member_b1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "UNAUTHENTICATED");
    // An administrator's password reset lifts the lock.
    let admin = f.app.login("admin").await;
    let r = f
        .app
        .post(
            &format!("/api/v1/users/{}/password", f.u_member_b1),
            Some(&admin),
            json!({"password": "Brand-New-Pass1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    f.app.login_full("member_b1", "Brand-New-Pass1").await;
}

#[actix_web::test]
async fn client_credentials_in_body_or_basic() {
    let f = Fixture::new().await;
    let token = f.token("hr").await;
    let me = f.app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.json()["kind"], "client");
    assert_eq!(me.json()["roles"][0]["role"], "hr_reader");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", f.hr_client_id, f.hr_secret));
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/auth/token")
                .insert_header(("Authorization", format!("Basic {basic}")))
                .set_json(json!({"grant_type": "client_credentials"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json().get("refresh_token").is_none());
    let r = f
        .app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": f.hr_client_id, "client_secret": "wrong"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "invalid_client");
}

fn forge(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[actix_web::test]
async fn bad_access_tokens_are_refused() {
    let f = Fixture::new().await;
    let good = f.app.login_full("member_b1", PASSWORD).await;
    let access = good["access_token"].as_str().unwrap();
    assert_eq!(f.app.get("/api/v1/me", Some(access)).await.status, StatusCode::OK);
    let payload = access.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 120);
    expired["nbf"] = json!(now - 300);
    let mut other_aud = claims.clone();
    other_aud["aud"] = json!("some-other-api");
    let mut not_yet = claims.clone();
    not_yet["nbf"] = json!(now + 600);
    let mut wrong_type = claims.clone();
    wrong_type["typ"] = json!("refresh");
    // alg: none, same claims, empty signature.
    let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{payload}.");
    // Tampered: a different payload under the original signature.
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::now_v7());
    let tampered_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tampered_claims.to_string());
    let sig = access.split('.').nth(2).unwrap();
    let head = access.split('.').next().unwrap();
    let tampered = format!("{head}.{tampered_payload}.{sig}");
    let cases = [
        ("expired", forge(expired, JWT_SECRET)),
        ("wrong audience", forge(other_aud, JWT_SECRET)),
        ("not yet valid", forge(not_yet, JWT_SECRET)),
        ("not an access token", forge(wrong_type, JWT_SECRET)),
        ("other key", forge(claims.clone(), "another-secret-another-secret-another")),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("refresh token as access token", good["refresh_token"].as_str().unwrap().to_owned()),
        ("garbage", "not-a-token".to_owned()),
    ];
    for (what, token) in cases {
        let r = f.app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what} must be refused");
        assert_eq!(r.json()["code"], "UNAUTHENTICATED", "{what}");
        assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
        let g = f.app.gql(Some(&token), "{ me { kind } }", json!({})).await;
        assert_eq!(crate::common::gql_code(&g).as_deref(), Some("UNAUTHENTICATED"), "{what} over GraphQL");
    }
}

#[actix_web::test]
async fn revoking_tokens_and_disabling_end_access() {
    let f = Fixture::new().await;
    let member = f.app.login_full("member_b1", PASSWORD).await;
    let access = member["access_token"].as_str().unwrap();
    let admin = f.app.login("admin").await;
    let r = f.app.post(&format!("/api/v1/users/{}/revoke-tokens", f.u_member_b1), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(f.app.get("/api/v1/me", Some(access)).await.status, StatusCode::UNAUTHORIZED);
    let refresh = json!({"grant_type": "refresh_token", "refresh_token": member["refresh_token"]});
    assert_eq!(f.app.post("/api/v1/auth/token", None, refresh).await.status, StatusCode::BAD_REQUEST);
    // Disabling: new logins refused, existing tokens dead.
    let access = f.app.login("member_b1").await;
    let path = format!("/api/v1/users/{}", f.u_member_b1);
    let tag = f.etag(&path).await;
    let r = f.app.patch(&path, Some(&admin), Some(&tag), json!({"disabled": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(f.app.get("/api/v1/me", Some(&access)).await.status, StatusCode::UNAUTHORIZED);
    let r = f
        .app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "password", "username": "member_b1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn me_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let t = f.token("member_b1").await;
    let r = f.app.get("/api/v1/me", Some(&t)).await.json();
    assert_eq!(r["kind"], "user");
    assert_eq!(r["person"]["name"], "李党员");
    assert_eq!(r["roles"][0]["role"], "member");
    assert_eq!(r["roles"][0]["organization_id"], f.b1.to_string());
    let g = f
        .app
        .gql(
            Some(&t),
            "{ me { kind user { username } person { name phone } roles { role organization { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(g["data"]["me"]["user"]["username"], "member_b1");
    assert_eq!(g["data"]["me"]["person"]["phone"], "13800000000", "own personal data is visible");
    assert_eq!(g["data"]["me"]["roles"][0]["role"], "MEMBER");
    assert_eq!(g["data"]["me"]["roles"][0]["organization"]["name"], "研发一支部");
    assert_eq!(f.app.get("/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn own_password_change_signs_out_everywhere() {
    let f = Fixture::new().await;
    let t = f.token("member_b1").await;
    let r = f
        .app
        .post("/api/v1/me/password", Some(&t), json!({"current_password": "wrong", "new_password": "Another-Pass-42"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "current_password");
    let r = f
        .app
        .post("/api/v1/me/password", Some(&t), json!({"current_password": PASSWORD, "new_password": "short"}))
        .await;
    assert_eq!(r.json()["errors"][0]["field"], "new_password");
    let r = f
        .app
        .post("/api/v1/me/password", Some(&t), json!({"current_password": PASSWORD, "new_password": "Another-Pass-42"}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(f.app.get("/api/v1/me", Some(&t)).await.status, StatusCode::UNAUTHORIZED);
    f.app.login_full("member_b1", "Another-Pass-42").await;
}

#[actix_web::test]
async fn first_admin_is_created_once() {
    let app = TestApp::empty().await;
    let created =
        dangjian::services::auth::ensure_admin(app.db(), &app.state.policy.passwords, "admin", None).await.unwrap();
    let generated = created.flatten().expect("a generated password");
    assert!(generated.len() >= 20);
    app.login_full("admin", &generated).await;
    assert!(
        dangjian::services::auth::ensure_admin(app.db(), &app.state.policy.passwords, "admin", None)
            .await
            .unwrap()
            .is_none()
    );
}
