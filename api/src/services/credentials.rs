//! Credentials: the authentication policy (lock-out, refresh lifetime, the bounded
//! password pool) and checking an account's password against it. Both the token
//! grants (`auth`) and password changes (`users`) stand on this module, so neither
//! imports the other for it.

use chrono::Duration;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use crate::auth::password;
use crate::db::write_tx;
use crate::error::AppResult;
use entity::user_account;

/// Lock-out, refresh-token and password-hashing policy, from the settings.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// The bounded password-hashing pool.
    pub passwords: password::Passwords,
    /// Failures in a row that lock an account.
    pub lockout_threshold: i32,
    /// Lock duration in seconds.
    pub lockout_seconds: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl: i64,
    /// How long a service client's replaced secret keeps working after a rotation,
    /// seconds, unless the rotation says otherwise.
    pub client_secret_grace_secs: i64,
}

/// Verifies `password_text` for `user`, counting failures towards the lock-out. A locked
/// or disabled account never verifies. A success resets the counter only if the account
/// was not locked meanwhile, so guesses sent in parallel cannot slip past a lock.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn check_password(
    db: &DatabaseConnection,
    policy: &AuthPolicy,
    user: &user_account::Model,
    password_text: String,
) -> AppResult<bool> {
    let now = super::now();
    let usable = !user.disabled && user.locked_until.is_none_or(|t| t <= now);
    let verified = policy.passwords.verify(password_text, usable.then(|| user.password_hash.clone())).await?;
    if !usable {
        metrics::counter!(crate::telemetry::LOGIN_FAILURES, "reason" => "locked_or_disabled").increment(1);
        return Ok(false);
    }
    let ok = verified.ok();
    let tx = write_tx(db).await?;
    if !ok {
        metrics::counter!(crate::telemetry::LOGIN_FAILURES, "reason" => "wrong_password").increment(1);
        user_account::Entity::update_many()
            .col_expr(user_account::Column::FailedLogins, Expr::col(user_account::Column::FailedLogins).add(1))
            .filter(user_account::Column::Id.eq(user.id))
            .exec(&tx)
            .await?;
        let locked = user_account::Entity::update_many()
            .col_expr(user_account::Column::LockedUntil, Expr::value(now + Duration::seconds(policy.lockout_seconds)))
            .col_expr(user_account::Column::FailedLogins, Expr::value(0))
            .filter(user_account::Column::Id.eq(user.id))
            .filter(user_account::Column::FailedLogins.gte(policy.lockout_threshold))
            .exec(&tx)
            .await?
            .rows_affected
            > 0;
        tx.commit().await?;
        if locked {
            metrics::counter!(crate::telemetry::LOCKOUTS).increment(1);
            tracing::warn!(username = %user.username, "account locked after repeated failed password checks");
        }
        return Ok(false);
    }
    let not_locked = Condition::any()
        .add(user_account::Column::LockedUntil.is_null())
        .add(user_account::Column::LockedUntil.lte(now));
    let mut reset = user_account::Entity::update_many()
        .col_expr(user_account::Column::FailedLogins, Expr::value(0))
        .col_expr(user_account::Column::LastLoginAt, Expr::value(now));
    if let password::Verified::YesRehash(upgraded) = verified {
        // The stored hash is weaker than the configured cost: replace it now that the
        // password is known to be right.
        reset = reset.col_expr(user_account::Column::PasswordHash, Expr::value(upgraded));
    }
    let reset = reset
        .filter(user_account::Column::Id.eq(user.id))
        .filter(user_account::Column::Disabled.eq(false))
        .filter(not_locked)
        .exec(&tx)
        .await?
        .rows_affected;
    tx.commit().await?;
    Ok(reset > 0)
}
