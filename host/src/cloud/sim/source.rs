//! Where a simulated organisation came from, said wherever its data goes.

use std::path::PathBuf;

use crate::targets;

/// Where a simulated organisation came from: said on stderr at the start
/// of a run and recorded in its report, so simulated data is never taken
/// for an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimSource {
    /// The built-in demo organisation.
    Demo,
    /// A fixture file.
    Fixture(PathBuf),
    /// A generated organisation (`--sim-generate`, `[sim] generate`).
    Generated,
}

impl SimSource {
    /// `run.backend` in the JSON report.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Demo => "sim",
            Self::Fixture(_) => "sim-fixture",
            Self::Generated => "sim-generated",
        }
    }

    /// The line said on stderr, for an organisation of `accounts`.
    pub fn banner(&self, accounts: &[targets::AccountInfo]) -> String {
        let regions: std::collections::BTreeSet<&String> = accounts.iter().flat_map(|a| &a.regions).collect();
        let what = match self {
            Self::Demo => "demo cloud".to_owned(),
            Self::Fixture(path) => format!("simulated cloud from {}", path.display()),
            Self::Generated => "generated simulated cloud".to_owned(),
        };
        format!(
            "{what}: {} simulated accounts in {} regions; pass --aws to collect from AWS",
            accounts.len(),
            regions.len()
        )
    }
}
