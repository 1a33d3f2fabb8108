//! The knowledge base (知识库): documents with a draft → published → superseded /
//! archived lifecycle and kept revisions, tags, visibility (everyone, or the owning
//! subtree), reading records (学习记录) and Chinese full-text search.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    sea_query::{Alias, Expr, Func, JoinType},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{KeyOrder, Page, PageRequest, keyset};
use super::scope::find_in_scope;
use super::scope::{self, org_ids_query, orgs_in, subtree};
use super::search::{self};
use super::types::{DocumentKind, DocumentStatus, Id, Visibility};
use super::{check_version, clean};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{document, document_tag, organization, person, reading_record, study_clock};

/// The search-index entity name of documents.
pub const SEARCH_ENTITY: &str = "document";

/// A revision of a knowledge-base document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Document", complex)]
pub struct DocumentView {
    /// Id of this revision (UUID v7).
    pub id: Id,
    /// Id shared by every revision of the document (the first revision's id).
    pub lineage_id: Id,
    /// Revision number, from 1.
    pub revision: i32,
    /// Kind.
    pub kind: DocumentKind,
    /// Title.
    pub title: String,
    /// Issuing body, e.g. 集团党委.
    pub issuing_body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Body (Markdown).
    pub body: String,
    /// Summary.
    pub summary: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Owning organisation (id).
    #[graphql(skip)]
    pub organization_id: Uuid,
    /// Who may read it once published.
    pub visibility: Visibility,
    /// Lifecycle status.
    pub status: DocumentStatus,
    /// When this revision was published.
    pub published_at: Option<DateTime<Utc>>,
    /// The revision that replaced this one (superseded revisions only).
    #[graphql(skip)]
    pub superseded_by: Option<Uuid>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl DocumentView {
    fn from_model(m: document::Model, tags: Vec<String>) -> AppResult<Self> {
        Ok(DocumentView {
            kind: DocumentKind::from_db(&m.kind)?,
            visibility: Visibility::from_db(&m.visibility)?,
            status: DocumentStatus::from_db(&m.status)?,
            id: m.id.into(),
            lineage_id: m.lineage_id.into(),
            revision: m.revision,
            title: m.title,
            issuing_body: m.issuing_body,
            issued_on: m.issued_on,
            body: m.body,
            summary: m.summary,
            tags,
            organization_id: m.organization_id,
            published_at: m.published_at,
            superseded_by: m.superseded_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A new document, created as a draft.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "CreateDocumentInput")]
pub struct NewDocument {
    /// Kind.
    pub kind: DocumentKind,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: String,
    /// Issuing body (up to 100 characters).
    #[schema(max_length = 100)]
    pub issuing_body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Body in Markdown (up to 200,000 characters).
    #[schema(max_length = 200000)]
    pub body: String,
    /// Summary (up to 1,000 characters).
    #[schema(max_length = 1000)]
    pub summary: Option<String>,
    /// Tags (up to 20, each up to 30 characters).
    #[schema(max_items = 20, max_length = 30)]
    #[serde(default)]
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Owning organisation (one you manage).
    pub organization_id: Id,
    /// Who may read it once published (default everyone).
    pub visibility: Option<Visibility>,
}

/// Changes to a draft (only the fields present change).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[graphql(name = "UpdateDocumentInput")]
pub struct DocumentPatch {
    /// Kind.
    pub kind: Option<DocumentKind>,
    /// Title (1–200 characters).
    #[schema(min_length = 1, pattern = r"\S", max_length = 200)]
    pub title: Option<String>,
    /// Issuing body (up to 100 characters; empty clears it).
    #[schema(max_length = 100)]
    pub issuing_body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Body in Markdown (up to 200,000 characters).
    #[schema(max_length = 200000)]
    pub body: Option<String>,
    /// Summary (up to 1,000 characters; empty clears it).
    #[schema(max_length = 1000)]
    pub summary: Option<String>,
    /// Tags (replace the old ones; up to 20, each up to 30 characters).
    #[schema(max_items = 20, max_length = 30)]
    pub tags: Option<Vec<String>>,
    /// Visibility.
    pub visibility: Option<Visibility>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// Only this kind.
    pub kind: Option<DocumentKind>,
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Only this status (default: published).
    pub status: Option<DocumentStatus>,
    /// Only documents owned inside this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Issued on or after.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before.
    pub issued_to: Option<NaiveDate>,
}

/// Organisations whose subtree-visible documents a scope may read: those inside it and
/// the ancestors of its roots (a branch member reads what the committee shares with its
/// subtree).
fn owners_visible_to(scope: &Scope) -> Condition {
    match scope {
        Scope::Global => Condition::all(),
        Scope::None => Condition::all().add(scope::never()),
        Scope::Subtrees(roots) => {
            let ancestors: Vec<Uuid> = roots.iter().flat_map(|r| scope::path_ids(r)).collect();
            Condition::any().add(orgs_in(scope)).add(organization::Column::Id.is_in(ancestors))
        }
    }
}

/// Documents the actor may read: every revision owned inside their write scope, and
/// non-draft revisions visible to them (everyone, or a subtree related to theirs).
pub(crate) fn readable(actor: &Actor) -> AppResult<Condition> {
    let read = actor.require(Permission::DocumentRead)?;
    let write = actor.scope(Permission::DocumentWrite);
    let mut owners = Condition::any().add(owners_visible_to(&read));
    if let Some(own) = super::scope::addressed_to_caller(organization::Column::Id, actor) {
        // Participation scope: a document an ancestor of the caller's own organisation
        // publishes to its subtree reaches them, whatever their grants.
        owners = owners.add(own);
    }
    let visible_owner = document::Column::OrganizationId.in_subquery(org_ids_query(owners));
    let published = Condition::all()
        .add(document::Column::Status.ne(DocumentStatus::Draft.as_str()))
        .add(Condition::any().add(document::Column::Visibility.eq(Visibility::Everyone.as_str())).add(visible_owner));
    let mut cond = Condition::any().add(published);
    if write != Scope::None {
        cond = cond.add(super::scope::org_ref_in(document::Column::OrganizationId, &write));
    }
    Ok(cond)
}

async fn tags_of<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<String>>> {
    let mut map: HashMap<Uuid, Vec<String>> = HashMap::new();
    for t in document_tag::Entity::find()
        .filter(document_tag::Column::DocumentId.is_in(ids.iter().copied()))
        .order_by_asc(document_tag::Column::Tag)
        .all(db)
        .await?
    {
        map.entry(t.document_id).or_default().push(t.tag);
    }
    Ok(map)
}

async fn views<C: ConnectionTrait>(db: &C, rows: Vec<document::Model>) -> AppResult<Vec<DocumentView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut tags = tags_of(db, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let t = tags.remove(&r.id).unwrap_or_default();
            DocumentView::from_model(r, t)
        })
        .collect()
}

/// A document revision the actor may read (NOT_FOUND otherwise).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_readable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<document::Model> {
    document::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)
}

/// Loads (locked) a document the actor may write: NOT_FOUND when not readable,
/// FORBIDDEN when readable but owned outside the write scope.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn find_writable<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<document::Model> {
    let write = actor.require(Permission::DocumentWrite)?;
    find_readable(db, actor, id).await?;
    let doc = document::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(AppError::NotFound)?;
    let owner = organization::Entity::find_by_id(doc.organization_id).one(db).await?.ok_or(AppError::NotFound)?;
    if !write.contains_path(&owner.path) {
        return Err(AppError::forbidden("this document is owned outside the subtree you manage"));
    }
    Ok(doc)
}

/// One document revision.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<DocumentView> {
    let row = find_readable(db, actor, id).await?;
    Ok(views(db, vec![row]).await?.remove(0))
}

/// Several documents by id, skipping those the actor may not read (DataLoader batch).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids<C: ConnectionTrait>(db: &C, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<DocumentView>> {
    let rows = document::Entity::find()
        .filter(document::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(actor)?)
        .all(db)
        .await?;
    views(db, rows).await
}

pub(crate) fn filter_condition(filter: &DocumentFilter) -> Condition {
    let mut cond =
        Condition::all().add(document::Column::Status.eq(filter.status.unwrap_or(DocumentStatus::Published).as_str()));
    if let Some(kind) = filter.kind {
        cond = cond.add(document::Column::Kind.eq(kind.as_str()));
    }
    if let Some(tag) = filter.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(
            document::Column::Id.in_subquery(
                document_tag::Entity::find()
                    .select_only()
                    .column(document_tag::Column::DocumentId)
                    .filter(document_tag::Column::Tag.eq(tag))
                    .into_query(),
            ),
        );
    }
    if let Some(from) = filter.issued_from {
        cond = cond.add(document::Column::IssuedOn.gte(from));
    }
    if let Some(to) = filter.issued_to {
        cond = cond.add(document::Column::IssuedOn.lte(to));
    }
    cond
}

#[tracing::instrument(level = "debug", skip_all)]

pub(crate) async fn owner_subtree<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    org_id: Option<Uuid>,
) -> AppResult<Condition> {
    Ok(match org_id {
        None => Condition::all(),
        Some(id) => {
            let org = find_in_scope(db, &actor.scope(Permission::OrgRead), id).await?;
            Condition::all().add(document::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))))
        }
    })
}

/// A page of documents the actor may read (published ones unless a status is asked for),
/// newest first by creation.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &DocumentFilter,
    page: PageRequest,
) -> AppResult<Page<DocumentView>> {
    let (rows, total) = page_rows(db, actor, filter, page, Bodies::Whole).await?;
    let items = views(db, rows).await?;
    Ok(Page::from_rows(items, page, |d| d.id.0, total))
}

/// How many characters of a body a lean list reads: enough for [`excerpt`] to find
/// 120 characters of text behind the Markdown markup.
const BODY_HEAD_CHARS: i32 = 1000;

/// Whether a list reads whole bodies or only their start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bodies {
    /// The whole body.
    Whole,
    /// The first [`BODY_HEAD_CHARS`] characters (read by the database, not cut here).
    Head,
}

/// One keyset page (newest first) of the documents the actor may read matching
/// `filter`: the rows and, when asked for, the total.
async fn page_rows<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &DocumentFilter,
    page: PageRequest,
    bodies: Bodies,
) -> AppResult<(Vec<document::Model>, Option<u64>)> {
    let cond = Condition::all()
        .add(readable(actor)?)
        .add(filter_condition(filter))
        .add(owner_subtree(db, actor, filter.organization_id).await?);
    if bodies == Bodies::Whole {
        return keyset::<_, document::Entity>(db, cond, document::Column::Id, page, KeyOrder::Newest).await;
    }
    let total =
        if page.with_total { Some(document::Entity::find().filter(cond.clone()).count(db).await?) } else { None };
    let mut query = document::Entity::find().filter(cond);
    if let Some(after) = page.after {
        query = query.filter(document::Column::Id.lt(after));
    }
    let head = Func::cust(Alias::new("SUBSTR"))
        .arg(Expr::col((document::Entity, document::Column::Body)))
        .arg(1)
        .arg(BODY_HEAD_CHARS);
    let rows = query
        .select_only()
        .columns(document::Column::iter().filter(|c| !matches!(c, document::Column::Body)))
        .expr_as(head, "body")
        .order_by_desc(document::Column::Id)
        .limit(page.limit + 1)
        .into_model::<document::Model>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Like [`list`], but each document's `body` holds only its start (about 1,000
/// characters, enough for [`DocumentView::excerpt`]): for a GraphQL list that does not
/// ask for bodies, so that none are read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_without_bodies<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &DocumentFilter,
    page: PageRequest,
) -> AppResult<Page<DocumentView>> {
    let (rows, total) = page_rows(db, actor, filter, page, Bodies::Head).await?;
    let items = views(db, rows).await?;
    Ok(Page::from_rows(items, page, |d| d.id.0, total))
}

/// A document in a list (what a phone shows in a row): the summary instead of the body,
/// and the owning organisation's name. `GET /documents/{id}` has the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DocumentSummary {
    /// Id of this revision (UUID v7).
    pub id: Id,
    /// Revision number, from 1.
    pub revision: i32,
    /// Kind.
    pub kind: DocumentKind,
    /// Title.
    pub title: String,
    /// Issuing body, e.g. 集团党委.
    pub issuing_body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// The stored summary or, when there is none, the start of the body as plain text
    /// (Markdown markup removed; at most 120 characters, ending in `…` when cut).
    pub summary: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Owning organisation (id).
    pub organization_id: Id,
    /// Owning organisation's name.
    pub organization_name: String,
    /// Who may read it once published.
    pub visibility: Visibility,
    /// Lifecycle status.
    pub status: DocumentStatus,
    /// When this revision was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Last changed at (UTC).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// The longest excerpt [`excerpt`] makes, in characters.
pub const EXCERPT_CHARS: usize = 120;

impl DocumentView {
    /// The stored summary or, when there is none, the start of the body as plain text
    /// (see [`excerpt`]).
    pub fn summary_or_excerpt(&self) -> String {
        match self.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s.to_owned(),
            None => excerpt(&self.body, EXCERPT_CHARS),
        }
    }
}

/// Removes inline Markdown from one line: images and links keep their text, HTML tags,
/// emphasis and code marks go.
fn strip_inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '!' if chars.get(i + 1) == Some(&'[') => i += 1,
            '[' => {
                // `[text](target)` → text; a lone bracket stays.
                let close = chars[i + 1..].iter().position(|&x| x == ']').map(|p| p + i + 1);
                match close {
                    Some(end) if chars.get(end + 1) == Some(&'(') => {
                        out.extend(&chars[i + 1..end]);
                        let paren = chars[end + 1..].iter().position(|&x| x == ')').map(|p| p + end + 1);
                        i = paren.map_or(end + 1, |p| p + 1);
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '<' => match chars[i + 1..].iter().position(|&x| x == '>') {
                Some(p) if chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') => i += p + 2,
                _ => {
                    out.push(c);
                    i += 1;
                }
            },
            '*' | '`' | '~' => i += 1,
            '_' if i + 1 < chars.len() && chars[i + 1] == '_' => i += 2,
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Removes block Markdown from the start of a line: headings, quotes, list markers.
fn strip_block(line: &str) -> &str {
    let mut l = line.trim();
    loop {
        let before = l;
        l = l.trim_start_matches('#').trim_start_matches('>').trim_start();
        for marker in ["- ", "* ", "+ "] {
            if let Some(rest) = l.strip_prefix(marker) {
                l = rest.trim_start();
            }
        }
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        if digits > 0
            && let Some(rest) = l[digits..].strip_prefix(". ").or_else(|| l[digits..].strip_prefix(") "))
        {
            l = rest.trim_start();
        }
        if l == before {
            return l;
        }
    }
}

/// The start of a Markdown text as plain text: markup removed (headings, quotes, list
/// markers, emphasis, code marks and fences, tables' pipes, links and images keep their
/// text, HTML tags go), lines joined, runs of spaces made one, cut at a character (not
/// byte) boundary to at most `max_chars` characters, the last of them `…` when cut.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim();
        let is_rule =
            trimmed.len() >= 3 && trimmed.chars().all(|c| matches!(c, '-' | '*' | '_' | '=' | ' ' | '|' | ':'));
        if trimmed.is_empty() || trimmed.starts_with("```") || trimmed.starts_with("~~~") || is_rule {
            continue;
        }
        let plain = strip_inline(strip_block(line)).replace('|', " ");
        let plain = plain.trim();
        if plain.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(plain);
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(max_chars.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// A page of documents the actor may read as list items ([`DocumentSummary`]: the
/// summary instead of the body, the owner's name), newest first. Reads no whole bodies;
/// a constant number of statements whatever the page size.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_summaries<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &DocumentFilter,
    page: PageRequest,
) -> AppResult<Page<DocumentSummary>> {
    let (rows, total) = page_rows(db, actor, filter, page, Bodies::Head).await?;
    let owners = super::names::organizations(db, rows.iter().map(|r| r.organization_id)).await?;
    let items = views(db, rows)
        .await?
        .into_iter()
        .map(|d| DocumentSummary {
            summary: d.summary_or_excerpt(),
            organization_name: owners.get(&d.organization_id).cloned().unwrap_or_default(),
            id: d.id,
            revision: d.revision,
            kind: d.kind,
            title: d.title,
            issuing_body: d.issuing_body,
            issued_on: d.issued_on,
            tags: d.tags,
            organization_id: d.organization_id.into(),
            visibility: d.visibility,
            status: d.status,
            published_at: d.published_at,
            updated_at: d.updated_at,
            version: d.version,
        })
        .collect();
    Ok(Page::from_rows(items, page, |d| d.id.0, total))
}

/// Every revision of the document `id` belongs to that the actor may read, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revisions<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<Vec<DocumentView>> {
    let doc = find_readable(db, actor, id).await?;
    Ok(revisions_of(db, actor, &[doc.lineage_id]).await?.remove(&doc.lineage_id).unwrap_or_default())
}

/// The readable revisions of several documents, by lineage id, oldest first
/// (DataLoader batch: two statements whatever the number of documents).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revisions_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    lineage_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<DocumentView>>> {
    let rows = document::Entity::find()
        .filter(document::Column::LineageId.is_in(lineage_ids.iter().copied()))
        .filter(readable(actor)?)
        .order_by_asc(document::Column::Revision)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<DocumentView>> = HashMap::new();
    for view in views(db, rows).await? {
        map.entry(view.lineage_id.0).or_default().push(view);
    }
    Ok(map)
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = tags.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    out.sort();
    out.dedup();
    out
}

fn validate(
    title: Option<&str>,
    body: Option<&str>,
    summary: Option<&str>,
    issuing_body: Option<&str>,
    tags: Option<&[String]>,
) -> AppResult<()> {
    Validator::new()
        .opt_text(title, "title", 200)
        .check(body.is_none_or(|b| b.chars().count() <= 200_000), "body", "must be at most 200000 characters")
        .check(summary.is_none_or(|s| s.chars().count() <= 1000), "summary", "must be at most 1000 characters")
        .check(issuing_body.is_none_or(|s| s.chars().count() <= 100), "issuing_body", "must be at most 100 characters")
        .check(tags.is_none_or(|t| t.len() <= 20), "tags", "at most 20 tags")
        .check(
            tags.is_none_or(|t| t.iter().all(|x| x.trim().chars().count() <= 30)),
            "tags",
            "each tag must be at most 30 characters",
        )
        .finish()
}

async fn write_tags<C: ConnectionTrait>(db: &C, id: Uuid, tags: &[String]) -> AppResult<()> {
    document_tag::Entity::delete_many().filter(document_tag::Column::DocumentId.eq(id)).exec(db).await?;
    if !tags.is_empty() {
        document_tag::Entity::insert_many(
            tags.iter().map(|t| document_tag::ActiveModel { document_id: Set(id), tag: Set(t.clone()) }),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

async fn record<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    action: &str,
    before: Option<&DocumentView>,
    after: &DocumentView,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change::of(
            action,
            crate::services::audit::entity_name(entity::document::Entity),
            after.id.0,
            Some(after.organization_id),
            before,
            Some(after),
        )?,
    )
    .await
}

/// Creates a draft owned by an organisation the actor manages.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewDocument) -> AppResult<DocumentView> {
    let write = actor.require(Permission::DocumentWrite)?;
    validate(
        Some(&input.title),
        Some(&input.body),
        input.summary.as_deref(),
        input.issuing_body.as_deref(),
        Some(&input.tags),
    )?;
    let tx = write_tx(db).await?;
    let owner = find_in_scope(&tx, &actor.scope(Permission::OrgRead), input.organization_id.0)
        .await
        .map_err(|_| AppError::invalid("organization_id", "no such organisation"))?;
    if !write.contains_path(&owner.path) {
        return Err(AppError::forbidden("this organisation is outside the subtree you manage"));
    }
    let now = super::now();
    let id = Uuid::now_v7();
    let tags = clean_tags(input.tags);
    let model = document::ActiveModel {
        id: Set(id),
        lineage_id: Set(id),
        revision: Set(1),
        kind: Set(input.kind.as_str().to_owned()),
        title: Set(input.title.trim().to_owned()),
        issuing_body: Set(clean(input.issuing_body)),
        issued_on: Set(input.issued_on),
        body: Set(input.body),
        summary: Set(clean(input.summary)),
        organization_id: Set(owner.id),
        visibility: Set(input.visibility.unwrap_or(Visibility::Everyone).as_str().to_owned()),
        status: Set(DocumentStatus::Draft.as_str().to_owned()),
        published_at: Set(None),
        superseded_by: Set(None),
        created_by: Set(actor.id()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    write_tags(&tx, id, &tags).await?;
    let view = DocumentView::from_model(model, tags)?;
    record(&tx, actor, "create", None, &view).await?;
    tx.commit().await?;
    Ok(view)
}

/// Changes a draft. Published revisions are immutable: revise them instead.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: DocumentPatch,
) -> AppResult<DocumentView> {
    actor.require(Permission::DocumentWrite)?;
    validate(
        patch.title.as_deref(),
        patch.body.as_deref(),
        patch.summary.as_deref(),
        patch.issuing_body.as_deref(),
        patch.tags.as_deref(),
    )?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    if row.status != DocumentStatus::Draft.as_str() {
        return Err(AppError::Conflict("only drafts can be edited; create a new revision instead".into()));
    }
    let before = views(&tx, vec![row.clone()]).await?.remove(0);
    let original = row.clone();
    let mut am: document::ActiveModel = row.into();
    if let Some(v) = patch.kind {
        am.kind = Set(v.as_str().to_owned());
    }
    if let Some(v) = patch.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = patch.issuing_body {
        am.issuing_body = Set(clean(Some(v)));
    }
    if let Some(v) = patch.issued_on {
        am.issued_on = Set(Some(v));
    }
    if let Some(v) = patch.body {
        am.body = Set(v);
    }
    if let Some(v) = patch.summary {
        am.summary = Set(clean(Some(v)));
    }
    if let Some(v) = patch.visibility {
        am.visibility = Set(v.as_str().to_owned());
    }
    let new_tags = patch.tags.map(clean_tags);
    let same_tags = new_tags.as_ref().is_none_or(|t| {
        let mut stored = before.tags.clone();
        stored.sort();
        *t == stored
    });
    if same_tags && super::unchanged(&am, &original) {
        tx.commit().await?;
        return Ok(before);
    }
    am.updated_at = Set(super::now());
    am.version = Set(original.version + 1);
    let model = am.update(&tx).await?;
    let tags = match new_tags {
        Some(t) => {
            write_tags(&tx, id, &t).await?;
            t
        }
        None => before.tags.clone(),
    };
    let after = DocumentView::from_model(model, tags)?;
    record(&tx, actor, "update", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Publishes a draft. The revision it replaces (if any) becomes superseded and points to
/// it; the search index follows in the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
) -> AppResult<DocumentView> {
    actor.require(Permission::DocumentWrite)?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    if row.status != DocumentStatus::Draft.as_str() {
        return Err(AppError::Conflict(format!("only drafts can be published (this revision is {})", row.status)));
    }
    let now = super::now();
    let previous = document::Entity::find()
        .filter(document::Column::LineageId.eq(row.lineage_id))
        .filter(document::Column::Status.eq(DocumentStatus::Published.as_str()))
        .lock_exclusive()
        .all(&tx)
        .await?;
    for prev in previous {
        let before = views(&tx, vec![prev.clone()]).await?.remove(0);
        let version = prev.version;
        let mut am: document::ActiveModel = prev.into();
        am.status = Set(DocumentStatus::Superseded.as_str().to_owned());
        am.superseded_by = Set(Some(id));
        am.updated_at = Set(now);
        am.version = Set(version + 1);
        let after = DocumentView::from_model(am.update(&tx).await?, before.tags.clone())?;
        search::remove(&tx, SEARCH_ENTITY, after.id.0).await?;
        record(&tx, actor, "supersede", Some(&before), &after).await?;
    }
    let before = views(&tx, vec![row.clone()]).await?.remove(0);
    let version = row.version;
    let mut am: document::ActiveModel = row.into();
    am.status = Set(DocumentStatus::Published.as_str().to_owned());
    am.published_at = Set(Some(now));
    am.updated_at = Set(now);
    am.version = Set(version + 1);
    let after = DocumentView::from_model(am.update(&tx).await?, before.tags.clone())?;
    let content = format!("{}\n{}", after.summary.as_deref().unwrap_or(""), after.body);
    search::index(&tx, SEARCH_ENTITY, after.id.0, &after.title, &content).await?;
    record(&tx, actor, "publish", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Starts a new revision of a published document: a draft copy with the next revision
/// number (at most one open draft per document).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revise(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<DocumentView> {
    actor.require(Permission::DocumentWrite)?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    if row.status != DocumentStatus::Published.as_str() {
        return Err(AppError::Conflict("only the published revision can be revised".into()));
    }
    let open = document::Entity::find()
        .filter(document::Column::LineageId.eq(row.lineage_id))
        .filter(document::Column::Status.eq(DocumentStatus::Draft.as_str()))
        .count(&tx)
        .await?;
    if open > 0 {
        return Err(AppError::Conflict("this document already has a draft revision".into()));
    }
    let max_revision =
        document::Entity::find().filter(document::Column::LineageId.eq(row.lineage_id)).count(&tx).await? as i32;
    let tags = tags_of(&tx, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    let now = super::now();
    let new_id = Uuid::now_v7();
    let model = document::ActiveModel {
        id: Set(new_id),
        lineage_id: Set(row.lineage_id),
        revision: Set(max_revision + 1),
        kind: Set(row.kind),
        title: Set(row.title),
        issuing_body: Set(row.issuing_body),
        issued_on: Set(row.issued_on),
        body: Set(row.body),
        summary: Set(row.summary),
        organization_id: Set(row.organization_id),
        visibility: Set(row.visibility),
        status: Set(DocumentStatus::Draft.as_str().to_owned()),
        published_at: Set(None),
        superseded_by: Set(None),
        created_by: Set(actor.id()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    write_tags(&tx, new_id, &tags).await?;
    let view = DocumentView::from_model(model, tags)?;
    record(&tx, actor, "revise", None, &view).await?;
    tx.commit().await?;
    Ok(view)
}

/// Withdraws a published document (it leaves search results; it can still be read).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn archive(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
) -> AppResult<DocumentView> {
    actor.require(Permission::DocumentWrite)?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    if row.status != DocumentStatus::Published.as_str() {
        return Err(AppError::Conflict("only a published revision can be archived".into()));
    }
    let before = views(&tx, vec![row.clone()]).await?.remove(0);
    let version = row.version;
    let mut am: document::ActiveModel = row.into();
    am.status = Set(DocumentStatus::Archived.as_str().to_owned());
    am.updated_at = Set(super::now());
    am.version = Set(version + 1);
    let after = DocumentView::from_model(am.update(&tx).await?, before.tags.clone())?;
    search::remove(&tx, SEARCH_ENTITY, id).await?;
    record(&tx, actor, "archive", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a draft revision (published history is never deleted).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_draft(db: &DatabaseConnection, actor: &Actor, id: Uuid, expected_version: i32) -> AppResult<()> {
    actor.require(Permission::DocumentWrite)?;
    let tx = write_tx(db).await?;
    let row = find_writable(&tx, actor, id).await?;
    check_version(row.version, expected_version)?;
    if row.status != DocumentStatus::Draft.as_str() {
        return Err(AppError::Conflict("only drafts can be deleted; archive a published document instead".into()));
    }
    let before = views(&tx, vec![row.clone()]).await?.remove(0);
    document_tag::Entity::delete_many().filter(document_tag::Column::DocumentId.eq(id)).exec(&tx).await?;
    document::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "delete",
            crate::services::audit::entity_name(entity::document::Entity),
            id,
            Some(before.organization_id),
            Some(&before),
            None,
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person's study record of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Reading")]
pub struct ReadingView {
    /// The document revision (id).
    pub document_id: Id,
    /// Its title.
    pub title: String,
    /// The reader (person id).
    #[graphql(skip)]
    pub person_id: Uuid,
    /// First opened (UTC).
    pub first_read_at: DateTime<Utc>,
    /// Last opened (UTC).
    pub last_read_at: DateTime<Utc>,
    /// Seconds of study the server credited in total (counted from server-side
    /// timestamps: see `POST /documents/{id}/reading`).
    pub seconds_spent: i64,
    /// Whether the reader finished it.
    pub completed: bool,
    /// Seconds the report that produced this answer was credited (0 in listings).
    pub credited_seconds: i64,
}

/// Opens a document: reads it and, for a person opening a published revision,
/// records the opening in their study record, in one transaction. The opening is the
/// server-side start of the reading: study time reported later is counted from it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<DocumentView> {
    let Some(person_id) = actor.person_id() else { return get(db, actor, id).await };
    let tx = write_tx(db).await?;
    let row = find_readable(&tx, actor, id).await?;
    if row.status != DocumentStatus::Draft.as_str() {
        let now = super::now();
        let existing = reading_record::Entity::find()
            .filter(reading_record::Column::DocumentId.eq(id))
            .filter(reading_record::Column::PersonId.eq(person_id))
            .lock_exclusive()
            .one(&tx)
            .await?;
        match existing {
            Some(r) => {
                let mut am: reading_record::ActiveModel = r.into();
                am.last_read_at = Set(now);
                am.opened_at = Set(Some(now));
                am.update(&tx).await?;
            }
            None => {
                reading_record::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    document_id: Set(id),
                    person_id: Set(person_id),
                    first_read_at: Set(now),
                    last_read_at: Set(now),
                    seconds_spent: Set(0),
                    completed: Set(false),
                    completed_at: Set(None),
                    opened_at: Set(Some(now)),
                }
                .insert(&tx)
                .await?;
            }
        }
    }
    let view = views(&tx, vec![row]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

/// Records study time and completion the caller reports for a document.
///
/// The reported seconds are a claim; what is credited is what the server can vouch
/// for: no more than passed since the later of the document's opening (`open`) and the
/// end of the time last credited to this person for any document (one person's time
/// counts once, however many documents are open), and no more than what is left of the
/// daily limit. A report repeated at once is credited nothing more, so retries are
/// harmless. A document never opened is credited nothing. Completion is never undone.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_reading(
    db: &DatabaseConnection,
    actor: &Actor,
    limits: crate::config::StudyLimits,
    document_id: Uuid,
    seconds: i64,
    completed: bool,
) -> AppResult<ReadingView> {
    Validator::new().check((0..=86_400).contains(&seconds), "seconds", "must be between 0 and 86400").finish()?;
    let person_id = actor.person_id().ok_or_else(|| AppError::forbidden("only people have study records"))?;
    let tx = write_tx(db).await?;
    let doc = find_readable(&tx, actor, document_id).await?;
    if doc.status == DocumentStatus::Draft.as_str() {
        return Err(AppError::Conflict("drafts are not studied".into()));
    }
    let now = super::now();
    let today = now.with_timezone(&limits.time_zone).date_naive();
    let existing = reading_record::Entity::find()
        .filter(reading_record::Column::DocumentId.eq(document_id))
        .filter(reading_record::Column::PersonId.eq(person_id))
        .lock_exclusive()
        .one(&tx)
        .await?;
    let clock = study_clock::Entity::find_by_id(person_id).lock_exclusive().one(&tx).await?;
    let opened_at = existing.as_ref().and_then(|r| r.opened_at);
    // Credit runs from the later of the opening and the end of what was credited before.
    let start = opened_at.map(|opened| clock.as_ref().map_or(opened, |c| c.credited_until.max(opened)));
    let credited = start.map_or(0, |start| {
        let elapsed = (now - start).num_seconds().max(0);
        let used_today = clock.as_ref().filter(|c| c.day == today).map_or(0, |c| c.day_seconds);
        seconds.min(elapsed).min((limits.daily_seconds - used_today).max(0))
    });
    if let Some(start) = start.filter(|_| credited > 0) {
        let until = start + chrono::Duration::seconds(credited);
        match clock {
            Some(c) => {
                let day_seconds = if c.day == today { c.day_seconds + credited } else { credited };
                let mut am: study_clock::ActiveModel = c.into();
                am.credited_until = Set(until);
                am.day = Set(today);
                am.day_seconds = Set(day_seconds);
                am.update(&tx).await?;
            }
            None => {
                study_clock::ActiveModel {
                    person_id: Set(person_id),
                    credited_until: Set(until),
                    day: Set(today),
                    day_seconds: Set(credited),
                }
                .insert(&tx)
                .await?;
            }
        }
    }
    let model = match existing {
        Some(r) => {
            let was_completed = r.completed;
            let completed_at = r.completed_at;
            let total = r.seconds_spent + credited;
            let mut am: reading_record::ActiveModel = r.into();
            am.last_read_at = Set(now);
            am.seconds_spent = Set(total);
            if completed && !was_completed {
                am.completed = Set(true);
                am.completed_at = Set(Some(now));
            } else {
                am.completed_at = Set(completed_at);
            }
            am.update(&tx).await?
        }
        None => {
            reading_record::ActiveModel {
                id: Set(Uuid::now_v7()),
                document_id: Set(document_id),
                person_id: Set(person_id),
                first_read_at: Set(now),
                last_read_at: Set(now),
                seconds_spent: Set(0),
                completed: Set(completed),
                completed_at: Set(completed.then_some(now)),
                opened_at: Set(None),
            }
            .insert(&tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok(ReadingView {
        document_id: document_id.into(),
        title: doc.title,
        person_id,
        first_read_at: model.first_read_at,
        last_read_at: model.last_read_at,
        seconds_spent: model.seconds_spent,
        completed: model.completed,
        credited_seconds: credited,
    })
}

/// Study time of one month.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "StudyPeriod")]
pub struct PeriodTotal {
    /// The month, `YYYY-MM`, in the configured time zone.
    pub period: String,
    /// Seconds studied.
    pub seconds: i64,
    /// Hours studied (rounded to 0.1).
    pub hours: f64,
    /// Documents studied.
    pub documents: i64,
    /// Documents completed.
    pub completed: i64,
}

/// A member's study record (学习记录).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct StudyRecord {
    /// What was studied, most recent first.
    pub records: Vec<ReadingView>,
    /// Totals per month, oldest first.
    pub periods: Vec<PeriodTotal>,
}

/// The caller's own study record between two dates (inclusive, last read in the range).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_study_record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: chrono_tz::Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<StudyRecord> {
    let person_id = actor.person_id().ok_or_else(|| AppError::forbidden("only people have study records"))?;
    let mut q = reading_record::Entity::find().filter(reading_record::Column::PersonId.eq(person_id));
    if let Some(from) = from {
        q = q.filter(reading_record::Column::LastReadAt.gte(start_of(from, tz)));
    }
    if let Some(to) = to {
        q = q.filter(reading_record::Column::LastReadAt.lt(start_of(to + chrono::Days::new(1), tz)));
    }
    let rows = q.order_by_desc(reading_record::Column::LastReadAt).limit(1000).all(db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.document_id).collect();
    let titles: HashMap<Uuid, String> = document::Entity::find()
        .filter(document::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.title))
        .collect();
    let mut periods: std::collections::BTreeMap<String, PeriodTotal> = std::collections::BTreeMap::new();
    for r in &rows {
        let period = r.last_read_at.with_timezone(&tz).format("%Y-%m").to_string();
        let e = periods.entry(period.clone()).or_insert(PeriodTotal {
            period,
            seconds: 0,
            hours: 0.0,
            documents: 0,
            completed: 0,
        });
        e.seconds += r.seconds_spent;
        e.documents += 1;
        e.completed += i64::from(r.completed);
    }
    let periods = periods
        .into_values()
        .map(|mut p| {
            p.hours = (p.seconds as f64 / 360.0).round() / 10.0;
            p
        })
        .collect();
    let records = rows
        .into_iter()
        .map(|r| ReadingView {
            title: titles.get(&r.document_id).cloned().unwrap_or_default(),
            document_id: r.document_id.into(),
            person_id: r.person_id,
            first_read_at: r.first_read_at,
            last_read_at: r.last_read_at,
            seconds_spent: r.seconds_spent,
            completed: r.completed,
            credited_seconds: 0,
        })
        .collect();
    Ok(StudyRecord { records, periods })
}

/// The UTC instant a calendar day starts in `tz`.
pub fn start_of(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| midnight.and_utc())
}

/// Study figures of one organisation (its own people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct StudyFigure {
    /// The organisation (id).
    pub organization_id: Id,
    /// People who studied at least one document.
    pub readers: i64,
    /// Reading records (person × document).
    pub documents_read: i64,
    /// Of which completed.
    pub completed: i64,
    /// Seconds studied.
    pub seconds: i64,
}

/// One row of the study-figures query (the database's id type).
#[derive(Debug, FromQueryResult)]
struct FigureRow {
    organization_id: Uuid,
    readers: i64,
    documents_read: i64,
    completed: i64,
    seconds: i64,
}

/// Study figures per organisation in a subtree, for reads last made in a date range;
/// counted in one grouped SQL query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn study_figures<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: chrono_tz::Tz,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<StudyFigure>> {
    let scope = actor.require(Permission::StudyFigures)?;
    let org = find_in_scope(db, &scope, organization_id).await?;
    if from > to {
        return Err(AppError::invalid("from", "must not be after `to`"));
    }
    let rows = reading_record::Entity::find()
        .select_only()
        .column_as(person::Column::OrganizationId, "organization_id")
        .column_as(Expr::cust("CAST(COUNT(DISTINCT reading_record.person_id) AS BIGINT)"), "readers")
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "documents_read")
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(CASE WHEN reading_record.completed THEN 1 ELSE 0 END), 0) AS BIGINT)"),
            "completed",
        )
        .column_as(Expr::cust("CAST(COALESCE(SUM(reading_record.seconds_spent), 0) AS BIGINT)"), "seconds")
        .join(
            JoinType::InnerJoin,
            reading_record::Entity::belongs_to(person::Entity)
                .from(reading_record::Column::PersonId)
                .to(person::Column::Id)
                .into(),
        )
        .filter(person::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))))
        .filter(reading_record::Column::LastReadAt.gte(start_of(from, tz)))
        .filter(reading_record::Column::LastReadAt.lt(start_of(to + chrono::Days::new(1), tz)))
        .group_by(person::Column::OrganizationId)
        .into_model::<FigureRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| StudyFigure {
            organization_id: r.organization_id.into(),
            readers: r.readers,
            documents_read: r.documents_read,
            completed: r.completed,
            seconds: r.seconds,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpts_are_plain_text_cut_at_characters() {
        let md = "## 一、提高政治站位\n\n各级党组织要把**科技创新**作为`国之大者`来抓，见[通知](http://x/y)。\n\n- 第一条\n1. 第二条\n> 引文 <b>粗</b>\n\n| 表 | 格 |\n|---|---|\n```\ncode\n```";
        assert_eq!(
            excerpt(md, 120),
            "一、提高政治站位 各级党组织要把科技创新作为国之大者来抓，见通知。 第一条 第二条 引文 粗 表 格 code"
        );
        let long = "科".repeat(300);
        let e = excerpt(&long, 120);
        assert_eq!(e.chars().count(), 120);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt("短文", 120), "短文");
        assert_eq!(excerpt("![图](a.png) snake_case __粗__", 120), "图 snake_case 粗");
    }
}
