//! Row decoding without sea-orm's per-column overhead, for the hot read paths.
//!
//! sea-orm's derived `FromQueryResult` reads every field as `Option<T>` by column name
//! and, for each NULL, builds an error whose message is the column name formatted with
//! `Debug` before turning it into `None`; with the type checks that come with it, a
//! person row cost about 14,000 instructions to decode (a fifth of a roster request's
//! CPU). [`Fast`] decodes the same `Model` straight from the driver's row (sqlx, by
//! column name, NULL as `None` without an error): use it with
//! `Entity::find()….into_model::<Fast<Model>>()` where many rows are read.
//!
//! The columns decoded are the model's fields, so a model listed here with a field
//! missing does not compile; the `fast_models!` invocation below lists the models that have it.

use sea_orm::sqlx::{self, Decode, Postgres, Row, Sqlite, Type};
use sea_orm::{DbErr, FromQueryResult, QueryResult};

/// A model decoded by [`cell`] (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Fast<M>(pub M);

impl<M> Fast<M> {
    /// The model.
    pub fn into_inner(self) -> M {
        self.0
    }
}

/// Reads column `pre` + `name` of `row` as a `T` (`Option<T>` for a nullable column).
///
/// # Errors
/// The driver's decoding error (a missing column, an incompatible type) as
/// [`DbErr::Type`]; a row of a backend other than PostgreSQL or SQLite.
pub fn cell<T>(row: &QueryResult, pre: &str, name: &str) -> Result<T, DbErr>
where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>,
{
    if pre.is_empty() { decode(row, name) } else { decode(row, format!("{pre}{name}").as_str()) }
}

/// Reads the `index`th column (from 0) of `row` as a `T`, as [`cell`] does by name
/// (a model read by `Entity::find()` has its columns first, in the model's order).
///
/// # Errors
/// As [`cell`].
pub fn cell_at<T>(row: &QueryResult, index: usize) -> Result<T, DbErr>
where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>,
{
    decode(row, index)
}

/// Decodes one column, by name or by position.
fn decode<T, I>(row: &QueryResult, index: I) -> Result<T, DbErr>
where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>,
    I: sqlx::ColumnIndex<sqlx::postgres::PgRow> + sqlx::ColumnIndex<sqlx::sqlite::SqliteRow> + std::fmt::Debug,
{
    // The type check costs more than the decoding (some 350 instructions per text
    // column on PostgreSQL, for every row); a model whose types disagree with its table
    // is a programming error the tests (debug builds, both databases) find.
    let decoded = if let Some(r) = row.try_as_pg_row() {
        if cfg!(debug_assertions) { r.try_get::<T, _>(&index) } else { r.try_get_unchecked::<T, _>(&index) }
    } else if let Some(r) = row.try_as_sqlite_row() {
        if cfg!(debug_assertions) { r.try_get::<T, _>(&index) } else { r.try_get_unchecked::<T, _>(&index) }
    } else {
        return Err(DbErr::Type("fast decoding covers PostgreSQL and SQLite rows only".into()));
    };
    decoded.map_err(|e: sqlx::Error| DbErr::Type(format!("column {index:?}: {e}")))
}

/// Implements `FromQueryResult` for `Fast<Model>` of each model listed with its fields.
macro_rules! fast_models {
    ($($model:ty { $($field:ident),* $(,)? })*) => {
        $(
            impl FromQueryResult for Fast<$model> {
                fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
                    Ok(Fast(<$model>::from_cells(row, pre)?))
                }
            }

            impl FastModel for $model {
                const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
                fn from_cells(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
                    if !pre.is_empty() {
                        return Ok(Self { $($field: cell(row, pre, stringify!($field))?),* });
                    }
                    Self::from_cells_at(row, 0)
                }

                fn from_cells_at(row: &QueryResult, start: usize) -> Result<Self, DbErr> {
                    let mut index = start..;
                    let mut next = || index.next().unwrap_or_default();
                    Ok(Self { $($field: cell_at(row, next())?),* })
                }
            }
        )*
    };
}

/// A model [`Fast`] can decode.
pub trait FastModel: Sized {
    /// The columns read, in order.
    const COLUMNS: &'static [&'static str];
    /// Decodes the model's columns from `row`: by position when `pre` is empty (the
    /// model's columns first, in its order, as `Entity::find()` selects them), else by
    /// name (`pre` + column).
    ///
    /// # Errors
    /// As [`cell`].
    fn from_cells(row: &QueryResult, pre: &str) -> Result<Self, DbErr>;

    /// Decodes the model from the columns of `row` from position `start` on, in the
    /// model's order (a model joined into a wider statement).
    ///
    /// # Errors
    /// As [`cell`].
    fn from_cells_at(row: &QueryResult, start: usize) -> Result<Self, DbErr>;
}

fast_models! {
    crate::achievement::Model {
        id, organization_id, campaign_id, category, title, description, lead_person_id, submitted_by_person_id,
        submitted_by_user_id, submitted_on, benefit_fen, reward_fen, status, reviewer_person_id, reviewer_user_id,
        rejection_reason, decided_on, awarded_on, promoted_on, created_at, updated_at, version,
    }
    crate::achievement_member::Model {
        achievement_id, person_id, role,
    }
    crate::activity_participant::Model {
        activity_id, person_id, result,
    }
    crate::attachment::Model {
        id, owner_kind, owner_id, filename, content_type, size_bytes, sha256, storage_key, created_by, created_at,
    }
    crate::attendance::Model {
        id, session_id, person_id, status, reason, checked_in_at, method, guest, checkin_failures, latitude,
        longitude, created_at, updated_at, version,
    }
    crate::audit_chain_head::Model {
        id, seq, hash,
    }
    crate::audit_event::Model {
        id, actor_kind, actor_id, action, entity, entity_id, organization_id, before, after, request_id, at, seq,
        prev_hash, hash, source_address, user_agent, acting_role,
    }
    crate::auth_epoch::Model {
        id, epoch, revocations, fingerprint, bumped_at,
    }
    crate::campaign_indicator::Model {
        id, campaign_id, name, unit, target, metric, manual_actual, created_at, updated_at, version,
    }
    crate::committee_member::Model {
        id, term_id, person_id, position, from_on, until_on, sort_order, created_at, updated_at, version,
    }
    crate::committee_term::Model {
        id, organization_id, number, started_on, ends_on, ended_on, notes, created_at, updated_at, version,
    }
    crate::document::Model {
        id, lineage_id, revision, kind, title, issuing_body, issued_on, body, summary, organization_id, visibility,
        status, published_at, superseded_by, created_by, created_at, updated_at, version,
    }
    crate::document_tag::Model {
        document_id, tag,
    }
    crate::honour::Model {
        id, kind, organization_id, project_id, title, number, patent_type, region, patent_status, level, award_rank,
        standard_role, dated_on, created_at, updated_at, version,
    }
    crate::honour_person::Model {
        honour_id, person_id, role,
    }
    crate::idempotency_key::Model {
        principal, key, method, path, body_hash, status, content_type, headers, body, created_at,
    }
    crate::innovation_activity::Model {
        id, organization_id, campaign_id, kind, title, held_on, place, summary, created_at, updated_at, version,
    }
    crate::innovation_campaign::Model {
        id, organization_id, year, title, theme, goals, starts_on, ends_on, status, created_at, updated_at, version,
    }
    crate::inspection::Model {
        id, organization_id, title, focus, lead_inspector_person_id, starts_on, ends_on, status, created_at,
        updated_at, version,
    }
    crate::measure::Model {
        id, source_kind, source_id, organization_id, title, description, owner_person_id, due_on, status,
        completed_on, created_at, updated_at, version,
    }
    crate::measure_update::Model {
        id, measure_id, author_person_id, author_user_id, text, status_from, status_to, created_at,
    }
    crate::meeting_norm::Model {
        id, org_kind, session_kind, period, required_count, updated_at, version,
    }
    crate::organization::Model {
        id, parent_id, name, short_name, kind, path, depth, sort_order, established_on, created_at, updated_at,
        version,
    }
    crate::party_status_change::Model {
        id, person_id, previous_status, status, effective_on, note, is_correction, recorded_by, created_at,
    }
    crate::person::Model {
        id, organization_id, name, employee_no, phone, email, party_status, joined_party_on, position,
        is_leadership, is_tech_backbone, is_model_worker, left_on, departure_kind, departure_reason, created_at,
        updated_at, version,
    }
    crate::person_transfer::Model {
        id, person_id, from_organization_id, to_organization_id, effective_on, reason, recorded_by, created_at,
    }
    crate::project_member::Model {
        project_id, person_id, role,
    }
    crate::project_milestone::Model {
        id, project_id, title, planned_on, actual_on, created_at, updated_at, version,
    }
    crate::rd_expenditure::Model {
        id, organization_id, project_id, period_start, amount_fen, note, created_at, updated_at, version,
    }
    crate::reading_record::Model {
        id, document_id, person_id, first_read_at, last_read_at, seconds_spent, completed, completed_at, opened_at,
    }
    crate::refresh_token::Model {
        id, family_id, user_id, token_hash, token_version, expires_at, used_at, revoked_at, created_at, epoch,
    }
    crate::research_project::Model {
        id, organization_id, party_group_id, code, title, level, leader_person_id, budget_fen, status, proposed_on,
        started_on, completed_on, accepted_on, created_at, updated_at, version,
    }
    crate::role_assignment::Model {
        id, user_id, role, organization_id, scope_key, granted_by, created_at,
    }
    crate::service_client::Model {
        id, client_id, name, secret_hash, scopes, organization_id, disabled, token_version, last_used_at,
        created_at, updated_at, version, previous_secret_hash, previous_secret_expires_at,
    }
    crate::session_material::Model {
        session_id, document_id, created_at, position,
    }
    crate::session_statement::Model {
        id, session_id, person_id, text, created_at, updated_at, version,
    }
    crate::study_clock::Model {
        person_id, credited_until, day, day_seconds,
    }
    crate::study_session::Model {
        id, organization_id, kind, is_first_topic, topic, held_at, place, host_person_id, recorder_person_id,
        minutes, status, checkin_opens_at, checkin_closes_at, checkin_mode, checkin_secret, latitude, longitude,
        radius_m, created_at, updated_at, version,
    }
    crate::supervision_item::Model {
        id, inspection_id, organization_id, title, description, category, severity, responsible_person_id,
        rectification_plan, due_on, status, opened_on, closed_on, created_at, updated_at, version,
    }
    crate::supervision_item_update::Model {
        id, item_id, author_person_id, author_user_id, kind, text, status_from, status_to, created_at,
    }
    crate::user_account::Model {
        id, username, person_id, password_hash, disabled, failed_logins, locked_until, token_version, last_login_at,
        created_at, updated_at, version,
    }
    crate::vanguard_member::Model {
        unit_id, person_id, role,
    }
    crate::vanguard_unit::Model {
        id, organization_id, project_id, kind, name, established_on, ends_on, created_at, updated_at, version,
    }
    crate::webhook_subscription::Model {
        id, name, url, event_types, secret, service_client_id, created_by, disabled, disabled_reason, cursor,
        failures, next_attempt_at, lease_until, lease_owner, created_at, updated_at, version,
    }
}

#[cfg(test)]
mod tests {
    use super::FastModel;
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    /// Whether `M` reads exactly the columns of `E`, in order.
    fn same_columns<E: EntityTrait, M: FastModel>() -> bool {
        let columns: Vec<&str> = E::Column::iter().map(|c| IdenStatic::as_str(&c)).collect();
        columns == M::COLUMNS
    }

    #[test]
    fn fast_models_read_every_column_of_their_table() {
        // The macro reads each field from the column named like it: a renamed column
        // (`column_name`) or a column added to the table would fail here, not at run time.
        assert!(same_columns::<crate::achievement::Entity, crate::achievement::Model>());
        assert!(same_columns::<crate::achievement_member::Entity, crate::achievement_member::Model>());
        assert!(same_columns::<crate::activity_participant::Entity, crate::activity_participant::Model>());
        assert!(same_columns::<crate::attachment::Entity, crate::attachment::Model>());
        assert!(same_columns::<crate::attendance::Entity, crate::attendance::Model>());
        assert!(same_columns::<crate::audit_chain_head::Entity, crate::audit_chain_head::Model>());
        assert!(same_columns::<crate::audit_event::Entity, crate::audit_event::Model>());
        assert!(same_columns::<crate::auth_epoch::Entity, crate::auth_epoch::Model>());
        assert!(same_columns::<crate::campaign_indicator::Entity, crate::campaign_indicator::Model>());
        assert!(same_columns::<crate::committee_member::Entity, crate::committee_member::Model>());
        assert!(same_columns::<crate::committee_term::Entity, crate::committee_term::Model>());
        assert!(same_columns::<crate::document::Entity, crate::document::Model>());
        assert!(same_columns::<crate::document_tag::Entity, crate::document_tag::Model>());
        assert!(same_columns::<crate::honour::Entity, crate::honour::Model>());
        assert!(same_columns::<crate::honour_person::Entity, crate::honour_person::Model>());
        assert!(same_columns::<crate::idempotency_key::Entity, crate::idempotency_key::Model>());
        assert!(same_columns::<crate::innovation_activity::Entity, crate::innovation_activity::Model>());
        assert!(same_columns::<crate::innovation_campaign::Entity, crate::innovation_campaign::Model>());
        assert!(same_columns::<crate::inspection::Entity, crate::inspection::Model>());
        assert!(same_columns::<crate::measure::Entity, crate::measure::Model>());
        assert!(same_columns::<crate::measure_update::Entity, crate::measure_update::Model>());
        assert!(same_columns::<crate::meeting_norm::Entity, crate::meeting_norm::Model>());
        assert!(same_columns::<crate::organization::Entity, crate::organization::Model>());
        assert!(same_columns::<crate::party_status_change::Entity, crate::party_status_change::Model>());
        assert!(same_columns::<crate::person::Entity, crate::person::Model>());
        assert!(same_columns::<crate::person_transfer::Entity, crate::person_transfer::Model>());
        assert!(same_columns::<crate::project_member::Entity, crate::project_member::Model>());
        assert!(same_columns::<crate::project_milestone::Entity, crate::project_milestone::Model>());
        assert!(same_columns::<crate::rd_expenditure::Entity, crate::rd_expenditure::Model>());
        assert!(same_columns::<crate::reading_record::Entity, crate::reading_record::Model>());
        assert!(same_columns::<crate::refresh_token::Entity, crate::refresh_token::Model>());
        assert!(same_columns::<crate::research_project::Entity, crate::research_project::Model>());
        assert!(same_columns::<crate::role_assignment::Entity, crate::role_assignment::Model>());
        assert!(same_columns::<crate::service_client::Entity, crate::service_client::Model>());
        assert!(same_columns::<crate::session_material::Entity, crate::session_material::Model>());
        assert!(same_columns::<crate::session_statement::Entity, crate::session_statement::Model>());
        assert!(same_columns::<crate::study_clock::Entity, crate::study_clock::Model>());
        assert!(same_columns::<crate::study_session::Entity, crate::study_session::Model>());
        assert!(same_columns::<crate::supervision_item::Entity, crate::supervision_item::Model>());
        assert!(same_columns::<crate::supervision_item_update::Entity, crate::supervision_item_update::Model>());
        assert!(same_columns::<crate::user_account::Entity, crate::user_account::Model>());
        assert!(same_columns::<crate::vanguard_member::Entity, crate::vanguard_member::Model>());
        assert!(same_columns::<crate::vanguard_unit::Entity, crate::vanguard_unit::Model>());
        assert!(same_columns::<crate::webhook_subscription::Entity, crate::webhook_subscription::Model>());
        assert!(!same_columns::<crate::attendance::Entity, crate::measure::Model>());
    }
}
