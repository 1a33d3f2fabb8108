//! The GraphQL transport at `/graphql` (and GraphiQL at `/graphiql`).
//!
//! POST with `application/json` only; GET for queries only (mutations over GET are
//! refused); one operation per request (no batching); depth, complexity and alias
//! limits; no field suggestions; introspection for administrators only. Every error
//! carries the stable `extensions.code`, internal details never leave the server.

pub mod audit;
pub mod changes;
pub mod committees;
pub mod compliance;
pub mod dashboard;
pub mod documents;
mod id;
pub mod innovation;
pub mod loaders;
pub mod measures;
pub mod mutation;
pub mod query;
pub mod rosters;
pub mod study;
pub mod supervision;
pub mod types;
pub mod webhooks;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use async_graphql::{
    EmptySubscription, ErrorExtensions, ID, Schema,
    parser::types::{OperationType, Selection, SelectionSet},
};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use uuid::Uuid;

use self::innovation::{InnovationMutation, InnovationQuery};
use self::loaders::Loaders;
use self::mutation::CoreMutation;
use self::query::CoreQuery;
use self::study::{StudyMutation, StudyQuery};
use self::supervision::{SupervisionMutation, SupervisionQuery};
use crate::auth::Actor;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::http::extract::{is_json, optional_actor, parse_json};
use crate::services::pagination::PageRequest;
use crate::state::AppState;

/// Every read operation: one part per area, merged.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    CoreQuery,
    documents::DocumentQuery,
    StudyQuery,
    measures::MeasureQuery,
    committees::CommitteeQuery,
    compliance::ComplianceQuery,
    InnovationQuery,
    SupervisionQuery,
    dashboard::DashboardQuery,
    audit::AuditQuery,
    changes::ChangesQuery,
    webhooks::WebhookQuery,
);

/// Every write operation: one part per area, merged.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    CoreMutation,
    documents::DocumentMutation,
    StudyMutation,
    rosters::RosterMutation,
    measures::MeasureMutation,
    committees::CommitteeMutation,
    compliance::ComplianceMutation,
    InnovationMutation,
    SupervisionMutation,
    webhooks::WebhookMutation,
);

/// The schema type.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema with the configured limits.
pub fn build_schema(settings: &Settings) -> AppSchema {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(settings.graphql_max_depth)
        .limit_complexity(settings.graphql_max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(8)
        .disable_suggestions()
        .finish()
}

/// The SDL of the schema (for `dangjian graphql-schema` and the snapshot test).
pub fn sdl(settings: &Settings) -> String {
    build_schema(settings).sdl()
}

/// Per-request context.
pub struct RequestCtx {
    /// The database.
    pub db: DatabaseConnection,
    /// The caller, if authenticated.
    pub actor: Option<Actor>,
    /// Lock-out policy (password checks).
    pub policy: crate::services::auth::AuthPolicy,
    /// Today in the configured time zone.
    pub today: chrono::NaiveDate,
    /// The configured time zone (calendar periods).
    pub time_zone: chrono_tz::Tz,
    /// How reported study time is credited.
    pub study: crate::config::StudyLimits,
    /// How webhooks are checked and delivered.
    pub webhooks: crate::services::webhooks::WebhookPolicy,
}

/// The request context.
pub(crate) fn state<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a RequestCtx> {
    ctx.data::<RequestCtx>()
}

/// The authenticated caller, or UNAUTHENTICATED.
pub(crate) fn actor<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Actor> {
    state(ctx)?.actor.as_ref().ok_or_else(|| gql_error(AppError::Unauthenticated))
}

/// Parses an `ID` argument; a malformed id is NOT_FOUND, like a missing one.
pub(crate) fn parse_id(id: &ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql_error(AppError::NotFound))
}

/// The complexity of a page of a list: its size (`first`, default and bounds of
/// [`PageRequest`]) times what one item costs. Every paged field uses it.
pub fn page_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    use crate::services::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let size = first.map_or(DEFAULT_PAGE_SIZE, |n| u64::try_from(n).unwrap_or(1)).clamp(1, MAX_PAGE_SIZE);
    usize::try_from(size).unwrap_or(1).saturating_mul(child_complexity)
}

/// Validates `first` / `after`.
pub(crate) fn page(
    _ctx: &async_graphql::Context<'_>,
    first: Option<i32>,
    after: Option<&str>,
    with_total: bool,
) -> async_graphql::Result<PageRequest> {
    let mut req = PageRequest::parse(first.map(i64::from), after, "first", "after").map_err(gql_error)?;
    req.with_total = with_total;
    Ok(req)
}

/// Maps a service error to a GraphQL error with `extensions.code` (and `field` /
/// `errors` for validation). Internal causes are logged, never returned.
pub fn gql_error(err: AppError) -> async_graphql::Error {
    if let AppError::Internal(cause) = &err {
        tracing::error!(error = ?cause, "internal error");
    }
    let code = err.code();
    let fields = err.public_field_errors();
    async_graphql::Error::new(err.public_message()).extend_with(move |_, e| {
        e.set("code", code);
        if let Some(first) = fields.first() {
            e.set("field", first.field.clone());
        }
        if !fields.is_empty() {
            let list: Vec<async_graphql::Value> = fields
                .iter()
                .map(|f| {
                    let mut m = async_graphql::indexmap::IndexMap::new();
                    m.insert(async_graphql::Name::new("field"), async_graphql::Value::from(f.field.clone()));
                    m.insert(async_graphql::Name::new("message"), async_graphql::Value::from(f.message.clone()));
                    async_graphql::Value::Object(m)
                })
                .collect();
            e.set("errors", async_graphql::Value::List(list));
        }
    })
}

/// Routes of the GraphQL transport and GraphiQL.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql_post_answer))
        .route("/graphql", web::get().to(graphql_get_answer))
        .route("/graphiql", web::get().to(graphiql))
        .route("/graphiql/", web::get().to(graphiql))
        .route("/graphiql/assets/{name}", web::get().to(graphiql_asset));
}

/// Limits a GraphQL document must keep; the lexical ones are checked before the
/// parser runs, the structural ones on the parsed document.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// Deepest nesting of `{`, `[` and `(`.
    pub max_nesting: usize,
    /// Most tokens.
    pub max_tokens: usize,
    /// Most aliased fields in the whole document.
    pub max_aliases: usize,
    /// Most fields one selection set may list.
    pub max_fields_per_selection: usize,
}

impl DocumentLimits {
    /// The limits the settings describe.
    pub fn from_settings(settings: &Settings) -> Self {
        DocumentLimits {
            max_nesting: settings.graphql_max_nesting,
            max_tokens: settings.graphql_max_tokens,
            max_aliases: settings.graphql_max_aliases,
            max_fields_per_selection: settings.graphql_max_fields_per_selection,
        }
    }
}

/// Scans a GraphQL document without parsing it: the nesting of `{`, `[` and `(`
/// outside strings and comments, and the number of tokens. The parser recurses on
/// nested values and lists, so a document nested thousands deep would overflow the
/// stack (and abort the process) if it ever reached it; this check needs no recursion
/// and stops at the first token past a limit.
pub fn scan_document(query: &str, limits: &DocumentLimits) -> AppResult<()> {
    let b = query.as_bytes();
    let (mut i, mut depth, mut tokens) = (0usize, 0usize, 0usize);
    let too_many = |tokens: usize| {
        (tokens > limits.max_tokens)
            .then(|| AppError::invalid("query", format!("has more than {} tokens", limits.max_tokens)))
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 3;
                tokens += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                tokens += 1;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limits.max_nesting {
                    return Err(AppError::invalid(
                        "query",
                        format!("nests braces, brackets or parentheses deeper than {}", limits.max_nesting),
                    ));
                }
                i += 1;
                tokens += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
                tokens += 1;
            }
            c if c == b'_' || c.is_ascii_alphanumeric() || c == b'-' || c == b'.' => {
                i += 1;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'+') {
                    i += 1;
                }
                tokens += 1;
            }
            _ => {
                i += 1;
                tokens += 1;
            }
        }
        if let Some(err) = too_many(tokens) {
            return Err(err);
        }
    }
    Ok(())
}

/// What one walk over a selection set finds (iteratively: the parser already bounded
/// its depth).
#[derive(Default)]
struct SelectionFacts {
    /// Aliased fields.
    aliases: usize,
    /// The largest number of fields one set lists.
    widest: usize,
    /// Whether `__schema` or `__type` is selected anywhere.
    introspects: bool,
}

fn selection_facts(root: &SelectionSet, facts: &mut SelectionFacts) {
    let mut stack = vec![root];
    while let Some(set) = stack.pop() {
        let fields = set.items.iter().filter(|s| matches!(s.node, Selection::Field(_))).count();
        facts.widest = facts.widest.max(fields);
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    facts.aliases += usize::from(f.node.alias.is_some());
                    facts.introspects |= matches!(f.node.name.node.as_str(), "__schema" | "__type");
                    stack.push(&f.node.selection_set.node);
                }
                Selection::InlineFragment(f) => stack.push(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// The longest document text whose parse is kept (most clients send the same few
/// operations over and over; a long ad-hoc document is parsed each time).
const CACHED_DOCUMENT_BYTES: usize = 16 * 1024;

/// The most parsed documents kept (least recently used first out).
const CACHED_DOCUMENTS: usize = 512;

/// Parsed documents by their text: parsing is a tenth of a small query's CPU, and
/// clients repeat the same operations with other variables.
static DOCUMENTS: std::sync::LazyLock<
    std::sync::Mutex<lru::LruCache<Box<str>, async_graphql::parser::types::ExecutableDocument>>,
> = std::sync::LazyLock::new(|| {
    std::sync::Mutex::new(lru::LruCache::new(
        std::num::NonZeroUsize::new(CACHED_DOCUMENTS).unwrap_or(std::num::NonZeroUsize::MIN),
    ))
});

/// The request's parsed document, from [`DOCUMENTS`] when its text was parsed before;
/// `None` when it does not parse.
fn parse_cached(request: &mut async_graphql::Request) -> Option<&async_graphql::parser::types::ExecutableDocument> {
    let cacheable = request.query.len() <= CACHED_DOCUMENT_BYTES;
    if cacheable {
        let hit = DOCUMENTS.lock().ok().and_then(|mut cache| cache.get(request.query.as_str()).cloned());
        if let Some(doc) = hit {
            request.set_parsed_query(doc);
        } else if let Ok(doc) = request.parsed_query() {
            let doc = doc.clone();
            if let Ok(mut cache) = DOCUMENTS.lock() {
                cache.put(request.query.clone().into_boxed_str(), doc);
            }
        }
    }
    request.parsed_query().ok()
}

/// The error of a document that does not parse: where it breaks, never its text.
fn unparsable(request: &mut async_graphql::Request) -> AppError {
    match request.parsed_query().err().and_then(|e| e.locations.first().copied()) {
        Some(at) => AppError::invalid(
            "query",
            format!("the document is not valid GraphQL: syntax error at line {}, column {}", at.line, at.column),
        ),
        None => AppError::invalid("query", "the document is not valid GraphQL"),
    }
}

/// Checks what the schema's own limits do not, before anything runs (after
/// [`scan_document`] has checked the lexical limits): aliases per document, fields per
/// selection set,
/// introspection (administrators only: anyone else gets a FORBIDDEN error instead of
/// a silent `null`), and for GET that the document holds no mutation at all (whatever
/// the operation name: GET answers may be cached, logged and prefetched).
fn precheck(
    request: &mut async_graphql::Request,
    limits: &DocumentLimits,
    is_get: bool,
    may_introspect: bool,
) -> AppResult<()> {
    // A parsed document stays in the request: the executor does not parse it again. An
    // unparsable one is answered here, by where it breaks: the parser's own message
    // quotes the offending line, which may be the whole (huge) document.
    let Some(doc) = parse_cached(request) else { return Err(unparsable(request)) };
    let mut facts = SelectionFacts::default();
    let mut has_write = false;
    let sets =
        doc.fragments.values().map(|f| &f.node.selection_set.node).chain(doc.operations.iter().map(|(_, op)| {
            has_write |= op.node.ty != OperationType::Query;
            &op.node.selection_set.node
        }));
    for set in sets.collect::<Vec<_>>() {
        selection_facts(set, &mut facts);
    }
    if facts.aliases > limits.max_aliases {
        return Err(AppError::invalid(
            "query",
            format!("uses {} aliases; at most {} are allowed", facts.aliases, limits.max_aliases),
        ));
    }
    if facts.widest > limits.max_fields_per_selection {
        return Err(AppError::invalid(
            "query",
            format!(
                "lists {} fields in one selection; at most {} are allowed",
                facts.widest, limits.max_fields_per_selection
            ),
        ));
    }
    if is_get && has_write {
        return Err(AppError::MethodNotAllowed {
            message: "GET carries queries only; send mutations with POST".into(),
            allow: "POST".into(),
        });
    }
    if facts.introspects && !may_introspect {
        return Err(AppError::forbidden("introspection is available to administrators only"));
    }
    Ok(())
}

/// The code of a GraphQL error the schema itself raised (parse, validation, depth and
/// complexity limits, input coercion): the service layer sets its own on every error.
const LIBRARY_ERROR_CODE: &str = "VALIDATION";

/// Gives every error of a response a code (errors from the GraphQL library have none)
/// and its message in the request's language.
fn finish_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", LIBRARY_ERROR_CODE);
            error.message = crate::i18n::tr(&error.message);
        }
    }
}

/// The media type a GraphQL answer is sent as: GraphQL-over-HTTP clients that ask only
/// for its own type get it, everyone else `application/json`.
fn response_type(req: &HttpRequest) -> &'static str {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if !crate::http::accepts(accept, "application/json")
        && crate::http::accepts(accept, "application/graphql-response+json")
    {
        "application/graphql-response+json"
    } else {
        "application/json"
    }
}

/// A request the transport refused before running it, answered the GraphQL way
/// (`{"errors": [...]}` with `extensions.code`, as every GraphQL client reads it).
/// A refused document (limits, introspection) is a GraphQL request error: 200 for
/// `application/json` and 400 for `application/graphql-response+json`, as the
/// GraphQL-over-HTTP specification says; a body that is not a GraphQL request (422)
/// and HTTP-level refusals (401, 405, 413, 415, 503) keep their status and headers.
fn refusal(req: &HttpRequest, err: AppError) -> HttpResponse {
    use actix_web::ResponseError;
    let content_type = response_type(req);
    let document_error = match &err {
        AppError::Validation(errors) => errors.iter().all(|e| e.field == "query"),
        AppError::Forbidden(_) => true,
        _ => false,
    };
    let mut res = err.error_response();
    if document_error {
        *res.status_mut() = if content_type == "application/json" {
            actix_web::http::StatusCode::OK
        } else {
            actix_web::http::StatusCode::BAD_REQUEST
        };
    }
    let mut error = gql_error(err).into_server_error(Default::default());
    // Not an error at a place in the document: no (invalid, 0:0) location.
    error.locations.clear();
    let body = async_graphql::Response::from_errors(vec![error]);
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    res.set_body(actix_web::body::BoxBody::new(body))
}

async fn execute(
    req: &HttpRequest,
    state: &AppState,
    schema: &AppSchema,
    mut request: async_graphql::Request,
    is_get: bool,
) -> AppResult<HttpResponse> {
    // The lexical limits first: they bound the parser, and cost no database lookup.
    let limits = DocumentLimits::from_settings(&state.settings);
    scan_document(&request.query, &limits)?;
    let actor = optional_actor(req).await?;
    let is_admin = actor.as_ref().is_some_and(Actor::is_admin);
    precheck(&mut request, &limits, is_get, is_admin)?;
    if !is_admin {
        request = request.disable_introspection();
    }
    if let Some(a) = &actor {
        request = request.data(Loaders::new(state.db.clone(), a.clone(), state.settings.today()));
    }
    request = request.data(RequestCtx {
        db: state.db.clone(),
        actor,
        policy: state.policy.clone(),
        today: state.settings.today(),
        time_zone: state.settings.time_zone,
        study: state.settings.study_limits(),
        webhooks: state.webhooks.clone(),
    });
    let operation = crate::telemetry::operation_label(request.operation_name.as_deref());
    let mut response = schema.execute(request).await;
    let outcome = if response.errors.is_empty() { "ok" } else { "error" };
    metrics::counter!(crate::telemetry::GRAPHQL_OPERATIONS, "operation" => operation, "outcome" => outcome)
        .increment(1);
    finish_errors(&mut response);
    let body = serde_json::to_vec(&response).map_err(AppError::internal)?;
    // A query over GET may be revalidated (`crate::http::etags` adds a weak ETag and
    // answers `If-None-Match` with 304); POST answers are never stored.
    let cache = if is_get && response.errors.is_empty() { "private, no-cache" } else { "no-store" };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, cache)).content_type(response_type(req)).body(body))
}

/// GraphQL over POST (`application/json`).
async fn graphql_post(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    state: web::Data<AppState>,
    schema: web::Data<AppSchema>,
) -> AppResult<HttpResponse> {
    if !is_json(&req) {
        return Err(AppError::UnsupportedMediaType("send GraphQL requests as application/json".into()));
    }
    let body = body.map_err(|_| AppError::PayloadTooLarge(state.settings.max_body_bytes))?;
    let request: async_graphql::Request = parse_json(&body)?;
    execute(&req, &state, &schema, request, false).await
}

/// GraphQL over POST, its refusals answered GraphQL-style.
async fn graphql_post_answer(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    state: web::Data<AppState>,
    schema: web::Data<AppSchema>,
) -> HttpResponse {
    graphql_post(req.clone(), body, state, schema).await.unwrap_or_else(|err| refusal(&req, err))
}

/// Query parameters of GraphQL over GET.
#[derive(Debug, Deserialize)]
struct GetParams {
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
}

/// GraphQL over GET (queries only).
async fn graphql_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    schema: web::Data<AppSchema>,
) -> AppResult<HttpResponse> {
    let params: GetParams =
        serde_urlencoded::from_str(req.query_string()).map_err(|e| AppError::invalid("query", e.to_string()))?;
    let mut request = async_graphql::Request::new(params.query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = params.variables.filter(|v| !v.is_empty()) {
        let value: serde_json::Value = parse_json(vars.as_bytes())?;
        request = request.variables(async_graphql::Variables::from_json(value));
    }
    execute(&req, &state, &schema, request, true).await
}

/// GraphQL over GET, its refusals answered GraphQL-style.
async fn graphql_get_answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    schema: web::Data<AppSchema>,
) -> HttpResponse {
    graphql_get(req.clone(), state, schema).await.unwrap_or_else(|err| refusal(&req, err))
}

const GRAPHIQL_HTML: &str = include_str!("../../static/graphiql/index.html");
const GRAPHIQL_JS: &str = include_str!("../../static/graphiql/graphiql.min.js");
const GRAPHIQL_CSS: &str = include_str!("../../static/graphiql/graphiql.min.css");
const REACT_JS: &str = include_str!("../../static/graphiql/react.production.min.js");
const REACT_DOM_JS: &str = include_str!("../../static/graphiql/react-dom.production.min.js");

/// GraphiQL, served from the binary (works without internet access). Sign in on the
/// page; introspection and the docs explorer need an administrator.
async fn graphiql() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(GRAPHIQL_HTML)
}

async fn graphiql_asset(name: web::Path<String>) -> AppResult<HttpResponse> {
    let (body, content_type) = match name.as_str() {
        "graphiql.min.js" => (GRAPHIQL_JS, "text/javascript; charset=utf-8"),
        "graphiql.min.css" => (GRAPHIQL_CSS, "text/css; charset=utf-8"),
        "react.production.min.js" => (REACT_JS, "text/javascript; charset=utf-8"),
        "react-dom.production.min.js" => (REACT_DOM_JS, "text/javascript; charset=utf-8"),
        _ => return Err(AppError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DocumentLimits =
        DocumentLimits { max_nesting: 32, max_tokens: 5_000, max_aliases: 1, max_fields_per_selection: 3 };

    #[test]
    fn parsed_documents_are_kept_and_reused_but_not_unparsable_ones() {
        let text = "query ParseCacheProbe($id: ID!) { person(id: $id) { id } }";
        let mut first = async_graphql::Request::new(text);
        assert!(parse_cached(&mut first).is_some());
        assert!(DOCUMENTS.lock().unwrap().contains(text));
        let mut again = async_graphql::Request::new(text);
        let doc = parse_cached(&mut again).cloned().unwrap();
        assert_eq!(
            doc.operations.iter().map(|(name, _)| name.map(|n| n.to_string())).collect::<Vec<_>>(),
            [Some("ParseCacheProbe".to_owned())]
        );
        let broken = "query ParseCacheBroken { person(id: ";
        assert!(parse_cached(&mut async_graphql::Request::new(broken)).is_none());
        assert!(!DOCUMENTS.lock().unwrap().contains(broken));
        let long = format!("query {{ {} }}", "__typename ".repeat(CACHED_DOCUMENT_BYTES / 10));
        assert!(parse_cached(&mut async_graphql::Request::new(long.as_str())).is_some());
        assert!(!DOCUMENTS.lock().unwrap().contains(long.as_str()));
    }

    #[test]
    fn aliases_fields_and_get_mutations_are_checked() {
        assert!(check("{ a: me { kind } b: me { kind } }", &LIMITS, false, true).is_err());
        assert!(check("{ a: me { kind } }", &LIMITS, false, true).is_ok());
        assert!(check("{ me { a b c d } }", &LIMITS, false, true).is_err(), "four fields in one selection");
        for doc in ["mutation { revokeRole(id: \"x\") }", "mutation Sneaky { revokeRole(id: \"x\") }"] {
            assert!(matches!(check(doc, &LIMITS, true, true), Err(AppError::MethodNotAllowed { .. })), "{doc}");
        }
        assert!(check("query Q { me { kind } } mutation M { x }", &LIMITS, true, true).is_err());
        assert!(check("query { me { kind } }", &LIMITS, true, true).is_ok());
        // Introspection, even hidden in a fragment, is for administrators only.
        let doc = "query { ...F } fragment F on QueryRoot { __schema { queryType { name } } }";
        assert!(matches!(check(doc, &LIMITS, false, false), Err(AppError::Forbidden(_))));
        assert!(check(doc, &LIMITS, false, true).is_ok());
        assert!(check("{ __typename }", &LIMITS, false, false).is_ok());
    }

    fn check(doc: &str, limits: &DocumentLimits, is_get: bool, may_introspect: bool) -> AppResult<()> {
        precheck(&mut async_graphql::Request::new(doc), limits, is_get, may_introspect)
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        for open in ["[", "{", "("] {
            let close = match open {
                "[" => "]",
                "{" => "}",
                _ => ")",
            };
            let doc = format!("{{ me(x: {}1{}) {{ kind }} }}", open.repeat(100_000), close.repeat(100_000));
            assert!(scan_document(&doc, &LIMITS).is_err(), "{open}");
        }
        // Brackets inside strings, block strings and comments do not count.
        let quoted = format!(
            "{{ me(x: \"{}\", y: \"\"\"{}\"\"\") {{ kind }} }} # {}",
            "[".repeat(500),
            "{".repeat(500),
            "(".repeat(500)
        );
        assert!(scan_document(&quoted, &LIMITS).is_ok());
        let many = "{ ".to_owned() + &"__typename ".repeat(6_000) + "}";
        assert!(scan_document(&many, &LIMITS).is_err(), "too many tokens");
    }
}
