//! The GraphQL transport at `/graphql` (and GraphiQL at `/graphiql`).
//!
//! POST with `application/json` only; GET for queries only (mutations over GET are
//! refused); one operation per request (no batching); depth, complexity and alias
//! limits; no field suggestions; introspection for administrators only. Every error
//! carries the stable `extensions.code`, internal details never leave the server.

pub mod documents;
pub mod innovation;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod study;
pub mod supervision;
pub mod types;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use async_graphql::{
    EmptySubscription, ErrorExtensions, ID, Schema,
    parser::types::{DocumentOperations, OperationType, Selection, SelectionSet},
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
use crate::rest::extract::{optional_actor, parse_json};
use crate::services::pagination::PageRequest;
use crate::startup::AppState;

/// Every read operation: one part per area, merged.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(CoreQuery, documents::DocumentQuery, StudyQuery, InnovationQuery, SupervisionQuery);

/// Every write operation: one part per area, merged.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    CoreMutation,
    documents::DocumentMutation,
    StudyMutation,
    InnovationMutation,
    SupervisionMutation,
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
    let fields = match &err {
        AppError::Validation(v) => v.clone(),
        _ => Vec::new(),
    };
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
    cfg.route("/graphql", web::post().to(graphql_post))
        .route("/graphql", web::get().to(graphql_get))
        .route("/graphiql", web::get().to(graphiql))
        .route("/graphiql/", web::get().to(graphiql))
        .route("/graphiql/assets/{name}", web::get().to(graphiql_asset));
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(f) => count_aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Checks what the schema's own limits do not: aliases per document, and (for GET)
/// that the operation to run is not a mutation.
fn precheck(query: &str, operation_name: Option<&str>, max_aliases: usize, is_get: bool) -> AppResult<()> {
    // Unparsable documents are left to the executor, which reports them GraphQL-style.
    let Ok(doc) = async_graphql::parser::parse_query(query) else { return Ok(()) };
    let mut aliases: usize = doc.fragments.values().map(|f| count_aliases(&f.node.selection_set.node)).sum();
    let mut mutation_selected = false;
    match &doc.operations {
        DocumentOperations::Single(op) => {
            aliases += count_aliases(&op.node.selection_set.node);
            mutation_selected = op.node.ty == OperationType::Mutation;
        }
        DocumentOperations::Multiple(ops) => {
            for (name, op) in ops {
                aliases += count_aliases(&op.node.selection_set.node);
                if operation_name == Some(name.as_str()) && op.node.ty == OperationType::Mutation {
                    mutation_selected = true;
                }
            }
        }
    }
    if aliases > max_aliases {
        return Err(AppError::invalid("query", format!("uses {aliases} aliases; at most {max_aliases} are allowed")));
    }
    if is_get && mutation_selected {
        return Err(AppError::MethodNotAllowed("mutations must be sent with POST".into()));
    }
    Ok(())
}

async fn execute(
    req: &HttpRequest,
    state: &AppState,
    mut request: async_graphql::Request,
    is_get: bool,
) -> AppResult<HttpResponse> {
    precheck(&request.query, request.operation_name.as_deref(), state.settings.graphql_max_aliases, is_get)?;
    let actor = optional_actor(req).await?;
    if !actor.as_ref().is_some_and(Actor::is_admin) {
        request = request.disable_introspection();
    }
    if let Some(a) = &actor {
        request = request.data(Loaders::new(state.db.clone(), a.clone(), state.settings.today()));
    }
    request = request.data(RequestCtx {
        db: state.db.clone(),
        actor,
        policy: state.policy,
        today: state.settings.today(),
        time_zone: state.settings.time_zone,
    });
    let response = state.schema.execute(request).await;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(response))
}

/// GraphQL over POST (`application/json`).
async fn graphql_post(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(AppError::UnsupportedMediaType("send GraphQL requests as application/json".into()));
    }
    let body = body.map_err(|_| AppError::PayloadTooLarge(state.settings.max_body_bytes))?;
    let request: async_graphql::Request = parse_json(&body)?;
    execute(&req, &state, request, false).await
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
async fn graphql_get(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
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
    execute(&req, &state, request, true).await
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

    #[test]
    fn aliases_are_counted_and_get_mutations_refused() {
        assert!(precheck("{ a: me { kind } b: me { kind } }", None, 1, false).is_err());
        assert!(precheck("{ a: me { kind } }", None, 1, false).is_ok());
        assert!(matches!(
            precheck("mutation { revokeRole(id: \"x\") }", None, 10, true),
            Err(AppError::MethodNotAllowed(_))
        ));
        assert!(precheck("query { me { kind } }", None, 10, true).is_ok());
    }
}
