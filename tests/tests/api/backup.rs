//! The backup drill: `dangjian backup` under write load, `dangjian restore` into a new
//! database and storage, then the restored server is checked as its users would: the
//! rows the backup recorded, the attachments byte for byte, a valid audit chain, and
//! tokens issued before the restore refused.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use actix_web::{http::StatusCode, test};
use dangjian::backup::{self, PgTools};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::attachments::multipart;
use crate::common::{self, Fixture, TestApp};

#[actix_web::test]
async fn a_backup_taken_under_write_load_restores_rows_attachments_and_a_valid_chain() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let new_document =
        |title: String| json!({"organization_id": f.b1, "kind": "speech", "title": title, "body": "正文"});
    let r = f.app.post("/api/v1/documents", Some(&oa), new_document("附件文档".into())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json()["id"].as_str().unwrap().to_owned();
    let pdf: Vec<u8> = [b"%PDF-1.7\n".as_slice(), &(0u8..=255).cycle().take(7000).collect::<Vec<u8>>()].concat();
    let (content_type, body) = multipart("备份.pdf", "application/pdf", &pdf);
    let r = f
        .app
        .send(
            test::TestRequest::post()
                .uri(&format!("/api/v1/documents/{doc}/attachments"))
                .insert_header(("Authorization", format!("Bearer {oa}")))
                .insert_header(("Content-Type", content_type))
                .set_payload(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let download = r.json()["download_url"].as_str().unwrap().to_owned();
    let documents_at_start = entity::document::Entity::find().count(f.app.db()).await.unwrap();

    // Writers keep creating documents while the backup runs.
    let stop = Cell::new(false);
    let acknowledged = RefCell::new(Vec::<String>::new());
    let writer = |n: usize| {
        let (stop, acknowledged, oa, new_document) = (&stop, &acknowledged, &oa, &new_document);
        let app = &f.app;
        async move {
            let mut i = 0;
            while !stop.get() {
                i += 1;
                let r = app.post("/api/v1/documents", Some(oa), new_document(format!("负载{n}-{i}"))).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
                acknowledged.borrow_mut().push(r.json()["id"].as_str().unwrap().to_owned());
            }
        }
    };
    let folder = tempfile::tempdir().unwrap();
    let folder = folder.path().join("backup-1");
    let take_backup = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = acknowledged.borrow().len();
        let manifest = backup::backup(&f.app.state.settings, &folder, &PgTools::default()).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.set(true);
        (before, manifest)
    };
    let ((), (), (before, manifest)) = futures_util::join!(writer(1), writer(2), take_backup);
    let manifest = manifest.expect("backup");
    let acknowledged = acknowledged.into_inner();
    assert!(before > 0 && acknowledged.len() > before, "writes before and after: {before}, {}", acknowledged.len());
    let in_backup = u64::try_from(manifest.tables["document"]).unwrap();
    assert!(
        in_backup >= documents_at_start + before as u64 && in_backup <= documents_at_start + acknowledged.len() as u64,
        "the copy holds every document acknowledged before it began and none that did not exist: {in_backup}"
    );
    assert_eq!(manifest.attachments, 1);
    assert_eq!(manifest.attachment_bytes, pdf.len() as u64);
    // A backup never overwrites one.
    assert!(backup::backup(&f.app.state.settings, &folder, &PgTools::default()).await.is_err());

    // Restore into a new database and a new storage folder.
    let target = tempfile::tempdir().unwrap();
    let url = common::fresh_database_url(target.path()).await;
    let settings = common::settings(url, target.path().to_path_buf());
    let report = backup::restore(&settings, &folder, &PgTools::default()).await.expect("restore");
    assert!(report.chain_ok, "the restored audit chain verifies ({} records)", report.chain_records);
    assert!(report.chain_records > 0);
    assert_eq!(report.attachments, 1);
    // Restoring over a database that has tables is refused.
    assert!(backup::restore(&settings, &folder, &PgTools::default()).await.is_err());

    let restored = TestApp::on(settings).await;
    let documents = entity::document::Entity::find().count(restored.db()).await.unwrap();
    assert_eq!(documents, in_backup);
    // Tokens from before the restore are refused; signing in again works.
    assert_eq!(restored.get("/api/v1/me", Some(&oa)).await.status, StatusCode::UNAUTHORIZED);
    let token = restored.login("orgadmin_b1").await;
    let first_written = &acknowledged[0];
    let r = restored.get(&format!("/api/v1/documents/{first_written}"), Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = restored.get(&download, Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.body, pdf, "the attachment, byte for byte");
    let chain =
        restored.gql(Some(&restored.login("admin").await), "{ verifyAuditChain { ok pending } }", json!({})).await;
    assert_eq!(chain["data"]["verifyAuditChain"]["ok"], true, "{chain}");
}
