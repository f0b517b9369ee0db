//! Project tasks, run as `cargo xtask TASK` (the cargo-xtask pattern).
//!
//! - `plugins`: builds every plugin crate under `plugins/` and
//!   `tests/plugins/` for wasm32-wasip2 and copies each component to
//!   `target/plugins/NAME.wasm` (NAME without the `trawl-plugin-` or
//!   `trawl-test-` prefix); also the EBS collector for wasm32-wasip1, as
//!   the core module `target/plugins/ebs.wasip1.wasm` the host adapts.
//! - `bench`: builds the plugins and runs the benchmarks in release mode:
//!   per-task overhead, and a run shaped by AWS's rate limits.
//! - `man`: the manual page and the shell completions, from the host's
//!   own command definitions, into `target/man/host.1` and
//!   `target/completions/`.
//! - `bench-seed [SIZES]`: the seed's boto3 `parallel_collect` against
//!   `host run --aws` on `host sim serve`, at 200 and 1,000 targets (or
//!   the SIZES given), at the defaults and with STS raised (needs `pip
//!   install boto3`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WASM_TARGET: &str = "wasm32-wasip2";
/// The older target some authors still build for; its output is a core
/// module, which the host turns into a component at load.
const WASIP1_TARGET: &str = "wasm32-wasip1";
/// Collectors also built for [`WASIP1_TARGET`], as `NAME.wasip1.wasm`.
const WASIP1_PLUGINS: [(&str, &str); 1] = [("trawl-plugin-ebs", "ebs")];
const PLUGIN_PROFILE: &str = "plugin";
const PLUGIN_DIRS: [&str; 2] = ["plugins", "tests/plugins"];

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
        _ => Err("usage: cargo xtask plugins | bench | bench-seed [SIZES] | man".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Plugin crates: directories with a Cargo.toml under the plugin dirs that
/// build a component (`crate-type = ["cdylib"]`) or a command; a plain
/// library there (code two collectors share) is built as their dependency.
fn plugin_crates(root: &Path) -> Vec<(String, String)> {
    let mut crates = Vec::new();
    for dir in PLUGIN_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.flatten() {
            let manifest = entry.path().join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
            let library_only = text.contains("[lib]") && !text.contains("cdylib");
            if library_only {
                continue;
            }
            let Some(package) = text.lines().find_map(|l| l.trim().strip_prefix("name = ")) else { continue };
            let package = package.trim_matches('"').to_owned();
            let short = package.trim_start_matches("trawl-plugin-").trim_start_matches("trawl-test-").to_owned();
            crates.push((package, short));
        }
    }
    crates.sort();
    crates
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn build_plugins() -> Result<Vec<PathBuf>, String> {
    let root = workspace_root();
    let crates = plugin_crates(&root);
    let mut build = cargo();
    build.current_dir(&root).args(["build", "--quiet", "--target", WASM_TARGET, "--profile", PLUGIN_PROFILE]);
    for (package, _) in &crates {
        build.args(["--package", package]);
    }
    let status = build.status().map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building plugins failed ({status}); is the target installed? `rustup target add {WASM_TARGET}`"
        ));
    }
    let out_dir = root.join("target/plugins");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let built_dir = root.join("target").join(WASM_TARGET).join(PLUGIN_PROFILE);
    crates
        .iter()
        .map(|(package, short)| {
            // Libraries (cdylib) get underscores, binaries keep their dashes.
            let artifact = [package.replace('-', "_"), package.clone()]
                .map(|stem| built_dir.join(format!("{stem}.wasm")))
                .into_iter()
                .find(|p| p.exists())
                .unwrap_or_else(|| built_dir.join(format!("{package}.wasm")));
            let dest = out_dir.join(format!("{short}.wasm"));
            std::fs::copy(&artifact, &dest).map_err(|e| format!("{}: {e}", artifact.display()))?;
            Ok(dest)
        })
        .chain(build_wasip1(&root, &out_dir))
        .collect()
}

/// Builds [`WASIP1_PLUGINS`] as core modules.
fn build_wasip1(root: &Path, out_dir: &Path) -> Vec<Result<PathBuf, String>> {
    let mut build = cargo();
    build.current_dir(root).args(["build", "--quiet", "--target", WASIP1_TARGET, "--profile", PLUGIN_PROFILE]);
    for (package, _) in WASIP1_PLUGINS {
        build.args(["--package", package]);
    }
    match build.status() {
        Ok(status) if status.success() => {}
        Ok(status) => {
            return vec![Err(format!(
                "building the {WASIP1_TARGET} plugins failed ({status}); is the target installed? `rustup target add {WASIP1_TARGET}`"
            ))];
        }
        Err(e) => return vec![Err(format!("running cargo: {e}"))],
    }
    let built_dir = root.join("target").join(WASIP1_TARGET).join(PLUGIN_PROFILE);
    WASIP1_PLUGINS
        .iter()
        .map(|(package, short)| {
            let artifact = built_dir.join(format!("{}.wasm", package.replace('-', "_")));
            let dest = out_dir.join(format!("{short}.wasip1.wasm"));
            std::fs::copy(&artifact, &dest).map_err(|e| format!("{}: {e}", artifact.display()))?;
            Ok(dest)
        })
        .collect()
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
