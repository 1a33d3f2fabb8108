//! Supervision (巡察监督) and rectification (整改): inspections over an organisation
//! subtree, the supervision items they find, and the trail of updates on each item.
//! Rectification measures reuse the `measure` table (source kind `supervision_item`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to, "id").on_delete(ForeignKeyAction::Restrict).to_owned()
}

fn index(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("ix_{}_{}", table, cols.join("_"))).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}

/// The tables in creation order (dropped in reverse).
const TABLES: [&str; 3] = ["inspection", "supervision_item", "supervision_item_update"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("inspection")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("title"))
                    .col(text("focus"))
                    .col(uuid_null("lead_inspector_person_id"))
                    .col(date("starts_on"))
                    .col(date_null("ends_on"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("inspection", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("inspection", "lead_inspector_person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("inspection", &["organization_id", "id"])).await?;
        manager.create_index(index("inspection", &["status", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("supervision_item")
                    .col(pk_uuid("id"))
                    .col(uuid_null("inspection_id"))
                    .col(uuid("organization_id"))
                    .col(string("title"))
                    .col(text_null("description"))
                    .col(string("category"))
                    .col(string("severity"))
                    .col(uuid("responsible_person_id"))
                    .col(text_null("rectification_plan"))
                    .col(date("due_on"))
                    .col(string("status"))
                    .col(date("opened_on"))
                    .col(date_null("closed_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("supervision_item", "inspection_id"), "inspection"))
                    .foreign_key(&mut fk(("supervision_item", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("supervision_item", "responsible_person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        // One index per filter of the item views (organisation subtree, status, severity,
        // category, overdue = status + due date, inspection, responsible person).
        manager.create_index(index("supervision_item", &["organization_id", "id"])).await?;
        manager.create_index(index("supervision_item", &["status", "due_on"])).await?;
        manager.create_index(index("supervision_item", &["severity", "id"])).await?;
        manager.create_index(index("supervision_item", &["category", "id"])).await?;
        manager.create_index(index("supervision_item", &["due_on"])).await?;
        manager.create_index(index("supervision_item", &["opened_on"])).await?;
        manager.create_index(index("supervision_item", &["inspection_id", "id"])).await?;
        manager.create_index(index("supervision_item", &["responsible_person_id", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("supervision_item_update")
                    .col(pk_uuid("id"))
                    .col(uuid("item_id"))
                    .col(uuid_null("author_person_id"))
                    .col(uuid_null("author_user_id"))
                    .col(string("kind"))
                    .col(text("text"))
                    .col(string_null("status_from"))
                    .col(string_null("status_to"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        &mut fk(("supervision_item_update", "item_id"), "supervision_item")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("supervision_item_update", &["item_id", "id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
