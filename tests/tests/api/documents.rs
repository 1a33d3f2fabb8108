//! The knowledge base: lifecycle and revisions, visibility, Chinese full-text search,
//! reading records and study figures.

use actix_web::{http::StatusCode, test};
use dangjian::services::types::Id;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, gql_code, urlencode};

/// Creates and publishes a document as `token`; returns its id.
async fn publish(f: &Fixture, token: &str, body: Value) -> String {
    let r = f.app.post("/api/v1/documents", Some(token), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let tag = r.header("etag").unwrap();
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri(&format!("/api/v1/documents/{id}/publish"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("If-Match", tag.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

fn doc(org: Uuid, kind: &str, title: &str, body: &str) -> Value {
    json!({"organization_id": org, "kind": kind, "title": title, "body": body, "issued_on": "2026-03-01"})
}

#[actix_web::test]
async fn lifecycle_and_revisions() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let member = f.token("member_b1").await;
    let r = f
        .app
        .post("/api/v1/documents", Some(&oa), json!({"organization_id": f.b1, "kind": "regulation", "title": "科技成果奖励办法", "body": "第一条 为激励科技创新……", "tags": ["奖励", "制度", "奖励"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v1 = r.json();
    assert_eq!(v1["status"], "draft");
    assert_eq!(v1["tags"], json!(["制度", "奖励"]));
    let id1 = v1["id"].as_str().unwrap().to_owned();
    // A draft is invisible to readers.
    assert_eq!(f.app.get(&format!("/api/v1/documents/{id1}"), Some(&member)).await.status, StatusCode::NOT_FOUND);
    let tag = r.header("etag").unwrap();
    let publish = |id: String, tag: String| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/documents/{id}/publish"))
            .insert_header(("Authorization", format!("Bearer {oa}")))
            .insert_header(("If-Match", tag))
    };
    let r = f.app.send(publish(id1.clone(), tag.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "published");
    // Published revisions are immutable.
    let etag = r.header("etag").unwrap();
    let r = f.app.patch(&format!("/api/v1/documents/{id1}"), Some(&oa), Some(&etag), json!({"title": "改"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A new revision: draft copy, then publish; the old one is superseded and points to it.
    let r = f.app.post(&format!("/api/v1/documents/{id1}/revise"), Some(&oa), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["revision"], 2);
    let id2 = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        f.app.post(&format!("/api/v1/documents/{id1}/revise"), Some(&oa), json!({})).await.status,
        StatusCode::CONFLICT
    );
    let tag2 = r.header("etag").unwrap();
    let r = f
        .app
        .patch(
            &format!("/api/v1/documents/{id2}"),
            Some(&oa),
            Some(&tag2),
            json!({"title": "科技成果评价及奖励办法（修订）"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = f.app.send(publish(id2.clone(), r.header("etag").unwrap())).await;
    assert_eq!(r.status, StatusCode::OK);
    let old = f.app.get(&format!("/api/v1/documents/{id1}"), Some(&member)).await.json();
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], id2);
    let revs = f.app.get(&format!("/api/v1/documents/{id2}/revisions"), Some(&member)).await.json();
    let titles: Vec<&str> = revs.as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["科技成果奖励办法", "科技成果评价及奖励办法（修订）"]);
    let g = f
        .app
        .gql(Some(&member), "query($id: ID!) { document(id: $id) { status revision supersededBy { revision title } revisions { revision } } }", json!({"id": id1}))
        .await;
    assert_eq!(g["data"]["document"]["supersededBy"]["revision"], 2, "{g}");
    // Members do not write.
    let r = f.app.post("/api/v1/documents", Some(&member), doc(f.b1, "notice", "通知", "内容")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The default list shows the published revision only.
    let list = f.app.get("/api/v1/documents", Some(&member)).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["revision"], 2);
}

#[actix_web::test]
async fn visibility_everyone_subtree_and_scope() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let mut shared = doc(f.root, "speech", "集团党委书记讲话", "共享给全集团");
    shared["visibility"] = json!("subtree");
    let shared_id = publish(&f, &admin, shared).await;
    let mut b2_only = doc(f.b2, "case", "研发二支部案例", "仅二支部可见");
    b2_only["visibility"] = json!("subtree");
    let b2_id = publish(&f, &admin, b2_only).await;
    let public_b2 = publish(&f, &admin, doc(f.b2, "experience", "二支部经验交流", "全员可见")).await;
    let member = f.token("member_b1").await;
    assert_eq!(
        f.app.get(&format!("/api/v1/documents/{shared_id}"), Some(&member)).await.status,
        StatusCode::OK,
        "the committee shares with its whole subtree"
    );
    assert_eq!(f.app.get(&format!("/api/v1/documents/{public_b2}"), Some(&member)).await.status, StatusCode::OK);
    let hidden = f.app.get(&format!("/api/v1/documents/{b2_id}"), Some(&member)).await;
    let random = f.app.get(&format!("/api/v1/documents/{}", Uuid::now_v7()), Some(&member)).await;
    assert_eq!((hidden.status, hidden.body), (random.status, random.body), "hidden looks missing");
    let hr = f.token("hr").await;
    assert_eq!(f.app.get("/api/v1/documents", Some(&hr)).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn chinese_search_ranks_filters_and_respects_visibility() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let title_hit =
        publish(&f, &admin, doc(f.root, "speech", "关于推进科技创新的讲话", "要把科技创新摆在发展全局的核心位置。"))
            .await;
    let body_hit = {
        let mut d = doc(
            f.b1,
            "experience",
            "研发一支部经验交流",
            "支部把党小组建在科研项目上，推动科技创新和低碳水厂建设，WES系统节能降耗。",
        );
        d["tags"] = json!(["低碳"]);
        d["issued_on"] = json!("2026-06-15");
        publish(&f, &admin, d).await
    };
    let _unrelated =
        publish(&f, &admin, doc(f.b1, "notice", "关于召开支部党员大会的通知", "定于下周三召开支部党员大会。")).await;
    let mut hidden = doc(f.b2, "case", "二支部科技创新案例", "科技创新案例，仅二支部可见。");
    hidden["visibility"] = json!("subtree");
    let hidden = publish(&f, &admin, hidden).await;

    let member = f.token("member_b1").await;
    let search = |q: &str| format!("/api/v1/search?q={}", urlencode(q));
    let r = f.app.get(&search("科技创新"), Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let hits = r.json()["items"].as_array().unwrap().clone();
    let ids: Vec<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [title_hit.as_str(), body_hit.as_str()], "title match first; the hidden one never appears");
    assert!(!r.text().contains(&hidden));
    assert!(hits[1]["snippet"].as_str().unwrap().contains("<mark>科技创新</mark>"), "{}", hits[1]["snippet"]);
    // The inspector of gb sees the b2 case too.
    let insp = f.token("inspector_gb").await;
    let r = f.app.get(&search("科技创新"), Some(&insp)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 3);
    // Partial words, mixed Chinese and Latin, filters.
    let r = f.app.get(&search("创新"), Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 2);
    let r = f.app.get(&search("低碳 WES"), Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    let r = f.app.get(&format!("{}&kind=speech", search("科技创新")), Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let r = f.app.get(&format!("{}&tag=%E4%BD%8E%E7%A2%B3", search("科技创新")), Some(&member)).await.json();
    assert_eq!(r["items"][0]["id"], body_hit);
    let r = f.app.get(&format!("{}&issued_from=2026-06-01", search("科技创新")), Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let r = f.app.get(&format!("{}&organization_id={}", search("科技创新"), f.b1), Some(&member)).await.json();
    assert_eq!(r["items"][0]["id"], body_hit);
    // Paging.
    let r = f.app.get(&format!("{}&limit=1", search("科技创新")), Some(&member)).await.json();
    let next = r["next_cursor"].as_str().unwrap().to_owned();
    let r2 = f.app.get(&format!("{}&limit=1&cursor={next}", search("科技创新")), Some(&member)).await.json();
    assert_eq!(r2["items"][0]["id"], body_hit);
    assert!(r2["next_cursor"].is_null());
    // Bad queries.
    for bad in ["", "%20%20", &"%E7%A7%91".repeat(101)] {
        let r = f.app.get(&format!("/api/v1/search?q={bad}"), Some(&member)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.json()["errors"][0]["field"], "q");
    }
    // GraphQL answers the same.
    let g = f
        .app
        .gql(Some(&member), "{ search(query: \"科技创新\") { totalCount hits { id title snippet } } }", json!({}))
        .await;
    assert_eq!(g["data"]["search"]["totalCount"], 2, "{g}");
    assert_eq!(g["data"]["search"]["hits"][0]["id"], title_hit);
    let g = f.app.gql(Some(&member), "{ search(query: \"\") { totalCount } }", json!({})).await;
    assert_eq!(gql_code(&g).as_deref(), Some("VALIDATION"));
    assert_eq!(g["errors"][0]["extensions"]["field"], "query");
    // Archiving removes a document from search.
    let path = format!("/api/v1/documents/{title_hit}");
    let tag = f.etag(&path).await;
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri(&format!("{path}/archive"))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", tag.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = f.app.get(&search("科技创新"), Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
}

/// Moves the server-side opening of `doc` (by anyone) `seconds` into the past.
async fn opened_ago(f: &Fixture, doc: &str, seconds: i64) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let at = chrono::Utc::now() - chrono::Duration::seconds(seconds);
    entity::reading_record::Entity::update_many()
        .col_expr(entity::reading_record::Column::OpenedAt, Expr::value(at))
        .filter(entity::reading_record::Column::DocumentId.eq(Uuid::parse_str(doc).unwrap()))
        .exec(f.app.db())
        .await
        .unwrap();
}

#[actix_web::test]
async fn study_time_is_what_the_server_can_vouch_for() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let a = publish(&f, &admin, doc(f.root, "speech", "讲话甲", "学习内容")).await;
    let b = publish(&f, &admin, doc(f.root, "speech", "讲话乙", "学习内容")).await;
    let member = f.token("member_b1").await;
    let report = |id: &str, seconds: i64| {
        let id = id.to_owned();
        let app = &f.app;
        let member = member.clone();
        async move {
            let r =
                app.post(&format!("/api/v1/documents/{id}/reading"), Some(&member), json!({"seconds": seconds})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    // Never opened: nothing is credited, whatever is claimed.
    assert_eq!(report(&a, 86_400).await["credited_seconds"], 0);
    // Opened just now: a claim of a day is credited only the seconds that passed (the
    // bounds allow for a slow machine: at most the seconds this test saw pass, plus one).
    let started = std::time::Instant::now();
    let passed = |since: std::time::Instant| since.elapsed().as_secs() as i64 + 1;
    assert_eq!(f.app.get(&format!("/api/v1/documents/{a}"), Some(&member)).await.status, StatusCode::OK);
    let credited = report(&a, 86_400).await["credited_seconds"].as_i64().unwrap();
    assert!(credited <= passed(started), "credited {credited}");
    // Opened ten minutes ago: twenty reports of a day are credited ten minutes once.
    let started = std::time::Instant::now();
    opened_ago(&f, &a, 600).await;
    let mut total = 0;
    for _ in 0..20 {
        total += report(&a, 86_400).await["credited_seconds"].as_i64().unwrap();
    }
    assert!((598..=600 + passed(started)).contains(&total), "credited {total}");
    // The same wall-clock time is not credited twice on another open document.
    let started = std::time::Instant::now();
    f.app.get(&format!("/api/v1/documents/{b}"), Some(&member)).await;
    opened_ago(&f, &b, 600).await;
    let overlap = report(&b, 600).await["credited_seconds"].as_i64().unwrap();
    assert!(overlap <= passed(started), "credited {overlap}");
    // The daily limit (4 hours) caps what a long-open document can bring (as if nothing
    // had been credited for ten hours, but the ten minutes above count against today).
    opened_ago(&f, &b, 10 * 3600).await;
    {
        use sea_orm::{EntityTrait, sea_query::Expr};
        let at = chrono::Utc::now() - chrono::Duration::hours(10);
        entity::study_clock::Entity::update_many()
            .col_expr(entity::study_clock::Column::CreditedUntil, Expr::value(at))
            .exec(f.app.db())
            .await
            .unwrap();
    }
    let r = report(&b, 86_400).await;
    // Everything credited today: the first seconds, the ten minutes, the overlap and now this.
    let today = credited + total + overlap + r["credited_seconds"].as_i64().unwrap();
    assert!((4 * 3600 - 5..=4 * 3600).contains(&today), "credited today {today}");
    assert_eq!(report(&b, 86_400).await["credited_seconds"], 0, "the day is used up");
    // Statistics count only credited time.
    let rec = f.app.get("/api/v1/me/study-record", Some(&member)).await.json();
    let seconds: i64 = rec["records"].as_array().unwrap().iter().map(|r| r["seconds_spent"].as_i64().unwrap()).sum();
    assert_eq!(seconds, today);
}

#[actix_web::test]
async fn reading_records_and_study_figures() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let id = publish(&f, &admin, doc(f.root, "speech", "重要讲话精神", "学习内容")).await;
    let member = f.token("member_b1").await;
    assert_eq!(f.app.get(&format!("/api/v1/documents/{id}"), Some(&member)).await.status, StatusCode::OK);
    // The member opened it an hour ago (the server's own timestamp).
    opened_ago(&f, &id, 3600).await;
    let r = f.app.post(&format!("/api/v1/documents/{id}/reading"), Some(&member), json!({"seconds": 1800})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["credited_seconds"], 1800);
    let r = f
        .app
        .post(&format!("/api/v1/documents/{id}/reading"), Some(&member), json!({"seconds": 1800, "completed": true}))
        .await;
    assert_eq!(r.json()["seconds_spent"], 3600);
    assert_eq!(r.json()["completed"], true);
    let r = f.app.post(&format!("/api/v1/documents/{id}/reading"), Some(&member), json!({"seconds": -5})).await;
    assert_eq!(r.json()["errors"][0]["field"], "seconds");
    let rec = f.app.get("/api/v1/me/study-record", Some(&member)).await.json();
    assert_eq!(rec["records"][0]["title"], "重要讲话精神");
    assert_eq!(rec["periods"][0]["hours"], 1.0);
    let g = f
        .app
        .gql(Some(&member), "{ myStudyRecord { records { title completed } periods { hours documents } } }", json!({}))
        .await;
    assert_eq!(g["data"]["myStudyRecord"]["periods"][0]["documents"], 1, "{g}");
    let oa = f.token("orgadmin_b1").await;
    let today = chrono::Utc::now().date_naive();
    let uri = format!(
        "/api/v1/study-figures?organization_id={}&from={}&to={}",
        f.b1,
        today - chrono::Days::new(1),
        today + chrono::Days::new(1)
    );
    let figs = f.app.get(&uri, Some(&oa)).await;
    assert_eq!(figs.status, StatusCode::OK, "{}", figs.text());
    let figs = figs.json();
    assert_eq!(figs[0]["organization_id"], f.b1.to_string());
    assert_eq!(figs[0]["readers"], 1);
    assert_eq!(figs[0]["seconds"], 3600);
    assert_eq!(figs[0]["completed"], 1);
    // Members see no one else's figures.
    assert_eq!(f.app.get(&uri, Some(&member)).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn sessions_are_searched_by_topic_and_minutes_with_their_visibility() {
    use dangjian::services::study::{self, NewSession, SessionKind};
    let f = Fixture::new().await;
    let sys = dangjian::auth::Actor::system();
    let new = |org: Uuid, topic: &str, minutes: &str| NewSession {
        organization_id: Id(org),
        kind: SessionKind::BranchCommittee,
        is_first_topic: true,
        topic: topic.into(),
        held_at: chrono::Utc::now(),
        place: None,
        host_id: None,
        recorder_id: None,
        minutes: Some(minutes.into()),
        checkin_opens_at: None,
        checkin_closes_at: None,
        material_document_ids: vec![],
        checkin_mode: None,
        latitude: None,
        longitude: None,
        radius_m: None,
    };
    let mine = study::create(
        f.app.db(),
        &sys,
        new(f.b1, "第一议题：学习关于低碳发展的重要论述", "会议研究了精准曝气节能改造措施。"),
    )
    .await
    .unwrap();
    let other =
        study::create(f.app.db(), &sys, new(f.b3, "第一议题：学习精准曝气经验", "机关支部学习。")).await.unwrap();
    let member = f.token("member_b1").await;
    let r = f.app.get(&format!("/api/v1/search?q={}", urlencode("精准曝气")), Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let hits = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(hits.len(), 1, "only the member's own branch session: {hits:?}");
    assert_eq!(hits[0]["entity"], "session");
    assert_eq!(hits[0]["id"], mine.id.to_string());
    assert_eq!(hits[0]["kind"], "branch_committee");
    assert_eq!(hits[0]["date"], mine.held_at.date_naive().to_string(), "sessions carry the day they are held");
    assert!(hits[0]["snippet"].as_str().unwrap().contains("<mark>精准曝气</mark>"));
    assert!(!r.text().contains(&other.id.to_string()));
    // The total counts every matching session, not only those up to the page.
    for topic in ["精准曝气专题研讨", "精准曝气推广"] {
        study::create(f.app.db(), &sys, new(f.b1, topic, "")).await.unwrap();
    }
    let g = f
        .app
        .gql(Some(&member), "{ search(query: \"精准曝气\", first: 1) { totalCount hits { id } } }", json!({}))
        .await;
    assert_eq!(g["data"]["search"]["totalCount"], 3, "{g}");
    assert_eq!(g["data"]["search"]["hits"].as_array().map(Vec::len), Some(1), "{g}");
    // A cancelled session leaves the index.
    let v = study::get(f.app.db(), &sys, *mine.id).await.unwrap();
    study::update(
        f.app.db(),
        &sys,
        *mine.id,
        v.version,
        study::SessionPatch { status: Some(study::SessionStatus::Cancelled), ..Default::default() },
    )
    .await
    .unwrap();
    let r = f.app.get(&format!("/api/v1/search?q={}", urlencode("精准曝气")), Some(&member)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 2, "the cancelled one is gone: {r}");
    // Document-only filters leave sessions out.
    let insp = f.token("inspector_gb").await;
    let g = f.app.gql(Some(&insp), "{ search(query: \"低碳\", kind: SPEECH) { totalCount } }", json!({})).await;
    assert_eq!(g["data"]["search"]["totalCount"], 0, "{g}");
}
