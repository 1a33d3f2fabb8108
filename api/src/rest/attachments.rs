//! Attachments: multipart upload to a document, a measure progress update, a "five small"
//! achievement or a supervision item update; listing, ranged download, deletion.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use bytes::BytesMut;
use futures_util::TryStreamExt;
use utoipa::OpenApi;
use uuid::Uuid;

use super::problem::Problem;
use crate::error::{AppError, AppResult};
use crate::http::extract::Authenticated;
use crate::services::attachments::{self as svc, AttachmentView, Owner, Upload};
use crate::state::AppState;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/documents/{id}/attachments", web::post().to(upload))
        .route("/documents/{id}/attachments", web::get().to(list))
        .route("/measure-updates/{id}/attachments", web::post().to(upload_to_measure_update))
        .route("/measure-updates/{id}/attachments", web::get().to(list_for_measure_update))
        .route("/achievements/{id}/attachments", web::post().to(upload_to_achievement))
        .route("/achievements/{id}/attachments", web::get().to(list_for_achievement))
        .route("/supervision-item-updates/{id}/attachments", web::post().to(upload_to_supervision_update))
        .route("/supervision-item-updates/{id}/attachments", web::get().to(list_for_supervision_update))
        .route("/attachments/{id}", web::get().to(download))
        .route("/attachments/{id}", web::delete().to(delete));
}

/// The attachments' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    upload,
    list,
    upload_to_measure_update,
    list_for_measure_update,
    upload_to_achievement,
    list_for_achievement,
    upload_to_supervision_update,
    list_for_supervision_update,
    download,
    delete
))]
pub struct AttachmentsApi;

/// The multipart form of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: not empty; its file name (without any path) 1–200 characters. The part's
    /// declared content type must be one of `application/pdf`, `image/png`,
    /// `image/jpeg`, `image/webp`, `image/heic`, `image/heif`, `image/avif`, DOCX, XLSX,
    /// PPTX, `text/plain` or `text/markdown`, and match the file's own signature: PDF,
    /// PNG and JPEG by their magic bytes, WebP by `RIFF`…`WEBP`, HEIC/HEIF (what phones
    /// take photos in) by an `ftyp` box with a HEIF brand (`heic`, `heix`, `hevc`,
    /// `hevx`, `heim`, `heis`, `mif1`, `msf1`), AVIF by the brand `avif` / `avis`, the
    /// Office formats as ZIP, text as UTF-8. A mismatch (e.g. JPEG bytes declared as
    /// WebP) is refused (422 on `file`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attach a file to a document.
///
/// `multipart/form-data` with one part named `file`. The declared content type must be
/// accepted and match the file's own signature; the size limit is
/// `DANGJIAN_MAX_UPLOAD_BYTES` (413 beyond). Editors of the document only.
#[utoipa::path(post, path = "/api/v1/documents/{id}/attachments", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document revision id")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    store(&state, &actor, Owner::Document(*id), form).await
}

/// Attach a file to a measure's progress update (evidence of what was done).
///
/// Same form and limits as a document upload. The update's author and the measure's
/// organisation administrators only.
#[utoipa::path(post, path = "/api/v1/measure-updates/{id}/attachments", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Progress update id")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload_to_measure_update(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    store(&state, &actor, Owner::MeasureUpdate(*id), form).await
}

/// The attachments of a measure's progress update (readers of the measure).
#[utoipa::path(get, path = "/api/v1/measure-updates/{id}/attachments", tag = "study", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Progress update id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_for_measure_update(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::list(&state.db, &actor.0, Owner::MeasureUpdate(*id)).await?))
}

/// Attach a file to a "five small" achievement (drawings, benefit calculations).
///
/// Same form and limits as a document upload. Its submitter, lead and team while it is
/// submitted; organisation administrators in scope at any time.
#[utoipa::path(post, path = "/api/v1/achievements/{id}/attachments", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Achievement id")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload_to_achievement(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    store(&state, &actor, Owner::Achievement(*id), form).await
}

/// The attachments of a "five small" achievement (its readers).
#[utoipa::path(get, path = "/api/v1/achievements/{id}/attachments", tag = "innovation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Achievement id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_for_achievement(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::list(&state.db, &actor.0, Owner::Achievement(*id)).await?))
}

/// Attach a file to an update of a supervision item (evidence of a rectification).
///
/// Same form and limits as a document upload. The update's author and the responsible
/// side (the organisation's administrators, the responsible person) only; 409 once the
/// item is verified.
#[utoipa::path(post, path = "/api/v1/supervision-item-updates/{id}/attachments", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item update id")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload_to_supervision_update(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    store(&state, &actor, Owner::SupervisionUpdate(*id), form).await
}

/// The attachments of an update of a supervision item (readers of the item).
#[utoipa::path(get, path = "/api/v1/supervision-item-updates/{id}/attachments", tag = "supervision", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Item update id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_for_supervision_update(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::list(&state.db, &actor.0, Owner::SupervisionUpdate(*id)).await?))
}

/// Reads the `file` part of a multipart form (bounded by the upload limit) and stores it.
async fn store(state: &AppState, actor: &Authenticated, owner: Owner, mut form: Multipart) -> AppResult<HttpResponse> {
    let max = state.settings.max_upload_bytes;
    let mut upload: Option<Upload> = None;
    while let Some(mut field) = form.try_next().await.map_err(|e| AppError::invalid("file", e.to_string()))? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("").to_owned();
        let content_type = field.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.try_next().await.map_err(|e| AppError::invalid("file", e.to_string()))? {
            if buf.len() + chunk.len() > max {
                return Err(AppError::PayloadTooLarge(max));
            }
            buf.extend_from_slice(&chunk);
        }
        upload = Some(Upload { filename, content_type, bytes: buf.freeze() });
    }
    let upload = upload.ok_or_else(|| AppError::invalid("file", "is required (a multipart part named `file`)"))?;
    let a = svc::upload(&state.db, state.storage.as_ref(), &actor.0, owner, upload, max).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, a.download_url.clone())).json(a))
}

/// The attachments of a document.
#[utoipa::path(get, path = "/api/v1/documents/{id}/attachments", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document revision id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, actor: Authenticated, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::list(&state.db, &actor.0, Owner::Document(*id)).await?))
}

/// Parses a single `Range: bytes=a-b` (or `a-`, `-n`) against `size`.
fn parse_range(value: &str, size: u64) -> Option<std::ops::Range<u64>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (size.saturating_sub(n), size - 1)
        }
        (a, "") => (a.parse().ok()?, size - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(size - 1)),
    };
    (start <= end && start < size).then_some(start..end + 1)
}

/// Download an attachment.
///
/// Readers of the owner (the document, or the measure of the progress update) only. Supports `Range: bytes=…` (206 with
/// `Content-Range`; 416 when unsatisfiable).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Attachment id"), ("Range" = Option<String>, Header, description = "bytes=start-end")),
    responses((status = 200, description = "The file"), (status = 206, description = "Part of the file"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 416, description = "Range not satisfiable")))]
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let (a, key) = svc::get(&state.db, &actor.0, *id).await?;
    let size = a.size_bytes.max(0) as u64;
    // RFC 6266 / 5987: `attachment; filename*=UTF-8''<percent-encoded name>`.
    let disposition = header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::FilenameExt(header::ExtendedValue {
            charset: header::Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: a.filename.clone().into_bytes(),
        })],
    };
    let range_header = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok());
    let mut resp = match range_header {
        None => {
            let bytes = svc::read(state.storage.as_ref(), &key, None).await?;
            let mut r = HttpResponse::Ok();
            r.body(bytes)
        }
        Some(value) => match parse_range(value, size) {
            None => {
                return Ok(HttpResponse::RangeNotSatisfiable()
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                    .finish());
            }
            Some(range) => {
                let content_range = format!("bytes {}-{}/{size}", range.start, range.end - 1);
                let bytes = svc::read(state.storage.as_ref(), &key, Some(range)).await?;
                let mut r = HttpResponse::PartialContent();
                r.insert_header((header::CONTENT_RANGE, content_range));
                r.body(bytes)
            }
        },
    };
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_str(&a.content_type)
            .unwrap_or(header::HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
    headers.insert(
        header::ETAG,
        header::HeaderValue::from_str(&format!("\"{}\"", a.sha256)).unwrap_or(header::HeaderValue::from_static("\"\"")),
    );
    if let Ok(v) = header::HeaderValue::from_str(&disposition.to_string()) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// Delete an attachment (editors of the owning document; the author or managers of a progress update).
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "knowledge base", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(state: web::Data<AppState>, actor: Authenticated, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    svc::delete(&state.db, state.storage.as_ref(), &actor.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Some(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Some(90..100));
        assert_eq!(parse_range("bytes=50-500", 100), Some(50..100));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
