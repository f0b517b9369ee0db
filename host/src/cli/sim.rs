//! The simulated cloud's side of the command line: its flags (shared by
//! `host run` and `host sim serve`) and the cloud they describe.

use std::path::PathBuf;
use std::time::Duration;

use super::InputError;
use crate::cloud::sim::{OrgSpec, Organization, Pressure, SimCloud, SimSource, demo};
use crate::config::{self, SimConfig, parse_duration};
use crate::limits::Override;
use crate::targets;

/// The simulated cloud's flags, shared by `host run` and `host sim serve`;
/// each overrides the `[sim]` key of the same name in `--config`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Simulate this organisation (a JSON fixture; see `host sim export`).
    #[arg(long, value_name = "FILE", conflicts_with = "sim_generate")]
    pub fixture: Option<PathBuf>,
    /// Simulate a generated organisation: accounts=N,regions=N,volumes=N,seed=N.
    #[arg(long, value_name = "SPEC")]
    pub sim_generate: Option<OrgSpec>,
    /// Simulated latency: MEDIAN[,P99], e.g. 20ms,120ms.
    #[arg(long, value_name = "MEDIAN[,P99]", value_delimiter = ',', value_parser = parse_duration)]
    pub sim_latency: Vec<Duration>,
    /// Fraction of simulated calls answered with a 5xx error.
    #[arg(long, value_name = "FRACTION", value_parser = fraction)]
    pub sim_error_rate: Option<f64>,
    /// Fraction of simulated calls answered past the call timeout.
    #[arg(long, value_name = "FRACTION", value_parser = fraction)]
    pub sim_slow_rate: Option<f64>,
    /// Accounts whose simulated credentials fail, comma-separated ids.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub sim_broken: Vec<String>,
    /// Server-side bucket override in the simulator, like --rate-limit.
    #[arg(long, value_name = "SPEC")]
    pub sim_limit: Vec<Override>,
    /// Turn the simulator's server-side throttling off.
    #[arg(long)]
    pub no_sim_throttling: bool,
    /// Seed of simulated latency and faults [default: 1].
    #[arg(long)]
    pub sim_seed: Option<u64>,
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s:?} is not a fraction between 0 and 1")),
    }
}

impl SimArgs {
    /// The first simulator flag given, by its name: these describe the
    /// simulated cloud and make no sense with `--aws`.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.fixture.is_some(), "--fixture"),
            (self.sim_generate.is_some(), "--sim-generate"),
            (!self.sim_latency.is_empty(), "--sim-latency"),
            (self.sim_error_rate.is_some(), "--sim-error-rate"),
            (self.sim_slow_rate.is_some(), "--sim-slow-rate"),
            (!self.sim_broken.is_empty(), "--sim-broken"),
            (!self.sim_limit.is_empty(), "--sim-limit"),
            (self.no_sim_throttling, "--no-sim-throttling"),
            (self.sim_seed.is_some(), "--sim-seed"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}

/// The simulated cloud the flags and the `[sim]` section describe, its
/// accounts, and where it came from. `slow_default` is how late a slow
/// answer comes when the config does not say (just past the call timeout).
pub fn simulated_cloud(
    args: &SimArgs,
    sim: SimConfig,
    slow_default: Duration,
) -> anyhow::Result<(Vec<targets::AccountInfo>, SimCloud, SimSource)> {
    let (org, source) = match (&args.fixture, &args.sim_generate, sim.fixture, sim.generate) {
        (Some(path), ..) => {
            (Organization::from_file(path).map_err(InputError::from)?, SimSource::Fixture(path.clone()))
        }
        (None, Some(spec), ..) => (spec.generate(), SimSource::Generated),
        (None, None, Some(path), _) => {
            (Organization::from_file(&path).map_err(InputError::from)?, SimSource::Fixture(path))
        }
        (None, None, None, Some(text)) => {
            let spec = text.parse::<OrgSpec>().map_err(|e| InputError::from(format!("[sim] generate: {e}")))?;
            (spec.generate(), SimSource::Generated)
        }
        (None, None, None, None) => (demo(), SimSource::Demo),
    };
    let mut sim_rules = config::overrides(&sim.rules).map_err(InputError::from)?;
    sim_rules.extend(args.sim_limit.iter().cloned());
    super::run::check_services(&sim_rules, "--sim-limit")?;
    let latency_median = args.sim_latency.first().copied().or(sim.latency).unwrap_or_default();
    let pressure = Pressure {
        throttling: !args.no_sim_throttling && sim.throttling.unwrap_or(true),
        limits: sim_rules,
        latency_median,
        latency_p99: args.sim_latency.get(1).copied().or(sim.latency_p99).unwrap_or(latency_median),
        error_rate: args.sim_error_rate.or(sim.error_rate).unwrap_or(0.0),
        slow_rate: args.sim_slow_rate.or(sim.slow_rate).unwrap_or(0.0),
        slow_by: sim.slow_by.unwrap_or(slow_default),
        broken_accounts: if args.sim_broken.is_empty() {
            sim.broken_accounts.unwrap_or_default()
        } else {
            args.sim_broken.clone()
        },
        seed: args.sim_seed.or(sim.seed).unwrap_or(1),
    };
    Ok((targets::accounts_of(&org), SimCloud::with_pressure(org, pressure), source))
}
