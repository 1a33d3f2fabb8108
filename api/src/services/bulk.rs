//! Bulk export for integrators: everything of one kind the caller may read (people,
//! organisations, honours, attendance), read in batches in id order so that a transport
//! can stream it with constant memory whatever its size. Each row is the view a read of
//! the object answers, with the same scope and personal-data masking; [`csv_row`] flattens
//! one for CSV.
//!
//! An export is not one snapshot: a change made while it runs may or may not be in it.
//! The changes feed's cursor taken before the first batch ([`super::changes::current_cursor`])
//! closes that gap: following the feed from it replays every such change.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::exports::{Cell, csv_field};
use super::innovation::honours::{self, HonourFilter};
use super::organizations::{self, OrganizationFilter};
use super::pagination::PageRequest;
use super::people::{self, PersonFilter};
use super::types::text_enum;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};

text_enum! {
    /// What a bulk export holds.
    ExportKind {
        /// Every person in scope, those who left included (`ended`, `left_on`).
        People => "people",
        /// The organisation tree in scope.
        Organizations => "organizations",
        /// Intellectual property and honours, with the people they credit.
        Honours => "honours",
        /// The roster entries of every study session in scope.
        Attendance => "attendance",
    }
}

/// Rows per batch: large enough that a statement's cost is shared by many rows, small
/// enough that one batch in memory is a few hundred kilobytes.
pub const BATCH_SIZE: u64 = 500;

/// One batch of an export.
#[derive(Debug)]
pub struct Batch {
    /// The rows, in id order, as JSON objects.
    pub rows: Vec<Value>,
    /// Where the next batch starts (after this id); `None` when this was the last.
    pub next: Option<Uuid>,
}

fn batch_of<T: Serialize>(items: Vec<T>, full: bool, id: impl Fn(&T) -> Uuid) -> AppResult<Batch> {
    let next = if full { items.last().map(&id) } else { None };
    let rows = items.iter().map(serde_json::to_value).collect::<Result<_, _>>().map_err(AppError::internal)?;
    Ok(Batch { rows, next })
}

/// The batch of `kind` after `after` (from the start when `None`), as the actor may
/// read it. Fails FORBIDDEN when the actor may read nothing of the kind.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn batch<C: sea_orm::ConnectionTrait>(
    db: &C,
    actor: &Actor,
    kind: ExportKind,
    after: Option<Uuid>,
) -> AppResult<Batch> {
    let page = PageRequest { limit: BATCH_SIZE, after, after_key: None, cursor_field: "cursor", with_total: false };
    match kind {
        ExportKind::People => {
            let filter = PersonFilter { include_ended: true, ..Default::default() };
            let p = people::list(db, actor, &filter, page).await?;
            let full = p.next_cursor.is_some();
            batch_of(p.items, full, |v| *v.id)
        }
        ExportKind::Organizations => {
            let p = organizations::list(db, actor, &OrganizationFilter::default(), page).await?;
            let full = p.next_cursor.is_some();
            batch_of(p.items, full, |v| *v.id)
        }
        ExportKind::Honours => {
            let p = honours::list(db, actor, &HonourFilter::default(), page).await?;
            let full = p.next_cursor.is_some();
            batch_of(p.items, full, |v| *v.id)
        }
        ExportKind::Attendance => {
            let items = super::study::attendance_batch(db, actor, after, BATCH_SIZE).await?;
            let full = items.len() as u64 == BATCH_SIZE;
            batch_of(items, full, |v| *v.id)
        }
    }
}

/// The CSV columns of a kind: the fields of its view, in the view's order.
pub fn csv_columns(kind: ExportKind) -> &'static [&'static str] {
    match kind {
        ExportKind::People => &[
            "id",
            "employee_no",
            "name",
            "organization_id",
            "organization_name",
            "party_status",
            "joined_party_on",
            "position",
            "phone",
            "email",
            "is_leadership",
            "is_tech_backbone",
            "is_model_worker",
            "ended",
            "left_on",
            "departure_kind",
            "departure_reason",
            "created_at",
            "updated_at",
            "version",
        ],
        ExportKind::Organizations => &[
            "id",
            "parent_id",
            "name",
            "short_name",
            "kind",
            "path",
            "depth",
            "sort_order",
            "established_on",
            "created_at",
            "updated_at",
            "version",
        ],
        ExportKind::Honours => &[
            "id",
            "kind",
            "organization_id",
            "project_id",
            "title",
            "number",
            "dated_on",
            "patent_type",
            "region",
            "patent_status",
            "award_level",
            "award_rank",
            "standard_level",
            "standard_role",
            "people",
            "created_at",
            "updated_at",
            "version",
        ],
        ExportKind::Attendance => &[
            "id",
            "session_id",
            "person_id",
            "person_name",
            "status",
            "reason",
            "checked_in_at",
            "method",
            "updated_at",
            "version",
        ],
    }
}

/// The spreadsheet cell of a view's field: lists and objects as JSON text.
fn cell(v: Option<&Value>) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Empty,
        Some(Value::String(s)) => Cell::Text(s.clone()),
        Some(Value::Number(n)) => n.as_i64().map_or_else(|| Cell::Text(n.to_string()), Cell::Int),
        Some(other) => Cell::Text(other.to_string()),
    }
}

/// The CSV header line of a kind (CRLF-terminated).
pub fn csv_header(kind: ExportKind) -> String {
    let mut line = csv_columns(kind).join(",");
    line.push_str("\r\n");
    line
}

/// One row as a CSV line (CRLF-terminated, quoted and neutralised as the other
/// exports): the kind's columns, lists and objects as JSON.
pub fn csv_row(kind: ExportKind, row: &Value) -> String {
    let fields: Vec<String> = csv_columns(kind).iter().map(|c| csv_field(&cell(row.get(*c)))).collect();
    let mut line = fields.join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_quote_flatten_and_neutralise_formulas() {
        let row = serde_json::json!({
            "id": "a", "session_id": "s", "person_id": "p", "person_name": "张,三",
            "status": "=cmd", "reason": "说 \"好\"", "checked_in_at": null, "version": 3
        });
        assert_eq!(csv_row(ExportKind::Attendance, &row), "a,s,p,\"张,三\",'=cmd,\"说 \"\"好\"\"\",,,,3\r\n");
        let honour = serde_json::json!({"id": "h", "people": [{"person_id": "p"}]});
        assert!(csv_row(ExportKind::Honours, &honour).contains("\"[{\"\"person_id\"\":\"\"p\"\"}]\""));
        assert!(csv_header(ExportKind::People).starts_with("id,employee_no,name,"));
    }
}
