//! The audit trail: every write records who did what to which object, with the
//! object before and after, inside the write's own transaction.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use entity::audit_event;

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

/// Serialises a view for the audit record (views never hold secrets).
pub fn snapshot<T: Serialize>(value: &T) -> AppResult<Option<serde_json::Value>> {
    serde_json::to_value(value).map(Some).map_err(AppError::internal)
}

/// Writes the audit record of `change` on `tx` (the change's own transaction).
pub async fn record<C: ConnectionTrait>(tx: &C, actor: &Actor, change: Change<'_>) -> AppResult<()> {
    audit_event::ActiveModel {
        actor_kind: Set(actor.kind().to_owned()),
        actor_id: Set(actor.id()),
        action: Set(change.action.to_owned()),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(change.entity_id),
        organization_id: Set(change.organization_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(actor.request_id.clone()),
        at: Set(super::now()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}
