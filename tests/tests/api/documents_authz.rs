//! The knowledge base's authorisation table: every document operation × role ×
//! relationship → expected outcome, over REST and GraphQL, with every out-of-scope
//! NOT_FOUND compared with the answer for a random id.
//!
//! Relationships: `InScope` is a subtree-visible document of branch b1; `OutOfScope`
//! one of b3 (a sibling of b1's general branch); `Above` a document the group committee
//! shares with everyone (readable by all, writable by no org_admin below it).

use dangjian::services::types::Id;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use dangjian::auth::Actor;
use dangjian::services::{
    documents::{self, NewDocument},
    types::{DocumentKind, Visibility},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{AuthzTable, Fixture, Outcome, gql_outcome, rest_outcome, run_authz_table};

use Outcome::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ReadPublished,
    ReadDraft,
    CreateDocument,
    UpdateDraft,
    PublishDraft,
    DeleteDraft,
    Revise,
    Archive,
    Revisions,
    RecordReading,
    ListAttachments,
    Search,
    MyStudyRecord,
    StudyFigures,
}
use Op::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    InScope,
    OutOfScope,
    Above,
    NoTarget,
}
use Rel::*;

/// (who, operation, relationship, expected)
const TABLE: &[(&str, Op, Rel, Outcome)] = &[
    ("admin", ReadPublished, OutOfScope, Ok),
    ("admin", ReadDraft, OutOfScope, Ok),
    ("admin", CreateDocument, OutOfScope, Ok),
    ("admin", UpdateDraft, OutOfScope, Ok),
    ("admin", PublishDraft, OutOfScope, Ok),
    ("admin", DeleteDraft, OutOfScope, Ok),
    ("admin", Revise, OutOfScope, Ok),
    ("admin", Archive, Above, Ok),
    ("admin", Revisions, OutOfScope, Ok),
    ("admin", RecordReading, InScope, Forbidden),
    ("admin", ListAttachments, OutOfScope, Ok),
    ("admin", Search, NoTarget, Ok),
    ("admin", MyStudyRecord, NoTarget, Forbidden),
    ("admin", StudyFigures, OutOfScope, Ok),
    ("orgadmin_b1", ReadPublished, InScope, Ok),
    ("orgadmin_b1", ReadPublished, Above, Ok),
    ("orgadmin_b1", ReadPublished, OutOfScope, NotFound),
    ("orgadmin_b1", ReadDraft, InScope, Ok),
    ("orgadmin_b1", ReadDraft, OutOfScope, NotFound),
    ("orgadmin_b1", CreateDocument, InScope, Ok),
    ("orgadmin_b1", CreateDocument, OutOfScope, Invalid),
    ("orgadmin_b1", UpdateDraft, InScope, Ok),
    ("orgadmin_b1", UpdateDraft, OutOfScope, NotFound),
    ("orgadmin_b1", PublishDraft, InScope, Ok),
    ("orgadmin_b1", PublishDraft, OutOfScope, NotFound),
    ("orgadmin_b1", DeleteDraft, InScope, Ok),
    ("orgadmin_b1", DeleteDraft, OutOfScope, NotFound),
    ("orgadmin_b1", Revise, InScope, Ok),
    ("orgadmin_b1", Revise, Above, Forbidden),
    ("orgadmin_b1", Revise, OutOfScope, NotFound),
    ("orgadmin_b1", Archive, InScope, Ok),
    ("orgadmin_b1", Archive, Above, Forbidden),
    ("orgadmin_b1", Archive, OutOfScope, NotFound),
    ("orgadmin_b1", Revisions, InScope, Ok),
    ("orgadmin_b1", Revisions, OutOfScope, NotFound),
    ("orgadmin_b1", RecordReading, InScope, Ok),
    ("orgadmin_b1", RecordReading, OutOfScope, NotFound),
    ("orgadmin_b1", ListAttachments, InScope, Ok),
    ("orgadmin_b1", ListAttachments, OutOfScope, NotFound),
    ("orgadmin_b1", Search, NoTarget, Ok),
    ("orgadmin_b1", MyStudyRecord, NoTarget, Ok),
    ("orgadmin_b1", StudyFigures, InScope, Ok),
    ("orgadmin_b1", StudyFigures, OutOfScope, NotFound),
    ("inspector_gb", ReadPublished, InScope, Ok),
    ("inspector_gb", ReadPublished, OutOfScope, NotFound),
    ("inspector_gb", ReadDraft, InScope, NotFound),
    ("inspector_gb", CreateDocument, InScope, Forbidden),
    ("inspector_gb", UpdateDraft, InScope, Forbidden),
    ("inspector_gb", PublishDraft, InScope, Forbidden),
    ("inspector_gb", DeleteDraft, InScope, Forbidden),
    ("inspector_gb", Revise, InScope, Forbidden),
    ("inspector_gb", Archive, InScope, Forbidden),
    ("inspector_gb", Revisions, InScope, Ok),
    ("inspector_gb", Revisions, OutOfScope, NotFound),
    ("inspector_gb", RecordReading, InScope, Ok),
    ("inspector_gb", RecordReading, OutOfScope, NotFound),
    ("inspector_gb", ListAttachments, InScope, Ok),
    ("inspector_gb", ListAttachments, OutOfScope, NotFound),
    ("inspector_gb", Search, NoTarget, Ok),
    ("inspector_gb", MyStudyRecord, NoTarget, Ok),
    ("inspector_gb", StudyFigures, InScope, Ok),
    ("inspector_gb", StudyFigures, OutOfScope, NotFound),
    ("member_b1", ReadPublished, InScope, Ok),
    ("member_b1", ReadPublished, Above, Ok),
    ("member_b1", ReadPublished, OutOfScope, NotFound),
    ("member_b1", ReadDraft, InScope, NotFound),
    ("member_b1", CreateDocument, InScope, Forbidden),
    ("member_b1", UpdateDraft, InScope, Forbidden),
    ("member_b1", PublishDraft, InScope, Forbidden),
    ("member_b1", DeleteDraft, InScope, Forbidden),
    ("member_b1", Revise, InScope, Forbidden),
    ("member_b1", Archive, InScope, Forbidden),
    ("member_b1", Revisions, InScope, Ok),
    ("member_b1", Revisions, OutOfScope, NotFound),
    ("member_b1", RecordReading, InScope, Ok),
    ("member_b1", RecordReading, Above, Ok),
    ("member_b1", RecordReading, OutOfScope, NotFound),
    ("member_b1", ListAttachments, InScope, Ok),
    ("member_b1", ListAttachments, OutOfScope, NotFound),
    ("member_b1", Search, NoTarget, Ok),
    ("member_b1", MyStudyRecord, NoTarget, Ok),
    ("member_b1", StudyFigures, InScope, Forbidden),
    ("hr", ReadPublished, InScope, Forbidden),
    ("hr", ReadDraft, InScope, Forbidden),
    ("hr", CreateDocument, InScope, Forbidden),
    ("hr", UpdateDraft, InScope, Forbidden),
    ("hr", PublishDraft, InScope, Forbidden),
    ("hr", DeleteDraft, InScope, Forbidden),
    ("hr", Revise, InScope, Forbidden),
    ("hr", Archive, InScope, Forbidden),
    ("hr", Revisions, InScope, Forbidden),
    ("hr", RecordReading, InScope, Forbidden),
    ("hr", ListAttachments, InScope, Forbidden),
    ("hr", Search, NoTarget, Forbidden),
    ("hr", MyStudyRecord, NoTarget, Forbidden),
    ("hr", StudyFigures, InScope, Forbidden),
    // `study:read` opens the study figures of its subtree, not the documents themselves.
    ("hr_study", StudyFigures, InScope, Ok),
    ("hr_study", StudyFigures, OutOfScope, NotFound),
    ("hr_study", ReadPublished, InScope, Forbidden),
    ("hr_study", Search, NoTarget, Forbidden),
    ("hr_study", RecordReading, InScope, Forbidden),
    ("anonymous", ReadPublished, InScope, Unauthenticated),
    ("anonymous", ReadDraft, InScope, Unauthenticated),
    ("anonymous", CreateDocument, InScope, Unauthenticated),
    ("anonymous", UpdateDraft, InScope, Unauthenticated),
    ("anonymous", PublishDraft, InScope, Unauthenticated),
    ("anonymous", DeleteDraft, InScope, Unauthenticated),
    ("anonymous", Revise, InScope, Unauthenticated),
    ("anonymous", Archive, InScope, Unauthenticated),
    ("anonymous", Revisions, InScope, Unauthenticated),
    ("anonymous", RecordReading, InScope, Unauthenticated),
    ("anonymous", ListAttachments, InScope, Unauthenticated),
    ("anonymous", Search, NoTarget, Unauthenticated),
    ("anonymous", MyStudyRecord, NoTarget, Unauthenticated),
    ("anonymous", StudyFigures, InScope, Unauthenticated),
];

/// A fresh target of `op` for `rel`: a document id, or an organisation id.
async fn target(f: &Fixture, op: Op, rel: Rel) -> Uuid {
    let (org, visibility) = match rel {
        OutOfScope => (f.b3, Visibility::Subtree),
        Above => (f.root, Visibility::Everyone),
        InScope | NoTarget => (f.b1, Visibility::Subtree),
    };
    if matches!(op, CreateDocument | StudyFigures | Search | MyStudyRecord) {
        return org;
    }
    let sys = Actor::system();
    let input = NewDocument {
        kind: DocumentKind::Policy,
        title: "关于加强科技创新工作的意见".into(),
        issuing_body: None,
        issued_on: None,
        body: "坚持创新驱动发展。".into(),
        summary: None,
        tags: vec![],
        organization_id: Id(org),
        visibility: Some(visibility),
    };
    let d = documents::create(f.app.db(), &sys, input).await.unwrap();
    if matches!(op, ReadDraft | UpdateDraft | PublishDraft | DeleteDraft) {
        return *d.id;
    }
    *documents::publish(f.app.db(), &sys, *d.id, d.version).await.unwrap().id
}

async fn version(f: &Fixture, id: Uuid) -> i32 {
    documents::get(f.app.db(), &Actor::system(), id).await.map(|d| d.version).unwrap_or(1)
}

async fn rest(f: &Fixture, token: Option<&str>, op: Op, id: Uuid) -> (Outcome, StatusCode, Vec<u8>) {
    let app = &f.app;
    let doc = format!("/api/v1/documents/{id}");
    let etag = format!("\"v{}\"", version(f, id).await);
    let r = match op {
        ReadPublished | ReadDraft => app.get(&doc, token).await,
        CreateDocument => {
            let body = json!({"organization_id": id, "kind": "notice", "title": "通知", "body": "正文"});
            app.post("/api/v1/documents", token, body).await
        }
        UpdateDraft => app.patch(&doc, token, Some(&etag), json!({"title": "新标题"})).await,
        PublishDraft => {
            let req =
                actix_web::test::TestRequest::post().uri(&format!("{doc}/publish")).insert_header(("If-Match", etag));
            let req = match token {
                Some(t) => req.insert_header(("Authorization", format!("Bearer {t}"))),
                None => req,
            };
            app.send(req).await
        }
        DeleteDraft => app.delete(&doc, token, Some(&etag)).await,
        Revise => app.post(&format!("{doc}/revise"), token, json!({})).await,
        Archive => {
            let req =
                actix_web::test::TestRequest::post().uri(&format!("{doc}/archive")).insert_header(("If-Match", etag));
            let req = match token {
                Some(t) => req.insert_header(("Authorization", format!("Bearer {t}"))),
                None => req,
            };
            app.send(req).await
        }
        Revisions => app.get(&format!("{doc}/revisions"), token).await,
        RecordReading => app.post(&format!("{doc}/reading"), token, json!({"seconds": 60, "completed": true})).await,
        ListAttachments => app.get(&format!("{doc}/attachments"), token).await,
        Search => app.get("/api/v1/search?q=%E5%88%9B%E6%96%B0", token).await,
        MyStudyRecord => app.get("/api/v1/me/study-record", token).await,
        StudyFigures => {
            app.get(&format!("/api/v1/study-figures?organization_id={id}&from=2026-01-01&to=2026-12-31"), token).await
        }
    };
    (rest_outcome(r.status, &r.text()), r.status, r.body)
}

async fn gql(f: &Fixture, token: Option<&str>, op: Op, id: Uuid) -> (Outcome, Value) {
    let v = version(f, id).await;
    let q = match op {
        ReadPublished | ReadDraft => "query($id: ID!) { document(id: $id) { title } }".to_owned(),
        CreateDocument => "mutation($id: ID!) { createDocument(input: {organizationId: $id, kind: NOTICE, title: \"通知\", body: \"正文\"}) { id } }".to_owned(),
        UpdateDraft => format!("mutation($id: ID!) {{ updateDocument(id: $id, expectedVersion: {v}, input: {{title: \"新标题\"}}) {{ version }} }}"),
        PublishDraft => format!("mutation($id: ID!) {{ publishDocument(id: $id, expectedVersion: {v}) {{ status }} }}"),
        DeleteDraft => format!("mutation($id: ID!) {{ deleteDocument(id: $id, expectedVersion: {v}) }}"),
        Revise => "mutation($id: ID!) { reviseDocument(id: $id) { revision } }".to_owned(),
        Archive => format!("mutation($id: ID!) {{ archiveDocument(id: $id, expectedVersion: {v}) {{ status }} }}"),
        Revisions => "query($id: ID!) { document(id: $id) { revisions { id } } }".to_owned(),
        RecordReading => "mutation($id: ID!) { recordReading(documentId: $id, seconds: 60, completed: true) { __typename } }".to_owned(),
        ListAttachments => "query($id: ID!) { document(id: $id) { attachments { id } } }".to_owned(),
        Search => "{ search(query: \"创新\") { totalCount } }".to_owned(),
        MyStudyRecord => "{ myStudyRecord { periods { hours } } }".to_owned(),
        StudyFigures => "query($id: ID!) { studyFigures(organizationId: $id, from: \"2026-01-01\", to: \"2026-12-31\") { __typename } }".to_owned(),
    };
    let vars = if q.contains("$id") { json!({"id": id.to_string()}) } else { json!({}) };
    let v = f.app.gql(token, &q, vars).await;
    let err = json!({"code": v["errors"][0]["extensions"]["code"], "message": v["errors"][0]["message"]});
    (gql_outcome(&v), err)
}

/// The knowledge base's operations for the table runner.
struct Docs(Fixture);

impl AuthzTable for Docs {
    type Op = Op;
    type Rel = Rel;
    type Target = Uuid;
    const OUT_OF_SCOPE: Rel = OutOfScope;

    fn random(&self, _t: Uuid) -> Uuid {
        Uuid::now_v7()
    }

    async fn target(&self, _who: &str, op: Op, rel: Rel) -> Uuid {
        target(&self.0, op, rel).await
    }

    async fn rest(&self, token: Option<&str>, op: Op, id: Uuid) -> (Outcome, StatusCode, Vec<u8>) {
        rest(&self.0, token, op, id).await
    }

    async fn gql(&self, token: Option<&str>, op: Op, id: Uuid) -> (Outcome, Value) {
        gql(&self.0, token, op, id).await
    }
}

#[actix_web::test]
async fn document_operation_role_relationship_table_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let mut tokens = HashMap::new();
    for who in ["admin", "orgadmin_b1", "inspector_gb", "member_b1", "hr"] {
        tokens.insert(who, f.token(who).await);
    }
    tokens.insert("hr_study", f.client_token("study", &["study:read"], f.gb).await);
    run_authz_table("knowledge-base", &Docs(f), &tokens, TABLE).await;
}
