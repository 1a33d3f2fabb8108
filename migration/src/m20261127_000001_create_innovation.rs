//! Technology Innovation Year (科技创新年): campaigns and their indicators, activities
//! with participants, "five small" achievements with their teams, research projects
//! with members, milestones and R&D expenditure, vanguard units, and intellectual
//! property and honours (patents, software copyrights, awards, standards) with people.
//! Money columns are integer fen (`BIGINT`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to, "id").on_delete(ForeignKeyAction::Restrict).to_owned()
}

fn cascade(from: (&'static str, &'static str), to: &'static str) -> ForeignKeyCreateStatement {
    fk(from, to).on_delete(ForeignKeyAction::Cascade).to_owned()
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

/// `created_at`, `updated_at`, `version` of an edited table.
fn stamped(t: &mut TableCreateStatement) -> TableCreateStatement {
    t.col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(integer("version"))
        .to_owned()
}

/// A `(owner, person)` link table with an optional text column.
fn people_link(
    table: &'static str,
    owner_col: &'static str,
    owner: &'static str,
    extra: &'static str,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(uuid(owner_col))
        .col(uuid("person_id"))
        .col(string_null(extra))
        .primary_key(Index::create().col(owner_col).col("person_id"))
        .foreign_key(&mut cascade((table, owner_col), owner))
        .foreign_key(&mut fk((table, "person_id"), "person"))
        .to_owned()
}

/// The tables in creation order (dropped in reverse).
const TABLES: [&str; 14] = [
    "innovation_campaign",
    "campaign_indicator",
    "innovation_activity",
    "activity_participant",
    "achievement",
    "achievement_member",
    "research_project",
    "project_member",
    "project_milestone",
    "rd_expenditure",
    "vanguard_unit",
    "vanguard_member",
    "honour",
    "honour_person",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(stamped(
                Table::create()
                    .table("innovation_campaign")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(integer("year"))
                    .col(string("title"))
                    .col(string_null("theme"))
                    .col(text_null("goals"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(string("status"))
                    .foreign_key(&mut fk(("innovation_campaign", "organization_id"), "organization")),
            ))
            .await?;
        manager.create_index(index("innovation_campaign", &["organization_id", "year"], false)).await?;
        manager.create_index(index("innovation_campaign", &["year"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("campaign_indicator")
                    .col(pk_uuid("id"))
                    .col(uuid("campaign_id"))
                    .col(string("name"))
                    .col(string("unit"))
                    .col(big_integer("target"))
                    .col(string_null("metric"))
                    .col(big_integer_null("manual_actual"))
                    .foreign_key(&mut cascade(("campaign_indicator", "campaign_id"), "innovation_campaign")),
            ))
            .await?;
        manager.create_index(index("campaign_indicator", &["campaign_id"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("innovation_activity")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("campaign_id"))
                    .col(string("kind"))
                    .col(string("title"))
                    .col(date("held_on"))
                    .col(string_null("place"))
                    .col(text_null("summary"))
                    .foreign_key(&mut fk(("innovation_activity", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("innovation_activity", "campaign_id"), "innovation_campaign")),
            ))
            .await?;
        manager.create_index(index("innovation_activity", &["organization_id", "held_on"], false)).await?;
        manager.create_index(index("innovation_activity", &["held_on"], false)).await?;
        manager.create_index(index("innovation_activity", &["campaign_id"], false)).await?;
        manager.create_index(index("innovation_activity", &["kind", "held_on"], false)).await?;
        manager
            .create_table(people_link("activity_participant", "activity_id", "innovation_activity", "result"))
            .await?;
        manager.create_index(index("activity_participant", &["person_id"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("achievement")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("campaign_id"))
                    .col(string("category"))
                    .col(string("title"))
                    .col(text_null("description"))
                    .col(uuid("lead_person_id"))
                    .col(uuid_null("submitted_by_person_id"))
                    // The submitting account, so that an account without a person cannot
                    // review its own submission either.
                    .col(uuid_null("submitted_by_user_id"))
                    .col(date("submitted_on"))
                    .col(big_integer("benefit_fen"))
                    .col(big_integer_null("reward_fen"))
                    .col(string("status"))
                    .col(uuid_null("reviewer_person_id"))
                    .col(uuid_null("reviewer_user_id"))
                    .col(string_null("rejection_reason"))
                    .col(date_null("decided_on"))
                    .col(date_null("awarded_on"))
                    .col(date_null("promoted_on"))
                    .foreign_key(&mut fk(("achievement", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("achievement", "campaign_id"), "innovation_campaign"))
                    .foreign_key(&mut fk(("achievement", "lead_person_id"), "person")),
            ))
            .await?;
        manager.create_index(index("achievement", &["organization_id", "submitted_on"], false)).await?;
        manager.create_index(index("achievement", &["submitted_on"], false)).await?;
        manager.create_index(index("achievement", &["status", "submitted_on"], false)).await?;
        manager.create_index(index("achievement", &["category"], false)).await?;
        manager.create_index(index("achievement", &["campaign_id"], false)).await?;
        manager.create_index(index("achievement", &["lead_person_id"], false)).await?;
        manager.create_index(index("achievement", &["submitted_by_person_id"], false)).await?;
        manager.create_table(people_link("achievement_member", "achievement_id", "achievement", "role")).await?;
        manager.create_index(index("achievement_member", &["person_id"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("research_project")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("party_group_id"))
                    .col(string("code"))
                    .col(string("title"))
                    .col(string("level"))
                    .col(uuid_null("leader_person_id"))
                    .col(big_integer("budget_fen"))
                    .col(string("status"))
                    .col(date("proposed_on"))
                    .col(date_null("started_on"))
                    .col(date_null("completed_on"))
                    .col(date_null("accepted_on"))
                    .foreign_key(&mut fk(("research_project", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("research_project", "party_group_id"), "organization"))
                    .foreign_key(&mut fk(("research_project", "leader_person_id"), "person")),
            ))
            .await?;
        manager.create_index(index("research_project", &["code"], true)).await?;
        manager.create_index(index("research_project", &["organization_id"], false)).await?;
        manager.create_index(index("research_project", &["level", "status"], false)).await?;
        manager.create_index(index("research_project", &["status"], false)).await?;
        manager.create_index(index("research_project", &["party_group_id"], false)).await?;
        manager.create_table(people_link("project_member", "project_id", "research_project", "role")).await?;
        manager.create_index(index("project_member", &["person_id"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("project_milestone")
                    .col(pk_uuid("id"))
                    .col(uuid("project_id"))
                    .col(string("title"))
                    .col(date("planned_on"))
                    .col(date_null("actual_on"))
                    .foreign_key(&mut cascade(("project_milestone", "project_id"), "research_project")),
            ))
            .await?;
        manager.create_index(index("project_milestone", &["project_id", "planned_on"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("rd_expenditure")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("project_id"))
                    .col(date("period_start"))
                    .col(big_integer("amount_fen"))
                    .col(string_null("note"))
                    .foreign_key(&mut fk(("rd_expenditure", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("rd_expenditure", "project_id"), "research_project")),
            ))
            .await?;
        manager.create_index(index("rd_expenditure", &["organization_id", "period_start"], false)).await?;
        manager.create_index(index("rd_expenditure", &["period_start"], false)).await?;
        manager.create_index(index("rd_expenditure", &["project_id", "period_start"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("vanguard_unit")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("project_id"))
                    .col(string("kind"))
                    .col(string("name"))
                    .col(date("established_on"))
                    .col(date_null("ends_on"))
                    .foreign_key(&mut fk(("vanguard_unit", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("vanguard_unit", "project_id"), "research_project")),
            ))
            .await?;
        manager.create_index(index("vanguard_unit", &["organization_id"], false)).await?;
        manager.create_index(index("vanguard_unit", &["project_id"], false)).await?;
        manager.create_index(index("vanguard_unit", &["kind"], false)).await?;
        manager.create_table(people_link("vanguard_member", "unit_id", "vanguard_unit", "role")).await?;
        manager.create_index(index("vanguard_member", &["person_id"], false)).await?;

        manager
            .create_table(stamped(
                Table::create()
                    .table("honour")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("project_id"))
                    .col(string("title"))
                    .col(string_null("number"))
                    .col(string_null("patent_type"))
                    .col(string_null("region"))
                    .col(string_null("patent_status"))
                    .col(string_null("level"))
                    .col(string_null("award_rank"))
                    .col(string_null("standard_role"))
                    .col(date("dated_on"))
                    .foreign_key(&mut fk(("honour", "organization_id"), "organization"))
                    .foreign_key(&mut fk(("honour", "project_id"), "research_project")),
            ))
            .await?;
        manager.create_index(index("honour", &["organization_id", "dated_on"], false)).await?;
        manager.create_index(index("honour", &["kind", "dated_on"], false)).await?;
        manager.create_index(index("honour", &["dated_on"], false)).await?;
        manager.create_index(index("honour", &["project_id"], false)).await?;
        manager.create_table(people_link("honour_person", "honour_id", "honour", "role")).await?;
        manager.create_index(index("honour_person", &["person_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
