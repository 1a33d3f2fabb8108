//! What is known about stored attachments without their bytes: the view (file name,
//! content type, size, download URL), the kinds of owner, and the batch listing the
//! lists and DataLoaders use. Below [`super::attachments`] (which checks uploads and
//! access) so that owners' modules can list their attachments without importing it.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::types::Id;
use crate::error::AppResult;
use entity::attachment;

/// The kinds of owner, as stored in `attachment.owner_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// [`super::attachments::Owner::Document`].
    Document,
    /// [`super::attachments::Owner::MeasureUpdate`].
    MeasureUpdate,
    /// [`super::attachments::Owner::SupervisionUpdate`].
    SupervisionUpdate,
    /// [`super::attachments::Owner::Achievement`].
    Achievement,
}

impl OwnerKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Document => "document",
            OwnerKind::MeasureUpdate => "measure_update",
            OwnerKind::SupervisionUpdate => "supervision_item_update",
            OwnerKind::Achievement => "achievement",
        }
    }

    /// Reads a stored name (None for a kind this build does not know).
    pub fn parse(stored: &str) -> Option<OwnerKind> {
        [OwnerKind::Document, OwnerKind::MeasureUpdate, OwnerKind::SupervisionUpdate, OwnerKind::Achievement]
            .into_iter()
            .find(|k| k.as_str() == stored)
    }
}

/// A file attached to a document, a measure's progress update, a supervision item's
/// update or an achievement (its metadata). The bytes are downloaded from its download
/// URL (REST, bearer token, byte ranges supported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "Attachment")]
pub struct AttachmentView {
    /// Id.
    pub id: Id,
    /// What it is attached to: `document`, `measure_update`, `supervision_item_update` or `achievement`.
    #[graphql(skip)]
    pub owner_kind: String,
    /// The owner's id.
    #[graphql(skip)]
    pub owner_id: Uuid,
    /// Original file name.
    pub filename: String,
    /// Content type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Where to download it (REST, bearer token, `Range` supported).
    pub download_url: String,
    /// Uploaded at (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<attachment::Model> for AttachmentView {
    fn from(m: attachment::Model) -> Self {
        AttachmentView {
            download_url: format!("/api/v1/attachments/{}", m.id),
            id: m.id.into(),
            owner_kind: m.owner_kind,
            owner_id: m.owner_id,
            filename: m.filename,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            created_at: m.created_at,
        }
    }
}

/// The attachments of several owners of one kind, oldest first (a DataLoader batch: one
/// statement). Only for owners the caller has already been authorised to read, e.g. the
/// parents a GraphQL resolver got through the scoped loaders.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_owners<C: ConnectionTrait>(
    db: &C,
    kind: OwnerKind,
    owner_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<AttachmentView>>> {
    let mut map: std::collections::HashMap<Uuid, Vec<AttachmentView>> = std::collections::HashMap::new();
    for row in attachment::Entity::find()
        .filter(attachment::Column::OwnerKind.eq(kind.as_str()))
        .filter(attachment::Column::OwnerId.is_in(owner_ids.iter().copied()))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?
    {
        map.entry(row.owner_id).or_default().push(AttachmentView::from(row));
    }
    Ok(map)
}
