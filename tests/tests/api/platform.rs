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
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["checks"], json!({"database": "ok", "storage": "ok"}), "{}", ready.text());
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

/// A request whose body sends `first` and then, every `gap`, one more byte (never all
/// of the `Content-Length` it declares), or nothing more when `gap` is `None`.
fn slow_body(uri: &str, first: &'static [u8], gap: Option<std::time::Duration>) -> actix_http::Request {
    use actix_web::{dev::Payload, error::PayloadError, web::Bytes};
    use futures_util::StreamExt;
    let head = futures_util::stream::once(async move { Ok::<_, PayloadError>(Bytes::from_static(first)) });
    let rest: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>> = match gap {
        None => Box::pin(head.chain(futures_util::stream::pending())),
        Some(gap) => Box::pin(head.chain(futures_util::stream::unfold((), move |()| async move {
            tokio::time::sleep(gap).await;
            Some((Ok(Bytes::from_static(b" ")), ()))
        }))),
    };
    let req = test::TestRequest::post()
        .uri(uri)
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Content-Length", "4000"))
        .to_request();
    req.replace_payload(Payload::Stream { payload: rest }).0
}

/// Calls the service as the server would: an error it returns is rendered as the
/// server renders it.
async fn answer<S, B>(svc: &S, req: actix_http::Request) -> actix_web::HttpResponse
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody + 'static,
{
    match test::try_call_service(svc, req).await {
        Ok(res) => res.into_parts().1.map_into_boxed_body(),
        Err(err) => err.error_response(),
    }
}

#[actix_web::test]
async fn stalled_bodies_are_408_and_a_full_replica_sheds_with_503() {
    use std::time::{Duration, Instant};
    let app = TestApp::with(|s| {
        s.body_idle_timeout_secs = 1;
        s.max_in_flight = 1;
    })
    .await;
    let svc = test::init_service(dangjian::startup::build_app(app.state.clone(), app.schema.clone())).await;
    let started = Instant::now();
    // One request stalls mid-body and holds the replica's only place; a second request
    // meanwhile is shed at once, the probes still answer.
    let stalled = answer(&svc, slow_body("/api/v1/auth/token", b"{\"grant_type\":", None));
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let shed = answer(&svc, test::TestRequest::get().uri("/api/v1/me").to_request()).await;
        let shed_at = started.elapsed();
        let status = shed.status();
        let retry = shed.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
        let body: serde_json::Value =
            serde_json::from_slice(&actix_web::body::to_bytes(shed.into_body()).await.unwrap()).unwrap();
        let ready = answer(&svc, test::TestRequest::get().uri("/readyz").to_request()).await;
        (status, retry, body, shed_at, ready.status())
    };
    let (stalled, (shed, retry, body, shed_at, ready)) = futures_util::join!(stalled, meanwhile);
    assert_eq!(shed, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "UNAVAILABLE");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(shed_at < Duration::from_millis(900), "shed at once, not queued: {shed_at:?}");
    assert_eq!(ready, StatusCode::OK, "probes are never shed");
    let waited = started.elapsed();
    assert_eq!(stalled.status(), StatusCode::REQUEST_TIMEOUT);
    let body: serde_json::Value =
        serde_json::from_slice(&actix_web::body::to_bytes(stalled.into_body()).await.unwrap()).unwrap();
    assert_eq!(body["code"], "REQUEST_TIMEOUT", "{body}");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "{waited:?}");
    // The place is free again; a GraphQL body that stalls is a 408 as well.
    let r = answer(&svc, test::TestRequest::get().uri("/api/v1/me").to_request()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = answer(&svc, slow_body("/graphql", b"{\"query\":\"{ me", None)).await;
    assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);

    // A body trickling in (a byte every 200 ms, never idle for the idle timeout) is
    // still the client's fault when the request timeout ends: 408, not 503.
    let app = TestApp::with(|s| {
        s.request_timeout_secs = 2;
        s.body_idle_timeout_secs = 5;
    })
    .await;
    let svc = test::init_service(dangjian::startup::build_app(app.state.clone(), app.schema.clone())).await;
    let started = Instant::now();
    let r = answer(&svc, slow_body("/api/v1/auth/token", b"{", Some(Duration::from_millis(200)))).await;
    assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[actix_web::test]
async fn metrics_name_what_operators_watch() {
    let app = TestApp::empty().await;
    let r = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "password", "username": "nobody-here", "password": "Wrong-Passw0rd!"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = app
        .send(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("Content-Type", "application/json"))
                .set_json(json!({"query": "query Probe { __typename }", "operationName": "Probe"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .send(
            test::TestRequest::get()
                .uri("/metrics")
                .insert_header(("Authorization", "Bearer test-metrics-token-0123456789")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    for name in [
        "dangjian_http_requests_total",
        "dangjian_http_request_duration_seconds_bucket",
        "dangjian_sql_statements_per_request_bucket",
        "dangjian_db_pool_connections",
        "dangjian_login_failures_total{reason=\"unknown_account\"}",
        "dangjian_password_checks_waiting",
        "dangjian_graphql_operations_total{operation=\"Probe\",outcome=\"ok\"}",
    ] {
        assert!(text.contains(name), "/metrics lacks {name}");
    }
    let r = app.send(test::TestRequest::get().uri("/metrics").insert_header(("Authorization", "Bearer wrong"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
