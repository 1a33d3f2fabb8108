//! Implementation measures: ownership rules, status transitions, overdue at boundary
//! dates, and the mobile app's own list.

use actix_web::http::StatusCode;
use chrono::{Duration, NaiveDate};
use dangjian::auth::Actor;
use dangjian::services::types::Id;
use dangjian::services::{
    self,
    measures::{MeasurePatch, MeasureStatus, MeasureView, NewMeasure, SourceKind},
};
use serde_json::json;
use uuid::Uuid;

use crate::common::{Fixture, gql_code};

/// Creates a measure straight through the service (system actor).
pub async fn measure(f: &Fixture, org: Uuid, owner: Uuid, due_on: NaiveDate) -> MeasureView {
    services::measures::create(
        f.app.db(),
        &Actor::system(),
        f.app.state.settings.today(),
        NewMeasure {
            source_kind: SourceKind::Campaign,
            source_id: Id(Uuid::now_v7()),
            organization_id: Id(org),
            title: "建立科技攻关党员责任区".into(),
            description: None,
            owner_id: Id(owner),
            due_on,
        },
    )
    .await
    .unwrap()
}

#[actix_web::test]
async fn member_updates_own_measure_not_anothers() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let member = f.token("member_b1").await;
    let oa = f.token("orgadmin_b1").await;
    let due = today + Duration::days(30);
    let own = measure(&f, f.b1, f.p_member_b1, due).await;
    let others = measure(&f, f.b1, f.p_other_b1, due).await;
    let outside = measure(&f, f.b3, f.p_b3, due).await;
    let path = |m: &MeasureView| format!("/api/v1/measures/{}", m.id);

    let r = f.app.patch(&path(&own), Some(&member), Some("\"v1\""), json!({"status": "in_progress"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f.app.patch(&path(&own), Some(&member), Some("\"v2\""), json!({"title": "改标题"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "owners change only the status");
    let r = f.app.patch(&path(&others), Some(&member), Some("\"v1\""), json!({"status": "in_progress"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "visible but someone else's");
    let r = f.app.patch(&path(&outside), Some(&member), Some("\"v1\""), json!({"status": "in_progress"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not visible");
    let random = f
        .app
        .patch(
            &format!("/api/v1/measures/{}", Uuid::now_v7()),
            Some(&member),
            Some("\"v1\""),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(r.body, random.body);

    // Progress update with a status change: done sets completed_on.
    let r = f
        .app
        .post(&format!("{}/updates", path(&own)), Some(&member), json!({"text": "已完成攻关", "status": "done"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["status_to"], "done");
    let m = f.app.get(&path(&own), Some(&member)).await.json();
    assert_eq!(m["status"], "done");
    assert_eq!(m["completed_on"], today.to_string());
    let r = f.app.post(&format!("{}/updates", path(&others)), Some(&member), json!({"text": "代为汇报"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // done is final.
    let r = f.app.patch(&path(&own), Some(&member), Some("\"v3\""), json!({"status": "todo"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // todo → done skips in_progress.
    let r = f.app.patch(&path(&others), Some(&oa), Some("\"v1\""), json!({"status": "done"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Members neither delete nor create; the org_admin manages in scope only.
    assert_eq!(f.app.delete(&path(&own), Some(&member), Some("\"v3\"")).await.status, StatusCode::FORBIDDEN);
    let new = |org: Uuid, owner: Uuid| json!({"source_kind": "campaign", "source_id": Uuid::now_v7(), "organization_id": org, "title": "新措施", "owner_id": owner, "due_on": due});
    assert_eq!(
        f.app.post("/api/v1/measures", Some(&member), new(f.b1, f.p_member_b1)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = f.app.post("/api/v1/measures", Some(&oa), new(f.b1, f.p_member_b1)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(f.app.post("/api/v1/measures", Some(&oa), new(f.b3, f.p_b3)).await.status, StatusCode::NOT_FOUND);
    let r = f
        .app
        .patch(&path(&others), Some(&oa), Some("\"v1\""), json!({"title": "改标题", "status": "in_progress"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(f.app.delete(&path(&others), Some(&oa), Some("\"v2\"")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.get(&path(&others), Some(&oa)).await.status, StatusCode::NOT_FOUND);

    // GraphQL: the same rules.
    let q = "mutation($id: ID!) { updateMeasure(id: $id, expectedVersion: 1, input: {status: IN_PROGRESS}) { status owner { name } } }";
    let v = f.app.gql(Some(&member), q, json!({"id": outside.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("NOT_FOUND"));
    let other2 = measure(&f, f.b1, f.p_other_b1, due).await;
    let v = f.app.gql(Some(&member), q, json!({"id": other2.id.to_string()})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("FORBIDDEN"));
    let own2 = measure(&f, f.b1, f.p_member_b1, due).await;
    let v = f.app.gql(Some(&member), q, json!({"id": own2.id.to_string()})).await;
    assert_eq!(v["data"]["updateMeasure"]["status"], "IN_PROGRESS", "{v}");
}

#[actix_web::test]
async fn overdue_at_boundary_dates() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let yesterday = today - Duration::days(1);
    let due_today = measure(&f, f.b1, f.p_member_b1, today).await;
    let due_yesterday = measure(&f, f.b1, f.p_member_b1, yesterday).await;
    let done = measure(&f, f.b1, f.p_member_b1, yesterday).await;
    let sys = Actor::system();
    let mut version = done.version;
    for status in [MeasureStatus::InProgress, MeasureStatus::Done] {
        let patch = MeasurePatch { status: Some(status), ..Default::default() };
        version = services::measures::update(f.app.db(), &sys, today, *done.id, version, patch).await.unwrap().version;
    }
    // Someone else's overdue measure does not show in "my" list.
    measure(&f, f.b1, f.p_other_b1, yesterday).await;

    assert!(!due_today.overdue, "due today is not overdue");
    assert!(due_yesterday.overdue, "due yesterday is overdue");
    let member = f.token("member_b1").await;
    let r = f.app.get("/api/v1/me/measures?overdue=true", Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], due_yesterday.id.to_string());
    let r = f.app.get("/api/v1/me/measures?overdue=false", Some(&member)).await.json();
    let ids: Vec<&str> = r["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&due_today.id.to_string().as_str()) && ids.contains(&done.id.to_string().as_str()));
    let done_view = f.app.get(&format!("/api/v1/measures/{}", done.id), Some(&member)).await.json();
    assert_eq!(done_view["overdue"], false, "done is never overdue");
    let r = f.app.get("/api/v1/me/measures?status=done", Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);

    let v = f
        .app
        .gql(Some(&member), "{ myMeasures(overdue: true) { totalCount edges { node { overdue dueOn } } } }", json!({}))
        .await;
    assert_eq!(v["data"]["myMeasures"]["totalCount"], 1, "{v}");
    assert_eq!(v["data"]["myMeasures"]["edges"][0]["node"]["overdue"], true);
    // The org_admin's overdue filter covers everyone in scope.
    let oa = f.token("orgadmin_b1").await;
    let v = f.app.gql(Some(&oa), "{ measures(overdue: true) { totalCount } }", json!({})).await;
    assert_eq!(v["data"]["measures"]["totalCount"], 2, "{v}");
    // A service client owns nothing.
    let hr = f.token("hr").await;
    assert_eq!(f.app.get("/api/v1/me/measures", Some(&hr)).await.status, StatusCode::FORBIDDEN);
}
