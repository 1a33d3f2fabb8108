//! Stand-alone migration CLI (`cargo run -p migration -- status`); the server binary
//! offers the same through `dangjian migrate`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
