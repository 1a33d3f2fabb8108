//! Committees (党委委员会 / 总支委员会 / 支部委员会): terms (届) and their members in positions.
//!
//! `committee_term`: one row per term of an organisation's committee; the term in office
//! has `ended_on` null (at most one per organisation: a partial unique index, the same
//! SQL on SQLite and PostgreSQL). `committee_member`: a person in a position for part or
//! all of a term.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to, "id").on_delete(ForeignKeyAction::Restrict).to_owned()
}

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("{}_{}_{}", if unique { "ux" } else { "ix" }, table, cols.join("_"))).table(table);
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
                    .table("committee_term")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(integer("number"))
                    .col(date("started_on"))
                    .col(date_null("ends_on"))
                    .col(date_null("ended_on"))
                    .col(text_null("notes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("committee_term", "organization_id"), "organization"))
                    .to_owned(),
            )
            .await?;
        // The term in office (ended_on null) and the terms on a date.
        manager.create_index(index("committee_term", &["organization_id", "ended_on"], false)).await?;
        manager.create_index(index("committee_term", &["organization_id", "number"], true)).await?;
        // At most one term in office per organisation, even under concurrent 换届.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_committee_term_in_office ON committee_term (organization_id) \
                 WHERE ended_on IS NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("committee_member")
                    .col(pk_uuid("id"))
                    .col(uuid("term_id"))
                    .col(uuid("person_id"))
                    .col(string("position"))
                    .col(date("from_on"))
                    .col(date_null("until_on"))
                    .col(integer("sort_order"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("committee_member", "term_id"), "committee_term"))
                    .foreign_key(&mut fk(("committee_member", "person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("committee_member", &["term_id"], false)).await?;
        manager.create_index(index("committee_member", &["person_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("committee_member").to_owned()).await?;
        manager.drop_table(Table::drop().table("committee_term").to_owned()).await?;
        Ok(())
    }
}
