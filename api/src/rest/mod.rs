//! The REST transport under `/api/v1`: DTOs, handlers (a few lines each: extract,
//! call a service, map), `ETag` / `If-Match`, cursor pages and the OpenAPI document.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod compliance;
pub mod dashboard;
pub mod documents;
pub mod innovation;
pub mod measures;
pub mod organizations;
pub mod people;
pub mod problem;
pub mod service_clients;
pub mod study;
pub mod supervision;
pub mod users;

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
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
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
pub fn if_match(req: &HttpRequest) -> AppResult<i32> {
    let raw = req.headers().get(header::IF_MATCH).ok_or(AppError::PreconditionRequired)?;
    let text = raw.to_str().unwrap_or_default();
    let first = text.split(',').next().unwrap_or_default().trim();
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
            .configure(people::routes)
            .configure(users::routes)
            .configure(service_clients::routes)
            .configure(documents::routes)
            .configure(attachments::routes)
            .configure(study::routes)
            .configure(compliance::routes)
            .configure(measures::routes)
            .configure(supervision::routes)
            .configure(dashboard::routes)
            .configure(audit::routes)
            .configure(innovation::routes)
            .default_service(web::to(|| async { Err::<HttpResponse, _>(AppError::NotFound) })),
    );
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The whole OpenAPI 3.1 document: the foundation's plus every area's, merged.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(documents::DocumentsApi::openapi());
    doc.merge(attachments::AttachmentsApi::openapi());
    doc.merge(study::StudyApi::openapi());
    doc.merge(measures::MeasuresApi::openapi());
    doc.merge(compliance::ComplianceApi::openapi());
    doc.merge(supervision::SupervisionApi::openapi());
    doc.merge(dashboard::DashboardApi::openapi());
    doc.merge(innovation::InnovationApi::openapi());
    document_idempotency_keys(&mut doc);
    describe_responses(&mut doc);
    unique_operation_ids(&mut doc);
    doc
}

/// Operation ids come from handler names, and several areas name theirs `list`, `get`,
/// `create`: an id used more than once gets its resource added (`list_documents`,
/// `get_organizations`), so SDK generators get one method name per operation.
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for item in doc.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch].into_iter().flatten() {
            if let Some(id) = &op.operation_id {
                *counts.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let resource: Vec<&str> = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|s| !s.starts_with('{') && !s.is_empty())
            .map(|s| s.trim_end_matches(".json"))
            .collect();
        let suffix = resource.join("_").replace('-', "_");
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            if let Some(id) = op.operation_id.as_mut()
                && counts.get(id.as_str()).is_some_and(|n| *n > 1)
            {
                *id = format!("{id}_{suffix}");
            }
        }
    }
}

/// OpenAPI requires a description on every response: those the handlers leave empty
/// get the status's reason phrase ("OK", "Not Found", ...), so validators and SDK
/// generators accept the document.
fn describe_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in doc.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.options.as_mut(),
            item.head.as_mut(),
            item.patch.as_mut(),
            item.trace.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.trim().is_empty()
                {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("Response");
                    r.description = reason.to_owned();
                }
            }
        }
    }
}

/// Every POST but the token endpoints takes an optional `Idempotency-Key`
/// (`crate::http::idempotency`): said once here instead of on every handler.
fn document_idempotency_keys(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(post) = item.post.as_mut().filter(|_| !path.starts_with("/api/v1/auth/")) else { continue };
        let param = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Retry key (1–255 visible characters): the same key and body within 24 hours get the \
                 first answer again (`Idempotent-Replayed: true`) instead of doing the work twice; the \
                 key with another request is 422, a retry while the first still runs is 409.",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).max_length(Some(255))))
            .build();
        post.parameters.get_or_insert_with(Vec::new).push(param.into());
    }
}

/// The foundation's part of the OpenAPI document, generated from the handlers and DTOs.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "dangjian API",
        description = "Party-building knowledge base: organisations, people, accounts and roles. \
                       Errors are application/problem+json with a stable `code`; updates need If-Match; \
                       lists are cursor-paged.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerAuth),
    paths(
        auth::token, auth::logout, auth::me, auth::change_password,
        organizations::list, organizations::get, organizations::create, organizations::update,
        organizations::move_org, organizations::delete, organizations::children,
        organizations::descendants, organizations::ancestors,
        people::list, people::get, people::create, people::update, people::transfer, people::transfers,
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
