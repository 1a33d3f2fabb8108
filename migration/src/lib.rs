//! Database migrations of dangjian, shared by the server (`dangjian migrate`, and
//! start-up) and by the test suite. Every migration is reversible.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_foundation;
mod m20261126_000001_create_knowledge_base;
mod m20261126_000002_create_study;
mod m20261126_000003_material_position;
mod m20261126_000004_search_title_index;
mod m20261127_000001_create_innovation;
mod m20261127_000002_create_supervision;
mod m20261127_000003_audit_chain;
mod m20261130_000001_security;
mod m20261130_000002_committees;
mod m20261130_000003_person_life_cycle;
mod m20261130_000004_session_checkin;
mod m20261130_000005_rosters;
mod m20261130_000006_search_title_vector;
mod m20261201_000001_client_secret_overlap;
mod m20261201_000002_webhooks;
mod m20261201_000003_audit_unlinked_index;

/// The hash the first audit record links to (the chain's genesis).
pub use m20261127_000003_audit_chain::GENESIS_HASH as AUDIT_GENESIS_HASH;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_foundation::Migration),
            Box::new(m20261126_000001_create_knowledge_base::Migration),
            Box::new(m20261126_000002_create_study::Migration),
            Box::new(m20261126_000003_material_position::Migration),
            Box::new(m20261126_000004_search_title_index::Migration),
            Box::new(m20261127_000001_create_innovation::Migration),
            Box::new(m20261127_000002_create_supervision::Migration),
            Box::new(m20261127_000003_audit_chain::Migration),
            Box::new(m20261130_000001_security::Migration),
            Box::new(m20261130_000002_committees::Migration),
            Box::new(m20261130_000003_person_life_cycle::Migration),
            Box::new(m20261130_000004_session_checkin::Migration),
            Box::new(m20261130_000005_rosters::Migration),
            Box::new(m20261130_000006_search_title_vector::Migration),
            Box::new(m20261201_000001_client_secret_overlap::Migration),
            Box::new(m20261201_000002_webhooks::Migration),
            Box::new(m20261201_000003_audit_unlinked_index::Migration),
        ]
    }
}
