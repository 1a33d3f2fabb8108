//! Platform behaviour: health, readiness, problem+json for unknown routes and bad
//! bodies, request ids, security headers, GraphiQL and docs served without a CDN.

use actix_web::{http::StatusCode, test};
use serde_json::json;

use crate::common::TestApp;

#[actix_web::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::empty().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 32));
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_lost_database_is_503_with_retry_after_and_readyz_names_it() {
    let app = TestApp::empty().await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.json()["checks"]["database"], "ok", "{}", ready.text());
    // The pool is shared by every clone: closing one closes the application's.
    app.db().clone().close().await.unwrap();
    let started = std::time::Instant::now();
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.text());
    assert_eq!(ready.json()["checks"]["database"], "unreachable", "{}", ready.text());
    assert_eq!(ready.header("retry-after").as_deref(), Some("1"));
    let r = app
        .post(
            "/api/v1/auth/token",
            None,
            serde_json::json!({"grant_type": "password", "username": "x", "password": "y"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.json()["code"], "UNAVAILABLE");
    assert!(r.header("retry-after").is_some());
    assert!(!r.text().to_lowercase().contains("pool"), "no internals: {}", r.text());
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

#[actix_web::test]
async fn unknown_routes_and_bad_bodies_are_problem_json() {
    let app = TestApp::empty().await;
    for path in ["/nope", "/api/v1/nope"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"));
        assert_eq!(r.json()["code"], "NOT_FOUND");
    }
    let r = app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/auth/logout")
                .insert_header(("Content-Type", "application/json"))
                .set_payload("{not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["code"], "VALIDATION");
    assert!(!r.text().to_lowercase().contains("sql"));
    let r = app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/auth/logout")
                .insert_header(("Content-Type", "text/plain"))
                .set_payload("x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app.post("/api/v1/auth/logout", None, json!({"refresh_token": "x".repeat(100 * 1024)})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[actix_web::test]
async fn graphiql_and_docs_work_offline() {
    let app = TestApp::empty().await;
    let page = app.get("/graphiql", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(!html.contains("https://") && !html.contains("http://"), "no CDN in GraphiQL");
    for asset in ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"] {
        assert!(html.contains(&format!("/graphiql/assets/{asset}")));
        let r = app.get(&format!("/graphiql/assets/{asset}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{asset}");
    }
    assert_eq!(app.get("/graphiql/assets/../../Cargo.toml", None).await.status, StatusCode::NOT_FOUND);
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(!docs.text().contains("https://"), "no CDN in the docs UI");
    let spec = app.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(spec["openapi"], "3.1.0");
}

#[actix_web::test]
async fn demo_seed_is_idempotent_and_its_logins_work() {
    let app = TestApp::empty().await;
    let first = dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    assert!(first.contains("loaded 17 organisations, 200 people, 8 documents"), "{first}");
    let second = dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    assert!(second.contains("already loaded"), "{second}");
    for who in ["demo_admin", "demo_orgadmin", "demo_inspector", "demo_member", "demo_groupmember"] {
        app.login_full(who, dangjian::seed::DEMO_PASSWORD).await;
    }
    let admin = app.login_full("demo_admin", dangjian::seed::DEMO_PASSWORD).await;
    let token = admin["access_token"].as_str().unwrap();
    let q =
        "{ people { totalCount } everyone: people(includeEnded: true) { totalCount } organizations { totalCount } }";
    let g = app.gql(Some(token), q, json!({})).await;
    // Two of the 200 have left (one retired, one transferred out): lists skip them.
    assert_eq!(g["data"]["people"]["totalCount"], 198, "{g}");
    assert_eq!(g["data"]["everyone"]["totalCount"], 200, "{g}");
    // 17 in the tree plus 10 party groups built on research projects (the innovation demo).
    assert_eq!(g["data"]["organizations"]["totalCount"], 27);
    // The org_admin of the R&D general branch sees only its subtree.
    let oa = app.login_full("demo_orgadmin", dangjian::seed::DEMO_PASSWORD).await;
    let g = app.gql(oa["access_token"].as_str(), "{ organizations { totalCount } }", json!({})).await;
    assert_eq!(g["data"]["organizations"]["totalCount"], 11, "6 in the tree and 5 project groups");
    // The demo knowledge base answers a Chinese search for a member.
    let m = app.login_full("demo_member", dangjian::seed::DEMO_PASSWORD).await;
    let g = app
        .gql(
            m["access_token"].as_str(),
            "{ search(query: \"科技创新\") { totalCount hits { title snippet } } }",
            json!({}),
        )
        .await;
    assert!(g["data"]["search"]["totalCount"].as_u64().unwrap_or(0) >= 3, "{g}");
    let g = app.gql(m["access_token"].as_str(), "{ studySessions { totalCount } }", json!({})).await;
    assert_eq!(
        g["data"]["studySessions"]["totalCount"], 20,
        "12 committee meetings, 5 general meetings (one a week ahead), 3 lectures: {g}"
    );
}

#[actix_web::test]
async fn migrations_are_reversible() {
    use migration::{Migrator, MigratorTrait};
    let app = TestApp::empty().await;
    Migrator::down(app.db(), None).await.expect("every migration reverts");
    assert!(Migrator::get_applied_migrations(app.db()).await.unwrap().is_empty());
    Migrator::up(app.db(), None).await.expect("and applies again");
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    dangjian::services::auth::ensure_admin(
        app.db(),
        &app.state.policy.passwords,
        "admin",
        Some(crate::common::PASSWORD.into()),
    )
    .await
    .unwrap();
    app.login("admin").await;
}

#[actix_web::test]
async fn cors_is_closed_unless_configured() {
    let preflight = |origin: &str| {
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/v1/me")
            .insert_header(("Origin", origin))
            .insert_header(("Access-Control-Request-Method", "GET"))
            .insert_header(("Access-Control-Request-Headers", "authorization"))
    };
    let closed = TestApp::empty().await;
    let r = closed.send(preflight("https://app.example.com")).await;
    assert!(r.header("access-control-allow-origin").is_none());
    let open = TestApp::with(|s| s.cors_origins = vec!["https://app.example.com".into()]).await;
    let r = open.send(preflight("https://app.example.com")).await;
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("https://app.example.com"));
    let r = open.send(preflight("https://evil.example.com")).await;
    assert!(r.header("access-control-allow-origin").is_none());
}
