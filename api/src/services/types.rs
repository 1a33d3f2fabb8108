//! Value types shared by services and both transports: object ids and the domain
//! enumerations (stored as text). They carry serde, utoipa and async-graphql derives
//! side by side, so REST, GraphQL and the services speak one type per concept.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An object's id: a UUID (version 7 for objects made here). A UUID string in JSON
/// and OpenAPI (`format: uuid`, by the alias in `build.rs`), an `ID` in GraphQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(pub Uuid);

impl From<Uuid> for Id {
    fn from(id: Uuid) -> Self {
        Id(id)
    }
}

impl From<Id> for Uuid {
    fn from(id: Id) -> Self {
        id.0
    }
}

impl std::ops::Deref for Id {
    type Target = Uuid;
    fn deref(&self) -> &Uuid {
        &self.0
    }
}

impl PartialEq<Uuid> for Id {
    fn eq(&self, other: &Uuid) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            async_graphql::Enum,
        )]
        #[serde(rename_all = "snake_case")]
        $(#[$meta])*
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a stored or wire name; `field` names the input on failure.
            pub fn parse(s: &str, field: &str) -> $crate::error::AppResult<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::AppError::invalid(field, format!(
                        "unknown value '{}'; expected one of: {}", s,
                        [$($text),+].join(", ")
                    ))),
                }
            }

            /// Parses a value read from the database (corrupt values are internal errors).
            pub fn from_db(s: &str) -> $crate::error::AppResult<Self> {
                Self::parse(s, stringify!($name)).map_err(|_| $crate::error::AppError::internal(anyhow::anyhow!(
                    "unexpected {} value in database: {}", stringify!($name), s)))
            }
        }
    };
}
pub(crate) use text_enum;

text_enum! {
    /// Kind of a party organisation.
    OrgKind {
        /// 党委: party committee.
        Committee => "committee",
        /// 党总支: general party branch.
        GeneralBranch => "general_branch",
        /// 党支部: party branch.
        Branch => "branch",
        /// 党小组: party group (also built on research projects).
        Group => "group",
    }
}

impl OrgKind {
    fn rank(self) -> u8 {
        match self {
            OrgKind::Committee => 0,
            OrgKind::GeneralBranch => 1,
            OrgKind::Branch => 2,
            OrgKind::Group => 3,
        }
    }

    /// Whether an organisation of this kind may sit directly under `parent`:
    /// strictly lower in the hierarchy, or a committee under a committee.
    pub fn may_be_child_of(self, parent: OrgKind) -> bool {
        self.rank() > parent.rank() || (self == OrgKind::Committee && parent == OrgKind::Committee)
    }
}

text_enum! {
    /// Party status of a person.
    PartyStatus {
        /// 群众: not a party member.
        None => "none",
        /// 入党申请人: has applied to join.
        Applicant => "applicant",
        /// 入党积极分子: activist.
        Activist => "activist",
        /// 发展对象: candidate for admission.
        Candidate => "candidate",
        /// 预备党员: probationary member.
        Probationary => "probationary",
        /// 正式党员: full member.
        Full => "full",
    }
}

text_enum! {
    /// Kind of a knowledge-base document.
    DocumentKind {
        /// 重要讲话: important speech.
        Speech => "speech",
        /// 指示批示: instruction.
        Instruction => "instruction",
        /// 指导意见·政策文件: guidance or policy document.
        Policy => "policy",
        /// 制度办法: regulation or internal rule.
        Regulation => "regulation",
        /// 实践案例: practice case.
        Case => "case",
        /// 经验交流: experience exchange.
        Experience => "experience",
        /// 课题研究: research report.
        Research => "research",
        /// 通知: notice.
        Notice => "notice",
    }
}

text_enum! {
    /// Who may read a published document.
    Visibility {
        /// Everyone with access to the knowledge base.
        Everyone => "everyone",
        /// People of the owning organisation's subtree (and its ancestors' officers).
        Subtree => "subtree",
    }
}

text_enum! {
    /// Lifecycle of a document revision: draft → published → superseded / archived.
    DocumentStatus {
        /// Being written; visible to editors only.
        Draft => "draft",
        /// In force.
        Published => "published",
        /// Replaced by a newer published revision.
        Superseded => "superseded",
        /// Withdrawn.
        Archived => "archived",
    }
}

text_enum! {
    /// Kind of a study session.
    SessionKind {
        /// 党委会: party committee meeting.
        PartyCommittee => "party_committee",
        /// 理论学习中心组: central study group.
        CentralGroup => "central_group",
        /// 支部党员大会: branch general meeting.
        BranchGeneralMeeting => "branch_general_meeting",
        /// 支委会: branch committee meeting.
        BranchCommittee => "branch_committee",
        /// 党小组会: party group meeting.
        GroupMeeting => "group_meeting",
        /// 党课: party lecture.
        PartyLecture => "party_lecture",
        /// 主题党日: theme party day.
        ThemeDay => "theme_day",
    }
}

impl SessionKind {
    /// Committee kinds, whose meetings must open with the first topic.
    pub const COMMITTEE: [SessionKind; 3] =
        [SessionKind::PartyCommittee, SessionKind::CentralGroup, SessionKind::BranchCommittee];
}

text_enum! {
    /// Status of a study session: `planned` → `held` or `cancelled` (both final).
    SessionStatus {
        /// Scheduled.
        Planned => "planned",
        /// Took place.
        Held => "held",
        /// Called off.
        Cancelled => "cancelled",
    }
}

impl SessionStatus {
    /// Whether the status may change to `next` (the same status is not a change).
    pub fn may_become(self, next: SessionStatus) -> bool {
        self == next || (self == SessionStatus::Planned && next != SessionStatus::Planned)
    }
}

text_enum! {
    /// Attendance of one person at one session.
    AttendanceStatus {
        /// On the roster, nothing recorded yet.
        Expected => "expected",
        /// Present (checked in by held_at + 15 minutes).
        Present => "present",
        /// Came late (checked in after held_at + 15 minutes).
        Late => "late",
        /// Excused (请假), with a reason.
        Leave => "leave",
        /// Absent without leave.
        Absent => "absent",
    }
}
