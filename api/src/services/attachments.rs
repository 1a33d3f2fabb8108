//! Attachments (the PDF of a speech, a scan of minutes): checked uploads (size, a
//! content type confirmed by the file's own signature, sha256 kept), authorised
//! downloads with byte ranges, deletion. Bytes go to object storage; the row and its
//! audit record commit together.

use std::ops::Range;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{self, Change};
use super::types::Id;
use super::{documents, innovation, measures, supervision};
use crate::auth::Actor;
use crate::db::write_tx;
use crate::error::{AppError, AppResult, Validator};
use entity::attachment;

/// What an attachment belongs to. Each kind brings its own read and write rules
/// ([`authorize`]); the stored `owner_kind` is [`OwnerKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A document revision of the knowledge base: its readers download, its editors attach.
    Document(Uuid),
    /// A progress update of an implementation measure: readers of the measure download;
    /// the update's author and the measure's managers attach.
    MeasureUpdate(Uuid),
    /// An update in the trail of a supervision item (evidence of a rectification):
    /// readers of the item download; the update's author and the responsible side
    /// attach, until the item is verified.
    SupervisionUpdate(Uuid),
    /// A "five small" achievement: its readers download; its submitter, lead and team
    /// attach evidence while it is submitted, administrators in scope at any time.
    Achievement(Uuid),
}

/// The kinds of owner, as stored in `attachment.owner_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// [`Owner::Document`].
    Document,
    /// [`Owner::MeasureUpdate`].
    MeasureUpdate,
    /// [`Owner::SupervisionUpdate`].
    SupervisionUpdate,
    /// [`Owner::Achievement`].
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

    /// The owner of this kind with id `id`.
    pub fn of(self, id: Uuid) -> Owner {
        match self {
            OwnerKind::Document => Owner::Document(id),
            OwnerKind::MeasureUpdate => Owner::MeasureUpdate(id),
            OwnerKind::SupervisionUpdate => Owner::SupervisionUpdate(id),
            OwnerKind::Achievement => Owner::Achievement(id),
        }
    }
}

impl Owner {
    /// The owner's kind.
    pub fn kind(self) -> OwnerKind {
        match self {
            Owner::Document(_) => OwnerKind::Document,
            Owner::MeasureUpdate(_) => OwnerKind::MeasureUpdate,
            Owner::SupervisionUpdate(_) => OwnerKind::SupervisionUpdate,
            Owner::Achievement(_) => OwnerKind::Achievement,
        }
    }

    /// The owner's id.
    pub fn id(self) -> Uuid {
        match self {
            Owner::Document(id) | Owner::MeasureUpdate(id) | Owner::SupervisionUpdate(id) | Owner::Achievement(id) => {
                id
            }
        }
    }

    /// The owner of a stored row (None for a kind this build does not know).
    pub fn from_stored(kind: &str, id: Uuid) -> Option<Owner> {
        OwnerKind::parse(kind).map(|k| k.of(id))
    }
}

/// What the actor wants to do with an owner's attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// List and download.
    Read,
    /// Attach and delete.
    Write,
}

/// The owner's organisation when the actor may `access` its attachments: NOT_FOUND when
/// the owner is missing or unreadable, FORBIDDEN when readable but not writable.
async fn authorize<C: ConnectionTrait>(db: &C, actor: &Actor, owner: Owner, access: Access) -> AppResult<Uuid> {
    match (owner, access) {
        (Owner::Document(id), Access::Read) => Ok(documents::find_readable(db, actor, id).await?.organization_id),
        (Owner::Document(id), Access::Write) => Ok(documents::find_writable(db, actor, id).await?.organization_id),
        (Owner::MeasureUpdate(id), access) => {
            measures::update_attachment_access(db, actor, id, access == Access::Write).await
        }
        (Owner::SupervisionUpdate(id), access) => {
            supervision::update_attachment_access(db, actor, id, access == Access::Write).await
        }
        (Owner::Achievement(id), access) => {
            innovation::achievements::attachment_access(db, actor, id, access == Access::Write).await
        }
    }
}

/// Accepted content types and the signature their bytes must start with
/// (`None`: UTF-8 text).
const ALLOWED: &[(&str, Option<&[u8]>)] = &[
    ("application/pdf", Some(b"%PDF-")),
    ("image/png", Some(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", Some(b"\xff\xd8\xff")),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", Some(b"PK\x03\x04")),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Some(b"PK\x03\x04")),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", Some(b"PK\x03\x04")),
    ("text/plain", None),
    ("text/markdown", None),
];

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

/// An uploaded file, as the transport received it.
pub struct Upload {
    /// File name sent by the client.
    pub filename: String,
    /// Content type sent by the client.
    pub content_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

fn check_upload(upload: &Upload, max_bytes: usize) -> AppResult<String> {
    let name = upload.filename.rsplit(['/', '\\']).next().unwrap_or("").trim().to_owned();
    let mime = upload.content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let allowed = ALLOWED.iter().find(|(t, _)| *t == mime);
    let signature_ok = match allowed {
        Some((_, Some(magic))) => upload.bytes.starts_with(magic),
        Some((_, None)) => std::str::from_utf8(&upload.bytes).is_ok(),
        None => false,
    };
    if upload.bytes.len() > max_bytes {
        return Err(AppError::PayloadTooLarge(max_bytes));
    }
    Validator::new()
        .text(&name, "filename", 200)
        .check(!upload.bytes.is_empty(), "file", "must not be empty")
        .check(
            allowed.is_some(),
            "content_type",
            &format!("must be one of: {}", ALLOWED.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")),
        )
        .check(allowed.is_none() || signature_ok, "file", "the content does not match its declared type")
        .finish()?;
    Ok(name)
}

/// Attaches a file to an owner the actor may write.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn upload(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    actor: &Actor,
    owner: Owner,
    upload: Upload,
    max_bytes: usize,
) -> AppResult<AttachmentView> {
    let organization_id = authorize(db, actor, owner, Access::Write).await?;
    let filename = check_upload(&upload, max_bytes)?;
    let id = Uuid::now_v7();
    let key = format!("attachments/{id}");
    let sha256 = hex::encode(Sha256::digest(&upload.bytes));
    let size = upload.bytes.len() as i64;
    let content_type = upload.content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    store.put(&Path::from(key.as_str()), PutPayload::from(upload.bytes)).await.map_err(AppError::internal)?;
    let saved = async {
        let tx = write_tx(db).await?;
        let model = attachment::ActiveModel {
            id: Set(id),
            owner_kind: Set(owner.kind().as_str().into()),
            owner_id: Set(owner.id()),
            filename: Set(filename),
            content_type: Set(content_type),
            size_bytes: Set(size),
            sha256: Set(sha256),
            storage_key: Set(key.clone()),
            created_by: Set(actor.id()),
            created_at: Set(super::now()),
        }
        .insert(&tx)
        .await?;
        let view = AttachmentView::from(model);
        audit::record(
            &tx,
            actor,
            Change::of(
                "attach",
                crate::services::audit::entity_name(entity::attachment::Entity),
                id,
                Some(organization_id),
                None,
                Some(&view),
            )?,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(view)
    }
    .await;
    if saved.is_err() {
        // Nothing half-written: the bytes go when the row could not be saved.
        let _ = store.delete(&Path::from(key.as_str())).await;
    }
    saved
}

/// The attachments of an owner the actor may read, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<C: ConnectionTrait>(db: &C, actor: &Actor, owner: Owner) -> AppResult<Vec<AttachmentView>> {
    authorize(db, actor, owner, Access::Read).await?;
    Ok(of_owners(db, owner.kind(), &[owner.id()]).await?.remove(&owner.id()).unwrap_or_default())
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

/// An attachment whose owner the actor may read (NOT_FOUND otherwise).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<(AttachmentView, String)> {
    let row = attachment::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let owner = Owner::from_stored(&row.owner_kind, row.owner_id).ok_or(AppError::NotFound)?;
    authorize(db, actor, owner, Access::Read).await?;
    let key = row.storage_key.clone();
    Ok((AttachmentView::from(row), key))
}

/// Reads `range` (or everything) of a stored attachment.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn read(store: &dyn ObjectStore, key: &str, range: Option<Range<u64>>) -> AppResult<Bytes> {
    let path = Path::from(key);
    match range {
        Some(r) => store.get_range(&path, r).await.map_err(AppError::internal),
        None => store.get(&path).await.map_err(AppError::internal)?.bytes().await.map_err(AppError::internal),
    }
}

/// Deletes an attachment of an owner the actor may write.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &DatabaseConnection, store: &dyn ObjectStore, actor: &Actor, id: Uuid) -> AppResult<()> {
    let row = attachment::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let owner = Owner::from_stored(&row.owner_kind, row.owner_id).ok_or(AppError::NotFound)?;
    let organization_id = authorize(db, actor, owner, Access::Write).await?;
    let tx = write_tx(db).await?;
    let view = AttachmentView::from(row.clone());
    attachment::Entity::delete_by_id(id).exec(&tx).await?;
    audit::record(
        &tx,
        actor,
        Change::of(
            "detach",
            crate::services::audit::entity_name(entity::attachment::Entity),
            id,
            Some(organization_id),
            Some(&view),
            None,
        )?,
    )
    .await?;
    tx.commit().await?;
    if let Err(err) = store.delete(&Path::from(row.storage_key.as_str())).await {
        tracing::warn!(error = %err, key = %row.storage_key, "attachment row deleted but its bytes remain");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(name: &str, ct: &str, bytes: &[u8]) -> Upload {
        Upload { filename: name.into(), content_type: ct.into(), bytes: Bytes::copy_from_slice(bytes) }
    }

    #[test]
    fn uploads_are_checked_by_type_signature_and_size() {
        assert_eq!(check_upload(&up("a/b/讲话.pdf", "application/pdf", b"%PDF-1.7 x"), 100).unwrap(), "讲话.pdf");
        assert!(check_upload(&up("x.pdf", "application/pdf", b"MZ\x90\x00"), 100).is_err(), "exe claiming pdf");
        assert!(check_upload(&up("x.exe", "application/x-msdownload", b"MZ"), 100).is_err());
        assert!(matches!(
            check_upload(&up("x.txt", "text/plain", &[b'a'; 101]), 100),
            Err(AppError::PayloadTooLarge(100))
        ));
        assert!(check_upload(&up("x.txt", "text/plain", &[0xff, 0xfe]), 100).is_err(), "not UTF-8");
    }
}
