//! The REST transport under `/api/v1`: DTOs, handlers (a few lines each: extract,
//! call a service, map), `ETag` / `If-Match`, cursor pages and the OpenAPI document.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod committees;
pub mod compliance;
pub mod dashboard;
pub mod documents;
pub mod exports;
pub mod innovation;
pub mod measures;
mod openapi;
pub mod organizations;
pub mod people;
pub mod problem;
pub mod rosters;
pub mod service_clients;
pub mod study;
pub mod supervision;
pub mod users;
pub mod webhooks;

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, EntityTag},
    web,
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::error::{AppError, AppResult};
use crate::services::pagination::PageRequest;

/// Paging query parameters shared by every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1, pattern = r"\S")]
    pub cursor: Option<String>,
}

impl PageParams {
    /// The validated page request.
    pub fn page(&self) -> AppResult<PageRequest> {
        PageRequest::parse(self.limit, self.cursor.as_deref(), "limit", "cursor")
    }
}

/// Declares a concrete page DTO (utoipa names it in the OpenAPI document).
macro_rules! page_dto {
    ($name:ident, $item:ty) => {
        /// One page of results.
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The items.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<crate::services::pagination::Page<$item>> for $name {
            fn from(p: crate::services::pagination::Page<$item>) -> Self {
                $name { items: p.items, next_cursor: p.next_cursor }
            }
        }
    };
}
pub(crate) use page_dto;

/// The strong ETag of a version.
pub fn etag(version: i32) -> EntityTag {
    EntityTag::new_strong(format!("v{version}"))
}

/// The version an update is based on, from `If-Match` (required: 428 without it).
///
/// `If-Match` compares strongly (RFC 9110 §13.1.1): a weak tag (`W/"v3"`) never
/// matches, so it is passed on as version 0, which no stored record has, and the
/// update answers 412 with the current ETag. Of a list of tags the first is used.
/// `If-Match: *` applies the update to whatever version is current.
pub fn if_match(req: &HttpRequest) -> AppResult<i32> {
    let raw = req.headers().get(header::IF_MATCH).ok_or(AppError::PreconditionRequired)?;
    let text = raw.to_str().unwrap_or_default();
    let first = text.split(',').next().unwrap_or_default().trim();
    if first == "*" {
        return Ok(crate::services::ANY_VERSION);
    }
    if first.starts_with("W/") {
        return Ok(0);
    }
    first
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.strip_prefix('v'))
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::invalid("If-Match", "must be the ETag of the current representation, e.g. \"v3\""))
}

/// A 200 answer with an ETag, or 304 when `If-None-Match` already names it.
pub fn with_etag<T: Serialize>(req: &HttpRequest, version: i32, body: &T) -> HttpResponse {
    let tag = etag(version);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag.to_string()));
    if matches {
        return HttpResponse::NotModified().insert_header(header::ETag(tag)).finish();
    }
    HttpResponse::Ok()
        .insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(body)
}

/// A 201 answer with an ETag and a Location.
pub fn created<T: Serialize>(location: String, version: i32, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(header::ETag(etag(version)))
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// Registers every `/api/v1` route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::routes)
            .configure(organizations::routes)
            .configure(committees::routes)
            .configure(people::routes)
            .configure(users::routes)
            .configure(service_clients::routes)
            .configure(documents::routes)
            .configure(attachments::routes)
            .configure(study::routes)
            .configure(rosters::routes)
            .configure(compliance::routes)
            .configure(measures::routes)
            .configure(supervision::routes)
            .configure(dashboard::routes)
            .configure(audit::routes)
            .configure(changes::routes)
            .configure(exports::routes)
            .configure(webhooks::routes)
            .configure(innovation::routes)
            .default_service(web::to(unrouted)),
    );
}

/// One path of the OpenAPI document, matched against request paths for the answers
/// the router cannot give itself (405 with `Allow`, unknown query parameters).
struct DocumentedPath {
    /// The path's segments after `/api/v1`; `None` is a `{parameter}`.
    segments: Vec<Option<String>>,
    /// Each method the path takes, with the names of its query parameters.
    methods: Vec<(actix_web::http::Method, Vec<String>)>,
}

/// Every documented path, most literal segments first (so `/documents/search` wins
/// over `/documents/{id}`).
fn documented_paths(doc: &utoipa::openapi::OpenApi) -> Vec<DocumentedPath> {
    use actix_web::http::Method;
    use utoipa::openapi::{RefOr, path::ParameterIn};
    let mut paths: Vec<DocumentedPath> = doc
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let segments = path
                .trim_start_matches("/api/v1")
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect();
            let ops = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            let methods = ops
                .into_iter()
                .filter_map(|(method, op)| {
                    let op = op.as_ref()?;
                    let names = op
                        .parameters
                        .iter()
                        .flatten()
                        .filter_map(|p| match p {
                            RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => Some(p.name.clone()),
                            _ => None,
                        })
                        .collect();
                    Some((method, names))
                })
                .collect();
            DocumentedPath { segments, methods }
        })
        .collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.segments.iter().filter(|s| s.is_some()).count()));
    paths
}

/// The OpenAPI document, built once per process (it is large): the paths and parameters
/// requests are checked against, and the document serialised as it is served.
static DOCUMENT: std::sync::LazyLock<(Vec<DocumentedPath>, web::Bytes)> = std::sync::LazyLock::new(|| {
    let doc = openapi();
    let json = serde_json::to_vec(&doc).unwrap_or_default();
    (documented_paths(&doc), web::Bytes::from(json))
});

/// Builds the OpenAPI document now (start-up) rather than on the first request.
pub fn warm_up() {
    std::sync::LazyLock::force(&DOCUMENT);
}

/// The documented path a request path (under `/api/v1`) matches.
fn documented(path: &str) -> Option<&'static DocumentedPath> {
    let parts: Vec<&str> = path.trim_start_matches("/api/v1").split('/').filter(|s| !s.is_empty()).collect();
    DOCUMENT.0.iter().find(|d| {
        d.segments.len() == parts.len()
            && d.segments.iter().zip(&parts).all(|(seg, part)| seg.as_deref().is_none_or(|s| s == *part))
    })
}

/// The methods a documented path takes, as an `Allow` header value.
fn allow(path: &DocumentedPath) -> String {
    let mut methods: Vec<&str> = path.methods.iter().map(|(m, _)| m.as_str()).collect();
    if methods.contains(&"GET") {
        methods.insert(1, "HEAD");
    }
    methods.join(", ")
}

/// What the router could not place: a known path with a method it does not take is
/// 405 with `Allow` (RFC 9110 §15.5.6); anything else is 404.
async fn unrouted(req: HttpRequest) -> AppResult<HttpResponse> {
    match documented(req.path()) {
        Some(path) if !path.methods.is_empty() => {
            let allow = allow(path);
            Err(AppError::MethodNotAllowed { message: format!("this resource answers {allow} only"), allow })
        }
        _ => Err(AppError::NotFound),
    }
}

/// Refuses query parameters an operation does not document (400 UNKNOWN_PARAMETER
/// naming them), for every `/api/v1` operation, including those that take none: a
/// client sending `sort=` or `updated_since=` must learn that nothing was sorted or
/// filtered. The OpenAPI document is the list of what each operation takes.
pub async fn refuse_unknown_parameters(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let query = req.query_string();
    if !query.is_empty() && req.path().starts_with("/api/v1/") {
        let method = if req.method() == actix_web::http::Method::HEAD {
            actix_web::http::Method::GET
        } else {
            req.method().clone()
        };
        let taken = documented(req.path()).and_then(|p| p.methods.iter().find(|(m, _)| *m == method));
        if let Some((_, names)) = taken {
            let mut unknown: Vec<String> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, _)| k.into_owned())
                .filter(|k| !names.contains(k))
                .collect();
            unknown.dedup();
            if !unknown.is_empty() {
                return Ok(req.error_response(AppError::UnknownParameters(unknown)));
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The whole OpenAPI 3.1 document: the foundation's plus every area's, merged.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(documents::DocumentsApi::openapi());
    doc.merge(attachments::AttachmentsApi::openapi());
    doc.merge(study::StudyApi::openapi());
    doc.merge(rosters::RostersApi::openapi());
    doc.merge(measures::MeasuresApi::openapi());
    doc.merge(committees::CommitteesApi::openapi());
    doc.merge(compliance::ComplianceApi::openapi());
    doc.merge(supervision::SupervisionApi::openapi());
    doc.merge(dashboard::DashboardApi::openapi());
    doc.merge(innovation::InnovationApi::openapi());
    doc.merge(changes::ChangesApi::openapi());
    doc.merge(exports::ExportsApi::openapi());
    doc.merge(webhooks::WebhooksApi::openapi());
    openapi::finish(&mut doc);
    doc
}

/// `GET /api/v1/openapi.json`: the document, serialised once per process and shared by
/// every worker (each worker holding its own tree cost megabytes).
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(DOCUMENT.1.clone())
}

/// The foundation's part of the OpenAPI document, generated from the handlers and DTOs.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "dangjian API",
        description = include_str!("openapi.md"),
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        auth::token, auth::logout, auth::me, auth::change_password,
        organizations::list, organizations::get, organizations::create, organizations::update,
        organizations::move_org, organizations::delete, organizations::children,
        organizations::descendants, organizations::ancestors,
        people::list, people::get, people::create, people::upsert, people::update, people::transfer, people::transfers,
        people::change_party_status, people::list_party_status_history, people::record_departure,
        people::reinstate_person,
        users::list, users::get, users::create, users::update, users::reset_password,
        users::revoke_tokens, users::roles, users::list_assignments, users::assign_role, users::revoke_role,
        service_clients::list, service_clients::get, service_clients::create, service_clients::update,
        service_clients::rotate_secret,
    ),
    tags(
        (name = "auth", description = "Tokens and the caller"),
        (name = "organizations", description = "The party organisation tree"),
        (name = "people", description = "Members and employees"),
        (name = "users", description = "Accounts and role grants"),
        (name = "service-clients", description = "Machine clients (administrators only)"),
    )
)]
pub struct ApiDoc;
