//! THE domain layer: every rule of dangjian lives here.
//!
//! Each function takes a database handle, the calling [`Actor`](crate::auth::Actor)
//! and its input; its first lines check the permission and every query applies the
//! actor's organisation scope (the batch `by_ids` functions DataLoaders call
//! included). Writes run in one transaction together with their audit record.
//! This module imports no transport: REST and GraphQL are thin callers.
//!
//! Every public entry point carries a `debug` tracing span named after it: with
//! `DANGJIAN_LOG=info,dangjian::services=debug` a slow request shows which service
//! call took its time (off by default, so it costs nothing).

pub mod attachment_meta;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod auth_cache;
pub mod bulk;
pub mod changes;
pub mod committees;
pub mod compliance;
pub mod credentials;
pub mod dashboard;
pub mod documents;
pub mod epoch;
pub mod exports;
pub mod idempotency;
pub mod innovation;
pub mod knowledge;
pub mod measures;
pub mod names;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod rosters;
pub mod scope;
pub mod search;
pub mod segment;
pub mod service_clients;
pub mod study;
pub mod supervision;
pub mod types;
pub mod users;
pub mod webhooks;

/// An optional text input trimmed, with blank meaning absent.
pub(crate) fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The expected version that matches whatever version is current (REST `If-Match: *`,
/// RFC 9110 §13.1.1): the update applies unconditionally, but it still needs saying.
pub const ANY_VERSION: i32 = -1;

/// A stale-version error (optimistic concurrency) unless `current == expected` (or the
/// caller expects [`ANY_VERSION`]).
pub(crate) fn check_version(current: i32, expected: i32) -> crate::error::AppResult<()> {
    if current == expected || expected == ANY_VERSION {
        Ok(())
    } else {
        Err(crate::error::AppError::StaleVersion { expected, current })
    }
}

/// Whether an update changes nothing: every column `am` sets holds the value `original`
/// already has. Such a write keeps its version, `updated_at` and ETag and writes no
/// audit record (so `PATCH {}` does not make everyone's ETag stale). Call it before
/// setting `updated_at` and `version`.
pub(crate) fn unchanged<A>(am: &A, original: &<A::Entity as sea_orm::EntityTrait>::Model) -> bool
where
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::{ActiveValue, Iterable, ModelTrait};
    <<A::Entity as sea_orm::EntityTrait>::Column as Iterable>::iter().all(|c| match am.get(c) {
        ActiveValue::Set(v) => v == original.get(c),
        _ => true,
    })
}

/// The zone whose calendar days the domain judges (`DANGJIAN_TIME_ZONE`), for the rules
/// that run outside a request's own "today" (the day a session's roster is taken on,
/// the day of a departure). Set once at start-up; Asia/Shanghai until then.
static CALENDAR_ZONE: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

/// Sets the calendar zone (the first call wins: one zone per process).
pub fn set_calendar_zone(zone: chrono_tz::Tz) {
    let _ = CALENDAR_ZONE.set(zone);
}

/// The calendar zone in force.
pub fn calendar_zone() -> chrono_tz::Tz {
    CALENDAR_ZONE.get().copied().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// The calendar day of an instant in the calendar zone.
pub fn day_of(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    at.with_timezone(&calendar_zone()).date_naive()
}

/// The current instant (UTC), in one place so tests and code agree on the type.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// `ids`, distinct and padded (with copies of the last one) to the next power of two,
/// for `IN (...)` lists: a batch of 37 keys and one of 50 then share one SQL text, so
/// each connection prepares the statement once per size class instead of once per
/// length (the database's own statement cache stays useful).
pub fn bucketed<T: Copy + Ord>(ids: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut ids: Vec<T> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if let Some(&last) = ids.last() {
        let size = ids.len().next_power_of_two();
        ids.resize(size, last);
    }
    ids
}

/// The rows of `select`, decoded with [`entity::fast::Fast`] (no per-column error
/// building for NULLs): for the read paths that decode many rows.
pub(crate) async fn all_fast<E, C>(select: sea_orm::Select<E>, db: &C) -> Result<Vec<E::Model>, sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    entity::fast::Fast<E::Model>: sea_orm::FromQueryResult + Send + Sync,
    C: sea_orm::ConnectionTrait,
{
    let rows = select.into_model::<entity::fast::Fast<E::Model>>().all(db).await?;
    Ok(rows.into_iter().map(entity::fast::Fast::into_inner).collect())
}

/// The first row of `select`, decoded as by [`all_fast`].
pub(crate) async fn one_fast<E, C>(select: sea_orm::Select<E>, db: &C) -> Result<Option<E::Model>, sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    entity::fast::Fast<E::Model>: sea_orm::FromQueryResult + Send + Sync,
    C: sea_orm::ConnectionTrait,
{
    Ok(select.into_model::<entity::fast::Fast<E::Model>>().one(db).await?.map(entity::fast::Fast::into_inner))
}

#[cfg(test)]
mod bucket_tests {
    #[test]
    fn in_lists_come_in_powers_of_two() {
        assert_eq!(super::bucketed([3, 1, 3, 2]), vec![1, 2, 3, 3]);
        assert_eq!(super::bucketed([5]), vec![5]);
        assert_eq!(super::bucketed(Vec::<i32>::new()), Vec::<i32>::new());
        assert_eq!(super::bucketed(0..5).len(), 8);
    }
}
