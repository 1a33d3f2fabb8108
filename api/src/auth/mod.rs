//! Identity: who is calling ([`Actor`]), what each role may do ([`Permission`]),
//! access tokens ([`jwt`]) and password hashing ([`password`]).
//!
//! Transport-neutral: the actix extractor lives in `rest::extract`, the GraphQL
//! context carries the same [`Actor`].

pub mod jwt;
pub mod password;

use uuid::Uuid;

use crate::error::AppError;
use crate::services::types::text_enum;

text_enum! {
    /// A role of DOMAIN.md §7.
    Role {
        /// Everything, including role grants and service clients.
        Admin => "admin",
        /// Branch secretary / organisation officer: manages an organisation subtree.
        OrgAdmin => "org_admin",
        /// Reads everything in scope; runs supervision.
        Inspector => "inspector",
        /// A party member: reads what is visible, acts for themself.
        Member => "member",
        /// A service client (HR systems, integrations): reads, and with `people:write`
        /// writes, what its client scopes open, inside its subtree.
        HrReader => "hr_reader",
    }
}

impl Role {
    /// What the role allows (its organisation scope is applied separately).
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::OrgAdmin => matches!(
                p,
                OrgRead
                    | OrgWrite
                    | PersonRead
                    | PersonWrite
                    | PersonalData
                    | UserRead
                    | UserWrite
                    | RoleGrant
                    | DocumentRead
                    | DocumentWrite
                    | StudyFigures
                    | SessionRead
                    | SessionWrite
                    | MeasureManage
                    | ComplianceRead
                    | SupervisionRead
                    | SupervisionRespond
                    | DashboardRead
                    | InnovationRead
                    | InnovationManage
                    | AchievementSubmit
                    | HonourRead
            ),
            Role::Inspector => matches!(
                p,
                OrgRead
                    | PersonRead
                    | UserRead
                    | DocumentRead
                    | StudyFigures
                    | SessionRead
                    | ComplianceRead
                    | SupervisionRead
                    | SupervisionManage
                    | AuditRead
                    | DashboardRead
                    | InnovationRead
                    | HonourRead
            ),
            Role::Member => matches!(
                p,
                OrgRead | PersonRead | DocumentRead | SessionRead | InnovationRead | AchievementSubmit | HonourRead
            ),
            // What a client may do is narrowed further by its client scopes
            // (`Actor::scope`); this is the most any scope opens.
            Role::HrReader => matches!(
                p,
                OrgRead
                    | PersonRead
                    | PersonWrite
                    | HonourRead
                    | SessionRead
                    | StudyFigures
                    | ComplianceRead
                    | InnovationRead
            ),
        }
    }

    /// Roles an org_admin may grant (never one above their own).
    pub fn grantable_by_org_admin(self) -> bool {
        matches!(self, Role::OrgAdmin | Role::Member)
    }
}

/// An operation class checked by the services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read organisations.
    OrgRead,
    /// Create, rename, move, delete organisations.
    OrgWrite,
    /// Read people.
    PersonRead,
    /// Create, update, transfer people.
    PersonWrite,
    /// See phone and email of people other than oneself.
    PersonalData,
    /// Read user accounts and their roles.
    UserRead,
    /// Create, disable, reset user accounts.
    UserWrite,
    /// Grant and revoke roles.
    RoleGrant,
    /// Manage service clients (admin only).
    ServiceClientManage,
    /// Read the knowledge base (published documents visible to the caller).
    DocumentRead,
    /// Write documents owned by organisations in scope (drafts, publish, revise, archive).
    DocumentWrite,
    /// See the study figures (reading records) of people in scope.
    StudyFigures,
    /// Read study sessions, their attendance, statements and measures (members also see
    /// the sessions whose roster they are on).
    SessionRead,
    /// Create and change study sessions, mark attendance.
    SessionWrite,
    /// Create, change and delete implementation measures.
    MeasureManage,
    /// Read compliance reports (first-topic gaps, required versus held meetings).
    ComplianceRead,
    /// Read inspections and supervision items (responsible people also read their own items).
    SupervisionRead,
    /// Run supervision: create inspections, open, reject and verify supervision items.
    SupervisionManage,
    /// Respond to supervision items of the organisations in scope: write the rectification
    /// plan and evidence, submit for verification (responsible people may do so for their own items).
    SupervisionRespond,
    /// Read the audit trail of the organisations in scope.
    AuditRead,
    /// Verify the audit hash chain (administrators only).
    AuditVerify,
    /// Read the statistics dashboard of the organisations in scope.
    DashboardRead,
    /// Read the Technology Innovation Year: campaigns, activities, achievements, projects,
    /// vanguard units and the innovation statistics of organisations in scope.
    InnovationRead,
    /// Create and change campaigns, activities, projects, spending, vanguard units and
    /// honours, and review "five small" achievements, in organisations in scope.
    InnovationManage,
    /// Submit "five small" achievements for oneself and one's team.
    AchievementSubmit,
    /// Read intellectual property and honours, and activity participation (HR systems
    /// too, with the `people:read` scope).
    HonourRead,
}

/// One grant in force: a role, global (`org_path = None`) or over a subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// The subtree root, if scoped.
    pub org_id: Option<Uuid>,
    /// The subtree root's materialised path, if scoped.
    pub org_path: Option<String>,
}

/// Where a permission holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Nowhere: the permission is not held.
    None,
    /// Everywhere.
    Global,
    /// Inside these subtrees (materialised paths of their roots).
    Subtrees(Vec<String>),
}

impl Scope {
    /// Whether an organisation with `path` lies inside the scope.
    pub fn contains_path(&self, path: &str) -> bool {
        match self {
            Scope::None => false,
            Scope::Global => true,
            Scope::Subtrees(roots) => roots.iter().any(|r| path.starts_with(r.as_str())),
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person's (or the bootstrap admin's) login.
    User {
        /// The account id.
        user_id: Uuid,
        /// The account's username.
        username: String,
        /// The person the account belongs to, if any.
        person_id: Option<Uuid>,
    },
    /// A machine client.
    Client {
        /// Internal id.
        id: Uuid,
        /// Public client id.
        client_id: String,
        /// Granted scopes.
        scopes: Vec<ClientScope>,
    },
    /// The server itself (start-up bootstrap, demo data, restore handling): a global
    /// administrator that is nobody's account and never an author.
    System,
}

/// What a service client may be granted (stored and sent as these strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientScope {
    /// `organizations:read`: read the organisation tree in its subtree (every other scope
    /// but `personal_data` reads it too: it frames what they open).
    OrganizationsRead,
    /// `people:read`: read people, honours and activity participation in its subtree.
    PeopleRead,
    /// `personal_data`: phone numbers and e-mail addresses too.
    PersonalData,
    /// `study:read`: study sessions with their attendance, statements and measures, study
    /// figures (reading records) and compliance reports in its subtree.
    StudyRead,
    /// `innovation:read`: the Technology Innovation Year in its subtree: campaigns,
    /// activities, "five small" achievements, research projects, vanguard units, honours,
    /// intellectual property and the innovation statistics.
    InnovationRead,
    /// `people:write`: create and update people, record transfers, party-status changes
    /// and departures, upsert people by employee number, in its subtree (and read the
    /// people it may write).
    PeopleWrite,
}

impl ClientScope {
    /// Every scope.
    pub const ALL: [ClientScope; 6] = [
        ClientScope::OrganizationsRead,
        ClientScope::PeopleRead,
        ClientScope::PersonalData,
        ClientScope::StudyRead,
        ClientScope::InnovationRead,
        ClientScope::PeopleWrite,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientScope::OrganizationsRead => "organizations:read",
            ClientScope::PeopleRead => "people:read",
            ClientScope::PersonalData => "personal_data",
            ClientScope::StudyRead => "study:read",
            ClientScope::InnovationRead => "innovation:read",
            ClientScope::PeopleWrite => "people:write",
        }
    }

    /// The client scopes any one of which opens `p` to a service client (none: never).
    pub fn opening(p: Permission) -> &'static [ClientScope] {
        use ClientScope::*;
        match p {
            // The organisation tree frames everything else: any scope that reads or
            // writes what organisations hold reads the tree of its subtree too.
            Permission::OrgRead => &[OrganizationsRead, PeopleRead, PeopleWrite, StudyRead, InnovationRead],
            Permission::PersonRead => &[PeopleRead, PeopleWrite],
            Permission::PersonWrite => &[PeopleWrite],
            Permission::HonourRead => &[PeopleRead, InnovationRead],
            Permission::SessionRead | Permission::StudyFigures | Permission::ComplianceRead => &[StudyRead],
            Permission::InnovationRead => &[InnovationRead],
            _ => &[],
        }
    }

    /// The scope of a stored or wire name.
    pub fn parse(s: &str) -> Option<ClientScope> {
        ClientScope::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a request came from, copied into audit records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The peer address of the connection (not a forwarded-for header, which the
    /// client controls).
    pub source_address: Option<String>,
    /// The `User-Agent` header, at most 256 characters.
    pub user_agent: Option<String>,
}

/// The authenticated caller of a service, with its grants resolved.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Who.
    pub principal: Principal,
    /// What, where.
    pub grants: Vec<Grant>,
    /// The request id, copied into audit records.
    pub request_id: Option<String>,
    /// Where the request came from, copied into audit records.
    pub origin: Origin,
    /// The materialised path of the organisation the caller's own person belongs to
    /// now (the root of their *participation scope*), if the caller is a person.
    pub home: Option<String>,
}

impl Actor {
    /// The internal system actor (start-up bootstrap, demo seeding): global admin.
    pub fn system() -> Actor {
        Actor {
            principal: Principal::System,
            grants: vec![Grant { role: Role::Admin, org_id: None, org_path: None }],
            request_id: None,
            origin: Origin::default(),
            home: None,
        }
    }

    /// The actor as log lines name it: `user:<account id>`, `client:<id>` or `system`
    /// (ids, not names, so logs carry no personal data).
    pub fn id_label(&self) -> String {
        match &self.principal {
            Principal::User { user_id, .. } => format!("user:{user_id}"),
            Principal::Client { id, .. } => format!("client:{id}"),
            Principal::System => "system".into(),
        }
    }

    /// A name for log lines: the username or the client id.
    pub fn label(&self) -> &str {
        match &self.principal {
            Principal::User { username, .. } => username,
            Principal::Client { client_id, .. } => client_id,
            Principal::System => "system",
        }
    }

    /// The roles the actor acts in (distinct, comma-separated), or `system`, as recorded
    /// in audit records.
    pub fn acting_role(&self) -> String {
        if self.kind() == "system" {
            return "system".into();
        }
        let mut roles: Vec<&'static str> = self.grants.iter().map(|g| g.role.as_str()).collect();
        roles.sort_unstable();
        roles.dedup();
        roles.join(",")
    }

    /// The actor's id as recorded in audit events.
    pub fn id(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::User { user_id, .. } => Some(*user_id),
            Principal::System => None,
            Principal::Client { id, .. } => Some(*id),
        }
    }

    /// `user`, `client` or `system`, as recorded in audit events.
    pub fn kind(&self) -> &'static str {
        match &self.principal {
            Principal::System => "system",
            Principal::User { .. } => "user",
            Principal::Client { .. } => "client",
        }
    }

    /// The caller's own person, if any.
    pub fn person_id(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::User { person_id, .. } => *person_id,
            Principal::Client { .. } | Principal::System => None,
        }
    }

    /// The caller's user account, if any.
    pub fn user_id(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::User { user_id, .. } => Some(*user_id),
            Principal::Client { .. } | Principal::System => None,
        }
    }

    /// Whether the actor wrote something recorded with these author ids (its person, or
    /// its own account; the system actor never counts as an author).
    pub fn is_author(&self, person_id: Option<Uuid>, user_id: Option<Uuid>) -> bool {
        (self.person_id().is_some() && self.person_id() == person_id)
            || (self.user_id().is_some() && self.user_id() == user_id)
    }

    /// Whether the actor holds a global admin grant.
    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin && g.org_path.is_none())
    }

    /// Whether a service client holds `scope`.
    pub fn has_client_scope(&self, scope: ClientScope) -> bool {
        matches!(&self.principal, Principal::Client { scopes, .. } if scopes.contains(&scope))
    }

    /// Where the actor holds `p`: the union of the subtrees of every grant allowing it.
    pub fn scope(&self, p: Permission) -> Scope {
        if let Principal::Client { scopes, .. } = &self.principal
            && !ClientScope::opening(p).iter().any(|s| scopes.contains(s))
        {
            return Scope::None;
        }
        let mut roots: Vec<String> = Vec::new();
        for g in self.grants.iter().filter(|g| g.role.allows(p)) {
            match &g.org_path {
                None => return Scope::Global,
                Some(path) => roots.push(path.clone()),
            }
        }
        if roots.is_empty() { Scope::None } else { Scope::Subtrees(roots) }
    }

    /// Fails with FORBIDDEN unless `p` is held somewhere.
    pub fn require(&self, p: Permission) -> Result<Scope, AppError> {
        match self.scope(p) {
            Scope::None => Err(AppError::forbidden("your role does not allow this operation")),
            s => Ok(s),
        }
    }
}
