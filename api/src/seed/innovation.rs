//! Demo data of the Technology Innovation Year: this year's campaign with indicators,
//! a dozen activities, about forty "five small" achievements along the whole workflow,
//! twelve research projects each with its party group, milestones and monthly R&D
//! spending (this year and last), vanguard units and honours of every kind. Called once
//! by [`super::seed_demo`], through the services (so the audit trail records it).

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::auth::Actor;
use crate::services::innovation::{
    PersonLink,
    achievements::{self, AchievementCategory, AchievementReview, AchievementStatus, NewAchievement},
    campaigns::{
        self, ActivityKind, CampaignPatch, CampaignStatus, IndicatorMetric, NewActivity, NewCampaign, NewIndicator,
        Participant,
    },
    honours::{
        self, AwardLevel, HonourKind, NewHonour, PatentRegion, PatentStatus, PatentType, StandardLevel, StandardRole,
    },
    projects::{self, NewExpenditure, NewMilestone, NewProject, ProjectLevel, ProjectPatch, ProjectStatus},
    vanguard::{self, NewVanguardUnit, VanguardKind},
};
use crate::services::organizations::{self, NewOrganization};
use crate::services::types::{Id, OrgKind};

/// (title, level, status, branch name)
const PROJECTS: [(&str, ProjectLevel, ProjectStatus, &str); 12] = [
    ("城镇污水处理厂低碳运行关键技术研究", ProjectLevel::NationalKey, ProjectStatus::Active, "工艺研究所党支部"),
    ("再生水安全回用技术集成与示范", ProjectLevel::Provincial, ProjectStatus::Active, "工艺研究所党支部"),
    ("智慧管网漏损监测与控制平台", ProjectLevel::GroupMajor, ProjectStatus::Active, "智慧水务研究所党支部"),
    ("供水管网水质在线预警系统", ProjectLevel::GroupMajor, ProjectStatus::Completed, "智慧水务研究所党支部"),
    ("污泥低温干化与资源化利用", ProjectLevel::Provincial, ProjectStatus::Accepted, "水质检测中心党支部"),
    ("精准曝气节能控制系统研发", ProjectLevel::GroupMajor, ProjectStatus::Active, "城东污水处理厂党支部"),
    ("分布式光伏与污水源热泵耦合应用", ProjectLevel::Municipal, ProjectStatus::Active, "城西污水处理厂党支部"),
    ("老旧管网非开挖修复工艺优化", ProjectLevel::Company, ProjectStatus::Proposed, "供水管网党支部"),
    ("新污染物检测方法研究", ProjectLevel::Municipal, ProjectStatus::Completed, "水质检测中心党支部"),
    ("工业园区废水深度处理成套装备", ProjectLevel::GroupMajor, ProjectStatus::Active, "环保科技研发党支部"),
    ("农村污水一体化处理设备标准化", ProjectLevel::Company, ProjectStatus::Active, "环保工程党支部"),
    ("水厂数字孪生运行仿真", ProjectLevel::GroupMajor, ProjectStatus::Proposed, "智慧水务研究所党支部"),
];

/// The short form of each project's name (same order as [`PROJECTS`]) its party group is
/// named after: `{short}项目党小组`, short name `{short}小组`. The first and third
/// projects use the groups of the organisation tree (低碳水厂攻关党小组, 智慧管网项目党小组).
const PROJECT_SHORT_NAMES: [&str; 12] = [
    "低碳水厂攻关",
    "再生水回用示范",
    "智慧管网",
    "管网水质预警",
    "污泥干化资源化",
    "精准曝气节能",
    "光伏热泵耦合",
    "管网非开挖修复",
    "新污染物检测",
    "园区废水深度处理",
    "农村污水一体化",
    "水厂数字孪生",
];

const ACHIEVEMENT_TITLES: [&str; 10] = [
    "加药泵变频改造",
    "格栅除污机防缠绕装置",
    "二沉池刮泥机故障预警",
    "在线仪表自动清洗支架",
    "污泥脱水机滤布快速更换工装",
    "管网巡检移动端小程序",
    "鼓风机房降噪改造",
    "化验室试剂智能管理柜",
    "阀门井防坠落安全网",
    "泵站能耗看板",
];

fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d).unwrap_or_default()
}

fn link(p: Uuid, role: Option<&str>) -> PersonLink {
    PersonLink { person_id: Id(p), role: role.map(str::to_owned) }
}

/// The people of an organisation, in creation order.
async fn people_of(db: &DatabaseConnection, org: Uuid) -> anyhow::Result<Vec<Uuid>> {
    Ok(entity::person::Entity::find()
        .filter(entity::person::Column::OrganizationId.eq(org))
        .order_by_asc(entity::person::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// Loads the innovation demo data; `org` finds an organisation by name. Returns a summary.
pub async fn seed(
    db: &DatabaseConnection,
    sys: &Actor,
    org: &dyn Fn(&str) -> Uuid,
    today: NaiveDate,
) -> anyhow::Result<String> {
    let year = today.year();
    let root = org(super::ROOT_NAME);
    // Never date anything after today: months run up to today's.
    let month_max = today.month();
    let on = |i: usize| {
        let m = 1 + (i as u32 % month_max);
        day(year, m, 1 + (i as u32 * 3) % 27).min(today)
    };

    // The campaign, with computed and typed indicators.
    let campaign = campaigns::create(
        db,
        sys,
        NewCampaign {
            organization_id: Id(root),
            year,
            title: format!("{year}年“科技创新年”活动"),
            theme: Some("党建引领 创新驱动 绿色发展".into()),
            goals: Some(
                "围绕低碳水厂、智慧水务和资源化利用开展攻关；“五小”创新成果四十项以上；研发经费稳定增长。".into(),
            ),
            starts_on: day(year, 1, 1),
            ends_on: day(year, 12, 31),
            indicators: vec![
                NewIndicator {
                    name: "“五小”创新成果".into(),
                    unit: "项".into(),
                    target: 40,
                    metric: Some(IndicatorMetric::AchievementsRecognised),
                    actual: None,
                },
                NewIndicator {
                    name: "创新创效".into(),
                    unit: "分".into(),
                    target: 5_000_000_000,
                    metric: Some(IndicatorMetric::AchievementBenefitFen),
                    actual: None,
                },
                NewIndicator {
                    name: "研发经费".into(),
                    unit: "分".into(),
                    target: 3_000_000_000,
                    metric: Some(IndicatorMetric::RdSpendingFen),
                    actual: None,
                },
                NewIndicator {
                    name: "主题活动".into(),
                    unit: "场".into(),
                    target: 12,
                    metric: Some(IndicatorMetric::ActivitiesHeld),
                    actual: None,
                },
                NewIndicator {
                    name: "研发经费投入强度".into(),
                    unit: "‰".into(),
                    target: 30,
                    metric: None,
                    actual: Some(27),
                },
            ],
        },
    )
    .await?;
    campaigns::update(
        db,
        sys,
        *campaign.id,
        campaign.version,
        CampaignPatch { status: Some(CampaignStatus::Running), ..Default::default() },
    )
    .await?;

    let branches = [
        "工艺研究所党支部",
        "智慧水务研究所党支部",
        "水质检测中心党支部",
        "城东污水处理厂党支部",
        "城西污水处理厂党支部",
        "供水管网党支部",
        "环保科技研发党支部",
        "环保工程党支部",
    ];
    let mut staff: Vec<(Uuid, Vec<Uuid>)> = Vec::new();
    for name in branches {
        let id = org(name);
        staff.push((id, people_of(db, id).await?));
    }
    let pick = |b: usize, i: usize| {
        let (org_id, people) = &staff[b % staff.len()];
        (*org_id, people.get(i % people.len().max(1)).copied())
    };

    // Activities of every kind, with participants and results.
    let activities: [(ActivityKind, &str, usize); 12] = [
        (ActivityKind::ExchangeMeeting, "科技创新年启动暨经验交流会", 0),
        (ActivityKind::Lecture, "低碳水厂技术专题讲座", 0),
        (ActivityKind::Training, "科技成果评价及奖励办法宣贯培训", 1),
        (ActivityKind::PromotionMeeting, "“五小”创新成果推广会", 3),
        (ActivityKind::SkillsCompetition, "污水处理工职业技能竞赛", 3),
        (ActivityKind::SkillsCompetition, "水质检验技能比武", 2),
        (ActivityKind::ModelWorkerSelection, "劳模和工匠人才选树", 4),
        (ActivityKind::Lecture, "智慧水务数字化转型讲座", 1),
        (ActivityKind::ExchangeMeeting, "党小组建在项目上经验交流", 6),
        (ActivityKind::Training, "专利挖掘与申报培训", 6),
        (ActivityKind::PromotionMeeting, "节能降耗成果推广现场会", 4),
        (ActivityKind::ModelWorkerSelection, "“党员示范岗”评选", 5),
    ];
    for (i, (kind, title, b)) in activities.into_iter().enumerate() {
        let (org_id, _) = pick(b, 0);
        let results: &[Option<&str>] = match kind {
            ActivityKind::SkillsCompetition => &[Some("一等奖"), Some("二等奖"), Some("三等奖"), None],
            ActivityKind::ModelWorkerSelection => &[Some("劳动模范"), Some("工匠人才"), None],
            _ => &[None, None, None],
        };
        // One entry per person (a small branch may hand out two results to one person).
        let participants: Vec<Participant> = results
            .iter()
            .enumerate()
            .filter_map(|(k, r)| pick(b, i + k).1.map(|p| (p, r.map(str::to_owned))))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .map(|(person_id, result)| Participant { person_id: Id(person_id), result })
            .collect();
        campaigns::create_activity(
            db,
            sys,
            NewActivity {
                organization_id: Id(org_id),
                campaign_id: Some(campaign.id),
                kind,
                title: title.into(),
                held_on: on(i * 2),
                place: Some("集团科技楼报告厅".into()),
                summary: Some("围绕科技创新年主题组织开展，党员骨干带头交流、比学赶超。".into()),
                participants,
            },
        )
        .await?;
    }

    // About forty "five small" achievements along the whole workflow.
    let categories = AchievementCategory::ALL;
    let mut achievements_made = 0;
    for i in 0..40usize {
        let (org_id, Some(lead)) = pick(i, i) else { continue };
        let mate = pick(i, i + 1).1.filter(|m| *m != lead);
        let submitted_on = on(i);
        let a = achievements::submit(
            db,
            sys,
            submitted_on,
            NewAchievement {
                organization_id: Id(org_id),
                campaign_id: Some(campaign.id),
                category: categories[i % categories.len()],
                title: format!("{}（{}）", ACHIEVEMENT_TITLES[i % ACHIEVEMENT_TITLES.len()], i + 1),
                description: Some("针对现场运行中的实际问题提出改进方案，经试运行验证效果明显。".into()),
                lead_id: Some(Id(lead)),
                members: mate.map(|m| vec![link(m, Some("成员"))]).unwrap_or_default(),
                // Between about 20 万 and 200 万 元, in fen.
                benefit_fen: (200_000 + (i as i64 * 37_301) % 1_800_000) * 100 + (i as i64 % 100),
            },
        )
        .await?;
        use AchievementStatus::*;
        // Statuses vary within each branch (the branch is `i % 8`).
        let path: &[AchievementStatus] = match (i * 5 + i / 8) % 8 {
            0 => &[],
            1 => &[UnderReview],
            4 => &[UnderReview, Rejected],
            5 | 6 => &[UnderReview, Accepted, Awarded],
            7 => &[UnderReview, Accepted, Awarded, Promoted],
            _ => &[UnderReview, Accepted],
        };
        let mut current = a;
        for step in path {
            let decided = (submitted_on + Duration::days(10)).min(today);
            current = achievements::review(
                db,
                sys,
                decided,
                *current.id,
                current.version,
                AchievementReview {
                    status: *step,
                    reason: (*step == Rejected).then(|| "与已认定成果重复".to_owned()),
                    reward_fen: (*step == Awarded).then_some(200_000 + (i as i64 % 5) * 100_000),
                },
            )
            .await?;
        }
        achievements_made += 1;
    }

    // Twelve projects, each with its party group, milestones and monthly spending.
    let mut project_ids = Vec::new();
    for (i, (title, level, status, branch)) in PROJECTS.into_iter().enumerate() {
        let branch_id = org(branch);
        let people = people_of(db, branch_id).await?;
        // The two groups of the tree are built on the first projects of their branches;
        // every other project gets a group of its own.
        let existing = match i {
            0 => Some(org("低碳水厂攻关党小组")),
            2 => Some(org("智慧管网项目党小组")),
            _ => None,
        };
        let group = match existing {
            Some(g) => g,
            None => {
                organizations::create(
                    db,
                    sys,
                    NewOrganization {
                        parent_id: Some(Id(branch_id)),
                        name: format!("{}项目党小组", PROJECT_SHORT_NAMES[i]),
                        short_name: Some(format!("{}小组", PROJECT_SHORT_NAMES[i])),
                        kind: OrgKind::Group,
                        sort_order: Some(100 + i as i32),
                        established_on: Some(day(year - 1, 3, 1)),
                    },
                )
                .await?
                .id
                .0
            }
        };
        let proposed = day(year - 1, 1 + (i as u32 % 12), 10);
        let mut p = projects::create(
            db,
            sys,
            today,
            NewProject {
                organization_id: Id(branch_id),
                party_group_id: Some(Id(group)),
                code: format!("JC-KY-{}-{:02}", year - 1, i + 1),
                title: title.into(),
                level,
                leader_id: (people.first().copied()).map(Id),
                members: people.iter().skip(1).take(3).map(|p| link(*p, Some("骨干"))).collect(),
                budget_fen: (3_000_000 + i as i64 * 1_250_000) * 100,
                proposed_on: proposed,
            },
        )
        .await?;
        let steps: &[(ProjectStatus, NaiveDate)] = &[
            (ProjectStatus::Active, proposed + Duration::days(60)),
            (ProjectStatus::Completed, day(year, 1 + (i as u32 % month_max), 5).min(today)),
            (ProjectStatus::Accepted, today),
        ];
        let mut last = proposed;
        for (next, when) in steps.iter().copied() {
            if p.status == status || !p.status.may_become(next) {
                break;
            }
            let when = when.max(last + Duration::days(1)).min(today).max(last);
            let patch = ProjectPatch { status: Some(next), status_on: Some(when), ..Default::default() };
            p = projects::update(db, sys, today, *p.id, p.version, patch).await?;
            last = when;
        }
        for (k, (name, months)) in [("方案论证", 2u32), ("中试验证", 6), ("成果验收", 11)].into_iter().enumerate()
        {
            let planned = day(year, months, 20);
            let reached = (k == 0 || (k == 1 && i % 3 != 0))
                .then(|| planned + Duration::days(i as i64 % 5 - 2))
                .filter(|d| *d <= today);
            projects::add_milestone(
                db,
                sys,
                today,
                *p.id,
                NewMilestone { title: name.into(), planned_on: planned, actual_on: reached },
            )
            .await?;
        }
        if p.status != ProjectStatus::Proposed {
            for m in 1..=month_max {
                for (y, factor) in [(year, 110), (year - 1, 100)] {
                    let amount = (80_000 + i as i64 * 9_000 + m as i64 * 1_000) * 100 * factor / 100;
                    projects::add_expenditure(
                        db,
                        sys,
                        NewExpenditure {
                            organization_id: None,
                            project_id: Some(p.id),
                            period_start: day(y, m, 1),
                            amount_fen: amount,
                            note: None,
                        },
                    )
                    .await?;
                }
            }
        }
        project_ids.push((p.id, branch_id, people));
    }

    // Vanguard units: commando teams on projects, demonstration posts in plants.
    for (k, (project, branch_id, people)) in project_ids.iter().take(3).enumerate() {
        vanguard::create(
            db,
            sys,
            NewVanguardUnit {
                kind: VanguardKind::CommandoTeam,
                organization_id: Id(*branch_id),
                project_id: Some(*project),
                name: ["低碳攻关党员突击队", "智慧管网党员突击队", "再生水回用党员突击队"][k].into(),
                established_on: day(year, 2, 1).min(today),
                ends_on: None,
                members: people.iter().take(4).enumerate().map(|(j, p)| link(*p, (j == 0).then_some("队长"))).collect(),
            },
        )
        .await?;
    }
    for (k, b) in [3usize, 4, 5].into_iter().enumerate() {
        let (org_id, person) = pick(b, 2);
        vanguard::create(
            db,
            sys,
            NewVanguardUnit {
                kind: VanguardKind::DemonstrationPost,
                organization_id: Id(org_id),
                project_id: None,
                name: ["中控室党员示范岗", "化验室党员示范岗", "管网抢修党员示范岗"][k].into(),
                established_on: day(year - 1, 7, 1),
                ends_on: None,
                members: person.map(|p| vec![link(p, Some("岗长"))]).unwrap_or_default(),
            },
        )
        .await?;
    }

    // Honours of every kind.
    let mut honours_made = 0;
    let base = |kind: HonourKind, i: usize, title: &str| {
        let (project, branch_id, people) = &project_ids[i % project_ids.len()];
        NewHonour {
            kind,
            organization_id: Id(*branch_id),
            project_id: Some(*project),
            title: title.into(),
            number: None,
            dated_on: on(i * 5),
            patent_type: None,
            region: None,
            patent_status: None,
            award_level: None,
            award_rank: None,
            standard_level: None,
            standard_role: None,
            people: people
                .iter()
                .take(2)
                .enumerate()
                .map(|(j, p)| link(*p, (j == 0).then_some("第一完成人")))
                .collect(),
        }
    };
    let mut all = Vec::new();
    for (i, (t, region, status, title)) in [
        (PatentType::Invention, PatentRegion::Domestic, PatentStatus::Granted, "一种低碳污水处理系统及方法"),
        (PatentType::Invention, PatentRegion::Domestic, PatentStatus::Granted, "一种管网漏损定位方法"),
        (PatentType::Invention, PatentRegion::International, PatentStatus::Granted, "污泥低温干化装置（PCT）"),
        (PatentType::Invention, PatentRegion::Domestic, PatentStatus::Filed, "一种新污染物快速检测方法"),
        (PatentType::UtilityModel, PatentRegion::Domestic, PatentStatus::Granted, "一种格栅防缠绕装置"),
        (PatentType::UtilityModel, PatentRegion::Domestic, PatentStatus::Granted, "一种在线仪表清洗支架"),
        (PatentType::UtilityModel, PatentRegion::Domestic, PatentStatus::Granted, "一种一体化污水处理设备"),
        (PatentType::Design, PatentRegion::Domestic, PatentStatus::Granted, "智能加药柜（外观设计）"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut h = base(HonourKind::Patent, i, title);
        h.number = Some(format!("ZL{year}1{:07}.{}", 100_000 + i * 7_331, i % 10));
        h.patent_type = Some(t);
        h.region = Some(region);
        h.patent_status = Some(status);
        all.push(h);
    }
    for (i, title) in
        ["智慧水务运行管理平台V2.0", "管网水质预警软件V1.0", "污泥处置调度系统V1.0"].into_iter().enumerate()
    {
        let mut h = base(HonourKind::SoftwareCopyright, i + 8, title);
        h.number = Some(format!("{year}SR{:07}", 200_000 + i * 911));
        all.push(h);
    }
    for (i, (level, rank, title)) in [
        (AwardLevel::National, "二等奖", "国家科学技术进步奖"),
        (AwardLevel::Provincial, "一等奖", "省科学技术进步奖"),
        (AwardLevel::Provincial, "二等奖", "省科学技术进步奖"),
        (AwardLevel::Industry, "一等奖", "中国城镇供水排水协会科学技术奖"),
        (AwardLevel::Industry, "三等奖", "环境保护科学技术奖"),
        (AwardLevel::Group, "一等奖", "集团科技进步奖"),
        (AwardLevel::Company, "优秀奖", "公司科技创新奖"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut h = base(HonourKind::Award, i + 11, title);
        h.award_level = Some(level);
        h.award_rank = Some(rank.into());
        all.push(h);
    }
    for (i, (level, role, title)) in [
        (StandardLevel::National, StandardRole::Participated, "城镇污水处理厂运行监管标准"),
        (StandardLevel::Industry, StandardRole::Hosted, "智慧水务信息系统建设规范"),
        (StandardLevel::Industry, StandardRole::Participated, "再生水利用效果评价导则"),
        (StandardLevel::Group, StandardRole::Hosted, "一体化污水处理设备技术要求"),
        (StandardLevel::Enterprise, StandardRole::Hosted, "污泥低温干化运行规程"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut h = base(HonourKind::Standard, i + 18, title);
        h.number = Some(format!("T/JC {:03}-{year}", 10 + i));
        h.standard_level = Some(level);
        h.standard_role = Some(role);
        all.push(h);
    }
    for h in all {
        honours::create(db, sys, h).await?;
        honours_made += 1;
    }
    Ok(format!(
        "innovation: 1 campaign, {} activities, {achievements_made} achievements, {} projects with party groups, 6 vanguard units, {honours_made} honours",
        activities.len(),
        PROJECTS.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_party_groups_are_named_in_whole_words() {
        let mut seen = std::collections::HashSet::new();
        for short in PROJECT_SHORT_NAMES {
            assert!(seen.insert(short), "{short} twice");
            assert!((2..=10).contains(&short.chars().count()), "{short}");
            assert!(format!("{short}小组").chars().count() <= 30, "short names are at most 30 characters");
        }
        // The groups of the tree are the first and third projects'.
        assert_eq!(format!("{}党小组", PROJECT_SHORT_NAMES[0]), "低碳水厂攻关党小组");
        assert_eq!(format!("{}项目党小组", PROJECT_SHORT_NAMES[2]), "智慧管网项目党小组");
        assert_eq!(format!("{}项目党小组", PROJECT_SHORT_NAMES[1]), "再生水回用示范项目党小组");
    }
}
