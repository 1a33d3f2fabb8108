//! Attachments (the PDF of a speech, a scan of minutes): checked uploads (size, a
//! content type confirmed by the file's own signature, sha256 kept), authorised
//! downloads with byte ranges, deletion. Bytes go to object storage; the row and its
//! audit record commit together.

use std::ops::Range;

use bytes::Bytes;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use super::attachment_meta::{AttachmentView, OwnerKind, of_owners};
use super::audit::{self, Change};
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
        OwnerKind::parse(kind).map(|k| match k {
            OwnerKind::Document => Owner::Document(id),
            OwnerKind::MeasureUpdate => Owner::MeasureUpdate(id),
            OwnerKind::SupervisionUpdate => Owner::SupervisionUpdate(id),
            OwnerKind::Achievement => Owner::Achievement(id),
        })
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

/// How a content type is recognised in a file's own bytes.
#[derive(Debug, Clone, Copy)]
enum Signature {
    /// The bytes start with these.
    Prefix(&'static [u8]),
    /// A RIFF container of this form type (`RIFF` size `WEBP`).
    Riff(&'static [u8; 4]),
    /// An ISO base media file (HEIF, AVIF): an `ftyp` box at offset 4 whose major brand
    /// or one of whose compatible brands is one of these.
    Ftyp(&'static [&'static [u8; 4]]),
    /// UTF-8 text.
    Text,
}

impl Signature {
    /// Whether `bytes` carry this signature.
    fn matches(self, bytes: &[u8]) -> bool {
        match self {
            Signature::Prefix(magic) => bytes.starts_with(magic),
            Signature::Riff(form) => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == form,
            Signature::Ftyp(brands) => ftyp_brands(bytes).any(|b| brands.contains(&b)),
            Signature::Text => std::str::from_utf8(bytes).is_ok(),
        }
    }
}

/// The brands of a leading `ftyp` box: the major brand, then the compatible ones
/// (nothing when the file does not start with one).
fn ftyp_brands(bytes: &[u8]) -> impl Iterator<Item = &[u8; 4]> {
    let declared = bytes.get(..4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let is_ftyp = bytes.get(4..8) == Some(b"ftyp".as_slice()) && declared >= 16;
    let end = if is_ftyp { declared.min(bytes.len()) } else { 0 };
    let major = if is_ftyp { bytes.get(8..12) } else { None };
    // Bytes 12..16 are the minor version; compatible brands follow, four bytes each.
    let compatible = bytes.get(16.min(end)..end).unwrap_or_default();
    major.into_iter().chain(compatible.chunks_exact(4)).filter_map(|b| <&[u8; 4]>::try_from(b).ok())
}

/// Brands of HEIF images (HEIC: HEVC-coded; `mif1` / `msf1`: the generic HEIF image and
/// sequence brands a phone also writes).
const HEIF_BRANDS: &[&[u8; 4]] = &[b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];

/// Brands of AVIF images.
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];

/// Accepted content types and the signature their bytes must carry.
const ALLOWED: &[(&str, Signature)] = &[
    ("application/pdf", Signature::Prefix(b"%PDF-")),
    ("image/png", Signature::Prefix(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", Signature::Prefix(b"\xff\xd8\xff")),
    ("image/webp", Signature::Riff(b"WEBP")),
    ("image/heic", Signature::Ftyp(HEIF_BRANDS)),
    ("image/heif", Signature::Ftyp(HEIF_BRANDS)),
    ("image/avif", Signature::Ftyp(AVIF_BRANDS)),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", Signature::Prefix(b"PK\x03\x04")),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Signature::Prefix(b"PK\x03\x04")),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", Signature::Prefix(b"PK\x03\x04")),
    ("text/plain", Signature::Text),
    ("text/markdown", Signature::Text),
];

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
    let signature_ok = allowed.is_some_and(|(_, signature)| signature.matches(&upload.bytes));
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

    /// An `ftyp` box of `size` bytes with a major brand and compatible brands.
    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut b = (size as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    }

    #[test]
    fn phone_images_are_recognised_by_signature() {
        let webp = b"RIFF\x24\0\0\0WEBPVP8 ";
        assert!(check_upload(&up("a.webp", "image/webp", webp), 100).is_ok());
        assert!(check_upload(&up("a.webp", "image/webp", b"\xff\xd8\xff\xe0JFIF"), 100).is_err(), "JPEG claiming WebP");
        assert!(check_upload(&up("a.webp", "image/webp", b"RIFF\x24\0\0\0WAVEfmt "), 100).is_err(), "WAV is RIFF too");
        let heic = ftyp(b"heic", &[b"mif1", b"heic"]);
        assert!(check_upload(&up("IMG_0001.HEIC", "image/heic", &heic), 100).is_ok());
        assert!(check_upload(&up("a.heif", "image/heif", &ftyp(b"mif1", &[b"heic"])), 100).is_ok());
        assert!(check_upload(&up("a.heic", "image/heic", &ftyp(b"isom", &[b"mp41"])), 100).is_err(), "an MP4");
        assert!(check_upload(&up("a.heic", "image/heic", &ftyp(b"isom", &[b"heic"])), 100).is_ok(), "compatible brand");
        assert!(check_upload(&up("a.avif", "image/avif", &ftyp(b"avif", &[b"mif1"])), 100).is_ok());
        assert!(check_upload(&up("a.heic", "image/heic", b"\0\0\0\x18ftyp"), 100).is_err(), "truncated box");
        assert!(check_upload(&up("a.heic", "image/heic", &heic[..6]), 100).is_err());
    }
}
