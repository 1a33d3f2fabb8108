//! The Technology Innovation Year: the "five small" workflow end to end (submit with a
//! teammate, review, accept, award, counted in the statistics), every allowed and
//! refused transition, self-review, money to the fen, milestone status at its boundary
//! days, and the statistics against a hand-counted fixture with subtree scope.

use actix_web::{http::StatusCode, test};
use chrono::{Duration, NaiveDate};
use dangjian::auth::Actor;
use dangjian::services::innovation::{
    PersonLink,
    achievements::{self, AchievementCategory, AchievementReview, AchievementStatus, NewAchievement},
    campaigns::{self, ActivityKind, NewActivity, Participant},
    honours::{
        self, AwardLevel, HonourKind, NewHonour, PatentRegion, PatentStatus, PatentType, StandardLevel, StandardRole,
    },
    projects::{self, NewExpenditure, NewProject, ProjectLevel, ProjectPatch, ProjectStatus},
};
use dangjian::services::types::Id;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, Resp, TestApp, gql_code};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// POST with `If-Match`.
pub async fn post_if_match(app: &TestApp, path: &str, token: &str, etag: &str, body: Value) -> Resp {
    let req = test::TestRequest::post()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("If-Match", etag.to_owned()))
        .set_json(body);
    app.send(req).await
}

/// Submits an achievement as the system (lead and team given) on `day`.
pub async fn achievement(
    f: &Fixture,
    org: Uuid,
    lead: Uuid,
    members: &[Uuid],
    benefit_fen: i64,
    day: NaiveDate,
) -> achievements::AchievementView {
    let input = NewAchievement {
        organization_id: Id(org),
        campaign_id: None,
        category: AchievementCategory::SmallInnovation,
        title: "泵站节能改造".into(),
        description: None,
        lead_id: Some(Id(lead)),
        members: members.iter().map(|p| PersonLink { person_id: Id(*p), role: None }).collect(),
        benefit_fen,
    };
    achievements::submit(f.app.db(), &Actor::system(), day, input).await.expect("submit")
}

/// Drives an achievement along the workflow to `target` as the system.
pub async fn drive(
    f: &Fixture,
    mut a: achievements::AchievementView,
    target: AchievementStatus,
    day: NaiveDate,
) -> achievements::AchievementView {
    use AchievementStatus::*;
    let path: &[AchievementStatus] = match target {
        Submitted => &[],
        UnderReview => &[UnderReview],
        Accepted => &[UnderReview, Accepted],
        Rejected => &[UnderReview, Rejected],
        Awarded => &[UnderReview, Accepted, Awarded],
        Promoted => &[UnderReview, Accepted, Awarded, Promoted],
    };
    for step in path {
        let review = AchievementReview {
            status: *step,
            reason: (*step == Rejected).then(|| "效益测算依据不足".to_owned()),
            reward_fen: (*step == Awarded).then_some(10_000),
        };
        a = achievements::review(f.app.db(), &Actor::system(), day, *a.id, a.version, review).await.expect("review");
    }
    a
}

fn review_body(status: AchievementStatus) -> Value {
    match status {
        AchievementStatus::Rejected => json!({"status": "rejected", "reason": "不符合申报条件"}),
        AchievementStatus::Awarded => json!({"status": "awarded", "reward_fen": 50_000}),
        s => json!({"status": s.as_str()}),
    }
}

#[actix_web::test]
async fn a_member_submits_with_a_teammate_an_org_admin_accepts_and_awards_and_the_statistics_count_it() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let officer = f.token("orgadmin_b1").await;
    let benefit: i64 = 1_234_567_890_123; // 123 亿元 and 1.23 元: more than an i32 and exact to the fen
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&member),
            json!({
                "organization_id": f.b1, "category": "small_invention", "title": "曝气系统智能调控装置",
                "members": [{"person_id": f.p_other_b1, "role": "设计"}], "benefit_fen": benefit
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json();
    assert_eq!(a["lead_id"], json!(f.p_member_b1));
    assert_eq!(a["submitted_by_id"], json!(f.p_member_b1));
    assert_eq!(a["status"], "submitted");
    assert_eq!(a["members"][0]["person_id"], json!(f.p_other_b1));
    assert_eq!(a["benefit_fen"].as_i64(), Some(benefit));
    let id = a["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/achievements/{id}/review");

    // The member may not review; the org admin takes every step.
    let etag = r.header("etag").unwrap();
    let denied = post_if_match(&f.app, &path, &member, &etag, json!({"status": "under_review"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text());
    let mut etag = etag;
    for body in [
        json!({"status": "under_review"}),
        json!({"status": "accepted"}),
        json!({"status": "awarded", "reward_fen": 500_050}),
    ] {
        let r = post_if_match(&f.app, &path, &officer, &etag, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        etag = r.header("etag").unwrap();
    }
    let a = f.app.get(&format!("/api/v1/achievements/{id}"), Some(&member)).await.json();
    assert_eq!(a["status"], "awarded");
    assert_eq!(a["reward_fen"].as_i64(), Some(500_050));
    assert_eq!(a["reviewer_id"], json!(f.p_orgadmin_b1));

    // Counted in the statistics of its year, for its branch and for the committee.
    let year = f.app.state.settings.today().format("%Y").to_string();
    for org in [f.b1, f.gb, f.root] {
        let s = f
            .app
            .get(&format!("/api/v1/innovation-statistics?organization_id={org}&year={year}"), Some(&officer))
            .await;
        if org == f.b1 {
            assert_eq!(s.status, StatusCode::OK, "{}", s.text());
            let s = s.json();
            assert_eq!(s["achievements"]["recognised"], 1);
            assert_eq!(s["achievements"]["benefit_fen"].as_i64(), Some(benefit));
            assert_eq!(s["achievements"]["reward_fen"].as_i64(), Some(500_050));
        } else {
            assert_eq!(s.status, StatusCode::NOT_FOUND, "the b1 officer may not see above b1");
        }
    }
    let admin = f.token("admin").await;
    let q = "query($org: ID!, $year: Int!) { innovationStatistics(organizationId: $org, year: $year) { achievements { recognised benefitFen byCategory { key count } } } }";
    let v = f.app.gql(Some(&admin), q, json!({"org": f.root.to_string(), "year": year.parse::<i32>().unwrap()})).await;
    let a = &v["data"]["innovationStatistics"]["achievements"];
    assert_eq!(a["recognised"], 1, "{v}");
    assert_eq!(a["benefitFen"].as_i64(), Some(benefit));
    assert_eq!(a["byCategory"], json!([{"key": "SMALL_INVENTION", "count": 1}]));
}

#[actix_web::test]
async fn every_allowed_and_refused_transition() {
    use AchievementStatus::*;
    let f = Fixture::new().await;
    let officer = f.token("orgadmin_b1").await;
    let today = f.app.state.settings.today();
    let allowed = [
        (Submitted, UnderReview),
        (UnderReview, Accepted),
        (UnderReview, Rejected),
        (Accepted, Awarded),
        (Awarded, Promoted),
    ];
    for from in AchievementStatus::ALL {
        for to in AchievementStatus::ALL {
            let a = achievement(&f, f.b1, f.p_other_b1, &[], 100, today).await;
            let a = drive(&f, a, *from, today).await;
            let path = format!("/api/v1/achievements/{}/review", a.id);
            let r = post_if_match(&f.app, &path, &officer, &format!("\"v{}\"", a.version), review_body(*to)).await;
            if allowed.contains(&(*from, *to)) {
                assert_eq!(r.status, StatusCode::OK, "{from:?} -> {to:?}: {}", r.text());
                assert_eq!(r.json()["status"], to.as_str());
            } else {
                assert_eq!(r.status, StatusCode::CONFLICT, "{from:?} -> {to:?}: {}", r.text());
                assert_eq!(r.json()["code"], "CONFLICT");
            }
        }
    }
    // The same over GraphQL, one refused and one allowed step.
    let a = achievement(&f, f.b1, f.p_other_b1, &[], 100, today).await;
    let q = "mutation($id: ID!, $v: Int!, $s: AchievementStatus!) { reviewAchievement(id: $id, expectedVersion: $v, input: {status: $s}) { status version } }";
    let v = f.app.gql(Some(&officer), q, json!({"id": a.id.to_string(), "v": 1, "s": "ACCEPTED"})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"), "{v}");
    let v = f.app.gql(Some(&officer), q, json!({"id": a.id.to_string(), "v": 1, "s": "UNDER_REVIEW"})).await;
    assert_eq!(v["data"]["reviewAchievement"]["status"], "UNDER_REVIEW", "{v}");
    let v = f.app.gql(Some(&officer), q, json!({"id": a.id.to_string(), "v": 1, "s": "ACCEPTED"})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"), "a stale version is a conflict: {v}");

    // A rejection needs a reason; a reward goes only with an award; If-Match is required.
    let a = drive(&f, achievement(&f, f.b1, f.p_other_b1, &[], 100, today).await, UnderReview, today).await;
    let path = format!("/api/v1/achievements/{}/review", a.id);
    let r = post_if_match(&f.app, &path, &officer, "\"v2\"", json!({"status": "rejected"})).await;
    assert_eq!((r.status, r.json()["errors"][0]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("reason")));
    let r = post_if_match(&f.app, &path, &officer, "\"v2\"", json!({"status": "accepted", "reward_fen": 1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = f.app.post(&path, Some(&officer), json!({"status": "accepted"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    let r = post_if_match(&f.app, &path, &officer, "\"v2\"", json!({"status": "rejected", "reason": "与已有成果重复"}))
        .await;
    assert_eq!(r.json()["rejection_reason"], "与已有成果重复");
}

#[actix_web::test]
async fn nobody_reviews_their_own_achievement() {
    let f = Fixture::new().await;
    let officer = f.token("orgadmin_b1").await;
    let today = f.app.state.settings.today();
    // The officer submits for themself: the lead and submitter.
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&officer),
            json!({"organization_id": f.b1, "category": "small_design", "title": "加药间布局优化"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let own = r.json();
    assert_eq!(own["lead_id"], json!(f.p_orgadmin_b1));
    let path = format!("/api/v1/achievements/{}/review", own["id"].as_str().unwrap());
    let r = post_if_match(&f.app, &path, &officer, "\"v1\"", json!({"status": "under_review"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // On the team of someone else's achievement: refused too, over GraphQL as well.
    let team = achievement(&f, f.b1, f.p_other_b1, &[f.p_orgadmin_b1], 1, today).await;
    let q = "mutation($id: ID!) { reviewAchievement(id: $id, expectedVersion: 1, input: {status: UNDER_REVIEW}) { status } }";
    let v = f.app.gql(Some(&officer), q, json!({"id": team.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"), "{v}");

    // Another branch's officer cannot even see it; the admin reviews it.
    let other = f.token("orgadmin_b2").await;
    let v = f.app.gql(Some(&other), q, json!({"id": team.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"), "{v}");
    let admin = f.token("admin").await;
    let v = f.app.gql(Some(&admin), q, json!({"id": team.id.to_string()})).await;
    assert_eq!(v["data"]["reviewAchievement"]["status"], "UNDER_REVIEW", "{v}");

    // An account without a person (the admin) submits for someone else: the account may
    // not review it either; the branch officer may.
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&admin),
            json!({"organization_id": f.b1, "category": "small_suggestion", "title": "污泥脱水药剂替换", "lead_id": f.p_other_b1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let path = format!("/api/v1/achievements/{}/review", r.json()["id"].as_str().unwrap());
    let r = post_if_match(&f.app, &path, &admin, "\"v1\"", json!({"status": "under_review"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = post_if_match(&f.app, &path, &officer, "\"v1\"", json!({"status": "under_review"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[actix_web::test]
async fn members_submit_only_for_themselves_and_their_team() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let body = |org: Uuid, lead: Uuid, members: Vec<Uuid>| {
        json!({"organization_id": org, "category": "small_suggestion", "title": "巡检路线优化", "lead_id": lead,
               "members": members.iter().map(|p| json!({"person_id": p})).collect::<Vec<_>>()})
    };
    let r = f.app.post("/api/v1/achievements", Some(&member), body(f.b1, f.p_other_b1, vec![])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "not on the team: {}", r.text());
    let r = f.app.post("/api/v1/achievements", Some(&member), body(f.b1, f.p_other_b1, vec![f.p_member_b1])).await;
    assert_eq!(r.status, StatusCode::CREATED, "on the team: {}", r.text());
    let r = f.app.post("/api/v1/achievements", Some(&member), body(f.b3, f.p_member_b1, vec![])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another branch: {}", r.text());
    let r = f.app.post("/api/v1/achievements", Some(&member), body(f.b1, f.p_member_b1, vec![f.p_b3])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a teammate outside scope: {}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "members");
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&member),
            json!({"organization_id": f.b1, "category": "small_suggestion", "title": "x", "benefit_fen": -1}),
        )
        .await;
    assert_eq!(r.json()["errors"][0]["field"], "benefit_fen", "{}", r.text());
    let inspector = f.token("inspector_gb").await;
    let r = f.app.post("/api/v1/achievements", Some(&inspector), body(f.b1, f.p_other_b1, vec![])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The member finds it in their list (GraphQL connection with totalCount).
    let q = "{ achievements(year: 2026) { totalCount edges { node { title lead { name } members { role person { name } } organization { name } } } } }";
    let year = f.app.state.settings.today().format("%Y").to_string();
    let v = f.app.gql(Some(&member), &q.replace("2026", &year), json!({})).await;
    assert_eq!(v["data"]["achievements"]["totalCount"], 1, "{v}");
    let node = &v["data"]["achievements"]["edges"][0]["node"];
    assert_eq!(node["lead"]["name"], "张工");
    assert_eq!(node["members"][0]["person"]["name"], "李党员");
    assert_eq!(node["organization"]["name"], "研发一支部");
}

#[actix_web::test]
async fn money_never_loses_a_fen() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let day = d("2025-05-20");
    // 2^53 + 1 fen: a float would round it.
    let odd: i64 = 9_007_199_254_740_993;
    let a = drive(&f, achievement(&f, f.b1, f.p_other_b1, &[], odd, day).await, AchievementStatus::Accepted, day).await;
    let b = drive(&f, achievement(&f, f.b2, f.p_b2, &[], 1, day).await, AchievementStatus::Accepted, day).await;
    let r = f.app.get(&format!("/api/v1/achievements/{}", a.id), Some(&admin)).await;
    assert_eq!(r.json()["benefit_fen"].as_i64(), Some(odd));
    assert_eq!(b.benefit_fen, 1);
    let sys = Actor::system();
    for (org, month, amount) in [(f.b1, "2025-01-01", odd), (f.b2, "2025-02-01", 2), (f.b1, "2024-01-01", 3)] {
        let e = NewExpenditure {
            organization_id: Some(Id(org)),
            project_id: None,
            period_start: d(month),
            amount_fen: amount,
            note: None,
        };
        projects::add_expenditure(f.app.db(), &sys, e).await.expect("expenditure");
    }
    let s = f
        .app
        .get(&format!("/api/v1/innovation-statistics?organization_id={}&year=2025", f.root), Some(&admin))
        .await
        .json();
    assert_eq!(s["achievements"]["benefit_fen"].as_i64(), Some(odd + 1), "{s}");
    assert_eq!(s["rd_spending"]["amount_fen"].as_i64(), Some(odd + 2));
    assert_eq!(s["rd_spending"]["previous_amount_fen"].as_i64(), Some(3));
    let q = "query($org: ID!) { innovationStatistics(organizationId: $org, year: 2025) { achievements { benefitFen } rdSpending { amountFen } } }";
    let v = f.app.gql(Some(&admin), q, json!({"org": f.root.to_string()})).await;
    let st = &v["data"]["innovationStatistics"];
    assert_eq!(st["achievements"]["benefitFen"].as_i64(), Some(odd + 1), "{v}");
    assert_eq!(st["rdSpending"]["amountFen"].as_i64(), Some(odd + 2), "{v}");
    let r = f
        .app
        .post(
            "/api/v1/rd-expenditures",
            Some(&admin),
            json!({"organization_id": f.b1, "period_start": "2025-03-15", "amount_fen": 1}),
        )
        .await;
    assert_eq!(r.json()["errors"][0]["field"], "period_start", "{}", r.text());
    let r = f
        .app
        .post(
            "/api/v1/rd-expenditures",
            Some(&admin),
            json!({"organization_id": f.b1, "period_start": "2025-03-01", "amount_fen": 1.5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "fractions of a fen are refused: {}", r.text());
}

#[actix_web::test]
async fn milestone_status_at_boundary_dates() {
    let f = Fixture::new().await;
    let officer = f.token("orgadmin_b1").await;
    let today = f.app.state.settings.today();
    let r = f
        .app
        .post("/api/v1/research-projects", Some(&officer), json!({"organization_id": f.b1, "code": "JC-2026-01", "title": "低碳水厂工艺", "level": "group_major", "proposed_on": "2026-01-05", "budget_fen": 800_000_000}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let cases = [
        ("due today", day(0), None, "at_risk"),
        ("due yesterday", day(-1), None, "late"),
        ("due in 14 days", day(14), None, "at_risk"),
        ("due in 15 days", day(15), None, "on_track"),
        ("reached on the day", day(-10), Some(day(-10)), "on_track"),
        ("reached a day late", day(-10), Some(day(-9)), "late"),
        ("reached early", day(30), Some(day(-1)), "on_track"),
    ];
    for (title, planned, actual, _) in &cases {
        let r = f
            .app
            .post(
                &format!("/api/v1/research-projects/{id}/milestones"),
                Some(&officer),
                json!({"title": title, "planned_on": planned, "actual_on": actual}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let p = f.app.get(&format!("/api/v1/research-projects/{id}"), Some(&officer)).await.json();
    for (title, _, _, expected) in &cases {
        let m = p["milestones"].as_array().unwrap().iter().find(|m| m["title"] == *title).unwrap();
        assert_eq!(m["status"], *expected, "{title}");
    }
    // Reaching the overdue one on time-late flips nothing back: it stays late.
    let late = p["milestones"].as_array().unwrap().iter().find(|m| m["title"] == "due yesterday").unwrap().clone();
    let r = f
        .app
        .patch(
            &format!("/api/v1/milestones/{}", late["id"].as_str().unwrap()),
            Some(&officer),
            Some("\"v1\""),
            json!({"actual_on": day(0)}),
        )
        .await;
    assert_eq!(r.json()["status"], "late", "{}", r.text());
    let r = f
        .app
        .patch(
            &format!("/api/v1/milestones/{}", late["id"].as_str().unwrap()),
            Some(&officer),
            Some("\"v1\""),
            json!({"title": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "stale If-Match: {}", r.text());
    let q = "query($id: ID!) { researchProject(id: $id) { milestones { title status } leader { name } budgetFen } }";
    let v = f.app.gql(Some(&officer), q, json!({"id": id})).await;
    let ms = v["data"]["researchProject"]["milestones"].as_array().unwrap();
    assert!(ms.iter().any(|m| m["title"] == "due in 15 days" && m["status"] == "ON_TRACK"), "{v}");
    assert_eq!(v["data"]["researchProject"]["budgetFen"].as_i64(), Some(800_000_000));
}

/// The fixture of the statistics test, everything in 2025 unless said otherwise.
async fn statistics_fixture(f: &Fixture) -> Uuid {
    use AchievementStatus::*;
    let sys = Actor::system();
    let db = f.app.db();
    let y = |s: &str| d(s);
    // "Five small": b1 accepted 1_000_000, awarded 250_050 (reward 10_000), rejected 999,
    // submitted 5; b2 promoted 2_000_000 (reward 10_000); b3 accepted 7_000_000; b1 2024 accepted 123.
    for (org, lead, benefit, status, day) in [
        (f.b1, f.p_member_b1, 1_000_000, Accepted, "2025-03-01"),
        (f.b1, f.p_other_b1, 250_050, Awarded, "2025-04-01"),
        (f.b1, f.p_other_b1, 999, Rejected, "2025-05-01"),
        (f.b1, f.p_member_b1, 5, Submitted, "2025-12-31"),
        (f.b2, f.p_b2, 2_000_000, Promoted, "2025-01-01"),
        (f.b3, f.p_b3, 7_000_000, Accepted, "2025-06-30"),
        (f.b1, f.p_member_b1, 123, Accepted, "2024-12-31"),
    ] {
        drive(f, achievement(f, org, lead, &[], benefit, y(day)).await, status, y(day)).await;
    }
    // Projects: b1 group_major active since 2024; b1 national_key accepted in 2024 (not under
    // way in 2025); b1 provincial proposed 2025; b2 group_major completed 2025; b3 proposed 2026.
    let project = |org: Uuid, code: &str, level: ProjectLevel, proposed: &str| NewProject {
        organization_id: Id(org),
        party_group_id: None,
        code: code.into(),
        title: format!("项目{code}"),
        level,
        leader_id: None,
        members: vec![],
        budget_fen: 1,
        proposed_on: y(proposed),
    };
    let step = |status: ProjectStatus, on: &str| ProjectPatch {
        status: Some(status),
        status_on: Some(y(on)),
        ..Default::default()
    };
    let today = f.app.state.settings.today();
    let mut b2_project = Uuid::nil();
    for (org, code, level, proposed, steps) in [
        (f.b1, "P1", ProjectLevel::GroupMajor, "2024-05-01", vec![(ProjectStatus::Active, "2024-06-01")]),
        (
            f.b1,
            "P2",
            ProjectLevel::NationalKey,
            "2023-01-01",
            vec![
                (ProjectStatus::Active, "2023-02-01"),
                (ProjectStatus::Completed, "2024-10-01"),
                (ProjectStatus::Accepted, "2024-12-01"),
            ],
        ),
        (f.b1, "P3", ProjectLevel::Provincial, "2025-02-01", vec![]),
        (
            f.b2,
            "P4",
            ProjectLevel::GroupMajor,
            "2025-01-10",
            vec![(ProjectStatus::Active, "2025-01-20"), (ProjectStatus::Completed, "2025-11-01")],
        ),
        (f.b3, "P5", ProjectLevel::Company, "2026-01-05", vec![]),
    ] {
        let mut p = projects::create(db, &sys, today, project(org, code, level, proposed)).await.expect("project");
        for (status, on) in steps {
            p = projects::update(db, &sys, today, *p.id, p.version, step(status, on)).await.expect("step");
        }
        if code == "P4" {
            b2_project = *p.id;
        }
    }
    // Honours.
    let honour = |kind: HonourKind, org: Uuid, day: &str, people: &[Uuid]| NewHonour {
        kind,
        organization_id: Id(org),
        project_id: None,
        title: "成果".into(),
        number: None,
        dated_on: y(day),
        patent_type: None,
        region: None,
        patent_status: None,
        award_level: None,
        award_rank: None,
        standard_level: None,
        standard_role: None,
        people: people.iter().map(|p| PersonLink { person_id: Id(*p), role: None }).collect(),
    };
    let award = |org, level, day: &str, people: &[Uuid]| NewHonour {
        award_level: Some(level),
        award_rank: Some("一等奖".into()),
        ..honour(HonourKind::Award, org, day, people)
    };
    let patent = |org, t, region, status, day: &str| NewHonour {
        patent_type: Some(t),
        region: Some(region),
        patent_status: Some(status),
        ..honour(HonourKind::Patent, org, day, &[])
    };
    let standard = |org, level, role, day: &str| NewHonour {
        standard_level: Some(level),
        standard_role: Some(role),
        ..honour(HonourKind::Standard, org, day, &[])
    };
    for h in [
        award(f.b1, AwardLevel::Provincial, "2025-09-01", &[f.p_member_b1, f.p_other_b1]),
        award(f.b1, AwardLevel::Industry, "2025-10-01", &[f.p_member_b1]),
        award(f.b2, AwardLevel::National, "2025-01-01", &[f.p_b2]),
        award(f.b3, AwardLevel::Group, "2025-12-31", &[f.p_b3]),
        award(f.b1, AwardLevel::Provincial, "2024-12-31", &[f.p_orgadmin_b1]),
        patent(f.b1, PatentType::Invention, PatentRegion::International, PatentStatus::Granted, "2023-05-01"),
        patent(f.b1, PatentType::UtilityModel, PatentRegion::Domestic, PatentStatus::Granted, "2025-03-01"),
        patent(f.b1, PatentType::Invention, PatentRegion::Domestic, PatentStatus::Filed, "2025-04-01"),
        patent(f.b1, PatentType::Design, PatentRegion::Domestic, PatentStatus::Granted, "2026-02-01"),
        patent(f.b2, PatentType::Invention, PatentRegion::Domestic, PatentStatus::Granted, "2024-01-01"),
        honour(HonourKind::SoftwareCopyright, f.b3, "2025-06-01", &[]),
        standard(f.b1, StandardLevel::National, StandardRole::Hosted, "2025-07-01"),
        standard(f.b2, StandardLevel::Industry, StandardRole::Participated, "2025-08-01"),
        standard(f.b3, StandardLevel::Enterprise, StandardRole::Hosted, "2025-09-01"),
        standard(f.b1, StandardLevel::Group, StandardRole::Hosted, "2024-09-01"),
    ] {
        honours::create(db, &sys, h).await.expect("honour");
    }
    // R&D spending: 2025 b1 30_000_000 + 1, b2 10_000_000 (on P4), b3 5; 2024 b1 20_000_000, b2 10_000_000.
    for (org, project, month, amount) in [
        (f.b1, None, "2025-01-01", 30_000_000),
        (f.b1, None, "2025-12-01", 1),
        (f.b2, Some(b2_project), "2025-06-01", 10_000_000),
        (f.b3, None, "2025-02-01", 5),
        (f.b1, None, "2024-03-01", 20_000_000),
        (f.b2, None, "2024-06-01", 10_000_000),
    ] {
        let e = NewExpenditure {
            organization_id: Some(Id(org)),
            project_id: project.map(Id),
            period_start: y(month),
            amount_fen: amount,
            note: None,
        };
        projects::add_expenditure(db, &sys, e).await.expect("spending");
    }
    // Activities: b1 lecture, b1 skills competition (p_other_b1 一等奖), b2 training, b3
    // model-worker selection (p_b3 劳动模范); b1 lecture in 2024.
    let person = |p: Uuid, result: Option<&str>| Participant { person_id: Id(p), result: result.map(str::to_owned) };
    for (org, kind, day, people) in [
        (f.b1, ActivityKind::Lecture, "2025-03-10", vec![person(f.p_member_b1, None)]),
        (
            f.b1,
            ActivityKind::SkillsCompetition,
            "2025-05-10",
            vec![person(f.p_other_b1, Some("一等奖")), person(f.p_member_b1, None)],
        ),
        (f.b2, ActivityKind::Training, "2025-06-10", vec![]),
        (f.b3, ActivityKind::ModelWorkerSelection, "2025-11-10", vec![person(f.p_b3, Some("劳动模范"))]),
        (f.b1, ActivityKind::Lecture, "2024-03-10", vec![person(f.p_orgadmin_b1, Some("优秀学员"))]),
    ] {
        let a = NewActivity {
            organization_id: Id(org),
            campaign_id: None,
            kind,
            title: "活动".into(),
            held_on: y(day),
            place: None,
            summary: None,
            participants: people,
        };
        campaigns::create_activity(db, &sys, a).await.expect("activity");
    }
    b2_project
}

#[actix_web::test]
async fn statistics_match_a_hand_counted_fixture_and_respect_the_subtree() {
    let f = Fixture::new().await;
    statistics_fixture(&f).await;
    let admin = f.token("admin").await;
    let stats = |org: Uuid, token: String| {
        let app = &f.app;
        async move { app.get(&format!("/api/v1/innovation-statistics?organization_id={org}&year=2025"), Some(&token)).await }
    };
    let mut winners = vec![f.p_member_b1, f.p_other_b1, f.p_b2, f.p_b3];
    winners.sort();
    let root = stats(f.root, admin.clone()).await.json();
    assert_eq!(
        root,
        json!({
            "organization_id": f.root, "year": 2025,
            "achievements": {"submitted": 6, "recognised": 4, "rejected": 1, "benefit_fen": 10_250_050, "reward_fen": 20_000,
                "by_category": [{"key": "small_innovation", "count": 4}],
                "by_status": [{"key": "submitted", "count": 1}, {"key": "accepted", "count": 2}, {"key": "rejected", "count": 1}, {"key": "awarded", "count": 1}, {"key": "promoted", "count": 1}]},
            "projects": {"total": 3, "group_major": 2,
                "by_level": [{"key": "provincial", "count": 1}, {"key": "group_major", "count": 2}],
                "by_status": [{"key": "proposed", "count": 1}, {"key": "active", "count": 1}, {"key": "completed", "count": 1}]},
            "awards": {"total": 4, "national": 1, "provincial": 1, "industry": 1,
                "by_level": [{"key": "national", "count": 1}, {"key": "provincial", "count": 1}, {"key": "industry", "count": 1}, {"key": "group", "count": 1}]},
            "intellectual_property": {"total": 4, "patents": 3, "international_patents": 1, "invention_patents": 2, "utility_models": 1, "designs": 0, "software_copyrights": 1},
            "standards": {"total": 3, "hosted": 2, "national": 1, "industry": 1,
                "by_level": [{"key": "national", "count": 1}, {"key": "industry", "count": 1}, {"key": "enterprise", "count": 1}]},
            "rd_spending": {"through": "2025-12-31", "amount_fen": 40_000_006, "previous_amount_fen": 30_000_000, "growth_basis_points": 3333},
            "activities": {"total": 4, "by_kind": [{"key": "lecture", "count": 1}, {"key": "training", "count": 1}, {"key": "skills_competition", "count": 1}, {"key": "model_worker_selection", "count": 1}]},
            "award_winner_count": 4, "award_winner_ids": winners,
        })
    );

    // A branch's figures exclude its siblings; the general branch sums its two branches.
    let officer = f.token("orgadmin_b1").await;
    let b1 = stats(f.b1, officer.clone()).await.json();
    assert_eq!(b1["achievements"]["submitted"], 4);
    assert_eq!(b1["achievements"]["recognised"], 2);
    assert_eq!(b1["achievements"]["benefit_fen"], 1_250_050);
    assert_eq!(b1["projects"]["total"], 2);
    assert_eq!(b1["projects"]["group_major"], 1);
    assert_eq!(
        b1["awards"],
        json!({"total": 2, "national": 0, "provincial": 1, "industry": 1, "by_level": [{"key": "provincial", "count": 1}, {"key": "industry", "count": 1}]})
    );
    assert_eq!(b1["intellectual_property"]["total"], 2);
    assert_eq!(b1["intellectual_property"]["international_patents"], 1);
    assert_eq!(b1["intellectual_property"]["invention_patents"], 1);
    assert_eq!(b1["standards"]["total"], 1);
    assert_eq!(b1["rd_spending"]["amount_fen"], 30_000_001);
    assert_eq!(b1["rd_spending"]["growth_basis_points"], 5000);
    assert_eq!(b1["activities"]["total"], 2);
    assert_eq!(b1["award_winner_count"], 2);
    let gb = stats(f.gb, admin.clone()).await.json();
    assert_eq!(gb["achievements"]["submitted"], 5);
    assert_eq!(gb["achievements"]["benefit_fen"], 3_250_050);
    assert_eq!(gb["awards"]["total"], 3);
    assert_eq!(gb["rd_spending"]["amount_fen"], 40_000_001);
    assert_eq!(gb["award_winner_count"], 3);

    // Out of scope is NOT_FOUND like a missing organisation; HR clients do not read it.
    let r = stats(f.b2, officer.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, stats(Uuid::now_v7(), officer.clone()).await.body);
    assert_eq!(stats(f.gb, officer.clone()).await.status, StatusCode::NOT_FOUND);
    let member = f.token("member_b1").await;
    assert_eq!(stats(f.b1, member).await.json()["achievements"]["recognised"], 2);
    assert_eq!(stats(f.b1, f.token("hr").await).await.status, StatusCode::FORBIDDEN);

    // GraphQL gives the same figures, and the winners resolve to people.
    let q = "query($org: ID!) { innovationStatistics(organizationId: $org, year: 2025) {
        projects { groupMajor byLevel { key count } } awards { total provincial industry }
        intellectualProperty { total internationalPatents inventionPatents }
        standards { total national industry } rdSpending { growthBasisPoints } awardWinners { name } } }";
    let v = f.app.gql(Some(&admin), q, json!({"org": f.root.to_string()})).await;
    let s = &v["data"]["innovationStatistics"];
    assert_eq!(s["projects"]["groupMajor"], 2, "{v}");
    assert_eq!(s["awards"], json!({"total": 4, "provincial": 1, "industry": 1}));
    assert_eq!(s["intellectualProperty"], json!({"total": 4, "internationalPatents": 1, "inventionPatents": 2}));
    assert_eq!(s["standards"], json!({"total": 3, "national": 1, "industry": 1}));
    assert_eq!(s["rdSpending"]["growthBasisPoints"], 3333);
    assert_eq!(s["awardWinners"].as_array().map(Vec::len), Some(4));
    let v = f.app.gql(Some(&officer), q, json!({"org": f.b2.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"), "{v}");

    // The numbers match a direct SQL count.
    use sea_orm::{ConnectionTrait, Statement};
    let db = f.app.db();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM achievement WHERE status IN ('accepted','awarded','promoted') AND submitted_on >= '2025-01-01' AND submitted_on < '2026-01-01'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), root["achievements"]["recognised"].as_i64().unwrap());
}

#[actix_web::test]
async fn projects_step_forward_with_dates_and_party_groups_are_groups() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let body = |group: Uuid| json!({"organization_id": f.b1, "party_group_id": group, "code": "G-1", "title": "智慧管网", "level": "municipal", "proposed_on": "2025-01-01"});
    let r = f.app.post("/api/v1/research-projects", Some(&admin), body(f.b2)).await;
    assert_eq!(r.json()["errors"][0]["field"], "party_group_id", "a branch is not a party group: {}", r.text());
    let group = dangjian::services::organizations::create(
        f.app.db(),
        &Actor::system(),
        dangjian::services::organizations::NewOrganization {
            parent_id: Some(Id(f.b1)),
            name: "智慧管网项目党小组".into(),
            short_name: None,
            kind: dangjian::services::types::OrgKind::Group,
            sort_order: None,
            established_on: None,
        },
    )
    .await
    .unwrap();
    let r = f.app.post("/api/v1/research-projects", Some(&admin), body(*group.id)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/research-projects/{id}");
    let r = f.app.patch(&path, Some(&admin), Some("\"v1\""), json!({"status": "completed"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no skipping: {}", r.text());
    let r =
        f.app.patch(&path, Some(&admin), Some("\"v1\""), json!({"status": "active", "status_on": "2024-12-01"})).await;
    assert_eq!(r.json()["errors"][0]["field"], "status_on", "not before the previous step: {}", r.text());
    let mut etag = "\"v1\"".to_owned();
    for (status, on, field) in [
        ("active", "2025-02-01", "started_on"),
        ("completed", "2025-10-01", "completed_on"),
        ("accepted", "2025-12-20", "accepted_on"),
    ] {
        let r = f.app.patch(&path, Some(&admin), Some(&etag), json!({"status": status, "status_on": on})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()[field], on);
        etag = r.header("etag").unwrap();
    }
    let r = f.app.patch(&path, Some(&admin), Some(&etag), json!({"status": "active"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let q = "query($id: ID!) { researchProject(id: $id) { status partyGroup { name kind } } }";
    let v = f.app.gql(Some(&admin), q, json!({"id": id})).await;
    assert_eq!(
        v["data"]["researchProject"],
        json!({"status": "ACCEPTED", "partyGroup": {"name": "智慧管网项目党小组", "kind": "GROUP"}})
    );
    // Spending booked on the project shows as spent.
    let r = f
        .app
        .post(
            "/api/v1/rd-expenditures",
            Some(&admin),
            json!({"project_id": id, "period_start": "2025-03-01", "amount_fen": 12_345}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["organization_id"], json!(f.b1));
    assert_eq!(f.app.get(&path, Some(&admin)).await.json()["spent_fen"], 12_345);
}

#[actix_web::test]
async fn campaign_indicators_compute_what_the_system_holds() {
    let f = Fixture::new().await;
    statistics_fixture(&f).await;
    let officer = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/campaigns",
            Some(&officer),
            json!({"organization_id": f.b1, "year": 2025, "title": "2025年科技创新年", "theme": "创新驱动 党建引领",
                   "starts_on": "2025-01-01", "ends_on": "2025-12-31", "indicators": [
                {"name": "五小成果", "unit": "项", "target": 3, "metric": "achievements_recognised"},
                {"name": "创效", "unit": "分", "target": 1_000_000, "metric": "achievement_benefit_fen"},
                {"name": "研发经费", "unit": "分", "target": 1, "metric": "rd_spending_fen"},
                {"name": "活动", "unit": "场", "target": 4, "metric": "activities_held"},
                {"name": "研发经费投入强度", "unit": "‰", "target": 30, "actual": 28}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    let actuals: Vec<Value> = c["indicators"].as_array().unwrap().iter().map(|i| i["actual"].clone()).collect();
    assert_eq!(actuals, vec![json!(2), json!(1_250_050), json!(30_000_001), json!(2), json!(28)]);
    let computed = &c["indicators"][0];
    let r = f
        .app
        .patch(
            &format!("/api/v1/indicators/{}", computed["id"].as_str().unwrap()),
            Some(&officer),
            Some("\"v1\""),
            json!({"actual": 5}),
        )
        .await;
    assert_eq!(r.json()["errors"][0]["field"], "actual", "a computed actual cannot be typed: {}", r.text());
    let r = f
        .app
        .post("/api/v1/campaigns", Some(&officer), json!({"organization_id": f.b1, "year": 2025, "title": "x", "starts_on": "2025-02-01", "ends_on": "2025-01-01"}))
        .await;
    assert_eq!(r.json()["errors"][0]["field"], "ends_on");
    let r = f
        .app
        .post("/api/v1/campaigns", Some(&officer), json!({"organization_id": f.b3, "year": 2025, "title": "x", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Activities are readable by HR clients (participation), campaigns are not.
    let hr = f.token("hr").await;
    let r = f.app.get("/api/v1/activities?year=2025", Some(&hr)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(3), "b1 and b2 (the client's gb scope): {}", r.text());
    assert_eq!(f.app.get("/api/v1/campaigns", Some(&hr)).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn achievement_attachments_follow_the_workflow() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let officer = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post("/api/v1/achievements", Some(&member), json!({"organization_id": f.b1, "category": "small_creation", "title": "污泥脱水助剂配比", "benefit_fen": 100}))
        .await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let upload = |token: &str, name: &str| {
        let (content_type, body) =
            crate::attachments::multipart(name, "application/pdf", "%PDF-1.7\n效益测算".as_bytes());
        test::TestRequest::post()
            .uri(&format!("/api/v1/achievements/{id}/attachments"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
    };
    let r = f.app.send(upload(&member, "效益测算.pdf")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["owner_kind"], "achievement");
    let r = f.app.send(upload(&f.token("inspector_gb").await, "x.pdf")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "inspectors read, not write: {}", r.text());
    let r = f.app.send(upload(&f.token("orgadmin_b2").await, "x.pdf")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post_if_match(
        &f.app,
        &format!("/api/v1/achievements/{id}/review"),
        &officer,
        "\"v1\"",
        json!({"status": "under_review"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = f.app.send(upload(&member, "补充.pdf")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the team attaches only while submitted: {}", r.text());
    let r = f.app.send(upload(&officer, "评审意见.pdf")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let list = f.app.get(&format!("/api/v1/achievements/{id}/attachments"), Some(&member)).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let v = f
        .app
        .gql(Some(&member), "query($id: ID!) { achievement(id: $id) { attachments { filename } } }", json!({"id": id}))
        .await;
    assert_eq!(
        v["data"]["achievement"]["attachments"],
        json!([{"filename": "效益测算.pdf"}, {"filename": "评审意见.pdf"}]),
        "{v}"
    );
}

#[actix_web::test]
async fn a_page_of_achievements_with_people_costs_a_constant_number_of_statements() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let today = f.app.state.settings.today();
    let q = "{ achievements(first: 50) { edges { node { title lead { name } members { person { name } } organization { name } attachments { filename } } } } }";
    let mut counts = Vec::new();
    for n in [2, 12] {
        while services_count(&f).await < n {
            achievement(&f, f.b1, f.p_other_b1, &[f.p_member_b1, f.p_orgadmin_b1], 1, today).await;
        }
        f.app.reset_statements();
        let v = f.app.gql(Some(&admin), q, json!({})).await;
        assert!(v["errors"].is_null(), "{v}");
        assert_eq!(v["data"]["achievements"]["edges"].as_array().map(Vec::len), Some(n));
        counts.push(f.app.statement_count());
    }
    assert_eq!(counts[0], counts[1], "statements for 2 and 12 achievements: {counts:?}");
}

async fn services_count(f: &Fixture) -> usize {
    let page = dangjian::services::pagination::PageRequest {
        limit: 100,
        after: None,
        after_key: None,
        cursor_field: "cursor",
        with_total: false,
    };
    achievements::list(f.app.db(), &Actor::system(), &Default::default(), page).await.unwrap().items.len()
}

#[actix_web::test]
async fn vanguard_units_with_project_and_members() {
    let f = Fixture::new().await;
    let officer = f.token("orgadmin_b1").await;
    let p = f
        .app
        .post("/api/v1/research-projects", Some(&officer), json!({"organization_id": f.b1, "code": "V-1", "title": "管网漏损攻关", "level": "company", "proposed_on": "2026-01-01"}))
        .await
        .json();
    let body = json!({"kind": "commando_team", "organization_id": f.b1, "project_id": p["id"], "name": "漏损治理党员突击队",
        "established_on": "2026-03-01", "members": [{"person_id": f.p_member_b1, "role": "队长"}, {"person_id": f.p_other_b1}]});
    let r = f.app.post("/api/v1/vanguard-units", Some(&officer), body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let unit = r.json();
    assert_eq!(unit["members"][0], json!({"person_id": f.p_member_b1, "role": "队长"}));
    let mut bad = body.clone();
    bad["ends_on"] = json!("2026-02-01");
    assert_eq!(f.app.post("/api/v1/vanguard-units", Some(&officer), bad).await.json()["errors"][0]["field"], "ends_on");
    let mut outside = body.clone();
    outside["organization_id"] = json!(f.b3);
    assert_eq!(f.app.post("/api/v1/vanguard-units", Some(&officer), outside).await.status, StatusCode::NOT_FOUND);
    let member = f.token("member_b1").await;
    assert_eq!(f.app.post("/api/v1/vanguard-units", Some(&member), body).await.status, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/vanguard-units/{}", unit["id"].as_str().unwrap());
    let r = f
        .app
        .patch(
            &path,
            Some(&officer),
            Some("\"v1\""),
            json!({"members": [{"person_id": f.p_other_b1, "role": "队长"}], "ends_on": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["members"].as_array().map(Vec::len), Some(1));
    let q = "{ vanguardUnits(kind: COMMANDO_TEAM) { totalCount edges { node { name endsOn members { role person { name } } } } } }";
    let v = f.app.gql(Some(&member), q, json!({})).await;
    assert_eq!(v["data"]["vanguardUnits"]["totalCount"], 1, "{v}");
    assert_eq!(
        v["data"]["vanguardUnits"]["edges"][0]["node"]["members"][0],
        json!({"role": "队长", "person": {"name": "张工"}})
    );
    let other = f.token("orgadmin_b2").await;
    assert_eq!(f.app.get(&path, Some(&other)).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn honours_check_their_kind_and_change_with_if_match() {
    let f = Fixture::new().await;
    let officer = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post("/api/v1/honours", Some(&officer), json!({"kind": "patent", "organization_id": f.b1, "title": "一种高效沉淀装置", "dated_on": "2026-04-01", "award_level": "national"}))
        .await;
    let fields: Vec<Value> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
    assert_eq!(fields, vec![json!("patent_type"), json!("award_level")], "{}", r.text());
    let q = "mutation($org: ID!, $p: ID!) { createHonour(input: {kind: PATENT, organizationId: $org, title: \"一种高效沉淀装置\", number: \"ZL202610000001.1\",
        datedOn: \"2026-04-01\", patentType: INVENTION, region: INTERNATIONAL, patentStatus: FILED, people: [{personId: $p, role: \"第一发明人\"}]})
        { id version kind patentType region patentStatus people { role person { name } } organization { name } } }";
    let v = f.app.gql(Some(&officer), q, json!({"org": f.b1.to_string(), "p": f.p_member_b1.to_string()})).await;
    let h = &v["data"]["createHonour"];
    assert_eq!(h["patentType"], "INVENTION", "{v}");
    assert_eq!(h["people"][0], json!({"role": "第一发明人", "person": {"name": "李党员"}}));
    let id = h["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/honours/{id}");
    let r = f.app.patch(&path, Some(&officer), Some("\"v1\""), json!({"award_rank": "一等奖"})).await;
    assert_eq!(r.json()["errors"][0]["field"], "award_rank", "{}", r.text());
    let r = f.app.patch(&path, Some(&officer), Some("\"v1\""), json!({"patent_status": "granted"})).await;
    assert_eq!(r.json()["patent_status"], "granted", "{}", r.text());
    let hr = f.token("hr").await;
    let list = f.app.get(&format!("/api/v1/honours?person_id={}", f.p_member_b1), Some(&hr)).await;
    assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1), "HR reads honours: {}", list.text());
    assert_eq!(f.app.delete(&path, Some(&officer), Some("\"v1\"")).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(f.app.delete(&path, Some(&officer), Some("\"v2\"")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.get(&path, Some(&officer)).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn demo_statistics_give_every_report_figure_and_match_direct_sql() {
    use sea_orm::{ConnectionTrait, Statement};
    let f = Fixture::new().await;
    let report = dangjian::seed::seed_demo(f.app.db(), &f.app.state.policy.passwords).await.unwrap();
    assert!(report.contains("40 achievements"), "{report}");
    let db = f.app.db();
    let one = |sql: String| async move {
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let root_id = entity_root(&f).await;
    let admin = f.token("admin").await;
    let today = f.app.state.settings.today();
    let year: i32 = today.format("%Y").to_string().parse().unwrap();
    let (start, end) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
    let s = f
        .app
        .get(&format!("/api/v1/innovation-statistics?organization_id={root_id}&year={year}"), Some(&admin))
        .await
        .json();
    let in_year = |col: &str| format!("{col} >= '{start}' AND {col} < '{end}'");
    let recognised = "status IN ('accepted','awarded','promoted')";
    let checks: Vec<(&str, String)> = vec![
        ("/achievements/submitted", format!("SELECT COUNT(*) AS n FROM achievement WHERE {}", in_year("submitted_on"))),
        (
            "/achievements/recognised",
            format!("SELECT COUNT(*) AS n FROM achievement WHERE {recognised} AND {}", in_year("submitted_on")),
        ),
        (
            "/achievements/benefit_fen",
            format!(
                "SELECT CAST(COALESCE(SUM(benefit_fen), 0) AS BIGINT) AS n FROM achievement WHERE {recognised} AND {}",
                in_year("submitted_on")
            ),
        ),
        (
            "/projects/group_major",
            format!(
                "SELECT COUNT(*) AS n FROM research_project WHERE level = 'group_major' AND proposed_on < '{end}' AND (accepted_on IS NULL OR accepted_on >= '{start}')"
            ),
        ),
        ("/awards/total", format!("SELECT COUNT(*) AS n FROM honour WHERE kind = 'award' AND {}", in_year("dated_on"))),
        (
            "/awards/provincial",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE kind = 'award' AND level = 'provincial' AND {}",
                in_year("dated_on")
            ),
        ),
        (
            "/awards/industry",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE kind = 'award' AND level = 'industry' AND {}",
                in_year("dated_on")
            ),
        ),
        (
            "/intellectual_property/total",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE dated_on < '{end}' AND (kind = 'software_copyright' OR (kind = 'patent' AND patent_status = 'granted'))"
            ),
        ),
        (
            "/intellectual_property/international_patents",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE dated_on < '{end}' AND kind = 'patent' AND patent_status = 'granted' AND region = 'international'"
            ),
        ),
        (
            "/intellectual_property/invention_patents",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE dated_on < '{end}' AND kind = 'patent' AND patent_status = 'granted' AND patent_type = 'invention'"
            ),
        ),
        (
            "/standards/total",
            format!("SELECT COUNT(*) AS n FROM honour WHERE kind = 'standard' AND {}", in_year("dated_on")),
        ),
        (
            "/standards/national",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE kind = 'standard' AND level = 'national' AND {}",
                in_year("dated_on")
            ),
        ),
        (
            "/standards/industry",
            format!(
                "SELECT COUNT(*) AS n FROM honour WHERE kind = 'standard' AND level = 'industry' AND {}",
                in_year("dated_on")
            ),
        ),
        (
            "/rd_spending/amount_fen",
            format!(
                "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM rd_expenditure WHERE period_start >= '{start}' AND period_start <= '{today}'"
            ),
        ),
        ("/activities/total", format!("SELECT COUNT(*) AS n FROM innovation_activity WHERE {}", in_year("held_on"))),
    ];
    for (pointer, sql) in checks {
        let expected = one(sql).await;
        assert_eq!(s.pointer(pointer).and_then(Value::as_i64), Some(expected), "{pointer}: {s}");
        assert!(expected > 0, "{pointer}: the demo has some");
    }
    assert!(s["rd_spending"]["growth_basis_points"].as_i64().is_some(), "{s}");
    assert!(s["award_winner_count"].as_i64().unwrap() > 0);
    assert_eq!(s["projects"]["by_level"].as_array().map(Vec::len), Some(5), "every level: {s}");
    assert_eq!(s["activities"]["by_kind"].as_array().map(Vec::len), Some(6), "every kind: {s}");
    // Seeding again changes nothing.
    let again = dangjian::seed::seed_demo(f.app.db(), &f.app.state.policy.passwords).await.unwrap();
    assert!(again.contains("already loaded"));
    let s2 = f
        .app
        .get(&format!("/api/v1/innovation-statistics?organization_id={root_id}&year={year}"), Some(&admin))
        .await
        .json();
    assert_eq!(s, s2);
}

async fn entity_root(f: &Fixture) -> Uuid {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::organization::Entity::find()
        .filter(entity::organization::Column::Name.eq(dangjian::seed::ROOT_NAME))
        .one(f.app.db())
        .await
        .unwrap()
        .unwrap()
        .id
}

#[actix_web::test]
async fn the_team_edits_a_submitted_achievement_until_review_starts() {
    let f = Fixture::new().await;
    let member = f.token("member_b1").await;
    let officer = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&member),
            json!({"organization_id": f.b1, "category": "small_design", "title": "初稿", "benefit_fen": 10}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/achievements/{id}");
    let r = f.app.patch(&path, Some(&member), None, json!({"title": "定稿"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = f
        .app
        .patch(
            &path,
            Some(&member),
            Some("\"v1\""),
            json!({"title": "定稿", "benefit_fen": 1_000_001, "members": [{"person_id": f.p_other_b1}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["benefit_fen"].clone(), r.json()["members"][0]["person_id"].clone()),
        (json!(1_000_001), json!(f.p_other_b1))
    );
    let r = f.app.patch(&path, Some(&member), Some("\"v1\""), json!({"title": "x"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "stale: {}", r.text());
    let r = f.app.patch(&path, Some(&member), Some("\"v2\""), json!({"members": [{"person_id": f.p_member_b1}]})).await;
    assert_eq!(r.json()["errors"][0]["field"], "members", "the lead is not a member: {}", r.text());
    let r =
        post_if_match(&f.app, &format!("{path}/review"), &officer, "\"v2\"", json!({"status": "under_review"})).await;
    assert_eq!(r.status, StatusCode::OK);
    let q = "mutation($id: ID!) { updateAchievement(id: $id, expectedVersion: 3, input: {title: \"再改\"}) { title } }";
    let v = f.app.gql(Some(&member), q, json!({"id": id})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("CONFLICT"), "under review: {v}");
}
