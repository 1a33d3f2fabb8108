//! Knowledge search (知识库检索): ranked Chinese full-text search over the published
//! documents and the study sessions a caller may read. It stands above both areas
//! (documents and study import neither it nor each other's search), so the knowledge
//! base and first-topic study stay free of import circles.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    sea_query::{Expr, Order, Query, SelectStatement},
};
use serde::Serialize;
use uuid::Uuid;

use super::documents::{DocumentFilter, SEARCH_ENTITY, filter_condition, owner_subtree, readable};
use super::pagination::{Page, decode_cursor, encode_cursor};
use super::scope::{find_in_scope, org_ids_query, subtree};
use super::search::{self, ParsedQuery, Tier};
use super::types::{DocumentKind, DocumentStatus, Id};
use crate::auth::{Actor, Permission, Scope};
use crate::error::{AppError, AppResult};
use entity::document;

/// Filters of [`search`].
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Only this document kind.
    pub kind: Option<DocumentKind>,
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Only documents owned inside this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Issued on or after.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before.
    pub issued_to: Option<NaiveDate>,
}

/// The caller's names of a search's inputs, for validation errors (REST `q` and
/// `cursor`, GraphQL `query` and `after`).
#[derive(Debug, Clone, Copy)]
pub struct InputNames<'a> {
    /// The search text.
    pub query: &'a str,
    /// The page cursor.
    pub cursor: &'a str,
}

/// Which page of a search, and how the caller names its inputs.
#[derive(Debug, Clone, Copy)]
pub struct SearchPaging<'a> {
    /// Hits per page.
    pub limit: u64,
    /// `next_cursor` of the previous page.
    pub cursor: Option<&'a str>,
    /// Whether to count every hit.
    pub with_total: bool,
    /// The caller's input names.
    pub names: InputNames<'a>,
}

/// One search result: a document or a study session.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct SearchHit {
    /// `document` or `session`.
    pub entity: String,
    /// The document revision or the session (id).
    pub id: Id,
    /// Document title, or session topic.
    pub title: String,
    /// Document kind (e.g. `speech`) or session kind (e.g. `branch_committee`).
    pub kind: String,
    /// Owning / holding organisation (id).
    pub organization_id: Id,
    /// Date issued (documents) or held (sessions, UTC date).
    pub date: Option<NaiveDate>,
    /// Excerpt around the first match: HTML-escaped, matches in `<mark>`…`</mark>`.
    pub snippet: String,
    /// Relevance (higher is better; comparable within one query).
    pub score: f64,
}

#[derive(Debug, FromQueryResult)]
struct HitRow {
    entity: String,
    id: Uuid,
    title: String,
    kind: String,
    organization_id: Uuid,
    issued_on: Option<NaiveDate>,
    held_at: Option<chrono::DateTime<chrono::Utc>>,
    summary: Option<String>,
    score: f64,
}

/// Ranked full-text search over the published documents and the study sessions (topic
/// and minutes) the actor may read, merged by relevance: results whose title holds every
/// query word first, then the others, each group by bm25 (SQLite) or ts_rank (PostgreSQL:
/// of the title in the first group, of the whole text in the second). The kind, tag and
/// date filters select documents only. The cursor is an offset (ranked results have no stable key);
/// at most 1,000 results are reachable.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    q: &str,
    filter: &SearchFilter,
    paging: SearchPaging<'_>,
) -> AppResult<Page<SearchHit>> {
    let SearchPaging { limit, cursor, with_total, names } = paging;
    let query = ParsedQuery::parse(q, names.query)?;
    let offset = match cursor {
        None => 0,
        Some(c) => decode_offset(c, names.cursor)?,
    };
    let mut cond = Condition::all()
        .add(readable(actor)?)
        .add(filter_condition(&DocumentFilter {
            kind: filter.kind,
            tag: filter.tag.clone(),
            status: Some(DocumentStatus::Published),
            organization_id: None,
            issued_from: filter.issued_from,
            issued_to: filter.issued_to,
        }))
        .add(owner_subtree(db, actor, filter.organization_id).await?);
    cond = cond.add(document::Column::Status.eq(DocumentStatus::Published.as_str()));
    let backend = db.get_database_backend();
    let select = |tier: Tier| {
        let mut select = Query::select();
        select.expr_as(Expr::val(SEARCH_ENTITY), "entity").columns([
            (document::Entity, document::Column::Id),
            (document::Entity, document::Column::Title),
            (document::Entity, document::Column::Kind),
            (document::Entity, document::Column::OrganizationId),
            (document::Entity, document::Column::IssuedOn),
            (document::Entity, document::Column::Summary),
        ]);
        select.expr_as(Expr::cust("NULL"), "held_at");
        search::ranked_match(&mut select, backend, &query, SEARCH_ENTITY, document::Entity, "document.id", tier);
        select.cond_where(cond.clone());
        select
    };
    let need = offset + limit + 1;
    let total = if with_total { Some(count(db, select(Tier::All)).await?) } else { None };
    let rows = tiered(db, need, select).await?;
    let session_filtered = filter.kind.is_some()
        || filter.tag.is_some()
        || filter.issued_from.is_some()
        || filter.issued_to.is_some()
        || actor.scope(Permission::SessionRead) == Scope::None;
    let (sessions, session_total) = if session_filtered {
        (Vec::new(), Some(0))
    } else {
        let cond = session_condition(db, actor, filter.organization_id).await?;
        let select = |tier: Tier| {
            let mut select = session_select(backend, &query, tier);
            select.cond_where(cond.clone());
            select
        };
        let session_total = if with_total { Some(count(db, select(Tier::All)).await?) } else { None };
        (tiered(db, need, select).await?, session_total)
    };
    let mut rows: Vec<HitRow> = rows.into_iter().chain(sessions).collect();
    rows.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    let rows: Vec<HitRow> = rows.into_iter().skip(offset as usize).collect();
    // Bodies (for snippets) only for the page, so ranking sorts small rows.
    let page_ids: Vec<Uuid> =
        rows.iter().take(limit as usize).filter(|r| r.entity == SEARCH_ENTITY).map(|r| r.id).collect();
    let mut bodies: HashMap<Uuid, String> = document::Entity::find()
        .select_only()
        .columns([document::Column::Id, document::Column::Body])
        .filter(document::Column::Id.is_in(page_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let has_more = rows.len() as u64 > limit && offset + limit < 1000;
    let items = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            let body = bodies.remove(&r.id).unwrap_or_default();
            let source = if body.trim().is_empty() { r.summary.clone().unwrap_or_default() } else { body };
            let source = if source.trim().is_empty() { r.title.clone() } else { source };
            Ok(SearchHit {
                entity: r.entity,
                snippet: search::snippet(&source, &query.tokens, 120),
                kind: r.kind,
                id: r.id.into(),
                title: r.title,
                organization_id: r.organization_id.into(),
                date: r.issued_on.or(r.held_at.map(|t| t.date_naive())),
                score: r.score,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let total = total.zip(session_total).map(|(d, s)| d + s);
    Ok(Page { items, next_cursor: has_more.then(|| encode_offset(offset + limit)), total })
}

fn encode_offset(offset: u64) -> String {
    encode_cursor(Uuid::from_u64_pair(0, offset))
}

fn decode_offset(cursor: &str, field: &str) -> AppResult<u64> {
    let (hi, lo) = decode_cursor(cursor, field)?.as_u64_pair();
    if hi != 0 || lo > 1000 {
        return Err(AppError::invalid(field, "not a valid cursor"));
    }
    Ok(lo)
}

/// How many rows a search statement matches.
async fn count<C: ConnectionTrait>(db: &C, mut select: SelectStatement) -> AppResult<u64> {
    select.clear_selects().expr_as(Expr::cust("COUNT(*)"), "n");
    let row = db.query_one_raw(db.get_database_backend().build(&select)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) as u64)
}

/// The best `need` rows of a search: matches in the title first (their score raised by
/// [`search::TITLE_TIER_BONUS`]), then, only when those are too few, the others. Ranking
/// thus touches the few title matches instead of every match for a first page.
async fn tiered<C: ConnectionTrait>(
    db: &C,
    need: u64,
    select: impl Fn(Tier) -> SelectStatement,
) -> AppResult<Vec<HitRow>> {
    let backend = db.get_database_backend();
    let ranked = |tier: Tier, n: u64| {
        let mut s = select(tier);
        s.order_by_expr(Expr::cust("score"), Order::Desc).order_by_expr(Expr::cust("id"), Order::Asc).limit(n);
        backend.build(&s)
    };
    let mut rows = HitRow::find_by_statement(ranked(Tier::Title, need)).all(db).await?;
    for r in &mut rows {
        r.score += search::TITLE_TIER_BONUS;
    }
    if (rows.len() as u64) < need {
        let rest = need - rows.len() as u64;
        rows.extend(HitRow::find_by_statement(ranked(Tier::BodyOnly, rest)).all(db).await?);
    }
    Ok(rows)
}

/// The sessions a search may show: readable by the actor, inside the organisation filter.
async fn session_condition<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    organization_id: Option<Uuid>,
) -> AppResult<Condition> {
    use entity::study_session;
    let mut cond = Condition::all().add(super::study::readable(actor)?);
    if let Some(id) = organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::OrgRead), id).await?;
        cond = cond.add(study_session::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
    }
    Ok(cond)
}

/// A ranked match of `query` over session topics and minutes, shaped like a document hit.
fn session_select(backend: DatabaseBackend, query: &ParsedQuery, tier: Tier) -> SelectStatement {
    use entity::study_session;
    let mut select = Query::select();
    select
        .expr_as(Expr::val(super::study::SEARCH_ENTITY), "entity")
        .expr_as(Expr::col((study_session::Entity, study_session::Column::Id)), "id")
        .expr_as(Expr::col((study_session::Entity, study_session::Column::Topic)), "title")
        .expr_as(Expr::col((study_session::Entity, study_session::Column::Kind)), "kind")
        .expr_as(Expr::col((study_session::Entity, study_session::Column::OrganizationId)), "organization_id")
        .expr_as(Expr::cust("NULL"), "issued_on")
        .expr_as(Expr::col((study_session::Entity, study_session::Column::HeldAt)), "held_at")
        .expr_as(Expr::col((study_session::Entity, study_session::Column::Minutes)), "summary");
    search::ranked_match(
        &mut select,
        backend,
        query,
        super::study::SEARCH_ENTITY,
        study_session::Entity,
        "study_session.id",
        tier,
    );
    select
}
