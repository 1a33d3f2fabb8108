//! The foundation: organisation tree, people, accounts, roles, service clients,
//! refresh tokens, transfer history and the audit trail.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to, "id").on_delete(ForeignKeyAction::Restrict).to_owned()
}

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

/// The tables in creation order (dropped in reverse).
const TABLES: [&str; 8] = [
    "organization",
    "person",
    "person_transfer",
    "user_account",
    "role_assignment",
    "service_client",
    "refresh_token",
    "audit_event",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Byte-wise ordering makes the materialised-path range scan exact on PostgreSQL
        // whatever the database's default collation.
        let mut path = text("path");
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            path.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table("organization")
                    .col(pk_uuid("id"))
                    .col(uuid_null("parent_id"))
                    .col(string("name"))
                    .col(string_null("short_name"))
                    .col(string("kind"))
                    .col(path)
                    .col(integer("depth"))
                    .col(integer("sort_order").default(0))
                    .col(date_null("established_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("organization", "parent_id"), "organization"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("organization", &["path"], true)).await?;
        manager.create_index(index("organization", &["parent_id", "sort_order"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("person")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("name"))
                    .col(string("employee_no"))
                    .col(string_null("phone"))
                    .col(string_null("email"))
                    .col(string("party_status"))
                    .col(date_null("joined_party_on"))
                    .col(string_null("position"))
                    .col(boolean("is_leadership").default(false))
                    .col(boolean("is_tech_backbone").default(false))
                    .col(boolean("is_model_worker").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("person", "organization_id"), "organization"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("person", &["employee_no"], true)).await?;
        manager.create_index(index("person", &["organization_id", "id"], false)).await?;
        manager.create_index(index("person", &["party_status", "id"], false)).await?;
        manager.create_index(index("person", &["name"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("person_transfer")
                    .col(pk_uuid("id"))
                    .col(uuid("person_id"))
                    .col(uuid("from_organization_id"))
                    .col(uuid("to_organization_id"))
                    .col(date("effective_on"))
                    .col(text_null("reason"))
                    .col(uuid_null("recorded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(("person_transfer", "person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("person_transfer", &["person_id", "id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("user_account")
                    .col(pk_uuid("id"))
                    .col(string("username"))
                    .col(uuid_null("person_id"))
                    .col(string("password_hash"))
                    .col(boolean("disabled").default(false))
                    .col(integer("failed_logins").default(0))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(integer("token_version").default(0))
                    .col(timestamp_with_time_zone_null("last_login_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("user_account", "person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("user_account", &["username"], true)).await?;
        manager.create_index(index("user_account", &["person_id"], true)).await?;

        manager
            .create_table(
                Table::create()
                    .table("role_assignment")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(string("role"))
                    .col(uuid_null("organization_id"))
                    .col(string("scope_key"))
                    .col(uuid_null("granted_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        &mut fk(("role_assignment", "user_id"), "user_account")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut fk(("role_assignment", "organization_id"), "organization"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("role_assignment", &["user_id", "role", "scope_key"], true)).await?;
        manager.create_index(index("role_assignment", &["organization_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("service_client")
                    .col(pk_uuid("id"))
                    .col(string("client_id"))
                    .col(string("name"))
                    .col(string("secret_hash"))
                    .col(json("scopes"))
                    .col(uuid_null("organization_id"))
                    .col(boolean("disabled").default(false))
                    .col(integer("token_version").default(0))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("service_client", "organization_id"), "organization"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("service_client", &["client_id"], true)).await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_token")
                    .col(pk_uuid("id"))
                    .col(uuid("family_id"))
                    .col(uuid("user_id"))
                    .col(string("token_hash"))
                    .col(integer("token_version"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        &mut fk(("refresh_token", "user_id"), "user_account")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("refresh_token", &["token_hash"], true)).await?;
        manager.create_index(index("refresh_token", &["family_id"], false)).await?;
        manager.create_index(index("refresh_token", &["user_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_event")
                    .col(big_pk_auto("id"))
                    .col(string("actor_kind"))
                    .col(uuid_null("actor_id"))
                    .col(string("action"))
                    .col(string("entity"))
                    .col(uuid("entity_id"))
                    .col(uuid_null("organization_id"))
                    .col(json_null("before"))
                    .col(json_null("after"))
                    .col(string_null("request_id"))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("audit_event", &["entity", "entity_id"], false)).await?;
        manager.create_index(index("audit_event", &["actor_id"], false)).await?;
        manager.create_index(index("audit_event", &["organization_id"], false)).await?;
        manager.create_index(index("audit_event", &["at"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
