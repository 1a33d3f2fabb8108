//! Demo data (`dangjian seed-demo`): placeholder replaced below.

use sea_orm::DatabaseConnection;

/// Loads the demo organisation.
pub async fn seed_demo(_db: &DatabaseConnection) -> anyhow::Result<String> {
    Ok(String::new())
}
