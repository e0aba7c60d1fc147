//! Desired state (`apply FILE`, `export`): the file format (TOML or YAML), the plan that compares it with the
//! tenant, and running the plan concurrently.

mod desired;
mod diff;
mod execute;
mod export;
mod plan;

pub use desired::{ConnectionSpec, DesiredState, Format, OrgSpec};
pub use diff::plan;
pub use execute::{ApplyReport, Failure, execute, human_secs};
pub use export::export;
pub use plan::{Action, Change, Counts, OrgPlan, Plan};
