//! `dangjian bench`: the load benchmark. It loads the dataset ([`super::load`], unless
//! `--skip-load`), picks the ids the operations need straight from the database, starts
//! the real server as a child process on that database, and drives each operation over
//! HTTP with the external load generator [`oha`](https://github.com/hatoo/oha) at each
//! number of connections. Around every run it reads the server's CPU time from `/proc`
//! and its counters from `/metrics`, and reports per operation and connection count:
//! throughput, p50 and p99 latency, errors, server CPU ms per request and SQL
//! statements per request, then the server's peak RSS — as a Markdown table.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::load::{self, Sizes};
use super::server::{Counters, Server, clock_ticks};
use crate::config::Settings;
use entity::{attendance, inspection, measure, organization, person, study_session, supervision_item};

/// The operations the benchmark can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Op {
    /// GraphQL: the 50 latest sessions of a general branch's subtree, each with its
    /// organisation, the number present and the first 10 present.
    Q1,
    /// GraphQL: one held session with its whole roster and its measures.
    Q2,
    /// GraphQL: one person with their organisation.
    Q3,
    /// REST: the same person (`GET /api/v1/people/{id}`).
    Q3Rest,
    /// GraphQL: the overdue supervision items of a subtree, earliest deadline first.
    Q4,
    /// REST: the same list (`GET /api/v1/supervision-items?overdue=true&sort=due_on`).
    Q4Rest,
    /// GraphQL (a write): open a supervision item in an inspection.
    Q5,
    /// REST: Chinese full-text search (`GET /api/v1/search?q=科技创新`).
    Search,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Q1 => "q1",
            Op::Q2 => "q2",
            Op::Q3 => "q3",
            Op::Q3Rest => "q3-rest",
            Op::Q4 => "q4",
            Op::Q4Rest => "q4-rest",
            Op::Q5 => "q5",
            Op::Search => "search",
        }
    }
}

/// Parses `10s`, `500ms`, `2m` or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v > 0.0 => Ok(Duration::from_secs_f64(v * scale)),
        _ => Err(format!("`{text}` is not a duration (e.g. 10s, 500ms, 2m)")),
    }
}

/// The options of `dangjian bench` (the dataset's sizes are [`Sizes`]).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Concurrent connections, comma-separated: one run of each operation per value.
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    pub connections: Vec<usize>,
    /// Length of each run: `10s`, `500ms`, `1m`.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Operations to run, comma-separated: q1, q2, q3, q3-rest, q4, q4-rest, q5, search.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "q1,q2,q3,q3-rest,q4,q4-rest,q5,search")]
    pub ops: Vec<Op>,
    /// Use the dataset already in the database (from `bench-load` or an earlier `bench`);
    /// needs `--database-url`.
    #[arg(long)]
    pub skip_load: bool,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Ask for gzip-compressed answers (`Accept-Encoding`), as browsers and mobile apps
    /// do. Off by default, like `wrk` in issue 12's comparison: the figures are then the
    /// API's own work, without compression's.
    #[arg(long)]
    pub gzip: bool,
}

/// The ids the operations use, picked from the loaded data.
#[derive(Debug)]
struct Picks {
    /// Q1: the general branch with the most sessions in its subtree (and how many).
    general_branch: Uuid,
    sessions_below: usize,
    /// Q2: a held session with measures and the largest roster (and its sizes).
    session: Uuid,
    roster: usize,
    measures: usize,
    /// Q3: a person in Q1's subtree.
    person: Uuid,
    /// Q4: the general branch with the most overdue items in its subtree (and how many).
    overdue_org: Uuid,
    overdue: usize,
    /// Q5: an inspection, an organisation in its subtree and a person there.
    inspection: Uuid,
    item_org: Uuid,
    responsible: Uuid,
}

/// Rows of the dataset, counted in the database before the runs.
#[derive(Debug, Default)]
struct Dataset {
    orgs: u64,
    people: u64,
    sessions: u64,
    attendance: u64,
    measures: u64,
    items: u64,
    documents: u64,
}

async fn dataset(db: &DatabaseConnection) -> anyhow::Result<Dataset> {
    Ok(Dataset {
        orgs: organization::Entity::find().count(db).await?,
        people: person::Entity::find().count(db).await?,
        sessions: study_session::Entity::find().count(db).await?,
        attendance: attendance::Entity::find().count(db).await?,
        measures: measure::Entity::find().count(db).await?,
        items: supervision_item::Entity::find().count(db).await?,
        documents: entity::document::Entity::find().count(db).await?,
    })
}

/// One measured run.
struct Row {
    op: Op,
    connections: usize,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    /// The probe found a GraphQL error: every (identical) request answered one, though
    /// with a 2xx status that oha counts as a success.
    all_failed: bool,
    answered: u64,
    cpu_ms_per_request: f64,
    statements_per_request: Option<f64>,
    background_statements: Option<f64>,
    /// The server's peak resident set during the run, in MB (none when the kernel would
    /// not reset the peak before it).
    peak_rss_mb: Option<f64>,
    note: String,
}

/// Runs `dangjian bench` and returns the Markdown report (also printed, and written to
/// `--out` when given).
pub async fn run(settings: &Settings, sizes: &Sizes, options: &Options) -> anyhow::Result<String> {
    anyhow::ensure!(!options.connections.is_empty() && !options.ops.is_empty(), "nothing to run");
    anyhow::ensure!(options.connections.iter().all(|&c| c > 0), "--connections must be positive");
    check_oha()?;
    let given = settings.database_url.as_ref().map(|u| secrecy::ExposeSecret::expose_secret(u).to_owned());
    anyhow::ensure!(
        given.is_some() || !options.skip_load,
        "--skip-load needs --database-url (the database loaded before)"
    );
    let mut scratch = super::Scratch::new(given, "bench")?;
    let result = run_in(settings, sizes, options, &mut scratch).await;
    scratch.cleanup();
    let report = result?;
    println!("{report}");
    if let Some(path) = &options.out {
        std::fs::write(path, &report)?;
        println!("written to {}", path.display());
    }
    Ok(report)
}

async fn run_in(
    settings: &Settings,
    sizes: &Sizes,
    options: &Options,
    scratch: &mut super::Scratch,
) -> anyhow::Result<String> {
    let today = settings.today();
    let password = super::admin_password(settings);
    let db = super::connect(&scratch.url).await?;
    if !options.skip_load {
        let passwords = crate::startup::password_pool(settings)?;
        let report = load::load(&db, sizes, &passwords, &password, today).await?;
        println!("{report}");
    }
    let picks = pick(&db, today).await?;
    println!(
        "picked: q1 general branch {} ({} sessions below), q2 session {} ({} on the roster, {} measures), \
         q3 person {}, q4 organisation {} ({} overdue items), q5 inspection {} (organisation {}, responsible {})",
        picks.general_branch,
        picks.sessions_below,
        picks.session,
        picks.roster,
        picks.measures,
        picks.person,
        picks.overdue_org,
        picks.overdue,
        picks.inspection,
        picks.item_org,
        picks.responsible
    );
    let database = database_kind(&db).await;
    let data = dataset(&db).await?;
    db.close().await?;

    let dir = scratch.work_dir("bench")?;
    let mut env = vec![
        ("DANGJIAN_DB_MAX_CONNECTIONS", settings.db_max_connections.to_string()),
        ("DANGJIAN_TIME_ZONE", settings.time_zone.name().to_owned()),
    ];
    if let Some(workers) = settings.workers {
        env.push(("DANGJIAN_WORKERS", workers.to_string()));
    }
    let server = Server::start(&scratch.url, &dir, &env)?;
    let rss_at_start = server.memory_mb("VmRSS")?;
    let ticks = clock_ticks();
    let mut rows = Vec::new();
    // The peak over the whole benchmark: the largest of the peaks read before each reset.
    let mut peak_rss = 0.0_f64;
    for &op in &options.ops {
        let token = server.login("bench", &password)?;
        let (method, path, body) = request_of(op, &picks, today);
        let note = probe(&server, &token, method, &path, body.as_deref())?;
        if !note.is_empty() {
            println!("{}: {note}", op.name());
        }
        for &connections in &options.connections {
            // Tokens may live shorter than a whole benchmark: a fresh one for every run.
            let token = server.login("bench", &password)?;
            peak_rss = peak_rss.max(server.memory_mb("VmHWM")?);
            let resettable = server.reset_peak_memory();
            let before = server.counters()?;
            let cpu_before = server.cpu_ms(ticks)?;
            let oha = run_oha(&server, &token, method, &path, body.as_deref(), connections, options)?;
            let cpu_after = server.cpu_ms(ticks)?;
            let after = server.counters()?;
            let run_peak = server.memory_mb("VmHWM")?;
            peak_rss = peak_rss.max(run_peak);
            let mut row = measure_row(op, connections, &oha, cpu_after - cpu_before, before, after, &note)?;
            row.peak_rss_mb = resettable.then_some(run_peak);
            println!(
                "{:<8} c{:<3} {:>9.1} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  errors {:>6}  cpu {:>6.2} ms/req  sql {}/req  peak {} MB",
                op.name(),
                connections,
                row.requests_per_second,
                row.p50_ms,
                row.p99_ms,
                if row.all_failed { format!("all {}", row.answered) } else { row.errors.to_string() },
                row.cpu_ms_per_request,
                row.statements_per_request.map_or("n/a".to_owned(), |s| format!("{s:.1}")),
                row.peak_rss_mb.map_or("n/a".to_owned(), |m| format!("{m:.0}"))
            );
            rows.push(row);
        }
    }
    let peak_rss = peak_rss.max(server.memory_mb("VmHWM")?);
    drop(server);
    Ok(markdown(settings, sizes, options, &database, &data, &rows, rss_at_start, peak_rss))
}

/// Fails with the install instruction when `oha` is not on `PATH`.
fn check_oha() -> anyhow::Result<()> {
    match Command::new("oha").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => anyhow::bail!("`oha --version` failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "the load generator `oha` is not on PATH: install it with `cargo install oha --locked` and run again"
        ),
        Err(e) => Err(e.into()),
    }
}

/// "PostgreSQL 15.8" or "SQLite 3.51.0".
async fn database_kind(db: &DatabaseConnection) -> String {
    let backend = db.get_database_backend();
    let (name, sql) = match backend {
        DatabaseBackend::Postgres => ("PostgreSQL", "SHOW server_version"),
        DatabaseBackend::Sqlite => ("SQLite", "SELECT sqlite_version()"),
        _ => ("database", "SELECT ''"),
    };
    let version = match db.query_one_raw(Statement::from_string(backend, sql)).await {
        Ok(Some(row)) => row.try_get_by_index::<String>(0).unwrap_or_default(),
        _ => String::new(),
    };
    format!("{name} {}", version.split_whitespace().next().unwrap_or("")).trim().to_owned()
}

/// Picks the ids of the operations from the loaded data (see [`Picks`]).
async fn pick(db: &DatabaseConnection, today: NaiveDate) -> anyhow::Result<Picks> {
    let orgs = organization::Entity::find().all(db).await?;
    let path_of = |id: Uuid| orgs.iter().find(|o| o.id == id).map(|o| o.path.as_str()).unwrap_or("");
    let generals: Vec<&organization::Model> = orgs.iter().filter(|o| o.kind == "general_branch").collect();
    anyhow::ensure!(!generals.is_empty(), "no general branch (党总支) in the database: load the dataset first");
    let in_subtree = |root: &organization::Model, org: Uuid| path_of(org).starts_with(&root.path);

    // Q1: the general branch with the most sessions below it.
    let per_org: Vec<(Uuid, i64)> = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::OrganizationId)
        .column_as(study_session::Column::Id.count(), "n")
        .group_by(study_session::Column::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    let (q1, below) = generals
        .iter()
        .map(|g| (g, per_org.iter().filter(|(o, _)| in_subtree(g, *o)).map(|(_, n)| *n).sum::<i64>()))
        .max_by_key(|(g, n)| (*n, std::cmp::Reverse(g.id)))
        .ok_or_else(|| anyhow::anyhow!("no general branch"))?;

    // Q2: the held session with measures and the largest roster.
    let rosters: Vec<(Uuid, i64)> = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::SessionId)
        .column_as(attendance::Column::Id.count(), "n")
        .group_by(attendance::Column::SessionId)
        .into_tuple()
        .all(db)
        .await?;
    let measures: std::collections::HashMap<Uuid, i64> = measure::Entity::find()
        .select_only()
        .column(measure::Column::SourceId)
        .column_as(measure::Column::Id.count(), "n")
        .filter(measure::Column::SourceKind.eq("session"))
        .group_by(measure::Column::SourceId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let held: std::collections::HashSet<Uuid> = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::Id)
        .filter(study_session::Column::Status.eq("held"))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let (session, roster) = rosters
        .iter()
        .filter(|(s, _)| held.contains(s))
        .max_by_key(|(s, n)| (measures.contains_key(s), *n, std::cmp::Reverse(*s)))
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no held session with a roster: load the dataset first"))?;

    // Q3: a person in Q1's subtree.
    let people: Vec<(Uuid, Uuid)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::OrganizationId)
        .filter(person::Column::LeftOn.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let person = people
        .iter()
        .filter(|(_, o)| in_subtree(q1, *o))
        .map(|(p, _)| *p)
        .min()
        .or_else(|| people.iter().map(|(p, _)| *p).min())
        .ok_or_else(|| anyhow::anyhow!("nobody in the database: load the dataset first"))?;

    // Q4: the general branch with the most overdue items below it.
    let items: Vec<(Uuid, NaiveDate, String)> = supervision_item::Entity::find()
        .select_only()
        .column(supervision_item::Column::OrganizationId)
        .column(supervision_item::Column::DueOn)
        .column(supervision_item::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let (q4, overdue) = generals
        .iter()
        .map(|g| {
            let n = items
                .iter()
                .filter(|(o, due, status)| *due < today && status != "verified" && in_subtree(g, *o))
                .count();
            (g, n)
        })
        .max_by_key(|(g, n)| (*n, std::cmp::Reverse(g.id)))
        .ok_or_else(|| anyhow::anyhow!("no general branch"))?;

    // Q5: a running inspection (any, when none runs) with somebody in its subtree.
    let mut inspections = inspection::Entity::find().all(db).await?;
    inspections.sort_by_key(|i| (i.status != "in_progress", i.id));
    let (inspection, (responsible, item_org)) = inspections
        .iter()
        .find_map(|i| {
            let root = orgs.iter().find(|o| o.id == i.organization_id)?;
            let p = people.iter().filter(|(_, o)| in_subtree(root, *o)).min()?;
            Some((i.id, *p))
        })
        .ok_or_else(|| anyhow::anyhow!("no inspection with people in its subtree: load the dataset first"))?;

    Ok(Picks {
        general_branch: q1.id,
        sessions_below: usize::try_from(below).unwrap_or(0),
        session,
        roster: usize::try_from(roster).unwrap_or(0),
        measures: usize::try_from(measures.get(&session).copied().unwrap_or(0)).unwrap_or(0),
        person,
        overdue_org: q4.id,
        overdue,
        inspection,
        item_org,
        responsible,
    })
}

const Q1: &str = "query Q1($org: ID!) { studySessions(organizationId: $org, orderBy: HELD_AT_DESCENDING, first: 50) \
    { edges { node { id topic heldAt organization { id name } attendanceCounts { present } \
    attendance(status: PRESENT, first: 10) { person { id name } } } } } }";
const Q2: &str = "query Q2($id: ID!) { studySession(id: $id) { id topic attendance { status person { id name } } \
    measures { id title status } } }";
const Q3: &str = "query Q3($id: ID!) { person(id: $id) { id name organization { id name } } }";
const Q4: &str = "query Q4($org: ID!) { supervisionItems(organizationId: $org, overdue: true, orderBy: DUE_ON, first: 50) \
    { edges { node { id title dueOn status } } } }";
const Q5: &str = "mutation Q5($input: OpenSupervisionItemInput!) { openSupervisionItem(input: $input) { id } }";

/// Method, path and body of one request of `op`.
fn request_of(op: Op, p: &Picks, today: NaiveDate) -> (&'static str, String, Option<String>) {
    let graphql = |query: &str, variables: Value| {
        ("POST", "/graphql".to_owned(), Some(json!({"query": query, "variables": variables}).to_string()))
    };
    match op {
        Op::Q1 => graphql(Q1, json!({"org": p.general_branch})),
        Op::Q2 => graphql(Q2, json!({"id": p.session})),
        Op::Q3 => graphql(Q3, json!({"id": p.person})),
        Op::Q3Rest => ("GET", format!("/api/v1/people/{}", p.person), None),
        Op::Q4 => graphql(Q4, json!({"org": p.overdue_org})),
        Op::Q4Rest => (
            "GET",
            format!("/api/v1/supervision-items?organization_id={}&overdue=true&sort=due_on&limit=50", p.overdue_org),
            None,
        ),
        Op::Q5 => graphql(
            Q5,
            json!({"input": {
                "inspectionId": p.inspection,
                "organizationId": p.item_org,
                "title": "基准测试：科技创新责任落实情况抽查问题",
                "description": "压力测试写入的问题（每个请求开一条）。",
                "category": "INNOVATION_RESPONSIBILITY",
                "severity": "MEDIUM",
                "responsiblePersonId": p.responsible,
                "dueOn": (today + chrono::Duration::days(30)).to_string(),
            }}),
        ),
        Op::Search => ("GET", "/api/v1/search?q=%E7%A7%91%E6%8A%80%E5%88%9B%E6%96%B0".to_owned(), None),
    }
}

/// One request of the operation before its runs: empty when it answered 2xx without
/// GraphQL errors, else what went wrong (shown in the table's note column).
fn probe(server: &Server, token: &str, method: &str, path: &str, body: Option<&str>) -> anyhow::Result<String> {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("Accept", "application/graphql-response+json"));
    }
    let a = server.request(method, path, &headers, body)?;
    let parsed: Option<Value> = serde_json::from_str(&a.body).ok();
    let graphql_error = parsed
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(|e| e.get(0))
        .map(|e| e.get("message").and_then(Value::as_str).unwrap_or("error").to_owned());
    let problem = parsed.as_ref().and_then(|v| v.get("detail").or_else(|| v.get("title"))).and_then(Value::as_str);
    let shorten = |s: &str| s.chars().take(120).collect::<String>();
    Ok(match (a.status, graphql_error) {
        (200..=299, None) => String::new(),
        (200..=299, Some(e)) => format!("GraphQL error: {}", shorten(&e)),
        (s, Some(e)) => format!("{s}: {}", shorten(&e)),
        (s, None) => format!("{s}: {}", shorten(problem.unwrap_or(&a.body))),
    })
}

/// Runs `oha` against the server and returns its JSON report.
fn run_oha(
    server: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    connections: usize,
    options: &Options,
) -> anyhow::Result<Value> {
    let mut cmd = Command::new("oha");
    cmd.args(["--no-tui", "--output-format", "json", "-w"])
        .arg("-z")
        .arg(format!("{}ms", options.duration.as_millis().max(1)))
        .arg("-c")
        .arg(connections.to_string())
        .arg("-m")
        .arg(method)
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"));
    if !options.gzip {
        cmd.arg("--disable-compression");
    }
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "-H", "Accept: application/graphql-response+json", "-d", b]);
    }
    cmd.arg(format!("http://{}{path}", server.addr));
    let out = cmd.output()?;
    anyhow::ensure!(
        out.status.success(),
        "oha failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    serde_json::from_slice(&out.stdout)
        .map_err(|e| anyhow::anyhow!("could not read oha's JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The figures of one run from oha's report, the CPU the server used and its counters.
fn measure_row(
    op: Op,
    connections: usize,
    oha: &Value,
    cpu_ms: f64,
    before: Option<Counters>,
    after: Option<Counters>,
    note: &str,
) -> anyhow::Result<Row> {
    let number = |v: &Value| v.as_f64().unwrap_or(0.0);
    let summary = &oha["summary"];
    let percentiles = &oha["latencyPercentiles"];
    let mut answered = 0u64;
    let mut errors = 0u64;
    if let Some(codes) = oha["statusCodeDistribution"].as_object() {
        for (code, n) in codes {
            let n = n.as_u64().unwrap_or(0);
            answered += n;
            if !code.starts_with('2') {
                errors += n;
            }
        }
    }
    if let Some(failures) = oha["errorDistribution"].as_object() {
        // Requests cut off when the run's time is up are not errors.
        errors +=
            failures.iter().filter(|(k, _)| !k.contains("deadline")).map(|(_, n)| n.as_u64().unwrap_or(0)).sum::<u64>();
    }
    let counters = before.zip(after);
    // Requests the server answered during the run (its own count when it has metrics).
    let requests = match counters {
        Some((b, a)) if a.requests > b.requests => a.requests - b.requests,
        _ => answered as f64,
    };
    let per_request = |x: f64| if requests > 0.0 { x / requests } else { 0.0 };
    Ok(Row {
        op,
        connections,
        requests_per_second: number(&summary["requestsPerSec"]),
        p50_ms: number(&percentiles["p50"]) * 1000.0,
        p99_ms: number(&percentiles["p99"]) * 1000.0,
        errors,
        all_failed: note.starts_with("GraphQL error"),
        answered,
        cpu_ms_per_request: per_request(cpu_ms),
        statements_per_request: counters.map(|(b, a)| per_request(a.request_statements - b.request_statements)),
        background_statements: counters.map(|(b, a)| a.background_statements - b.background_statements),
        peak_rss_mb: None,
        note: note.to_owned(),
    })
}

/// The report: machine, database, dataset, one table row per run, peak memory.
#[allow(clippy::too_many_arguments)]
fn markdown(
    settings: &Settings,
    sizes: &Sizes,
    options: &Options,
    database: &str,
    data: &Dataset,
    rows: &[Row],
    rss_at_start: f64,
    peak_rss: f64,
) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build = if cfg!(debug_assertions) { "debug build" } else { "release build" };
    let mut s = String::new();
    let _ = writeln!(s, "### dangjian load benchmark: {database}\n");
    let _ = writeln!(
        s,
        "Machine: {cores} cores ({model}); database: {database}; {build}; server pool {} connections, {} workers; \
         each run {:.1} s; answers {}.",
        settings.db_max_connections,
        settings.workers.map_or("one per core".to_owned(), |w| w.to_string()),
        options.duration.as_secs_f64(),
        if options.gzip { "gzip-compressed (--gzip)" } else { "uncompressed" }
    );
    let _ = writeln!(
        s,
        "Dataset ({}): {} organisations, {} people, {} study sessions with {} attendance rows, {} measures, \
         {} supervision items, {} documents.\n",
        if options.skip_load { "loaded before".to_owned() } else { format!("generated with seed {}", sizes.seed) },
        data.orgs,
        data.people,
        data.sessions,
        data.attendance,
        data.measures,
        data.items,
        data.documents
    );
    let _ = writeln!(
        s,
        "| op | transport | conns | req/s | p50 ms | p99 ms | errors | CPU ms/req | SQL/req | background SQL | peak MB | note |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let transport = match r.op {
            Op::Q3Rest | Op::Q4Rest | Op::Search => "REST",
            _ => "GraphQL",
        };
        let _ = writeln!(
            s,
            "| {} | {transport} | {} | {:.1} | {:.2} | {:.2} | {} | {:.2} | {} | {} | {} | {} |",
            r.op.name(),
            r.connections,
            r.requests_per_second,
            r.p50_ms,
            r.p99_ms,
            if r.all_failed { format!("all {}", r.answered) } else { r.errors.to_string() },
            r.cpu_ms_per_request,
            r.statements_per_request.map_or("n/a".to_owned(), |v| format!("{v:.1}")),
            r.background_statements.map_or("n/a".to_owned(), |v| format!("{v:.0}")),
            r.peak_rss_mb.map_or("n/a".to_owned(), |v| format!("{v:.0}")),
            r.note.replace('|', "\\|")
        );
    }
    let _ = writeln!(s, "\nServer memory: {rss_at_start:.0} MB resident after start, peak {peak_rss:.0} MB (VmHWM).");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
    }
}
