//! `/users` and `/role-assignments`: accounts and role grants.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::problem::Problem;
use super::{PageParams, created, if_match, page_dto, with_etag};
use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::http::extract::{Authenticated, JsonBody};
use crate::services::users::{self as svc, NewRoleAssignment, NewUser, RoleAssignmentView, UserFilter, UserView};
use crate::state::AppState;

page_dto!(UserPage, UserView);

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users", web::post().to(create))
        .route("/users/{id}", web::get().to(get))
        .route("/users/{id}", web::patch().to(update))
        .route("/users/{id}/password", web::post().to(reset_password))
        .route("/users/{id}/revoke-tokens", web::post().to(revoke_tokens))
        .route("/users/{id}/roles", web::get().to(roles))
        .route("/role-assignments", web::get().to(list_assignments))
        .route("/role-assignments", web::post().to(assign_role))
        .route("/role-assignments/{id}", web::delete().to(revoke_role));
}

/// Filters of the account list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Username contains this text.
    pub q: Option<String>,
    /// Only the account of this person.
    pub person_id: Option<Uuid>,
}

/// Changes to an account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UserPatch {
    /// Disable (revokes every token) or re-enable (lifts a lock-out).
    pub disabled: bool,
}

/// A new password set by an administrator.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordRequest {
    /// The new password: 12–256 characters (any characters, spaces included); not a
    /// common or breached password, not a repeated or sequential run, not built on the
    /// service's name.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// Filter of the role-assignment list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentQuery {
    /// The account whose grants to list (required).
    #[param(required = true)]
    pub user_id: Option<Uuid>,
}

/// List accounts in the caller's scope.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(UserQuery, PageParams), responses((status = 200, body = UserPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<UserQuery>,
    p: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let filter = UserFilter { q: q.q.clone(), person_id: q.person_id };
    Ok(HttpResponse::Ok().json(UserPage::from(svc::list(&state.db, &actor.0, &filter, p.page()?).await?)))
}

/// Get an account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = UserView, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let u = svc::get(&state.db, &actor.0, *id).await?;
    Ok(with_etag(&req, u.version, &u))
}

/// Create an account for a person.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = UserView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewUser>,
) -> AppResult<HttpResponse> {
    let u = svc::create(&state.db, &actor.0, &state.policy.passwords, body).await?;
    Ok(created(format!("/api/v1/users/{}", u.id), u.version, &u))
}

/// Disable or re-enable an account. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id"), ("If-Match" = String, Header, description = "Current ETag")),
    request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<UserPatch>,
) -> AppResult<HttpResponse> {
    let u = svc::set_disabled(&state.db, &actor.0, *id, if_match(&req)?, body.disabled).await?;
    Ok(with_etag(&req, u.version, &u))
}

/// Reset an account's password; revokes its tokens and lifts a lock-out.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id")), request_body = ResetPasswordRequest,
    responses((status = 200, body = UserView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<ResetPasswordRequest>,
) -> AppResult<HttpResponse> {
    let u = svc::reset_password(&state.db, &actor.0, &state.policy.passwords, *id, body.password).await?;
    Ok(with_etag(&req, u.version, &u))
}

/// Revoke every token of an account (sign out everywhere).
#[utoipa::path(post, path = "/api/v1/users/{id}/revoke-tokens", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_tokens(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    svc::revoke_tokens(&state.db, &actor.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Role grants of an account.
#[utoipa::path(get, path = "/api/v1/users/{id}/roles", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = Vec<RoleAssignmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn roles(state: web::Data<AppState>, actor: Authenticated, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(svc::roles(&state.db, &actor.0, *id).await?))
}

/// List the role grants of an account (`user_id` required).
#[utoipa::path(get, path = "/api/v1/role-assignments", tag = "users", security(("bearer" = [])),
    params(AssignmentQuery),
    responses((status = 200, body = Vec<RoleAssignmentView>), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_assignments(
    state: web::Data<AppState>,
    actor: Authenticated,
    q: Query<AssignmentQuery>,
) -> AppResult<HttpResponse> {
    let user_id = q.user_id.ok_or_else(|| AppError::invalid("user_id", "is required"))?;
    Ok(HttpResponse::Ok().json(svc::roles(&state.db, &actor.0, user_id).await?))
}

/// Grant a role.
///
/// Administrators grant any role anywhere; org_admins grant `org_admin` or `member` only
/// inside their own subtree.
#[utoipa::path(post, path = "/api/v1/role-assignments", tag = "users", security(("bearer" = [])),
    request_body = NewRoleAssignment,
    responses((status = 201, body = RoleAssignmentView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn assign_role(
    state: web::Data<AppState>,
    actor: Authenticated,
    JsonBody(body): JsonBody<NewRoleAssignment>,
) -> AppResult<HttpResponse> {
    let r = svc::assign_role(&state.db, &actor.0, body).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/role-assignments/{}", r.id))).json(r))
}

/// Revoke a role grant.
#[utoipa::path(delete, path = "/api/v1/role-assignments/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Grant id")),
    responses((status = 204, description = "Revoked"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_role(
    state: web::Data<AppState>,
    actor: Authenticated,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    svc::revoke_role(&state.db, &actor.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
