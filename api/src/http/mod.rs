//! HTTP plumbing that REST and GraphQL share and that no handler should repeat:
//! the request log span (no query strings), content negotiation (`Accept` → 406),
//! the default `Cache-Control` of authenticated answers, and the gate in front of
//! the browser tools (GraphiQL, the docs UI, the OpenAPI document).
//!
//! It may import the services and the application state, never a transport module.

pub mod extract;

use actix_web::{
    HttpMessage, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use base64::Engine;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

use crate::config::UiAccess;
use crate::error::AppError;
use crate::state::AppState;

/// The root span of every request: method, route, path, status, request id and (once
/// authenticated) the actor's account or client id, which every log line written while
/// the request runs carries; never the query string (it may carry search terms or a
/// misplaced `access_token`), nor headers.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request.extensions().get::<RequestId>().map(|r| r.to_string()).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.path = %request.path(),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
            actor = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        let status = match outcome {
            Ok(res) => res.status().as_u16(),
            Err(err) => err.as_response_error().status_code().as_u16(),
        };
        span.record("http.status_code", status);
    }
}

/// Whether an `Accept` header admits `media` (`type/subtype`), honouring wildcards
/// and `q=0` exclusions. A missing or empty header admits everything.
pub fn accepts(accept: Option<&str>, media: &str) -> bool {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else { return true };
    let media = media.trim().to_ascii_lowercase();
    let Some((m_type, m_sub)) = media.split_once('/') else { return false };
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        if q <= 0.0 {
            return false;
        }
        match range.split_once('/') {
            Some(("*", _)) => true,
            Some((t, "*")) => t == m_type,
            Some((t, s)) => t == m_type && s == m_sub,
            None => false,
        }
    })
}

/// The media types every JSON endpoint can answer with.
const JSON_TYPES: [&str; 3] = ["application/json", "application/problem+json", "application/graphql-response+json"];

fn accept_header(req: &actix_web::HttpRequest) -> Option<String> {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Content negotiation and caching defaults around every request:
/// - a write (anything but GET/HEAD/OPTIONS) whose `Accept` admits no JSON type is
///   refused with 406 before it runs, so nothing is changed for an answer the client
///   will not take;
/// - a successful read whose content type the `Accept` header does not admit is
///   answered 406 instead;
/// - an answer to a request that carried credentials gets `Cache-Control: no-store`
///   unless the route set its own (`private, no-cache` with an ETag, for instance).
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accept = accept_header(req.request());
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !is_read && !JSON_TYPES.iter().any(|t| accepts(accept.as_deref(), t)) {
        return Ok(req.error_response(AppError::NotAcceptable("this endpoint answers application/json".into())));
    }
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let res = next.call(req).await?.map_into_boxed_body();
    let res = if is_read && res.status().is_success() {
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
        match content_type {
            Some(ct) if !accepts(accept.as_deref(), &ct) => {
                let (http_req, _) = res.into_parts();
                let err = AppError::NotAcceptable(format!("this resource is available as {ct}"));
                ServiceResponse::new(http_req, err.error_response())
            }
            _ => res,
        }
    } else {
        res
    };
    let mut res = res;
    if authenticated && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// `HEAD` for every `GET` route (RFC 9110 §9.3.2): the request is routed as a `GET`
/// and answered with the same status and headers (`ETag`, `Content-Length` included)
/// and no body, so `curl -I` and caches can read an ETag without the representation.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if *req.method() != Method::HEAD {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    req.head_mut().method = Method::GET;
    let res = next.call(req).await?;
    let length = match res.response().body().size() {
        actix_web::body::BodySize::Sized(n) => Some(n),
        _ => None,
    };
    let mut res = res.map_body(|_, _| BoxBody::new(actix_web::body::None::new()));
    if let Some(n) = length {
        res.headers_mut().insert(header::CONTENT_LENGTH, header::HeaderValue::from(n));
    }
    Ok(res)
}

/// Answers no cache may keep, whoever asks: the caller's own account and grants, and
/// service clients (`no-store`, as every authenticated answer without an ETag).
const NEVER_STORED: [&str; 3] = ["/api/v1/me", "/api/v1/service-clients", "/api/v1/auth/"];

/// Whether `path` is one of [`NEVER_STORED`] or below it (`/api/v1/me` itself, not
/// `/api/v1/measures`).
fn never_stored(path: &str) -> bool {
    NEVER_STORED
        .iter()
        .any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || p.ends_with('/')))
}

/// Weak `ETag`s on every successful JSON read that has none of its own (lists, search,
/// figures, GraphQL queries over GET): the tag is a digest of the body, so a client
/// that sends it back in `If-None-Match` gets 304 without the body when nothing
/// changed. Such answers may be stored privately and must be revalidated
/// (`Cache-Control: private, no-cache`). Single records keep their strong version tag.
pub async fn weak_etags(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let is_read = *req.method() == Method::GET && !never_stored(req.path());
    let res = next.call(req).await?.map_into_boxed_body();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/graphql-response+json"));
    let cacheable = res.headers().get(header::CACHE_CONTROL).is_none_or(|v| v.as_bytes() != b"no-store");
    if !is_read || res.status() != actix_web::http::StatusCode::OK || !is_json || !cacheable {
        return Ok(res);
    }
    if res.headers().contains_key(header::ETAG) {
        return Ok(res);
    }
    let (http_req, http_res) = res.into_parts();
    let (mut head, body) = http_res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => return Ok(ServiceResponse::new(http_req, head.set_body(body))),
    };
    let digest = {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(&bytes)[..12])
    };
    let tag = header::EntityTag::new_weak(digest);
    let matches = if_none_match.as_deref().is_some_and(|v| {
        v.trim() == "*"
            || v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag.to_string().trim_start_matches("W/"))
    });
    let headers = head.headers_mut();
    headers.insert(header::ETAG, header::HeaderValue::from_str(&tag.to_string()).map_err(AppError::internal)?);
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-cache"));
    if matches {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = head.headers().get(&name) {
                not_modified.insert_header((name, value.clone()));
            }
        }
        return Ok(ServiceResponse::new(http_req, not_modified.finish()));
    }
    Ok(ServiceResponse::new(http_req, head.set_body(BoxBody::new(bytes))))
}

/// Sets the request's language from `Accept-Language` for everything that runs while
/// it is served; error answers say which language they are in (`Content-Language`,
/// and `Vary: Accept-Language`, since their texts depend on it).
pub async fn language(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = crate::i18n::Lang::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    // Errors are turned into answers inside the scope too, so their text is translated
    // (the answer travels on in an `InternalError` that only hands it over).
    let mut res = crate::i18n::with_lang(lang, async move {
        next.call(req).await.map(ServiceResponse::map_into_boxed_body).map_err(|err| {
            let answer = err.error_response();
            actix_web::Error::from(actix_web::error::InternalError::from_response(err.to_string(), answer))
        })
    })
    .await?;
    if res.status().as_u16() >= 400 {
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_LANGUAGE, header::HeaderValue::from_static(lang.tag()));
        headers.append(header::VARY, header::HeaderValue::from_static("Accept-Language"));
    }
    Ok(res)
}

/// Whether a path is one of the browser tools the UI-access switch guards.
fn is_tool_path(path: &str) -> bool {
    path == "/graphiql"
        || path == "/graphiql/"
        || path == "/docs"
        || path.starts_with("/docs/")
        || path == "/api/v1/openapi.json"
}

/// In `admins` mode, GraphiQL, the docs UI and the OpenAPI document answer only to a
/// global administrator, signed in with a bearer token or (for a browser that
/// navigates there) HTTP Basic credentials, checked like a login (lock-out, bounded
/// hashing). Anyone else gets 401 with a Basic challenge, so the browser asks.
pub async fn guard_tools(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if state.settings.ui_access() == UiAccess::Public || !is_tool_path(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let header_value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let actor = match header_value.as_deref().and_then(|v| v.split_once(' ')) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            crate::services::auth::resolve_actor(&state.db, &state.keys, &state.auth_cache, token.trim(), None).await
        }
        Some((scheme, encoded)) if scheme.eq_ignore_ascii_case("basic") => {
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok();
            let pair = decoded.and_then(|d| String::from_utf8(d).ok());
            match pair.as_deref().and_then(|p| p.split_once(':')) {
                Some((user, password)) => {
                    crate::services::auth::authenticate_password(&state.db, &state.policy, user, password.to_owned())
                        .await
                }
                None => Ok(None),
            }
        }
        _ => Ok(None),
    };
    let actor = match actor {
        Ok(actor) => actor,
        Err(err) => return Ok(req.error_response(err)),
    };
    if actor.as_ref().is_some_and(crate::auth::Actor::is_admin) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // The usual 401 problem, with a Basic challenge so a browser asks for credentials.
    let mut res = req.error_response(AppError::Unauthenticated);
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"dangjian tools\", charset=\"UTF-8\""),
    );
    Ok(res.map_into_boxed_body())
}

/// The header a client names its retry key in.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Reads a request body up to `limit` bytes.
async fn read_body(payload: &mut actix_web::dev::Payload, limit: usize) -> Result<web::Bytes, AppError> {
    use futures_util::StreamExt;
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::invalid("body", "could not be read"))?;
        if buf.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// `Idempotency-Key` on POST (REST and GraphQL): the same caller, key, path and body
/// within a day get the first answer again, marked `Idempotent-Replayed: true`, and
/// the work is done once. A retry while the first request still runs is 409; the key
/// reused with another request is 422. Only answers a retry should see are kept
/// (not 5xx, 401, 408 or 429). The token endpoint ignores the header: tokens are
/// never stored. Requests without a valid bearer token ignore it too (they fail anyway).
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req.headers().get(IDEMPOTENCY_KEY).map(|v| v.to_str().map(str::to_owned));
    let applies = *req.method() == Method::POST && !req.path().starts_with("/api/v1/auth/");
    let (Some(key), true, Some(state)) = (key, applies, req.app_data::<web::Data<AppState>>().cloned()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match key
        .map_err(|_| AppError::invalid("Idempotency-Key", "must be visible ASCII"))
        .and_then(|k| crate::services::idempotency::validate_key(&k).map(|()| k))
    {
        Ok(key) => key,
        Err(err) => return Ok(req.error_response(err)),
    };
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    let Some(claims) = bearer.and_then(|t| state.keys.verify(&t)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let principal = format!("{}:{}", claims.kind.as_str(), claims.sub);
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let limit = if is_multipart { state.settings.max_upload_bytes + 64 * 1024 } else { state.settings.max_body_bytes };
    let body = match read_body(&mut req.take_payload(), limit).await {
        Ok(body) => body,
        Err(err) => return Ok(req.error_response(err)),
    };
    let body_hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    };
    let path = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let abandon_after = std::time::Duration::from_secs(state.settings.request_timeout_secs * 2);
    let claim = crate::services::idempotency::claim(
        &state.db,
        &principal,
        &key,
        req.method().as_str(),
        &path,
        &body_hash,
        abandon_after,
    )
    .await;
    let claim = match claim {
        Ok(claim) => claim,
        Err(err) => return Ok(req.error_response(err)),
    };
    use crate::services::idempotency::{Claim, StoredAnswer};
    match claim {
        Claim::Fresh => {}
        Claim::Replay(answer) => {
            let status = actix_web::http::StatusCode::from_u16(answer.status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut res = HttpResponse::build(status);
            if let Some(ct) = &answer.content_type {
                res.insert_header((header::CONTENT_TYPE, ct.as_str()));
            }
            for (name, value) in &answer.headers {
                res.insert_header((name.as_str(), value.as_str()));
            }
            res.insert_header(("idempotent-replayed", "true"));
            let (http_req, _) = req.into_parts();
            return Ok(ServiceResponse::new(http_req, res.body(answer.body)));
        }
        Claim::InProgress => {
            let err = AppError::Conflict("a request with this Idempotency-Key is still in progress".into());
            return Ok(req.error_response(err));
        }
        Claim::Mismatch => {
            let err = AppError::invalid(
                "Idempotency-Key",
                "was already used with a different request (method, path or body)",
            );
            return Ok(req.error_response(err));
        }
    }
    req.set_payload(actix_web::dev::Payload::from(body));
    let outcome = next.call(req).await;
    let res = match outcome {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            crate::services::idempotency::release(&state.db, &principal, &key).await?;
            return Err(err);
        }
    };
    let status = res.status();
    let keep = !(status.is_server_error() || [401u16, 408, 429].contains(&status.as_u16()));
    if !keep {
        crate::services::idempotency::release(&state.db, &principal, &key).await?;
        return Ok(res);
    }
    let (http_req, http_res) = res.into_parts();
    let (head, body) = http_res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| AppError::internal(anyhow::anyhow!("the answer body could not be read")))?;
    let content_type = head.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let headers = [header::LOCATION, header::ETAG]
        .iter()
        .filter_map(|name| {
            let value = head.headers().get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    let answer = StoredAnswer { status: status.as_u16(), content_type, headers, body: bytes.to_vec() };
    crate::services::idempotency::complete(&state.db, &principal, &key, answer).await?;
    let res = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, res))
}

/// Counts and times every request for `/metrics` (by route pattern, method and status)
/// and counts the SQL statements it runs ([`crate::telemetry`]); with
/// `DANGJIAN_STATEMENT_HEADER` the count is sent back as `X-SQL-Statements`.
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let header = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.settings.statement_header);
    let (outcome, statements) = crate::telemetry::count_statements(next.call(req)).await;
    let mut res = match outcome {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16().to_string();
            metrics::counter!(crate::telemetry::HTTP_REQUESTS, "route" => "unmatched", "method" => method, "status" => status)
                .increment(1);
            return Err(err);
        }
    };
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16().to_string();
    metrics::counter!(crate::telemetry::HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(crate::telemetry::HTTP_DURATION, "route" => route.clone(), "method" => method)
        .record(started.elapsed().as_secs_f64());
    metrics::histogram!(crate::telemetry::SQL_PER_REQUEST, "route" => route).record(f64::from(statements));
    if header {
        res.headers_mut().insert(header::HeaderName::from_static("x-sql-statements"), statements.into());
    }
    Ok(res)
}

/// `GET /metrics`: Prometheus text for holders of `DANGJIAN_METRICS_TOKEN` (as a bearer
/// token); 404 when no token is configured, 401 for a wrong one.
pub async fn metrics_endpoint(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    use secrecy::ExposeSecret;
    use subtle::ConstantTimeEq;
    let Some(token) = &state.settings.metrics_token else { return Err(AppError::NotFound) };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(presented.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
        return Err(AppError::Unauthenticated);
    }
    Ok(metrics_text(&state))
}

/// The Prometheus text of this replica, its gauges read now.
pub fn metrics_text(state: &AppState) -> HttpResponse {
    crate::telemetry::pool_gauges(&state.db);
    if let Some(places) = &state.in_flight {
        let busy = state.settings.max_in_flight.saturating_sub(places.available_permits());
        metrics::gauge!(crate::telemetry::IN_FLIGHT).set(busy as f64);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(crate::telemetry::prometheus().render())
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn only_the_callers_own_answers_are_never_stored() {
        assert!(super::never_stored("/api/v1/me"));
        assert!(super::never_stored("/api/v1/me/measures"));
        assert!(super::never_stored("/api/v1/service-clients/x"));
        assert!(super::never_stored("/api/v1/auth/token"));
        assert!(!super::never_stored("/api/v1/measures"));
        assert!(!super::never_stored("/api/v1/meeting-norms"));
    }

    #[test]
    fn accept_ranges_wildcards_and_exclusions() {
        assert!(accepts(None, "application/json"));
        assert!(accepts(Some("*/*"), "application/json"));
        assert!(accepts(Some("application/*"), "application/json"));
        assert!(accepts(Some("text/html, application/json;q=0.5"), "application/json"));
        assert!(!accepts(Some("application/xml"), "application/json"));
        assert!(!accepts(Some("application/json;q=0"), "application/json"));
        assert!(!accepts(Some("text/*"), "application/json"));
    }
}
