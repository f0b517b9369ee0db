//! `cargo xtask setup`: what the test suite needs on a fresh machine, each
//! step skipped when it is already there. The README's test command and
//! `.ci/run` both run it.

use std::process::Command;

use crate::workspace_root;

/// Python packages the tests use: boto3 and moto check the AWS wire
/// protocols, oras reads and writes the OCI registry, componentize-py
/// builds the Python collectors.
const PIP_PACKAGES: &[&str] = &["boto3", "moto[server]", "oras", "componentize-py==0.25.1"];
/// Debian packages, each with a shell test that it is installed: the
/// browser that renders the HTML report, the OCI registry, the databases
/// stored runs go to. PostgreSQL's server is told by `initdb`: a machine
/// with only the `psql` client has `/usr/lib/postgresql` too.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("chromium", "command -v chromium"),
    ("docker-registry", "command -v docker-registry"),
    ("postgresql", "ls /usr/lib/postgresql/*/bin/initdb"),
    ("sqlite3", "command -v sqlite3"),
];
const RUST_TARGETS: &[&str] = &["wasm32-wasip2", "wasm32-wasip1"];

/// Installs what is missing.
pub fn setup() -> Result<(), String> {
    let root = workspace_root();
    run(Command::new("rustup").arg("target").arg("add").args(RUST_TARGETS))?;
    run(Command::new("python3")
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(PIP_PACKAGES))?;
    // The JavaScript SDK's own toolchain (componentize-js, esbuild), at the
    // versions its lock file pins.
    let js_sdk = root.join("plugin-sdk-js");
    if !js_sdk.join("node_modules/@bytecodealliance/componentize-js").is_dir() {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&js_sdk))?;
    }
    // The JavaScript collector's link to that SDK, for its tests.
    let collector = root.join("plugins/js/ebs");
    if !collector.join("node_modules/trawl-sdk").exists() {
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&collector))?;
    }
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .filter(|(_, installed)| !Command::new("sh").args(["-c", installed]).output().is_ok_and(|o| o.status.success()))
        .map(|(package, _)| *package)
        .collect();
    if !missing.is_empty() {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        run(Command::new("apt-get").args(["install", "-y", "-q"]).args(&missing))?;
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{shown} failed ({status})")),
        Err(e) => Err(format!("{shown}: {e}")),
    }
}
