//! The audit trail: every write records who did what to which object, with the
//! object before and after, inside the write's own transaction, chained by hash.
//!
//! # The chain
//! Each record gets a gap-free sequence number, the previous record's hash and its own
//! hash = SHA-256 over the previous hash and the record's canonical content
//! ([`canonical_content`]: a JSON object with sorted keys, UUIDs lower-case, the instant
//! truncated to microseconds and written as `YYYY-MM-DDTHH:MM:SS.ffffffZ`), so the same
//! record hashes the same on SQLite and PostgreSQL.
//!
//! Writing and linking are apart, so writers never wait for each other on the chain:
//! [`record`] inserts the record in the writing transaction with no sequence yet (one
//! statement; a rolled-back write leaves nothing). A chainer ([`chain_backlog`], run by
//! every replica's background task every [`CHAIN_INTERVAL`] and before a verification)
//! links the committed records in the order it finds them, under the single-row
//! `audit_chain_head`'s lock, so one chainer works at a time across replicas and the
//! sequence stays gap-free. A record is tamper-evident from when it is linked (well
//! under a second after its write commits); until then it is *pending*, which a
//! verification reports apart from breaks.
//!
//! [`verify_chain`] (administrators) walks the chain and names the first broken link;
//! [`list`] and [`history`] read the trail (administrators everything, inspectors the
//! records of organisations in their scope, everyone else nothing).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Timelike, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, decode_key_cursor, encode_key_cursor};
use super::scope::find_in_scope;
use super::scope::{org_ids_query, org_ref_in, subtree};
use super::types::{Id, text_enum};
use crate::auth::{Actor, Permission, Scope};
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::{audit_chain_head, audit_event, organization, service_client, user_account};

/// The hash the first record links to.
pub const GENESIS_HASH: &str = migration::AUDIT_GENESIS_HASH;

/// The chain head row: the last linked sequence number and its hash.
async fn chain_head<C: ConnectionTrait>(db: &C) -> AppResult<audit_chain_head::Model> {
    audit_chain_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the audit chain head row is missing")))
}

/// The last linked sequence number (0 before the first record is linked).
pub(crate) async fn linked_head<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    Ok(chain_head(db).await?.seq)
}

/// The audit name of an entity: its table's name, so a renamed table renames its
/// records' entity too, and no record names something that does not exist.
pub fn entity_name<E: sea_orm::EntityName>(entity: E) -> &'static str {
    entity.table_name()
}

/// One change to record.
pub struct Change<'a> {
    /// Verb, e.g. `create`, `update`, `move`, `delete`.
    pub action: &'a str,
    /// Entity name, e.g. `organization`.
    pub entity: &'a str,
    /// The changed object's id.
    pub entity_id: Uuid,
    /// The organisation the object belongs to, for scoped audit queries.
    pub organization_id: Option<Uuid>,
    /// The object before (None on create).
    pub before: Option<serde_json::Value>,
    /// The object after (None on delete).
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    /// A change with the object before and after it, snapshotted as JSON (`None` on
    /// create and on delete respectively).
    pub fn of<T: Serialize>(
        action: &'a str,
        entity: &'a str,
        entity_id: Uuid,
        organization_id: Option<Uuid>,
        before: Option<&T>,
        after: Option<&T>,
    ) -> AppResult<Self> {
        Ok(Change {
            action,
            entity,
            entity_id,
            organization_id,
            before: before.map(snapshot).transpose()?.flatten(),
            after: after.map(snapshot).transpose()?.flatten(),
        })
    }
}

/// Serialises a view for the audit record (views never hold secrets).
pub fn snapshot<T: Serialize>(value: &T) -> AppResult<Option<serde_json::Value>> {
    serde_json::to_value(value).map(Some).map_err(AppError::internal)
}

/// `at` without its sub-microsecond part (what PostgreSQL stores).
pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(at.nanosecond() / 1000 * 1000).unwrap_or(at)
}

/// Writes `v` as canonical JSON: object keys sorted by code point, no whitespace,
/// numbers and strings as serde_json writes them.
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, val)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(val, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The canonical JSON text of a value (sorted keys, no whitespace).
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

/// The canonical content of a record: everything but its id and hashes.
pub fn canonical_content(row: &audit_event::Model, seq: i64) -> String {
    let opt_uuid = |u: Option<Uuid>| u.map_or(Value::Null, |u| Value::String(u.to_string()));
    let mut value = serde_json::json!({
        "seq": seq,
        "actor_kind": row.actor_kind,
        "actor_id": opt_uuid(row.actor_id),
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id.to_string(),
        "organization_id": opt_uuid(row.organization_id),
        "before": row.before.clone().unwrap_or(Value::Null),
        "after": row.after.clone().unwrap_or(Value::Null),
        "request_id": row.request_id,
        "at": truncate_to_micros(row.at).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
    });
    // Records from before these fields existed hash as they always did.
    if let Value::Object(map) = &mut value {
        for (key, field) in [
            ("source_address", &row.source_address),
            ("user_agent", &row.user_agent),
            ("acting_role", &row.acting_role),
        ] {
            if let Some(v) = field {
                map.insert(key.to_owned(), Value::String(v.clone()));
            }
        }
    }
    canonical_json(&value)
}

/// The chain hash of a record: hex SHA-256 of `prev_hash`, a newline and the content.
pub fn chain_hash(prev_hash: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

/// Locks the chain head (until the transaction ends: one chainer at a time, across
/// replicas) and returns its sequence number and hash.
async fn lock_head<C: ConnectionTrait>(tx: &C) -> AppResult<(i64, String)> {
    let backend = tx.get_database_backend();
    let row = tx
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE audit_chain_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the audit chain head row is missing")))?;
    Ok((row.try_get_by_index::<i64>(0)?, row.try_get_by_index::<String>(1)?))
}

/// Writes the audit record of `change` on `tx` (the change's own transaction): one
/// `INSERT`, not yet linked into the hash chain ([`chain_backlog`] links it moments
/// after it commits), so concurrent writers never wait for each other here.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record<C: ConnectionTrait>(tx: &C, actor: &Actor, change: Change<'_>) -> AppResult<()> {
    record_all(tx, actor, vec![change]).await
}

/// Writes the audit records of several changes of one write (one `INSERT`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_all<C: ConnectionTrait>(tx: &C, actor: &Actor, changes: Vec<Change<'_>>) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if changes.iter().any(|c| super::auth_cache::depends_on(c.entity)) {
        super::auth_cache::changed();
    }
    let at = truncate_to_micros(super::now());
    let rows = changes.into_iter().map(|change| audit_event::ActiveModel {
        actor_kind: Set(actor.kind().to_owned()),
        actor_id: Set(actor.id()),
        action: Set(change.action.to_owned()),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(change.entity_id),
        organization_id: Set(change.organization_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(actor.request_id.clone()),
        at: Set(at),
        seq: Set(None),
        prev_hash: Set(None),
        hash: Set(None),
        source_address: Set(actor.origin.source_address.clone()),
        user_agent: Set(actor.origin.user_agent.clone()),
        acting_role: Set(Some(actor.acting_role())),
        ..Default::default()
    });
    audit_event::Entity::insert_many(rows).exec(tx).await?;
    Ok(())
}

/// Records in one chaining transaction at most.
const CHAIN_BATCH: u64 = 500;

/// Links every committed record that is not in the chain yet, in id order, a batch per
/// transaction: each gets the next sequence number, the previous record's hash and its
/// own hash, and the head moves to the last one. The head's row lock makes one chainer
/// run at a time (another replica's waits, then finds nothing left). Run by the
/// server's background chainer ([`run_chainer`]), at start-up and before a
/// verification. A no-op (one indexed query) when nothing is pending. Returns how many
/// records it linked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn chain_backlog(db: &DatabaseConnection) -> AppResult<u64> {
    let mut chained = 0u64;
    loop {
        let pending = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::Id)
            .filter(audit_event::Column::Seq.is_null())
            .limit(1)
            .into_tuple::<i64>()
            .one(db)
            .await?;
        if pending.is_none() {
            if chained == 0 {
                metrics::gauge!(crate::telemetry::AUDIT_CHAIN_LAG).set(0.0);
            }
            return Ok(chained);
        }
        let tx = write_tx(db).await?;
        let (mut seq, mut prev_hash) = lock_head(&tx).await?;
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.is_null())
            .order_by_asc(audit_event::Column::Id)
            .limit(CHAIN_BATCH)
            .all(&tx)
            .await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(chained);
        }
        if let Some(oldest) = rows.first() {
            // How far behind its writes the chain is: the age of the oldest record linked now.
            let lag = (super::now() - oldest.at).num_milliseconds().max(0);
            metrics::gauge!(crate::telemetry::AUDIT_CHAIN_LAG).set(lag as f64 / 1000.0);
            metrics::counter!(crate::telemetry::AUDIT_LINKED).increment(rows.len() as u64);
        }
        for mut row in rows {
            seq += 1;
            row.at = truncate_to_micros(row.at);
            let hash = chain_hash(&prev_hash, &canonical_content(&row, seq));
            audit_event::Entity::update_many()
                .col_expr(audit_event::Column::At, Expr::val(row.at))
                .col_expr(audit_event::Column::Seq, Expr::val(seq))
                .col_expr(audit_event::Column::PrevHash, Expr::val(prev_hash.clone()))
                .col_expr(audit_event::Column::Hash, Expr::val(hash.clone()))
                .filter(audit_event::Column::Id.eq(row.id))
                .exec(&tx)
                .await?;
            prev_hash = hash;
            chained += 1;
        }
        audit_chain_head::Entity::update_many()
            .col_expr(audit_chain_head::Column::Seq, Expr::val(seq))
            .col_expr(audit_chain_head::Column::Hash, Expr::val(prev_hash))
            .filter(audit_chain_head::Column::Id.eq(1))
            .exec(&tx)
            .await?;
        tx.commit().await?;
    }
}

/// How often the background chainer looks for records to link.
pub const CHAIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// The server's background chainer: links new audit records every [`CHAIN_INTERVAL`]
/// (each replica runs one; the head lock lets one work at a time). Never returns.
pub async fn run_chainer(db: DatabaseConnection) {
    let mut tick = tokio::time::interval(CHAIN_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) = chain_backlog(&db).await {
            tracing::warn!(error = %err, "linking audit records failed; retrying");
        }
    }
}

text_enum! {
    /// Why a link of the audit chain is broken.
    #[graphql(name = "AuditBreakReason")]
    BreakReason {
        /// The record's content no longer matches its hash (the row was edited).
        ContentAltered => "content_altered",
        /// The record does not link to the previous record's hash (a neighbour was
        /// rewritten, or its `prev_hash` edited).
        LinkBroken => "link_broken",
        /// A record with this sequence number is missing (deleted).
        RecordMissing => "record_missing",
        /// The chain head does not match the last record (records at the end deleted or rewritten).
        HeadMismatch => "head_mismatch",
        /// The record at an anchored sequence no longer has the anchored hash: the chain
        /// was rewritten from there on (by someone able to recompute hashes).
        AnchorMismatch => "anchor_mismatch",
    }
}

/// A (sequence, hash) pair noted outside the database from an earlier report: a later
/// verification checks that the chain still holds that hash at that sequence, which a
/// rewrite of the whole chain by someone with database access cannot fake.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct ChainAnchor {
    /// The anchored sequence number (at least 1).
    #[schema(minimum = 1)]
    pub sequence: i64,
    /// The hash the record had then (64 hex digits).
    #[schema(pattern = r"^[0-9A-Fa-f]{64}$")]
    pub hash: String,
}

/// The first broken link of the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "AuditBrokenLink", complex)]
pub struct BrokenLink {
    /// Sequence number of the broken link (for a missing record: the missing number).
    pub sequence: Option<i64>,
    /// Id of the offending audit record, when it exists.
    #[graphql(skip)]
    pub audit_id: Option<i64>,
    /// Why it is broken.
    pub reason: BreakReason,
    /// A sentence for people.
    pub detail: String,
}

/// The result of verifying the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "AuditChainReport")]
pub struct ChainReport {
    /// Whether the whole chain verified.
    pub ok: bool,
    /// Records checked.
    pub records_checked: i64,
    /// The head's sequence number (the number of chained records).
    pub head_sequence: i64,
    /// The head's hash: note it with `head_sequence` outside the database and pass both
    /// as an anchor to a later verification.
    pub head_hash: String,
    /// Records written but not linked into the chain yet (the background chainer links
    /// them moments after they commit): pending, not broken. Counted when the chain
    /// verified.
    pub pending: i64,
    /// The first broken link, if any.
    pub first_broken: Option<BrokenLink>,
}

/// Verifies the whole audit chain (administrators): every record in sequence order must
/// carry the next number, link to the previous record's hash and hash to its stored
/// hash; the head must match the last record; no record may sit outside the chain;
/// and the record at an `anchor`'s sequence must still carry the anchored hash.
/// Reports the first broken link.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify_chain(
    db: &DatabaseConnection,
    actor: &Actor,
    anchor: Option<&ChainAnchor>,
) -> AppResult<ChainReport> {
    let report = verify_chain_unaudited(db, actor, anchor).await?;
    let detail = serde_json::json!({"verified": true, "ok": report.ok, "records_checked": report.records_checked});
    note_read(db, actor, None, detail).await?;
    Ok(report)
}

/// Reading the audit trail is itself audited: one `read` record of entity
/// `audit_event` per list, record, history or verification read, naming the object
/// read (or nil for a list) and the filter.
async fn note_read(db: &DatabaseConnection, actor: &Actor, entity_id: Option<Uuid>, detail: Value) -> AppResult<()> {
    let tx = write_tx(db).await?;
    record(
        &tx,
        actor,
        Change {
            action: "read",
            entity: AUDIT_ENTITY,
            entity_id: entity_id.unwrap_or(Uuid::nil()),
            organization_id: None,
            before: None,
            after: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The audit entity name of audit records themselves (for audited reads).
const AUDIT_ENTITY: &str = "audit_event";

async fn verify_chain_unaudited(
    db: &DatabaseConnection,
    actor: &Actor,
    anchor: Option<&ChainAnchor>,
) -> AppResult<ChainReport> {
    actor.require(Permission::AuditVerify)?;
    if let Some(a) = anchor {
        Validator::new()
            .check(a.sequence >= 1, "anchor_sequence", "must be at least 1")
            .check(
                a.hash.len() == 64 && a.hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "anchor_hash",
                "must be 64 hex digits",
            )
            .finish()?;
    }
    // Link what has committed so far, so the report covers it.
    chain_backlog(db).await?;
    // The head first: every record up to its sequence committed with it.
    let head = chain_head(db).await?;
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut checked = 0i64;
    let broken = |checked: i64, sequence, audit_id, reason, detail: String| {
        Ok(ChainReport {
            ok: false,
            records_checked: checked,
            head_sequence: head.seq,
            head_hash: head.hash.clone(),
            pending: 0,
            first_broken: Some(BrokenLink { sequence, audit_id, reason, detail }),
        })
    };
    loop {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .filter(audit_event::Column::Seq.lte(head.seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let seq = row.seq.unwrap_or_default();
            if seq != expected_seq {
                return broken(
                    checked,
                    Some(expected_seq),
                    None,
                    BreakReason::RecordMissing,
                    format!("audit records {expected_seq}..{} are missing; record {seq} follows", seq - 1),
                );
            }
            let stored_prev = row.prev_hash.clone().unwrap_or_default();
            if stored_prev != prev_hash {
                return broken(
                    checked,
                    Some(seq),
                    Some(row.id),
                    BreakReason::LinkBroken,
                    format!("audit record {seq} does not link to the hash of record {}", seq - 1),
                );
            }
            let hash = chain_hash(&stored_prev, &canonical_content(&row, seq));
            if Some(&hash) != row.hash.as_ref() {
                return broken(
                    checked,
                    Some(seq),
                    Some(row.id),
                    BreakReason::ContentAltered,
                    format!("audit record {seq} (id {}) was changed after it was written", row.id),
                );
            }
            if let Some(a) = anchor.filter(|a| a.sequence == seq && !a.hash.eq_ignore_ascii_case(&hash)) {
                return broken(
                    checked,
                    Some(seq),
                    Some(row.id),
                    BreakReason::AnchorMismatch,
                    format!("audit record {seq} no longer has the anchored hash {}", a.hash),
                );
            }
            checked += 1;
            prev_hash = hash;
            expected_seq += 1;
        }
    }
    if expected_seq - 1 != head.seq {
        return broken(
            checked,
            Some(expected_seq),
            None,
            BreakReason::RecordMissing,
            format!("the chain head says {} records, but the chain ends after record {}", head.seq, expected_seq - 1),
        );
    }
    if head.hash != prev_hash {
        return broken(
            checked,
            Some(head.seq),
            None,
            BreakReason::HeadMismatch,
            "the chain head's hash does not match the last record".to_owned(),
        );
    }
    let pending = audit_event::Entity::find().filter(audit_event::Column::Seq.is_null()).count(db).await?;
    if let Some(a) = anchor.filter(|a| a.sequence > head.seq) {
        return broken(
            checked,
            Some(a.sequence),
            None,
            BreakReason::AnchorMismatch,
            format!("the anchored record {} is beyond the chain's end ({})", a.sequence, head.seq),
        );
    }
    Ok(ChainReport {
        ok: true,
        records_checked: checked,
        head_sequence: head.seq,
        head_hash: head.hash,
        pending: i64::try_from(pending).unwrap_or(i64::MAX),
        first_broken: None,
    })
}

/// One audit record as readers see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "AuditEvent", complex)]
pub struct AuditEventView {
    /// Id (ascending in insertion order).
    #[graphql(skip)]
    pub id: i64,
    /// Position in the hash chain.
    pub sequence: Option<i64>,
    /// `user`, `client` or `system`.
    pub actor_kind: String,
    /// The account or service client that acted (id).
    pub actor_id: Option<Id>,
    /// The account's username or the client's name.
    pub actor_name: Option<String>,
    /// Verb, e.g. `create`, `update`, `delete`.
    pub action: String,
    /// Entity name, e.g. `supervision_item`.
    pub entity: String,
    /// The object's id.
    pub entity_id: Id,
    /// The organisation the object belongs to (id).
    pub organization_id: Option<Id>,
    /// The object before (null on create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The object after (null on delete).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// The record's chain hash.
    pub hash: Option<String>,
    /// The peer address the change came from (null for records before it was kept,
    /// and for the system).
    pub source_address: Option<String>,
    /// The caller's user agent.
    pub user_agent: Option<String>,
    /// The roles the caller acted in (comma-separated), or `system`.
    pub acting_role: Option<String>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this entity name.
    pub entity: Option<String>,
    /// Only this object.
    pub entity_id: Option<Uuid>,
    /// Only this actor (account or client id).
    pub actor_id: Option<Uuid>,
    /// Only objects of this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only this action.
    pub action: Option<String>,
    /// At or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// A page request over audit records: newest first, keyset on the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPageRequest {
    /// Items per page (1..=100).
    pub limit: u64,
    /// Continue below this id.
    pub before_id: Option<i64>,
    /// Whether to count every matching record.
    pub with_total: bool,
}

impl AuditPageRequest {
    /// Validates a transport's `limit` and `cursor`; the field names are for errors.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>, limit_field: &str, cursor_field: &str) -> AppResult<Self> {
        let limit = match limit {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && n as u64 <= MAX_PAGE_SIZE => n as u64,
            Some(_) => return Err(AppError::invalid(limit_field, format!("must be between 1 and {MAX_PAGE_SIZE}"))),
        };
        let before_id = cursor.map(|c| decode_key_cursor(c, cursor_field)).transpose()?;
        Ok(AuditPageRequest { limit, before_id, with_total: false })
    }
}

/// The audit records the actor may read: all for administrators, those of organisations
/// in the `AuditRead` scope for inspectors; FORBIDDEN for everyone else.
fn readable(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.require(Permission::AuditRead)?;
    Ok(org_ref_in(audit_event::Column::OrganizationId, &scope))
}

/// Blanks phone and e-mail in person snapshots the reader may not see them in, as the
/// people API does: only with `PersonalData` over the person's organisation, or for
/// oneself. (The stored record, and so its hash, stays whole.)
async fn mask_personal_data<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    rows: &mut [audit_event::Model],
) -> AppResult<()> {
    let scope = actor.scope(Permission::PersonalData);
    if scope == Scope::Global {
        return Ok(());
    }
    let org_ids: Vec<Uuid> =
        rows.iter().filter(|r| r.entity == PERSON_ENTITY).filter_map(|r| r.organization_id).collect();
    let paths: HashMap<Uuid, String> = if org_ids.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .column(organization::Column::Path)
            .filter(organization::Column::Id.is_in(org_ids))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    for r in rows.iter_mut().filter(|r| r.entity == PERSON_ENTITY) {
        let own = actor.person_id() == Some(r.entity_id);
        let visible = own || r.organization_id.and_then(|o| paths.get(&o)).is_some_and(|p| scope.contains_path(p));
        if visible {
            continue;
        }
        for snapshot in [&mut r.before, &mut r.after] {
            if let Some(Value::Object(fields)) = snapshot {
                for key in ["phone", "email"] {
                    if let Some(v) = fields.get_mut(key) {
                        *v = Value::Null;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The audit entity name of people.
const PERSON_ENTITY: &str = "person";

async fn views<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    mut rows: Vec<audit_event::Model>,
) -> AppResult<Vec<AuditEventView>> {
    mask_personal_data(db, actor, &mut rows).await?;
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_id).collect();
    let mut names: HashMap<Uuid, String> = HashMap::new();
    if !ids.is_empty() {
        let users: Vec<(Uuid, String)> = user_account::Entity::find()
            .select_only()
            .column(user_account::Column::Id)
            .column(user_account::Column::Username)
            .filter(user_account::Column::Id.is_in(ids.clone()))
            .into_tuple()
            .all(db)
            .await?;
        let clients: Vec<(Uuid, String)> = service_client::Entity::find()
            .select_only()
            .column(service_client::Column::Id)
            .column(service_client::Column::Name)
            .filter(service_client::Column::Id.is_in(ids))
            .into_tuple()
            .all(db)
            .await?;
        names.extend(users);
        names.extend(clients);
    }
    Ok(rows
        .into_iter()
        .map(|r| AuditEventView {
            actor_name: match r.actor_kind.as_str() {
                "system" => Some("system".to_owned()),
                _ => r.actor_id.and_then(|id| names.get(&id).cloned()),
            },
            id: r.id,
            sequence: r.seq,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id.map(Id),
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id.into(),
            organization_id: r.organization_id.map(Id),
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            at: r.at,
            hash: r.hash,
            source_address: r.source_address,
            user_agent: r.user_agent,
            acting_role: r.acting_role,
        })
        .collect())
}

/// A page of audit records, newest first, filtered; administrators see all,
/// inspectors the records of organisations in their scope, others are FORBIDDEN.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &AuditFilter,
    page: AuditPageRequest,
) -> AppResult<Page<AuditEventView>> {
    let mut cond = Condition::all().add(readable(actor)?);
    Validator::new()
        .opt_text(filter.entity.as_deref(), "entity", 64)
        .opt_text(filter.action.as_deref(), "action", 64)
        .check(filter.from.zip(filter.to).is_none_or(|(from, to)| from <= to), "to", "must not be before from")
        .finish()?;
    if let Some(org_id) = filter.organization_id {
        let org = find_in_scope(db, &actor.scope(Permission::AuditRead), org_id).await?;
        cond = cond.add(audit_event::Column::OrganizationId.in_subquery(org_ids_query(subtree(&org.path))));
    }
    if let Some(v) = &filter.entity {
        cond = cond.add(audit_event::Column::Entity.eq(v.trim()));
    }
    if let Some(v) = filter.entity_id {
        cond = cond.add(audit_event::Column::EntityId.eq(v));
    }
    if let Some(v) = filter.actor_id {
        cond = cond.add(audit_event::Column::ActorId.eq(v));
    }
    if let Some(v) = &filter.action {
        cond = cond.add(audit_event::Column::Action.eq(v.trim()));
    }
    if let Some(v) = filter.from {
        cond = cond.add(audit_event::Column::At.gte(v));
    }
    if let Some(v) = filter.to {
        cond = cond.add(audit_event::Column::At.lt(v));
    }
    let total =
        if page.with_total { Some(audit_event::Entity::find().filter(cond.clone()).count(db).await?) } else { None };
    let mut query = audit_event::Entity::find().filter(cond);
    if let Some(before) = page.before_id {
        query = query.filter(audit_event::Column::Id.lt(before));
    }
    let mut rows = query.order_by_desc(audit_event::Column::Id).limit(page.limit + 1).all(db).await?;
    let has_more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_cursor = if has_more { rows.last().map(|r| encode_key_cursor(r.id)) } else { None };
    let items = views(db, actor, rows).await?;
    let detail = serde_json::json!({
        "list": true,
        "entity": filter.entity, "entity_id": filter.entity_id, "actor_id": filter.actor_id,
        "organization_id": filter.organization_id, "action": filter.action, "from": filter.from, "to": filter.to,
        "records": items.len(),
    });
    note_read(db, actor, filter.entity_id, detail).await?;
    Ok(Page { items, next_cursor, total })
}

/// One audit record; NOT_FOUND when missing or outside the actor's scope.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i64) -> AppResult<AuditEventView> {
    let row = audit_event::Entity::find_by_id(id).filter(readable(actor)?).one(db).await?.ok_or(AppError::NotFound)?;
    let view = views(db, actor, vec![row]).await?.remove(0);
    note_read(db, actor, Some(*view.entity_id), serde_json::json!({"audit_id": view.id})).await?;
    Ok(view)
}

/// One top-level field that changed between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// Its value before (null when absent).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// Its value after (null when absent).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// One version of a record: the audit record that produced it and what changed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "HistoryVersion")]
pub struct HistoryEntry {
    /// The audit record (who, when, before and after).
    pub event: AuditEventView,
    /// Top-level fields that differ between before and after, in name order.
    pub changes: Vec<FieldChange>,
}

/// The field-level difference between two snapshots (top-level keys of JSON objects).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let obj = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => m.clone(),
        _ => empty.clone(),
    };
    let (b, a) = (obj(before), obj(after));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange { field: k.clone(), before: b.get(k).cloned(), after: a.get(k).cloned() })
        .collect()
}

/// Every version of one record, oldest first (the first 1000), with who changed what.
/// NOT_FOUND when the actor may read no audit record of it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn history(
    db: &DatabaseConnection,
    actor: &Actor,
    entity: &str,
    entity_id: Uuid,
) -> AppResult<Vec<HistoryEntry>> {
    let cond = readable(actor)?;
    Validator::new().text(entity, "entity", 64).finish()?;
    let rows = audit_event::Entity::find()
        .filter(cond)
        .filter(audit_event::Column::Entity.eq(entity.trim()))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .order_by_asc(audit_event::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let versions = rows.len();
    let entries = views(db, actor, rows)
        .await?
        .into_iter()
        .map(|event| HistoryEntry { changes: diff(event.before.as_ref(), event.after.as_ref()), event })
        .collect();
    note_read(db, actor, Some(entity_id), serde_json::json!({"history": entity.trim(), "versions": versions})).await?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": null, "y": "é"}], "c": 0.5}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":0.5,"d":[1,{"y":"é","z":null}]},"b":1}"#);
    }

    #[test]
    fn instants_are_truncated_to_microseconds() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456789Z").unwrap().with_timezone(&Utc);
        assert_eq!(truncate_to_micros(at).to_rfc3339(), "2026-11-25T10:00:00.123456+00:00");
    }

    #[test]
    fn diff_names_changed_fields_only() {
        let b = serde_json::json!({"status": "open", "title": "x", "version": 1});
        let a = serde_json::json!({"status": "rectifying", "title": "x", "version": 2});
        let d = diff(Some(&b), Some(&a));
        assert_eq!(d.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["status", "version"]);
        assert_eq!(diff(None, Some(&a)).len(), 3);
    }

    #[test]
    fn the_hash_covers_the_previous_hash() {
        assert_ne!(chain_hash(GENESIS_HASH, "{}"), chain_hash(&"1".repeat(64), "{}"));
        assert_eq!(chain_hash(GENESIS_HASH, "{}").len(), 64);
    }
}
