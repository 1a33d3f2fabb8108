//! dangjian: the party-building knowledge base API (REST + GraphQL).
//!
//! Layers, one way: `rest` / `graphql` (thin transports) → `services` (every rule,
//! permission and organisation scope) → `entity` via sea-orm → SQLite | PostgreSQL.
//! `startup::build_app` assembles the same application for the binary and the tests.

pub mod auth;
pub mod backup;
pub mod bench;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod i18n;
pub mod ratelimit;
pub mod rest;
pub mod seed;
pub mod services;
pub mod startup;
pub mod state;
pub mod storage;
pub mod strength;
pub mod telemetry;
