//! The black-box integration suite: boots the real `build_app` in-process on a fresh
//! database per test (a temp-file SQLite by default; a fresh PostgreSQL database per
//! test when `TEST_DATABASE_URL` is set) and talks to it over HTTP requests only.

mod attachments;
mod audit;
mod auth;
mod authz;
mod backup;
mod committees;
mod common;
mod compliance;
mod documents;
mod documents_authz;
mod graphql;
mod http;
mod innovation;
mod innovation_authz;
mod integrations;
mod layering;
mod life_cycle;
mod measures;
mod organizations;
mod participation;
mod payloads;
mod people;
mod platform;
mod security;
mod snapshots;
mod statements;
mod study;
mod study_authz;
mod supervision;
mod supervision_authz;
mod users;
mod webhooks;
