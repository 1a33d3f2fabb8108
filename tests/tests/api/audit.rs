//! The hash-chained audit trail: the chain verifies on a clean database and after
//! concurrent writes; editing or deleting a row directly in the database makes the check
//! name the first broken record; records written before the chain existed are chained
//! at start-up; who may read which records; filters and keyset paging.

use actix_web::http::StatusCode;
use dangjian::auth::Actor;
use dangjian::services::types::Id;
use dangjian::services::{self, organizations::NewOrganization, types::OrgKind};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, gql_code};

async fn verify(f: &Fixture) -> Value {
    let admin = f.token("admin").await;
    let r = f.app.get("/api/v1/audit-chain/verify", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn exec(f: &Fixture, sql: &str) {
    f.app.db().execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// (id, seq) of the record with sequence `seq`.
async fn id_of_seq(f: &Fixture, seq: i64) -> i64 {
    let admin = f.token("admin").await;
    // As the server's background chainer would have by now.
    services::audit::chain_backlog(f.app.db()).await.unwrap();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/audit-events?limit=100&cursor={c}"),
            None => "/api/v1/audit-events?limit=100".to_owned(),
        };
        let page = f.app.get(&url, Some(&admin)).await.json();
        for e in page["items"].as_array().unwrap() {
            if e["sequence"] == seq {
                return e["id"].as_i64().unwrap();
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => panic!("no record with sequence {seq}"),
        }
    }
}

#[actix_web::test]
async fn the_chain_verifies_on_a_clean_database_over_rest_and_graphql() {
    let f = Fixture::new().await;
    let report = verify(&f).await;
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["head_sequence"].as_i64().unwrap() > 10);
    assert_eq!(report["records_checked"], report["head_sequence"]);
    assert_eq!(report["first_broken"], Value::Null);
    let admin = f.token("admin").await;
    let g =
        f.app.gql(Some(&admin), "{ verifyAuditChain { ok recordsChecked firstBroken { sequence } } }", json!({})).await;
    assert_eq!(g["data"]["verifyAuditChain"]["ok"], true, "{g}");
    // Only administrators verify.
    for who in ["inspector_gb", "orgadmin_b1", "member_b1", "hr"] {
        let t = f.token(who).await;
        assert_eq!(f.app.get("/api/v1/audit-chain/verify", Some(&t)).await.status, StatusCode::FORBIDDEN, "{who}");
        let g = f.app.gql(Some(&t), "{ verifyAuditChain { ok } }", json!({})).await;
        assert_eq!(gql_code(&g).as_deref(), Some("FORBIDDEN"), "{who}");
    }
    assert_eq!(f.app.get("/api/v1/audit-chain/verify", None).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn editing_an_audit_row_in_the_database_names_that_row() {
    let f = Fixture::new().await;
    let id = id_of_seq(&f, 5).await;
    exec(&f, &format!("UPDATE audit_event SET action = 'delete' WHERE id = {id}")).await;
    let report = verify(&f).await;
    assert_eq!(report["ok"], false);
    let broken = &report["first_broken"];
    assert_eq!(broken["reason"], "content_altered", "{report}");
    assert_eq!(broken["sequence"], 5);
    assert_eq!(broken["audit_id"], id);
    assert_eq!(report["records_checked"], 4);
    let admin = f.token("admin").await;
    let g = f
        .app
        .gql(Some(&admin), "{ verifyAuditChain { ok firstBroken { sequence auditId reason detail } } }", json!({}))
        .await;
    assert_eq!(g["data"]["verifyAuditChain"]["firstBroken"]["auditId"], id.to_string(), "{g}");
    assert_eq!(g["data"]["verifyAuditChain"]["firstBroken"]["reason"], "CONTENT_ALTERED");
}

#[actix_web::test]
async fn editing_the_snapshot_or_time_of_a_row_is_caught_too() {
    let f = Fixture::new().await;
    let id = id_of_seq(&f, 3).await;
    // Rewrite the "after" snapshot (JSON) of record 3.
    exec(&f, &format!("UPDATE audit_event SET after = NULL WHERE id = {id}")).await;
    let report = verify(&f).await;
    assert_eq!(
        (report["first_broken"]["sequence"].as_i64(), report["first_broken"]["reason"].as_str()),
        (Some(3), Some("content_altered"))
    );
    // A rewritten row whose own hash was recomputed still breaks the next link.
    let f = Fixture::new().await;
    let id = id_of_seq(&f, 3).await;
    exec(&f, &format!("UPDATE audit_event SET hash = '{}' WHERE id = {id}", "a".repeat(64))).await;
    let report = verify(&f).await;
    assert_eq!(report["first_broken"]["sequence"], 3, "{report}");
}

#[actix_web::test]
async fn deleting_an_audit_row_names_the_missing_record() {
    let f = Fixture::new().await;
    let id = id_of_seq(&f, 7).await;
    exec(&f, &format!("DELETE FROM audit_event WHERE id = {id}")).await;
    let report = verify(&f).await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_broken"]["reason"], "record_missing", "{report}");
    assert_eq!(report["first_broken"]["sequence"], 7);
    assert_eq!(report["records_checked"], 6);

    // Deleting the newest records is caught by the chain head.
    let f = Fixture::new().await;
    let head = verify(&f).await["head_sequence"].as_i64().unwrap();
    let last = id_of_seq(&f, head).await;
    exec(&f, &format!("DELETE FROM audit_event WHERE id = {last}")).await;
    let report = verify(&f).await;
    assert_eq!(report["first_broken"]["reason"], "record_missing", "{report}");
    assert_eq!(report["first_broken"]["sequence"], head);

    // Writes are linked after they commit: until then they are pending, not broken, and
    // a verification links what has committed before it checks.
    let f = Fixture::new().await;
    let before = verify(&f).await["head_sequence"].as_i64().unwrap();
    let admin = f.token("admin").await;
    let r = f
        .app
        .post("/api/v1/organizations", Some(&admin), json!({"parent_id": f.gb, "name": "待链支部", "kind": "branch"}))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.json());
    let unlinked = f
        .app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            f.app.db().get_database_backend(),
            "SELECT COUNT(*) FROM audit_event WHERE seq IS NULL",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert!(unlinked >= 2, "the creation and the audited verification wait to be linked: {unlinked}");
    let report = verify(&f).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    assert_eq!(report["head_sequence"].as_i64().unwrap(), before + unlinked, "{report}");
}

#[actix_web::test]
async fn concurrent_writers_keep_one_gap_free_chain() {
    let f = Fixture::new().await;
    // Two pools on one database, like two replicas.
    let db = f.app.db().clone();
    let replica = dangjian::db::connect(
        &f.app.state.settings.database_url(),
        5,
        dangjian::db::Timeouts::for_settings(&f.app.state.settings),
    )
    .await
    .unwrap();
    let before = verify(&f).await["head_sequence"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let db = if i % 2 == 0 { db.clone() } else { replica.clone() };
        let parent = f.gb;
        tasks.push(tokio::spawn(async move {
            let input = NewOrganization {
                parent_id: Some(Id(parent)),
                name: format!("并发支部{i}"),
                short_name: None,
                kind: OrgKind::Branch,
                sort_order: None,
                established_on: None,
            };
            // A concurrent-change CONFLICT is an honest answer; retry like a client would.
            for _ in 0..20 {
                match services::organizations::create(&db, &Actor::system(), input.clone()).await {
                    Ok(_) => return,
                    Err(dangjian::error::AppError::Conflict(_)) => {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            panic!("gave up after retries");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = verify(&f).await;
    assert_eq!(report["ok"], true, "{report}");
    // Twelve creations, and the audited read of the first verification.
    assert_eq!(report["head_sequence"].as_i64().unwrap(), before + 1 + 12);
}

#[actix_web::test]
async fn records_written_before_the_chain_are_chained_at_start_up() {
    let f = Fixture::new().await;
    // Make the database look like one upgraded from before the chain existed.
    exec(&f, "UPDATE audit_event SET seq = NULL, prev_hash = NULL, hash = NULL").await;
    exec(&f, &format!("UPDATE audit_chain_head SET seq = 0, hash = '{}' WHERE id = 1", "0".repeat(64))).await;
    let n = services::audit::chain_backlog(f.app.db()).await.unwrap();
    assert!(n > 10);
    let report = verify(&f).await;
    assert_eq!(report["ok"], true, "{report}");
    // The backlog; the audited read of the verification is linked next.
    assert_eq!(report["head_sequence"].as_i64().unwrap(), n as i64);
    assert_eq!(services::audit::chain_backlog(f.app.db()).await.unwrap(), 1, "the verification's own record");
    assert_eq!(services::audit::chain_backlog(f.app.db()).await.unwrap(), 0, "nothing left the second time");
}

#[actix_web::test]
async fn who_reads_which_audit_records() {
    let f = Fixture::new().await;
    let sys = Actor::system();
    // A change in b3 (outside the inspector's subtree) and one in b1 (inside).
    let rename = |org: Uuid, name: &'static str| {
        let db = f.app.db().clone();
        let sys = sys.clone();
        async move {
            let v = services::organizations::get(&db, &sys, org).await.unwrap();
            let patch = services::organizations::OrganizationPatch { name: Some(name.into()), ..Default::default() };
            services::organizations::update(&db, &sys, org, v.version, patch).await.unwrap();
        }
    };
    rename(f.b3, "机关第一党支部").await;
    rename(f.b1, "研发第一党支部").await;

    let admin = f.token("admin").await;
    let inspector = f.token("inspector_gb").await;
    let all = f.app.get("/api/v1/audit-events?limit=100", Some(&admin)).await.json();
    let all_items = all["items"].as_array().unwrap();
    assert!(all_items.iter().any(|e| e["organization_id"].is_null()), "admins see records without an organisation");
    let ids =
        |v: &Value| -> Vec<i64> { v["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect() };

    // The inspector sees records of gb's subtree only.
    let mine = f.app.get("/api/v1/audit-events?limit=100", Some(&inspector)).await.json();
    let subtree = [f.gb, f.b1, f.b2].map(|o| o.to_string());
    assert!(!ids(&mine).is_empty());
    for e in mine["items"].as_array().unwrap() {
        assert!(subtree.contains(&e["organization_id"].as_str().unwrap_or("").to_owned()), "{e}");
    }
    let b3_rename = all_items
        .iter()
        .find(|e| e["entity"] == "organization" && e["entity_id"] == f.b3.to_string() && e["action"] == "update")
        .unwrap();
    let b3_id = b3_rename["id"].as_i64().unwrap();
    assert!(!ids(&mine).contains(&b3_id));
    // Out of scope answers like a missing id.
    let out = f.app.get(&format!("/api/v1/audit-events/{b3_id}"), Some(&inspector)).await;
    let missing = f.app.get("/api/v1/audit-events/999999999", Some(&inspector)).await;
    assert_eq!((out.status, &out.body), (StatusCode::NOT_FOUND, &missing.body));
    assert_eq!(f.app.get(&format!("/api/v1/audit-events/{b3_id}"), Some(&admin)).await.status, StatusCode::OK);
    let h = f.app.get(&format!("/api/v1/audit-history/organization/{}", f.b3), Some(&inspector)).await;
    assert_eq!(h.status, StatusCode::NOT_FOUND);
    // History with a field-level diff.
    let h = f.app.get(&format!("/api/v1/audit-history/organization/{}", f.b1), Some(&inspector)).await.json();
    let last = h.as_array().unwrap().last().unwrap();
    assert_eq!(last["event"]["action"], "update");
    assert_eq!(last["event"]["actor_name"], "system");
    assert!(
        last["changes"].as_array().unwrap().iter().any(|c| c["field"] == "name" && c["after"] == "研发第一党支部"),
        "{last}"
    );

    // Phone and e-mail in person snapshots only for readers who may see personal data.
    let p = services::people::get(f.app.db(), &sys, f.p_other_b1).await.unwrap();
    let patch = services::people::PersonPatch {
        phone: Some("13800000001".into()),
        email: Some("zhang@example.com".into()),
        ..Default::default()
    };
    services::people::update(f.app.db(), &sys, *p.id, p.version, patch).await.unwrap();
    let path = format!("/api/v1/audit-history/person/{}", p.id);
    let h = f.app.get(&path, Some(&inspector)).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text());
    assert!(!h.text().contains("13800000001") && !h.text().contains("zhang@example.com"), "{}", h.text());
    let h = f.app.get(&path, Some(&admin)).await;
    assert!(h.text().contains("13800000001"), "administrators see personal data: {}", h.text());

    // Everyone else sees nothing.
    for who in ["orgadmin_b1", "member_b1", "hr"] {
        let t = f.token(who).await;
        assert_eq!(f.app.get("/api/v1/audit-events", Some(&t)).await.status, StatusCode::FORBIDDEN, "{who}");
        let g = f.app.gql(Some(&t), "{ auditEvents { totalCount } }", json!({})).await;
        assert_eq!(gql_code(&g).as_deref(), Some("FORBIDDEN"), "{who}");
        let h = f.app.get(&format!("/api/v1/audit-history/organization/{}", f.b1), Some(&t)).await;
        assert_eq!(h.status, StatusCode::FORBIDDEN, "{who}");
    }

    // Filters: entity, action, organisation subtree, actor, time; keyset paging.
    let r = f
        .app
        .get(
            &format!("/api/v1/audit-events?entity=organization&action=update&organization_id={}", f.gb),
            Some(&inspector),
        )
        .await
        .json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    let g = f
        .app
        .gql(
            Some(&admin),
            "query($o: ID!) { auditEvents(entity: \"organization\", action: \"update\", organizationId: $o, first: 5) { totalCount edges { node { entityId actorKind before after } } } }",
            json!({"o": f.root}),
        )
        .await;
    assert_eq!(g["data"]["auditEvents"]["totalCount"], 2, "{g}");
    assert!(g["data"]["auditEvents"]["edges"][0]["node"]["before"]["name"].is_string());
    let future = "2999-01-01T00:00:00Z";
    let r = f.app.get(&format!("/api/v1/audit-events?from={future}"), Some(&admin)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 0);
    let r =
        f.app.get(&format!("/api/v1/audit-events?to={future}&actor_id={}", Uuid::now_v7()), Some(&admin)).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 0);
    // Reading the trail is audited itself (entity audit_event): page through organisations,
    // which these reads do not add to.
    let p1 = f.app.get("/api/v1/audit-events?limit=3&entity=organization", Some(&admin)).await.json();
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 =
        f.app.get(&format!("/api/v1/audit-events?limit=3&entity=organization&cursor={c}"), Some(&admin)).await.json();
    let (a, b) = (ids(&p1), ids(&p2));
    assert!(a.iter().zip(a.iter().skip(1)).all(|(x, y)| x > y), "newest first");
    assert!(a.last().unwrap() > b.first().unwrap(), "pages continue without overlap");
    let g = f
        .app
        .gql(
            Some(&admin),
            "{ auditEvents(first: 3, entity: \"organization\") { pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let end = g["data"]["auditEvents"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    assert_eq!(end, c);
    let r = f.app.get("/api/v1/audit-events?cursor=notacursor", Some(&admin)).await;
    assert_eq!(r.status.as_u16(), 422);
}

#[actix_web::test]
async fn the_migrations_roll_back_and_an_upgraded_database_gets_its_records_chained() {
    use migration::MigratorTrait;
    let f = Fixture::new().await;
    let db = f.app.db();
    // Back to before supervision and the chain (and what came after): the audit rows
    // stay, unchained.
    migration::Migrator::down(db, Some(7)).await.unwrap();
    let rows = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) FROM audit_event"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert!(rows > 10);
    // Upgrade again, as a server start does: migrate, then chain the backlog.
    migration::Migrator::up(db, None).await.unwrap();
    assert_eq!(services::audit::chain_backlog(db).await.unwrap(), rows as u64);
    let report = verify(&f).await;
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["head_sequence"].as_i64().unwrap() >= rows, "{report}");
}

#[actix_web::test]
async fn an_anchor_catches_a_rewrite_of_the_whole_chain() {
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let before = verify(&f).await;
    let (seq, hash) = (before["head_sequence"].as_i64().unwrap(), before["head_hash"].as_str().unwrap().to_owned());
    let anchored = format!("/api/v1/audit-chain/verify?anchor_sequence={seq}&anchor_hash={hash}");
    assert_eq!(f.app.get(&anchored, Some(&admin)).await.json()["ok"], true);

    // Someone with database access edits record 3 and recomputes every hash after it.
    let db = f.app.db();
    let rows = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Seq.gte(3))
        .order_by_asc(entity::audit_event::Column::Seq)
        .all(db)
        .await
        .unwrap();
    let mut prev = rows[0].prev_hash.clone().unwrap();
    for (i, row) in rows.into_iter().enumerate() {
        let mut row = row;
        if i == 0 {
            row.action = "delete".into();
        }
        let h = services::audit::chain_hash(&prev, &services::audit::canonical_content(&row, row.seq.unwrap()));
        let mut am: entity::audit_event::ActiveModel = row.clone().into();
        am.action = Set(row.action.clone());
        am.prev_hash = Set(Some(prev.clone()));
        am.hash = Set(Some(h.clone()));
        am.update(db).await.unwrap();
        prev = h;
    }
    exec(&f, &format!("UPDATE audit_chain_head SET hash = '{prev}' WHERE id = 1")).await;
    // The chain alone cannot tell (only the records after the anchor would) ...
    let plain = f.app.get("/api/v1/audit-chain/verify", Some(&admin)).await.json();
    assert_eq!(plain["ok"], true, "{plain}");
    // ... the anchor kept outside the database can.
    let r = f.app.get(&anchored, Some(&admin)).await.json();
    assert_eq!(r["first_broken"]["reason"], "anchor_mismatch", "{r}");
    assert_eq!(r["first_broken"]["sequence"], seq);
    let g = f
        .app
        .gql(
            Some(&admin),
            "query($s: Int!, $h: String!) { verifyAuditChain(anchorSequence: $s, anchorHash: $h) { ok firstBroken { reason } } }",
            json!({"s": seq, "h": hash}),
        )
        .await;
    assert_eq!(g["data"]["verifyAuditChain"]["firstBroken"]["reason"], "ANCHOR_MISMATCH", "{g}");
    let r = f.app.get(&format!("/api/v1/audit-chain/verify?anchor_sequence={seq}"), Some(&admin)).await;
    assert_eq!(r.status.as_u16(), 422);
}
