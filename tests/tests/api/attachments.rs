//! Attachments: multipart upload with size and type checks, authorised download with
//! byte ranges, deletion.

use actix_web::{http::StatusCode, test};
use serde_json::json;

use crate::common::Fixture;

pub fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "dangjian-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn upload_download_ranges_and_rules() {
    let f = Fixture::new().await;
    let oa = f.token("orgadmin_b1").await;
    let r = f
        .app
        .post(
            "/api/v1/documents",
            Some(&oa),
            json!({"organization_id": f.b1, "kind": "speech", "title": "讲话", "body": "正文"}),
        )
        .await;
    let doc = r.json()["id"].as_str().unwrap().to_owned();
    let pdf: Vec<u8> = [b"%PDF-1.7\n".as_slice(), &(0u8..=255).cycle().take(5000).collect::<Vec<u8>>()].concat();
    let send = |token: &str, filename: &str, ct: &str, bytes: &[u8]| {
        let (content_type, body) = multipart(filename, ct, bytes);
        test::TestRequest::post()
            .uri(&format!("/api/v1/documents/{doc}/attachments"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
    };
    let r = f.app.send(send(&oa, "书记讲话.pdf", "application/pdf", &pdf)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json();
    assert_eq!(a["size_bytes"], pdf.len());
    assert_eq!(a["filename"], "书记讲话.pdf");
    let expected_sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&pdf))
    };
    assert_eq!(a["sha256"], expected_sha);
    let url = a["download_url"].as_str().unwrap().to_owned();
    // Wrong signature, unknown type, too large, member uploader.
    let r = f.app.send(send(&oa, "fake.pdf", "application/pdf", b"MZ\x90\x00binary")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "file");
    let r = f.app.send(send(&oa, "x.exe", "application/x-msdownload", b"MZ")).await;
    assert_eq!(r.json()["errors"][0]["field"], "content_type");
    let big = vec![b'a'; 300 * 1024];
    let r = f.app.send(send(&oa, "big.txt", "text/plain", &big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let member = f.token("member_b1").await;
    assert_eq!(f.app.send(send(&member, "m.txt", "text/plain", b"hi")).await.status, StatusCode::FORBIDDEN);
    // Drafts' attachments are as invisible as the draft.
    assert_eq!(f.app.get(&url, Some(&member)).await.status, StatusCode::NOT_FOUND);
    // Whole file and ranges for an editor.
    let r = f.app.get(&url, Some(&oa)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, pdf);
    assert_eq!(r.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(
        r.header("content-disposition").as_deref(),
        Some("attachment; filename*=UTF-8''%E4%B9%A6%E8%AE%B0%E8%AE%B2%E8%AF%9D.pdf"),
        "RFC 6266 with the UTF-8 name"
    );
    let ranged = |range: &str| {
        test::TestRequest::get()
            .uri(&url)
            .insert_header(("Authorization", format!("Bearer {oa}")))
            .insert_header(("Range", range))
    };
    let r = f.app.send(ranged("bytes=0-4")).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, b"%PDF-");
    assert_eq!(r.header("content-range"), Some(format!("bytes 0-4/{}", pdf.len())));
    let r = f.app.send(ranged("bytes=-3")).await;
    assert_eq!(r.body, &pdf[pdf.len() - 3..]);
    let r = f.app.send(ranged("bytes=999999-")).await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    // Listing, out-of-scope readers, deletion.
    let list = f.app.get(&format!("/api/v1/documents/{doc}/attachments"), Some(&oa)).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let oa2 = f.token("orgadmin_b2").await;
    assert_eq!(f.app.get(&url, Some(&oa2)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.app.delete(&url, Some(&oa2), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.app.delete(&url, Some(&oa), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.get(&url, Some(&oa)).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn evidence_on_measure_progress_updates() {
    let f = Fixture::new().await;
    let today = f.app.state.settings.today();
    let member = f.token("member_b1").await;
    let other = f.add_member("other_b1", f.p_other_b1, f.b1).await;
    let oa = f.token("orgadmin_b1").await;
    let oa2 = f.token("orgadmin_b2").await;
    let m = crate::measures::measure(&f, f.b1, f.p_member_b1, today + chrono::Duration::days(10)).await;
    let r =
        f.app.post(&format!("/api/v1/measures/{}/updates", m.id), Some(&member), json!({"text": "完成样机调试"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let update = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/measure-updates/{update}/attachments");
    let send = |token: &str, bytes: &[u8]| {
        let (content_type, body) = multipart("调试记录.png", "image/png", bytes);
        test::TestRequest::post()
            .uri(&path)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
    };
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), b"IHDR-and-more"].concat();
    // The author attaches; a colleague who can read the measure may not; outside the scope it does not exist.
    let r = f.app.send(send(&member, &png)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let url = r.json()["download_url"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["owner_kind"], "measure_update");
    assert_eq!(f.app.send(send(&other, &png)).await.status, StatusCode::FORBIDDEN);
    let outside = f.app.send(send(&oa2, &png)).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let missing = f
        .app
        .send({
            let (content_type, body) = multipart("x.png", "image/png", &png);
            test::TestRequest::post()
                .uri(&format!("/api/v1/measure-updates/{}/attachments", uuid::Uuid::now_v7()))
                .insert_header(("Authorization", format!("Bearer {oa2}")))
                .insert_header(("Content-Type", content_type))
                .set_payload(body)
        })
        .await;
    assert_eq!(outside.body, missing.body, "out of scope answers like missing");
    // The manager attaches too; readers list and download; the other branch sees nothing.
    assert_eq!(f.app.send(send(&oa, &png)).await.status, StatusCode::CREATED);
    let list = f.app.get(&path, Some(&other)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    assert_eq!(f.app.get(&url, Some(&oa)).await.body, png);
    assert_eq!(f.app.get(&url, Some(&oa2)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.app.get(&path, Some(&oa2)).await.status, StatusCode::NOT_FOUND);
    // GraphQL shows the evidence under the update; a colleague may not delete it, the author may.
    let v = f
        .app
        .gql(
            Some(&member),
            "query($id: ID!) { measure(id: $id) { updates { text attachments { filename contentType sizeBytes downloadUrl } } } }",
            json!({"id": m.id.to_string()}),
        )
        .await;
    let atts = &v["data"]["measure"]["updates"][0]["attachments"];
    assert_eq!(atts.as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(atts[0]["filename"], "调试记录.png");
    assert_eq!(atts[0]["downloadUrl"], url.as_str());
    assert_eq!(f.app.delete(&url, Some(&other), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(f.app.delete(&url, Some(&member), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.get(&path, Some(&member)).await.json().as_array().unwrap().len(), 1);
}
