//! Supervision (巡察监督) and rectification (整改): inspections over an organisation
//! subtree, the supervision items they find, the rectification workflow and its trail,
//! and the views over items (filtered lists, the escalation list, per-organisation
//! figures).
//!
//! Workflow: `open` → `rectifying` (the responsible side writes the plan) → `submitted`
//! (the responsible side submits, with evidence) → `verified` (the inspector closes it,
//! 销号), or `submitted` → `rectifying` when the inspector rejects it with a reason.
//!
//! Who: inspectors (`SupervisionManage` over the item's organisation) and administrators
//! open, change, reject and verify; the responsible organisation's administrators
//! (`SupervisionRespond` over it) and the responsible person write the plan and evidence
//! and submit. Items are readable under `SupervisionRead`, and by their responsible
//! person. Every step leaves an item update; every change an audit record.
//! "Overdue" = due before `today` (configured time zone) and not verified.

mod inspections;
mod items;
mod views;

pub use inspections::*;
pub use items::*;
pub use views::*;

use sea_orm::{
    ColumnTrait,
    sea_query::{CaseStatement, Expr, SimpleExpr},
};

use crate::services::check_version;
use crate::services::types::text_enum;
use entity::supervision_item;

text_enum! {
    /// Status of an inspection round.
    InspectionStatus {
        /// 计划: planned.
        Planned => "planned",
        /// 进行中: inspectors are on site.
        InProgress => "in_progress",
        /// 已结束: the round is over (its items go on until verified).
        Finished => "finished",
    }
}

text_enum! {
    /// Category of a supervision item (问题类别).
    #[graphql(name = "SupervisionCategory")]
    ItemCategory {
        /// 政治建设: political building.
        PoliticalBuilding => "political_building",
        /// 理论学习: theory study (第一议题 and the like).
        TheoryStudy => "theory_study",
        /// 组织建设: organisation building.
        OrganizationBuilding => "organization_building",
        /// 科技创新责任落实: carrying out technology-innovation responsibility.
        InnovationResponsibility => "innovation_responsibility",
        /// 党风廉政建设: integrity.
        Integrity => "integrity",
        /// 作风建设: work style.
        WorkStyle => "work_style",
        /// 其他: other.
        Other => "other",
    }
}

text_enum! {
    /// Severity of a supervision item.
    #[graphql(name = "SupervisionSeverity")]
    Severity {
        /// 一般: low.
        Low => "low",
        /// 较重: medium.
        Medium => "medium",
        /// 严重: high.
        High => "high",
    }
}

impl Severity {
    /// Rank for ordering, high first (0).
    fn rank_expr() -> SimpleExpr {
        CaseStatement::new()
            .case(supervision_item::Column::Severity.eq(Severity::High.as_str()), Expr::val(0))
            .case(supervision_item::Column::Severity.eq(Severity::Medium.as_str()), Expr::val(1))
            .finally(Expr::val(2))
            .into()
    }
}

text_enum! {
    /// Status of a supervision item: open → rectifying → submitted → verified, and
    /// submitted → rectifying when rejected.
    #[graphql(name = "SupervisionItemStatus")]
    ItemStatus {
        /// 待整改: found, no plan yet.
        Open => "open",
        /// 整改中: being rectified (also after a rejection).
        Rectifying => "rectifying",
        /// 已提交: submitted for verification.
        Submitted => "submitted",
        /// 已销号: verified and closed (final).
        Verified => "verified",
    }
}

text_enum! {
    /// Kind of an item update.
    #[graphql(name = "SupervisionUpdateKind")]
    UpdateKind {
        /// 意见: a comment.
        Comment => "comment",
        /// 整改方案: the rectification plan was written or changed.
        Plan => "plan",
        /// 整改佐证: evidence of the rectification.
        Evidence => "evidence",
        /// 状态变更: a status change (opened, submitted, rejected, verified).
        StatusChange => "status_change",
    }
}
