//! Demo data (`dangjian seed-demo`): a water-and-environment group with its party
//! organisation tree, about 200 people with Chinese names and party statuses, one
//! login per role and an HR service client. Idempotent: a second run changes nothing.
//! Everything goes through the services, so the audit trail records it.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::{Actor, Role};
use crate::services::{
    organizations::{self, NewOrganization},
    people::{self, NewPerson},
    service_clients::{self, NewServiceClient},
    types::{OrgKind, PartyStatus},
    users::{self, NewRoleAssignment, NewUser},
};

/// Name of the demo root committee (its presence marks the demo as loaded).
pub const ROOT_NAME: &str = "江川水务环境集团党委";
/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "Demo-Passw0rd!";
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
pub async fn seed_demo(db: &DatabaseConnection) -> anyhow::Result<String> {
    let exists = entity::organization::Entity::find()
        .filter(entity::organization::Column::Name.eq(ROOT_NAME))
        .filter(entity::organization::Column::ParentId.is_null())
        .count(db)
        .await?
        > 0;
    if exists {
        return Ok(format!("demo data already loaded ({ROOT_NAME} exists); nothing changed\n{}", logins()));
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
                parent_id: parent,
                name: node.0.into(),
                short_name: Some(node.1.into()),
                kind: node.2,
                sort_order: Some(by_name.len() as i32),
                established_on: NaiveDate::from_ymd_opt(2003 + by_name.len() as i32 % 15, 7, 1),
            },
        )
        .await?;
        by_name.push((node.0, org.id));
        for child in node.3.iter().rev() {
            stack.push((Some(org.id), child));
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
                organization_id: org_id,
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
            first_in.push((org_id, p.id));
        }
    }
    let person_in = |org_id: Uuid| first_in.iter().find(|(o, _)| *o == org_id).map(|(_, p)| *p);
    let rd = org("技术研发中心党总支");
    let lab = org("工艺研究所党支部");
    let accounts: [(&str, Option<Uuid>, Role, Option<Uuid>); 4] = [
        ("demo_admin", None, Role::Admin, None),
        ("demo_orgadmin", person_in(rd), Role::OrgAdmin, Some(rd)),
        ("demo_inspector", person_in(org("综合办公室党支部")), Role::Inspector, None),
        ("demo_member", person_in(lab), Role::Member, Some(lab)),
    ];
    for (username, person_id, role, scope) in accounts {
        let user =
            users::create(db, &sys, NewUser { username: username.into(), password: DEMO_PASSWORD.into(), person_id })
                .await?;
        users::assign_role(db, &sys, NewRoleAssignment { user_id: user.id, role, organization_id: scope }).await?;
    }
    let client = service_clients::create_with_secret(
        db,
        &sys,
        NewServiceClient {
            name: "HR 系统同步".into(),
            scopes: vec!["organizations:read".into(), "people:read".into()],
            organization_id: Some(org(ROOT_NAME)),
        },
        DEMO_CLIENT_SECRET.into(),
    )
    .await?;
    Ok(format!(
        "loaded {} organisations and 200 people\n{}\nHR client: client_id={} client_secret={}",
        by_name.len(),
        logins(),
        client.client.client_id,
        DEMO_CLIENT_SECRET
    ))
}

fn logins() -> String {
    format!(
        "demo logins (password {DEMO_PASSWORD}): demo_admin (admin), demo_orgadmin (org_admin of 技术研发中心党总支), \
         demo_inspector (inspector, global), demo_member (member of 工艺研究所党支部)"
    )
}
