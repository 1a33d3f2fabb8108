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

/// What OpenAPI validators and SDK generators insist on: every `$ref` resolves, every
/// operation id is unique, every response has a description.
#[test]
fn openapi_document_is_valid_for_generators() {
    let doc: serde_json::Value = serde_json::from_str(&dangjian::rest::openapi().to_json().unwrap()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in &refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas.contains_key(name), "$ref {r} points nowhere");
    }
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            for (status, response) in op["responses"].as_object().unwrap() {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.trim().is_empty(), "{method} {path} {status} has no description");
            }
        }
    }
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
