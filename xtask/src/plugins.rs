//! `cargo xtask plugins`: every collector built into `target/plugins/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::{cargo, workspace_root};

const WASM_TARGET: &str = "wasm32-wasip2";
/// The older target some authors still build for; its output is a core
/// module, which the host turns into a component at load.
const WASIP1_TARGET: &str = "wasm32-wasip1";
/// Collectors also built for [`WASIP1_TARGET`], as `NAME.wasip1.wasm`.
const WASIP1_PLUGINS: [(&str, &str); 1] = [("trawl-plugin-ebs", "ebs")];
const PLUGIN_PROFILE: &str = "plugin";
const PLUGIN_DIRS: [&str; 2] = ["plugins", "tests/plugins"];

/// Collectors in other languages: (entry file, output name), built by
/// their SDK's build command when its toolchain is installed.
const PYTHON_PLUGINS: [(&str, &str); 1] = [("plugins/python/ebs/ebs.py", "ebs-py")];
const JS_PLUGINS: [(&str, &str); 1] = [("plugins/js/ebs/src/ebs.js", "ebs-js")];

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

/// Builds every collector; returns the paths written.
pub fn build_plugins() -> Result<Vec<PathBuf>, String> {
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
        .chain(build_guests(&root, &out_dir))
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

/// Builds the Python and JavaScript collectors whose toolchain is here,
/// each only when its sources (or its SDK's) are newer than its output.
fn build_guests(root: &Path, out_dir: &Path) -> Vec<Result<PathBuf, String>> {
    let python_sdk = root.join("plugin-sdk-python");
    let js_sdk = root.join("plugin-sdk-js");
    let python_ready =
        Command::new("python3").args(["-c", "import componentize_py"]).output().is_ok_and(|o| o.status.success());
    let js_ready = js_sdk.join("node_modules/@bytecodealliance/componentize-js").is_dir();
    let mut built = Vec::new();
    for (language, ready, sdk, plugins) in
        [("Python", python_ready, &python_sdk, &PYTHON_PLUGINS), ("JavaScript", js_ready, &js_sdk, &JS_PLUGINS)]
    {
        if !ready {
            eprintln!("xtask: {language} collectors not built: its toolchain is not installed (`cargo xtask setup`)");
            continue;
        }
        for (entry, name) in plugins {
            let entry = root.join(entry);
            let dest = out_dir.join(format!("{name}.wasm"));
            let sources = newest(entry.parent().expect("a file in a folder")).max(newest(sdk));
            if modified(&dest).is_some_and(|built| built >= sources) {
                built.push(Ok(dest));
                continue;
            }
            let mut command = match language {
                "Python" => {
                    let mut c = Command::new("python3");
                    // The SDK of this checkout, not whichever is installed.
                    c.env("PYTHONPATH", sdk).args(["-m", "trawl_sdk", "build"]);
                    c
                }
                _ => {
                    let mut c = Command::new("node");
                    c.arg(sdk.join("build.mjs"));
                    c
                }
            };
            command.arg(&entry).arg("-o").arg(&dest);
            built.push(match command.output() {
                Ok(out) if out.status.success() => Ok(dest),
                Ok(out) => Err(format!(
                    "building {} failed: {}",
                    entry.display(),
                    String::from_utf8_lossy(&out.stderr).trim_end()
                )),
                Err(e) => Err(format!("building {}: {e}", entry.display())),
            });
        }
    }
    built
}

/// The newest modification time of the sources under `dir` (what tools
/// leave behind does not count).
fn newest(dir: &Path) -> SystemTime {
    let mut latest = modified(dir).unwrap_or(SystemTime::UNIX_EPOCH);
    let Ok(entries) = std::fs::read_dir(dir) else { return latest };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if ["node_modules", "__pycache__", "build", "test", "tests"].iter().any(|skip| name == *skip) {
            continue;
        }
        let time = if path.is_dir() { newest(&path) } else { modified(&path).unwrap_or(SystemTime::UNIX_EPOCH) };
        latest = latest.max(time);
    }
    latest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
