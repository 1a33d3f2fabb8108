//! Regressions of the outside security test (issue 15), one test per finding, named
//! after what it guards. Each failed before its fix.

use actix_web::{http::StatusCode, test};
use dangjian::auth::Actor;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, PASSWORD, TestApp, urlencode};

/// A GraphQL document nested `depth` deep in one of several ways.
fn nested(shape: &str, depth: usize) -> String {
    match shape {
        "list" => format!("{{ me(x: {}1{}) {{ kind }} }}", "[".repeat(depth), "]".repeat(depth)),
        "object" => format!("{{ me(x: {}1{}) {{ kind }} }}", "{a: ".repeat(depth), "}".repeat(depth)),
        "selection" => format!("{}{}", "{ me ".repeat(depth), "}".repeat(depth)),
        "parens" => format!("{{ me{} }}", "(".repeat(depth)),
        _ => format!("query($v: {}Int{}) {{ me {{ kind }} }}", "[".repeat(depth), "]".repeat(depth)),
    }
}

/// Whether a GraphQL request was refused: a 4xx, or (a refused document, as the
/// GraphQL-over-HTTP specification answers it) 200 with errors and no data.
fn refused(r: &crate::common::Resp) -> bool {
    r.status.is_client_error()
        || (r.status == StatusCode::OK
            && r.json()["data"].is_null()
            && r.json()["errors"][0]["extensions"]["code"].is_string())
}

async fn server_is_up(app: &TestApp) {
    let r = app.post("/graphql", None, json!({"query": "{ __typename }"})).await;
    assert_eq!(r.status, StatusCode::OK, "the server must keep serving: {}", r.text());
}

#[actix_web::test]
async fn deeply_nested_graphql_is_refused_before_parsing_and_the_server_stays_up() {
    let app = TestApp::empty().await;
    // Growing depths of every shape, over POST and GET: never a crash, never a 5xx,
    // and past the limit (32) a 4xx.
    for shape in ["list", "object", "selection", "parens", "type"] {
        for depth in [4usize, 16, 31, 33, 64, 500, 2_000, 20_000] {
            let doc = nested(shape, depth);
            let post = app.post("/graphql", None, json!({"query": doc})).await;
            assert!(!post.status.is_server_error(), "{shape} {depth}: {}", post.text());
            if depth > 32 {
                assert!(refused(&post), "{shape} {depth} over POST: {}", post.text());
            }
            if doc.len() < 8_000 {
                let get = app.get(&format!("/graphql?query={}", urlencode(&doc)), None).await;
                assert!(!get.status.is_server_error(), "{shape} {depth} over GET: {}", get.text());
                if depth > 32 {
                    assert!(refused(&get), "{shape} {depth} over GET: {}", get.text());
                }
            }
        }
    }
    // The 2,000-level request of the report, and deep variables, as JSON and over GET.
    let report = format!("{{ me(x: {}1{}) {{ kind }} }}", "[".repeat(2000), "]".repeat(2000));
    assert!(refused(&app.post("/graphql", None, json!({"query": report})).await));
    let deep_var = format!("{}1{}", "[".repeat(2000), "]".repeat(2000));
    let body = format!(r#"{{"query":"query($v: Int) {{ __typename }}","variables":{{"v":{deep_var}}}}}"#);
    let r = app
        .send(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let get = format!(
        "/graphql?query={}&variables={}",
        urlencode("{ __typename }"),
        urlencode(&format!("{{\"v\":{deep_var}}}"))
    );
    assert_eq!(app.get(&get, None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Deep JSON in a REST body.
    let deep_obj = format!("{{\"name\":{}1{}}}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let r = app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/auth/token")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(deep_obj),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    server_is_up(&app).await;
}

#[actix_web::test]
async fn repeated_fields_and_oversized_documents_are_refused() {
    let app = TestApp::empty().await;
    let wide = format!("{{ {} }}", "__typename ".repeat(100));
    let r = app.post("/graphql", None, json!({"query": wide})).await;
    assert!(refused(&r), "{}", r.text());
    assert_eq!(r.json()["errors"][0]["extensions"]["code"], "VALIDATION");
    let huge = format!("{{ {} }}", "__typename ".repeat(32_000));
    let r = app.post("/graphql", None, json!({"query": huge})).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    server_is_up(&app).await;
}

#[actix_web::test]
async fn graphql_get_never_runs_a_mutation_whatever_its_name() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let q = format!("mutation Sneaky {{ revokeUserTokens(id: \"{}\") {{ id }} }}", f.u_member_b1);
    for uri in [
        format!("/graphql?query={}", urlencode(&q)),
        format!("/graphql?query={}&operationName=Sneaky", urlencode(&q)),
        format!("/graphql?query={}&operationName=Q", urlencode(&format!("query Q {{ __typename }} {q}"))),
    ] {
        let r = f.app.get(&uri, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}: {}", r.text());
    }
    // The member's tokens still work: nothing ran.
    let member = f.token("member_b1").await;
    assert_eq!(f.app.get("/api/v1/me", Some(&member)).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn concurrent_logins_are_bounded_by_the_password_pool() {
    let app = TestApp::with(|s| {
        s.password_threads = Some(2);
        s.password_wait_ms = 20;
    })
    .await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let app = app.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let body =
                json!({"grant_type": "password", "username": format!("nobody{i}"), "password": "not-a-password"});
            app.post("/api/v1/auth/token", None, body).await
        }));
    }
    let (mut refused, mut busy) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::BAD_REQUEST => refused += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(r.header("retry-after").as_deref(), Some("1"));
                assert_eq!(r.json()["code"], "UNAVAILABLE");
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(refused + busy, 200);
    assert!(refused > 0, "some logins are checked");
    assert!(busy > 0, "200 logins at once with a 20 ms wait must shed some");
    assert!(
        app.state.policy.passwords.peak_concurrency() <= 2,
        "at most two argon2 hashes (2 × 19 MiB) ever ran at once, got {}",
        app.state.policy.passwords.peak_concurrency()
    );
    server_is_up(&app).await;
}

#[actix_web::test]
async fn a_full_pool_answers_503_and_recovers() {
    let f = Fixture::with(|s| {
        s.db_max_connections = 1;
        s.request_timeout_secs = 3;
    })
    .await;
    let admin = f.token("admin").await;
    // Someone holds the only connection.
    let held = {
        use sea_orm::TransactionTrait;
        f.app.db().begin().await.unwrap()
    };
    let started = std::time::Instant::now();
    let r = f.app.get("/api/v1/organizations", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "answered before the request timeout");
    held.rollback().await.unwrap();
    assert_eq!(f.app.get("/api/v1/organizations", Some(&admin)).await.status, StatusCode::OK, "recovered");
}

#[actix_web::test]
async fn statements_end_before_the_request_timeout() {
    let app = TestApp::with(|s| s.request_timeout_secs = 2).await;
    let db = app.db();
    let started = std::time::Instant::now();
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT pg_sleep(10)",
        // SQLite has no sleep: a recursive count that runs far longer than the timeout
        // would; SQLite's busy timeout is the bound there for waiting on locks.
        _ => return,
    };
    let err = db.execute_unprepared(sql).await;
    assert!(err.is_err(), "the statement timeout must end it");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

#[actix_web::test]
async fn a_restored_database_does_not_bring_revoked_logins_back() {
    let f = Fixture::new().await;
    let url = f.app.state.settings.database_url();
    let login = f.app.login_full("member_b1", PASSWORD).await;
    let (access, refresh) =
        (login["access_token"].as_str().unwrap().to_owned(), login["refresh_token"].as_str().unwrap().to_owned());
    let db = f.app.db();
    // The state the backup holds (before the logout), and the server's view after it.
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let r = f.app.post("/api/v1/auth/logout", None, json!({"refresh_token": refresh})).await;
            assert!(r.status.is_success());
            let path = dangjian::services::epoch::watermark_path(&url).unwrap();
            dangjian::services::epoch::save_watermark(db, &path).await.unwrap();
            // "Restore" the backup: the revocation is gone from the database.
            entity::refresh_token::Entity::update_many()
                .col_expr(
                    entity::refresh_token::Column::RevokedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .exec(db)
                .await
                .unwrap();
            entity::auth_epoch::Entity::update_many()
                .col_expr(entity::auth_epoch::Column::Revocations, Expr::value(0i64))
                .exec(db)
                .await
                .unwrap();
        }
        _ => {
            // A pg_restore lands in another database: another physical identity.
            entity::auth_epoch::Entity::update_many()
                .col_expr(entity::auth_epoch::Column::Fingerprint, Expr::value("1:elsewhere:1"))
                .exec(db)
                .await
                .unwrap();
        }
    }
    assert_eq!(f.app.get("/api/v1/me", Some(&access)).await.status, StatusCode::OK, "before the restart");
    // The server starts on the restored database.
    let reason = dangjian::services::epoch::check_restore(db, &url).await.unwrap();
    assert!(reason.is_some(), "the restore is recognised");
    assert_eq!(f.app.get("/api/v1/me", Some(&access)).await.status, StatusCode::UNAUTHORIZED);
    let r =
        f.app.post("/api/v1/auth/token", None, json!({"grant_type": "refresh_token", "refresh_token": refresh})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    // A second start does not bump again; new logins work.
    assert!(dangjian::services::epoch::check_restore(db, &url).await.unwrap().is_none());
    let fresh = f.app.login("member_b1").await;
    assert_eq!(f.app.get("/api/v1/me", Some(&fresh)).await.status, StatusCode::OK);
    // The explicit command does the same.
    dangjian::services::epoch::bump(db, &Actor::system(), "test").await.unwrap();
    assert_eq!(f.app.get("/api/v1/me", Some(&fresh)).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn failed_logins_and_query_strings_stay_out_of_the_logs() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let app = TestApp::empty().await;
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Tests on other threads register call sites and install and drop their own
    // subscribers meanwhile, which can leave a call site's cached interest without this
    // thread-local one. Rebuild the cache and try again (up to five times) until the
    // refusal was captured; every attempt's output is checked below.
    for _ in 0..5 {
        tracing::callsite::rebuild_interest_cache();
        let body = json!({"grant_type": "password", "username": "ghost_user_xyz", "password": "whatever-it-is"});
        let r = app.send(test::TestRequest::post().uri("/api/v1/auth/token").set_json(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        // A misplaced token in a query string is refused (the operation takes no such
        // parameter) and stays out of the logs.
        let r = app
            .send(test::TestRequest::get().uri("/api/v1/organizations?access_token=SECRET123&q=%E6%9C%BA%E5%AF%86"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["code"], "UNKNOWN_PARAMETER");
        if String::from_utf8_lossy(&buf.0.lock().unwrap()).contains("login refused") {
            break;
        }
    }
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("login refused"), "the refusal is logged (at DEBUG): {logs}");
    assert!(!logs.contains("SECRET123") && !logs.contains("%E6%9C%BA"), "no query string in the logs: {logs}");
    for line in logs.lines().filter(|l| !l.contains("DEBUG")) {
        assert!(!line.contains("ghost_user_xyz"), "no username of a failed login above DEBUG: {line}");
    }
}

#[actix_web::test]
async fn passwords_follow_nist_and_weak_hashes_are_upgraded() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let change = |new: &str| json!({"current_password": PASSWORD, "new_password": new});
    for weak in ["Password123!", "Welcome@2024", "short"] {
        let r = f.app.post("/api/v1/me/password", Some(&member), change(weak)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {}", r.text());
        assert_eq!(r.json()["errors"][0]["field"], "new_password");
    }
    let passphrase = "correct horse battery staple on the river";
    let r = f.app.post("/api/v1/me/password", Some(&member), change(passphrase)).await;
    assert!(r.status.is_success(), "a long lower-case passphrase is fine: {}", r.text());
    f.app.login_full("member_b1", passphrase).await;

    // A hash stored with weaker parameters is replaced at the next successful login.
    let weak = dangjian::auth::password::Passwords::new(
        1,
        std::time::Duration::from_secs(5),
        dangjian::auth::password::HashCost { memory_kib: 1024, iterations: 1, parallelism: 1 },
    )
    .unwrap();
    let old = weak.hash(PASSWORD.into()).await.unwrap();
    entity::user_account::Entity::update_many()
        .col_expr(entity::user_account::Column::PasswordHash, Expr::value(old))
        .filter(entity::user_account::Column::Username.eq("orgadmin_b1"))
        .exec(f.app.db())
        .await
        .unwrap();
    f.app.login("orgadmin_b1").await;
    let row = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::Username.eq("orgadmin_b1"))
        .one(f.app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(row.password_hash.contains("m=19456,t=2,p=1"), "{}", row.password_hash);
    f.app.login("orgadmin_b1").await;
}

#[actix_web::test]
async fn unique_key_conflicts_outside_scope_name_nothing() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let person =
        |no: &str| json!({"organization_id": f.b1, "name": "新同志", "employee_no": no, "party_status": "full"});
    // E004 belongs to a person in b2, outside orgadmin_b1's scope.
    let r = f.app.post("/api/v1/people", Some(&oa), person("E004")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let text = r.text();
    assert!(!text.contains(&f.p_b2.to_string()) && !text.contains("赵工") && !text.contains("E004"), "{text}");
    // E002 belongs to a person in b1: that one may be named.
    let r = f.app.post("/api/v1/people", Some(&oa), person("E002")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains(&f.p_member_b1.to_string()), "{}", r.text());
    // Usernames: taken, never by whom.
    let admin = f.token("admin").await;
    let r = f
        .app
        .post("/api/v1/users", Some(&admin), json!({"username": "member_b1", "password": "a long enough passphrase"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(!r.text().contains(&f.u_member_b1.to_string()));
}

#[actix_web::test]
async fn versioned_writes_need_a_strong_current_if_match() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let r = f
        .app
        .post(
            "/api/v1/rd-expenditures",
            Some(&admin),
            json!({"organization_id": f.b1, "period_start": "2026-01-01", "amount_fen": 100}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["version"], 1);
    let path = format!("/api/v1/rd-expenditures/{id}");
    assert_eq!(f.app.delete(&path, Some(&admin), None).await.status, StatusCode::PRECONDITION_REQUIRED);
    let weak = f.app.delete(&path, Some(&admin), Some("W/\"v1\"")).await;
    assert_eq!(weak.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(weak.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(f.app.delete(&path, Some(&admin), Some("\"v1\"")).await.status, StatusCode::NO_CONTENT);
    // GraphQL needs the version too.
    let v = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { deleteRdExpenditure(id: $id) }",
            json!({"id": Uuid::now_v7().to_string()}),
        )
        .await;
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("expectedVersion"), "{v}");
}

#[actix_web::test]
async fn audit_records_carry_origin_and_role_and_audit_reads_are_audited() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let path = format!("/api/v1/organizations/{}", f.b3);
    let tag = f.etag(&path).await;
    let r = f
        .app
        .send(
            test::TestRequest::patch()
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", tag))
                .insert_header(("User-Agent", "dangjian-test/1.0"))
                .peer_addr("10.1.2.3:4567".parse().unwrap())
                .set_json(json!({"short_name": "机关"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list =
        f.app.get(&format!("/api/v1/audit-events?entity=organization&entity_id={}", f.b3), Some(&admin)).await.json();
    let rec = &list["items"][0];
    assert_eq!(rec["action"], "update");
    assert_eq!(rec["user_agent"], "dangjian-test/1.0");
    assert_eq!(rec["source_address"], "10.1.2.3");
    assert_eq!(rec["acting_role"], "admin");
    // The read above is on the record too, and the chain still verifies.
    let reads = f.app.get("/api/v1/audit-events?entity=audit_event&action=read", Some(&admin)).await.json();
    let first = &reads["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(first["after"]["entity_id"], f.b3.to_string(), "{reads}");
    let report = f.app.get("/api/v1/audit-chain/verify", Some(&admin)).await.json();
    assert_eq!(report["ok"], true, "{report}");
}

#[actix_web::test]
async fn authenticated_answers_are_not_cached_unless_the_route_says_so() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    for path in ["/api/v1/me", "/api/v1/service-clients"] {
        let r = f.app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert_eq!(r.header("etag"), None, "{path}");
    }
    // Lists carry a weak ETag (a digest of the page) and may be revalidated: the same
    // page again with If-None-Match is 304 without a body; a change makes a new tag.
    for path in [
        "/api/v1/organizations",
        "/api/v1/people?limit=5",
        "/api/v1/search?q=%E6%94%AF%E9%83%A8",
        "/api/v1/measures",
        "/api/v1/study-sessions",
    ] {
        let r = f.app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        assert_eq!(r.header("cache-control").as_deref(), Some("private, no-cache"), "{path}");
        let tag = r.header("etag").unwrap_or_else(|| panic!("{path} has no ETag"));
        assert!(tag.starts_with("W/\""), "{tag}");
        let again = f
            .app
            .send(
                test::TestRequest::get()
                    .uri(path)
                    .insert_header(("Authorization", format!("Bearer {admin}")))
                    .insert_header(("If-None-Match", tag.clone())),
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(tag));
    }
    let before = f.app.get("/api/v1/organizations", Some(&admin)).await.header("etag");
    let r = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.root, "name": "新支部", "kind": "branch"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_ne!(f.app.get("/api/v1/organizations", Some(&admin)).await.header("etag"), before);
    // A single resource with an ETag may be revalidated.
    let r = f.app.get(&format!("/api/v1/organizations/{}", f.b1), Some(&admin)).await;
    assert_eq!(r.header("cache-control").as_deref(), Some("private, no-cache"));
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let path = format!("/api/v1/organizations/{}", f.b1);
    let get = f.app.get(&path, Some(&admin)).await;
    let head = f
        .app
        .send(
            test::TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("etag"), get.header("etag"), "the README tour reads the ETag with curl -I");
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(get.body.len().to_string()));
}

#[actix_web::test]
async fn json_bodies_are_strict() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let raw = |uri: &str, body: &str| {
        test::TestRequest::post()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_owned())
    };
    // Trailing data after the first request: nothing runs.
    let r = f.app.send(raw("/graphql", r#"{"query":"{ __typename }"}{"query":"{ me { kind } }"}"#)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // An array is not one request.
    let r = f.app.send(raw("/graphql", r#"[{"query":"{ __typename }"}]"#)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // Unknown fields are named.
    let body = json!({"parent_id": f.root, "name": "新支部", "kind": "branch", "colour": "red"}).to_string();
    let r = f.app.send(raw("/api/v1/organizations", &body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "colour");
    let r = f.app.send(raw("/api/v1/auth/token", r#"["password","admin","x"]"#)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}

#[actix_web::test]
async fn unsupported_accept_is_406_and_changes_nothing() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let r = f
        .app
        .send(
            test::TestRequest::get()
                .uri("/api/v1/me")
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("Accept", "application/xml")),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE, "{}", r.text());
    let before =
        f.app.get("/api/v1/organizations?limit=100", Some(&admin)).await.json()["items"].as_array().unwrap().len();
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri("/api/v1/organizations")
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("Accept", "application/xml"))
                .set_json(json!({"parent_id": f.root, "name": "新支部", "kind": "branch"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    let after =
        f.app.get("/api/v1/organizations?limit=100", Some(&admin)).await.json()["items"].as_array().unwrap().len();
    assert_eq!(before, after, "a refused write changed nothing");
    // GraphQL-over-HTTP's own media type is answered when it is the one asked for.
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri("/graphql")
                .insert_header(("Accept", "application/graphql-response+json"))
                .set_json(json!({"query": "{ __typename }"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type").as_deref(), Some("application/graphql-response+json"));
    // Wildcards and JSON are fine.
    for accept in ["*/*", "application/*", "application/json", "text/html, application/json;q=0.9"] {
        let r = f
            .app
            .send(
                test::TestRequest::get()
                    .uri("/api/v1/me")
                    .insert_header(("Authorization", format!("Bearer {admin}")))
                    .insert_header(("Accept", accept)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{accept}");
    }
}

#[actix_web::test]
async fn a_retried_post_with_an_idempotency_key_runs_once() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let post = |key: &str, name: &str| {
        test::TestRequest::post()
            .uri("/api/v1/organizations")
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(json!({"parent_id": f.root, "name": name, "kind": "branch"}))
    };
    let first = f.app.send(post("k-1", "重试支部")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = f.app.send(post("k-1", "重试支部")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.header("location"), first.header("location"));
    let orgs = f.app.get("/api/v1/organizations?limit=100", Some(&admin)).await.json();
    let copies = orgs["items"].as_array().unwrap().iter().filter(|o| o["name"] == "重试支部").count();
    assert_eq!(copies, 1, "created once");
    // The same key with another body is refused; another key creates.
    let r = f.app.send(post("k-1", "别的支部")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(f.app.send(post("k-2", "别的支部")).await.status, StatusCode::CREATED);
    // GraphQL mutations too.
    let gql = |key: &str| {
        test::TestRequest::post()
            .uri("/graphql")
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(json!({"query": format!("mutation {{ createOrganization(input: {{parentId: \"{}\", name: \"图支部\", kind: BRANCH}}) {{ id }} }}", f.root)}))
    };
    let a: Value = f.app.send(gql("g-1")).await.json();
    let b: Value = f.app.send(gql("g-1")).await.json();
    assert!(a["errors"].is_null(), "{a}");
    assert_eq!(a, b);
    let too_long = "k".repeat(300);
    let bad = f.app.send(post(&too_long, "x")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn production_serves_the_browser_tools_to_administrators_only() {
    let f = Fixture::with(|s| s.ui_access = Some(dangjian::config::UiAccess::Admins)).await;
    for path in ["/graphiql", "/docs/", "/api/v1/openapi.json"] {
        let r = f.app.get(path, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic"), "{path}");
        let member = f.token("member_b1").await;
        assert_eq!(f.app.get(path, Some(&member)).await.status, StatusCode::UNAUTHORIZED, "{path}");
        let admin = f.token("admin").await;
        assert_eq!(f.app.get(path, Some(&admin)).await.status, StatusCode::OK, "{path}");
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"));
        let r = f
            .app
            .send(test::TestRequest::get().uri(path).insert_header(("Authorization", format!("Basic {basic}"))))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path} with Basic");
    }
    // The public default keeps them open; the API itself is unaffected.
    let open = TestApp::empty().await;
    assert_eq!(open.get("/graphiql", None).await.status, StatusCode::OK);
    assert_eq!(f.app.post("/graphql", None, json!({"query": "{ __typename }"})).await.status, StatusCode::OK);
}
