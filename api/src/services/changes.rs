//! The changes feed: what changed, in commit order, for integrators that keep a copy
//! (HR systems) and sync incrementally instead of pulling everything every night.
//!
//! # Where it comes from
//! Every write records an audit record in its own transaction ([`super::audit`]), and
//! the chainer gives each committed record the next number of a gap-free sequence, in
//! the order it finds them committed, one chainer at a time across replicas. A record
//! linked later always has a larger number than every record linked before it, so the
//! sequence number is a cursor that is monotonic across replicas: a client that has
//! read up to number N and asks for what follows misses nothing, whatever happened in
//! between. A write shows in the feed once it is linked, well under a second after it
//! commits.
//!
//! # What an entry says
//! The feed shows the kinds of [`ChangeType`]; each entry names the type, the object's
//! id, the operation (`create`, `update`, `transfer`, `depart`, `delete`, ...) and when.
//! It never shows the audit record itself (who did it, the object before and after):
//! the audit trail stays closed to service clients. Instead, an entry carries
//! - `upsert` and the object **as the caller may see it now** (the same view and
//!   personal-data masking as a read of it), when the caller may read it;
//! - `tombstone` and no object, when the object no longer exists and the caller could
//!   read it before the change;
//! - `left_scope` and no object, when it still exists but the caller may no longer read
//!   it (a person transferred out of a client's subtree) and could before the change.
//!
//! Changes of objects the caller could read neither before nor after are not shown; an
//! object that enters the caller's scope shows as an `upsert`. "Could read before" is
//! judged by the caller's management scope over the organisation the object belonged
//! to before the change.
//!
//! # Cursors
//! A cursor is opaque: the key epoch (see [`super::epoch`]) and a sequence number. A
//! page answers with the cursor after its last record, also when none of its records
//! were for the caller, and `has_more` while records follow. Entries are kept as long as
//! the audit trail (forever). A cursor from before a restore of the database (a new
//! epoch) or from a sequence this database has not reached is answered
//! `RESYNC_REQUIRED`: export again and follow the feed from the export's cursor.
//!
//! # Cost
//! One page costs a fixed number of statements whatever its size or the table's: the
//! epoch, the records (by the unique index on the sequence), the organisations' paths,
//! and per type present the ids that still exist and the objects' views.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::types::text_enum;
use crate::auth::{Actor, Permission};
use crate::error::{AppError, AppResult};
use entity::{audit_event, organization};

text_enum! {
    /// A kind of object the changes feed follows.
    ChangeType {
        /// Organisations (create, rename, move, delete).
        Organization => "organization",
        /// People (create, update, transfer, party-status change, departure, reinstatement).
        Person => "person",
        /// Role grants of accounts (grant, revoke).
        RoleAssignment => "role_assignment",
        /// Intellectual property and honours, with the people they credit.
        Honour => "honour",
        /// "Five small" achievements.
        Achievement => "achievement",
        /// Innovation activities with their participants.
        Activity => "activity",
        /// Roster entries of study sessions (attendance).
        Attendance => "attendance",
    }
}

impl ChangeType {
    /// The audit records' entity name of the type.
    fn entity(self) -> &'static str {
        use super::audit::entity_name;
        match self {
            ChangeType::Organization => entity_name(entity::organization::Entity),
            ChangeType::Person => entity_name(entity::person::Entity),
            ChangeType::RoleAssignment => entity_name(entity::role_assignment::Entity),
            ChangeType::Honour => entity_name(entity::honour::Entity),
            ChangeType::Achievement => entity_name(entity::achievement::Entity),
            ChangeType::Activity => entity_name(entity::innovation_activity::Entity),
            ChangeType::Attendance => entity_name(entity::attendance::Entity),
        }
    }

    fn of_entity(name: &str) -> Option<ChangeType> {
        ChangeType::ALL.iter().copied().find(|t| t.entity() == name)
    }

    /// The permission whose management scope decides whether the caller could read an
    /// object of this type before a change.
    fn permission(self) -> Permission {
        match self {
            ChangeType::Organization => Permission::OrgRead,
            ChangeType::Person => Permission::PersonRead,
            ChangeType::RoleAssignment => Permission::UserRead,
            ChangeType::Honour | ChangeType::Activity => Permission::HonourRead,
            ChangeType::Achievement => Permission::InnovationRead,
            ChangeType::Attendance => Permission::SessionRead,
        }
    }
}

text_enum! {
    /// What an entry tells the caller to do with its copy.
    ChangeKind {
        /// Create or replace the object with the one given.
        Upsert => "upsert",
        /// The object was deleted: remove it.
        Tombstone => "tombstone",
        /// The object left what the caller may read: remove it (it still exists).
        LeftScope => "left_scope",
    }
}

/// One change, as the caller may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Change")]
pub struct ChangeEntry {
    /// The cursor just after this entry (resume from it to read what follows).
    pub cursor: String,
    /// The kind of object.
    #[serde(rename = "type")]
    #[graphql(name = "type")]
    pub change_type: ChangeType,
    /// The object's id.
    pub id: Uuid,
    /// What was done: `create`, `update`, `move`, `transfer`, `change_party_status`,
    /// `depart`, `reinstate`, `grant`, `revoke`, `delete`, ...
    pub operation: String,
    /// When the change was made (UTC).
    pub at: DateTime<Utc>,
    /// What to do with a copy of the object.
    pub kind: ChangeKind,
    /// The object as the caller may read it now (`upsert` only): the view a read of it
    /// answers, with the same masking.
    #[schema(value_type = Option<Object>)]
    pub object: Option<async_graphql::Json<Value>>,
}

/// A page of the feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ChangePage")]
pub struct ChangePage {
    /// The entries, in commit order.
    pub entries: Vec<ChangeEntry>,
    /// Where to continue: after the last record this page read (also when none of them
    /// were for the caller). Keep it and pass it as `after` next time.
    pub next_cursor: String,
    /// Whether more records follow right now (ask again at once; else poll later).
    pub has_more: bool,
}

/// The default page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// The largest page.
pub const MAX_LIMIT: u64 = 1000;

fn encode_cursor(epoch: i32, seq: i64) -> String {
    use base64::Engine;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&epoch.to_be_bytes());
    bytes[4..].copy_from_slice(&seq.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(cursor: &str) -> AppResult<(i32, i64)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .filter(|b| b.len() == 12)
        .ok_or_else(|| AppError::invalid("after", "not a cursor of the changes feed"))?;
    let epoch = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&bytes[4..]);
    Ok((epoch, i64::from_be_bytes(seq)))
}

/// The cursor of "now": where an export taken now continues in the feed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current_cursor<C: ConnectionTrait>(db: &C) -> AppResult<String> {
    Ok(encode_cursor(super::epoch::current(db).await?, super::audit::linked_head(db).await?))
}

/// The organisation an object belonged to before a change, as an id or (organisations
/// themselves) as a path: from the record's snapshot before, else the record's own.
enum Before {
    Org(Uuid),
    Path(String),
    Unknown,
}

fn before_of(t: ChangeType, r: &audit_event::Model) -> Before {
    let snapshot = r.before.as_ref();
    let field = |name: &str| snapshot.and_then(|b| b.get(name)).and_then(Value::as_str);
    match t {
        // Organisations move: where it was is in the snapshot.
        ChangeType::Organization => field("path").map_or(Before::Unknown, |p| Before::Path(p.to_owned())),
        // People are transferred: the organisation they left is in the snapshot.
        ChangeType::Person => match field("organization_id").and_then(|s| Uuid::parse_str(s).ok()) {
            Some(org) => Before::Org(org),
            None => Before::Unknown,
        },
        // The rest stay where they were made; a create had no before.
        _ if r.action == "create" => Before::Unknown,
        _ => r.organization_id.map_or(Before::Unknown, Before::Org),
    }
}

/// The views of `ids` of type `t` the actor may read now, as JSON by id.
async fn visible_now<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    t: ChangeType,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Value>> {
    fn keyed<T: Serialize>(items: Vec<T>, id: impl Fn(&T) -> Uuid) -> AppResult<HashMap<Uuid, Value>> {
        items.into_iter().map(|v| Ok((id(&v), serde_json::to_value(&v).map_err(AppError::internal)?))).collect()
    }
    let found = match t {
        ChangeType::Organization => {
            super::organizations::by_ids(db, actor, ids).await.and_then(|v| keyed(v, |o| *o.id))
        }
        ChangeType::Person => super::people::by_ids(db, actor, ids).await.and_then(|v| keyed(v, |p| *p.id)),
        ChangeType::RoleAssignment => {
            super::users::assignments_by_ids(db, actor, ids).await.and_then(|v| keyed(v, |a| *a.id))
        }
        ChangeType::Honour => {
            super::innovation::honours::by_ids(db, actor, ids).await.and_then(|v| keyed(v, |h| *h.id))
        }
        ChangeType::Achievement => {
            super::innovation::achievements::by_ids(db, actor, ids).await.and_then(|v| keyed(v, |a| *a.id))
        }
        ChangeType::Activity => {
            super::innovation::campaigns::activities_by_ids(db, actor, ids).await.and_then(|v| keyed(v, |a| *a.id))
        }
        ChangeType::Attendance => {
            super::study::attendance_by_ids(db, actor, ids).await.and_then(|v| keyed(v, |a| *a.id))
        }
    };
    match found {
        // A type the caller may not read at all: nothing of it is visible.
        Err(AppError::Forbidden(_)) => Ok(HashMap::new()),
        other => other,
    }
}

/// The ids among `ids` of type `t` that still exist (whoever may read them).
async fn existing<C: ConnectionTrait>(db: &C, t: ChangeType, ids: &[Uuid]) -> AppResult<HashSet<Uuid>> {
    macro_rules! ids_of {
        ($m:ident) => {
            entity::$m::Entity::find()
                .select_only()
                .column(entity::$m::Column::Id)
                .filter(entity::$m::Column::Id.is_in(super::bucketed(ids.iter().copied())))
                .into_tuple::<Uuid>()
                .all(db)
                .await?
        };
    }
    let found = match t {
        ChangeType::Organization => ids_of!(organization),
        ChangeType::Person => ids_of!(person),
        ChangeType::RoleAssignment => ids_of!(role_assignment),
        ChangeType::Honour => ids_of!(honour),
        ChangeType::Achievement => ids_of!(achievement),
        ChangeType::Activity => ids_of!(innovation_activity),
        ChangeType::Attendance => ids_of!(attendance),
    };
    Ok(found.into_iter().collect())
}

/// A page of the changes feed after `after` (from the beginning when absent), of the
/// given types (all when empty), as the actor may see it. `limit` counts records read,
/// so a page may hold fewer entries than records it read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    after: Option<&str>,
    limit: Option<u64>,
    types: &[ChangeType],
) -> AppResult<ChangePage> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let epoch = super::epoch::current(db).await?;
    let from = match after {
        None => 0,
        Some(cursor) => {
            let (cursor_epoch, seq) = decode_cursor(cursor)?;
            if cursor_epoch != epoch || seq < 0 {
                return Err(AppError::ResyncRequired(
                    "this cursor is from before the database was restored: export again and follow the feed from the export's cursor".into(),
                ));
            }
            seq
        }
    };
    let types: Vec<ChangeType> = if types.is_empty() { ChangeType::ALL.to_vec() } else { types.to_vec() };
    let records = audit_event::Entity::find()
        .filter(audit_event::Column::Seq.gt(from))
        .filter(audit_event::Column::Entity.is_in(types.iter().map(|t| t.entity())))
        .filter(audit_event::Column::Action.ne("read"))
        .order_by_asc(audit_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    let has_more = records.len() as u64 == limit;
    let Some(last) = records.last().and_then(|r| r.seq) else {
        // Nothing after the cursor: it must not lie beyond what this database has linked.
        if from > super::audit::linked_head(db).await? {
            return Err(AppError::ResyncRequired(
                "this cursor is ahead of this database's changes: export again and follow the feed from the export's cursor".into(),
            ));
        }
        return Ok(ChangePage { entries: Vec::new(), next_cursor: encode_cursor(epoch, from), has_more: false });
    };

    // The objects by type, as visible now, and which of them still exist.
    let mut ids_by_type: HashMap<ChangeType, Vec<Uuid>> = HashMap::new();
    for r in &records {
        if let Some(t) = ChangeType::of_entity(&r.entity) {
            ids_by_type.entry(t).or_default().push(r.entity_id);
        }
    }
    let mut visible: HashMap<ChangeType, HashMap<Uuid, Value>> = HashMap::new();
    let mut alive: HashMap<ChangeType, HashSet<Uuid>> = HashMap::new();
    for (t, ids) in &ids_by_type {
        let now = visible_now(db, actor, *t, ids).await?;
        // Whether an object the caller may not read still exists matters only then.
        let unseen: Vec<Uuid> = ids.iter().copied().filter(|id| !now.contains_key(id)).collect();
        alive.insert(*t, if unseen.is_empty() { HashSet::new() } else { existing(db, *t, &unseen).await? });
        visible.insert(*t, now);
    }

    // The paths of the organisations objects belonged to before their changes, for the
    // records whose object the caller may not read now.
    let befores: Vec<(usize, ChangeType, Before)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let t = ChangeType::of_entity(&r.entity)?;
            (!visible.get(&t).is_some_and(|v| v.contains_key(&r.entity_id))).then(|| (i, t, before_of(t, r)))
        })
        .collect();
    let org_ids: Vec<Uuid> =
        befores.iter().filter_map(|(_, _, b)| if let Before::Org(id) = b { Some(*id) } else { None }).collect();
    let paths: HashMap<Uuid, String> = if org_ids.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .column(organization::Column::Path)
            .filter(organization::Column::Id.is_in(super::bucketed(org_ids)))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let could_read: HashMap<usize, bool> = befores
        .into_iter()
        .map(|(i, t, before)| {
            let path = match before {
                Before::Path(p) => Some(p),
                Before::Org(id) => paths.get(&id).cloned(),
                Before::Unknown => None,
            };
            (i, path.is_some_and(|p| actor.scope(t.permission()).contains_path(&p)))
        })
        .collect();

    let mut entries = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let (Some(t), Some(seq)) = (ChangeType::of_entity(&r.entity), r.seq) else { continue };
        let now = visible.get(&t).and_then(|v| v.get(&r.entity_id));
        let kind = match now {
            Some(_) => ChangeKind::Upsert,
            None if !could_read.get(&i).copied().unwrap_or(false) => continue,
            None if alive.get(&t).is_some_and(|a| a.contains(&r.entity_id)) => ChangeKind::LeftScope,
            None => ChangeKind::Tombstone,
        };
        entries.push(ChangeEntry {
            cursor: encode_cursor(epoch, seq),
            change_type: t,
            id: r.entity_id,
            operation: r.action.clone(),
            at: r.at,
            kind,
            object: now.cloned().map(async_graphql::Json),
        });
    }
    Ok(ChangePage { entries, next_cursor: encode_cursor(epoch, last), has_more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_malformed_ones_name_the_field() {
        let c = encode_cursor(3, 1_234_567);
        assert_eq!(decode_cursor(&c).ok(), Some((3, 1_234_567)));
        assert_eq!(decode_cursor("nonsense").err().and_then(|e| e.field_name()).as_deref(), Some("after"));
        assert!(decode_cursor(&crate::services::pagination::encode_key_cursor(5)).is_err());
    }

    #[test]
    fn every_type_names_an_audited_entity_once() {
        let mut names: Vec<&str> = ChangeType::ALL.iter().map(|t| t.entity()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ChangeType::ALL.len());
        for t in ChangeType::ALL {
            assert_eq!(ChangeType::of_entity(t.entity()), Some(*t));
        }
    }
}
