//! A person's life cycle: dated party-status history and departures (the person stays, marked ended).
//!
//! - `party_status_change`: one row per change of a person's party status (申请入党 →
//!   积极分子 → 发展对象 → 预备党员 → 正式党员, and corrections); the person's
//!   `party_status` is the status of their latest entry. Every existing person whose
//!   status is not `none` gets one entry, effective on `joined_party_on` or else on the
//!   day the person was created (UTC); its id is the person's id (one such row each).
//! - `person.left_on`, `departure_kind`, `departure_reason`: a person who left (调出, 离职,
//!   退休, 出党, 去世, 停止党籍); null while active. Lists skip people with `left_on` set.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{
        ConnectionTrait,
        prelude::{ChronoDate, ChronoDateTimeUtc, Uuid},
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("ix_{}_{}", table, cols.join("_"))).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}

/// The note of the entries made for existing people.
const BACKFILL_NOTE: &str = "migrated: status at the time the history began";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("party_status_change")
                    .col(pk_uuid("id"))
                    .col(uuid("person_id"))
                    .col(string_null("previous_status"))
                    .col(string("status"))
                    .col(date("effective_on"))
                    .col(text_null("note"))
                    .col(boolean("is_correction").default(false))
                    .col(uuid_null("recorded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("party_status_change", "person_id")
                            .to("person", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // A person's history in order (and its latest entry).
        manager.create_index(index("party_status_change", &["person_id", "effective_on", "id"])).await?;
        // SQLite adds one column per statement.
        for col in [date_null("left_on"), string_null("departure_kind"), text_null("departure_reason")] {
            let mut col = col;
            manager.alter_table(Table::alter().table("person").add_column(&mut col).to_owned()).await?;
        }
        // Lists: active people (left_on null) in id order, overall and per organisation.
        manager.create_index(index("person", &["left_on", "id"])).await?;
        manager.create_index(index("person", &["organization_id", "left_on", "id"])).await?;

        // Every existing member's status becomes their first history entry.
        let db = manager.get_connection();
        let people = db
            .query_all(
                &Query::select()
                    .columns(["id", "party_status", "joined_party_on", "created_at"])
                    .from("person")
                    .and_where(Expr::col("party_status").ne("none"))
                    .order_by("id", Order::Asc)
                    .to_owned(),
            )
            .await?;
        for chunk in people.chunks(200) {
            let mut insert = Query::insert();
            insert.into_table("party_status_change").columns([
                "id",
                "person_id",
                "previous_status",
                "status",
                "effective_on",
                "note",
                "is_correction",
                "recorded_by",
                "created_at",
            ]);
            for row in chunk {
                let id: Uuid = row.try_get("", "id")?;
                let status: String = row.try_get("", "party_status")?;
                let joined: Option<ChronoDate> = row.try_get("", "joined_party_on")?;
                let created: ChronoDateTimeUtc = row.try_get("", "created_at")?;
                insert.values_panic([
                    id.into(),
                    id.into(),
                    Option::<String>::None.into(),
                    status.into(),
                    joined.unwrap_or(created.date_naive()).into(),
                    BACKFILL_NOTE.into(),
                    false.into(),
                    Option::<Uuid>::None.into(),
                    created.into(),
                ]);
            }
            db.execute(&insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_person_organization_id_left_on_id").table("person").to_owned())
            .await?;
        manager.drop_index(Index::drop().name("ix_person_left_on_id").table("person").to_owned()).await?;
        for col in ["departure_reason", "departure_kind", "left_on"] {
            manager.alter_table(Table::alter().table("person").drop_column(col).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table("party_status_change").to_owned()).await?;
        Ok(())
    }
}
