//! Test harness: a fresh database and app per test, a fixture organisation with one
//! login per role, and small HTTP / GraphQL helpers.

use dangjian::services::types::Id;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{http::StatusCode, test};
use dangjian::auth::{Actor, Role};
use dangjian::config::{Environment, LogFormat, Settings};
use dangjian::services::{
    self,
    organizations::NewOrganization,
    people::NewPerson,
    service_clients::NewServiceClient,
    types::{OrgKind, PartyStatus},
    users::{NewRoleAssignment, NewUser},
};
use dangjian::startup::{AppState, build_app, build_state, connect_and_migrate};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

/// The password of every fixture account.
pub const PASSWORD: &str = "Test-Passw0rd!";
/// The JWT secret of the test server.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A server on a fresh database.
pub struct TestApp {
    pub state: AppState,
    pub schema: dangjian::graphql::AppSchema,
    pub statements: Arc<AtomicUsize>,
    _dir: Option<tempfile::TempDir>,
}

/// The answer to one request.
pub struct Resp {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn settings(database_url: String, data_dir: PathBuf) -> Settings {
    Settings {
        database_url: Some(database_url.into()),
        data_dir,
        bind: "127.0.0.1:0".into(),
        environment: Environment::Development,
        jwt_secret: Some(JWT_SECRET.into()),
        jwt_issuer: "dangjian".into(),
        jwt_audience: "dangjian-api".into(),
        access_token_ttl: 900,
        refresh_token_ttl: 3600,
        admin_password: None,
        lockout_threshold: 5,
        lockout_seconds: 900,
        log_format: LogFormat::Human,
        log_filter: "warn".into(),
        max_body_bytes: 64 * 1024,
        request_timeout_secs: 30,
        // Generous: parallel tests share two cores; `platform.rs` checks the defaults.
        db_acquire_timeout_ms: 10_000,
        max_in_flight: 0,
        body_idle_timeout_secs: 10,
        shutdown_drain_secs: 0,
        metrics_bind: None,
        cors_origins: vec![],
        db_max_connections: 5,
        graphql_max_depth: 15,
        graphql_max_complexity: 20_000,
        graphql_max_aliases: 30,
        time_zone: chrono_tz::Asia::Shanghai,
        storage_url: None,
        max_upload_bytes: 256 * 1024,
        workers: Some(1),
        password_threads: Some(2),
        password_wait_ms: 10_000,
        argon2_memory_kib: 19 * 1024,
        argon2_iterations: 2,
        argon2_parallelism: 1,
        graphql_max_nesting: 32,
        graphql_max_tokens: 5_000,
        graphql_max_fields_per_selection: 64,
        study_daily_limit_secs: 4 * 3600,
        ui_access: None,
        metrics_token: Some("test-metrics-token-0123456789".into()),
        statement_header: true,
        // Off: tests compare statement counts, and other tests' writes in this process
        // make cached callers be read again at random moments. `statements.rs` and the
        // cache's own tests turn it on.
        auth_cache_secs: 0,
        // Off: fixtures sign in many times a second; `integrations.rs` turns them on.
        rate_limit_client: 0,
        rate_limit_account: 0,
        rate_limit_token: 0,
        client_secret_grace_secs: 86_400,
        webhook_allow: vec!["127.0.0.1".into()],
        webhook_timeout_secs: 5,
        webhook_max_failures: 3,
        // Retries at once: the tests run the deliverer by hand.
        webhook_retry_secs: 0,
    }
}

/// A new, empty database: a SQLite file in `dir`, or a new PostgreSQL database beside
/// `TEST_DATABASE_URL`'s when that is set.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        None => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        Some(admin_url) => {
            let name = format!("dj_t_{}", Uuid::now_v7().simple());
            let admin = Database::connect(admin_url.as_str()).await.expect("connect TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.split('?').next().unwrap_or(&admin_url);
            let (prefix, _) = base.rsplit_once('/').expect("database URL with a path");
            format!("{prefix}/{name}")
        }
    }
}

impl TestApp {
    /// A server on a fresh, migrated, empty database.
    pub async fn empty() -> TestApp {
        Self::with(|_| {}).await
    }

    /// Same, with adjusted settings.
    pub async fn with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        if let Ok(filter) = std::env::var("DJ_LOG") {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let url = fresh_database_url(dir.path()).await;
        let mut s = settings(url, dir.path().to_path_buf());
        adjust(&mut s);
        let mut db = connect_and_migrate(&s).await.expect("migrate");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let trace = std::env::var("DJ_TRACE_SQL").is_ok();
        db.set_metric_callback(move |info| {
            dangjian::telemetry::on_statement();
            counter.fetch_add(1, Ordering::SeqCst);
            if trace {
                eprintln!("SQL {}", info.statement.sql.chars().take(160).collect::<String>());
            }
        });
        let state = build_state(db, s).expect("state");
        let schema = dangjian::startup::build_schema(&state.settings);
        TestApp { state, schema, statements, _dir: Some(dir) }
    }

    /// A server on the database and storage `settings` name, as it is (migrated first).
    pub async fn on(settings: Settings) -> TestApp {
        let db = connect_and_migrate(&settings).await.expect("migrate");
        let state = build_state(db, settings).expect("state");
        let schema = dangjian::startup::build_schema(&state.settings);
        TestApp { state, schema, statements: Arc::new(AtomicUsize::new(0)), _dir: None }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// Sends a request through the whole application, asking for English messages
    /// (the assertions on message texts are written in English; the default language,
    /// Chinese, is tested with [`TestApp::send_raw`]).
    pub async fn send(&self, req: test::TestRequest) -> Resp {
        self.send_raw(req.insert_header(("Accept-Language", "en"))).await
    }

    /// Sends a request exactly as given.
    pub async fn send_raw(&self, req: test::TestRequest) -> Resp {
        let app = test::init_service(build_app(self.state.clone(), self.schema.clone())).await;
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await.to_vec();
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(auth(test::TestRequest::get().uri(path), token)).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(auth(test::TestRequest::post().uri(path).set_json(body), token)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, etag: Option<&str>, body: Value) -> Resp {
        let mut req = auth(test::TestRequest::patch().uri(path).set_json(body), token);
        if let Some(tag) = etag {
            req = req.insert_header(("If-Match", tag));
        }
        self.send(req).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>, etag: Option<&str>) -> Resp {
        let mut req = auth(test::TestRequest::delete().uri(path), token);
        if let Some(tag) = etag {
            req = req.insert_header(("If-Match", tag));
        }
        self.send(req).await
    }

    /// Runs a GraphQL operation over POST.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let r = self.post("/graphql", token, json!({"query": query, "variables": variables})).await;
        assert_eq!(r.status, StatusCode::OK, "graphql transport failed: {}", r.text());
        r.json()
    }

    /// Logs in with the password grant and returns the access token.
    pub async fn login(&self, username: &str) -> String {
        self.login_full(username, PASSWORD).await["access_token"].as_str().expect("access_token").to_owned()
    }

    pub async fn login_full(&self, username: &str, password: &str) -> Value {
        let r = self
            .post(
                "/api/v1/auth/token",
                None,
                json!({"grant_type": "password", "username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.text());
        r.json()
    }

    pub fn reset_statements(&self) {
        self.statements.store(0, Ordering::SeqCst);
    }

    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }
}

fn auth(req: test::TestRequest, token: Option<&str>) -> test::TestRequest {
    match token {
        Some(t) => req.insert_header(("Authorization", format!("Bearer {t}"))),
        None => req,
    }
}

/// The first GraphQL error code of a response, if any.
pub fn gql_code(v: &Value) -> Option<String> {
    v["errors"][0]["extensions"]["code"].as_str().map(str::to_owned)
}

/// The fixture organisation:
/// ```text
/// 集团党委 (root, committee)
/// ├── 技术研发党总支 (gb, general_branch)
/// │   ├── 研发一支部 (b1, branch)
/// │   └── 研发二支部 (b2, branch)
/// └── 机关党支部 (b3, branch)
/// ```
/// Logins (password [`PASSWORD`]): `admin` (global admin), `orgadmin_b1` (org_admin of b1),
/// `orgadmin_b2`, `inspector_gb` (inspector of gb), `member_b1` (member of b1); service
/// client `hr` scoped to gb with people and organisation read.
pub struct Fixture {
    pub app: TestApp,
    pub root: Uuid,
    pub gb: Uuid,
    pub b1: Uuid,
    pub b2: Uuid,
    pub b3: Uuid,
    /// People: the b1 org admin, the b1 member, another b1 person, a b2 person, a b3 person.
    pub p_orgadmin_b1: Uuid,
    pub p_member_b1: Uuid,
    pub p_other_b1: Uuid,
    pub p_b2: Uuid,
    pub p_b3: Uuid,
    pub u_member_b1: Uuid,
    pub u_orgadmin_b2: Uuid,
    pub hr_client_id: String,
    pub hr_secret: String,
}

impl Fixture {
    pub async fn new() -> Fixture {
        Self::with(|_| {}).await
    }

    /// The fixture on a server with adjusted settings.
    pub async fn with(adjust: impl FnOnce(&mut Settings)) -> Fixture {
        let app = TestApp::with(adjust).await;
        let db = app.db().clone();
        let pw = app.state.policy.passwords.clone();
        let sys = Actor::system();
        let org = |parent: Option<Uuid>, name: &str, kind: OrgKind| NewOrganization {
            parent_id: parent.map(Id),
            name: name.into(),
            short_name: None,
            kind,
            sort_order: None,
            established_on: None,
        };
        let root =
            services::organizations::create(&db, &sys, org(None, "集团党委", OrgKind::Committee)).await.unwrap().id;
        let gb = services::organizations::create(&db, &sys, org(Some(*root), "技术研发党总支", OrgKind::GeneralBranch))
            .await
            .unwrap()
            .id;
        let b1 =
            services::organizations::create(&db, &sys, org(Some(*gb), "研发一支部", OrgKind::Branch)).await.unwrap().id;
        let b2 =
            services::organizations::create(&db, &sys, org(Some(*gb), "研发二支部", OrgKind::Branch)).await.unwrap().id;
        let b3 = services::organizations::create(&db, &sys, org(Some(*root), "机关党支部", OrgKind::Branch))
            .await
            .unwrap()
            .id;
        let person = |org: Uuid, name: &str, no: &str| NewPerson {
            organization_id: Id(org),
            name: name.into(),
            employee_no: no.into(),
            phone: Some("13800000000".into()),
            email: Some(format!("{no}@example.com")),
            party_status: Some(PartyStatus::Full),
            joined_party_on: None,
            position: None,
            is_leadership: false,
            is_tech_backbone: false,
            is_model_worker: false,
        };
        let mk = |o, n: &'static str, no: &'static str| {
            let db = db.clone();
            let sys = sys.clone();
            let p = person(o, n, no);
            async move { services::people::create(&db, &sys, p).await.unwrap().id }
        };
        let p_orgadmin_b1 = mk(*b1, "王书记", "E001").await;
        let p_member_b1 = mk(*b1, "李党员", "E002").await;
        let p_other_b1 = mk(*b1, "张工", "E003").await;
        let p_b2 = mk(*b2, "赵工", "E004").await;
        let p_b3 = mk(*b3, "钱主任", "E005").await;
        let p_inspector = mk(*gb, "孙巡察", "E006").await;
        let p_orgadmin_b2 = mk(*b2, "周书记", "E007").await;

        services::auth::ensure_admin(&db, &pw, "admin", Some(PASSWORD.into())).await.unwrap();
        let user = |name: &str, person: Uuid| NewUser {
            username: name.into(),
            password: PASSWORD.into(),
            person_id: Some(Id(person)),
        };
        let grant = |user_id: Id, role: Role, org: Id| NewRoleAssignment { user_id, role, organization_id: Some(org) };
        let u = services::users::create(&db, &sys, &pw, user("orgadmin_b1", *p_orgadmin_b1)).await.unwrap();
        services::users::assign_role(&db, &sys, grant(u.id, Role::OrgAdmin, b1)).await.unwrap();
        let u_orgadmin_b2 =
            services::users::create(&db, &sys, &pw, user("orgadmin_b2", *p_orgadmin_b2)).await.unwrap().id;
        services::users::assign_role(&db, &sys, grant(u_orgadmin_b2, Role::OrgAdmin, b2)).await.unwrap();
        let u = services::users::create(&db, &sys, &pw, user("inspector_gb", *p_inspector)).await.unwrap();
        services::users::assign_role(&db, &sys, grant(u.id, Role::Inspector, gb)).await.unwrap();
        let u_member_b1 = services::users::create(&db, &sys, &pw, user("member_b1", *p_member_b1)).await.unwrap().id;
        services::users::assign_role(&db, &sys, grant(u_member_b1, Role::Member, b1)).await.unwrap();
        let hr = services::service_clients::create(
            &db,
            &sys,
            NewServiceClient {
                name: "HR sync".into(),
                scopes: vec!["people:read".into(), "organizations:read".into()],
                organization_id: Some(gb),
            },
        )
        .await
        .unwrap();
        Fixture {
            app,
            root: *root,
            gb: *gb,
            b1: *b1,
            b2: *b2,
            b3: *b3,
            p_orgadmin_b1: *p_orgadmin_b1,
            p_member_b1: *p_member_b1,
            p_other_b1: *p_other_b1,
            p_b2: *p_b2,
            p_b3: *p_b3,
            u_member_b1: *u_member_b1,
            u_orgadmin_b2: *u_orgadmin_b2,
            hr_client_id: hr.client.client_id,
            hr_secret: hr.client_secret,
        }
    }

    /// An access token for a fixture login, or for `hr` the client-credentials token.
    pub async fn token(&self, who: &str) -> String {
        if who == "hr" {
            let r = self
                .app
                .post(
                    "/api/v1/auth/token",
                    None,
                    json!({"grant_type": "client_credentials", "client_id": self.hr_client_id, "client_secret": self.hr_secret}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            return r.json()["access_token"].as_str().unwrap().to_owned();
        }
        self.app.login(who).await
    }

    /// A new service client with `scopes` over `org`'s subtree, and its
    /// client-credentials access token.
    pub async fn client_token(&self, name: &str, scopes: &[&str], org: Uuid) -> String {
        let new = NewServiceClient {
            name: name.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            organization_id: Some(Id(org)),
        };
        let c = services::service_clients::create(self.app.db(), &Actor::system(), new).await.unwrap();
        let r = self
            .app
            .post(
                "/api/v1/auth/token",
                None,
                json!({"grant_type": "client_credentials", "client_id": c.client.client_id, "client_secret": c.client_secret}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// Gives `person` an account `username` with the member role on `org`, and logs in.
    pub async fn add_member(&self, username: &str, person: Uuid, org: Uuid) -> String {
        let sys = Actor::system();
        let new = NewUser { username: username.into(), password: PASSWORD.into(), person_id: Some(Id(person)) };
        let u = services::users::create(self.app.db(), &sys, &self.app.state.policy.passwords, new).await.unwrap();
        let grant = NewRoleAssignment { user_id: u.id, role: Role::Member, organization_id: Some(Id(org)) };
        services::users::assign_role(self.app.db(), &sys, grant).await.unwrap();
        self.app.login(username).await
    }

    /// The current ETag of a REST resource, read as admin.
    pub async fn etag(&self, path: &str) -> String {
        let admin = self.app.login("admin").await;
        let r = self.app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        r.header("etag").expect("etag")
    }

    /// The current version of a REST resource.
    pub async fn version(&self, path: &str) -> i64 {
        let admin = self.app.login("admin").await;
        self.app.get(path, Some(&admin)).await.json()["version"].as_i64().expect("version")
    }
}

/// What a row of an authorisation table expects of an operation (`Ok` is any 2xx or a
/// GraphQL answer without errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Forbidden,
    NotFound,
    /// 422 / VALIDATION naming the field, e.g. an organisation referenced in the body that
    /// is missing or out of scope (the same answer for both).
    Invalid,
    Unauthenticated,
}

/// The outcome of a REST answer; any other status fails the test.
pub fn rest_outcome(status: StatusCode, body: &str) -> Outcome {
    match status.as_u16() {
        200..=299 => Outcome::Ok,
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        404 => Outcome::NotFound,
        422 => Outcome::Invalid,
        other => panic!("unexpected REST status {other}: {body}"),
    }
}

/// The outcome of a GraphQL answer; any other error code fails the test.
pub fn gql_outcome(v: &Value) -> Outcome {
    match gql_code(v).as_deref() {
        None => Outcome::Ok,
        Some("FORBIDDEN") => Outcome::Forbidden,
        Some("NOT_FOUND") => Outcome::NotFound,
        Some("VALIDATION") => Outcome::Invalid,
        Some("UNAUTHENTICATED") => Outcome::Unauthenticated,
        Some(other) => panic!("unexpected GraphQL code {other}: {v}"),
    }
}

/// Percent-encodes a query-string value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One area's authorisation table: how to make a target of an operation and how to try
/// the operation over each transport. [`run_authz_table`] runs the rows.
#[allow(async_fn_in_trait)]
pub trait AuthzTable {
    /// The area's operations.
    type Op: Copy + std::fmt::Debug;
    /// How the caller stands to the target (own, in scope, out of scope, ...).
    type Rel: Copy + std::fmt::Debug + PartialEq;
    /// What an operation acts on.
    type Target: Copy;
    /// The relationship whose denials must answer exactly like a missing object.
    const OUT_OF_SCOPE: Self::Rel;
    /// A fresh target of `op` for `who` standing in `rel` to it.
    async fn target(&self, who: &str, op: Self::Op, rel: Self::Rel) -> Self::Target;
    /// The target with its id replaced by a random (missing) one.
    fn random(&self, t: Self::Target) -> Self::Target;
    /// Whether `op`'s out-of-scope denial is compared with a random id's (default: yes).
    fn compare_with_random(&self, _op: Self::Op) -> bool {
        true
    }
    /// Runs `op` over REST: the outcome and the raw answer.
    async fn rest(&self, token: Option<&str>, op: Self::Op, t: Self::Target) -> (Outcome, StatusCode, Vec<u8>);
    /// Runs `op` over GraphQL: the outcome and the first error (code and message).
    async fn gql(&self, token: Option<&str>, op: Self::Op, t: Self::Target) -> (Outcome, Value);
}

/// Runs an authorisation table (login × operation × relationship → outcome) over REST and
/// GraphQL, a fresh target for each transport (publishing, checking in and deleting are
/// not repeatable), and checks that every out-of-scope denial answers byte for byte like
/// a random id. Fails listing every row that differs.
pub async fn run_authz_table<T: AuthzTable>(
    name: &str,
    area: &T,
    tokens: &std::collections::HashMap<&str, String>,
    rows: &[(&str, T::Op, T::Rel, Outcome)],
) {
    let mut failures = Vec::new();
    for &(who, op, rel, expected) in rows {
        let token = tokens.get(who).map(String::as_str);
        let t = area.target(who, op, rel).await;
        let (rest, status, body) = area.rest(token, op, t).await;
        let t2 = area.target(who, op, rel).await;
        let (gql, gql_err) = area.gql(token, op, t2).await;
        if rest != expected {
            let text = String::from_utf8_lossy(&body);
            failures.push(format!("REST    {who:13} {op:?} {rel:?}: expected {expected:?}, got {rest:?} {text}"));
        }
        if gql != expected {
            failures.push(format!("GraphQL {who:13} {op:?} {rel:?}: expected {expected:?}, got {gql:?} {gql_err}"));
        }
        if matches!(expected, Outcome::NotFound | Outcome::Invalid)
            && rel == T::OUT_OF_SCOPE
            && area.compare_with_random(op)
        {
            let random = area.random(t);
            let (_, r_status, r_body) = area.rest(token, op, random).await;
            let (_, r_err) = area.gql(token, op, area.random(t2)).await;
            if (status, &body) != (r_status, &r_body) {
                failures.push(format!("REST    {who} {op:?}: out-of-scope answer differs from a random id"));
            }
            if gql_err != r_err {
                failures.push(format!("GraphQL {who} {op:?}: out-of-scope {gql_err} differs from random id {r_err}"));
            }
        }
    }
    assert!(failures.is_empty(), "{name} authorisation table mismatches:\n{}", failures.join("\n"));
}
