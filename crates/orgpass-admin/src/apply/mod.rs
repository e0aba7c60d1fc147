//! Desired state (`apply FILE`, `export`): the file format (TOML or YAML), the plan that compares it with the
//! tenant, and running the plan concurrently; applications (`clients.rs`) and client grants (`grants.rs`) beside
//! the organizations.

mod clients;
mod desired;
mod diff;
mod execute;
mod export;
mod grants;
mod plan;

pub use clients::{ClientPlan, ClientSpec, SettingChange};
pub use desired::{ConnectionSpec, DesiredState, DomainSpec, Format, OrgSpec};
pub use diff::plan;
pub use execute::{ApplyReport, DnsRecord, Failure, execute, human_secs};
pub use export::{Exported, export};
pub use grants::{GrantKey, GrantPlan, GrantSpec};
pub use plan::{Action, Change, Counts, OrgPlan, Plan};
