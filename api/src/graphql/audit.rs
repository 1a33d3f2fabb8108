//! The audit trail in the GraphQL schema: the hash-chained record of every change,
//! its query, an object's history and the chain's verification. The objects are
//! `services::audit`' own.

use async_graphql::{
    ComplexObject, Context, ID, Object, Result,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};

use super::types::{Conn, Totals, wants_total};
use super::{actor, gql_error, parse_id, state};
use crate::services::{
    self,
    audit::{AuditEventView, AuditFilter, AuditPageRequest, BrokenLink, ChainAnchor, ChainReport, HistoryEntry},
    pagination::encode_key_cursor,
};

#[ComplexObject]
impl AuditEventView {
    /// Id (ascending in insertion order).
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
}

#[ComplexObject]
impl BrokenLink {
    /// Id of the offending audit record, when it exists.
    async fn audit_id(&self) -> Option<ID> {
        self.audit_id.map(|i| ID(i.to_string()))
    }
}

/// Read operations on the audit trail.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit records, newest first (administrators: all; inspectors: their scope).
    #[graphql(complexity = "crate::graphql::page_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this entity name (e.g. supervision_item).")] entity: Option<String>,
        #[graphql(desc = "Only this object.")] entity_id: Option<ID>,
        #[graphql(desc = "Only this actor (account or client id).")] actor_id: Option<ID>,
        #[graphql(desc = "Only objects of this organisation's subtree.")] organization_id: Option<ID>,
        #[graphql(desc = "Only this action.")] action: Option<String>,
        #[graphql(desc = "At or after this instant.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Before this instant.")] to: Option<DateTime<Utc>>,
    ) -> Result<Conn<AuditEventView>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let mut req =
            AuditPageRequest::parse(first.map(i64::from), after.as_deref(), "first", "after").map_err(gql_error)?;
        req.with_total = wants_total(ctx);
        let filter = AuditFilter {
            entity,
            entity_id: entity_id.as_ref().map(parse_id).transpose()?,
            actor_id: actor_id.as_ref().map(parse_id).transpose()?,
            organization_id: organization_id.as_ref().map(parse_id).transpose()?,
            action,
            from,
            to,
        };
        let p = services::audit::list(&s.db, a, &filter, req).await.map_err(gql_error)?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            p.next_cursor.is_some(),
            Totals { total_count: p.total.unwrap_or(0) },
        );
        conn.edges.extend(p.items.into_iter().map(|e| Edge::new(encode_key_cursor(e.id), e)));
        Ok(conn)
    }
    /// One audit record; NOT_FOUND when missing or outside your scope.
    async fn audit_event(&self, ctx: &Context<'_>, id: ID) -> Result<AuditEventView> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let id: i64 = id.parse().map_err(|_| gql_error(crate::error::AppError::NotFound))?;
        services::audit::get(&s.db, a, id).await.map_err(gql_error)
    }
    /// Every version of one record, oldest first, with who changed which fields.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Entity name, e.g. supervision_item.")] entity: String,
        id: ID,
    ) -> Result<Vec<HistoryEntry>> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        services::audit::history(&s.db, a, &entity, parse_id(&id)?).await.map_err(gql_error)
    }
    /// Verifies the audit hash chain (administrators) and reports the first broken link.
    /// With an anchor (headSequence and headHash of an earlier report, kept outside the
    /// database) it also catches a rewrite of the whole chain.
    async fn verify_audit_chain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "headSequence of an earlier report.")] anchor_sequence: Option<i64>,
        #[graphql(desc = "headHash of that report.")] anchor_hash: Option<String>,
    ) -> Result<ChainReport> {
        let (s, a) = (state(ctx)?, actor(ctx)?);
        let anchor = match (anchor_sequence, anchor_hash) {
            (Some(sequence), Some(hash)) => Some(ChainAnchor { sequence, hash }),
            (None, None) => None,
            _ => {
                let e = crate::error::AppError::invalid("anchor_hash", "give anchorSequence and anchorHash together");
                return Err(gql_error(e));
            }
        };
        services::audit::verify_chain(&s.db, a, anchor.as_ref()).await.map_err(gql_error)
    }
}
