//! The supervision area's authorisation table: every operation × role × relationship
//! (own, inside scope, outside scope) → expected outcome, over REST and GraphQL, with
//! every out-of-scope NOT_FOUND compared with the answer for a random id.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{AuthzTable, Fixture, Outcome, gql_outcome, rest_outcome, run_authz_table};
use crate::study::put;
use crate::supervision::{advance, item};

use Outcome::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ReadItem,
    ListItemsOfOrg,
    OpenItem,
    EditItem,
    WritePlan,
    PostEvidence,
    Submit,
    Reject,
    Verify,
    CreateInspection,
    Stats,
    Dashboard,
    AuditList,
    AuditVerify,
    History,
}
use Op::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Own,
    InScope,
    OutOfScope,
    NoTarget,
}
use Rel::*;

/// (who, operation, relationship, expected)
const TABLE: &[(&str, Op, Rel, Outcome)] = &[
    ("admin", ReadItem, OutOfScope, Ok),
    ("admin", ListItemsOfOrg, OutOfScope, Ok),
    ("admin", OpenItem, OutOfScope, Ok),
    ("admin", EditItem, OutOfScope, Ok),
    ("admin", WritePlan, OutOfScope, Ok),
    ("admin", PostEvidence, OutOfScope, Ok),
    ("admin", Submit, OutOfScope, Ok),
    ("admin", Reject, OutOfScope, Ok),
    ("admin", Verify, OutOfScope, Ok),
    ("admin", CreateInspection, OutOfScope, Ok),
    ("admin", Stats, OutOfScope, Ok),
    ("admin", Dashboard, OutOfScope, Ok),
    ("admin", AuditList, NoTarget, Ok),
    ("admin", AuditVerify, NoTarget, Ok),
    ("admin", History, OutOfScope, Ok),
    ("inspector_gb", ReadItem, InScope, Ok),
    ("inspector_gb", ReadItem, OutOfScope, NotFound),
    ("inspector_gb", ListItemsOfOrg, InScope, Ok),
    ("inspector_gb", ListItemsOfOrg, OutOfScope, NotFound),
    ("inspector_gb", OpenItem, InScope, Ok),
    ("inspector_gb", OpenItem, OutOfScope, NotFound),
    ("inspector_gb", EditItem, InScope, Ok),
    ("inspector_gb", EditItem, OutOfScope, NotFound),
    ("inspector_gb", WritePlan, InScope, Forbidden),
    ("inspector_gb", PostEvidence, InScope, Forbidden),
    ("inspector_gb", Submit, InScope, Forbidden),
    ("inspector_gb", Reject, InScope, Ok),
    ("inspector_gb", Reject, OutOfScope, NotFound),
    ("inspector_gb", Verify, InScope, Ok),
    ("inspector_gb", Verify, OutOfScope, NotFound),
    ("inspector_gb", CreateInspection, InScope, Ok),
    ("inspector_gb", CreateInspection, OutOfScope, NotFound),
    ("inspector_gb", Stats, InScope, Ok),
    ("inspector_gb", Stats, OutOfScope, NotFound),
    ("inspector_gb", Dashboard, InScope, Ok),
    ("inspector_gb", Dashboard, OutOfScope, NotFound),
    ("inspector_gb", AuditList, NoTarget, Ok),
    ("inspector_gb", AuditVerify, NoTarget, Forbidden),
    ("inspector_gb", History, InScope, Ok),
    ("inspector_gb", History, OutOfScope, NotFound),
    ("orgadmin_b1", ReadItem, InScope, Ok),
    ("orgadmin_b1", ReadItem, OutOfScope, NotFound),
    ("orgadmin_b1", ListItemsOfOrg, InScope, Ok),
    ("orgadmin_b1", ListItemsOfOrg, OutOfScope, NotFound),
    ("orgadmin_b1", OpenItem, InScope, Forbidden),
    ("orgadmin_b1", EditItem, InScope, Forbidden),
    ("orgadmin_b1", EditItem, OutOfScope, NotFound),
    ("orgadmin_b1", WritePlan, InScope, Ok),
    ("orgadmin_b1", WritePlan, OutOfScope, NotFound),
    ("orgadmin_b1", PostEvidence, InScope, Ok),
    ("orgadmin_b1", PostEvidence, OutOfScope, NotFound),
    ("orgadmin_b1", Submit, InScope, Ok),
    ("orgadmin_b1", Submit, OutOfScope, NotFound),
    ("orgadmin_b1", Reject, InScope, Forbidden),
    ("orgadmin_b1", Verify, InScope, Forbidden),
    ("orgadmin_b1", Verify, OutOfScope, NotFound),
    ("orgadmin_b1", CreateInspection, InScope, Forbidden),
    ("orgadmin_b1", Stats, InScope, Ok),
    ("orgadmin_b1", Stats, OutOfScope, NotFound),
    ("orgadmin_b1", Dashboard, InScope, Ok),
    ("orgadmin_b1", Dashboard, OutOfScope, NotFound),
    ("orgadmin_b1", AuditList, NoTarget, Forbidden),
    ("orgadmin_b1", AuditVerify, NoTarget, Forbidden),
    ("orgadmin_b1", History, InScope, Forbidden),
    ("member_b1", ReadItem, Own, Ok),
    ("member_b1", ReadItem, InScope, NotFound),
    ("member_b1", ReadItem, OutOfScope, NotFound),
    ("member_b1", OpenItem, InScope, Forbidden),
    ("member_b1", EditItem, Own, Forbidden),
    ("member_b1", WritePlan, Own, Ok),
    ("member_b1", WritePlan, InScope, NotFound),
    ("member_b1", PostEvidence, Own, Ok),
    ("member_b1", Submit, Own, Ok),
    ("member_b1", Reject, Own, Forbidden),
    ("member_b1", Verify, Own, Forbidden),
    ("member_b1", CreateInspection, InScope, Forbidden),
    ("member_b1", Stats, InScope, Forbidden),
    ("member_b1", Dashboard, InScope, Forbidden),
    ("member_b1", AuditList, NoTarget, Forbidden),
    ("member_b1", AuditVerify, NoTarget, Forbidden),
    ("member_b1", History, Own, Forbidden),
    ("hr", ReadItem, InScope, Forbidden),
    ("hr", ListItemsOfOrg, InScope, Forbidden),
    ("hr", OpenItem, InScope, Forbidden),
    ("hr", WritePlan, InScope, Forbidden),
    ("hr", Verify, InScope, Forbidden),
    ("hr", CreateInspection, InScope, Forbidden),
    ("hr", Stats, InScope, Forbidden),
    ("hr", Dashboard, InScope, Forbidden),
    ("hr", AuditList, NoTarget, Forbidden),
    ("hr", AuditVerify, NoTarget, Forbidden),
    ("hr", History, InScope, Forbidden),
    ("anonymous", ReadItem, InScope, Unauthenticated),
    ("anonymous", ListItemsOfOrg, InScope, Unauthenticated),
    ("anonymous", OpenItem, InScope, Unauthenticated),
    ("anonymous", WritePlan, InScope, Unauthenticated),
    ("anonymous", Verify, InScope, Unauthenticated),
    ("anonymous", Dashboard, InScope, Unauthenticated),
    ("anonymous", AuditList, NoTarget, Unauthenticated),
    ("anonymous", AuditVerify, NoTarget, Unauthenticated),
    ("anonymous", History, InScope, Unauthenticated),
];

struct Ctx {
    f: Fixture,
    tokens: HashMap<&'static str, String>,
    own_person: HashMap<&'static str, Uuid>,
}

/// What an operation acts on: an item (in the state the operation needs) or an organisation.
#[derive(Clone, Copy)]
struct Target {
    id: Uuid,
    /// A person there.
    person: Uuid,
    version: i32,
}

impl AuthzTable for Ctx {
    type Op = Op;
    type Rel = Rel;
    type Target = Target;
    const OUT_OF_SCOPE: Rel = OutOfScope;

    fn random(&self, t: Target) -> Target {
        Target { id: Uuid::now_v7(), ..t }
    }

    async fn target(&self, who: &str, op: Op, rel: Rel) -> Target {
        let f = &self.f;
        let today = f.app.state.settings.today();
        let (org, person) = match rel {
            OutOfScope => (f.b3, f.p_b3),
            Own => (f.b1, self.own_person.get(who).copied().unwrap_or(f.p_other_b1)),
            _ => (f.b1, f.p_other_b1),
        };
        let state = match op {
            ReadItem | EditItem | WritePlan | History => "open",
            PostEvidence | Submit => "rectifying",
            Reject | Verify => "submitted",
            _ => return Target { id: org, person, version: 0 },
        };
        let it = item(f, org, person).await;
        let it = if state == "open" { it } else { advance(f, &it, state, today).await };
        Target { id: *it.id, person, version: it.version }
    }

    async fn rest(&self, token: Option<&str>, op: Op, t: Target) -> (Outcome, StatusCode, Vec<u8>) {
        let app = &self.f.app;
        let today = app.state.settings.today();
        let id = t.id;
        let item = format!("/api/v1/supervision-items/{id}");
        let tag = format!("\"v{}\"", t.version);
        let post_tagged = |path: String, body: Value| {
            let mut req =
                actix_web::test::TestRequest::post().uri(&path).set_json(body).insert_header(("If-Match", tag.clone()));
            if let Some(tok) = token {
                req = req.insert_header(("Authorization", format!("Bearer {tok}")));
            }
            app.send(req)
        };
        let r = match op {
            ReadItem => app.get(&item, token).await,
            ListItemsOfOrg => app.get(&format!("/api/v1/supervision-items?organization_id={id}"), token).await,
            OpenItem => {
                let body = json!({"organization_id": id, "title": "问题", "category": "other", "severity": "low", "responsible_person_id": t.person, "due_on": (today + chrono::Duration::days(9)).to_string()});
                app.post("/api/v1/supervision-items", token, body).await
            }
            EditItem => app.patch(&item, token, Some(&tag), json!({"severity": "high"})).await,
            WritePlan => put(app, &format!("{item}/plan"), token, Some(&tag), json!({"plan": "整改方案"})).await,
            PostEvidence => {
                app.post(&format!("{item}/updates"), token, json!({"kind": "evidence", "text": "佐证"})).await
            }
            Submit => post_tagged(format!("{item}/submit"), json!({})).await,
            Reject => post_tagged(format!("{item}/reject"), json!({"reason": "材料不全"})).await,
            Verify => post_tagged(format!("{item}/verify"), json!({})).await,
            CreateInspection => {
                let body = json!({"organization_id": id, "title": "专项巡察", "focus": "科技创新责任落实", "starts_on": today.to_string()});
                app.post("/api/v1/inspections", token, body).await
            }
            Stats => app.get(&format!("/api/v1/supervision-stats?organization_id={id}"), token).await,
            Dashboard => {
                app.get(&format!("/api/v1/dashboard?organization_id={id}&from=2026-01-01&to=2026-12-31"), token).await
            }
            AuditList => app.get("/api/v1/audit-events", token).await,
            AuditVerify => app.get("/api/v1/audit-chain/verify", token).await,
            History => app.get(&format!("/api/v1/audit-history/supervision_item/{id}"), token).await,
        };
        (rest_outcome(r.status, &r.text()), r.status, r.body)
    }

    async fn gql(&self, token: Option<&str>, op: Op, t: Target) -> (Outcome, Value) {
        let app = &self.f.app;
        let today = app.state.settings.today();
        let v = t.version;
        let due = today + chrono::Duration::days(9);
        let vars = json!({"id": t.id.to_string(), "person": t.person.to_string()});
        let q = match op {
            ReadItem => "query($id: ID!) { supervisionItem(id: $id) { title } }".to_owned(),
            ListItemsOfOrg => "query($id: ID!) { supervisionItems(organizationId: $id) { totalCount } }".to_owned(),
            OpenItem => format!("mutation($id: ID!, $person: ID!) {{ openSupervisionItem(input: {{organizationId: $id, title: \"问题\", category: OTHER, severity: LOW, responsiblePersonId: $person, dueOn: \"{due}\"}}) {{ id }} }}"),
            EditItem => format!("mutation($id: ID!) {{ updateSupervisionItem(id: $id, expectedVersion: {v}, input: {{severity: HIGH}}) {{ version }} }}"),
            WritePlan => format!("mutation($id: ID!) {{ setRectificationPlan(id: $id, expectedVersion: {v}, plan: \"整改方案\") {{ status }} }}"),
            PostEvidence => "mutation($id: ID!) { addSupervisionItemUpdate(itemId: $id, input: {kind: EVIDENCE, text: \"佐证\"}) { id } }".to_owned(),
            Submit => format!("mutation($id: ID!) {{ submitSupervisionItem(id: $id, expectedVersion: {v}) {{ status }} }}"),
            Reject => format!("mutation($id: ID!) {{ rejectSupervisionItem(id: $id, expectedVersion: {v}, reason: \"材料不全\") {{ status }} }}"),
            Verify => format!("mutation($id: ID!) {{ verifySupervisionItem(id: $id, expectedVersion: {v}) {{ status }} }}"),
            CreateInspection => format!("mutation($id: ID!) {{ createInspection(input: {{organizationId: $id, title: \"专项巡察\", focus: \"科技创新\", startsOn: \"{today}\"}}) {{ id }} }}"),
            Stats => "query($id: ID!) { supervisionStats(organizationId: $id) { organizationName } }".to_owned(),
            Dashboard => "query($id: ID!) { dashboard(organizationId: $id, from: \"2026-01-01\", to: \"2026-12-31\") { organizationName } }".to_owned(),
            AuditList => "{ auditEvents { totalCount } }".to_owned(),
            AuditVerify => "{ verifyAuditChain { ok } }".to_owned(),
            History => "query($id: ID!) { history(entity: \"supervision_item\", id: $id) { event { action } } }".to_owned(),
        };
        let vars = if q.contains("$person") {
            vars
        } else if q.contains("$id") {
            json!({"id": t.id.to_string()})
        } else {
            json!({})
        };
        let v = app.gql(token, &q, vars).await;
        let err = json!({"code": v["errors"][0]["extensions"]["code"], "message": v["errors"][0]["message"]});
        (gql_outcome(&v), err)
    }
}

#[actix_web::test]
async fn supervision_operation_role_relationship_table_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let mut tokens = HashMap::new();
    for who in ["admin", "orgadmin_b1", "inspector_gb", "member_b1", "hr"] {
        tokens.insert(who, f.token(who).await);
    }
    let own_person = HashMap::from([("orgadmin_b1", f.p_orgadmin_b1), ("member_b1", f.p_member_b1)]);
    let ctx = Ctx { f, tokens, own_person };

    run_authz_table("supervision", &ctx, &ctx.tokens, TABLE).await;
}
