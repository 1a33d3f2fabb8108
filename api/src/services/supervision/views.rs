//! Views over supervision items: filtered lists, the escalation list and per-organisation figures.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{CaseStatement, Expr, ExprTrait, Func, SimpleExpr},
};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::services::pagination::{Direction, KeyOrder, Page, PageRequest, keyset, keyset_sorted};
use crate::services::scope::find_in_scope;
use crate::services::scope::{org_ids_query, subtree};
use crate::services::types::Id;
use entity::{organization, supervision_item};

use super::*;

/// Filters of [`list_items`].
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Only items of organisations in this organisation's subtree.
    pub organization_id: Option<Uuid>,
    /// Only items of this inspection.
    pub inspection_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<ItemStatus>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only this category.
    pub category: Option<ItemCategory>,
    /// Only overdue (true) or not overdue (false) items.
    pub overdue: Option<bool>,
    /// Only items this person is responsible for.
    pub responsible_person_id: Option<Uuid>,
    /// The order of the list (creation order when absent).
    pub sort: Option<ItemSort>,
    /// Leave out the organisation and person names (GraphQL resolves them as objects
    /// when asked): one statement less.
    pub bare: bool,
}

/// The orders a list of supervision items can have (REST: `due_on`, `-due_on` for the
/// latest deadline first; GraphQL: `DUE_ON`, `DUE_ON_DESCENDING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, async_graphql::Enum)]
#[graphql(name = "SupervisionItemSort")]
pub enum ItemSort {
    /// Earliest deadline first.
    #[serde(rename = "due_on")]
    DueOn,
    /// Latest deadline first.
    #[serde(rename = "-due_on")]
    DueOnDescending,
}

impl ItemSort {
    /// The cursor key of an item in this order (its deadline as a day number).
    pub fn key(i: &ItemView) -> (i64, Uuid) {
        (i64::from(i.due_on.num_days_from_ce()), i.id.0)
    }
}

/// Supervision item figures (of one organisation, or summed over several).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "SupervisionCounts")]
pub struct ItemCounts {
    /// Every item.
    pub total: i64,
    /// Not yet verified (open, rectifying or submitted).
    pub open: i64,
    /// Of those, past due.
    pub overdue: i64,
    /// Verified on or before the due date.
    pub closed_on_time: i64,
    /// Verified after the due date.
    pub closed_late: i64,
    /// Of status open.
    pub status_open: i64,
    /// Of status rectifying.
    pub status_rectifying: i64,
    /// Of status submitted.
    pub status_submitted: i64,
    /// Of status verified.
    pub status_verified: i64,
}

/// Supervision item figures of one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "OrgSupervisionStats")]
pub struct OrgItemStats {
    /// The organisation's id.
    pub organization_id: Id,
    /// Its name.
    pub organization_name: String,
    /// The figures.
    pub counts: ItemCounts,
}

/// Overdue on `today`: not verified and past due.
pub(super) fn overdue_cond(today: NaiveDate) -> Condition {
    Condition::all()
        .add(supervision_item::Column::DueOn.lt(today))
        .add(supervision_item::Column::Status.ne(ItemStatus::Verified.as_str()))
}

pub(super) async fn filtered(actor: &Actor, today: NaiveDate, filter: &ItemFilter) -> AppResult<Condition> {
    let mut cond = Condition::all().add(readable(actor)?);
    if let Some(org_id) = filter.organization_id {
        // In the list's own statement ([`list_items`] asks whether the organisation is
        // visible only when the page comes back empty).
        let visible = crate::services::scope::orgs_in(&actor.scope(Permission::OrgRead));
        cond =
            cond.add(crate::services::scope::in_subtree_of(supervision_item::Column::OrganizationId, org_id, visible));
    }
    if let Some(v) = filter.inspection_id {
        cond = cond.add(supervision_item::Column::InspectionId.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(supervision_item::Column::Status.eq(v.as_str()));
    }
    if let Some(v) = filter.severity {
        cond = cond.add(supervision_item::Column::Severity.eq(v.as_str()));
    }
    if let Some(v) = filter.category {
        cond = cond.add(supervision_item::Column::Category.eq(v.as_str()));
    }
    if let Some(v) = filter.responsible_person_id {
        cond = cond.add(supervision_item::Column::ResponsiblePersonId.eq(v));
    }
    match filter.overdue {
        Some(true) => cond = cond.add(overdue_cond(today)),
        Some(false) => cond = cond.add(overdue_cond(today).not()),
        None => {}
    }
    Ok(cond)
}

/// A page of items the actor may read, filtered, in creation order or by deadline.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_items<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ItemFilter,
    page: PageRequest,
) -> AppResult<Page<ItemView>> {
    let cond = filtered(actor, today, filter).await?;
    let Some(sort) = filter.sort else {
        let (rows, total) =
            keyset::<_, supervision_item::Entity>(db, cond, supervision_item::Column::Id, page, KeyOrder::Oldest)
                .await?;
        empty_page_check(db, actor, filter, rows.is_empty()).await?;
        let mut items = rows.into_iter().map(|m| ItemView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
        if !filter.bare {
            super::items::with_names(db, &mut items).await?;
        }
        return Ok(Page::from_rows(items, page, |i| *i.id, total));
    };
    let direction = match sort {
        ItemSort::DueOn => Direction::Ascending,
        ItemSort::DueOnDescending => Direction::Descending,
    };
    let (rows, total) = keyset_sorted::<_, supervision_item::Entity, NaiveDate>(
        db,
        cond,
        (supervision_item::Column::DueOn, direction),
        |days| i32::try_from(days).ok().and_then(NaiveDate::from_num_days_from_ce_opt),
        supervision_item::Column::Id,
        page,
    )
    .await?;
    empty_page_check(db, actor, filter, rows.is_empty()).await?;
    let mut items = rows.into_iter().map(|m| ItemView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
    if !filter.bare {
        super::items::with_names(db, &mut items).await?;
    }
    Ok(Page::from_sorted_rows(items, page, ItemSort::key, total))
}

/// An empty page of a list filtered by an organisation the actor cannot see is
/// NOT_FOUND, as for a missing organisation (asked only then: a page with items proves
/// the organisation visible).
async fn empty_page_check<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &ItemFilter,
    empty: bool,
) -> AppResult<()> {
    if let (true, Some(org_id)) = (empty, filter.organization_id) {
        find_in_scope(db, &actor.scope(Permission::OrgRead), org_id).await?;
    }
    Ok(())
}

/// Every item matching the filter (for exports), in creation order; at most `cap` rows.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_items<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ItemFilter,
    cap: u64,
) -> AppResult<Vec<ItemView>> {
    let cond = filtered(actor, today, filter).await?;
    let rows = supervision_item::Entity::find()
        .filter(cond)
        .order_by_asc(supervision_item::Column::Id)
        .limit(cap)
        .all(db)
        .await?;
    empty_page_check(db, actor, filter, rows.is_empty()).await?;
    rows.into_iter().map(|m| ItemView::from_model(m, today)).collect()
}

/// A position in the escalation order: (overdue first, severity rank, due date, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EscalationKey {
    not_overdue: u8,
    rank: u8,
    due_on: NaiveDate,
    id: Uuid,
}

impl EscalationKey {
    fn of(item: &ItemView) -> Self {
        let rank = match item.severity {
            Severity::High => 0,
            Severity::Medium => 1,
            Severity::Low => 2,
        };
        EscalationKey { not_overdue: u8::from(!item.overdue), rank, due_on: item.due_on, id: *item.id }
    }

    fn encode(self) -> String {
        use base64::Engine;
        let mut bytes = vec![self.not_overdue, self.rank];
        bytes.extend_from_slice(&self.due_on.num_days_from_ce().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn decode(cursor: &str, field: &str) -> AppResult<Self> {
        use base64::Engine;
        let bad = || AppError::invalid(field, "not a valid cursor");
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        if b.len() != 22 || b[0] > 1 || b[1] > 2 {
            return Err(bad());
        }
        let days = i32::from_be_bytes([b[2], b[3], b[4], b[5]]);
        Ok(EscalationKey {
            not_overdue: b[0],
            rank: b[1],
            due_on: NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(bad)?,
            id: Uuid::from_slice(&b[6..]).map_err(|_| bad())?,
        })
    }
}

/// The escalation cursor that continues after `item`.
pub fn escalation_cursor(item: &ItemView) -> String {
    EscalationKey::of(item).encode()
}

/// A page of the escalation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EscalationPage {
    /// The items: overdue first, then by severity (high first), then by due date.
    pub items: Vec<ItemView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many unverified items are overdue or of high severity (all pages).
    pub total: u64,
}

/// The escalation list: items not yet verified that are overdue or of high severity,
/// overdue first, then by severity (high first), then by due date; keyset-paged on that
/// order (`limit` 1–100, default 20; `cursor` from the previous page), with the number
/// of all such items.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn escalation<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: Option<&str>,
    field_names: (&str, &'static str),
) -> AppResult<EscalationPage> {
    use supervision_item::Column as C;
    let page = PageRequest::parse(limit, None, field_names.0, field_names.1)?;
    let after = cursor.map(|c| EscalationKey::decode(c, field_names.1)).transpose()?;
    let filter = ItemFilter { organization_id, ..Default::default() };
    let cond = filtered(actor, today, &filter)
        .await?
        .add(C::Status.ne(ItemStatus::Verified.as_str()))
        .add(Condition::any().add(C::DueOn.lt(today)).add(C::Severity.eq(Severity::High.as_str())));
    let total = supervision_item::Entity::find().filter(cond.clone()).count(db).await?;
    let not_overdue =
        || -> SimpleExpr { CaseStatement::new().case(C::DueOn.lt(today), Expr::val(0)).finally(Expr::val(1)).into() };
    let mut query = supervision_item::Entity::find().filter(cond);
    if let Some(k) = after {
        let (flag, rank) = (i32::from(k.not_overdue), i32::from(k.rank));
        query = query.filter(
            Condition::any()
                .add(not_overdue().gt(flag))
                .add(Condition::all().add(not_overdue().eq(flag)).add(Severity::rank_expr().gt(rank)))
                .add(
                    Condition::all()
                        .add(not_overdue().eq(flag))
                        .add(Severity::rank_expr().eq(rank))
                        .add(C::DueOn.gt(k.due_on)),
                )
                .add(
                    Condition::all()
                        .add(not_overdue().eq(flag))
                        .add(Severity::rank_expr().eq(rank))
                        .add(C::DueOn.eq(k.due_on))
                        .add(C::Id.gt(k.id)),
                ),
        );
    }
    let rows = query
        .order_by_asc(not_overdue())
        .order_by_asc(Severity::rank_expr())
        .order_by_asc(C::DueOn)
        .order_by_asc(C::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    empty_page_check(db, actor, &filter, rows.is_empty()).await?;
    let mut items = rows.into_iter().map(|m| ItemView::from_model(m, today)).collect::<AppResult<Vec<_>>>()?;
    let has_more = items.len() as u64 > page.limit;
    items.truncate(page.limit as usize);
    super::items::with_names(db, &mut items).await?;
    let next_cursor = if has_more { items.last().map(escalation_cursor) } else { None };
    Ok(EscalationPage { items, next_cursor, total })
}

/// `COALESCE(SUM(CASE WHEN cond THEN 1 ELSE 0 END), 0)`: how many rows match `cond`.
pub(crate) fn count_when(cond: Condition) -> SimpleExpr {
    let case: SimpleExpr = CaseStatement::new().case(cond, Expr::val(1)).finally(Expr::val(0)).into();
    let parts: [SimpleExpr; 2] = [Func::sum(case).into(), Expr::val(0)];
    Func::coalesce(parts).into()
}

/// An organisation and its nine figures, as the grouped statement returns them.
type CountRow = (Uuid, i64, i64, i64, i64, i64, i64, i64, i64, i64);

/// The grouped figures of items matching `cond`, per organisation: one statement.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn counts_by_org<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    cond: Condition,
) -> AppResult<HashMap<Uuid, ItemCounts>> {
    use supervision_item::Column as C;
    let verified = ItemStatus::Verified.as_str();
    let status = |s: ItemStatus| Condition::all().add(C::Status.eq(s.as_str()));
    let rows: Vec<CountRow> = supervision_item::Entity::find()
        .select_only()
        .column(C::OrganizationId)
        .column_as(C::Id.count(), "total")
        .expr_as(count_when(Condition::all().add(C::Status.ne(verified))), "open")
        .expr_as(count_when(overdue_cond(today)), "overdue")
        .expr_as(
            count_when(
                Condition::all().add(C::Status.eq(verified)).add(Expr::col(C::ClosedOn).lte(Expr::col(C::DueOn))),
            ),
            "closed_on_time",
        )
        .expr_as(
            count_when(
                Condition::all().add(C::Status.eq(verified)).add(Expr::col(C::ClosedOn).gt(Expr::col(C::DueOn))),
            ),
            "closed_late",
        )
        .expr_as(count_when(status(ItemStatus::Open)), "s_open")
        .expr_as(count_when(status(ItemStatus::Rectifying)), "s_rectifying")
        .expr_as(count_when(status(ItemStatus::Submitted)), "s_submitted")
        .expr_as(count_when(status(ItemStatus::Verified)), "s_verified")
        .filter(cond)
        .group_by(C::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, total, open, overdue, on_time, late, s_open, s_rect, s_sub, s_ver)| {
            (
                org,
                ItemCounts {
                    total,
                    open,
                    overdue,
                    closed_on_time: on_time,
                    closed_late: late,
                    status_open: s_open,
                    status_rectifying: s_rect,
                    status_submitted: s_sub,
                    status_verified: s_ver,
                },
            )
        })
        .collect())
}

impl ItemCounts {
    /// Adds another organisation's figures.
    pub fn add(&mut self, o: &ItemCounts) {
        self.total += o.total;
        self.open += o.open;
        self.overdue += o.overdue;
        self.closed_on_time += o.closed_on_time;
        self.closed_late += o.closed_late;
        self.status_open += o.status_open;
        self.status_rectifying += o.status_rectifying;
        self.status_submitted += o.status_submitted;
        self.status_verified += o.status_verified;
    }
}

/// The condition "items of organisations in the subtree of `root_path`".
pub(crate) fn in_subtree(root_path: &str) -> Condition {
    Condition::all().add(supervision_item::Column::OrganizationId.in_subquery(org_ids_query(subtree(root_path))))
}

/// Per organisation of a subtree (that has items the actor may read): open, overdue,
/// closed on time and closed late, by one grouped statement; in tree order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stats_by_org<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    organization_id: Uuid,
) -> AppResult<Vec<OrgItemStats>> {
    let scope = actor.require(Permission::SupervisionRead)?;
    let root = find_in_scope(db, &scope, organization_id).await?;
    let cond = Condition::all().add(readable(actor)?).add(in_subtree(&root.path));
    let mut counts = counts_by_org(db, today, cond).await?;
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(counts.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(organization::Column::Path)
        .all(db)
        .await?;
    Ok(orgs
        .into_iter()
        .map(|o| OrgItemStats {
            counts: counts.remove(&o.id).unwrap_or_default(),
            organization_id: o.id.into(),
            organization_name: o.name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_cursor_round_trip() {
        let k = EscalationKey {
            not_overdue: 1,
            rank: 2,
            due_on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(EscalationKey::decode(&k.encode(), "cursor").unwrap(), k);
        assert!(EscalationKey::decode("AAAA", "cursor").is_err());
    }
}
