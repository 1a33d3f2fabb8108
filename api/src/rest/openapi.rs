//! The finishing passes over the generated OpenAPI document: what holds for every
//! operation is said once here instead of on every handler: security schemes,
//! resource-qualified operation ids, the shared error responses each operation can
//! answer, response descriptions and the `Idempotency-Key` header.

use utoipa::openapi::{
    OpenApi, RefOr,
    path::{Operation, PathItem},
    response::ResponseBuilder,
    schema::Ref,
};

/// Runs every pass.
pub fn finish(doc: &mut OpenApi) {
    security_schemes(doc);
    shared_responses(doc);
    document_idempotency_keys(doc);
    describe_responses(doc);
    operation_ids(doc);
}

/// The operations of a path item with their methods.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
}

/// `bearer` (paste a token) and `oauth2` (the password flow against the token
/// endpoint, so Swagger UI's Authorize dialog and generated clients can log in); every
/// operation that needs a token accepts either.
fn security_schemes(doc: &mut OpenApi) {
    use utoipa::openapi::security::{
        Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement, SecurityScheme,
    };
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from `POST /api/v1/auth/token`."))
                .build(),
        ),
    );
    components.add_security_scheme(
        "oauth2",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::Password(Password::new("/api/v1/auth/token", Scopes::new()))],
            "Username and password, exchanged for a token at `POST /api/v1/auth/token`.",
        )),
    );
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            let Some(security) = op.security.as_mut() else { continue };
            let uses_bearer = serde_json::to_value(&*security)
                .ok()
                .and_then(|v| v.as_array().cloned())
                .is_some_and(|list| list.iter().any(|r| r.get("bearer").is_some()));
            if uses_bearer {
                security.push(SecurityRequirement::new("oauth2", Vec::<String>::new()));
            }
        }
    }
}

/// The shared error answers, by component name: (status, name, description).
const SHARED: [(&str, &str, &str); 12] = [
    ("400", "UnknownParameter", "A query parameter this operation does not take (UNKNOWN_PARAMETER)."),
    ("401", "Unauthenticated", "No valid access token (UNAUTHENTICATED)."),
    ("403", "Forbidden", "The caller's role does not allow this (FORBIDDEN)."),
    ("404", "NotFound", "No such object in the caller's scope (NOT_FOUND)."),
    ("406", "NotAcceptable", "The `Accept` header admits no type this operation answers with (NOT_ACCEPTABLE)."),
    ("409", "Conflict", "The change conflicts with the current state (CONFLICT)."),
    (
        "412",
        "PreconditionFailed",
        "`If-Match` names an older version (PRECONDITION_FAILED); the answer's `ETag` is the current one.",
    ),
    ("413", "PayloadTooLarge", "The body is larger than the configured limit (PAYLOAD_TOO_LARGE)."),
    ("415", "UnsupportedMediaType", "The body is not of a type this operation takes (UNSUPPORTED_MEDIA_TYPE)."),
    ("422", "Validation", "The input is invalid; `errors` names each field (VALIDATION)."),
    ("428", "PreconditionRequired", "The update needs `If-Match` (PRECONDITION_REQUIRED)."),
    (
        "503",
        "Unavailable",
        "The server is busy or the request timed out (UNAVAILABLE, TIMEOUT); retry after `Retry-After`.",
    ),
];

/// Every status the server can answer an operation with is documented once, as a
/// shared response: 400, 406 and 503 everywhere; 401 and 403 where a token is needed;
/// 404 on paths with an id; 409, 413, 415 and 422 where a body is taken (422 also for
/// query parameters); 412 and 428 where `If-Match` is.
fn shared_responses(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in SHARED {
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                utoipa::openapi::content::Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build();
        components.responses.insert(name.to_owned(), RefOr::T(response));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        for (method, op) in operations(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            let params = op.parameters.iter().flatten().filter_map(|p| match p {
                RefOr::T(p) => Some(p),
                RefOr::Ref(_) => None,
            });
            let mut has_query = false;
            let mut has_if_match = false;
            for p in params {
                has_query |= matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query);
                has_if_match |= p.name.eq_ignore_ascii_case("If-Match");
            }
            let writes = method != "get";
            for (status, name, _) in SHARED {
                let applies = match status {
                    "400" | "406" | "503" => true,
                    "401" | "403" => secured,
                    "404" => has_id,
                    "409" => writes && secured,
                    "413" | "415" => has_body,
                    "422" => has_body || has_query || has_id && writes,
                    "412" | "428" => has_if_match,
                    _ => false,
                };
                if applies {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// OpenAPI requires a description on every response: those the handlers leave empty
/// get the status's reason phrase ("OK", "Created", ...).
fn describe_responses(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.trim().is_empty()
                {
                    r.description = reason(status);
                }
            }
        }
    }
}

fn reason(status: &str) -> String {
    status
        .parse::<u16>()
        .ok()
        .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
        .and_then(|code| code.canonical_reason())
        .unwrap_or("Response")
        .to_owned()
}

/// Every POST but the token endpoints takes an optional `Idempotency-Key`
/// (`crate::http::idempotency`).
fn document_idempotency_keys(doc: &mut OpenApi) {
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
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .pattern(Some("^[!-~]+$")),
            ))
            .build();
        post.parameters.get_or_insert_with(Vec::new).push(param.into());
    }
}

/// Handler names that say only the verb, with the name their operation goes by.
const NAMED: [(&str, &str); 28] = [
    ("download", "downloadAttachment"),
    ("history", "getRecordHistory"),
    ("logout", "logout"),
    ("token", "issueToken"),
    ("meetings", "getMeetingCompliance"),
    ("archive", "archiveDocument"),
    ("upload", "uploadDocumentAttachment"),
    ("publish", "publishDocument"),
    ("reading", "recordDocumentReading"),
    ("revise", "reviseDocument"),
    ("revisions", "listDocumentRevisions"),
    ("me", "getMe"),
    ("mine", "listMyMeasures"),
    ("norms", "listMeetingNorms"),
    ("ancestors", "listOrganizationAncestors"),
    ("children", "listOrganizationChildren"),
    ("descendants", "listOrganizationDescendants"),
    ("transfer", "transferPerson"),
    ("transfers", "listPersonTransfers"),
    ("search", "search"),
    ("attendance", "getSessionAttendance"),
    ("statements", "listSessionStatements"),
    ("escalation", "listEscalatedItems"),
    ("reject", "rejectSupervisionItem"),
    ("submit", "submitSupervisionItem"),
    ("verify", "verifySupervisionItem"),
    ("stats", "getSupervisionStats"),
    ("roles", "listUserRoles"),
];

/// The singular of a path's resource name (`people` → `person`, `activities` →
/// `activity`).
fn singular(word: &str) -> String {
    match word {
        "people" => "person".to_owned(),
        w if w.ends_with("ies") => format!("{}y", &w[..w.len() - 3]),
        w if w.ends_with("sses") || w.ends_with("xes") => w[..w.len() - 2].to_owned(),
        w if w.ends_with('s') && !w.ends_with("ss") => w[..w.len() - 1].to_owned(),
        w => w.to_owned(),
    }
}

fn camel(words: &[String]) -> String {
    let mut out = String::new();
    for (i, word) in words.iter().flat_map(|w| w.split(['_', '-'])).filter(|w| !w.is_empty()).enumerate() {
        if i == 0 {
            out.push_str(word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// Unique, resource-qualified camelCase operation ids (`listPeople`, `getPerson`,
/// `updateOrganization`), so SDK generators name one method per operation: a handler
/// named only by its verb (`list`, `get`, ...) gets its path's resource, singular when
/// the path ends in an id; the few named by a bare word take their name from `NAMED`.
fn operation_ids(doc: &mut OpenApi) {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            if let Some(id) = &op.operation_id {
                *counts.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let literal: Vec<&str> = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|s| !s.starts_with('{') && !s.is_empty())
            .map(|s| s.trim_end_matches(".json"))
            .collect();
        let ends_in_id = path.ends_with('}');
        for (_, op) in operations(item) {
            let Some(id) = op.operation_id.as_mut() else { continue };
            if let Some((_, name)) = NAMED.iter().find(|(handler, _)| handler == id) {
                *id = (*name).to_owned();
                continue;
            }
            if counts.get(id.as_str()).is_some_and(|n| *n > 1) {
                let mut resource: Vec<String> = literal.iter().map(|s| (*s).to_owned()).collect();
                // One object: the singular (`getPerson`, `createDocument`).
                if (ends_in_id || id == "create")
                    && let Some(last) = resource.last_mut()
                {
                    *last = singular(last);
                }
                let mut words = vec![id.clone()];
                words.extend(resource);
                *id = camel(&words);
            } else {
                *id = camel(std::slice::from_ref(id));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_like_methods() {
        assert_eq!(singular("people"), "person");
        assert_eq!(singular("activities"), "activity");
        assert_eq!(singular("organizations"), "organization");
        assert_eq!(camel(&["list".into(), "study-sessions".into()]), "listStudySessions");
        assert_eq!(camel(&["list_achievements".into()]), "listAchievements");
    }

    #[test]
    fn every_shared_response_is_unique() {
        let mut names: Vec<_> = SHARED.iter().map(|(_, n, _)| *n).collect();
        names.dedup();
        assert_eq!(names.len(), SHARED.len());
    }
}
