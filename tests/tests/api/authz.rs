//! The authorisation table: every role × operation × relationship (own, inside scope,
//! outside scope) → expected outcome, checked over REST and over GraphQL, and every
//! NOT_FOUND compared byte for byte with the answer for a random id.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{AuthzTable, Fixture, Outcome, gql_code, gql_outcome, rest_outcome, run_authz_table};

use Outcome::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ReadPerson,
    UpdatePerson,
    ListPeopleOfOrg,
    ReadOrg,
    CreateOrgUnder,
    RenameOrg,
    ReadUserOfPerson,
    CreateServiceClient,
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
    ("admin", ReadPerson, InScope, Ok),
    ("admin", ReadPerson, OutOfScope, Ok),
    ("admin", UpdatePerson, InScope, Ok),
    ("admin", UpdatePerson, OutOfScope, Ok),
    ("admin", ListPeopleOfOrg, OutOfScope, Ok),
    ("admin", ReadOrg, OutOfScope, Ok),
    ("admin", CreateOrgUnder, InScope, Ok),
    ("admin", CreateOrgUnder, OutOfScope, Ok),
    ("admin", RenameOrg, InScope, Ok),
    ("admin", RenameOrg, OutOfScope, Ok),
    ("admin", ReadUserOfPerson, InScope, Ok),
    ("admin", CreateServiceClient, NoTarget, Ok),
    ("orgadmin_b1", ReadPerson, Own, Ok),
    ("orgadmin_b1", ReadPerson, InScope, Ok),
    ("orgadmin_b1", ReadPerson, OutOfScope, NotFound),
    ("orgadmin_b1", UpdatePerson, Own, Ok),
    ("orgadmin_b1", UpdatePerson, InScope, Ok),
    ("orgadmin_b1", UpdatePerson, OutOfScope, NotFound),
    ("orgadmin_b1", ListPeopleOfOrg, InScope, Ok),
    ("orgadmin_b1", ListPeopleOfOrg, OutOfScope, NotFound),
    ("orgadmin_b1", ReadOrg, InScope, Ok),
    ("orgadmin_b1", ReadOrg, OutOfScope, NotFound),
    ("orgadmin_b1", CreateOrgUnder, InScope, Ok),
    ("orgadmin_b1", CreateOrgUnder, OutOfScope, NotFound),
    ("orgadmin_b1", RenameOrg, InScope, Ok),
    ("orgadmin_b1", RenameOrg, OutOfScope, NotFound),
    ("orgadmin_b1", ReadUserOfPerson, InScope, Ok),
    ("orgadmin_b1", ReadUserOfPerson, OutOfScope, NotFound),
    ("orgadmin_b1", CreateServiceClient, NoTarget, Forbidden),
    ("inspector_gb", ReadPerson, InScope, Ok),
    ("inspector_gb", ReadPerson, OutOfScope, NotFound),
    ("inspector_gb", UpdatePerson, InScope, Forbidden),
    ("inspector_gb", UpdatePerson, OutOfScope, Forbidden),
    ("inspector_gb", ListPeopleOfOrg, InScope, Ok),
    ("inspector_gb", ListPeopleOfOrg, OutOfScope, NotFound),
    ("inspector_gb", ReadOrg, InScope, Ok),
    ("inspector_gb", ReadOrg, OutOfScope, NotFound),
    ("inspector_gb", CreateOrgUnder, InScope, Forbidden),
    ("inspector_gb", RenameOrg, InScope, Forbidden),
    ("inspector_gb", ReadUserOfPerson, InScope, Ok),
    ("inspector_gb", ReadUserOfPerson, OutOfScope, NotFound),
    ("inspector_gb", CreateServiceClient, NoTarget, Forbidden),
    ("member_b1", ReadPerson, Own, Ok),
    ("member_b1", ReadPerson, InScope, Ok),
    ("member_b1", ReadPerson, OutOfScope, NotFound),
    ("member_b1", UpdatePerson, Own, Forbidden),
    ("member_b1", UpdatePerson, InScope, Forbidden),
    ("member_b1", UpdatePerson, OutOfScope, Forbidden),
    ("member_b1", ListPeopleOfOrg, InScope, Ok),
    ("member_b1", ListPeopleOfOrg, OutOfScope, NotFound),
    ("member_b1", ReadOrg, InScope, Ok),
    ("member_b1", ReadOrg, OutOfScope, NotFound),
    ("member_b1", CreateOrgUnder, InScope, Forbidden),
    ("member_b1", RenameOrg, InScope, Forbidden),
    ("member_b1", ReadUserOfPerson, Own, Ok),
    ("member_b1", ReadUserOfPerson, InScope, Forbidden),
    ("member_b1", CreateServiceClient, NoTarget, Forbidden),
    ("hr", ReadPerson, InScope, Ok),
    ("hr", ReadPerson, OutOfScope, NotFound),
    ("hr", UpdatePerson, InScope, Forbidden),
    ("hr", ListPeopleOfOrg, InScope, Ok),
    ("hr", ListPeopleOfOrg, OutOfScope, NotFound),
    ("hr", ReadOrg, InScope, Ok),
    ("hr", ReadOrg, OutOfScope, NotFound),
    ("hr", CreateOrgUnder, InScope, Forbidden),
    ("hr", RenameOrg, InScope, Forbidden),
    ("hr", ReadUserOfPerson, InScope, Forbidden),
    ("hr", CreateServiceClient, NoTarget, Forbidden),
    // `people:write` over the general branch: writes people there (and reads them and
    // the tree they sit in).
    ("hr_writer", ReadPerson, InScope, Ok),
    ("hr_writer", ReadPerson, OutOfScope, NotFound),
    ("hr_writer", UpdatePerson, InScope, Ok),
    ("hr_writer", UpdatePerson, OutOfScope, NotFound),
    ("hr_writer", ListPeopleOfOrg, InScope, Ok),
    ("hr_writer", ListPeopleOfOrg, OutOfScope, NotFound),
    ("hr_writer", ReadOrg, InScope, Ok),
    ("hr_writer", ReadOrg, OutOfScope, NotFound),
    ("hr_writer", CreateOrgUnder, InScope, Forbidden),
    ("hr_writer", RenameOrg, InScope, Forbidden),
    ("hr_writer", ReadUserOfPerson, InScope, Forbidden),
    ("hr_writer", CreateServiceClient, NoTarget, Forbidden),
    ("anonymous", ReadPerson, InScope, Unauthenticated),
    ("anonymous", UpdatePerson, InScope, Unauthenticated),
    ("anonymous", ReadOrg, InScope, Unauthenticated),
    ("anonymous", CreateOrgUnder, InScope, Unauthenticated),
    ("anonymous", CreateServiceClient, NoTarget, Unauthenticated),
];

struct Ctx {
    f: Fixture,
    tokens: HashMap<&'static str, String>,
    admin: String,
    /// A group under b1 (renamed by the in-scope rows).
    group_b1: Uuid,
    /// The fixture people's own person per login.
    own: HashMap<&'static str, Uuid>,
}

impl Ctx {
    async fn version(&self, path: &str) -> i64 {
        self.f.app.get(path, Some(&self.admin)).await.json()["version"].as_i64().unwrap_or(1)
    }
}

impl AuthzTable for Ctx {
    type Op = Op;
    type Rel = Rel;
    type Target = Uuid;
    const OUT_OF_SCOPE: Rel = OutOfScope;

    fn random(&self, _t: Uuid) -> Uuid {
        Uuid::now_v7()
    }

    fn compare_with_random(&self, op: Op) -> bool {
        op != ReadUserOfPerson
    }

    async fn target(&self, who: &str, op: Op, rel: Rel) -> Uuid {
        let f = &self.f;
        let person_ops = matches!(op, ReadPerson | UpdatePerson | ReadUserOfPerson);
        match (rel, person_ops) {
            (Own, true) => self.own[who],
            (InScope, true) if op == ReadUserOfPerson => f.p_orgadmin_b1,
            (Own, false) => f.b1,
            (InScope, true) => f.p_other_b1,
            (OutOfScope, true) => f.p_b3,
            (InScope, false) if op == RenameOrg => self.group_b1,
            (InScope, false) => f.b1,
            (OutOfScope, false) => f.b3,
            (NoTarget, _) => Uuid::nil(),
        }
    }

    /// Runs `op` over REST; returns the outcome and the raw answer.
    async fn rest(&self, token: Option<&str>, op: Op, id: Uuid) -> (Outcome, StatusCode, Vec<u8>) {
        let app = &self.f.app;
        let r = match op {
            ReadPerson => app.get(&format!("/api/v1/people/{id}"), token).await,
            UpdatePerson => {
                let path = format!("/api/v1/people/{id}");
                let v = self.version(&path).await;
                app.patch(&path, token, Some(&format!("\"v{v}\"")), json!({"position": "工程师"})).await
            }
            ListPeopleOfOrg => app.get(&format!("/api/v1/people?organization_id={id}"), token).await,
            ReadOrg => app.get(&format!("/api/v1/organizations/{id}"), token).await,
            CreateOrgUnder => {
                app.post("/api/v1/organizations", token, json!({"parent_id": id, "name": "新党小组", "kind": "group"}))
                    .await
            }
            RenameOrg => {
                let path = format!("/api/v1/organizations/{id}");
                let v = self.version(&path).await;
                app.patch(&path, token, Some(&format!("\"v{v}\"")), json!({"name": "改名党小组"})).await
            }
            ReadUserOfPerson => {
                let user = self.f.app.get(&format!("/api/v1/users?person_id={id}"), Some(&self.admin)).await.json();
                let uid = user["items"][0]["id"].as_str().map(str::to_owned).unwrap_or_else(|| id.to_string());
                app.get(&format!("/api/v1/users/{uid}"), token).await
            }
            CreateServiceClient => {
                app.post("/api/v1/service-clients", token, json!({"name": "mobile", "scopes": ["people:read"]})).await
            }
        };
        (rest_outcome(r.status, &r.text()), r.status, r.body)
    }

    /// Runs `op` over GraphQL; returns the outcome and the first error (code + message).
    async fn gql(&self, token: Option<&str>, op: Op, id: Uuid) -> (Outcome, Value) {
        let app = &self.f.app;
        let id_s = id.to_string();
        let v = match op {
            ReadPerson => app.gql(token, "query($id: ID!) { person(id: $id) { name } }", json!({"id": id_s})).await,
            UpdatePerson => {
                let ver = self.version(&format!("/api/v1/people/{id}")).await;
                app.gql(
                    token,
                    "mutation($id: ID!, $v: Int!) { updatePerson(id: $id, expectedVersion: $v, input: {position: \"高工\"}) { version } }",
                    json!({"id": id_s, "v": ver}),
                )
                .await
            }
            ListPeopleOfOrg => {
                app.gql(token, "query($id: ID!) { people(organizationId: $id) { totalCount } }", json!({"id": id_s})).await
            }
            ReadOrg => app.gql(token, "query($id: ID!) { organization(id: $id) { name } }", json!({"id": id_s})).await,
            CreateOrgUnder => {
                app.gql(
                    token,
                    "mutation($id: ID!) { createOrganization(input: {parentId: $id, name: \"另一党小组\", kind: GROUP}) { id } }",
                    json!({"id": id_s}),
                )
                .await
            }
            RenameOrg => {
                let ver = self.version(&format!("/api/v1/organizations/{id}")).await;
                app.gql(
                    token,
                    "mutation($id: ID!, $v: Int!) { updateOrganization(id: $id, expectedVersion: $v, input: {name: \"再改名\"}) { version } }",
                    json!({"id": id_s, "v": ver}),
                )
                .await
            }
            ReadUserOfPerson => {
                app.gql(token, "query($id: ID!) { person(id: $id) { user { username } } }", json!({"id": id_s})).await
            }
            CreateServiceClient => {
                app.gql(
                    token,
                    "mutation { createServiceClient(input: {name: \"m\", scopes: [\"people:read\"]}) { clientSecret } }",
                    json!({}),
                )
                .await
            }
        };
        let mut outcome = gql_outcome(&v);
        // A nested field the caller may not see resolves to null rather than an error.
        if op == ReadUserOfPerson && outcome == Ok && v["data"]["person"]["user"].is_null() {
            outcome = Forbidden;
        }
        let err = json!({"code": v["errors"][0]["extensions"]["code"], "message": v["errors"][0]["message"]});
        (outcome, err)
    }
}

#[actix_web::test]
async fn role_operation_relationship_table_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let mut tokens = HashMap::new();
    for who in ["admin", "orgadmin_b1", "inspector_gb", "member_b1", "hr"] {
        tokens.insert(who, f.token(who).await);
    }
    tokens.insert("hr_writer", f.client_token("writer", &["people:write"], f.gb).await);
    let group = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.b1, "name": "项目党小组", "kind": "group"}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text());
    let group_b1 = group.json()["id"].as_str().unwrap().parse().unwrap();
    let own = HashMap::from([("orgadmin_b1", f.p_orgadmin_b1), ("member_b1", f.p_member_b1)]);
    let ctx = Ctx { f, tokens, admin, group_b1, own };

    run_authz_table("role", &ctx, &ctx.tokens, TABLE).await;
}

#[actix_web::test]
async fn members_cannot_call_any_admin_mutation() {
    let f = Fixture::new().await;
    let t = f.token("member_b1").await;
    let id = f.p_other_b1;
    let mutations = [
        format!(
            "mutation {{ createOrganization(input: {{parentId: \"{}\", name: \"x\", kind: GROUP}}) {{ id }} }}",
            f.b1
        ),
        format!(
            "mutation {{ updateOrganization(id: \"{}\", expectedVersion: 1, input: {{name: \"x\"}}) {{ id }} }}",
            f.b1
        ),
        format!(
            "mutation {{ moveOrganization(id: \"{}\", expectedVersion: 1, parentId: \"{}\") {{ id }} }}",
            f.b1, f.b3
        ),
        format!("mutation {{ deleteOrganization(id: \"{}\", expectedVersion: 1) }}", f.b2),
        format!(
            "mutation {{ createPerson(input: {{organizationId: \"{}\", name: \"x\", employeeNo: \"X1\"}}) {{ id }} }}",
            f.b1
        ),
        format!("mutation {{ updatePerson(id: \"{id}\", expectedVersion: 1, input: {{name: \"x\"}}) {{ id }} }}"),
        format!(
            "mutation {{ transferPerson(id: \"{id}\", expectedVersion: 1, input: {{toOrganizationId: \"{}\"}}) {{ id }} }}",
            f.b2
        ),
        format!(
            "mutation {{ createUser(input: {{username: \"xx_user\", password: \"Abcdefg-123\", personId: \"{id}\"}}) {{ id }} }}"
        ),
        format!(
            "mutation {{ setUserDisabled(id: \"{}\", expectedVersion: 1, disabled: true) {{ id }} }}",
            f.u_orgadmin_b2
        ),
        format!("mutation {{ resetUserPassword(id: \"{}\", password: \"Abcdefg-123\") {{ id }} }}", f.u_orgadmin_b2),
        format!("mutation {{ assignRole(input: {{userId: \"{}\", role: ADMIN}}) {{ id }} }}", f.u_member_b1),
        format!("mutation {{ revokeRole(id: \"{}\") }}", Uuid::now_v7()),
        "mutation { createServiceClient(input: {name: \"x\", scopes: []}) { clientSecret } }".to_owned(),
        format!(
            "mutation {{ updateServiceClient(id: \"{}\", expectedVersion: 1, input: {{disabled: true}}) {{ id }} }}",
            Uuid::now_v7()
        ),
        format!("mutation {{ rotateServiceClientSecret(id: \"{}\") {{ clientSecret }} }}", Uuid::now_v7()),
    ];
    for m in &mutations {
        let v = f.app.gql(Some(&t), m, json!({})).await;
        let code = gql_code(&v);
        assert!(matches!(code.as_deref(), Some("FORBIDDEN") | Some("NOT_FOUND")), "member must not run {m}: {v}");
        assert!(v["data"].is_null(), "no data for {m}: {v}");
    }
    // Nothing changed: the member still holds only the member role.
    let me = f.app.get("/api/v1/me", Some(&t)).await.json();
    assert_eq!(me["roles"].as_array().unwrap().len(), 1);
}
