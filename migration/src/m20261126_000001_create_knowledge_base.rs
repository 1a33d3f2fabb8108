//! The knowledge base: documents with revisions and tags, reading records,
//! attachments, and the full-text search index (SQLite FTS5 / PostgreSQL tsvector + GIN).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("ix_{}_{}", table, cols.join("_"))).table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("document")
                    .col(pk_uuid("id"))
                    .col(uuid("lineage_id"))
                    .col(integer("revision"))
                    .col(string("kind"))
                    .col(string("title"))
                    .col(string_null("issuing_body"))
                    .col(date_null("issued_on"))
                    .col(text("body"))
                    .col(text_null("summary"))
                    .col(uuid("organization_id"))
                    .col(string("visibility"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(uuid_null("superseded_by"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from("document", "organization_id")
                            .to("organization", "id")
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("document", &["lineage_id", "revision"], true)).await?;
        manager.create_index(index("document", &["status", "kind", "id"], false)).await?;
        manager.create_index(index("document", &["organization_id", "id"], false)).await?;
        manager.create_index(index("document", &["issued_on"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("document_tag")
                    .col(uuid("document_id"))
                    .col(string("tag"))
                    .primary_key(Index::create().col("document_id").col("tag"))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from("document_tag", "document_id")
                            .to("document", "id")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("document_tag", &["tag", "document_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("reading_record")
                    .col(pk_uuid("id"))
                    .col(uuid("document_id"))
                    .col(uuid("person_id"))
                    .col(timestamp_with_time_zone("first_read_at"))
                    .col(timestamp_with_time_zone("last_read_at"))
                    .col(big_integer("seconds_spent").default(0))
                    .col(boolean("completed").default(false))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .foreign_key(
                        &mut ForeignKey::create().from("reading_record", "document_id").to("document", "id").to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create().from("reading_record", "person_id").to("person", "id").to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("reading_record", &["document_id", "person_id"], true)).await?;
        manager.create_index(index("reading_record", &["person_id", "last_read_at"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("attachment")
                    .col(pk_uuid("id"))
                    .col(string("owner_kind"))
                    .col(uuid("owner_id"))
                    .col(string("filename"))
                    .col(string("content_type"))
                    .col(big_integer("size_bytes"))
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("attachment", &["owner_kind", "owner_id"], false)).await?;

        // The search index: one function per backend, both stock (no extensions).
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                // search_doc maps an indexed object to the FTS row id, so updates and
                // deletes hit one row instead of scanning the FTS table.
                db.execute_unprepared(
                    "CREATE TABLE search_doc (rowid INTEGER PRIMARY KEY AUTOINCREMENT, \
                     entity TEXT NOT NULL, entity_id BLOB NOT NULL, UNIQUE (entity, entity_id))",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE search_fts USING fts5(title, content, \
                     tokenize = 'unicode61 remove_diacritics 0')",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TABLE search_entry (entity text NOT NULL, entity_id uuid NOT NULL, \
                     tsv tsvector NOT NULL, PRIMARY KEY (entity, entity_id))",
                )
                .await?;
                db.execute_unprepared("CREATE INDEX ix_search_entry_tsv ON search_entry USING GIN (tsv)").await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared("DROP TABLE IF EXISTS search_fts").await?;
                db.execute_unprepared("DROP TABLE IF EXISTS search_doc").await?
            }
            _ => db.execute_unprepared("DROP TABLE IF EXISTS search_entry").await?,
        };
        for table in ["attachment", "reading_record", "document_tag", "document"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
