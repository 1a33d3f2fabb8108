//! Payloads for phones: document lists carry summaries, not bodies; list items name the
//! people and organisations they refer to (loaded in batch); measure updates list their
//! attachments; phone photo formats (HEIC, WebP) are accepted by signature; and a page of
//! 20 items of every list a phone uses stays under 10 KB as a phone receives it (gzip).

use actix_web::{http::StatusCode, test};
use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::attachments::multipart;
use crate::common::Fixture;

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

/// A long Markdown body (about `paragraphs` × 100 characters).
fn long_body(paragraphs: usize) -> String {
    let mut s = String::from("## 一、提高政治站位\n\n");
    for i in 0..paragraphs {
        s.push_str(&format!(
            "{}. 各级党组织要把**科技创新**摆在发展全局的核心位置，把学习重要论述列入[“第一议题”](https://example.com/{i})，\
             推动研发投入、人才培育和成果转化落到实处，以党建引领创新驱动，让党员在技术攻关一线当先锋、作表率。\n\n",
            i + 1
        ));
    }
    s
}

/// Uploads a file to a measure progress update.
async fn upload(f: &Fixture, token: &str, update: &str, name: &str, ct: &str, bytes: &[u8]) -> crate::common::Resp {
    let (content_type, body) = multipart(name, ct, bytes);
    f.app
        .send(
            test::TestRequest::post()
                .uri(&format!("/api/v1/measure-updates/{update}/attachments"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Content-Type", content_type))
                .set_payload(body),
        )
        .await
}

/// The first bytes of a HEIC photo as an iPhone writes it: an `ftyp` box (major brand
/// `heic`, compatible `mif1`, `heic`) and the start of the `meta` box.
fn heic_bytes() -> Vec<u8> {
    let mut b = 24u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    b.extend_from_slice(b"\0\0\x01\x00metahdlr");
    b
}

/// The first bytes of a lossy WebP image.
const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0\x30\x01\0\x9d\x01\x2a\x01\0\x01\0";
/// The first bytes of a JPEG (JFIF) image.
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";

#[actix_web::test]
async fn document_lists_carry_summaries_and_reads_carry_bodies() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let member = f.token("member_b1").await;
    let body = long_body(30);
    let with_summary = publish(
        &f,
        &oa,
        json!({"organization_id": f.b1, "kind": "speech", "title": "有摘要", "body": body, "summary": "强调科技创新。"}),
    )
    .await;
    let without =
        publish(&f, &oa, json!({"organization_id": f.b1, "kind": "policy", "title": "无摘要", "body": body})).await;

    let r = f.app.get("/api/v1/documents", Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    for item in &items {
        assert!(item.get("body").is_none(), "no body in a list item: {item}");
        assert_eq!(item["organization_name"], "研发一支部");
        assert_eq!(item["organization_id"], json!(f.b1));
    }
    let find = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(find(&with_summary)["summary"], "强调科技创新。", "the stored summary");
    let excerpt = find(&without)["summary"].as_str().unwrap().to_owned();
    assert!(excerpt.starts_with("一、提高政治站位 各级党组织要把科技创新摆在"), "markup stripped: {excerpt}");
    assert!(!excerpt.contains(['#', '*', '[', ']', '(']), "{excerpt}");
    assert_eq!(excerpt.chars().count(), 120, "cut at 120 characters: {excerpt}");
    assert!(excerpt.ends_with('…'));

    // The single read keeps the body.
    let r = f.app.get(&format!("/api/v1/documents/{without}"), Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["body"], body.as_str());

    // GraphQL: an excerpt for lists; the body when asked for (whole, not its start).
    let v = f.app.gql(Some(&member), "{ documents { nodes { id title excerpt summary } } }", json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    let nodes = v["data"]["documents"]["nodes"].as_array().unwrap();
    let node = nodes.iter().find(|n| n["id"] == without.as_str()).unwrap();
    assert_eq!(node["excerpt"], excerpt.as_str());
    assert!(node["summary"].is_null());
    let v = f.app.gql(Some(&member), "{ documents { edges { node { id body excerpt } } } }", json!({})).await;
    let edges = v["data"]["documents"]["edges"].as_array().unwrap();
    let node = &edges.iter().find(|e| e["node"]["id"] == without.as_str()).unwrap()["node"];
    assert_eq!(node["body"], body.as_str(), "a selected body is whole");
    assert_eq!(node["excerpt"], excerpt.as_str());
}

#[actix_web::test]
async fn list_items_name_people_and_organisations_in_batch() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let admin = f.token("admin").await;
    let member = f.token("member_b1").await;
    let inspector = f.token("inspector_gb").await;
    let oa = f.token("orgadmin_b1").await;

    // People: their organisation's name.
    let r = f.app.get(&format!("/api/v1/people?organization_id={}", f.gb), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let people = r.json()["items"].as_array().unwrap().clone();
    assert!(!people.is_empty());
    for p in &people {
        let expected = if p["organization_id"] == f.b2.to_string() {
            "研发二支部"
        } else if p["organization_id"] == f.b1.to_string() {
            "研发一支部"
        } else {
            "技术研发党总支"
        };
        assert_eq!(p["organization_name"], expected, "{p}");
    }

    // Measures: the owner's name, in a constant number of statements per page.
    for owner in [f.p_member_b1, f.p_other_b1, f.p_orgadmin_b1, f.p_b2, f.p_b3] {
        let org = if owner == f.p_b2 {
            f.b2
        } else if owner == f.p_b3 {
            f.b3
        } else {
            f.b1
        };
        crate::measures::measure(&f, org, owner, today + Duration::days(10)).await;
    }
    let r = f.app.get("/api/v1/measures", Some(&admin)).await;
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5);
    let names: Vec<&str> = items.iter().map(|i| i["owner_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["李党员", "张工", "王书记", "赵工", "钱主任"]);
    f.app.reset_statements();
    f.app.get("/api/v1/measures?limit=1", Some(&admin)).await;
    let one = f.app.statement_count();
    f.app.reset_statements();
    f.app.get("/api/v1/measures?limit=5", Some(&admin)).await;
    assert_eq!(f.app.statement_count(), one, "names are loaded in one statement per page");
    let r = f.app.get("/api/v1/me/measures", Some(&member)).await;
    assert_eq!(r.json()["items"][0]["owner_name"], "李党员");

    // Supervision items: the responsible person and the organisation.
    let body = json!({
        "organization_id": f.b1, "title": "科技创新责任落实不到位", "category": "innovation_responsibility",
        "severity": "high", "responsible_person_id": f.p_orgadmin_b1, "due_on": (today + Duration::days(20)).to_string(),
    });
    let r = f.app.post("/api/v1/supervision-items", Some(&inspector), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.get("/api/v1/supervision-items", Some(&inspector)).await;
    let item = &r.json()["items"][0];
    assert_eq!(item["responsible_person_name"], "王书记", "{item}");
    assert_eq!(item["organization_name"], "研发一支部");
    let r = f.app.get(&format!("/api/v1/supervision-items/{}", item["id"].as_str().unwrap()), Some(&oa)).await;
    assert_eq!(r.json()["responsible_person_name"], "王书记");

    // Inspections: the organisation and the lead inspector.
    let body = json!({
        "organization_id": f.gb, "title": "专项巡察", "focus": "科技创新责任落实", "starts_on": today.to_string(),
        "lead_inspector_id": f.p_b3,
    });
    let r = f.app.post("/api/v1/inspections", Some(&admin), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.get("/api/v1/inspections", Some(&inspector)).await;
    let item = &r.json()["items"][0];
    assert_eq!(item["organization_name"], "技术研发党总支", "{item}");
    assert_eq!(item["lead_inspector_name"], "钱主任");

    // Research projects: the organisation and the leader.
    let body = json!({
        "organization_id": f.b1, "code": "JC-2026-01", "title": "低碳水厂工艺", "level": "group_major",
        "proposed_on": "2026-01-05", "budget_fen": 800_000_000, "leader_id": f.p_other_b1,
    });
    let r = f.app.post("/api/v1/research-projects", Some(&admin), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.get("/api/v1/research-projects", Some(&oa)).await;
    let item = &r.json()["items"][0];
    assert_eq!(item["organization_name"], "研发一支部", "{item}");
    assert_eq!(item["leader_name"], "张工");

    // Achievements: the submitter and the lead.
    let r = f
        .app
        .post(
            "/api/v1/achievements",
            Some(&member),
            json!({"organization_id": f.b1, "category": "small_invention", "title": "曝气系统智能调控装置"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.get("/api/v1/achievements", Some(&oa)).await;
    let item = &r.json()["items"][0];
    assert_eq!(item["submitted_by_name"], "李党员", "{item}");
    assert_eq!(item["lead_name"], "李党员");

    // Activities: the organisation holding them.
    let body = json!({"organization_id": f.b1, "kind": "lecture", "title": "专题讲座", "held_on": "2026-03-01"});
    let r = f.app.post("/api/v1/activities", Some(&oa), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = f.app.get("/api/v1/activities", Some(&oa)).await;
    assert_eq!(r.json()["items"][0]["organization_name"], "研发一支部", "{}", r.text());
}

#[actix_web::test]
async fn measure_updates_list_attachments_and_phone_photos_are_accepted() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let member = f.token("member_b1").await;
    let m = crate::measures::measure(&f, f.b1, f.p_member_b1, today + Duration::days(10)).await;
    let r =
        f.app.post(&format!("/api/v1/measures/{}/updates", m.id), Some(&member), json!({"text": "完成现场调试"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["attachments"], json!([]));
    assert_eq!(r.json()["author_name"], "李党员");
    let update = r.json()["id"].as_str().unwrap().to_owned();

    // A phone's HEIC photo and a WebP image are accepted; JPEG bytes declared as WebP
    // (and WebP bytes declared as HEIC) are not.
    let heic = heic_bytes();
    let r = upload(&f, &member, &update, "IMG_0001.HEIC", "image/heic", &heic).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["content_type"], "image/heic");
    let r = upload(&f, &member, &update, "现场.webp", "image/webp", WEBP).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = upload(&f, &member, &update, "fake.webp", "image/webp", JPEG).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "file");
    let r = upload(&f, &member, &update, "fake.heic", "image/heic", WEBP).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = upload(&f, &member, &update, "real.jpg", "image/jpeg", JPEG).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // The updates list their attachments' metadata.
    let r = f.app.get(&format!("/api/v1/measures/{}/updates", m.id), Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let u = &r.json()[0];
    assert_eq!(u["author_name"], "李党员");
    let files = u["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["filename"], "IMG_0001.HEIC");
    assert_eq!(files[0]["content_type"], "image/heic");
    assert_eq!(files[0]["size_bytes"], heic.len());
    assert_eq!(files[1]["content_type"], "image/webp");
    assert_eq!(files[2]["content_type"], "image/jpeg");
    for file in files {
        assert!(file["id"].is_string() && file["created_at"].is_string(), "{file}");
        assert_eq!(file["download_url"], format!("/api/v1/attachments/{}", file["id"].as_str().unwrap()));
    }
    // Downloaded as uploaded.
    let r = f.app.get(files[0]["download_url"].as_str().unwrap(), Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, heic);
    assert_eq!(r.header("content-type").as_deref(), Some("image/heic"));

    // GraphQL lists them on the update too.
    let q = "query($id: ID!) { measure(id: $id) { updates { attachments { filename contentType sizeBytes } } } }";
    let v = f.app.gql(Some(&member), q, json!({"id": m.id.to_string()})).await;
    assert!(v["errors"].is_null(), "{v}");
    let files = &v["data"]["measure"]["updates"][0]["attachments"];
    assert_eq!(files.as_array().unwrap().len(), 3);
    assert_eq!(files[1]["contentType"], "image/webp");
}

#[actix_web::test]
async fn a_page_of_twenty_stays_under_ten_kilobytes() {
    // What a phone downloads: the answer compressed (phones send `Accept-Encoding:
    // gzip`). Uncompressed, a page of 20 with realistic Chinese texts, three ids and two
    // instants per item is 10–17 KB; 20 KB uncompressed still catches a body (one is
    // 12 KB here) or any other long text creeping into a list.
    const BUDGET: usize = 10 * 1024;
    const PLAIN_BUDGET: usize = 20 * 1024;
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let admin = f.token("admin").await;
    let oa = f.token("orgadmin_b1").await;
    let member = f.token("member_b1").await;
    let inspector = f.token("inspector_gb").await;
    let body = long_body(40);
    let mut people: Vec<Uuid> = Vec::new();
    for i in 0..20 {
        publish(
            &f,
            &oa,
            json!({
                "organization_id": f.b1, "kind": "experience", "title": format!("把党小组建在科研项目上经验交流之{i}"),
                "issuing_body": "工艺研究所党支部", "issued_on": "2026-05-18", "body": body, "tags": ["党小组", "科技创新"],
                "summary": "交流把党小组建在科研项目上、推动项目攻关的做法和成效。",
            }),
        )
        .await;
        let r = f
            .app
            .post(
                "/api/v1/people",
                Some(&admin),
                json!({
                    "organization_id": f.b1, "name": format!("欧阳志{i}"), "employee_no": format!("JC{:05}", 20000 + i),
                    "phone": "13800001111", "email": format!("jc{i}@example.com"), "party_status": "full",
                    "joined_party_on": "2001-07-01", "position": "高级工程师", "is_tech_backbone": true,
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        people.push(r.json()["id"].as_str().unwrap().parse().unwrap());
    }
    for (i, owner) in people.iter().enumerate() {
        let r = f
            .app
            .post(
                "/api/v1/measures",
                Some(&oa),
                json!({
                    "source_kind": "campaign", "source_id": Uuid::now_v7(), "organization_id": f.b1,
                    "title": format!("建立科技攻关党员责任区并按月通报进展（{i}）"),
                    "description": "围绕低碳水厂攻关项目设立党员责任区，明确责任人和节点目标，按月在支部会上通报进展情况。",
                    "owner_id": owner, "due_on": (today + Duration::days(30 + i as i64)).to_string(),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = f
            .app
            .post(
                "/api/v1/study-sessions",
                Some(&oa),
                json!({
                    "organization_id": f.b1, "kind": "branch_general_meeting", "is_first_topic": true,
                    "topic": format!("学习贯彻集团科技创新工作会议精神（第{i}次）"), "held_at": "2026-03-10T02:00:00Z",
                    "place": "研发中心三楼会议室", "recorder_id": f.p_other_b1,
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = f
            .app
            .post(
                "/api/v1/achievements",
                Some(&member),
                json!({
                    "organization_id": f.b1, "category": "small_innovation", "title": format!("加药泵变频改造（{i}）"),
                    "description": "对加药泵加装变频控制，按进水流量自动调节投加量，降低药耗和电耗。",
                    "members": [{"person_id": f.p_other_b1, "role": "设计"}], "benefit_fen": 12_000_000,
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = f
            .app
            .post(
                "/api/v1/supervision-items",
                Some(&inspector),
                json!({
                    "organization_id": f.b1, "title": format!("研发经费投入强度未达年度目标（{i}）"),
                    "description": "抽查发现研发经费投入强度低于年度目标，部分项目经费执行进度滞后。",
                    "category": "innovation_responsibility", "severity": "medium", "responsible_person_id": owner,
                    "due_on": (today + Duration::days(60)).to_string(),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = f
            .app
            .post(
                "/api/v1/activities",
                Some(&oa),
                json!({
                    "organization_id": f.b1, "kind": "exchange_meeting", "title": format!("党小组建在项目上经验交流（{i}）"),
                    "held_on": "2026-06-01", "place": "集团报告厅",
                    "summary": "各项目党小组交流攻关经验，评选优秀党员责任区。",
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let mut sizes = Vec::new();
    for path in [
        "/api/v1/documents",
        "/api/v1/people",
        "/api/v1/measures",
        "/api/v1/study-sessions",
        "/api/v1/achievements",
        "/api/v1/supervision-items",
        "/api/v1/activities",
    ] {
        let uri = format!("{path}?limit=20");
        let r = f.app.get(&uri, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 20, "{path}");
        let plain = r.body.len();
        // As a phone asks for it: compressed.
        let r = f
            .app
            .send(
                test::TestRequest::get()
                    .uri(&uri)
                    .insert_header(("Authorization", format!("Bearer {admin}")))
                    .insert_header(("Accept-Encoding", "gzip")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"), "{path}");
        sizes.push((path, plain, r.body.len()));
    }
    let over: Vec<_> = sizes.iter().filter(|(_, plain, wire)| *wire >= BUDGET || *plain >= PLAIN_BUDGET).collect();
    assert!(over.is_empty(), "pages of 20 over budget (path, plain, gzip): {over:?} (all: {sizes:?})");
    // A document page costs the same number of statements whatever its size.
    f.app.reset_statements();
    f.app.get("/api/v1/documents?limit=2", Some(&admin)).await;
    let small = f.app.statement_count();
    f.app.reset_statements();
    f.app.get("/api/v1/documents?limit=20", Some(&admin)).await;
    assert_eq!(f.app.statement_count(), small);
}
