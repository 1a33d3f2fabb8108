//! `dangjian bench-search`: a rerunnable search benchmark. It fills a database with
//! generated Chinese documents (20,000 by default) spread over an organisation tree,
//! then times the real search service for a member of one branch (so visibility
//! filtering is part of the cost) and reports latency percentiles.
//!
//! Use a scratch database: the default is a fresh SQLite file in a temporary folder;
//! pass `--database-url postgres://.../scratch` for PostgreSQL.
//!
//! The document generator ([`insert_documents`]) is shared with the load benchmark
//! (`super::load`), which puts the same kind of corpus into its dataset.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set, TransactionTrait};
use uuid::Uuid;

use crate::auth::{Actor, Grant, Principal, Role};
use crate::services::{documents, search, types::DocumentKind};
use entity::{document, organization};

/// The phrases documents are written from (the load benchmark's session topics too).
pub const PHRASES: &[&str] = &[
    "科技创新",
    "党建引领",
    "第一议题",
    "低碳水厂",
    "污水处理",
    "智慧水务",
    "研发经费",
    "五小创新",
    "长江大保护",
    "节能降耗",
    "人才培养",
    "知识产权",
    "发明专利",
    "行业标准",
    "巡察整改",
    "主体责任",
    "高质量发展",
    "碳达峰碳中和",
    "成果转化",
    "产学研合作",
    "党员突击队",
    "党员示范岗",
    "技术攻关",
    "关键核心技术",
    "数字化转型",
    "精准曝气",
    "再生水回用",
    "污水源热泵",
    "分布式光伏",
    "供水安全",
    "管网改造",
    "水质检测",
    "运营管理",
    "考核激励",
    "制度建设",
    "宣贯培训",
    "经验交流",
    "劳模选树",
    "技能竞赛",
    "联学联议",
    "贯彻落实",
    "组织保障",
    "全员创新",
    "降本增效",
    "吨水成本",
    "生态文明",
    "绿色发展",
    "创新驱动",
    "基层党组织",
    "战斗堡垒",
    "先锋模范",
];
const VERBS: &[&str] = &["推进", "加强", "围绕", "深化", "落实", "完善", "聚焦", "统筹", "持续开展", "积极探索"];
const TAILS: &[&str] = &["工作", "机制", "举措", "成效", "路径", "体系", "能力", "水平"];
const TITLE_SUFFIX: &[&str] =
    &["的实施意见", "经验交流材料", "专题学习材料", "工作方案", "管理办法", "调研报告", "情况通报"];
const LATIN: &[&str] = &["WES", "SCADA", "BIM", "AI", "MBR", "AAO"];

/// What the benchmark measured.
pub struct BenchReport {
    /// Documents indexed.
    pub documents: usize,
    /// Seconds spent loading them.
    pub load_seconds: f64,
    /// Queries timed.
    pub queries: usize,
    /// Latency percentiles (50, 95, 99) and mean.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Mean.
    pub mean: Duration,
    /// Average hits on the first page.
    pub mean_hits: f64,
}

/// A sentence mostly about the document's topic (a few phrases), sometimes about anything:
/// a phrase then appears in roughly a fifth of the documents, as in a real corpus.
fn sentence(rng: &mut StdRng, topic: &[usize]) -> String {
    let mut s = String::from(VERBS[rng.random_range(0..VERBS.len())]);
    for _ in 0..rng.random_range(2..5) {
        let phrase = if rng.random_bool(0.95) {
            topic[rng.random_range(0..topic.len())]
        } else {
            rng.random_range(0..PHRASES.len())
        };
        s.push_str(PHRASES[phrase]);
        if rng.random_bool(0.3) {
            s.push('、');
        }
    }
    s.push_str(TAILS[rng.random_range(0..TAILS.len())]);
    if rng.random_bool(0.1) {
        s.push_str(LATIN[rng.random_range(0..LATIN.len())]);
        s.push_str("系统");
    }
    s.push('。');
    s
}

/// Inserts `count` generated, published Chinese documents owned by organisations drawn
/// from `orgs` (70 % visible to everyone, the rest to the owner's subtree) and indexes
/// them for search, 500 to a transaction. `new_id` makes each document's id (the load
/// benchmark passes a seeded generator so its dataset is reproducible).
pub async fn insert_documents(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    orgs: &[Uuid],
    count: usize,
    new_id: &mut (dyn FnMut() -> Uuid + Send),
) -> anyhow::Result<()> {
    anyhow::ensure!(!orgs.is_empty() || count == 0, "documents need an organisation to belong to");
    let now = chrono::Utc::now();
    let kinds = DocumentKind::ALL;
    let mut done = 0;
    while done < count {
        let tx = db.begin().await?;
        for _ in 0..500.min(count - done) {
            let id = new_id();
            let org_id = orgs[rng.random_range(0..orgs.len())];
            let topic: Vec<usize> = (0..6).map(|_| rng.random_range(0..PHRASES.len())).collect();
            let title = format!(
                "{}{}{}",
                VERBS[rng.random_range(0..VERBS.len())],
                PHRASES[topic[0]],
                TITLE_SUFFIX[rng.random_range(0..TITLE_SUFFIX.len())]
            );
            let body: String = (0..rng.random_range(20..60)).map(|_| sentence(rng, &topic)).collect();
            document::ActiveModel {
                id: Set(id),
                lineage_id: Set(id),
                revision: Set(1),
                kind: Set(kinds[rng.random_range(0..kinds.len())].as_str().into()),
                title: Set(title.clone()),
                issuing_body: Set(None),
                issued_on: Set(NaiveDate::from_ymd_opt(2020 + rng.random_range(0..7), rng.random_range(1..13), 1)),
                body: Set(body.clone()),
                summary: Set(None),
                organization_id: Set(org_id),
                visibility: Set(if rng.random_bool(0.7) { "everyone".into() } else { "subtree".into() }),
                status: Set("published".into()),
                published_at: Set(Some(now)),
                superseded_by: Set(None),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
            .insert(&tx)
            .await?;
            search::index(&tx, documents::SEARCH_ENTITY, id, &title, &body).await?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Loads `count` generated documents and times `queries` searches.
pub async fn run(db: &DatabaseConnection, count: usize, queries: usize) -> anyhow::Result<BenchReport> {
    let mut rng = StdRng::seed_from_u64(20261125);
    let now = chrono::Utc::now();
    // An organisation tree: a committee with 10 branches.
    let root_id = Uuid::now_v7();
    let mut orgs = vec![(root_id, format!("/{root_id}/"))];
    for i in 0..=10 {
        let id = if i == 0 { root_id } else { Uuid::now_v7() };
        let path = if i == 0 { format!("/{root_id}/") } else { format!("/{root_id}/{id}/") };
        organization::ActiveModel {
            id: Set(id),
            parent_id: Set((i > 0).then_some(root_id)),
            name: Set(if i == 0 { "基准测试党委".into() } else { format!("基准测试第{i}支部") }),
            short_name: Set(None),
            kind: Set(if i == 0 { "committee".into() } else { "branch".into() }),
            path: Set(path.clone()),
            depth: Set(i32::from(i > 0)),
            sort_order: Set(i),
            established_on: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(db)
        .await?;
        if i > 0 {
            orgs.push((id, path));
        }
    }
    let started = Instant::now();
    let org_ids: Vec<Uuid> = orgs.iter().map(|(id, _)| *id).collect();
    insert_documents(db, &mut rng, &org_ids, count, &mut Uuid::now_v7).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        sea_orm::ConnectionTrait::execute_unprepared(db, "ANALYZE").await?;
    }
    // A member of branch 3: sees everyone-visible documents and those shared with branch 3.
    let (branch, path) = orgs[3].clone();
    let actor = Actor {
        principal: Principal::User { user_id: Uuid::now_v7(), username: "bench".into(), person_id: None },
        grants: vec![Grant { role: Role::Member, org_id: Some(branch), org_path: Some(path) }],
        request_id: None,
        origin: Default::default(),
        home: None,
    };
    let mut terms: Vec<String> = PHRASES.iter().map(|p| (*p).to_owned()).collect();
    terms.extend(["低碳 WES".to_owned(), "污水处理 节能降耗".to_owned(), "党建 创新".to_owned(), "专利".to_owned()]);
    let filter = crate::services::knowledge::SearchFilter::default();
    let paging = crate::services::knowledge::SearchPaging {
        limit: 20,
        cursor: None,
        with_total: false,
        names: crate::services::knowledge::InputNames { query: "q", cursor: "cursor" },
    };
    // Warm up caches and the segmenter.
    for t in terms.iter().take(5) {
        crate::services::knowledge::search(db, &actor, t, &filter, paging).await?;
    }
    let mut times = Vec::with_capacity(queries);
    let mut hits = 0usize;
    for i in 0..queries {
        let q = &terms[i % terms.len()];
        let t0 = Instant::now();
        let page = crate::services::knowledge::search(db, &actor, q, &filter, paging).await?;
        times.push(t0.elapsed());
        hits += page.items.len();
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    Ok(BenchReport {
        documents: count,
        load_seconds,
        queries,
        p50: pct(0.50),
        p95: pct(0.95),
        p99: pct(0.99),
        mean,
        mean_hits: hits as f64 / queries.max(1) as f64,
    })
}
