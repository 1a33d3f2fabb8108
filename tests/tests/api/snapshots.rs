//! The OpenAPI document and the GraphQL SDL are snapshots: an API change shows up as a
//! reviewed diff (`INSTA_UPDATE=always cargo test` rewrites them).

use crate::common::settings;

#[test]
fn openapi_document() {
    let doc = dangjian::rest::openapi().to_pretty_json().unwrap();
    insta::assert_snapshot!("openapi", doc);
}

#[test]
fn graphql_sdl() {
    let s = settings("sqlite::memory:".into(), std::env::temp_dir());
    insta::assert_snapshot!("graphql_sdl", dangjian::graphql::sdl(&s));
}

/// What OpenAPI validators and SDK generators insist on: the served document is valid
/// by the OpenAPI 3.1 schema, every `$ref` resolves, every operation id is unique and
/// reads like a method name, every response has a description.
#[actix_web::test]
async fn openapi_document_is_valid_for_generators() {
    let app = crate::common::TestApp::empty().await;
    let served = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(served.status, actix_web::http::StatusCode::OK);
    let doc: serde_json::Value = served.json();
    // The OpenAPI Initiative's schema of 3.1 documents (2022-10-07, Apache-2.0), as
    // openapi-spec-validator ships it.
    let oas: serde_json::Value = serde_json::from_str(include_str!("oas-3.1-schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&oas).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path)).take(20).collect();
    assert!(errors.is_empty(), "the OpenAPI document is invalid:\n{}", errors.join("\n"));
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "$ref {r} points nowhere");
    }
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric()) && id.starts_with(|c: char| c.is_ascii_lowercase()),
                "operationId {id} is not camelCase"
            );
            assert!(
                !["list", "get", "create", "update", "delete"].contains(&id),
                "{method} {path}: operationId {id} does not name its resource"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = match response["$ref"].as_str() {
                    Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                    None => response,
                };
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.trim().is_empty(), "{method} {path} {status} has no description");
            }
            // Every operation that needs a token documents the answer without one.
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(op["responses"].get("401").is_some(), "{method} {path} does not document 401");
            }
            if path.contains('{') {
                assert!(op["responses"].get("404").is_some(), "{method} {path} does not document 404");
            }
            if op.get("requestBody").is_some() {
                for status in ["415", "422"] {
                    assert!(op["responses"].get(status).is_some(), "{method} {path} does not document {status}");
                }
            }
        }
    }
    // Swagger UI's Authorize dialog can log in with a password.
    assert_eq!(doc["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["tokenUrl"], "/api/v1/auth/token");
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.extend(v.as_str().map(str::to_owned));
                } else {
                    collect_refs(v, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
