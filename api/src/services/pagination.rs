//! Keyset pagination: opaque cursors over the UUID v7 primary key (creation order),
//! or over a sort column and the key (lists users order by a date), with a hard
//! maximum page size.

use base64::Engine;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page anyone gets.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page (1..=MAX_PAGE_SIZE).
    pub limit: u64,
    /// Start after this id (exclusive).
    pub after: Option<Uuid>,
    /// With a sorted list: the sort value of the item the page starts after (an
    /// instant in microseconds or a day number, see [`keyset_sorted`]).
    pub after_key: Option<i64>,
    /// The name of the cursor input in the caller's transport (`cursor`, `after`), for
    /// errors about it.
    pub cursor_field: &'static str,
    /// Whether to count all matching items.
    pub with_total: bool,
}

impl PageRequest {
    /// Validates a transport's `limit` and `cursor`; `limit_field` / `cursor_field` name
    /// the inputs in errors.
    pub fn parse(
        limit: Option<i64>,
        cursor: Option<&str>,
        limit_field: &str,
        cursor_field: &'static str,
    ) -> AppResult<Self> {
        let limit = match limit {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && n as u64 <= MAX_PAGE_SIZE => n as u64,
            Some(_) => {
                return Err(AppError::invalid(limit_field, format!("must be between 1 and {MAX_PAGE_SIZE}")));
            }
        };
        let (after_key, after) = match cursor.map(|c| decode_any_cursor(c, cursor_field)).transpose()? {
            Some((key, id)) => (key, Some(id)),
            None => (None, None),
        };
        Ok(PageRequest { limit, after, after_key, cursor_field, with_total: false })
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in ascending id order.
    pub items: Vec<T>,
    /// Cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
    /// All matching items, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows.
    pub fn from_rows(mut rows: Vec<T>, req: PageRequest, id: impl Fn(&T) -> Uuid, total: Option<u64>) -> Self {
        let has_more = rows.len() as u64 > req.limit;
        rows.truncate(req.limit as usize);
        let next_cursor = if has_more { rows.last().map(|r| encode_cursor(id(r))) } else { None };
        Page { items: rows, next_cursor, total }
    }

    /// Builds a page of a sorted list from `limit + 1` fetched rows: the cursor carries
    /// the last item's sort value and id.
    pub fn from_sorted_rows(
        mut rows: Vec<T>,
        req: PageRequest,
        key: impl Fn(&T) -> (i64, Uuid),
        total: Option<u64>,
    ) -> Self {
        let has_more = rows.len() as u64 > req.limit;
        rows.truncate(req.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|r| {
                let (k, id) = key(r);
                encode_sorted_cursor(k, id)
            })
        } else {
            None
        };
        Page { items: rows, next_cursor, total }
    }

    /// Converts the items, keeping the paging.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor, total: self.total }
    }
}

/// Which way a keyset page runs over the UUID v7 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// Oldest first (creation order).
    Oldest,
    /// Newest first.
    Newest,
}

/// Reads one keyset page of `E` matching `cond`, ordered by the UUID v7 column `id`:
/// `page.limit + 1` rows (so [`Page::from_rows`] knows whether more follow) and the
/// total when asked for. Every paged list of the services goes through here.
pub async fn keyset<C, E>(
    db: &C,
    cond: Condition,
    id: E::Column,
    page: PageRequest,
    order: KeyOrder,
) -> AppResult<(Vec<E::Model>, Option<u64>)>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Sync,
    entity::fast::Fast<E::Model>: sea_orm::FromQueryResult + Send + Sync,
{
    let total = if page.with_total { Some(E::find().filter(cond.clone()).count(db).await?) } else { None };
    let mut query = E::find().filter(cond);
    query = match (order, page.after) {
        (KeyOrder::Oldest, Some(after)) => query.filter(id.gt(after)),
        (KeyOrder::Newest, Some(after)) => query.filter(id.lt(after)),
        (_, None) => query,
    };
    query = match order {
        KeyOrder::Oldest => query.order_by_asc(id),
        KeyOrder::Newest => query.order_by_desc(id),
    };
    Ok((super::all_fast(query.limit(page.limit + 1), db).await?, total))
}

/// Which way a sorted list runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest (earliest) first.
    Ascending,
    /// Largest (latest) first.
    Descending,
}

/// Reads one keyset page of `E` matching `cond`, ordered by the column `sort` and then
/// the key `id` (both in `direction`): the cursor carries the last item's sort value
/// (`PageRequest::after_key`), which `value_of` turns back into a column value
/// (`None` when it cannot be one: the cursor is refused). A cursor of the unsorted
/// list is refused too: it cannot say where a sorted page starts.
pub async fn keyset_sorted<C, E, V>(
    db: &C,
    cond: Condition,
    (sort, direction): (E::Column, Direction),
    value_of: impl Fn(i64) -> Option<V>,
    id: E::Column,
    page: PageRequest,
) -> AppResult<(Vec<E::Model>, Option<u64>)>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Sync,
    entity::fast::Fast<E::Model>: sea_orm::FromQueryResult + Send + Sync,
    V: Into<sea_orm::Value> + Clone,
{
    let total = if page.with_total { Some(E::find().filter(cond.clone()).count(db).await?) } else { None };
    let mut query = E::find().filter(cond);
    if let Some(after) = page.after {
        let value = page
            .after_key
            .and_then(value_of)
            .ok_or_else(|| AppError::invalid(page.cursor_field, "not a valid cursor for this order"))?;
        let (past, past_id) = match direction {
            Direction::Ascending => (sort.gt(value.clone()), id.gt(after)),
            Direction::Descending => (sort.lt(value.clone()), id.lt(after)),
        };
        query = query.filter(Condition::any().add(past).add(Condition::all().add(sort.eq(value)).add(past_id)));
    }
    query = match direction {
        Direction::Ascending => query.order_by_asc(sort).order_by_asc(id),
        Direction::Descending => query.order_by_desc(sort).order_by_desc(id),
    };
    Ok((super::all_fast(query.limit(page.limit + 1), db).await?, total))
}

/// The cursor of a sorted list: the sort value and the id.
pub fn encode_sorted_cursor(key: i64, id: Uuid) -> String {
    let mut bytes = key.to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a cursor of either kind: an id, or a sort value and an id.
fn decode_any_cursor(cursor: &str, field: &str) -> AppResult<(Option<i64>, Uuid)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok();
    let parsed = bytes.and_then(|b| match b.len() {
        16 => Uuid::from_slice(&b).ok().map(|id| (None, id)),
        24 => {
            let key = <[u8; 8]>::try_from(&b[..8]).ok().map(i64::from_be_bytes)?;
            Uuid::from_slice(&b[8..]).ok().map(|id| (Some(key), id))
        }
        _ => None,
    });
    parsed.ok_or_else(|| AppError::invalid(field, "not a valid cursor"))
}

/// The opaque cursor for an item id.
pub fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads a cursor; a malformed one is a VALIDATION error on `field`.
pub fn decode_cursor(cursor: &str, field: &str) -> AppResult<Uuid> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| AppError::invalid(field, "not a valid cursor"))
}

/// The opaque cursor for an integer key (e.g. an audit record id).
pub fn encode_key_cursor(key: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_be_bytes())
}

/// Reads an integer-key cursor; a malformed one is a VALIDATION error on `field`.
pub fn decode_key_cursor(cursor: &str, field: &str) -> AppResult<i64> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(i64::from_be_bytes)
        .ok_or_else(|| AppError::invalid(field, "not a valid cursor"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_limits() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id), "cursor").unwrap(), id);
        assert!(decode_cursor("!!", "cursor").is_err());
        assert_eq!(decode_key_cursor(&encode_key_cursor(42), "cursor").unwrap(), 42);
        assert!(decode_key_cursor(&encode_cursor(id), "cursor").is_err());
        assert!(PageRequest::parse(Some(0), None, "limit", "cursor").is_err());
        assert!(PageRequest::parse(Some(101), None, "limit", "cursor").is_err());
        assert_eq!(PageRequest::parse(None, None, "limit", "cursor").unwrap().limit, 20);
        let sorted = PageRequest::parse(None, Some(&encode_sorted_cursor(-7, id)), "limit", "cursor").unwrap();
        assert_eq!((sorted.after_key, sorted.after), (Some(-7), Some(id)));
    }

    #[test]
    fn page_knows_whether_more_follow() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let req = PageRequest { limit: 2, after: None, after_key: None, cursor_field: "cursor", with_total: false };
        let p = Page::from_rows(ids.clone(), req, |u| *u, None);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next_cursor, Some(encode_cursor(ids[1])));
        let p = Page::from_rows(ids[..2].to_vec(), req, |u| *u, None);
        assert!(p.next_cursor.is_none());
    }
}
