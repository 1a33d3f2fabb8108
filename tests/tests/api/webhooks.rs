//! Webhooks as a receiver sees them: signed Standard Webhooks POSTs, a retry after a
//! 500, each event once with two replicas delivering, a client's subscription limited
//! to its scope, refused private targets, disabling after repeated failures.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use base64::Engine;
use dangjian::services::webhooks::deliver_due;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::{Fixture, gql_code};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

/// A tiny webhook receiver on 127.0.0.1: answers `statuses` in turn (then `then`) and
/// keeps every request.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(statuses: Vec<u16>, then: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        let got = Arc::new(Mutex::new(Vec::new()));
        let kept = got.clone();
        std::thread::spawn(move || {
            let mut answers = statuses.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or_default();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                    }
                }
                let len: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
                let mut body = vec![0u8; len];
                reader.read_exact(&mut body).unwrap_or_default();
                kept.lock().unwrap().push(Received { headers, body: String::from_utf8_lossy(&body).into_owned() });
                let status = answers.next().unwrap_or(then);
                let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        Receiver { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Verifies a delivery's signature as a receiver would (Standard Webhooks `v1`).
fn signature_valid(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    let (id, ts) = (&r.headers["webhook-id"], &r.headers["webhook-timestamp"]);
    mac.update(format!("{id}.{ts}.{}", r.body).as_bytes());
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    r.headers["webhook-signature"].split(' ').any(|s| s == expected)
}

async fn link(f: &Fixture) {
    dangjian::services::audit::chain_backlog(f.app.db()).await.unwrap();
}

async fn deliver(f: &Fixture, replica: &str) -> usize {
    deliver_due(f.app.db(), &f.app.state.webhooks, replica).await.unwrap()
}

async fn new_person(f: &Fixture, admin: &str, org: uuid::Uuid, no: &str) -> String {
    let r = f
        .app
        .post("/api/v1/people", Some(admin), json!({"organization_id": org, "name": "新人", "employee_no": no}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_receiver_gets_each_event_once_signed_after_a_500_and_a_retry_with_two_replicas() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let hook = Receiver::start(vec![500], 200);
    let r = f
        .app
        .post(
            "/api/v1/webhook-subscriptions",
            Some(&admin),
            json!({"name": "HR", "url": hook.url, "event_types": ["person"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (id, secret) =
        (r.json()["subscription"]["id"].as_str().unwrap().to_owned(), r.json()["secret"].as_str().unwrap().to_owned());
    assert!(secret.starts_with("whsec_"));
    let shown = f.app.get(&format!("/api/v1/webhook-subscriptions/{id}"), Some(&admin)).await;
    assert!(!shown.text().contains(&secret), "the secret is shown once");

    // Nothing before the subscription is sent; a change after it is, after one retry.
    link(&f).await;
    assert_eq!(deliver(&f, "a").await, 0);
    let person = new_person(&f, &admin, f.b1, "W-1").await;
    link(&f).await;
    assert_eq!(deliver(&f, "a").await, 1, "the first attempt: 500");
    let sub = f.app.get(&format!("/api/v1/webhook-subscriptions/{id}"), Some(&admin)).await.json();
    assert_eq!(sub["failures"], 1, "{sub}");
    assert_eq!(deliver(&f, "b").await, 1, "the retry, by another replica: 200");
    assert_eq!(deliver(&f, "a").await, 0, "delivered once");
    let got = hook.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"], "a retry keeps the event's id");
    assert!(got.iter().all(|r| signature_valid(&secret, r)), "{got:?}");
    let body: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["type"], "person.create");
    assert_eq!(body["data"]["id"], person.as_str());
    assert_eq!(body["data"]["kind"], "upsert");
    assert_eq!(body["data"]["object"]["employee_no"], "W-1");

    // The delivery log, newest first.
    let log = f.app.get(&format!("/api/v1/webhook-subscriptions/{id}/deliveries"), Some(&admin)).await.json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0]["succeeded"].clone(), log[0]["status_code"].clone(), log[0]["attempt"].clone()),
        (json!(true), json!(200), json!(2))
    );
    assert_eq!((log[1]["succeeded"].clone(), log[1]["status_code"].clone()), (json!(false), json!(500)));

    // Two replicas delivering at once: every event exactly once, in order.
    let mut made = Vec::new();
    for i in 0..6 {
        made.push(new_person(&f, &admin, f.b1, &format!("W-2{i}")).await);
    }
    link(&f).await;
    let (a, b) = tokio::join!(deliver(&f, "a"), deliver(&f, "b"));
    assert_eq!(a + b, 6, "{a} + {b}");
    let got = hook.received();
    let ids: Vec<String> = got[2..]
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, made, "each once, in commit order");

    // Manual redelivery sends the logged event again, with its id.
    let first = log[0]["id"].as_i64().unwrap();
    let r = f
        .app
        .post(&format!("/api/v1/webhook-subscriptions/{id}/deliveries/{first}/redeliver"), Some(&admin), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["manual"], true);
    assert_eq!(r.json()["attempt"], 3);
    let last = hook.received().pop().unwrap();
    assert_eq!(last.headers["webhook-id"], got[0].headers["webhook-id"]);
    assert!(signature_valid(&secret, &last));
}

#[actix_web::test]
async fn a_clients_subscription_sends_what_it_may_read_and_targets_are_checked() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let hr = f.token("hr").await; // people:read + organizations:read over the general branch
    let hook = Receiver::start(vec![], 204);
    let q = "mutation($url: String!) { createWebhookSubscription(input: {name: \"HR\", url: $url, eventTypes: [PERSON]}) { secret subscription { id serviceClientId } } }";
    let v = f.app.gql(Some(&hr), q, json!({"url": hook.url})).await;
    assert!(v["errors"].is_null(), "{v}");
    assert!(v["data"]["createWebhookSubscription"]["subscription"]["serviceClientId"].is_string());
    let inside = new_person(&f, &admin, f.b1, "C-1").await;
    new_person(&f, &admin, f.b3, "C-2").await;
    link(&f).await;
    assert_eq!(deliver(&f, "a").await, 1, "only what the client may read");
    let got = hook.received();
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["data"]["id"], inside.as_str());
    assert!(body["data"]["object"]["phone"].is_null(), "masked as the client reads it");

    // The client sees its own subscriptions only; a member none at all.
    let mine = f.app.get("/api/v1/webhook-subscriptions", Some(&hr)).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let member = f.token("member_b1").await;
    let r = f.app.get("/api/v1/webhook-subscriptions", Some(&member)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // Private, loopback and link-local targets are refused unless allowed (the tests allow
    // 127.0.0.1 only), and so are other schemes and credentials in the URL.
    for url in [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hook",
        "http://localhost.invalid/hook",
        "ftp://example.com/hook",
        "http://user:pw@127.0.0.1:9/hook",
    ] {
        let r = f.app.post("/api/v1/webhook-subscriptions", Some(&admin), json!({"name": "x", "url": url})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.text());
        assert_eq!(r.json()["errors"][0]["field"], "url", "{url}");
    }
    let v = f.app.gql(Some(&hr), q, json!({"url": "http://192.168.1.10/hook"})).await;
    assert_eq!(gql_code(&v).as_deref(), Some("VALIDATION"), "{v}");
}

#[actix_web::test]
async fn a_subscription_that_keeps_failing_is_disabled_and_resumes_where_it_stopped() {
    let f = Fixture::new().await;
    let admin = f.token("admin").await;
    let hook = Receiver::start(vec![500, 500, 503], 200);
    let r = f.app.post("/api/v1/webhook-subscriptions", Some(&admin), json!({"name": "x", "url": hook.url})).await;
    let id = r.json()["subscription"]["id"].as_str().unwrap().to_owned();
    new_person(&f, &admin, f.b1, "F-1").await;
    link(&f).await;
    for _ in 0..3 {
        assert_eq!(deliver(&f, "a").await, 1);
    }
    let sub = f.app.get(&format!("/api/v1/webhook-subscriptions/{id}"), Some(&admin)).await;
    assert_eq!(sub.json()["disabled"], true, "{}", sub.text());
    assert!(sub.json()["disabled_reason"].as_str().unwrap().contains('3'));
    assert_eq!(deliver(&f, "a").await, 0, "a disabled subscription is not tried");
    let tag = sub.header("etag").unwrap();
    let r = f
        .app
        .patch(&format!("/api/v1/webhook-subscriptions/{id}"), Some(&admin), Some(&tag), json!({"disabled": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["failures"], 0);
    assert!(deliver(&f, "a").await >= 1);
    let got = hook.received();
    assert_eq!(got.len(), 4);
    assert!(got.windows(2).all(|w| w[0].headers["webhook-id"] == w[1].headers["webhook-id"]), "the same event");
}
