//! Helpers for the end-to-end tests: build the real `host` binary and the
//! plugins once per test binary (through `cargo xtask plugins`, the same
//! command plugin authors use), run them, and parse what they print.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// Exit status for input errors, as `host --help` documents.
pub const EXIT_INPUT: i32 = 2;
/// Exit status when some targets failed.
pub const EXIT_TARGETS_FAILED: i32 = 3;

struct Artifacts {
    host: PathBuf,
    plugins: PathBuf,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn cargo(args: &[&str]) {
    let status = Command::new(env!("CARGO")).args(args).current_dir(root()).status().expect("running cargo");
    assert!(status.success(), "cargo {} failed", args.join(" "));
}

fn artifacts() -> &'static Artifacts {
    static BUILT: OnceLock<Artifacts> = OnceLock::new();
    BUILT.get_or_init(|| {
        // Cheap when up to date: cargo releases its lock once the tests
        // are compiled, and these are no-ops after the first test binary.
        cargo(&["build", "--quiet", "--package", "trawl-host", "--bin", "host"]);
        cargo(&["xtask", "plugins"]);
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
        Artifacts { host: target.join("debug/host"), plugins: target.join("plugins") }
    })
}

/// The built component of plugin `name` (e.g. `ebs`, `hostile`).
pub fn plugin(name: &str) -> PathBuf {
    let path = artifacts().plugins.join(format!("{name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// What one `host` invocation did.
#[derive(Debug)]
pub struct Run {
    /// Exit status.
    pub status: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// The real `host` binary with `args`, ready to spawn: an isolated
/// compile cache, no inherited log settings, and none of the machine's
/// AWS settings (no credentials, profiles, endpoint, or instance metadata
/// to wait for); a test sets what it means to use.
pub fn host_command(args: &[&str]) -> Command {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cache = CACHE.get_or_init(|| tempfile::tempdir().unwrap());
    let mut command = Command::new(&artifacts().host);
    command.args(args).env("TRAWL_CACHE_DIR", cache.path()).env_remove("TRAWL_LOG");
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("AWS_")) {
            command.env_remove(name);
        }
    }
    let empty = cache.path().join("empty-aws-file");
    if !empty.exists() {
        std::fs::write(&empty, "").unwrap();
    }
    command
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Runs the real `host` binary with `args` (no terminal: output is JSON
/// unless asked otherwise).
pub fn host(args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = host_command(args).output().expect("running host");
    Run {
        status: status.code().expect("host was killed by a signal"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// The results of a JSON report keyed by `account_name/region`.
pub fn results_by_place(doc: &Value) -> std::collections::BTreeMap<String, Value> {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (format!("{}/{}", r["account_name"].as_str().unwrap(), r["region"].as_str().unwrap()), r.clone()))
        .collect()
}

/// A fixture organisation written to a temporary file.
pub fn fixture(org: &Value) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), serde_json::to_vec_pretty(org).unwrap()).unwrap();
    file
}
