//! The organisation tree: create rules, subtree moves, ancestors and descendants,
//! delete only when empty, paging, ETag / If-Match.

use actix_web::{http::StatusCode, test};
use serde_json::json;

use crate::common::{Fixture, gql_code};

#[actix_web::test]
async fn moving_a_subtree_rewrites_every_path() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    // gb (with b1, b2) moves under b3's sibling: make a new committee under root and move gb there.
    let sub = f
        .app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"parent_id": f.root, "name": "子公司党委", "kind": "committee"}),
        )
        .await
        .json();
    let sub_id = sub["id"].as_str().unwrap();
    let path = format!("/api/v1/organizations/{}/move", f.gb);
    let tag = f.etag(&format!("/api/v1/organizations/{}", f.gb)).await;
    let b1_tag = f.etag(&format!("/api/v1/organizations/{}", f.b1)).await;
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-Match", tag.as_str()))
                .set_json(json!({"parent_id": sub_id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let moved = r.json();
    assert_eq!(moved["parent_id"], sub_id);
    assert_eq!(moved["depth"], 2);
    let b1_before = f.etag(&format!("/api/v1/organizations/{}", f.b1)).await;
    let b1 = f.app.get(&format!("/api/v1/organizations/{}", f.b1), Some(&admin)).await.json();
    assert_eq!(b1["path"], format!("/{}/{}/{}/{}/", f.root, sub_id, f.gb, f.b1));
    assert_eq!(b1["depth"], 3);
    assert_ne!(b1_before, b1_tag, "a moved descendant gets a new version (cached copies revalidate)");
    // Ancestors follow the new path.
    let anc = f.app.get(&format!("/api/v1/organizations/{}/ancestors", f.b1), Some(&admin)).await.json();
    let names: Vec<&str> = anc.as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["集团党委", "子公司党委", "技术研发党总支", "研发一支部"]);
    // Descendants of the new committee are gb, b1, b2.
    let d = f.app.get(&format!("/api/v1/organizations/{sub_id}/descendants"), Some(&admin)).await.json();
    assert_eq!(d["items"].as_array().unwrap().len(), 3);
    // The org_admin of b1 still sees b1 and its people after the move (scope follows the path).
    let oa = f.token("orgadmin_b1").await;
    assert_eq!(f.app.get(&format!("/api/v1/people/{}", f.p_other_b1), Some(&oa)).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn moving_into_own_subtree_or_breaking_the_hierarchy_is_refused() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let tag = f.etag(&format!("/api/v1/organizations/{}", f.gb)).await;
    let v: i64 = tag.trim_matches('"').trim_start_matches('v').parse().unwrap();
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $v: Int!, $p: ID!) { moveOrganization(id: $id, expectedVersion: $v, parentId: $p) { id } }",
            json!({"id": f.gb.to_string(), "v": v, "p": f.b1.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&g).as_deref(), Some("VALIDATION"));
    assert_eq!(g["errors"][0]["extensions"]["field"], "parent_id");
    // A general branch cannot sit under a branch.
    let r = f
        .app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"parent_id": f.b1, "name": "错层", "kind": "general_branch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "kind");
    // An org_admin cannot move the root of their own subtree.
    let oa = f.token("orgadmin_b1").await;
    let tag = f.etag(&format!("/api/v1/organizations/{}", f.b1)).await;
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri(&format!("/api/v1/organizations/{}/move", f.b1))
                .insert_header(("Authorization", format!("Bearer {oa}")))
                .insert_header(("If-Match", tag.as_str()))
                .set_json(json!({"parent_id": f.b1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn delete_only_when_empty() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let path = format!("/api/v1/organizations/{}", f.b2);
    let tag = f.etag(&path).await;
    let r = f.app.delete(&path, Some(&admin), Some(&tag)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["code"], "CONFLICT");
    let created = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.b2, "name": "临时党小组", "kind": "group"}))
        .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let etag = created.header("etag").unwrap();
    let path = format!("/api/v1/organizations/{id}");
    assert_eq!(f.app.delete(&path, Some(&admin), None).await.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(f.app.delete(&path, Some(&admin), Some(&etag)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.get(&path, Some(&admin)).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn etag_if_match_and_if_none_match() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let path = format!("/api/v1/organizations/{}", f.b1);
    let first = f.app.get(&path, Some(&admin)).await;
    let tag = first.header("etag").unwrap();
    // Conditional GET.
    let r = f
        .app
        .send(
            test::TestRequest::get()
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .insert_header(("If-None-Match", tag.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // Missing If-Match → 428; stale → 412; current → 200 with a new ETag.
    let body = json!({"name": "研发一支部（新）"});
    assert_eq!(f.app.patch(&path, Some(&admin), None, body.clone()).await.status, StatusCode::PRECONDITION_REQUIRED);
    let ok = f.app.patch(&path, Some(&admin), Some(&tag), body.clone()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_ne!(ok.header("etag").unwrap(), tag);
    let stale = f.app.patch(&path, Some(&admin), Some(&tag), body).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.json()["code"], "PRECONDITION_FAILED");
    // GraphQL: a stale expectedVersion is CONFLICT.
    let g = f
        .app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { updateOrganization(id: $id, expectedVersion: 1, input: {name: \"x\"}) { id } }",
            json!({"id": f.b1.to_string()}),
        )
        .await;
    assert_eq!(gql_code(&g).as_deref(), Some("CONFLICT"));
}

#[actix_web::test]
async fn cursor_paging_is_stable_and_bounded() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/organizations?limit=2&cursor={c}"),
            None => "/api/v1/organizations?limit=2".to_owned(),
        };
        let page = f.app.get(&uri, Some(&admin)).await.json();
        for o in page["items"].as_array().unwrap() {
            seen.push(o["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["集团党委", "技术研发党总支", "研发一支部", "研发二支部", "机关党支部"]);
    let r = f.app.get("/api/v1/organizations?limit=1000", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "limit");
    let r = f.app.get("/api/v1/organizations?cursor=%%%", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // GraphQL connection with totalCount and pageInfo.
    let g = f
        .app
        .gql(
            Some(&admin),
            "{ organizations(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(g["data"]["organizations"]["totalCount"], 5);
    assert_eq!(g["data"]["organizations"]["pageInfo"]["hasNextPage"], true);
    let after = g["data"]["organizations"]["pageInfo"]["endCursor"].as_str().unwrap();
    let g2 = f
        .app
        .gql(
            Some(&admin),
            "query($a: String) { organizations(first: 10, after: $a) { edges { node { name } } } }",
            json!({"a": after}),
        )
        .await;
    assert_eq!(g2["data"]["organizations"]["edges"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn children_and_scoped_listing() {
    let f = Fixture::new().await;
    let insp = f.token("inspector_gb").await;
    let all = f.app.get("/api/v1/organizations", Some(&insp)).await.json();
    let names: Vec<&str> = all["items"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["技术研发党总支", "研发一支部", "研发二支部"], "an inspector of gb sees gb's subtree only");
    let kids = f.app.get(&format!("/api/v1/organizations/{}/children", f.gb), Some(&insp)).await.json();
    assert_eq!(kids["items"].as_array().unwrap().len(), 2);
    let g = f
        .app
        .gql(Some(&insp), "query($id: ID!) { organization(id: $id) { children { totalCount edges { node { name parent { name } } } } ancestors { name } } }", json!({"id": f.gb.to_string()}))
        .await;
    assert_eq!(g["data"]["organization"]["children"]["totalCount"], 2);
    assert_eq!(g["data"]["organization"]["children"]["edges"][0]["node"]["parent"]["name"], "技术研发党总支");
    // The root lies outside the inspector's scope, so ancestors stop at gb.
    assert_eq!(g["data"]["organization"]["ancestors"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_patch_that_changes_nothing_changes_nothing_and_if_match_star_updates() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let path = format!("/api/v1/organizations/{}", f.b1);
    let history = format!("/api/v1/audit-history/organization/{}", f.b1);
    let records = f.app.get(&history, Some(&admin)).await.json().as_array().unwrap().len();
    let tag = f.etag(&path).await;
    let version = f.version(&path).await;
    // `{}` and the current values: 200, same ETag and version, no audit record.
    for body in [json!({}), json!({"name": "研发一支部", "short_name": "", "sort_order": 0})] {
        let r = f.app.patch(&path, Some(&admin), Some(&tag), body.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.text());
        assert_eq!(r.header("etag").as_deref(), Some(tag.as_str()), "{body}");
        assert_eq!(r.json()["version"], version, "{body}");
    }
    assert_eq!(f.etag(&path).await, tag);
    let now = f.app.get(&history, Some(&admin)).await.json().as_array().unwrap().len();
    assert_eq!(now, records, "a write that changes nothing leaves no audit record");
    // `If-Match: *` updates whatever version is current, by one.
    let r = f.app.patch(&path, Some(&admin), Some("*"), json!({"name": "研发一支部（新）"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["version"], version + 1);
    assert_eq!(r.json()["name"], "研发一支部（新）");
    let new_tag = r.header("etag").unwrap();
    assert_ne!(new_tag, tag);
    let now = f.app.get(&history, Some(&admin)).await.json().as_array().unwrap().len();
    assert_eq!(now, records + 1);
    // `*` with nothing to change changes nothing; a stale ETag is still refused.
    let r = f.app.patch(&path, Some(&admin), Some("*"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag").as_deref(), Some(new_tag.as_str()));
    assert_eq!(r.json()["version"], version + 1);
    let stale = f.app.patch(&path, Some(&admin), Some(&tag), json!({})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
}
