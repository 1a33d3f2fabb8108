//! Demo data (`dangjian seed-demo`): a water-and-environment group with its party
//! organisation tree, about 200 people with Chinese names and party statuses, one
//! login per role, an HR service client, a year of study sessions and an inspection with a
//! dozen supervision items. Idempotent: a second run changes nothing.
//! Everything goes through the services, so the audit trail records it.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

mod committees;
mod innovation;

use crate::auth::{Actor, ClientScope, Role};
use crate::services::{
    documents::{self, DocumentPatch, NewDocument},
    measures,
    organizations::{self, NewOrganization},
    people::{self, NewPerson},
    service_clients::{self, NewServiceClient},
    study, supervision,
    types::{DocumentKind, Id, OrgKind, PartyStatus, Visibility},
    users::{self, NewRoleAssignment, NewUser},
};

/// Name of the demo root committee (its presence marks the demo as loaded).
pub const ROOT_NAME: &str = "江川水务环境集团党委";
/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

/// The party group of 工艺研究所党支部 whose member has the `demo_groupmember` login.
pub const DEMO_GROUP: &str = "低碳水厂攻关党小组";
/// Client id and secret of the demo HR client.
pub const DEMO_CLIENT_SECRET: &str = "demo-hr-secret-0123456789-abcdefghij";

/// (name, short name, kind, children)
struct Node(&'static str, &'static str, OrgKind, &'static [Node]);

const TREE: Node = Node(
    ROOT_NAME,
    "集团党委",
    OrgKind::Committee,
    &[
        Node(
            "技术研发中心党总支",
            "研发党总支",
            OrgKind::GeneralBranch,
            &[
                Node(
                    "工艺研究所党支部",
                    "工艺所支部",
                    OrgKind::Branch,
                    &[Node("低碳水厂攻关党小组", "低碳攻关小组", OrgKind::Group, &[])],
                ),
                Node(
                    "智慧水务研究所党支部",
                    "智慧水务支部",
                    OrgKind::Branch,
                    &[Node("智慧管网项目党小组", "管网项目小组", OrgKind::Group, &[])],
                ),
                Node("水质检测中心党支部", "检测中心支部", OrgKind::Branch, &[]),
            ],
        ),
        Node(
            "运营管理党总支",
            "运营党总支",
            OrgKind::GeneralBranch,
            &[
                Node("城东污水处理厂党支部", "城东厂支部", OrgKind::Branch, &[]),
                Node("城西污水处理厂党支部", "城西厂支部", OrgKind::Branch, &[]),
                Node("供水管网党支部", "管网支部", OrgKind::Branch, &[]),
            ],
        ),
        Node(
            "机关党总支",
            "机关党总支",
            OrgKind::GeneralBranch,
            &[
                Node("综合办公室党支部", "综合办支部", OrgKind::Branch, &[]),
                Node("财务审计党支部", "财审支部", OrgKind::Branch, &[]),
            ],
        ),
        Node(
            "江川环保科技有限公司党委",
            "环保科技党委",
            OrgKind::Committee,
            &[
                Node("环保科技研发党支部", "科技研发支部", OrgKind::Branch, &[]),
                Node("环保工程党支部", "工程支部", OrgKind::Branch, &[]),
            ],
        ),
    ],
);

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗",
];
const GIVEN: &[&str] = &[
    "建国", "海燕", "志强", "秀英", "伟", "芳", "军", "敏", "磊", "静", "洋", "艳", "勇", "娜", "杰", "丽", "涛", "红",
    "明", "超", "晓东", "雪梅", "振华", "佳怡", "宇航", "思远", "文博", "欣然",
];
const POSITIONS: &[&str] =
    &["工程师", "高级工程师", "技术员", "运行班长", "化验员", "项目经理", "主任", "副主任", "会计", "主管"];

fn person_status(i: usize) -> (PartyStatus, Option<NaiveDate>) {
    let joined = |y: i32| NaiveDate::from_ymd_opt(y, 1 + (i % 12) as u32, 1 + (i % 28) as u32);
    match i % 10 {
        0..=5 => (PartyStatus::Full, joined(1995 + (i % 28) as i32)),
        6 => (PartyStatus::Probationary, joined(2026)),
        7 => (PartyStatus::Candidate, None),
        8 => (PartyStatus::Activist, None),
        _ => (PartyStatus::None, None),
    }
}

/// Loads the demo data and returns a report of the logins.
pub async fn seed_demo(
    db: &DatabaseConnection,
    passwords: &crate::auth::password::Passwords,
) -> anyhow::Result<String> {
    let exists = entity::organization::Entity::find()
        .filter(entity::organization::Column::Name.eq(ROOT_NAME))
        .filter(entity::organization::Column::ParentId.is_null())
        .count(db)
        .await?
        > 0;
    if exists {
        // Databases seeded before supervision existed get its demo now (once).
        let items = seed_supervision(db).await?;
        let added = if items > 0 { format!("; added {items} supervision items") } else { "; nothing changed".into() };
        return Ok(format!("demo data already loaded ({ROOT_NAME} exists){added}\n{}", logins()));
    }
    let sys = Actor::system();
    // Organisations, breadth first; remember them by name.
    let mut by_name: Vec<(&'static str, Uuid)> = Vec::new();
    let mut stack: Vec<(Option<Uuid>, &Node)> = vec![(None, &TREE)];
    while let Some((parent, node)) = stack.pop() {
        let org = organizations::create(
            db,
            &sys,
            NewOrganization {
                parent_id: parent.map(Id),
                name: node.0.into(),
                short_name: Some(node.1.into()),
                kind: node.2,
                sort_order: Some(by_name.len() as i32),
                established_on: NaiveDate::from_ymd_opt(2003 + by_name.len() as i32 % 15, 7, 1),
            },
        )
        .await?;
        by_name.push((node.0, *org.id));
        for child in node.3.iter().rev() {
            stack.push((Some(*org.id), child));
        }
    }
    let org = |name: &str| by_name.iter().find(|(n, _)| *n == name).map(|(_, id)| *id).unwrap_or_default();
    let branches: Vec<Uuid> = by_name.iter().skip(1).map(|(_, id)| *id).collect();
    // About 200 people spread over every organisation below the root.
    let mut first_in: Vec<(Uuid, Uuid)> = Vec::new();
    for i in 0..200usize {
        let org_id = branches[i % branches.len()];
        let name = format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i * 7 + i / SURNAMES.len()) % GIVEN.len()]);
        let (status, joined) = person_status(i);
        let p = people::create(
            db,
            &sys,
            NewPerson {
                organization_id: Id(org_id),
                name,
                employee_no: format!("JC{:05}", 10001 + i),
                phone: Some(format!("138{:08}", 20_000_000 + i * 7919 % 10_000_000)),
                email: Some(format!("jc{:05}@example.com", 10001 + i)),
                party_status: Some(status),
                joined_party_on: joined,
                position: Some(POSITIONS[i % POSITIONS.len()].into()),
                is_leadership: i % 25 == 0,
                is_tech_backbone: i % 4 == 1,
                is_model_worker: i % 40 == 3,
            },
        )
        .await?;
        if !first_in.iter().any(|(o, _)| *o == org_id) {
            first_in.push((org_id, *p.id));
        }
    }
    let person_in = |org_id: Uuid| first_in.iter().find(|(o, _)| *o == org_id).map(|(_, p)| *p);
    let rd = org("技术研发中心党总支");
    let lab = org("工艺研究所党支部");
    let group = org(DEMO_GROUP);
    let accounts: [(&str, Option<Uuid>, Role, Option<Uuid>); 5] = [
        ("demo_admin", None, Role::Admin, None),
        ("demo_orgadmin", person_in(rd), Role::OrgAdmin, Some(rd)),
        ("demo_inspector", person_in(org("综合办公室党支部")), Role::Inspector, None),
        ("demo_member", person_in(lab), Role::Member, Some(lab)),
        // A member of a party group of the same branch: takes part in its general meetings.
        ("demo_groupmember", person_in(group), Role::Member, Some(group)),
    ];
    for (username, person_id, role, scope) in accounts {
        let user = users::create(
            db,
            &sys,
            passwords,
            NewUser { username: username.into(), password: DEMO_PASSWORD.into(), person_id: person_id.map(Id) },
        )
        .await?;
        users::assign_role(db, &sys, NewRoleAssignment { user_id: user.id, role, organization_id: scope.map(Id) })
            .await?;
    }
    committees::seed(db, &sys).await?;
    let documents = seed_documents(db, &sys, org(ROOT_NAME), rd).await?;
    let sessions = seed_sessions(db, &sys, lab, &documents).await?;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let innovation = innovation::seed(db, &sys, &org, today).await?;
    let items = seed_supervision(db).await?;
    people::seed_demo(db, &sys, today).await?;
    let client = service_clients::create_with_secret(
        db,
        &sys,
        NewServiceClient {
            name: "HR 系统同步".into(),
            scopes: [ClientScope::OrganizationsRead, ClientScope::PeopleRead].map(|c| c.as_str().to_owned()).to_vec(),
            organization_id: Some(Id(org(ROOT_NAME))),
        },
        DEMO_CLIENT_SECRET.into(),
    )
    .await?;
    Ok(format!(
        "loaded {} organisations, 200 people, {} documents, {sessions} study sessions, {items} supervision items\n{innovation}\n{}\nHR client: client_id={} client_secret={}",
        by_name.len(),
        documents.len(),
        logins(),
        client.client.client_id,
        DEMO_CLIENT_SECRET
    ))
}

fn logins() -> String {
    format!(
        "demo logins (password {DEMO_PASSWORD}): demo_admin (admin), demo_orgadmin (org_admin of 技术研发中心党总支), \
         demo_inspector (inspector, global), demo_member (member of 工艺研究所党支部), \
         demo_groupmember (member of {DEMO_GROUP}, a party group of 工艺研究所党支部)"
    )
}

/// A demo document: (kind, title, issuing body, issued on, summary, body, tags).
type DemoDocument =
    (DocumentKind, &'static str, &'static str, &'static str, &'static str, &'static str, &'static [&'static str]);

/// Demo texts written for this project in the style of the group's documents.
const DOCUMENTS: &[DemoDocument] = &[
    (
        DocumentKind::Speech,
        "在集团科技创新工作会议上的讲话（摘要）",
        "集团党委",
        "2026-01-15",
        "强调把科技创新摆在发展全局的核心位置，以党建引领创新驱动。",
        "## 一、提高政治站位\n\n各级党组织要把科技创新作为“国之大者”来抓，把学习重要论述列入“第一议题”，\n\n## 二、压实主体责任\n\n党委书记是科技创新第一责任人，要统筹研发投入、人才培育和成果转化。\n\n## 三、营造创新氛围\n\n持续开展“五小”创新创效活动，让党员在技术攻关一线当先锋、作表率。",
        &["科技创新", "第一议题"],
    ),
    (
        DocumentKind::Instruction,
        "关于做好碳达峰碳中和工作的批示精神传达",
        "集团党委办公室",
        "2026-02-20",
        "传达关于推进减污降碳协同增效的批示要求。",
        "各单位要结合污水处理行业特点，制定减污降碳实施路径，推广光伏发电、精准曝气和污水源热泵等节能技术，按季度报送落实情况。",
        &["双碳", "节能降耗"],
    ),
    (
        DocumentKind::Policy,
        "关于进一步促进科技创新工作的指导意见（试行）",
        "集团党委",
        "2026-03-01",
        "明确各级党组织科技创新主体责任和研发经费投入要求。",
        "一、总体要求：坚持党建引领、创新驱动、质量为先、绿色发展。\n二、重点任务：加强关键核心技术攻关，完善产学研用合作机制，保障研发经费投入强度。\n三、保障措施：将科技创新纳入巡察监督重点内容和年度经营业绩考核。",
        &["科技创新", "指导意见"],
    ),
    (
        DocumentKind::Regulation,
        "科技成果评价及奖励办法",
        "集团科技部",
        "2026-04-10",
        "规定科技成果的评价标准、奖励范围和奖励额度。",
        "第一条 为激励科技创新，规范科技成果评价和奖励，制定本办法。\n第二条 奖励范围包括发明专利、软件著作权、标准编制、科技奖项和“五小”创新成果。\n第三条 奖励额度按成果等级确定，由科技部会同财务部门审核发放。",
        &["制度", "奖励"],
    ),
    (
        DocumentKind::Case,
        "智慧水务控制系统实践案例",
        "智慧水务研究所党支部",
        "2026-05-18",
        "城东污水处理厂一体化智慧管理的做法与成效。",
        "党员突击队牵头建设智慧水务控制系统，实现自控系统、仪表系统一体化管理，生化系统整体节能约一成，形成可复制可推广的管理模式。",
        &["智慧水务", "党员突击队"],
    ),
    (
        DocumentKind::Experience,
        "把党小组建在科研项目上——工艺研究所经验交流",
        "工艺研究所党支部",
        "2026-06-28",
        "低碳水厂攻关党小组推动项目攻关的经验。",
        "支部把党小组建在低碳水厂攻关项目上，党员科技骨干带头攻克精准加药、再生水回用等难题，项目按期通过阶段验收。",
        &["党小组", "低碳"],
    ),
    (
        DocumentKind::Research,
        "污水处理行业碳中和技术路径课题研究报告",
        "技术研发中心党总支",
        "2026-08-08",
        "从能量自给、资源回收和碳平衡三个维度提出技术路径。",
        "课题组梳理了污水处理全流程碳排放，提出能量自给、资源回收、碳平衡三条技术路径，并测算了分布式光伏和污水源热泵的减排潜力。",
        &["课题研究", "碳中和"],
    ),
    (
        DocumentKind::Notice,
        "关于开展2026年“科技创新年”活动的通知",
        "集团党委",
        "2026-01-05",
        "部署全年经验交流会、专题讲座、技能竞赛和劳模选树等活动。",
        "各级党组织要围绕科技创新年主题，组织经验交流会、低碳技术专题讲座、“五小”成果推广会、技能竞赛和劳模选树，年底前报送活动总结。",
        &["科技创新年", "通知"],
    ),
];

async fn seed_documents(db: &DatabaseConnection, sys: &Actor, root: Uuid, rd: Uuid) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    for (i, (kind, title, issuer, issued, summary, body, tags)) in DOCUMENTS.iter().enumerate() {
        let owner = if matches!(kind, DocumentKind::Experience | DocumentKind::Research | DocumentKind::Case) {
            rd
        } else {
            root
        };
        let doc = documents::create(
            db,
            sys,
            NewDocument {
                kind: *kind,
                title: (*title).into(),
                issuing_body: Some((*issuer).into()),
                issued_on: NaiveDate::parse_from_str(issued, "%Y-%m-%d").ok(),
                body: (*body).into(),
                summary: Some((*summary).into()),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                organization_id: Id(owner),
                visibility: Some(if i == 6 { Visibility::Subtree } else { Visibility::Everyone }),
            },
        )
        .await?;
        let published = documents::publish(db, sys, *doc.id, doc.version).await?;
        ids.push(*published.id);
    }
    // The reward regulation gets a second revision, superseding the first.
    let draft = documents::revise(db, sys, ids[3]).await?;
    let draft = documents::update(
        db,
        sys,
        *draft.id,
        draft.version,
        DocumentPatch {
            title: Some("科技成果评价及奖励办法（2026年修订）".into()),
            body: Some(format!("{}\n第四条 扩大奖励范围，提高奖励额度，奖励向一线科技人员倾斜。", DOCUMENTS[3].5)),
            ..Default::default()
        },
    )
    .await?;
    let revised = documents::publish(db, sys, *draft.id, draft.version).await?;
    ids[3] = *revised.id;
    Ok(ids)
}

/// A year of meetings for one branch: monthly branch committee meetings (first topic),
/// quarterly general meetings and party lectures (one quarter's lecture missing, so the
/// compliance report has something to show), attendance for each, and measures (some overdue).
async fn seed_sessions(
    db: &DatabaseConnection,
    sys: &Actor,
    branch: Uuid,
    documents: &[Uuid],
) -> anyhow::Result<usize> {
    use chrono::{Datelike, TimeZone};
    let people: Vec<Uuid> = entity::person::Entity::find()
        .filter(entity::person::Column::OrganizationId.eq(branch))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let (Some(&host), Some(&recorder)) = (people.first(), people.get(1)) else { return Ok(0) };
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let year = today.year();
    let at = |day: NaiveDate| {
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&day.and_hms_opt(14, 30, 0).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default()
    };
    let mut plan: Vec<(study::SessionKind, chrono::DateTime<chrono::Utc>, &str)> = Vec::new();
    for month in 1..=12u32 {
        let day = NaiveDate::from_ymd_opt(year, month, 12).unwrap_or(today);
        plan.push((study::SessionKind::BranchCommittee, at(day), "学习重要讲话精神，研究贯彻落实措施"));
        if month % 3 == 1 {
            plan.push((study::SessionKind::BranchGeneralMeeting, at(day), "支部党员大会：通报季度科技创新工作"));
        }
        if month % 3 == 2 && month != 5 {
            plan.push((study::SessionKind::PartyLecture, at(day), "专题党课：以党建引领科技创新"));
        }
    }
    // Whatever the date, a general meeting a week ahead: the branch and its party groups
    // check in with the rotating code (QR) on site (a 300 m geofence).
    let ahead = at(today + chrono::Duration::days(7));
    plan.push((study::SessionKind::BranchGeneralMeeting, ahead, "支部党员大会：学习贯彻全会精神，部署年度科技攻关"));
    let mut count = 0;
    let mut last_committee: Option<Uuid> = None;
    for (i, (kind, held_at, topic)) in plan.into_iter().enumerate() {
        let fence = held_at == ahead;
        let month = held_at.with_timezone(&chrono_tz::Asia::Shanghai).month();
        let session = study::create(
            db,
            sys,
            study::NewSession {
                organization_id: Id(branch),
                kind,
                is_first_topic: !(kind == study::SessionKind::BranchCommittee && month == 7),
                topic: topic.into(),
                held_at,
                place: Some("工艺研究所三楼会议室".into()),
                host_id: Some(Id(host)),
                recorder_id: Some(Id(recorder)),
                minutes: None,
                checkin_opens_at: None,
                checkin_closes_at: None,
                material_document_ids: documents.get(i % documents.len()).copied().map(Id).into_iter().collect(),
                checkin_mode: Some(study::CheckinMode::Code),
                latitude: fence.then_some(31.2304),
                longitude: fence.then_some(121.4737),
                radius_m: fence.then_some(300),
            },
        )
        .await?;
        count += 1;
        if held_at.date_naive() >= today {
            continue;
        }
        // Everyone on the roster the session kind's rule made (the committee for a 支委会,
        // the branch with its party groups for a general meeting or lecture).
        let roster: Vec<Uuid> = entity::attendance::Entity::find()
            .filter(entity::attendance::Column::SessionId.eq(*session.id))
            .order_by_asc(entity::attendance::Column::PersonId)
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.person_id)
            .collect();
        for (j, person) in roster.iter().enumerate() {
            let status = match (i + j) % 10 {
                0 => study::AttendanceStatus::Leave,
                1 => study::AttendanceStatus::Late,
                2 => study::AttendanceStatus::Absent,
                _ => study::AttendanceStatus::Present,
            };
            let reason = (status == study::AttendanceStatus::Leave).then(|| "出差".to_owned());
            study::mark_attendance(db, sys, *session.id, *person, 1, study::MarkAttendance { status, reason }).await?;
        }
        let current = study::get(db, sys, *session.id).await?;
        study::update(
            db,
            sys,
            *session.id,
            current.version,
            study::SessionPatch {
                status: Some(study::SessionStatus::Held),
                minutes: Some(format!("会议由支部书记主持，集体学习了相关材料。{topic}。")),
                ..Default::default()
            },
        )
        .await?;
        if kind == study::SessionKind::BranchCommittee {
            last_committee = Some(*session.id);
        }
    }
    if let Some(source) = last_committee {
        for (k, (title, due_days)) in
            [("修订支部科技创新工作计划", -20i64), ("组织低碳技术专题培训", -3), ("报送“五小”创新成果", 30)]
                .into_iter()
                .enumerate()
        {
            measures::create(
                db,
                sys,
                today,
                measures::NewMeasure {
                    source_kind: measures::SourceKind::Session,
                    source_id: Id(source),
                    organization_id: Id(branch),
                    title: title.into(),
                    description: None,
                    owner_id: Id(people[k % people.len()]),
                    due_on: today + chrono::Duration::days(due_days),
                },
            )
            .await?;
        }
    }
    Ok(count)
}

/// Title of the demo inspection (its presence marks the supervision demo as loaded).
pub const DEMO_INSPECTION: &str = "2026年第二轮巡察：技术研发中心党总支科技创新责任落实情况";

/// The actor of a demo login, with its grants (as a request by that login would have).
async fn demo_actor(db: &DatabaseConnection, username: &str) -> anyhow::Result<Actor> {
    use crate::auth::{Grant, Principal};
    let user = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::Username.eq(username))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo login {username} is missing"))?;
    let mut grants = Vec::new();
    for (g, org) in entity::role_assignment::Entity::find()
        .filter(entity::role_assignment::Column::UserId.eq(user.id))
        .find_also_related(entity::organization::Entity)
        .all(db)
        .await?
    {
        let Ok(role) = Role::parse(&g.role, "role") else { continue };
        grants.push(Grant { role, org_id: g.organization_id, org_path: org.map(|o| o.path) });
    }
    Ok(Actor {
        principal: Principal::User { user_id: user.id, username: user.username, person_id: user.person_id },
        grants,
        request_id: None,
        origin: Default::default(),
        home: crate::services::auth::home_of(db, user.person_id).await?,
    })
}

/// One demo item: (branch, title, category, severity, opened days ago, due in days
/// (negative: past), the state to take it to, verified how many days after its due date).
type DemoItem =
    (&'static str, &'static str, supervision::ItemCategory, supervision::Severity, i64, i64, &'static str, i64);

const DEMO_ITEMS: &[DemoItem] = &[
    (
        "工艺研究所党支部",
        "第一议题学习后未结合科研项目制定落实措施",
        supervision::ItemCategory::TheoryStudy,
        supervision::Severity::Medium,
        40,
        20,
        "open",
        0,
    ),
    (
        "智慧水务研究所党支部",
        "研发经费投入强度未达到年度目标",
        supervision::ItemCategory::InnovationResponsibility,
        supervision::Severity::High,
        60,
        -5,
        "open",
        0,
    ),
    (
        "水质检测中心党支部",
        "党员科技骨干联系攻关项目机制未建立",
        supervision::ItemCategory::OrganizationBuilding,
        supervision::Severity::Low,
        20,
        45,
        "open",
        0,
    ),
    (
        "工艺研究所党支部",
        "党小组建在项目上覆盖不全",
        supervision::ItemCategory::OrganizationBuilding,
        supervision::Severity::Medium,
        50,
        30,
        "rectifying",
        0,
    ),
    (
        "智慧水务研究所党支部",
        "“五小”创新成果申报审核流程不规范",
        supervision::ItemCategory::InnovationResponsibility,
        supervision::Severity::High,
        70,
        -10,
        "rectifying",
        0,
    ),
    (
        "水质检测中心党支部",
        "支委会研究科技创新议题次数偏少",
        supervision::ItemCategory::PoliticalBuilding,
        supervision::Severity::Medium,
        45,
        -1,
        "rectifying",
        0,
    ),
    (
        "工艺研究所党支部",
        "科技成果奖励兑现不及时",
        supervision::ItemCategory::InnovationResponsibility,
        supervision::Severity::Medium,
        55,
        15,
        "rejected",
        0,
    ),
    (
        "技术研发中心党总支",
        "专利申请与成果转化台账不完整",
        supervision::ItemCategory::InnovationResponsibility,
        supervision::Severity::Low,
        50,
        10,
        "submitted",
        0,
    ),
    (
        "智慧水务研究所党支部",
        "党员突击队作用发挥情况缺少记录",
        supervision::ItemCategory::WorkStyle,
        supervision::Severity::Medium,
        65,
        -2,
        "submitted",
        0,
    ),
    (
        "工艺研究所党支部",
        "主题党日活动与技术攻关结合不紧",
        supervision::ItemCategory::TheoryStudy,
        supervision::Severity::Low,
        80,
        -20,
        "verified",
        -3,
    ),
    (
        "水质检测中心党支部",
        "实验室安全责任制落实不到位",
        supervision::ItemCategory::WorkStyle,
        supervision::Severity::High,
        90,
        -30,
        "verified",
        7,
    ),
    (
        "技术研发中心党总支",
        "科研经费使用监督机制不健全",
        supervision::ItemCategory::Integrity,
        supervision::Severity::High,
        75,
        -15,
        "verified",
        0,
    ),
];

/// The supervision demo: an inspection of the R&D general branch (focus: carrying out
/// technology-innovation responsibility) with a dozen items in every state, some
/// overdue, each with its trail (plans, evidence, a rejection, verifications) written by
/// the demo inspector and the demo org admin, and a rectification measure. Idempotent.
async fn seed_supervision(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let exists = entity::inspection::Entity::find()
        .filter(entity::inspection::Column::Title.eq(DEMO_INSPECTION))
        .count(db)
        .await?
        > 0;
    if exists {
        return Ok(0);
    }
    let org_id = |name: &'static str| async move {
        entity::organization::Entity::find()
            .filter(entity::organization::Column::Name.eq(name))
            .one(db)
            .await?
            .map(|o| o.id)
            .ok_or_else(|| anyhow::anyhow!("demo organisation {name} is missing"))
    };
    let inspector = demo_actor(db, "demo_inspector").await?;
    let secretary = demo_actor(db, "demo_orgadmin").await?;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let day = |n: i64| today + chrono::Duration::days(n);
    let rd = org_id("技术研发中心党总支").await?;
    let inspection = supervision::create_inspection(
        db,
        &inspector,
        supervision::NewInspection {
            organization_id: Id(rd),
            title: DEMO_INSPECTION.into(),
            focus: "科技创新责任落实情况：研发投入、党小组建在项目上、“五小”创新、成果转化".into(),
            lead_inspector_id: (inspector.person_id()).map(Id),
            starts_on: day(-95),
            ends_on: Some(day(-80)),
        },
    )
    .await?;
    supervision::update_inspection(
        db,
        &inspector,
        *inspection.id,
        inspection.version,
        supervision::InspectionPatch { status: Some(supervision::InspectionStatus::Finished), ..Default::default() },
    )
    .await?;
    let mut count = 0;
    for &(branch, title, category, severity, opened_ago, due_in, state, late_by) in DEMO_ITEMS {
        let org = org_id(branch).await?;
        let responsible = entity::person::Entity::find()
            .filter(entity::person::Column::OrganizationId.eq(org))
            .one(db)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| anyhow::anyhow!("nobody in {branch}"))?;
        let opened = day(-opened_ago);
        let mut it = supervision::open_item(
            db,
            &inspector,
            opened,
            supervision::NewItem {
                inspection_id: Some(inspection.id),
                organization_id: Id(org),
                title: title.into(),
                description: Some(format!("巡察组在{branch}发现：{title}。")),
                category,
                severity,
                responsible_person_id: Id(responsible),
                due_on: day(due_in),
            },
        )
        .await?;
        count += 1;
        if state == "open" {
            continue;
        }
        let plan = format!("针对“{title}”，支部召开专题会议，明确责任人和完成时限，逐项整改。");
        it = supervision::set_plan(db, &secretary, opened, *it.id, it.version, plan).await?;
        if count == 4 {
            measures::create(
                db,
                &secretary,
                opened,
                measures::NewMeasure {
                    source_kind: measures::SourceKind::SupervisionItem,
                    source_id: it.id,
                    organization_id: Id(org),
                    title: "在每个在研项目上建立党小组或党员责任区".into(),
                    description: None,
                    owner_id: Id(responsible),
                    due_on: day(due_in),
                },
            )
            .await?;
        }
        let evidence = supervision::NewItemUpdate {
            kind: supervision::UpdateKind::Evidence,
            text: "上传专题会议纪要和整改台账".into(),
        };
        supervision::add_update(db, &secretary, opened, *it.id, evidence).await?;
        if state == "rectifying" {
            continue;
        }
        let submitted_on = if state == "verified" { day(due_in + late_by - 2) } else { opened };
        it = supervision::transition(
            db,
            &secretary,
            submitted_on,
            *it.id,
            it.version,
            supervision::ItemAction::Submit,
            None,
        )
        .await?;
        if state == "rejected" {
            supervision::transition(
                db,
                &inspector,
                submitted_on,
                *it.id,
                it.version,
                supervision::ItemAction::Reject,
                Some("整改台账缺少奖励兑现凭证，请补充后重新提交".into()),
            )
            .await?;
            continue;
        }
        if state == "verified" {
            supervision::transition(
                db,
                &inspector,
                day(due_in + late_by),
                *it.id,
                it.version,
                supervision::ItemAction::Verify,
                Some("经现场核查，整改到位，同意销号".into()),
            )
            .await?;
        }
    }
    Ok(count)
}
