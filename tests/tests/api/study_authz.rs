//! The study area's authorisation table: every new operation × role × relationship
//! (own, inside scope, outside scope) → expected outcome, over REST and GraphQL, with
//! every out-of-scope NOT_FOUND compared with the answer for a random id.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use dangjian::auth::Actor;
use dangjian::services::{self, study::SessionKind};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{AuthzTable, Fixture, Outcome, gql_outcome, rest_outcome, run_authz_table};
use crate::measures::measure;
use crate::study::{put, session};

use Outcome::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ReadSession,
    ListSessionsOfOrg,
    CreateSession,
    UpdateSession,
    CheckIn,
    MarkAttendance,
    WriteStatement,
    AttendanceRate,
    ReadMeasure,
    CreateMeasure,
    UpdateMeasure,
    MyMeasures,
    ComplianceMeetings,
    SetNorms,
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
    ("admin", ReadSession, InScope, Ok),
    ("admin", ReadSession, OutOfScope, Ok),
    ("admin", ListSessionsOfOrg, OutOfScope, Ok),
    ("admin", CreateSession, OutOfScope, Ok),
    ("admin", UpdateSession, OutOfScope, Ok),
    ("admin", CheckIn, InScope, Forbidden),
    ("admin", MarkAttendance, OutOfScope, Ok),
    ("admin", WriteStatement, InScope, Forbidden),
    ("admin", AttendanceRate, OutOfScope, Ok),
    ("admin", ReadMeasure, OutOfScope, Ok),
    ("admin", CreateMeasure, OutOfScope, Ok),
    ("admin", UpdateMeasure, OutOfScope, Ok),
    ("admin", MyMeasures, NoTarget, Forbidden),
    ("admin", ComplianceMeetings, OutOfScope, Ok),
    ("admin", SetNorms, NoTarget, Ok),
    ("orgadmin_b1", ReadSession, InScope, Ok),
    ("orgadmin_b1", ReadSession, OutOfScope, NotFound),
    ("orgadmin_b1", ListSessionsOfOrg, InScope, Ok),
    ("orgadmin_b1", ListSessionsOfOrg, OutOfScope, NotFound),
    ("orgadmin_b1", CreateSession, InScope, Ok),
    ("orgadmin_b1", CreateSession, OutOfScope, NotFound),
    ("orgadmin_b1", UpdateSession, InScope, Ok),
    ("orgadmin_b1", UpdateSession, OutOfScope, NotFound),
    ("orgadmin_b1", CheckIn, InScope, Ok),
    ("orgadmin_b1", CheckIn, OutOfScope, NotFound),
    ("orgadmin_b1", MarkAttendance, InScope, Ok),
    ("orgadmin_b1", MarkAttendance, OutOfScope, NotFound),
    ("orgadmin_b1", WriteStatement, InScope, Ok),
    ("orgadmin_b1", WriteStatement, OutOfScope, NotFound),
    ("orgadmin_b1", AttendanceRate, InScope, Ok),
    ("orgadmin_b1", AttendanceRate, OutOfScope, NotFound),
    ("orgadmin_b1", ReadMeasure, InScope, Ok),
    ("orgadmin_b1", ReadMeasure, OutOfScope, NotFound),
    ("orgadmin_b1", CreateMeasure, InScope, Ok),
    ("orgadmin_b1", CreateMeasure, OutOfScope, NotFound),
    ("orgadmin_b1", UpdateMeasure, InScope, Ok),
    ("orgadmin_b1", UpdateMeasure, OutOfScope, NotFound),
    ("orgadmin_b1", MyMeasures, NoTarget, Ok),
    ("orgadmin_b1", ComplianceMeetings, InScope, Ok),
    ("orgadmin_b1", ComplianceMeetings, OutOfScope, NotFound),
    ("orgadmin_b1", SetNorms, NoTarget, Forbidden),
    ("inspector_gb", ReadSession, InScope, Ok),
    ("inspector_gb", ReadSession, OutOfScope, NotFound),
    ("inspector_gb", ListSessionsOfOrg, InScope, Ok),
    ("inspector_gb", ListSessionsOfOrg, OutOfScope, NotFound),
    ("inspector_gb", CreateSession, InScope, Forbidden),
    ("inspector_gb", UpdateSession, InScope, Forbidden),
    ("inspector_gb", CheckIn, InScope, Forbidden),
    ("inspector_gb", CheckIn, OutOfScope, NotFound),
    ("inspector_gb", MarkAttendance, InScope, Forbidden),
    ("inspector_gb", MarkAttendance, OutOfScope, NotFound),
    ("inspector_gb", WriteStatement, InScope, Forbidden),
    ("inspector_gb", AttendanceRate, InScope, Ok),
    ("inspector_gb", AttendanceRate, OutOfScope, NotFound),
    ("inspector_gb", ReadMeasure, InScope, Ok),
    ("inspector_gb", ReadMeasure, OutOfScope, NotFound),
    ("inspector_gb", CreateMeasure, InScope, Forbidden),
    ("inspector_gb", UpdateMeasure, InScope, Forbidden),
    ("inspector_gb", UpdateMeasure, OutOfScope, NotFound),
    ("inspector_gb", MyMeasures, NoTarget, Ok),
    ("inspector_gb", ComplianceMeetings, InScope, Ok),
    ("inspector_gb", ComplianceMeetings, OutOfScope, NotFound),
    ("inspector_gb", SetNorms, NoTarget, Forbidden),
    ("member_b1", ReadSession, InScope, Ok),
    ("member_b1", ReadSession, OutOfScope, NotFound),
    ("member_b1", ListSessionsOfOrg, InScope, Ok),
    ("member_b1", ListSessionsOfOrg, OutOfScope, NotFound),
    ("member_b1", CreateSession, InScope, Forbidden),
    ("member_b1", UpdateSession, InScope, Forbidden),
    ("member_b1", CheckIn, InScope, Ok),
    ("member_b1", CheckIn, OutOfScope, NotFound),
    ("member_b1", MarkAttendance, InScope, Forbidden),
    ("member_b1", MarkAttendance, OutOfScope, NotFound),
    ("member_b1", WriteStatement, InScope, Ok),
    ("member_b1", WriteStatement, OutOfScope, NotFound),
    ("member_b1", AttendanceRate, InScope, Ok),
    ("member_b1", AttendanceRate, OutOfScope, NotFound),
    ("member_b1", ReadMeasure, Own, Ok),
    ("member_b1", ReadMeasure, InScope, Ok),
    ("member_b1", ReadMeasure, OutOfScope, NotFound),
    ("member_b1", CreateMeasure, InScope, Forbidden),
    ("member_b1", UpdateMeasure, Own, Ok),
    ("member_b1", UpdateMeasure, InScope, Forbidden),
    ("member_b1", UpdateMeasure, OutOfScope, NotFound),
    ("member_b1", MyMeasures, NoTarget, Ok),
    ("member_b1", ComplianceMeetings, InScope, Forbidden),
    ("member_b1", SetNorms, NoTarget, Forbidden),
    // Participation scope: a member of a party group of b1 takes part in b1's general
    // meetings (on the roster) but manages nothing; a member of another branch (b2) sees
    // none of b1's sessions and gets what a random id gets.
    ("member_g1", ReadSession, InScope, Ok),
    ("member_g1", ListSessionsOfOrg, InScope, Ok),
    ("member_g1", CheckIn, InScope, Ok),
    ("member_g1", WriteStatement, InScope, Ok),
    ("member_g1", CreateSession, InScope, Forbidden),
    ("member_g1", UpdateSession, InScope, Forbidden),
    ("member_g1", MarkAttendance, InScope, Forbidden),
    ("member_g1", ReadSession, OutOfScope, NotFound),
    ("member_g1", CheckIn, OutOfScope, NotFound),
    ("member_g1", AttendanceRate, InScope, NotFound),
    ("member_g1", ReadMeasure, InScope, NotFound),
    ("member_b2", ReadSession, InScope, NotFound),
    ("member_b2", ListSessionsOfOrg, InScope, NotFound),
    ("member_b2", CheckIn, InScope, NotFound),
    ("member_b2", WriteStatement, InScope, NotFound),
    ("member_b2", MarkAttendance, InScope, NotFound),
    ("member_b2", UpdateSession, InScope, Forbidden),
    ("hr", ReadSession, InScope, Forbidden),
    ("hr", ListSessionsOfOrg, InScope, Forbidden),
    ("hr", CreateSession, InScope, Forbidden),
    ("hr", UpdateSession, InScope, Forbidden),
    ("hr", CheckIn, InScope, Forbidden),
    ("hr", MarkAttendance, InScope, Forbidden),
    ("hr", WriteStatement, InScope, Forbidden),
    ("hr", AttendanceRate, InScope, Forbidden),
    ("hr", ReadMeasure, InScope, Forbidden),
    ("hr", CreateMeasure, InScope, Forbidden),
    ("hr", UpdateMeasure, InScope, Forbidden),
    ("hr", MyMeasures, NoTarget, Forbidden),
    ("hr", ComplianceMeetings, InScope, Forbidden),
    ("hr", SetNorms, NoTarget, Forbidden),
    // A service client with `study:read` over the general branch reads what an inspector
    // there reads, and writes nothing.
    ("hr_study", ReadSession, InScope, Ok),
    ("hr_study", ReadSession, OutOfScope, NotFound),
    ("hr_study", ListSessionsOfOrg, InScope, Ok),
    ("hr_study", ListSessionsOfOrg, OutOfScope, NotFound),
    ("hr_study", CreateSession, InScope, Forbidden),
    ("hr_study", UpdateSession, InScope, Forbidden),
    ("hr_study", CheckIn, InScope, Forbidden),
    ("hr_study", MarkAttendance, InScope, Forbidden),
    ("hr_study", WriteStatement, InScope, Forbidden),
    ("hr_study", AttendanceRate, InScope, Ok),
    ("hr_study", AttendanceRate, OutOfScope, NotFound),
    ("hr_study", ReadMeasure, InScope, Ok),
    ("hr_study", ReadMeasure, OutOfScope, NotFound),
    ("hr_study", CreateMeasure, InScope, Forbidden),
    ("hr_study", UpdateMeasure, InScope, Forbidden),
    ("hr_study", ComplianceMeetings, InScope, Ok),
    ("hr_study", ComplianceMeetings, OutOfScope, NotFound),
    ("hr_study", SetNorms, NoTarget, Forbidden),
    ("anonymous", ReadSession, InScope, Unauthenticated),
    ("anonymous", ListSessionsOfOrg, InScope, Unauthenticated),
    ("anonymous", CreateSession, InScope, Unauthenticated),
    ("anonymous", UpdateSession, InScope, Unauthenticated),
    ("anonymous", CheckIn, InScope, Unauthenticated),
    ("anonymous", MarkAttendance, InScope, Unauthenticated),
    ("anonymous", WriteStatement, InScope, Unauthenticated),
    ("anonymous", AttendanceRate, InScope, Unauthenticated),
    ("anonymous", ReadMeasure, InScope, Unauthenticated),
    ("anonymous", CreateMeasure, InScope, Unauthenticated),
    ("anonymous", UpdateMeasure, InScope, Unauthenticated),
    ("anonymous", MyMeasures, NoTarget, Unauthenticated),
    ("anonymous", ComplianceMeetings, InScope, Unauthenticated),
    ("anonymous", SetNorms, NoTarget, Unauthenticated),
];

struct Ctx {
    f: Fixture,
    tokens: HashMap<&'static str, String>,
    own_person: HashMap<&'static str, Uuid>,
}

/// What an operation acts on.
#[derive(Clone, Copy)]
struct Target {
    /// Session, measure or organisation id.
    id: Uuid,
    /// The organisation (for creates) or a person on the roster (attendance).
    other: Uuid,
}

impl Ctx {
    async fn session_version(&self, id: Uuid) -> i32 {
        services::study::get(self.f.app.db(), &Actor::system(), id).await.map(|s| s.version).unwrap_or(1)
    }

    /// The version of the set of meeting norms.
    async fn norms_version(&self) -> i32 {
        let norms = services::compliance::norms(self.f.app.db(), &Actor::system()).await.unwrap();
        services::compliance::norms_version(&norms)
    }

    /// The version of `person`'s roster entry in session `id` (1 when there is none).
    async fn attendance_version(&self, id: Uuid, person: Uuid) -> i32 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::attendance::Entity::find()
            .filter(entity::attendance::Column::SessionId.eq(id))
            .filter(entity::attendance::Column::PersonId.eq(person))
            .one(self.f.app.db())
            .await
            .unwrap()
            .map_or(1, |a| a.version)
    }

    async fn measure_version(&self, id: Uuid) -> i32 {
        let today = self.f.app.state.settings.today();
        services::measures::get(self.f.app.db(), &Actor::system(), today, id).await.map(|m| m.version).unwrap_or(1)
    }
}

impl AuthzTable for Ctx {
    type Op = Op;
    type Rel = Rel;
    type Target = Target;
    const OUT_OF_SCOPE: Rel = OutOfScope;

    fn random(&self, t: Target) -> Target {
        Target { id: Uuid::now_v7(), other: t.other }
    }

    /// A fresh target: sessions open for check-in now, measures in todo.
    async fn target(&self, who: &str, op: Op, rel: Rel) -> Target {
        let f = &self.f;
        let (org, person) = match rel {
            OutOfScope => (f.b3, f.p_b3),
            Own => (f.b1, self.own_person.get(who).copied().unwrap_or(f.p_other_b1)),
            _ => (f.b1, f.p_other_b1),
        };
        match op {
            ReadSession | UpdateSession | CheckIn | MarkAttendance | WriteStatement => {
                let s =
                    session(f, org, SessionKind::BranchGeneralMeeting, Utc::now() + Duration::minutes(5), None).await;
                Target { id: *s.id, other: person }
            }
            ReadMeasure | UpdateMeasure => {
                let m = measure(f, org, person, Utc::now().date_naive() + Duration::days(10)).await;
                Target { id: *m.id, other: person }
            }
            _ => Target { id: org, other: person },
        }
    }

    async fn rest(&self, token: Option<&str>, op: Op, t: Target) -> (Outcome, StatusCode, Vec<u8>) {
        let app = &self.f.app;
        let id = t.id;
        let range = format!("organization_id={id}&from=2026-01-01&to=2026-03-31");
        let r = match op {
            ReadSession => app.get(&format!("/api/v1/study-sessions/{id}"), token).await,
            ListSessionsOfOrg => app.get(&format!("/api/v1/study-sessions?organization_id={id}"), token).await,
            CreateSession => {
                let body = json!({"organization_id": id, "kind": "theme_day", "topic": "主题党日", "held_at": "2026-05-01T01:00:00Z"});
                app.post("/api/v1/study-sessions", token, body).await
            }
            UpdateSession => {
                let v = self.session_version(id).await;
                let path = format!("/api/v1/study-sessions/{id}");
                app.patch(&path, token, Some(&format!("\"v{v}\"")), json!({"place": "党员活动室"})).await
            }
            CheckIn => app.post(&format!("/api/v1/study-sessions/{id}/check-in"), token, json!({})).await,
            MarkAttendance => {
                let path = format!("/api/v1/study-sessions/{id}/attendance/{}", t.other);
                let v = self.attendance_version(id, t.other).await;
                put(app, &path, token, Some(&format!("\"v{v}\"")), json!({"status": "present"})).await
            }
            WriteStatement => {
                app.post(&format!("/api/v1/study-sessions/{id}/statements"), token, json!({"text": "学习体会"})).await
            }
            AttendanceRate => app.get(&format!("/api/v1/attendance-rates?{range}"), token).await,
            ReadMeasure => app.get(&format!("/api/v1/measures/{id}"), token).await,
            CreateMeasure => {
                let body = json!({"source_kind": "campaign", "source_id": Uuid::now_v7(), "organization_id": id, "title": "措施", "owner_id": t.other, "due_on": "2026-12-31"});
                app.post("/api/v1/measures", token, body).await
            }
            UpdateMeasure => {
                let v = self.measure_version(id).await;
                let path = format!("/api/v1/measures/{id}");
                app.patch(&path, token, Some(&format!("\"v{v}\"")), json!({"status": "in_progress"})).await
            }
            MyMeasures => app.get("/api/v1/me/measures", token).await,
            ComplianceMeetings => app.get(&format!("/api/v1/compliance/meetings?{range}"), token).await,
            SetNorms => {
                let body = json!([{"org_kind": "group", "session_kind": "group_meeting", "period": "month", "required_count": 1}]);
                let v = self.norms_version().await;
                put(app, "/api/v1/meeting-norms", token, Some(&format!("\"v{v}\"")), body).await
            }
        };
        (rest_outcome(r.status, &r.text()), r.status, r.body)
    }

    async fn gql(&self, token: Option<&str>, op: Op, t: Target) -> (Outcome, Value) {
        let app = &self.f.app;
        let vars = json!({"id": t.id.to_string(), "other": t.other.to_string()});
        let q = match op {
            ReadSession => "query($id: ID!) { studySession(id: $id) { topic } }".to_owned(),
            ListSessionsOfOrg => "query($id: ID!) { studySessions(organizationId: $id) { totalCount } }".to_owned(),
            CreateSession => "mutation($id: ID!) { createStudySession(input: {organizationId: $id, kind: THEME_DAY, topic: \"主题党日\", heldAt: \"2026-05-01T01:00:00Z\"}) { id } }".to_owned(),
            UpdateSession => {
                let v = self.session_version(t.id).await;
                format!("mutation($id: ID!) {{ updateStudySession(id: $id, expectedVersion: {v}, input: {{place: \"会议室\"}}) {{ version }} }}")
            }
            CheckIn => "mutation($id: ID!) { checkIn(sessionId: $id) { status } }".to_owned(),
            MarkAttendance => {
                let v = self.attendance_version(t.id, t.other).await;
                format!("mutation($id: ID!, $other: ID!) {{ markAttendance(sessionId: $id, personId: $other, expectedVersion: {v}, input: {{status: PRESENT}}) {{ status }} }}")
            }
            WriteStatement => "mutation($id: ID!) { createStatement(sessionId: $id, text: \"学习体会\") { id } }".to_owned(),
            AttendanceRate => "query($id: ID!) { attendanceRate(organizationId: $id, from: \"2026-01-01\", to: \"2026-03-31\") { sessions } }".to_owned(),
            ReadMeasure => "query($id: ID!) { measure(id: $id) { title } }".to_owned(),
            CreateMeasure => format!("mutation($id: ID!, $other: ID!) {{ createMeasure(input: {{sourceKind: CAMPAIGN, sourceId: \"{}\", organizationId: $id, title: \"措施\", ownerId: $other, dueOn: \"2026-12-31\"}}) {{ id }} }}", Uuid::now_v7()),
            UpdateMeasure => {
                let v = self.measure_version(t.id).await;
                format!("mutation($id: ID!) {{ updateMeasure(id: $id, expectedVersion: {v}, input: {{status: IN_PROGRESS}}) {{ status }} }}")
            }
            MyMeasures => "{ myMeasures { totalCount } }".to_owned(),
            ComplianceMeetings => "query($id: ID!) { compliance(organizationId: $id, from: \"2026-01-01\", to: \"2026-03-31\") { meetings { held } } }".to_owned(),
            SetNorms => {
                let v = self.norms_version().await;
                format!("mutation {{ setMeetingNorms(expectedVersion: {v}, norms: [{{orgKind: GROUP, sessionKind: GROUP_MEETING, period: MONTH, requiredCount: 1}}]) {{ id }} }}")
            }
        };
        let vars = if q.contains("$id") { vars } else { json!({}) };
        let v = app.gql(token, &q, vars).await;
        let err = json!({"code": v["errors"][0]["extensions"]["code"], "message": v["errors"][0]["message"]});
        (gql_outcome(&v), err)
    }
}

#[actix_web::test]
async fn study_operation_role_relationship_table_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let mut tokens = HashMap::new();
    for who in ["admin", "orgadmin_b1", "inspector_gb", "member_b1", "hr"] {
        tokens.insert(who, f.token(who).await);
    }
    let (g1_person, member_g1) = crate::participation::member_of_new_group(&f).await;
    tokens.insert("member_g1", member_g1);
    tokens.insert("member_b2", f.add_member("member_b2", f.p_b2, f.b2).await);
    tokens.insert("hr_study", f.client_token("study", &["study:read"], f.gb).await);
    let own_person =
        HashMap::from([("orgadmin_b1", f.p_orgadmin_b1), ("member_b1", f.p_member_b1), ("member_g1", g1_person)]);
    let ctx = Ctx { f, tokens, own_person };

    run_authz_table("study", &ctx, &ctx.tokens, TABLE).await;
}
