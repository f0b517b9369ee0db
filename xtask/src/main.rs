//! Project tasks, run as `cargo xtask TASK` (the cargo-xtask pattern).
//!
//! - `plugins`: builds every plugin crate under `plugins/` and
//!   `tests/plugins/` for wasm32-wasip2 and copies each component to
//!   `target/plugins/NAME.wasm` (NAME without the `trawl-plugin-` or
//!   `trawl-test-` prefix); also the EBS collector for wasm32-wasip1, as
//!   the core module `target/plugins/ebs.wasip1.wasm` the host adapts;
//!   and the Python and JavaScript collectors under `plugins/python` and
//!   `plugins/js` when their toolchains are installed (`cargo xtask
//!   setup`), as `target/plugins/NAME.wasm`, skipped when up to date.
//! - `bench`: builds the plugins and runs every benchmark in
//!   `host/benches` in release mode (README.md, "Benchmarks", says what
//!   each measures).
//! - `man`: the manual page and the shell completions, from the host's
//!   own command definitions, into `target/man/host.1` and
//!   `target/completions/`.
//! - `setup`: installs what the test suite uses on a fresh machine: the
//!   wasm targets, Python's boto3, moto, oras and componentize-py, the
//!   JavaScript SDK's npm dependencies (componentize-js, esbuild), and
//!   Debian's chromium, docker-registry, postgresql and sqlite3.
//! - `bench-seed [SIZES]`: the seed's boto3 `parallel_collect` against
//!   `host run --aws` on `host sim serve`, at 200 and 1,000 targets (or
//!   the SIZES given), at the defaults and with STS raised (needs `pip
//!   install boto3`).

mod plugins;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use plugins::build_plugins;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "plugins" => build_plugins().map(|built| {
            for path in built {
                println!("{}", path.display());
            }
        }),
        "bench" => build_plugins().and_then(|_| bench()),
        "bench-seed" => build_plugins().and_then(|_| bench_seed()),
        "man" => man(),
        "setup" => setup::setup(),
        _ => Err("usage: cargo xtask plugins | bench | bench-seed [SIZES] | man | setup".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// The cargo that runs this task.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn bench() -> Result<(), String> {
    let status = cargo()
        .current_dir(workspace_root())
        .args([
            "bench",
            "--package",
            "trawl-host",
            "--bench",
            "task_overhead",
            "--bench",
            "throttling",
            "--bench",
            "reports",
            "--bench",
            "distribution",
            "--bench",
            "languages",
            "--bench",
            "stores",
            "--bench",
            "diff",
            "--bench",
            "iam_limits",
        ])
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("benchmark failed ({status})")) }
}

fn bench_seed() -> Result<(), String> {
    let root = workspace_root();
    let status = cargo()
        .current_dir(&root)
        .args(["build", "--release", "--package", "trawl-host", "--bin", "host"])
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the host failed ({status})"));
    }
    let status = Command::new("python3")
        .arg(root.join("host/benches/seed_parallel_collect.py"))
        .arg(root.join("target/release/host"))
        .arg(root.join("target/plugins/ebs.wasm"))
        .args(std::env::args().skip(2))
        .status()
        .map_err(|e| format!("running python3: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("the seed benchmark failed ({status})")) }
}

fn man() -> Result<(), String> {
    let root = workspace_root();
    let status = cargo()
        .current_dir(&root)
        .args(["build", "--quiet", "--package", "trawl-host", "--bin", "host"])
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the host failed ({status})"));
    }
    let host = root.join("target/debug/host");
    let write = |args: &[&str], dest: PathBuf| -> Result<(), String> {
        let out = Command::new(&host).args(args).output().map_err(|e| format!("running host: {e}"))?;
        if !out.status.success() {
            return Err(format!("host {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
        }
        std::fs::create_dir_all(dest.parent().expect("a file in a folder")).map_err(|e| e.to_string())?;
        std::fs::write(&dest, out.stdout).map_err(|e| format!("{}: {e}", dest.display()))?;
        println!("{}", dest.display());
        Ok(())
    };
    write(&["man"], root.join("target/man/host.1"))?;
    for (shell, file) in [("bash", "host.bash"), ("zsh", "_host"), ("fish", "host.fish")] {
        write(&["completions", shell], root.join("target/completions").join(file))?;
    }
    Ok(())
}
