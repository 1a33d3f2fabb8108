//! Request extractors both transports use: the authenticated [`Actor`] behind a bearer
//! token, the request id and origin, and strict JSON bodies.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use tracing_actix_web::RequestId;

use crate::auth::Actor;
use crate::error::AppError;
use crate::services;
use crate::state::AppState;

/// The caller, resolved from `Authorization: Bearer ...`; UNAUTHENTICATED otherwise.
pub struct Authenticated(pub Actor);

/// The bearer token of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The request id the tracing middleware assigned.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.to_string())
}

/// Resolves the caller of `req`, `None` when no valid token was presented.
pub async fn optional_actor(req: &HttpRequest) -> Result<Option<Actor>, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
    let Some(token) = bearer(req) else { return Ok(None) };
    let actor =
        services::auth::resolve_actor(&state.db, &state.keys, &state.auth_cache, &token, request_id(req)).await?;
    let Some(mut actor) = actor else { return Ok(None) };
    actor.origin = origin(req);
    // Every later log line of this request names its actor (`crate::http::RequestSpan`).
    tracing::Span::current().record("actor", tracing::field::display(actor.id_label()));
    // Counted once per request, however many times the caller is asked for.
    if req.extensions().get::<crate::ratelimit::QuotaState>().is_none() {
        admit(req, state.rate_limits.check_caller(&actor), actor.label())?;
    }
    Ok(Some(actor))
}

/// Settles a request's quota count: within quota, the request keeps its state for the
/// `RateLimit` headers of its answer; over it, RATE_LIMITED (counted and logged, naming
/// `who`). Nothing counted (quota off): nothing to do.
pub fn admit(
    req: &HttpRequest,
    counted: Option<Result<crate::ratelimit::QuotaState, crate::ratelimit::QuotaState>>,
    who: &str,
) -> Result<(), AppError> {
    match counted {
        None => Ok(()),
        Some(Ok(quota)) => {
            req.extensions_mut().insert(quota);
            Ok(())
        }
        Some(Err(refused)) => {
            tracing::info!(%who, policy = refused.policy, "request quota exceeded");
            metrics::counter!(crate::telemetry::RATE_LIMITED, "policy" => refused.policy).increment(1);
            Err(AppError::RateLimited(refused))
        }
    }
}

/// Where a request came from: the connection's peer address (forwarded-for headers
/// are the client's to invent) and its user agent, cut to 256 characters.
pub fn origin(req: &HttpRequest) -> crate::auth::Origin {
    crate::auth::Origin {
        source_address: req.peer_addr().map(|a| a.ip().to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect()),
    }
}

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { optional_actor(&req).await?.map(Authenticated).ok_or(AppError::Unauthenticated) })
    }
}

/// A JSON object request body: `Content-Type: application/json` required (else 415),
/// the configured size limit applies (else 413), and the body must be exactly one JSON
/// object with only known fields ([`parse_json`]; else a VALIDATION error naming the
/// offending field).
pub struct JsonBody<T>(pub T);

/// A JSON array request body, with the same checks as [`JsonBody`].
pub struct JsonList<T>(pub Vec<T>);

/// Whether a request says its body is `application/json`.
pub fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

fn json_payload(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Pin<Box<dyn Future<Output = Result<web::Bytes, AppError>>>> {
    let is_json = is_json(req);
    let bytes = web::Bytes::from_request(req, payload);
    let limit = req.app_data::<web::Data<AppState>>().map(|s| s.settings.max_body_bytes).unwrap_or(1 << 20);
    Box::pin(async move {
        if !is_json {
            return Err(AppError::UnsupportedMediaType("send the body as application/json".into()));
        }
        bytes.await.map_err(|_| AppError::PayloadTooLarge(limit))
    })
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_payload(req, payload);
        Box::pin(async move { parse_json(&bytes.await?).map(JsonBody) })
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for JsonList<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_payload(req, payload);
        Box::pin(async move { parse_json_as(&bytes.await?, Shape::Array).map(JsonList) })
    }
}

/// The deepest nesting of arrays and objects a JSON body may have.
pub const MAX_JSON_NESTING: usize = 32;

/// What the top level of a JSON body must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
}

/// Checks the nesting of a JSON text without parsing it (no recursion), and returns
/// the first significant byte.
fn scan_json(bytes: &[u8]) -> Result<Option<u8>, AppError> {
    let (mut depth, mut in_string, mut escaped, mut first) = (0usize, false, false, None);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if first.is_none() && !b.is_ascii_whitespace() {
            first = Some(b);
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_NESTING {
                    return Err(AppError::invalid(
                        "body",
                        format!("nests arrays and objects deeper than {MAX_JSON_NESTING} levels"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(first)
}

/// Deserialises a JSON object body strictly: one object (not an array, nothing after
/// it), nested at most [`MAX_JSON_NESTING`] deep, no fields the type does not know;
/// failures name the field by its path.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    parse_json_as(bytes, Shape::Object)
}

/// [`parse_json`] with the expected top-level shape.
pub fn parse_json_as<T: serde::de::DeserializeOwned>(bytes: &[u8], shape: Shape) -> Result<T, AppError> {
    let expected = match shape {
        Shape::Object => (b'{', "must be a JSON object"),
        Shape::Array => (b'[', "must be a JSON array"),
    };
    match scan_json(bytes)? {
        Some(first) if first == expected.0 => {}
        None => return Err(AppError::invalid("body", "is empty")),
        Some(_) => return Err(AppError::invalid("body", expected.1)),
    }
    match parse_json_strict(bytes) {
        // JSON Schema counts `1376.0` as an integer; serde does not. Only when the plain
        // parse failed is the body re-read with integral numbers written as integers.
        Err(err) if has_integral_float(bytes) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(mut value) => {
                if normalise_integral_floats(&mut value) {
                    parse_json_strict(&serde_json::to_vec(&value).map_err(AppError::internal)?)
                } else {
                    Err(err)
                }
            }
            Err(_) => Err(err),
        },
        other => other,
    }
}

/// Whether a JSON text has a number with a fractional part of zeros (`12.0`).
fn has_integral_float(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w[0] == b'.' && w[1] == b'0')
}

/// Rewrites numbers like `12.0` (integral, within i64) as `12`; whether any changed.
fn normalise_integral_floats(value: &mut serde_json::Value) -> bool {
    let mut changed = false;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                if let Some(f) = n.as_f64()
                    && f.fract() == 0.0
                    && f.abs() < 9.0e15
                {
                    #[allow(clippy::cast_possible_truncation)]
                    let i = f as i64;
                    *v = serde_json::Value::from(i);
                    changed = true;
                }
            }
            serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
            serde_json::Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    changed
}

/// The strict typed parse behind [`parse_json_as`].
fn parse_json_strict<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut unknown = Vec::new();
    // serde_ignored writes `?` for an `Option`'s `Some`: not part of the field's name.
    let mut note_unknown = |path: serde_ignored::Path<'_>| {
        unknown.push(path.to_string().split('.').filter(|s| *s != "?").collect::<Vec<_>>().join("."))
    };
    let parsed: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&mut de, &mut note_unknown));
    let value = parsed.map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() { "body".to_owned() } else { path };
        let inner = e.into_inner().to_string();
        let message = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        let field = if field == "body" {
            json_error_to_validation(&message).field_name().unwrap_or_else(|| "body".to_owned())
        } else {
            field
        };
        AppError::invalid(field, message)
    })?;
    de.end().map_err(|_| AppError::invalid("body", "has data after the JSON value"))?;
    if !unknown.is_empty() {
        return Err(AppError::Validation(
            unknown
                .into_iter()
                .map(|field| crate::error::FieldError { field, message: "unknown field".into() })
                .collect(),
        ));
    }
    Ok(value)
}

/// Query parameters whose value does not parse are a VALIDATION error naming the
/// parameter. (A handler may take several of these, e.g. filters and `PageParams`;
/// parameters no part takes are refused for every operation by
/// `crate::rest::refuse_unknown_parameters`, from the OpenAPI document.)
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Query<T> {
    /// The parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string strictly (see [`Query`]).
pub fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let parsed: Result<T, _> = serde_path_to_error::deserialize(de);
    parsed.map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        match message.split_once("missing field `").and_then(|(_, rest)| rest.split('`').next()) {
            Some(field) => AppError::invalid(field, "is required"),
            None if path == "." || path.is_empty() => AppError::invalid("query", "is not a valid query string"),
            None => AppError::invalid(path, "is not a valid value"),
        }
    })
}

/// Turns a deserialisation message into a VALIDATION error naming the field when it can.
pub fn json_error_to_validation(message: &str) -> AppError {
    let field = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|p| message.split_once(p).and_then(|(_, rest)| rest.split('`').next()))
        .unwrap_or("body");
    let message = message.split(" at line ").next().unwrap_or(message);
    AppError::invalid(field, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: i32,
    }

    #[test]
    fn bodies_are_strict() {
        assert!(parse_json::<Input>(br#"{"name":"a","inner":{"n":1}}"#).is_ok());
        let field = |r: Result<Input, AppError>| r.unwrap_err().field_name();
        assert_eq!(field(parse_json(br#"{"name":"a"}{"name":"b"}"#)).as_deref(), Some("body"), "trailing data");
        assert_eq!(field(parse_json(br#"["a", null]"#)).as_deref(), Some("body"), "an array for an object");
        assert_eq!(field(parse_json(br#"{"name":"a","nmae":"b"}"#)).as_deref(), Some("nmae"), "unknown field");
        assert_eq!(field(parse_json(br#"{"name":"a","inner":{"n":1,"m":2}}"#)).as_deref(), Some("inner.m"));
        let deep = format!("{{\"name\":\"a\",\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(field(parse_json(deep.as_bytes())).as_deref(), Some("body"), "deep nesting");
        assert!(parse_json::<Input>(br#"{"name":"[[[[{{{{\"","inner":null}"#).is_ok(), "brackets in strings");
        assert!(parse_json_as::<Vec<Inner>>(br#"[{"n":1}]"#, Shape::Array).is_ok());
    }
}
