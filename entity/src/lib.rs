//! sea-orm entities of dangjian: one module per table, rows only.
//!
//! No business logic lives here: enumerations are stored as text and validated by
//! `dangjian::services`, which owns every rule. Every table people edit carries
//! `created_at`, `updated_at` and `version` (optimistic concurrency).

pub mod achievement;
pub mod achievement_member;
pub mod activity_participant;
pub mod attachment;
pub mod attendance;
pub mod audit_chain_head;
pub mod audit_event;
pub mod auth_epoch;
pub mod campaign_indicator;
pub mod committee_member;
pub mod committee_term;
pub mod document;
pub mod document_tag;
pub mod fast;
pub mod honour;
pub mod honour_person;
pub mod idempotency_key;
pub mod innovation_activity;
pub mod innovation_campaign;
pub mod inspection;
pub mod measure;
pub mod measure_update;
pub mod meeting_norm;
pub mod organization;
pub mod party_status_change;
pub mod person;
pub mod person_transfer;
pub mod project_member;
pub mod project_milestone;
pub mod rd_expenditure;
pub mod reading_record;
pub mod refresh_token;
pub mod research_project;
pub mod role_assignment;
pub mod service_client;
pub mod session_material;
pub mod session_statement;
pub mod study_clock;
pub mod study_session;
pub mod supervision_item;
pub mod supervision_item_update;
pub mod user_account;
pub mod vanguard_member;
pub mod vanguard_unit;
pub mod webhook_delivery;
pub mod webhook_subscription;
