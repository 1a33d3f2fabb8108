//! The innovation area's authorisation table: every operation × role × relationship
//! (inside scope, outside scope) → expected outcome, over REST and GraphQL, with every
//! out-of-scope NOT_FOUND compared with the answer for a random id.

use dangjian::services::types::Id;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use dangjian::auth::Actor;
use dangjian::services::innovation::{
    campaigns::{self, ActivityKind, NewActivity},
    honours::{self, AwardLevel, HonourKind, NewHonour},
    projects::{self, NewProject, ProjectLevel},
    vanguard,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{AuthzTable, Fixture, Outcome, gql_outcome, rest_outcome, run_authz_table};
use crate::innovation::{achievement, post_if_match};

use Outcome::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ReadAchievement,
    SubmitAchievement,
    ReviewAchievement,
    ReadProject,
    CreateProject,
    ReadHonour,
    CreateHonour,
    ReadActivity,
    CreateActivity,
    ReadCampaign,
    ReadVanguardUnit,
    BookSpending,
    Statistics,
}
use Op::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    InScope,
    OutOfScope,
}
use Rel::*;

const OPS: [Op; 13] = [
    ReadAchievement,
    SubmitAchievement,
    ReviewAchievement,
    ReadProject,
    CreateProject,
    ReadHonour,
    CreateHonour,
    ReadActivity,
    CreateActivity,
    ReadCampaign,
    ReadVanguardUnit,
    BookSpending,
    Statistics,
];

/// Expected outcome of (who, op, rel). In scope = branch b1 (inside every scoped
/// grant of the fixture), out of scope = branch b3.
fn expected(who: &str, op: Op, rel: Rel) -> Outcome {
    let hidden = if rel == OutOfScope { NotFound } else { Ok };
    match (who, op) {
        ("anonymous", _) => Unauthenticated,
        ("admin", _) => Ok,
        ("orgadmin_b1", _) => hidden,
        (
            "inspector_gb",
            SubmitAchievement | ReviewAchievement | CreateProject | CreateHonour | CreateActivity | BookSpending,
        ) => Forbidden,
        ("inspector_gb", _) => hidden,
        ("member_b1", ReviewAchievement | CreateProject | CreateHonour | CreateActivity | BookSpending) => Forbidden,
        ("member_b1", _) => hidden,
        ("hr", ReadHonour | ReadActivity) => hidden,
        ("hr", _) => Forbidden,
        // `innovation:read` over the general branch: every read, no write.
        (
            "hr_innov",
            SubmitAchievement | ReviewAchievement | CreateProject | CreateHonour | CreateActivity | BookSpending,
        ) => Forbidden,
        ("hr_innov", _) => hidden,
        _ => unreachable!(),
    }
}

#[derive(Clone, Copy)]
struct Target {
    /// Achievement, project, honour, activity or organisation id.
    id: Uuid,
    /// The organisation.
    org: Uuid,
    /// A person of the organisation (not the caller).
    person: Uuid,
}

struct Ctx {
    f: Fixture,
    tokens: HashMap<&'static str, String>,
}

impl Ctx {
    fn submit_body(&self, t: Target) -> Value {
        // In scope the member is on the team, so members may submit it.
        let members = if t.org == self.f.b1 { json!([{"person_id": self.f.p_member_b1}]) } else { json!([]) };
        json!({"organization_id": t.id, "category": "small_suggestion", "title": "建议", "lead_id": t.person, "members": members})
    }
}

impl AuthzTable for Ctx {
    type Op = Op;
    type Rel = Rel;
    type Target = Target;
    const OUT_OF_SCOPE: Rel = OutOfScope;

    fn random(&self, t: Target) -> Target {
        Target { id: Uuid::now_v7(), ..t }
    }

    async fn target(&self, _who: &str, op: Op, rel: Rel) -> Target {
        let f = &self.f;
        let sys = Actor::system();
        let db = f.app.db();
        let (org, person) = if rel == InScope { (f.b1, f.p_other_b1) } else { (f.b3, f.p_b3) };
        let today = f.app.state.settings.today();
        let id = match op {
            ReadAchievement | ReviewAchievement => achievement(f, org, person, &[], 100, today).await.id,
            ReadProject => {
                let p = NewProject {
                    organization_id: Id(org),
                    party_group_id: None,
                    code: format!("T-{}", Uuid::now_v7().simple()),
                    title: "项目".into(),
                    level: ProjectLevel::Company,
                    leader_id: Some(Id(person)),
                    members: vec![],
                    budget_fen: 0,
                    proposed_on: today,
                };
                projects::create(db, &sys, today, p).await.unwrap().id
            }
            ReadHonour => {
                let h = NewHonour {
                    kind: HonourKind::Award,
                    organization_id: Id(org),
                    project_id: None,
                    title: "科技进步奖".into(),
                    number: None,
                    dated_on: today,
                    patent_type: None,
                    region: None,
                    patent_status: None,
                    award_level: Some(AwardLevel::Provincial),
                    award_rank: None,
                    standard_level: None,
                    standard_role: None,
                    people: vec![],
                };
                honours::create(db, &sys, h).await.unwrap().id
            }
            ReadActivity => {
                let a = NewActivity {
                    organization_id: Id(org),
                    campaign_id: None,
                    kind: ActivityKind::Training,
                    title: "宣贯培训".into(),
                    held_on: today,
                    place: None,
                    summary: None,
                    participants: vec![],
                };
                campaigns::create_activity(db, &sys, a).await.unwrap().id
            }
            ReadCampaign => {
                let c = campaigns::NewCampaign {
                    organization_id: Id(org),
                    year: 2026,
                    title: "科技创新年".into(),
                    theme: None,
                    goals: None,
                    starts_on: today,
                    ends_on: today,
                    indicators: vec![],
                };
                campaigns::create(db, &sys, c).await.unwrap().id
            }
            ReadVanguardUnit => {
                let u = vanguard::NewVanguardUnit {
                    kind: vanguard::VanguardKind::DemonstrationPost,
                    organization_id: Id(org),
                    project_id: None,
                    name: "党员示范岗".into(),
                    established_on: today,
                    ends_on: None,
                    members: vec![],
                };
                vanguard::create(db, &sys, u).await.unwrap().id
            }
            SubmitAchievement | CreateProject | CreateHonour | CreateActivity | BookSpending | Statistics => Id(org),
        };
        Target { id: *id, org, person }
    }

    async fn rest(&self, token: Option<&str>, op: Op, t: Target) -> (Outcome, StatusCode, Vec<u8>) {
        let app = &self.f.app;
        let id = t.id;
        let r = match op {
            ReadAchievement => app.get(&format!("/api/v1/achievements/{id}"), token).await,
            SubmitAchievement => app.post("/api/v1/achievements", token, self.submit_body(t)).await,
            ReviewAchievement => {
                let path = format!("/api/v1/achievements/{id}/review");
                match token {
                    Some(tok) => post_if_match(app, &path, tok, "\"v1\"", json!({"status": "under_review"})).await,
                    None => app.post(&path, None, json!({"status": "under_review"})).await,
                }
            }
            ReadProject => app.get(&format!("/api/v1/research-projects/{id}"), token).await,
            CreateProject => {
                let body = json!({"organization_id": id, "code": format!("R-{}", Uuid::now_v7().simple()), "title": "项目", "level": "company", "proposed_on": "2026-01-01"});
                app.post("/api/v1/research-projects", token, body).await
            }
            ReadHonour => app.get(&format!("/api/v1/honours/{id}"), token).await,
            CreateHonour => {
                let body = json!({"kind": "software_copyright", "organization_id": id, "title": "管网监测软件", "dated_on": "2026-01-01"});
                app.post("/api/v1/honours", token, body).await
            }
            ReadActivity => app.get(&format!("/api/v1/activities/{id}"), token).await,
            CreateActivity => {
                let body =
                    json!({"organization_id": id, "kind": "lecture", "title": "专题讲座", "held_on": "2026-03-01"});
                app.post("/api/v1/activities", token, body).await
            }
            ReadCampaign => app.get(&format!("/api/v1/campaigns/{id}"), token).await,
            ReadVanguardUnit => app.get(&format!("/api/v1/vanguard-units/{id}"), token).await,
            BookSpending => {
                let body = json!({"organization_id": id, "period_start": "2026-03-01", "amount_fen": 100});
                app.post("/api/v1/rd-expenditures", token, body).await
            }
            Statistics => {
                app.get(&format!("/api/v1/innovation-statistics?organization_id={id}&year=2026"), token).await
            }
        };
        (rest_outcome(r.status, &r.text()), r.status, r.body)
    }

    async fn gql(&self, token: Option<&str>, op: Op, t: Target) -> (Outcome, Value) {
        let app = &self.f.app;
        let members =
            if t.org == self.f.b1 { format!("[{{personId: \"{}\"}}]", self.f.p_member_b1) } else { "[]".into() };
        let q = match op {
            ReadAchievement => "query($id: ID!) { achievement(id: $id) { title } }".to_owned(),
            SubmitAchievement => format!("mutation($id: ID!) {{ submitAchievement(input: {{organizationId: $id, category: SMALL_SUGGESTION, title: \"建议\", leadId: \"{}\", members: {members}}}) {{ id }} }}", t.person),
            ReviewAchievement => "mutation($id: ID!) { reviewAchievement(id: $id, expectedVersion: 1, input: {status: UNDER_REVIEW}) { status } }".to_owned(),
            ReadProject => "query($id: ID!) { researchProject(id: $id) { code } }".to_owned(),
            CreateProject => format!("mutation($id: ID!) {{ createResearchProject(input: {{organizationId: $id, code: \"G-{}\", title: \"项目\", level: COMPANY, proposedOn: \"2026-01-01\"}}) {{ id }} }}", Uuid::now_v7().simple()),
            ReadHonour => "query($id: ID!) { honour(id: $id) { title } }".to_owned(),
            CreateHonour => "mutation($id: ID!) { createHonour(input: {kind: SOFTWARE_COPYRIGHT, organizationId: $id, title: \"软件\", datedOn: \"2026-01-01\"}) { id } }".to_owned(),
            ReadActivity => "query($id: ID!) { activity(id: $id) { title } }".to_owned(),
            CreateActivity => "mutation($id: ID!) { createActivity(input: {organizationId: $id, kind: LECTURE, title: \"专题讲座\", heldOn: \"2026-03-01\"}) { id } }".to_owned(),
            ReadCampaign => "query($id: ID!) { campaign(id: $id) { title } }".to_owned(),
            ReadVanguardUnit => "query($id: ID!) { vanguardUnit(id: $id) { name } }".to_owned(),
            BookSpending => "mutation($id: ID!) { addRdExpenditure(input: {organizationId: $id, periodStart: \"2026-03-01\", amountFen: 100}) { id } }".to_owned(),
            Statistics => "query($id: ID!) { innovationStatistics(organizationId: $id, year: 2026) { awardWinnerCount } }".to_owned(),
        };
        let v = app.gql(token, &q, json!({"id": t.id.to_string()})).await;
        let err = json!({"code": v["errors"][0]["extensions"]["code"], "message": v["errors"][0]["message"]});
        (gql_outcome(&v), err)
    }
}

#[actix_web::test]
async fn innovation_operation_role_relationship_table_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let mut tokens = HashMap::new();
    for who in ["admin", "orgadmin_b1", "inspector_gb", "member_b1", "hr"] {
        tokens.insert(who, f.token(who).await);
    }
    tokens.insert("hr_innov", f.client_token("innovation", &["innovation:read"], f.gb).await);
    let ctx = Ctx { f, tokens };
    let mut rows = Vec::new();
    for who in ["admin", "orgadmin_b1", "inspector_gb", "member_b1", "hr", "hr_innov", "anonymous"] {
        for op in OPS {
            for rel in [InScope, OutOfScope] {
                rows.push((who, op, rel, expected(who, op, rel)));
            }
        }
    }
    run_authz_table("innovation", &ctx, &ctx.tokens, &rows).await;
}
