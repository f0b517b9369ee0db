//! The organisation the EBS benchmarks run over (reports, stores, diff):
//! 10,000 targets with about 100,000 unattached volumes, and their median.

use std::path::PathBuf;

use trawl_host::cloud::sim::{OrgSpec, SimCloud, SimSource};
use trawl_host::run::Cloud;

/// Targets: accounts x regions.
pub const TARGETS: usize = 10_000;
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-northeast-2", "us-west-2"];

/// The EBS collector `cargo xtask bench` builds.
pub fn ebs_plugin() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/ebs.wasm");
    assert!(path.exists(), "{} missing: run `cargo xtask bench`", path.display());
    path
}

/// A simulated cloud of [`TARGETS`] targets generated from `seed`.
pub fn ebs_cloud(seed: u64) -> Cloud {
    let spec = OrgSpec {
        accounts: TARGETS / REGIONS.len(),
        regions: REGIONS.map(String::from).to_vec(),
        // 22.5 % of a region's volumes are unattached on average: ~10
        // records per target.
        volumes_per_region: 45,
        roles_per_account: 0,
        users_per_account: 0,
        seed,
    };
    Cloud::Simulated { cloud: Box::new(SimCloud::new(spec.generate())), source: SimSource::Generated }
}

/// The median of `values`.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}
