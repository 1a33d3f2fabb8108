//! GraphQL for the knowledge base: documents and revisions, search, study records. The
//! objects and inputs are the services' own types (`services::{documents, knowledge,
//! attachments}`); this module holds the roots and the document's relations.

use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::loaders::Loaders;
use super::types::{Conn, connection, load_org, wants_total};
use super::{actor, gql_error, page, parse_id, state};
use crate::services::{
    self,
    attachments::AttachmentView,
    documents::{DocumentFilter, DocumentPatch, DocumentView, NewDocument, ReadingView, StudyFigure, StudyRecord},
    knowledge::{SearchFilter, SearchHit},
    organizations::OrganizationView,
    types::{DocumentKind, DocumentStatus},
};

#[ComplexObject]
impl DocumentView {
    /// Owning organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<OrganizationView>> {
        load_org(ctx, self.organization_id).await
    }
    /// The revision that replaced this one (superseded revisions only).
    async fn superseded_by(&self, ctx: &Context<'_>) -> Result<Option<DocumentView>> {
        let Some(next) = self.superseded_by else { return Ok(None) };
        ctx.data::<Loaders>()?.documents.load_one(next).await
    }
    /// Every revision you may read, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<DocumentView>> {
        Ok(ctx.data::<Loaders>()?.revisions.load_one(self.lineage_id.0).await?.unwrap_or_default())
    }
    /// The summary or, when there is none, the start of the body as plain text (Markdown
    /// markup removed; at most 120 characters, ending in `…` when cut): what a list shows.
    async fn excerpt(&self) -> String {
        self.summary_or_excerpt()
    }
    /// Attached files (the PDF of a speech, a scan), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<AttachmentView>> {
        Ok(ctx.data::<Loaders>()?.document_attachments.load_one(self.id.0).await?.unwrap_or_default())
    }
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

/// Knowledge-base queries.
#[derive(Default)]
pub struct DocumentQuery;

#[Object]
impl DocumentQuery {
    /// One document revision; opening a published one records it in your study record.
    async fn document(&self, ctx: &Context<'_>, id: ID) -> Result<DocumentView> {
        let s = state(ctx)?;
        let a = actor(ctx)?;
        services::documents::open(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
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
    ) -> Result<Conn<DocumentView>> {
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
        // Bodies are read only when the query asks for them.
        let look = ctx.look_ahead();
        let p =
            if look.field("edges").field("node").field("body").exists() || look.field("nodes").field("body").exists() {
                services::documents::list(&s.db, a, &filter, req).await
            } else {
                services::documents::list_without_bodies(&s.db, a, &filter, req).await
            }
            .map_err(gql_error)?;
        Ok(connection(p, after.is_some(), |d| d.id.0))
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
        Ok(SearchResults { total_count: p.total.unwrap_or(0), next_cursor: p.next_cursor, hits: p.items })
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
        services::documents::my_study_record(&s.db, a, s.time_zone, from, to).await.map_err(gql_error)
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
        services::documents::study_figures(&s.db, a, s.time_zone, parse_id(&organization_id)?, from, to)
            .await
            .map_err(gql_error)
    }
}

/// Knowledge-base mutations.
#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Creates a draft owned by an organisation you manage.
    async fn create_document(&self, ctx: &Context<'_>, input: NewDocument) -> Result<DocumentView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::create(&s.db, a, input).await.map_err(gql_error)
    }

    /// Edits a draft.
    async fn update_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: DocumentPatch,
    ) -> Result<DocumentView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::update(&s.db, a, parse_id(&id)?, expected_version, input).await.map_err(gql_error)
    }

    /// Publishes a draft; the revision it replaces becomes superseded.
    async fn publish_document(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<DocumentView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::publish(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)
    }

    /// Starts a new revision (a draft copy) of a published document.
    async fn revise_document(&self, ctx: &Context<'_>, id: ID) -> Result<DocumentView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::revise(&s.db, a, parse_id(&id)?).await.map_err(gql_error)
    }

    /// Archives a published document.
    async fn archive_document(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<DocumentView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::archive(&s.db, a, parse_id(&id)?, expected_version).await.map_err(gql_error)
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
    ) -> Result<ReadingView> {
        let a = actor(ctx)?;
        let s = state(ctx)?;
        services::documents::record_reading(&s.db, a, s.study, parse_id(&document_id)?, seconds, completed)
            .await
            .map_err(gql_error)
    }
}
