//! GraphQL for the knowledge base: documents and revisions, search, study records.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::loaders::Loaders;
use super::types::{Conn, Organization, connection, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    attachments::AttachmentView,
    documents::{DocumentFilter, DocumentPatch, DocumentView, NewDocument},
    knowledge::SearchFilter,
};

pub use crate::services::types::DocumentKind;

pub use crate::services::types::Visibility;

pub use crate::services::types::DocumentStatus;

/// A revision of a knowledge-base document.
pub struct Document(pub DocumentView);

#[Object]
impl Document {
    /// Id of this revision.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Id shared by every revision of the document.
    async fn lineage_id(&self) -> ID {
        ID(self.0.lineage_id.to_string())
    }
    /// Revision number, from 1.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// Kind.
    async fn kind(&self) -> DocumentKind {
        self.0.kind
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Issuing body.
    async fn issuing_body(&self) -> Option<&str> {
        self.0.issuing_body.as_deref()
    }
    /// Date issued.
    async fn issued_on(&self) -> Option<NaiveDate> {
        self.0.issued_on
    }
    /// Body (Markdown).
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Summary.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Tags.
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    /// Visibility once published.
    async fn visibility(&self) -> Visibility {
        self.0.visibility
    }
    /// Lifecycle status.
    async fn status(&self) -> DocumentStatus {
        self.0.status
    }
    /// When this revision was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// Created at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed at (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Optimistic-concurrency version.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Owning organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(ctx.data::<Loaders>()?.orgs.load_one(self.0.organization_id).await?.map(Organization))
    }
    /// The revision that replaced this one (superseded revisions only).
    async fn superseded_by(&self, ctx: &Context<'_>) -> Result<Option<Document>> {
        let Some(next) = self.0.superseded_by else { return Ok(None) };
        Ok(ctx.data::<Loaders>()?.documents.load_one(next).await?.map(Document))
    }
    /// Every revision you may read, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        let rows = ctx.data::<Loaders>()?.revisions.load_one(self.0.lineage_id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Document).collect())
    }
    /// Attached files (the PDF of a speech, a scan), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        let rows = ctx.data::<Loaders>()?.document_attachments.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Attachment).collect())
    }
}

/// A file attached to a document or to a measure's progress update. The bytes are
/// downloaded over REST at `downloadUrl` (with byte ranges).
pub struct Attachment(pub AttachmentView);

#[Object]
impl Attachment {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Original file name.
    async fn filename(&self) -> &str {
        &self.0.filename
    }
    /// Content type.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// SHA-256 of the content, hex.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Where to download it (REST, bearer token, `Range` supported).
    async fn download_url(&self) -> &str {
        &self.0.download_url
    }
    /// Uploaded at (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One search result: a document or a study session.
#[derive(SimpleObject)]
pub struct SearchHit {
    /// `document` or `session`.
    pub entity: String,
    /// The document revision or session id.
    pub id: ID,
    /// Document title, or session topic.
    pub title: String,
    /// Document kind (e.g. `speech`) or session kind (e.g. `branch_committee`).
    pub kind: String,
    /// Date issued (documents) or held (sessions).
    pub date: Option<NaiveDate>,
    /// Excerpt around the first match: HTML-escaped, matches wrapped in `<mark>`.
    pub snippet: String,
    /// Relevance (higher is better).
    pub score: f64,
    /// Owning organisation id.
    pub organization_id: ID,
}

/// A page of search results.
#[derive(SimpleObject)]
pub struct SearchResults {
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Number of matching documents.
    pub total_count: u64,
}

/// A document studied by the caller.
#[derive(SimpleObject)]
pub struct Reading {
    /// The document revision id.
    pub document_id: ID,
    /// Its title.
    pub title: String,
    /// First opened.
    pub first_read_at: DateTime<Utc>,
    /// Last opened.
    pub last_read_at: DateTime<Utc>,
    /// Seconds of study the server credited in total.
    pub seconds_spent: i64,
    /// Finished.
    pub completed: bool,
    /// Seconds the report that produced this answer was credited (0 in listings).
    pub credited_seconds: i64,
}

/// Study time of one month.
#[derive(SimpleObject)]
pub struct StudyPeriod {
    /// `YYYY-MM` in the configured time zone.
    pub period: String,
    /// Hours studied.
    pub hours: f64,
    /// Seconds studied.
    pub seconds: i64,
    /// Documents studied.
    pub documents: i64,
    /// Documents completed.
    pub completed: i64,
}

/// The caller's study record.
#[derive(SimpleObject)]
pub struct StudyRecord {
    /// What was studied, most recent first.
    pub records: Vec<Reading>,
    /// Totals per month, oldest first.
    pub periods: Vec<StudyPeriod>,
}

/// Study figures of one organisation.
#[derive(SimpleObject)]
pub struct StudyFigure {
    /// The organisation id.
    pub organization_id: ID,
    /// People who studied.
    pub readers: i64,
    /// Reading records.
    pub documents_read: i64,
    /// Completed readings.
    pub completed: i64,
    /// Seconds studied.
    pub seconds: i64,
}

fn reading(r: services::documents::ReadingView) -> Reading {
    Reading {
        document_id: ID(r.document_id.to_string()),
        title: r.title,
        first_read_at: r.first_read_at,
        last_read_at: r.last_read_at,
        seconds_spent: r.seconds_spent,
        completed: r.completed,
        credited_seconds: r.credited_seconds,
    }
}

/// Knowledge-base queries.
#[derive(Default)]
pub struct DocumentQuery;

#[Object]
impl DocumentQuery {
    /// One document revision; opening a published one records it in your study record.
    async fn document(&self, ctx: &Context<'_>, id: ID) -> Result<Document> {
        let s = state(ctx)?;
        let a = actor(ctx)?;
        Ok(Document(services::documents::open(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?))
    }

    /// Documents you may read (published unless `status` is given), newest first.
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this kind.")] kind: Option<DocumentKind>,
        #[graphql(desc = "Only documents with this tag.")] tag: Option<String>,
        #[graphql(desc = "Only this status (default PUBLISHED).")] status: Option<DocumentStatus>,
        #[graphql(desc = "Only documents owned inside this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Issued on or after.")] issued_from: Option<NaiveDate>,
        #[graphql(desc = "Issued on or before.")] issued_to: Option<NaiveDate>,
    ) -> Result<Conn<Document>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = DocumentFilter {
            kind,
            tag,
            status,
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            issued_from,
            issued_to,
        };
        let req = page(ctx, first, after.as_deref(), wants_total(ctx))?;
        let p = services::documents::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |d| d.id, Document))
    }

    /// Ranked full-text search (Chinese segmented) over the published documents and the
    /// study sessions (topic and minutes) you may read. Kind, tag and date filters select
    /// documents only.
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The query (1–100 characters); every word must match.")] query: String,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "`nextCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this kind.")] kind: Option<DocumentKind>,
        #[graphql(desc = "Only documents with this tag.")] tag: Option<String>,
        #[graphql(desc = "Only documents owned inside this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Issued on or after.")] issued_from: Option<NaiveDate>,
        #[graphql(desc = "Issued on or before.")] issued_to: Option<NaiveDate>,
    ) -> Result<SearchResults> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let filter = SearchFilter {
            kind,
            tag,
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            issued_from,
            issued_to,
        };
        let limit = page(ctx, first, None, false)?.limit;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let paging = services::knowledge::SearchPaging {
            limit,
            cursor: after.as_deref(),
            with_total,
            names: services::knowledge::InputNames { query: "query", cursor: "after" },
        };
        let p = services::knowledge::search(&s.db, a, &query, &filter, paging).await.map_err(gql_error)?;
        Ok(SearchResults {
            total_count: p.total.unwrap_or(0),
            next_cursor: p.next_cursor,
            hits: p
                .items
                .into_iter()
                .map(|h| SearchHit {
                    entity: h.entity,
                    id: ID(h.id.to_string()),
                    title: h.title,
                    kind: h.kind,
                    date: h.date,
                    snippet: h.snippet,
                    score: h.score,
                    organization_id: ID(h.organization_id.to_string()),
                })
                .collect(),
        })
    }

    /// Your study record (学习记录) between two dates (inclusive).
    async fn my_study_record(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<StudyRecord> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let r = services::documents::my_study_record(&s.db, a, s.time_zone, from, to).await.map_err(gql_error)?;
        Ok(StudyRecord {
            records: r.records.into_iter().map(reading).collect(),
            periods: r
                .periods
                .into_iter()
                .map(|p| StudyPeriod {
                    period: p.period,
                    hours: p.hours,
                    seconds: p.seconds,
                    documents: p.documents,
                    completed: p.completed,
                })
                .collect(),
        })
    }

    /// Study figures per organisation of a subtree (org_admins, inspectors, admins).
    async fn study_figures(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StudyFigure>> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let rows = services::documents::study_figures(&s.db, a, s.time_zone, parse_id(&organization_id)?, from, to)
            .await
            .map_err(gql_error)?;
        Ok(rows
            .into_iter()
            .map(|f| StudyFigure {
                organization_id: ID(f.organization_id.to_string()),
                readers: f.readers,
                documents_read: f.documents_read,
                completed: f.completed,
                seconds: f.seconds,
            })
            .collect())
    }
}

/// A new document (draft).
#[derive(InputObject)]
pub struct CreateDocumentInput {
    /// Kind.
    pub kind: DocumentKind,
    /// Title.
    pub title: String,
    /// Issuing body.
    pub issuing_body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Body (Markdown).
    pub body: String,
    /// Summary.
    pub summary: Option<String>,
    /// Tags.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Owning organisation.
    pub organization_id: ID,
    /// Visibility once published (default EVERYONE).
    pub visibility: Option<Visibility>,
}

/// Changes to a draft.
#[derive(InputObject)]
pub struct UpdateDocumentInput {
    /// Kind.
    pub kind: Option<DocumentKind>,
    /// Title.
    pub title: Option<String>,
    /// Issuing body.
    pub issuing_body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Body.
    pub body: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Tags (replace the old ones).
    pub tags: Option<Vec<String>>,
    /// Visibility.
    pub visibility: Option<Visibility>,
}

/// Knowledge-base mutations.
#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Creates a draft owned by an organisation you manage.
    async fn create_document(&self, ctx: &Context<'_>, input: CreateDocumentInput) -> Result<Document> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let new = NewDocument {
            kind: input.kind,
            title: input.title,
            issuing_body: input.issuing_body,
            issued_on: input.issued_on,
            body: input.body,
            summary: input.summary,
            tags: input.tags,
            organization_id: parse_id(&input.organization_id)?,
            visibility: input.visibility,
        };
        Ok(Document(services::documents::create(&s.db, a, new).await.map_err(gql_error)?))
    }

    /// Edits a draft.
    async fn update_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateDocumentInput,
    ) -> Result<Document> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let patch = DocumentPatch {
            kind: input.kind,
            title: input.title,
            issuing_body: input.issuing_body,
            issued_on: input.issued_on,
            body: input.body,
            summary: input.summary,
            tags: input.tags,
            visibility: input.visibility,
        };
        let d =
            services::documents::update(&s.db, a, parse_id(&id)?, expected_version, patch).await.map_err(gql_error)?;
        Ok(Document(d))
    }

    /// Publishes a draft; the revision it replaces becomes superseded.
    async fn publish_document(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<Document> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        Ok(Document(services::documents::publish(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?))
    }

    /// Starts a new revision (a draft copy) of a published document.
    async fn revise_document(&self, ctx: &Context<'_>, id: ID) -> Result<Document> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        Ok(Document(services::documents::revise(&s.db, a, parse_id(&id)?).await.map_err(gql_error)?))
    }

    /// Archives a published document.
    async fn archive_document(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<Document> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        Ok(Document(services::documents::archive(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?))
    }

    /// Deletes a draft; returns its id.
    async fn delete_document(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::delete_draft(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)?;
        Ok(id)
    }

    /// Reports study time (seconds since the last report) and completion of a document.
    /// The server credits at most the time that passed since you opened the document
    /// (or since time was last credited to you) and at most the daily limit;
    /// `creditedSeconds` says what this report counted.
    async fn record_reading(
        &self,
        ctx: &Context<'_>,
        document_id: ID,
        #[graphql(default)] seconds: i64,
        #[graphql(default)] completed: bool,
    ) -> Result<Reading> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        let r = services::documents::record_reading(&s.db, a, s.study, parse_id(&document_id)?, seconds, completed)
            .await
            .map_err(gql_error)?;
        Ok(reading(r))
    }
}
