//! Participation scope and rosters by session kind: a member of a party group takes part
//! in their branch's general meeting and in a committee-wide campaign; a member of
//! another branch sees neither (the same answer as for a random id); each kind's roster
//! follows its rule; planned rosters follow transfers, held ones do not.

use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, TestApp};

/// A party group under b1 with one full member who has a member login (`member_g1`) on
/// the group. Returns (group id, the member's person id, their token).
pub async fn member_of_new_group_in(f: &Fixture) -> (Uuid, Uuid, String) {
    let admin = f.token("admin").await;
    let r = f
        .app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"parent_id": f.b1, "name": "曝气工艺项目党小组", "kind": "group"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let group: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": group, "name": "吴组员", "employee_no": "G001", "party_status": "full"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let person: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    let token = f.add_member("member_g1", person, group).await;
    (group, person, token)
}

/// [`member_of_new_group_in`] without the group id (for the authorisation tables).
pub async fn member_of_new_group(f: &Fixture) -> (Uuid, String) {
    let (_, person, token) = member_of_new_group_in(f).await;
    (person, token)
}

/// The party group and its member, plus a member login for the b2 person. Returns
/// (group id, group person id, group member token, b2 member token).
async fn group_and_members(f: &Fixture) -> (Uuid, Uuid, String, String) {
    let (group, person, group_member) = member_of_new_group_in(f).await;
    let other_branch = f.add_member("member_b2", f.p_b2, f.b2).await;
    (group, person, group_member, other_branch)
}

/// Schedules a session of `kind` in `org` whose check-in is open now (self check-in
/// without a code allowed), as admin; returns its id.
async fn open_session(app: &TestApp, admin: &str, org: Uuid, kind: &str) -> String {
    let held_at = Utc::now() + Duration::minutes(10);
    let r = app
        .post(
            "/api/v1/study-sessions",
            Some(admin),
            json!({"organization_id": org, "kind": kind, "topic": "学习贯彻重要讲话精神", "held_at": held_at,
                   "checkin_opens_at": Utc::now() - Duration::minutes(5), "checkin_mode": "open"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn roster(app: &TestApp, admin: &str, session: &str) -> Vec<Uuid> {
    let r = app.get(&format!("/api/v1/study-sessions/{session}/attendance"), Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut ids: Vec<Uuid> =
        r.json().as_array().unwrap().iter().map(|a| a["person_id"].as_str().unwrap().parse().unwrap()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

#[actix_web::test]
async fn a_party_group_member_takes_part_in_the_branch_general_meeting() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let (_group, group_person, group_member, other_branch) = group_and_members(&f).await;
    let session = open_session(&f.app, &admin, f.b1, "branch_general_meeting").await;
    let path = format!("/api/v1/study-sessions/{session}");

    // The roster is the branch subtree's members, the party group included.
    let everyone_b1 = vec![f.p_orgadmin_b1, f.p_member_b1, f.p_other_b1, group_person];
    assert_eq!(roster(&f.app, &admin, &session).await, sorted(everyone_b1));

    // REST: the group member reads the meeting, finds it in the list filtered by the
    // branch, and checks in.
    let r = f.app.get(&path, Some(&group_member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f.app.get(&format!("/api/v1/study-sessions?organization_id={}", f.b1), Some(&group_member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["items"].as_array().unwrap().iter().any(|s| s["id"] == session.as_str()), "{}", r.text());
    let r = f.app.get(&format!("/api/v1/organizations/{}", f.b1), Some(&group_member)).await;
    assert_eq!(r.status, StatusCode::OK, "the enclosing branch is in the participation scope: {}", r.text());
    // ... and so is its committee.
    let r = f
        .app
        .post(
            &format!("/api/v1/organizations/{}/committee-terms", f.b1),
            Some(&admin),
            json!({"started_on": f.app.state.settings.today(), "members": [{"person_id": f.p_orgadmin_b1, "position": "secretary"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.get(&format!("/api/v1/organizations/{}/committee", f.b1), Some(&group_member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["members"][0]["person_name"], "王书记");
    let r = f.app.get(&format!("/api/v1/organizations/{}/committee", f.b1), Some(&other_branch)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = f.app.post(&format!("{path}/check-in"), Some(&group_member), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "present");

    // A member of another branch gets exactly the answer a random id gets.
    let theirs = f.app.get(&path, Some(&other_branch)).await;
    let random = f.app.get(&format!("/api/v1/study-sessions/{}", Uuid::now_v7()), Some(&other_branch)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!((theirs.status, theirs.json()["code"].clone()), (random.status, random.json()["code"].clone()));
    let r = f.app.post(&format!("{path}/check-in"), Some(&other_branch), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = f.app.get(&format!("/api/v1/organizations/{}", f.b1), Some(&other_branch)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // GraphQL: the same, with the branch resolved as the session's organisation.
    let q = "query($id: ID!) { studySession(id: $id) { topic organization { name } } }";
    let v = f.app.gql(Some(&group_member), q, json!({"id": session})).await;
    assert_eq!(v["data"]["studySession"]["organization"]["name"], "研发一支部", "{v}");
    let v = f.app.gql(Some(&other_branch), q, json!({"id": session})).await;
    let random = f.app.gql(Some(&other_branch), q, json!({"id": Uuid::now_v7().to_string()})).await;
    assert_eq!(v["data"]["studySession"], Value::Null, "{v}");
    assert_eq!(crate::common::gql_code(&v), crate::common::gql_code(&random));

    // The demo_member of the branch itself (member_b1) checks in over GraphQL.
    let member_b1 = f.token("member_b1").await;
    let m = "mutation($id: ID!) { checkIn(sessionId: $id) { status } }";
    let v = f.app.gql(Some(&member_b1), m, json!({"id": session})).await;
    assert_eq!(v["data"]["checkIn"]["status"], "PRESENT", "{v}");
}

#[actix_web::test]
async fn a_committee_wide_campaign_reaches_every_member_below() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let (group, _person, group_member, other_branch) = group_and_members(&f).await;
    let r = f
        .app
        .post(
            "/api/v1/campaigns",
            Some(&admin),
            json!({"organization_id": f.gb, "year": 2026, "title": "2026年科技创新年", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let campaign = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/campaigns/{campaign}");

    // Everyone under the general branch sees it, the party group's member included.
    for token in [&group_member, &other_branch] {
        let r = f.app.get(&path, Some(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = f.app.get("/api/v1/campaigns?year=2026", Some(&group_member)).await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1), "{}", r.text());
    // b3 sits beside the general branch: not addressed, answered like a random id.
    let b3 = f.add_member("member_b3", f.p_b3, f.b3).await;
    let r = f.app.get(&path, Some(&b3)).await;
    let random = f.app.get(&format!("/api/v1/campaigns/{}", Uuid::now_v7()), Some(&b3)).await;
    assert_eq!((r.status, random.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));

    // The group member submits an achievement under it (REST and GraphQL).
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&group_member),
            json!({"organization_id": group, "category": "small_innovation", "title": "曝气风机变频改造", "campaign_id": campaign}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["campaign_id"], campaign.as_str());
    let q = "query($id: ID!) { campaign(id: $id) { title } }";
    let v = f.app.gql(Some(&group_member), q, json!({"id": campaign})).await;
    assert_eq!(v["data"]["campaign"]["title"], "2026年科技创新年", "{v}");
    let v = f.app.gql(Some(&b3), q, json!({"id": campaign})).await;
    assert_eq!(v["data"]["campaign"], Value::Null, "{v}");
    // b3's member cannot hang an achievement on it either.
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&b3),
            json!({"organization_id": f.b3, "category": "small_innovation", "title": "x", "campaign_id": campaign}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "campaign_id");
}

#[actix_web::test]
async fn each_kind_has_its_roster_and_planned_rosters_follow_transfers() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let (group, group_person, _group_member, _other) = group_and_members(&f).await;
    // An activist in b1 is not on members' rosters.
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "郑积极", "employee_no": "A001", "party_status": "activist"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    let general = open_session(&f.app, &admin, f.b1, "branch_general_meeting").await;
    let lecture = open_session(&f.app, &admin, f.b1, "party_lecture").await;
    let group_meeting = open_session(&f.app, &admin, group, "group_meeting").await;
    let committee = open_session(&f.app, &admin, f.b1, "branch_committee").await;
    let b1_all = sorted(vec![f.p_orgadmin_b1, f.p_member_b1, f.p_other_b1, group_person]);
    assert_eq!(roster(&f.app, &admin, &general).await, b1_all);
    assert_eq!(roster(&f.app, &admin, &lecture).await, b1_all);
    assert_eq!(roster(&f.app, &admin, &group_meeting).await, vec![group_person]);
    assert_eq!(roster(&f.app, &admin, &committee).await, Vec::<Uuid>::new(), "b1 has no committee in office");

    // 支委会: the committee in office. Electing one brings the planned meeting's roster
    // in line at once; a member leaving the committee leaves it too.
    let today = f.app.state.settings.today();
    let r = f
        .app
        .post(
            &format!("/api/v1/organizations/{}/committee-terms", f.b1),
            Some(&admin),
            json!({"started_on": today - Duration::days(30), "members": [
                {"person_id": f.p_orgadmin_b1, "position": "secretary"},
                {"person_id": group_person, "position": "organization"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let term = r.json();
    assert_eq!(roster(&f.app, &admin, &committee).await, sorted(vec![f.p_orgadmin_b1, group_person]));
    let later = open_session(&f.app, &admin, f.b1, "branch_committee").await;
    assert_eq!(roster(&f.app, &admin, &later).await, sorted(vec![f.p_orgadmin_b1, group_person]));
    let member =
        term["members"].as_array().unwrap().iter().find(|m| m["person_id"] == group_person.to_string()).unwrap();
    let member_path =
        format!("/api/v1/committee-terms/{}/members/{}", term["id"].as_str().unwrap(), member["id"].as_str().unwrap());
    let etag = f.etag(&member_path).await;
    let r = f.app.patch(&member_path, Some(&admin), Some(&etag), json!({"until_on": today})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(roster(&f.app, &admin, &committee).await, vec![f.p_orgadmin_b1], "left the committee today");

    // A session held before the transfer keeps its roster; planned ones follow.
    let held = open_session(&f.app, &admin, f.b1, "theme_day").await;
    let b2_meeting = open_session(&f.app, &admin, f.b2, "branch_general_meeting").await;
    let etag = f.etag(&format!("/api/v1/study-sessions/{held}")).await;
    let r = f
        .app
        .patch(
            &format!("/api/v1/study-sessions/{held}"),
            Some(&admin),
            Some(&etag),
            json!({"status": "held", "held_at": Utc::now() - Duration::minutes(1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let etag = f.etag(&format!("/api/v1/people/{}", f.p_other_b1)).await;
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/people/{}/transfer", f.p_other_b1))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", etag))
                .set_json(json!({"to_organization_id": f.b2, "reason": "工作调动"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert!(!roster(&f.app, &admin, &general).await.contains(&f.p_other_b1), "left the planned b1 meeting");
    assert!(roster(&f.app, &admin, &b2_meeting).await.contains(&f.p_other_b1), "joined the planned b2 meeting");
    assert!(roster(&f.app, &admin, &held).await.contains(&f.p_other_b1), "the held meeting keeps who was expected");

    // A departure takes the person off planned rosters only; past ones keep them, and
    // the attendance rate of the held meeting still counts them.
    let etag = f.etag(&format!("/api/v1/people/{}", f.p_member_b1)).await;
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/people/{}/departure", f.p_member_b1))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", etag))
                .set_json(json!({"kind": "retired", "reason": "到龄退休"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!roster(&f.app, &admin, &general).await.contains(&f.p_member_b1), "left the planned meeting");
    assert!(roster(&f.app, &admin, &held).await.contains(&f.p_member_b1), "stays in the held one");
    let later = open_session(&f.app, &admin, f.b1, "branch_general_meeting").await;
    assert!(!roster(&f.app, &admin, &later).await.contains(&f.p_member_b1), "never on a new roster");

    // Guests: added by the organiser, kept, removable while planned.
    let oa = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(&format!("/api/v1/study-sessions/{general}/roster"), Some(&oa), json!({"person_id": f.p_other_b1}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "p_other_b1 is in b2 now, outside b1's officer: {}",
        r.text()
    );
    assert_eq!(r.json()["errors"][0]["field"], "person_id");
    let r = f
        .app
        .post(&format!("/api/v1/study-sessions/{general}/roster"), Some(&admin), json!({"person_id": f.p_b3}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["guest"], true);
    let r = f
        .app
        .post(&format!("/api/v1/study-sessions/{general}/roster"), Some(&admin), json!({"person_id": f.p_b3}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(roster(&f.app, &admin, &general).await.contains(&f.p_b3));
    let r = f.app.delete(&format!("/api/v1/study-sessions/{general}/roster/{}", f.p_b3), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert!(!roster(&f.app, &admin, &general).await.contains(&f.p_b3));
    let r =
        f.app.post(&format!("/api/v1/study-sessions/{held}/roster"), Some(&admin), json!({"person_id": f.p_b3})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "the held session's roster is closed: {}", r.text());

    // GraphQL: a guest in and out.
    let m = "mutation($s: ID!, $p: ID!) { addSessionGuest(sessionId: $s, personId: $p) { guest } }";
    let v = f.app.gql(Some(&admin), m, json!({"s": lecture, "p": f.p_b3.to_string()})).await;
    assert_eq!(v["data"]["addSessionGuest"]["guest"], true, "{v}");
    let m = "mutation($s: ID!, $p: ID!) { removeFromSessionRoster(sessionId: $s, personId: $p) }";
    let v = f.app.gql(Some(&admin), m, json!({"s": lecture, "p": f.p_b3.to_string()})).await;
    assert_eq!(v["data"]["removeFromSessionRoster"], true, "{v}");

    // The secretary leaves: their committee membership ends that day, and the planned
    // committee meeting's roster follows.
    let etag = f.etag(&format!("/api/v1/people/{}", f.p_orgadmin_b1)).await;
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/people/{}/departure", f.p_orgadmin_b1))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", etag))
                .set_json(json!({"kind": "transferred_out"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f.app.get(&format!("/api/v1/organizations/{}/committee", f.b1), Some(&admin)).await;
    let secretary =
        r.json()["members"].as_array().unwrap().iter().find(|m| m["position"] == "secretary").cloned().unwrap();
    assert_eq!(secretary["in_office"], false, "{secretary}");
    assert_eq!(secretary["until_on"], today.to_string());
    assert_eq!(roster(&f.app, &admin, &committee).await, Vec::<Uuid>::new());
}

/// The "done when", on the demo data: `demo_member` (工艺研究所党支部) and
/// `demo_groupmember` (its party group 低碳水厂攻关党小组) both find the branch's general
/// meeting a week ahead among their upcoming sessions, read it, check in with the
/// rotating code to one the organiser opens now, see the group-wide 科技创新年 campaign
/// and submit an achievement under it, over REST and GraphQL.
#[actix_web::test]
async fn in_the_demo_a_branch_member_and_a_group_member_take_part_alike() {
    let app = TestApp::empty().await;
    dangjian::seed::seed_demo(app.db(), &app.state.policy.passwords).await.unwrap();
    let login = |who: &'static str| {
        let app = &app;
        async move { app.login_full(who, dangjian::seed::DEMO_PASSWORD).await["access_token"].as_str().unwrap().to_owned() }
    };
    let member = login("demo_member").await;
    let group_member = login("demo_groupmember").await;
    let organiser = login("demo_orgadmin").await;

    // The meeting a week ahead is upcoming for both, and readable.
    let mut ahead = Vec::new();
    for token in [&member, &group_member] {
        let r = app.get("/api/v1/me/upcoming-sessions", Some(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let items = r.json()["items"].as_array().cloned().unwrap_or_else(|| r.json().as_array().cloned().unwrap());
        let meeting = items
            .iter()
            .find(|s| s["kind"] == "branch_general_meeting")
            .unwrap_or_else(|| panic!("no general meeting ahead: {}", r.text()))
            .clone();
        assert_eq!(meeting["organization_name"], "工艺研究所党支部");
        let id = meeting["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get(&format!("/api/v1/study-sessions/{id}"), Some(token)).await.status, StatusCode::OK);
        ahead.push(id);
    }
    assert_eq!(ahead[0], ahead[1], "the same meeting");

    // The organiser opens a general meeting now; both check in with the code it shows.
    let lab =
        app.get(&format!("/api/v1/study-sessions/{}", ahead[0]), Some(&organiser)).await.json()["organization_id"]
            .clone();
    let r = app
        .post(
            "/api/v1/study-sessions",
            Some(&organiser),
            json!({"organization_id": lab, "kind": "branch_general_meeting", "topic": "支部党员大会",
                   "held_at": Utc::now() + Duration::minutes(10), "checkin_opens_at": Utc::now() - Duration::minutes(5)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["checkin_mode"], "code");
    let now = r.json()["id"].as_str().unwrap().to_owned();
    let code = app.get(&format!("/api/v1/study-sessions/{now}/check-in-code"), Some(&organiser)).await;
    assert_eq!(code.status, StatusCode::OK, "{}", code.text());
    let code = code.json()["code"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/api/v1/study-sessions/{now}/check-in"), Some(&member), json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = "mutation($id: ID!, $code: String) { checkIn(sessionId: $id, code: $code) { status method } }";
    let v = app.gql(Some(&group_member), m, json!({"id": now, "code": code})).await;
    assert_eq!(v["data"]["checkIn"]["status"], "PRESENT", "{v}");

    // The group-wide campaign, and an achievement under it from each.
    let r = app.get("/api/v1/campaigns", Some(&group_member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let campaign = r.json()["items"][0].clone();
    assert!(campaign["title"].as_str().unwrap().contains("科技创新年"), "{campaign}");
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", Some(&member)).await.json();
    let r = app
        .post(
            "/api/v1/achievements",
            Some(&member),
            json!({"organization_id": me["person"]["organization_id"], "category": "small_suggestion",
                   "title": "加药泵远程启停建议", "campaign_id": campaign_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let me = app.get("/api/v1/me", Some(&group_member)).await.json();
    let m = "mutation($org: ID!, $c: ID!) { submitAchievement(input: {organizationId: $org, campaignId: $c, category: SMALL_DESIGN, title: \"滤池反冲洗节水设计\"}) { id campaignId } }";
    let v = app.gql(Some(&group_member), m, json!({"org": me["person"]["organization_id"], "c": campaign_id})).await;
    assert_eq!(v["data"]["submitAchievement"]["campaignId"], campaign_id.as_str(), "{v}");
}

/// A new member is expected at planned meetings at once; leave reasons are for the
/// person and those who run or inspect the meeting; six digits cannot be guessed.
#[actix_web::test]
async fn rosters_welcome_newcomers_keep_reasons_private_and_codes_unguessable() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let general = open_session(&f.app, &admin, f.b1, "branch_general_meeting").await;
    let r = f
        .app
        .post(
            "/api/v1/people",
            Some(&admin),
            json!({"organization_id": f.b1, "name": "冯新", "employee_no": "N001", "party_status": "probationary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let newcomer: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    assert!(roster(&f.app, &admin, &general).await.contains(&newcomer), "a new member joins the planned roster");

    // p_other_b1 asks for leave; the member of the branch sees that, not why.
    let path = format!("/api/v1/study-sessions/{general}/attendance/{}", f.p_other_b1);
    let r = f
        .app
        .send(
            actix_web::test::TestRequest::put()
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", "*"))
                .set_json(json!({"status": "leave", "reason": "赴外地参加技术评审"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let entry = |token: String| {
        let f = &f;
        let general = general.clone();
        async move {
            let r = f.app.get(&format!("/api/v1/study-sessions/{general}/attendance"), Some(&token)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json().as_array().unwrap().iter().find(|a| a["person_id"] == f.p_other_b1.to_string()).unwrap().clone()
        }
    };
    let seen_by_member = entry(f.token("member_b1").await).await;
    assert_eq!(seen_by_member["status"], "leave");
    assert_eq!(seen_by_member["reason"], Value::Null, "{seen_by_member}");
    assert_eq!(entry(f.token("orgadmin_b1").await).await["reason"], "赴外地参加技术评审");
    assert_eq!(entry(f.token("inspector_gb").await).await["reason"], "赴外地参加技术评审");

    // A code session: five wrong codes, then even the right one is refused.
    let held_at = Utc::now() + Duration::minutes(10);
    let r = f
        .app
        .post(
            "/api/v1/study-sessions",
            Some(&admin),
            json!({"organization_id": f.b1, "kind": "party_lecture", "topic": "专题党课", "held_at": held_at,
                   "checkin_opens_at": Utc::now() - Duration::minutes(5)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let lecture = r.json()["id"].as_str().unwrap().to_owned();
    let code = f.app.get(&format!("/api/v1/study-sessions/{lecture}/check-in-code"), Some(&admin)).await.json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let member = f.token("member_b1").await;
    let check_in = |code: String| {
        let f = &f;
        let (lecture, member) = (lecture.clone(), member.clone());
        async move {
            f.app
                .post(&format!("/api/v1/study-sessions/{lecture}/check-in"), Some(&member), json!({"code": code}))
                .await
        }
    };
    for _ in 0..5 {
        let r = check_in(wrong.to_owned()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["errors"][0]["field"], "code");
    }
    let r = check_in(code).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.json()["detail"].as_str().unwrap().contains("recorder"), "{}", r.text());
}

/// A meeting date far outside any real one is a validation error naming the field, not
/// an overflow (chrono's range ends at year 262143).
#[actix_web::test]
async fn far_dates_are_refused_by_name() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let r = f
        .app
        .post(
            "/api/v1/study-sessions",
            Some(&admin),
            json!({"organization_id": f.b1, "kind": "theme_day", "topic": "主题党日", "held_at": "+262142-12-31T23:59:59Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "held_at");
    let session = open_session(&f.app, &admin, f.b1, "theme_day").await;
    let path = format!("/api/v1/study-sessions/{session}");
    let r = f.app.patch(&path, Some(&admin), Some("*"), json!({"held_at": "1900-01-01T00:00:00Z"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "held_at");
}

/// `attendance { person }` reads the people with the roster statement: for every
/// reader, each entry's person must be exactly what `person(id:)` answers (null where
/// that is NOT_FOUND, personal data masked the same way), with and without `first`.
#[actix_web::test]
async fn roster_people_read_with_the_roster_match_person_lookups_for_every_reader() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let session = open_session(&f.app, &admin, f.b1, "branch_general_meeting").await;
    let r = f
        .app
        .post(&format!("/api/v1/study-sessions/{session}/roster"), Some(&admin), json!({"person_id": f.p_b3}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    const FIELDS: &str = "id name phone email employeeNo organization { id }";
    let mut nulls = 0;
    let mut shown = 0;
    let mut readers = 0;
    for who in ["admin", "orgadmin_b1", "member_b1", "inspector_gb", "hr"] {
        let token = f.token(who).await;
        for args in ["", "(first: 50)"] {
            let q = format!(
                "query($id: ID!) {{ studySession(id: $id) {{ attendance{args} {{ personId person {{ {FIELDS} }} }} }} }}"
            );
            let v = f.app.gql(Some(&token), &q, json!({"id": session})).await;
            let Some(entries) = v["data"]["studySession"]["attendance"].as_array() else {
                let code = crate::common::gql_code(&v);
                assert!(matches!(code.as_deref(), Some("NOT_FOUND" | "FORBIDDEN")), "{who}: {v}");
                continue;
            };
            readers += 1;
            assert!(entries.len() >= 3, "{who}: {v}");
            for entry in entries {
                let lookup = f
                    .app
                    .gql(
                        Some(&token),
                        &format!("query($id: ID!) {{ person(id: $id) {{ {FIELDS} }} }}"),
                        json!({"id": entry["personId"]}),
                    )
                    .await;
                assert_eq!(entry["person"], lookup["data"]["person"], "{who}{args}: {entry} against {lookup}");
                if entry["person"].is_null() {
                    nulls += 1;
                } else if entry["person"]["phone"].is_string() {
                    shown += 1;
                }
            }
        }
    }
    assert!(readers >= 6, "at least three readers see the roster (with and without first)");
    assert!(nulls > 0, "someone reads a roster with a person they may not read (the guest from b3)");
    assert!(shown > 0, "and someone sees personal data");
}
