//! Per-request DataLoaders. Each carries the request's [`Actor`] and calls the
//! services' batch functions, which apply the organisation scope, so a list of N items
//! with nested relations costs a constant number of SQL statements.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::gql_error;
use crate::auth::Actor;
use crate::services::{
    attachments::{self, AttachmentView, OwnerKind},
    committees::{self, CommitteeTermView},
    documents::{self, DocumentView},
    measures::{self, MeasureUpdateView, MeasureView, SourceKind},
    organizations::{self, OrganizationView},
    people::{self, PartyStatusChangeView, PersonView, TransferView},
    study::{self, RosterAsk, RosterSlice, StatementView},
    supervision::{self, InspectionView, ItemUpdateView},
    users::{self, RoleAssignmentView, UserView},
};

/// Shared parts of every loader.
#[derive(Clone)]
pub struct LoaderCtx {
    db: DatabaseConnection,
    actor: Actor,
    /// Today in the configured time zone ("overdue").
    today: chrono::NaiveDate,
}

/// Organisations by id.
pub struct OrgLoader(LoaderCtx);
/// People by id.
pub struct PersonLoader(LoaderCtx);
/// Documents by revision id.
pub struct DocumentLoader(LoaderCtx);

impl Loader<Uuid> for DocumentLoader {
    type Value = DocumentView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = documents::by_ids(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)?;
        Ok(rows.into_iter().map(|d| (*d.id, d)).collect())
    }
}

impl Loader<Uuid> for OrgLoader {
    type Value = OrganizationView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = organizations::by_ids(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)?;
        Ok(rows.into_iter().map(|o| (*o.id, o)).collect())
    }
}

impl Loader<Uuid> for PersonLoader {
    type Value = PersonView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = people::by_ids(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)?;
        Ok(rows.into_iter().map(|p| (*p.id, p)).collect())
    }
}

/// Declares a loader whose service batch function already answers `key → value`.
macro_rules! map_loader {
    ($(#[$doc:meta])* $name:ident: $value:ty = $batch:path) => {
        $(#[$doc])*
        pub struct $name(LoaderCtx);

        impl Loader<Uuid> for $name {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                $batch(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)
            }
        }
    };
}

map_loader!(
    /// A person's account, by person id.
    UserByPersonLoader: UserView = users::by_person_ids
);
map_loader!(
    /// An account's role grants, by account id.
    RolesLoader: Vec<RoleAssignmentView> = users::roles_of
);
map_loader!(
    /// A person's transfer history, by person id.
    TransfersLoader: Vec<TransferView> = people::transfers_of
);
map_loader!(
    /// A person's party-status history, by person id.
    PartyStatusHistoryLoader: Vec<PartyStatusChangeView> = people::party_status_histories_of
);
/// Roster slices of study sessions (attendance counts and the entries a field asks
/// for), by session and ask: one statement per batch.
pub struct RosterLoader(LoaderCtx);

impl Loader<RosterAsk> for RosterLoader {
    type Value = RosterSlice;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RosterAsk]) -> Result<HashMap<RosterAsk, Self::Value>, Self::Error> {
        study::roster_slices(&self.0.db, &self.0.actor, keys).await.map_err(gql_error)
    }
}
map_loader!(
    /// A session's statements (leaders first), by session id.
    StatementsLoader: Vec<StatementView> = study::statements_of
);
map_loader!(
    /// A measure's progress updates, by measure id.
    MeasureUpdatesLoader: Vec<MeasureUpdateView> = measures::updates_of
);
map_loader!(
    /// Inspections by id.
    InspectionsLoader: InspectionView = supervision::inspections_by_ids
);
map_loader!(
    /// A supervision item's trail, by item id.
    ItemUpdatesLoader: Vec<ItemUpdateView> = supervision::updates_of
);
map_loader!(
    /// A document's readable revisions, by lineage id.
    RevisionsLoader: Vec<DocumentView> = documents::revisions_of
);

/// The measures of one kind of source (rectification measures of supervision items,
/// implementation measures of study sessions), by source id.
pub struct SourceMeasuresLoader {
    ctx: LoaderCtx,
    kind: SourceKind,
}

impl Loader<Uuid> for SourceMeasuresLoader {
    type Value = Vec<MeasureView>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let c = &self.ctx;
        measures::of_sources(&c.db, &c.actor, c.today, self.kind, keys).await.map_err(gql_error)
    }
}

/// The current committee of organisations, by organisation id.
pub struct CommitteeLoader(LoaderCtx);

impl Loader<Uuid> for CommitteeLoader {
    type Value = CommitteeTermView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let c = &self.0;
        committees::current_of(&c.db, &c.actor, c.today, keys).await.map_err(gql_error)
    }
}

/// Every committee term of organisations (newest first), by organisation id.
pub struct CommitteeTermsLoader(LoaderCtx);

impl Loader<Uuid> for CommitteeTermsLoader {
    type Value = Vec<CommitteeTermView>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let c = &self.0;
        committees::terms_of(&c.db, &c.actor, c.today, keys).await.map_err(gql_error)
    }
}

/// Attachments by owner id, for one owner kind. Only ever asked for owners the caller
/// already read through a scoped loader or query, so it needs no scope of its own.
pub struct AttachmentsLoader {
    ctx: LoaderCtx,
    kind: OwnerKind,
}

impl Loader<Uuid> for AttachmentsLoader {
    type Value = Vec<AttachmentView>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        attachments::of_owners(&self.ctx.db, self.kind, keys).await.map_err(gql_error)
    }
}

/// How many scheduler turns a batch waits before it loads. Resolvers of a list register
/// their keys over several turns (futures-util yields every 32 polls); a time-based
/// delay splits a large list into several batches whenever polling is slow, while
/// waiting for turns gathers every key of a level into one batch, deterministically on
/// actix's single-threaded workers, at a cost of microseconds.
const BATCH_AFTER_TURNS: usize = 64;

fn spawn_batch(task: futures_util::future::BoxFuture<'static, ()>) {
    tokio::spawn(crate::telemetry::propagate(async move {
        for _ in 0..BATCH_AFTER_TURNS {
            tokio::task::yield_now().await;
        }
        task.await;
    }));
}

fn loader<K: Send + Sync + std::hash::Hash + Eq + Clone + 'static, T: Loader<K>>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, spawn_batch).delay(std::time::Duration::ZERO)
}

/// The loaders of one request.
pub struct Loaders {
    /// Organisations by id.
    pub orgs: DataLoader<OrgLoader>,
    /// People by id.
    pub people: DataLoader<PersonLoader>,
    /// Accounts by person id.
    pub user_by_person: DataLoader<UserByPersonLoader>,
    /// Role grants by account id.
    pub roles: DataLoader<RolesLoader>,
    /// Transfer histories by person id.
    pub transfers: DataLoader<TransfersLoader>,
    /// Party-status histories by person id.
    pub party_status_history: DataLoader<PartyStatusHistoryLoader>,
    /// Documents by revision id.
    pub documents: DataLoader<DocumentLoader>,
    /// Roster slices (counts, entries) by study session and ask.
    pub roster: DataLoader<RosterLoader>,
    /// Statements by study session id.
    pub statements: DataLoader<StatementsLoader>,
    /// Progress updates by measure id.
    pub measure_updates: DataLoader<MeasureUpdatesLoader>,
    /// Document revisions by lineage id.
    pub revisions: DataLoader<RevisionsLoader>,
    /// Inspections by id.
    pub inspections: DataLoader<InspectionsLoader>,
    /// Supervision item trails by item id.
    pub item_updates: DataLoader<ItemUpdatesLoader>,
    /// Rectification measures by supervision item id.
    pub item_measures: DataLoader<SourceMeasuresLoader>,
    /// Implementation measures by study session id.
    pub session_measures: DataLoader<SourceMeasuresLoader>,
    /// Current committees by organisation id.
    pub committees: DataLoader<CommitteeLoader>,
    /// Committee terms by organisation id.
    pub committee_terms: DataLoader<CommitteeTermsLoader>,
    /// Attachments by document revision id.
    pub document_attachments: DataLoader<AttachmentsLoader>,
    /// Attachments by measure progress update id.
    pub measure_update_attachments: DataLoader<AttachmentsLoader>,
    /// Attachments by supervision item update id.
    pub supervision_update_attachments: DataLoader<AttachmentsLoader>,
    /// Attachments by achievement id.
    pub achievement_attachments: DataLoader<AttachmentsLoader>,
}

impl Loaders {
    /// Fresh loaders for one request of `actor`; `today` is the request's day in the
    /// configured time zone.
    pub fn new(db: DatabaseConnection, actor: Actor, today: chrono::NaiveDate) -> Self {
        let ctx = LoaderCtx { db, actor, today };
        Loaders {
            orgs: loader(OrgLoader(ctx.clone())),
            people: loader(PersonLoader(ctx.clone())),
            user_by_person: loader(UserByPersonLoader(ctx.clone())),
            roles: loader(RolesLoader(ctx.clone())),
            transfers: loader(TransfersLoader(ctx.clone())),
            party_status_history: loader(PartyStatusHistoryLoader(ctx.clone())),
            documents: loader(DocumentLoader(ctx.clone())),
            roster: loader(RosterLoader(ctx.clone())),
            statements: loader(StatementsLoader(ctx.clone())),
            measure_updates: loader(MeasureUpdatesLoader(ctx.clone())),
            revisions: loader(RevisionsLoader(ctx.clone())),
            inspections: loader(InspectionsLoader(ctx.clone())),
            item_updates: loader(ItemUpdatesLoader(ctx.clone())),
            item_measures: loader(SourceMeasuresLoader { ctx: ctx.clone(), kind: SourceKind::SupervisionItem }),
            session_measures: loader(SourceMeasuresLoader { ctx: ctx.clone(), kind: SourceKind::Session }),
            committees: loader(CommitteeLoader(ctx.clone())),
            committee_terms: loader(CommitteeTermsLoader(ctx.clone())),
            document_attachments: loader(AttachmentsLoader { ctx: ctx.clone(), kind: OwnerKind::Document }),
            measure_update_attachments: loader(AttachmentsLoader { ctx: ctx.clone(), kind: OwnerKind::MeasureUpdate }),
            supervision_update_attachments: loader(AttachmentsLoader {
                ctx: ctx.clone(),
                kind: OwnerKind::SupervisionUpdate,
            }),
            achievement_attachments: loader(AttachmentsLoader { ctx, kind: OwnerKind::Achievement }),
        }
    }
}
