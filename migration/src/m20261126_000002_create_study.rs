//! "First topic" study: sessions, materials, attendance, statements, implementation
//! measures with their progress updates, and the meeting norms compliance is judged by
//! (seeded with defaults).

use sea_orm::prelude::{ChronoUtc, Uuid};
use sea_orm_migration::{prelude::*, schema::*};

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
const TABLES: [&str; 7] = [
    "study_session",
    "session_material",
    "attendance",
    "session_statement",
    "measure",
    "measure_update",
    "meeting_norm",
];

/// Default norms: (org kind, session kind, period, required count).
const DEFAULT_NORMS: [(&str, &str, &str, i32); 4] = [
    ("branch", "branch_general_meeting", "quarter", 1),
    ("branch", "branch_committee", "month", 1),
    ("branch", "party_lecture", "quarter", 1),
    ("group", "group_meeting", "month", 1),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("study_session")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("kind"))
                    .col(boolean("is_first_topic").default(true))
                    .col(string("topic"))
                    .col(timestamp_with_time_zone("held_at"))
                    .col(string_null("place"))
                    .col(uuid_null("host_person_id"))
                    .col(uuid_null("recorder_person_id"))
                    .col(text_null("minutes"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("checkin_opens_at"))
                    .col(timestamp_with_time_zone("checkin_closes_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("study_session", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("study_session", "host_person_id"), "person"))
                    .foreign_key(&mut fk(("study_session", "recorder_person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("study_session", &["organization_id", "held_at"], false)).await?;
        manager.create_index(index("study_session", &["status", "held_at"], false)).await?;
        manager.create_index(index("study_session", &["kind", "held_at"], false)).await?;
        manager.create_index(index("study_session", &["held_at"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("session_material")
                    .col(uuid("session_id"))
                    // No foreign key: documents belong to the knowledge-base area.
                    .col(uuid("document_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("session_id").col("document_id"))
                    .foreign_key(
                        &mut fk(("session_material", "session_id"), "study_session")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("session_material", &["document_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("attendance")
                    .col(pk_uuid("id"))
                    .col(uuid("session_id"))
                    .col(uuid("person_id"))
                    .col(string("status"))
                    .col(string_null("reason"))
                    .col(timestamp_with_time_zone_null("checked_in_at"))
                    .col(string_null("method"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        &mut fk(("attendance", "session_id"), "study_session")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut fk(("attendance", "person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("attendance", &["session_id", "person_id"], true)).await?;
        manager.create_index(index("attendance", &["person_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("session_statement")
                    .col(pk_uuid("id"))
                    .col(uuid("session_id"))
                    .col(uuid("person_id"))
                    .col(text("text"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        &mut fk(("session_statement", "session_id"), "study_session")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut fk(("session_statement", "person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("session_statement", &["session_id", "id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("measure")
                    .col(pk_uuid("id"))
                    .col(string("source_kind"))
                    .col(uuid("source_id"))
                    .col(uuid("organization_id"))
                    .col(string("title"))
                    .col(text_null("description"))
                    .col(uuid("owner_person_id"))
                    .col(date("due_on"))
                    .col(string("status"))
                    .col(date_null("completed_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(("measure", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("measure", "owner_person_id"), "person"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("measure", &["owner_person_id", "status"], false)).await?;
        manager.create_index(index("measure", &["organization_id", "id"], false)).await?;
        manager.create_index(index("measure", &["due_on"], false)).await?;
        manager.create_index(index("measure", &["status", "due_on"], false)).await?;
        manager.create_index(index("measure", &["source_kind", "source_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("measure_update")
                    .col(pk_uuid("id"))
                    .col(uuid("measure_id"))
                    .col(uuid_null("author_person_id"))
                    .col(uuid_null("author_user_id"))
                    .col(text("text"))
                    .col(string_null("status_from"))
                    .col(string_null("status_to"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        &mut fk(("measure_update", "measure_id"), "measure")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("measure_update", &["measure_id", "id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("meeting_norm")
                    .col(pk_uuid("id"))
                    .col(string("org_kind"))
                    .col(string("session_kind"))
                    .col(string("period"))
                    .col(integer("required_count"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("meeting_norm", &["org_kind", "session_kind"], true)).await?;
        let mut insert = Query::insert();
        insert.into_table("meeting_norm").columns([
            "id",
            "org_kind",
            "session_kind",
            "period",
            "required_count",
            "updated_at",
            "version",
        ]);
        let now = ChronoUtc::now();
        for (i, (org_kind, session_kind, period, required)) in DEFAULT_NORMS.iter().enumerate() {
            // Fixed ids: the seed is the same on every installation.
            let id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + i as u128 + 1);
            insert
                .values([
                    id.into(),
                    (*org_kind).into(),
                    (*session_kind).into(),
                    (*period).into(),
                    (*required).into(),
                    now.into(),
                    1.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        manager.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
