//! `dangjian bench-load`: fills a scratch database in bulk with the dataset of the load
//! benchmark, deterministically from a seed (dates are relative to the day of loading):
//!
//! - an organisation tree: one root committee (党委), about 20 general branches (党总支),
//!   branches (党支部) under them (one in twenty directly under the root) and a few party
//!   groups (党小组) in branches; materialised paths as the services write them;
//! - people with Chinese names in branches and party groups, most of them party members;
//! - study sessions of every kind in the last two years (a tenth still ahead, a few
//!   cancelled), each with a roster of people of its organisation's subtree by its
//!   kind's rule (about `--attendance-per-session` on average) and, for held sessions,
//!   attendance (present, late, on leave, absent, a few unmarked);
//! - implementation measures attached to held sessions, owned by people on their roster;
//! - an inspection of every general branch and of the root, and supervision items in
//!   their subtrees with due dates around today (about half overdue and not verified);
//! - published Chinese documents from the search benchmark's generator ([`super::search`]);
//! - the global administrator `bench`, with the password hashing the server uses.
//!
//! Rows go in with `insert_many`, 500 to a transaction, with no audit records (the
//! dataset is not history anybody wrote). Sessions and documents are indexed for search.

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::index::sample};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait,
};
use uuid::Uuid;

use super::Ids;
use crate::services::supervision::{InspectionStatus, ItemCategory, ItemStatus, Severity};
use crate::services::types::{AttendanceStatus, OrgKind, PartyStatus, SessionKind, SessionStatus};
use entity::{attendance, inspection, measure, organization, person, study_session, supervision_item};

/// Rows per `insert_many` statement and per transaction.
const CHUNK: usize = 500;

/// The sizes of the dataset (the defaults are the dataset of issue 12).
#[derive(Debug, Clone, clap::Args)]
pub struct Sizes {
    /// Organisations: one root committee, about 20 general branches, a few party groups,
    /// the rest branches (at least 5).
    #[arg(long, default_value_t = 821)]
    pub orgs: usize,
    /// People (at least 10), in branches and party groups.
    #[arg(long, default_value_t = 10_000)]
    pub people: usize,
    /// Study sessions.
    #[arg(long, default_value_t = 5_000)]
    pub sessions: usize,
    /// Average roster size of a session (attendance rows ≈ sessions × this).
    #[arg(long, default_value_t = 20)]
    pub attendance_per_session: usize,
    /// Implementation measures, attached to held sessions.
    #[arg(long, default_value_t = 10_000)]
    pub measures: usize,
    /// Supervision items.
    #[arg(long, default_value_t = 2_000)]
    pub items: usize,
    /// Published knowledge-base documents (Chinese, indexed for search).
    #[arg(long, default_value_t = 20_000)]
    pub docs: usize,
    /// Seed of the generator: the same seed gives the same dataset.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// What [`load`] put into the database and how long each part took.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Organisations by kind: committees, general branches, branches, party groups.
    pub orgs: [usize; 4],
    /// People.
    pub people: usize,
    /// Sessions: held, planned, cancelled.
    pub sessions: [usize; 3],
    /// Attendance (roster) rows.
    pub attendance: usize,
    /// Measures.
    pub measures: usize,
    /// Inspections.
    pub inspections: usize,
    /// Supervision items.
    pub items: usize,
    /// Supervision items overdue (due before today, not verified).
    pub overdue_items: usize,
    /// Documents.
    pub documents: usize,
    /// Seconds per part, in the order loaded.
    pub timings: Vec<(&'static str, f64)>,
    /// Seconds in all.
    pub seconds: f64,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [committees, general, branches, groups] = self.orgs;
        let [held, planned, cancelled] = self.sessions;
        writeln!(
            f,
            "loaded {} organisations ({committees} 党委, {general} 党总支, {branches} 党支部, {groups} 党小组), {} people, \
             {} study sessions ({held} held, {planned} planned, {cancelled} cancelled), {} attendance rows, {} measures, \
             {} inspections, {} supervision items ({} overdue), {} documents, the account `bench` in {:.1} s",
            self.orgs.iter().sum::<usize>(),
            self.people,
            held + planned + cancelled,
            self.attendance,
            self.measures,
            self.inspections,
            self.items,
            self.overdue_items,
            self.documents,
            self.seconds
        )?;
        let parts: Vec<String> = self.timings.iter().map(|(what, s)| format!("{what} {s:.1} s")).collect();
        write!(f, "  ({})", parts.join(", "))
    }
}

/// One organisation of the generated tree.
struct Org {
    id: Uuid,
    path: String,
    kind: OrgKind,
    depth: i32,
    name: String,
}

/// One generated person: where they are and whether they are a formal or probationary
/// member (the only ones most rosters take).
struct Person {
    id: Uuid,
    org: usize,
    member: bool,
    leader: bool,
}

/// One generated session, before its roster is drawn.
struct Session {
    id: Uuid,
    org: usize,
    org_id: Uuid,
    kind: SessionKind,
    status: SessionStatus,
    held_at: DateTime<Utc>,
    /// The people the kind's rule allows (indexes into the people).
    eligible: Vec<usize>,
    /// May take a roster larger than the average (a whole subtree above branch level).
    expandable: bool,
}

/// Rows waiting to be written, flushed `CHUNK` at a time in a transaction each.
struct Batch<A: ActiveModelTrait> {
    rows: Vec<A>,
    written: usize,
}

impl<A: ActiveModelTrait + Send> Batch<A> {
    fn new() -> Self {
        Batch { rows: Vec::with_capacity(CHUNK), written: 0 }
    }

    async fn push(&mut self, db: &DatabaseConnection, row: A) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= CHUNK {
            self.flush(db).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, db: &DatabaseConnection) -> anyhow::Result<usize> {
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            self.written += rows.len();
            let tx = db.begin().await?;
            <A::Entity as EntityTrait>::insert_many(rows).exec_without_returning(&tx).await?;
            tx.commit().await?;
        }
        Ok(self.written)
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡",
];
const GIVEN: &[&str] = &[
    "建国", "海燕", "志强", "秀英", "伟", "芳", "军", "敏", "磊", "静", "洋", "艳", "勇", "娜", "杰", "丽", "涛", "红",
    "明", "超", "晓东", "雪梅", "振华", "佳怡", "宇航", "思远", "文博", "欣然", "国强", "玉兰", "建华", "丽娟", "志刚",
    "桂英", "俊杰", "婷婷", "浩然", "子涵", "鹏飞", "慧敏", "永明", "春燕", "立新", "晓峰", "亚楠", "卫东", "红梅",
    "德华", "海波", "雅琴",
];
const POSITIONS: &[&str] =
    &["工程师", "高级工程师", "技术员", "运行班长", "化验员", "项目经理", "主任", "副主任", "会计", "主管"];
const UNITS: &[&str] = &[
    "技术研发中心",
    "运营管理",
    "机关",
    "城东水务",
    "城西水务",
    "供水管网",
    "环保工程",
    "水质检测",
    "智慧水务",
    "设计研究院",
    "物资供应",
    "安全环保",
    "水厂建设",
    "排水管理",
    "客户服务",
    "财务审计",
    "信息中心",
    "科技公司",
    "检修公司",
    "新能源",
];
const TEAMS: &[&str] = &[
    "工艺研究所",
    "调度中心",
    "泵站运行",
    "化验室",
    "综合办公室",
    "设备维修",
    "管网巡检",
    "项目管理",
    "污泥处置",
    "再生水厂",
    "自控班组",
    "营销服务",
];
const MEASURE_TITLES: &[&str] = &[
    "修订支部科技创新工作计划",
    "组织低碳技术专题培训",
    "报送“五小”创新成果",
    "开展精准曝气技术攻关",
    "完善研发经费使用台账",
    "建立党员示范岗",
    "组织再生水回用调研",
    "落实知识产权管理办法",
];
const ITEM_TITLES: &[&str] = &[
    "第一议题学习后未结合科研项目制定落实措施",
    "研发经费投入强度未达到年度目标",
    "党员科技骨干联系攻关项目机制未建立",
    "党小组建在项目上覆盖不全",
    "“五小”创新成果申报审核流程不规范",
    "支委会研究科技创新议题次数偏少",
    "科技成果奖励兑现不及时",
    "专利申请与成果转化台账不完整",
    "党员突击队作用发挥情况缺少记录",
    "科研经费使用监督机制不健全",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn party_status(rng: &mut StdRng) -> PartyStatus {
    match rng.random_range(0..100) {
        0..65 => PartyStatus::Full,
        65..73 => PartyStatus::Probationary,
        73..80 => PartyStatus::Candidate,
        80..88 => PartyStatus::Activist,
        88..93 => PartyStatus::Applicant,
        _ => PartyStatus::None,
    }
}

/// The kinds of session an organisation of `kind` holds, most frequent first.
fn session_kinds(kind: OrgKind) -> &'static [SessionKind] {
    match kind {
        OrgKind::Committee => {
            &[SessionKind::PartyCommittee, SessionKind::CentralGroup, SessionKind::PartyLecture, SessionKind::ThemeDay]
        }
        OrgKind::GeneralBranch => &[
            SessionKind::PartyCommittee,
            SessionKind::BranchGeneralMeeting,
            SessionKind::PartyLecture,
            SessionKind::ThemeDay,
        ],
        OrgKind::Branch => &[
            SessionKind::BranchCommittee,
            SessionKind::BranchCommittee,
            SessionKind::BranchGeneralMeeting,
            SessionKind::PartyLecture,
            SessionKind::ThemeDay,
        ],
        OrgKind::Group => &[SessionKind::GroupMeeting],
    }
}

fn topic(rng: &mut StdRng, kind: SessionKind) -> String {
    let phrase = pick(rng, super::search::PHRASES);
    match kind {
        SessionKind::PartyCommittee | SessionKind::BranchCommittee => {
            format!("学习重要讲话精神，研究{phrase}贯彻落实措施")
        }
        SessionKind::CentralGroup => format!("理论学习中心组专题学习：{phrase}"),
        SessionKind::BranchGeneralMeeting => format!("党员大会：通报{phrase}工作进展"),
        SessionKind::PartyLecture => format!("专题党课：以{phrase}推动科技创新"),
        SessionKind::ThemeDay => format!("主题党日：{phrase}现场学习"),
        SessionKind::GroupMeeting => format!("党小组会：围绕{phrase}开展技术攻关"),
    }
}

/// `dangjian bench-load`: loads the dataset into `--database-url` (default: a new SQLite
/// file in a temporary folder, kept for `dangjian bench --skip-load`) and prints what it
/// loaded and how long it took.
pub async fn run(settings: &crate::config::Settings, sizes: &Sizes) -> anyhow::Result<LoadReport> {
    let given = settings.database_url.as_ref().map(|u| secrecy::ExposeSecret::expose_secret(u).to_owned());
    let scratch = super::Scratch::new(given, "bench-load")?;
    let db = super::connect(&scratch.url).await?;
    let passwords = crate::startup::password_pool(settings)?;
    let report = load(&db, sizes, &passwords, &super::admin_password(settings), settings.today()).await?;
    db.close().await?;
    println!("{report}");
    if scratch.temp_dir.is_some() {
        println!(
            "database kept for `dangjian bench --skip-load --database-url '{}'` (remove the folder when done)",
            scratch.url
        );
    }
    Ok(report)
}

/// `db` is empty (no organisation yet): the loader writes only to a scratch database.
async fn ensure_empty(db: &DatabaseConnection) -> anyhow::Result<()> {
    let orgs = organization::Entity::find().count(db).await?;
    anyhow::ensure!(
        orgs == 0,
        "the database already holds {orgs} organisations: load the benchmark into a fresh scratch database \
         (or pass --skip-load to `dangjian bench` to reuse a loaded one)"
    );
    Ok(())
}

/// Fills `db` (migrated and empty) with the dataset `sizes` describes and creates the
/// global administrator `bench` with `admin_password`. `today` is the day due dates
/// are judged against (the server's configured time zone).
pub async fn load(
    db: &DatabaseConnection,
    sizes: &Sizes,
    passwords: &crate::auth::password::Passwords,
    admin_password: &str,
    today: NaiveDate,
) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(sizes.orgs >= 5, "--orgs must be at least 5");
    anyhow::ensure!(sizes.people >= 10, "--people must be at least 10");
    ensure_empty(db).await?;
    let started = Instant::now();
    let mut report = LoadReport::default();
    let mut rng = StdRng::seed_from_u64(sizes.seed);
    let mut ids = Ids::new(sizes.seed);
    let now = Utc::now();

    let mut t = Instant::now();
    let orgs = insert_orgs(db, sizes.orgs, &mut rng, &mut ids, now).await?;
    for o in &orgs {
        let k = match o.kind {
            OrgKind::Committee => 0,
            OrgKind::GeneralBranch => 1,
            OrgKind::Branch => 2,
            OrgKind::Group => 3,
        };
        report.orgs[k] += 1;
    }
    report.timings.push(("organisations", t.elapsed().as_secs_f64()));

    t = Instant::now();
    let people = insert_people(db, &orgs, sizes.people, &mut rng, &mut ids, now, today).await?;
    report.people = people.len();
    report.timings.push(("people", t.elapsed().as_secs_f64()));
    // Who is in each organisation, and in each subtree (the tree is at most 4 deep).
    let mut in_org: Vec<Vec<usize>> = vec![Vec::new(); orgs.len()];
    let mut in_subtree: Vec<Vec<usize>> = vec![Vec::new(); orgs.len()];
    let ancestors = ancestors_of(&orgs);
    for (i, p) in people.iter().enumerate() {
        in_org[p.org].push(i);
        for &a in &ancestors[p.org] {
            in_subtree[a].push(i);
        }
    }

    t = Instant::now();
    let (sessions, rosters) =
        insert_sessions(db, sizes, &orgs, &people, &in_org, &in_subtree, &mut rng, &mut ids, now, &mut report).await?;
    report.timings.push(("sessions and attendance", t.elapsed().as_secs_f64()));

    t = Instant::now();
    report.measures =
        insert_measures(db, sizes.measures, &sessions, &rosters, &people, &mut rng, &mut ids, now, today).await?;
    report.timings.push(("measures", t.elapsed().as_secs_f64()));

    t = Instant::now();
    insert_supervision(
        db,
        sizes.items,
        &orgs,
        &people,
        &in_subtree,
        &ancestors,
        &mut rng,
        &mut ids,
        now,
        today,
        &mut report,
    )
    .await?;
    report.timings.push(("supervision", t.elapsed().as_secs_f64()));

    t = Instant::now();
    let org_ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
    super::search::insert_documents(db, &mut rng, &org_ids, sizes.docs, &mut || ids.next_id()).await?;
    report.documents = sizes.docs;
    report.timings.push(("documents", t.elapsed().as_secs_f64()));

    t = Instant::now();
    crate::services::auth::ensure_admin(db, passwords, "bench", Some(admin_password.to_owned()))
        .await
        .map_err(|e| anyhow::anyhow!("could not create the account `bench`: {e}"))?;
    db.execute_unprepared("ANALYZE").await?;
    report.timings.push(("account and ANALYZE", t.elapsed().as_secs_f64()));
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// For each organisation, itself and its ancestors (indexes).
fn ancestors_of(orgs: &[Org]) -> Vec<Vec<usize>> {
    let by_id: std::collections::HashMap<Uuid, usize> = orgs.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    orgs.iter()
        .map(|o| {
            o.path
                .split('/')
                .filter(|s| !s.is_empty())
                .filter_map(|s| Uuid::parse_str(s).ok())
                .filter_map(|id| by_id.get(&id).copied())
                .collect()
        })
        .collect()
}

async fn insert_orgs(
    db: &DatabaseConnection,
    count: usize,
    rng: &mut StdRng,
    ids: &mut Ids,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Org>> {
    let general = if count >= 12 { ((count - 1) / 41).clamp(2, 20) } else { 1 };
    let groups = ((count - 1) / 80).max(1);
    let branches = count - 1 - general - groups;
    let mut orgs: Vec<Org> = Vec::with_capacity(count);
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(count);
    let mut add = |orgs: &mut Vec<Org>, parent: Option<usize>, kind: OrgKind, name: String| {
        let id = ids.next_id();
        let (path, depth) = match parent {
            Some(p) => (format!("{}{id}/", orgs[p].path), orgs[p].depth + 1),
            None => (format!("/{id}/"), 0),
        };
        orgs.push(Org { id, path, kind, depth, name });
        parents.push(parent);
    };
    add(&mut orgs, None, OrgKind::Committee, "江川水务环境集团党委（基准）".into());
    for g in 0..general {
        let unit = UNITS[g % UNITS.len()];
        let name = if g < UNITS.len() {
            format!("{unit}党总支")
        } else {
            format!("{unit}第{}党总支", g / UNITS.len() + 1)
        };
        add(&mut orgs, Some(0), OrgKind::GeneralBranch, name);
    }
    for b in 0..branches {
        // One branch in twenty sits directly under the root committee.
        let parent = if b % 20 == 19 { 0 } else { 1 + rng.random_range(0..general) };
        let team = TEAMS[b % TEAMS.len()];
        let unit = if parent == 0 { "集团直属" } else { orgs[parent].name.trim_end_matches("党总支") };
        let name = format!("{unit}{team}第{}党支部", b / TEAMS.len() + 1);
        add(&mut orgs, Some(parent), OrgKind::Branch, name);
    }
    let first_branch = 1 + general;
    for g in 0..groups {
        let parent = first_branch + rng.random_range(0..branches.max(1));
        let name = format!("{}攻关党小组{}", TEAMS[g % TEAMS.len()], g + 1);
        add(&mut orgs, Some(parent), OrgKind::Group, name);
    }
    let mut batch = Batch::new();
    for (i, (o, parent)) in orgs.iter().zip(&parents).enumerate() {
        let row = organization::ActiveModel {
            id: Set(o.id),
            parent_id: Set(parent.map(|p| orgs[p].id)),
            name: Set(o.name.clone()),
            short_name: Set(None),
            kind: Set(o.kind.as_str().to_owned()),
            path: Set(o.path.clone()),
            depth: Set(o.depth),
            sort_order: Set(i as i32),
            established_on: Set(NaiveDate::from_ymd_opt(2000 + (i % 25) as i32, 7, 1)),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        batch.push(db, row).await?;
    }
    batch.flush(db).await?;
    Ok(orgs)
}

async fn insert_people(
    db: &DatabaseConnection,
    orgs: &[Org],
    count: usize,
    rng: &mut StdRng,
    ids: &mut Ids,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> anyhow::Result<Vec<Person>> {
    // People belong to branches (and a few to party groups).
    let homes: Vec<usize> =
        (0..orgs.len()).filter(|&i| matches!(orgs[i].kind, OrgKind::Branch | OrgKind::Group)).collect();
    anyhow::ensure!(!homes.is_empty(), "the tree has no branch to put people in");
    let mut people = Vec::with_capacity(count);
    let mut batch = Batch::new();
    for i in 0..count {
        let org = *pick(rng, &homes);
        let status = party_status(rng);
        let joined = match status {
            PartyStatus::Full => today.checked_sub_signed(Duration::days(rng.random_range(400..12_000))),
            PartyStatus::Probationary => today.checked_sub_signed(Duration::days(rng.random_range(10..360))),
            _ => None,
        };
        let leader = rng.random_bool(0.04);
        let id = ids.next_id();
        let name = format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN));
        let row = person::ActiveModel {
            id: Set(id),
            organization_id: Set(orgs[org].id),
            name: Set(name),
            employee_no: Set(format!("BJ{:06}", i + 1)),
            phone: Set(rng.random_bool(0.8).then(|| format!("139{:08}", (i * 7919) % 100_000_000))),
            email: Set(rng.random_bool(0.6).then(|| format!("bj{:06}@example.com", i + 1))),
            party_status: Set(status.as_str().to_owned()),
            joined_party_on: Set(joined),
            position: Set(Some((*pick(rng, POSITIONS)).to_owned())),
            is_leadership: Set(leader),
            is_tech_backbone: Set(rng.random_bool(0.25)),
            is_model_worker: Set(rng.random_bool(0.03)),
            left_on: Set(None),
            departure_kind: Set(None),
            departure_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        batch.push(db, row).await?;
        people.push(Person {
            id,
            org,
            member: matches!(status, PartyStatus::Full | PartyStatus::Probationary),
            leader,
        });
    }
    batch.flush(db).await?;
    Ok(people)
}

#[allow(clippy::too_many_arguments)]
async fn insert_sessions(
    db: &DatabaseConnection,
    sizes: &Sizes,
    orgs: &[Org],
    people: &[Person],
    in_org: &[Vec<usize>],
    in_subtree: &[Vec<usize>],
    rng: &mut StdRng,
    ids: &mut Ids,
    now: DateTime<Utc>,
    report: &mut LoadReport,
) -> anyhow::Result<(Vec<Session>, Vec<Vec<usize>>)> {
    let of_kind = |k: OrgKind| -> Vec<usize> { (0..orgs.len()).filter(|&i| orgs[i].kind == k).collect() };
    let (generals, branches, groups) =
        (of_kind(OrgKind::GeneralBranch), of_kind(OrgKind::Branch), of_kind(OrgKind::Group));
    let members = |list: &[usize]| -> Vec<usize> { list.iter().copied().filter(|&p| people[p].member).collect() };
    let mut sessions = Vec::with_capacity(sizes.sessions);
    for _ in 0..sizes.sessions {
        let level = rng.random_range(0..100);
        let org = if level < 3 {
            0
        } else if level < 15 && !generals.is_empty() {
            *pick(rng, &generals)
        } else if level < 20 && !groups.is_empty() {
            *pick(rng, &groups)
        } else {
            *pick(rng, &branches)
        };
        let kind = *pick(rng, session_kinds(orgs[org].kind));
        let (status, held_at) = if rng.random_bool(0.1) {
            (SessionStatus::Planned, now + Duration::days(rng.random_range(1..60)))
        } else if rng.random_bool(0.03) {
            (SessionStatus::Cancelled, now - Duration::days(rng.random_range(1..730)))
        } else {
            (SessionStatus::Held, now - Duration::days(rng.random_range(1..730)))
        };
        // Meetings start on the hour or half hour, 09:00–16:30 in China (UTC+8).
        let held_at = held_at
            .date_naive()
            .and_hms_opt(rng.random_range(1..9), if rng.random_bool(0.5) { 0 } else { 30 }, 0)
            .map_or(held_at, |t| t.and_utc());
        let subtree_members = members(&in_subtree[org]);
        let committee = || -> Vec<usize> {
            let own = members(&in_org[org]);
            let base = if own.len() >= 3 { own } else { subtree_members.clone() };
            base.into_iter().take(7).collect()
        };
        let (eligible, expandable) = match kind {
            SessionKind::BranchGeneralMeeting | SessionKind::PartyLecture | SessionKind::ThemeDay => {
                (subtree_members.clone(), matches!(orgs[org].kind, OrgKind::Committee | OrgKind::GeneralBranch))
            }
            SessionKind::GroupMeeting => (members(&in_org[org]), false),
            SessionKind::BranchCommittee | SessionKind::PartyCommittee => (committee(), false),
            SessionKind::CentralGroup => {
                let mut c = committee();
                let leaders: Vec<usize> =
                    in_subtree[org].iter().copied().filter(|&p| people[p].leader && !c.contains(&p)).take(8).collect();
                c.extend(leaders);
                (c, false)
            }
        };
        sessions.push(Session {
            id: ids.next_id(),
            org,
            org_id: orgs[org].id,
            kind,
            status,
            held_at,
            eligible,
            expandable,
        });
    }
    // Roster sizes: the rule's whole list (at most the average) for the sessions of
    // branches, groups and committees; the rest of the target spread over the
    // subtree-wide meetings above branch level.
    let target = sizes.sessions * sizes.attendance_per_session;
    let fixed: usize =
        sessions.iter().filter(|s| !s.expandable).map(|s| s.eligible.len().min(sizes.attendance_per_session)).sum();
    let expandable = sessions.iter().filter(|s| s.expandable).count();
    let share = target.saturating_sub(fixed).checked_div(expandable).unwrap_or(0);
    let mut rosters: Vec<Vec<usize>> = Vec::with_capacity(sessions.len());
    for s in &sessions {
        let n = if s.expandable {
            s.eligible.len().min(share.max(sizes.attendance_per_session))
        } else {
            s.eligible.len().min(sizes.attendance_per_session)
        };
        let mut roster: Vec<usize> = sample(rng, s.eligible.len(), n).into_iter().map(|i| s.eligible[i]).collect();
        roster.sort_unstable();
        rosters.push(roster);
    }
    // Sessions (and their search index), then their rosters with attendance.
    for (chunk, chunk_rosters) in sessions.chunks(CHUNK).zip(rosters.chunks(CHUNK)) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut texts = Vec::with_capacity(chunk.len());
        for (s, roster) in chunk.iter().zip(chunk_rosters) {
            let topic = topic(rng, s.kind);
            let minutes = (s.status == SessionStatus::Held).then(|| {
                format!(
                    "会议由{}主持，集体学习了{}，结合本单位实际研究了贯彻落实措施。",
                    if matches!(s.kind, SessionKind::BranchCommittee | SessionKind::GroupMeeting) {
                        "书记"
                    } else {
                        "党组织书记"
                    },
                    pick(rng, super::search::PHRASES)
                )
            });
            let secret: [u8; 32] = rng.random();
            rows.push(study_session::ActiveModel {
                id: Set(s.id),
                organization_id: Set(orgs[s.org].id),
                kind: Set(s.kind.as_str().to_owned()),
                is_first_topic: Set(SessionKind::COMMITTEE.contains(&s.kind) || rng.random_bool(0.5)),
                topic: Set(topic.clone()),
                held_at: Set(s.held_at),
                place: Set(Some(format!("{}会议室", orgs[s.org].name))),
                host_person_id: Set(roster.first().map(|&p| people[p].id)),
                recorder_person_id: Set(roster.get(1).map(|&p| people[p].id)),
                minutes: Set(minutes.clone()),
                status: Set(s.status.as_str().to_owned()),
                checkin_opens_at: Set(
                    s.held_at - Duration::minutes(crate::services::study::CHECKIN_OPENS_BEFORE_MINUTES)
                ),
                checkin_closes_at: Set(
                    s.held_at + Duration::minutes(crate::services::study::CHECKIN_CLOSES_AFTER_MINUTES)
                ),
                checkin_mode: Set("code".into()),
                checkin_secret: Set(Some(hex::encode(secret))),
                latitude: Set(None),
                longitude: Set(None),
                radius_m: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            });
            if s.status != SessionStatus::Cancelled {
                texts.push((s.id, topic, minutes.unwrap_or_default()));
            }
        }
        let tx = db.begin().await?;
        study_session::Entity::insert_many(rows).exec_without_returning(&tx).await?;
        for (id, topic, minutes) in &texts {
            crate::services::search::index(&tx, crate::services::study::SEARCH_ENTITY, *id, topic, minutes).await?;
        }
        tx.commit().await?;
    }
    let mut batch = Batch::new();
    for (s, roster) in sessions.iter().zip(&rosters) {
        match s.status {
            SessionStatus::Held => report.sessions[0] += 1,
            SessionStatus::Planned => report.sessions[1] += 1,
            SessionStatus::Cancelled => report.sessions[2] += 1,
        }
        for &p in roster {
            let status = if s.status != SessionStatus::Held {
                AttendanceStatus::Expected
            } else {
                match rng.random_range(0..100) {
                    0..72 => AttendanceStatus::Present,
                    72..80 => AttendanceStatus::Late,
                    80..87 => AttendanceStatus::Leave,
                    87..95 => AttendanceStatus::Absent,
                    _ => AttendanceStatus::Expected,
                }
            };
            let checked_in_at = match status {
                AttendanceStatus::Present => Some(s.held_at - Duration::minutes(rng.random_range(0..20))),
                AttendanceStatus::Late => Some(s.held_at + Duration::minutes(rng.random_range(5..40))),
                _ => None,
            };
            let method = match status {
                AttendanceStatus::Present => Some("code".to_owned()),
                AttendanceStatus::Late => Some("recorder".to_owned()),
                _ => None,
            };
            let reason =
                (status == AttendanceStatus::Leave).then(|| (*pick(rng, &["出差", "病假", "公务", "培训"])).to_owned());
            let row = attendance::ActiveModel {
                id: Set(ids.next_id()),
                session_id: Set(s.id),
                person_id: Set(people[p].id),
                status: Set(status.as_str().to_owned()),
                reason: Set(reason),
                checked_in_at: Set(checked_in_at),
                method: Set(method),
                guest: Set(false),
                checkin_failures: Set(0),
                latitude: Set(None),
                longitude: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            };
            batch.push(db, row).await?;
        }
    }
    report.attendance = batch.flush(db).await?;
    Ok((sessions, rosters))
}

#[allow(clippy::too_many_arguments)]
async fn insert_measures(
    db: &DatabaseConnection,
    count: usize,
    sessions: &[Session],
    rosters: &[Vec<usize>],
    people: &[Person],
    rng: &mut StdRng,
    ids: &mut Ids,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> anyhow::Result<usize> {
    let held: Vec<usize> =
        (0..sessions.len()).filter(|&i| sessions[i].status == SessionStatus::Held && !rosters[i].is_empty()).collect();
    if held.is_empty() {
        return Ok(0);
    }
    let mut batch = Batch::new();
    for _ in 0..count {
        let i = *pick(rng, &held);
        let s = &sessions[i];
        let owner = people[*pick(rng, &rosters[i])].id;
        let due_on = s.held_at.date_naive() + Duration::days(rng.random_range(15..120));
        let status = if due_on < today {
            match rng.random_range(0..100) {
                0..60 => "done",
                60..75 => "in_progress",
                75..90 => "todo",
                _ => "cancelled",
            }
        } else {
            match rng.random_range(0..100) {
                0..50 => "todo",
                50..90 => "in_progress",
                _ => "done",
            }
        };
        let completed_on = (status == "done").then(|| (due_on - Duration::days(rng.random_range(-10..20))).min(today));
        let row = measure::ActiveModel {
            id: Set(ids.next_id()),
            source_kind: Set("session".into()),
            source_id: Set(s.id),
            organization_id: Set(s.org_id),
            title: Set((*pick(rng, MEASURE_TITLES)).to_owned()),
            description: Set(None),
            owner_person_id: Set(owner),
            due_on: Set(due_on),
            status: Set(status.into()),
            completed_on: Set(completed_on),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        batch.push(db, row).await?;
    }
    batch.flush(db).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_supervision(
    db: &DatabaseConnection,
    count: usize,
    orgs: &[Org],
    people: &[Person],
    in_subtree: &[Vec<usize>],
    ancestors: &[Vec<usize>],
    rng: &mut StdRng,
    ids: &mut Ids,
    now: DateTime<Utc>,
    today: NaiveDate,
    report: &mut LoadReport,
) -> anyhow::Result<()> {
    // An inspection of the root and of every general branch; a third still running.
    let targets: Vec<usize> = (0..orgs.len())
        .filter(|&i| matches!(orgs[i].kind, OrgKind::Committee | OrgKind::GeneralBranch) && !in_subtree[i].is_empty())
        .collect();
    let mut inspections = Vec::with_capacity(targets.len());
    let mut batch = Batch::new();
    for (n, &t) in targets.iter().enumerate() {
        let id = ids.next_id();
        let starts_on = today - Duration::days(rng.random_range(100..300));
        let running = n % 3 == 0;
        batch
            .push(
                db,
                inspection::ActiveModel {
                    id: Set(id),
                    organization_id: Set(orgs[t].id),
                    title: Set(format!(
                        "{}年第{}轮巡察：{}科技创新责任落实情况",
                        today.format("%Y"),
                        n % 4 + 1,
                        orgs[t].name
                    )),
                    focus: Set("科技创新责任落实情况：研发投入、党小组建在项目上、“五小”创新、成果转化".into()),
                    lead_inspector_person_id: Set(None),
                    starts_on: Set(starts_on),
                    ends_on: Set((!running).then(|| starts_on + Duration::days(30))),
                    status: Set(if running { InspectionStatus::InProgress } else { InspectionStatus::Finished }
                        .as_str()
                        .to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                },
            )
            .await?;
        inspections.push((id, t));
    }
    report.inspections = batch.flush(db).await?;
    if inspections.is_empty() {
        return Ok(());
    }
    // Organisations (with people in their subtree) below each inspected one.
    let below: Vec<Vec<usize>> = inspections
        .iter()
        .map(|&(_, t)| {
            (0..orgs.len()).filter(|&o| o != t && ancestors[o].contains(&t) && !in_subtree[o].is_empty()).collect()
        })
        .collect();
    let mut batch = Batch::new();
    for _ in 0..count {
        let k = rng.random_range(0..inspections.len());
        let (inspection_id, target) = inspections[k];
        let org = if below[k].is_empty() { target } else { *pick(rng, &below[k]) };
        let responsible = people[*pick(rng, &in_subtree[org])].id;
        let due_on = today + Duration::days(rng.random_range(-150..=90));
        let status = match rng.random_range(0..100) {
            0..35 => ItemStatus::Open,
            35..65 => ItemStatus::Rectifying,
            65..80 => ItemStatus::Submitted,
            _ => ItemStatus::Verified,
        };
        let opened_on = (due_on - Duration::days(rng.random_range(20..90))).min(today);
        let closed_on = (status == ItemStatus::Verified)
            .then(|| (due_on + Duration::days(rng.random_range(-20..15))).clamp(opened_on, today));
        if due_on < today && status != ItemStatus::Verified {
            report.overdue_items += 1;
        }
        let title = pick(rng, ITEM_TITLES);
        let row = supervision_item::ActiveModel {
            id: Set(ids.next_id()),
            inspection_id: Set(Some(inspection_id)),
            organization_id: Set(orgs[org].id),
            title: Set((*title).to_owned()),
            description: Set(Some(format!("巡察组在{}发现：{title}。", orgs[org].name))),
            category: Set(pick(rng, ItemCategory::ALL).as_str().to_owned()),
            severity: Set(pick(rng, Severity::ALL).as_str().to_owned()),
            responsible_person_id: Set(responsible),
            rectification_plan: Set((status != ItemStatus::Open)
                .then(|| format!("针对“{title}”，召开专题会议，明确责任人和完成时限，逐项整改。"))),
            due_on: Set(due_on),
            status: Set(status.as_str().to_owned()),
            opened_on: Set(opened_on),
            closed_on: Set(closed_on),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        batch.push(db, row).await?;
    }
    report.items = batch.flush(db).await?;
    Ok(())
}
