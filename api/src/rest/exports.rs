//! `/exports/{kind}`: bulk export for integrators, streamed as NDJSON or CSV with
//! constant memory whatever its size (`services::bulk`).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use bytes::Bytes;
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::extract::Authenticated;
use crate::services::bulk::{self, Batch, ExportKind};
use crate::services::changes;
use crate::state::AppState;

/// The header with the changes-feed cursor taken before the export's first row.
pub const CURSOR_HEADER: &str = "x-changes-cursor";

const NDJSON: &str = "application/x-ndjson";
const CSV: &str = "text/csv";

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exports/{kind}", web::get().to(export));
}

/// Where an export stands between two chunks.
struct Export {
    db: DatabaseConnection,
    actor: Actor,
    kind: ExportKind,
    csv: bool,
    /// The first batch, read before the answer started (so its errors are statuses).
    first: Option<Batch>,
    /// Where the next batch starts; `None` once the last was sent.
    next: Option<Uuid>,
}

impl Export {
    /// The next chunk: one batch's lines (the first with the CSV header), or `None` at the end.
    async fn chunk(&mut self) -> Option<Result<Bytes, AppError>> {
        let (batch, first) = match self.first.take() {
            Some(b) => (b, true),
            None => {
                let after = self.next.take()?;
                match bulk::batch(&self.db, &self.actor, self.kind, Some(after)).await {
                    Ok(b) => (b, false),
                    Err(e) => return Some(Err(e)),
                }
            }
        };
        self.next = batch.next;
        let mut out = Vec::with_capacity(batch.rows.len() * 256);
        if self.csv {
            if first {
                // A byte-order mark, so spreadsheets read the Chinese as UTF-8.
                out.extend_from_slice("\u{feff}".as_bytes());
                out.extend_from_slice(bulk::csv_header(self.kind).as_bytes());
            }
            for row in &batch.rows {
                out.extend_from_slice(bulk::csv_row(self.kind, row).as_bytes());
            }
        } else {
            for row in &batch.rows {
                if let Err(e) = serde_json::to_writer(&mut out, row) {
                    return Some(Err(AppError::internal(e)));
                }
                out.push(b'\n');
            }
        }
        Some(Ok(Bytes::from(out)))
    }
}

/// Export everything of a kind you may read.
///
/// `people` (those who left included), `organizations`, `honours` or `attendance` (the
/// roster entries of every study session you may read), each row the object as a read
/// of it answers (same scope, same personal-data masking), in id order, streamed:
/// NDJSON (`Accept: application/x-ndjson`, the default) or CSV (`Accept: text/csv`, UTF-8
/// with a byte-order mark; lists as JSON). `X-Changes-Cursor` is the changes feed's
/// cursor taken before the first row: follow `GET /changes?after=` from it to miss
/// nothing changed during or after the export. A failure mid-stream ends the
/// connection without the final chunk, so a client never mistakes a cut export for a
/// whole one.
#[utoipa::path(get, path = "/api/v1/exports/{kind}", tag = "changes", security(("bearer" = [])),
    params(("kind" = ExportKind, Path, description = "What to export")),
    responses(
        (status = 200, description = "The rows, streamed",
            headers(("X-Changes-Cursor" = String, description = "The changes-feed cursor taken before the first row")),
            content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    kind: web::Path<String>,
) -> AppResult<HttpResponse> {
    let kind = ExportKind::parse(&kind, "kind").map_err(|_| AppError::NotFound)?;
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let csv = !crate::http::accepts(accept, NDJSON) && crate::http::accepts(accept, CSV);
    let cursor = changes::current_cursor(&state.db).await?;
    let first = bulk::batch(&state.db, &actor.0, kind, None).await?;
    let export = Export { db: state.db.clone(), actor: actor.0, kind, csv, first: Some(first), next: None };
    let body = futures_util::stream::unfold(export, |mut export| async move {
        let chunk = export.chunk().await?;
        Some((
            chunk.map_err(|e| {
                tracing::error!(error = %e, "an export failed part-way; the connection is cut");
                actix_web::Error::from(e)
            }),
            export,
        ))
    });
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((CURSOR_HEADER, cursor));
    if csv {
        res.insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.csv\"", kind.as_str())));
    } else {
        res.insert_header((header::CONTENT_TYPE, NDJSON));
    }
    Ok(res.streaming(body))
}

/// The bulk export's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(export), components(schemas(ExportKind)))]
pub struct ExportsApi;
