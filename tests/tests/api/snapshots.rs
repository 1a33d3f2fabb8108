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
